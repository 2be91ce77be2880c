import torch

model.eval()
with torch.no_grad():
    a = model(x1)  # first
    b = model.forward(x2)

    c = model(x3)
print(a, b, c)
with torch.no_grad():
    d = model(x4)
