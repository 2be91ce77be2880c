"""The three ways of running a forward pass that NG001 is about."""
from __future__ import annotations

import contextlib
from typing import Callable, ContextManager, Dict

import torch

MODES: Dict[str, Callable[[], ContextManager]] = {
    "grad": contextlib.nullcontext,  # eval mode, no context: the pattern NG001 reports
    "no_grad": torch.no_grad,
    "inference_mode": torch.inference_mode,
}


def mode_context(mode: str) -> ContextManager:
    """A fresh context manager for `mode` (one of MODES)."""
    return MODES[mode]()
