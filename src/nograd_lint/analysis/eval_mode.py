"""Where a model is recognised as put into (or out of) eval mode: the catalog's mode setters
and freezers, read off LibCST calls."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .arguments import call_args
from .catalog import (
    EVAL_PRESERVING_WRAPPERS,
    FREEZER_METHODS,
    MODE_SETTER_METHODS,
    MODULE_RETURNING_METHODS,
    Mode,
    freezes,
    is_module_class,
    mode_set,
)
from .nodes import dotted_name

__all__ = ["Chain", "Mode", "chain_of", "mode_set_by"]


def mode_set_by(call: cst.Call) -> Mode | None:
    """``x.eval()`` -> EVAL, ``x.train(False)`` -> EVAL, ``x.train()`` -> TRAIN, else None
    (``catalog.mode_set``)."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in MODE_SETTER_METHODS:
        return None
    return mode_set(func.attr.value, call_args(call), unbound_receiver(call) is not None)


def unbound_receiver(call: cst.Call) -> cst.BaseExpression | None:
    """``model`` of ``nn.Module.train(model)``: the module a method called on a module
    class (``catalog.is_module_class``) runs on; None for any other call."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and call.args
        and not call.args[0].star
        and call.args[0].keyword is None
        and is_module_class(dotted_name(func.value))
    ):
        return call.args[0].value
    return None


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
    """Follow a chain of module-returning methods inwards. A wrapper written out in full
    stops it: ``torch.jit.freeze(model)`` is not ``freeze()`` called on ``torch.jit``."""
    mode: Mode | None = None
    frozen = False
    while (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in MODULE_RETURNING_METHODS
        and dotted_name(expr.func) not in EVAL_PRESERVING_WRAPPERS
    ):
        method = expr.func.attr.value
        if mode is None:
            mode = mode_set_by(expr)
        unbound = unbound_receiver(expr)
        if unbound is None and method in FREEZER_METHODS and freezes(method, call_args(expr)):
            frozen = True
        expr = unbound if unbound is not None else expr.func.value
    return Chain(mode, frozen, expr)
