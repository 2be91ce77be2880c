"""Evaluate a checkpoint.

The import of torch goes after this docstring and the __future__ import.
"""
from __future__ import annotations
import torch

from models import Net

net = Net().eval()
with torch.no_grad():
    print(net(1))
