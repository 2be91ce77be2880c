"""Where a grad-disabling (or re-enabling) scope is recognised.

Three places change grad mode: ``with`` items, function decorators, and plain
``torch.set_grad_enabled(False)`` statements. All three read the catalogue.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .catalog import GRAD_MODE_FACTORIES, GRAD_MODE_SETTERS, Argument, GradEffect
from .imports import ImportTable
from .nodes import literal_bool



def _mode_argument(call: cst.Call) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
        if arg.keyword is not None and arg.keyword.value == "mode":
            return arg.value
    return None


def _effect_of_argument(effect: GradEffect, how: Argument, call: Optional[cst.Call]) -> GradEffect:
    if how is Argument.NONE:
        return effect
    argument = _mode_argument(call) if call is not None else None
    if argument is None:
        # ``@torch.inference_mode`` / ``inference_mode()``: mode defaults to True.
        return effect if how is Argument.MODE_DEFAULT_TRUE else GradEffect.DYNAMIC
    value = literal_bool(argument)
    if value is None:
        return GradEffect.DYNAMIC
    if how is Argument.MODE_DEFAULT_TRUE:  # inference_mode(False) leaves grad mode alone
        return effect if value else GradEffect.ENABLE
    return GradEffect.ENABLE if value else GradEffect.DISABLE  # set_grad_enabled(value)


def context_effect(expr: cst.BaseExpression, imports: ImportTable) -> Optional[GradEffect]:
    """The effect of ``with <expr>:`` or ``@<expr>``, None if it is not a grad-mode scope."""
    call = expr if isinstance(expr, cst.Call) else None
    target = call.func if call is not None else expr
    qualified = imports.resolve(target)
    if qualified is None:
        return None
    entry = GRAD_MODE_FACTORIES.get(qualified)
    if entry is None:
        return None
    return _effect_of_argument(entry[0], entry[1], call)


def setter_effect(call: cst.Call, imports: ImportTable) -> Optional[GradEffect]:
    """The effect of calling ``torch.set_grad_enabled(x)`` outside a ``with``."""
    qualified = imports.resolve(call.func)
    if qualified not in GRAD_MODE_SETTERS:
        return None
    return _effect_of_argument(GradEffect.ENABLE, Argument.REQUIRED, call)
