"""Where a model is recognised as put into (or out of) eval mode."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import libcst as cst

from .catalog import MODULE_RETURNING_METHODS
from .intent import is_freezing
from .nodes import literal_bool


class Mode(Enum):
    EVAL = "eval"
    TRAIN = "train"


def mode_set_by(call: cst.Call) -> Mode | None:
    """``x.eval()`` -> EVAL, ``x.train(False)`` -> EVAL, ``x.train()`` -> TRAIN, else None.

    ``df.eval("a + b")`` (pandas) takes arguments, so it is not ``nn.Module.eval``.
    A ``train(flag)`` decided at run time counts as TRAIN: the code is mode-aware.
    """
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method == "eval":
        return Mode.EVAL if not call.args else None
    if method != "train":
        return None
    if not call.args:
        return Mode.TRAIN
    if len(call.args) > 1 or call.args[0].star:
        return None
    arg = call.args[0]
    if arg.keyword is not None and arg.keyword.value != "mode":
        return None
    return Mode.EVAL if literal_bool(arg.value) is False else Mode.TRAIN


@dataclass(frozen=True)
class Chain:
    """What ``Net().to(dev).eval().requires_grad_(False)`` does to the module it starts from."""

    #: The mode the chain leaves the module in (the outermost ``eval``/``train`` wins, since
    #: it runs last), None if it sets none.
    mode: Mode | None
    #: ``.requires_grad_(False)`` somewhere in the chain.
    frozen: bool
    #: The innermost receiver the chain starts from.
    base: cst.BaseExpression


def chain_of(expr: cst.BaseExpression) -> Chain:
    """Follow a chain of module-returning methods inwards."""
    mode: Mode | None = None
    frozen = False
    while (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in MODULE_RETURNING_METHODS
    ):
        if mode is None:
            mode = mode_set_by(expr)
        if is_freezing(expr):
            frozen = True
        expr = expr.func.value
    return Chain(mode, frozen, expr)
