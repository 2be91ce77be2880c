"""The three ways of running a forward pass that NG001 is about."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from typing import Callable

import torch

MODES: dict[str, Callable[[], AbstractContextManager]] = {
    "grad": contextlib.nullcontext,  # eval mode, no context: the pattern NG001 reports
    "no_grad": torch.no_grad,
    "inference_mode": torch.inference_mode,
}


def mode_context(mode: str) -> AbstractContextManager:
    """A fresh context manager for `mode` (one of MODES)."""
    return MODES[mode]()
