# fix-with: inference_mode
import torch

model.eval()
out = model(x)
