import torch

model.eval()
a = model(x1)  # first
b = model.forward(x2)

c = model(x3)
print(a, b, c)
d = model(x4)
