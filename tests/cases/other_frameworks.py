"""MegEngine, Paddle, OneFlow... have a module.eval() of their own: without a torch import,
a module that imports one of them is not PyTorch code."""
import megengine as mge
from build import build_and_load

model = build_and_load("yolox_s.pkl")
model.eval()


def pred_func(data):
    return model(data)


outputs = model(mge.tensor([1.0]))
