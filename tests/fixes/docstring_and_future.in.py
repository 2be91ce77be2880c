"""Evaluate a checkpoint.

The import of torch goes after this docstring and the __future__ import.
"""
from __future__ import annotations

from models import Net

net = Net().eval()
print(net(1))
