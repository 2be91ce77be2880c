"""Where a model is recognised as put into (or out of) eval mode."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import libcst as cst

from .nodes import literal_bool
from .catalog import MODULE_RETURNING_METHODS


class Mode(Enum):
    EVAL = "eval"
    TRAIN = "train"



def mode_set_by(call: cst.Call) -> Optional[Mode]:
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


def chain_mode(expr: cst.BaseExpression) -> tuple[Optional[Mode], cst.BaseExpression]:
    """Follow ``Net().to(dev).eval().cuda()`` inwards through module-returning methods.

    Returns the mode the chain leaves the module in (the outermost ``eval``/``train`` wins,
    since it runs last) and the innermost receiver the chain starts from.
    """
    mode: Optional[Mode] = None
    while (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in MODULE_RETURNING_METHODS
    ):
        if mode is None:
            mode = mode_set_by(expr)
        expr = expr.func.value
    return mode, expr
