# fix-with: inference_mode
import torch

model.eval()
with torch.inference_mode():
    out = model(x)
