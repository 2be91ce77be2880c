"""Code that shows gradients are wanted (``loss.backward()``), and models whose parameters
are frozen (``model.requires_grad_(False)``)."""

from __future__ import annotations

import libcst as cst

from .catalog import GRAD_INTENT_FUNCTIONS, GRAD_INTENT_METHODS, looks_like_optimizer
from .imports import ImportTable
from .nodes import dotted_name, literal_bool


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _first_argument(call: cst.Call, keyword: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
    return _keyword(call, keyword)


def requires_grad_argument(call: cst.Call) -> bool | None:
    """For ``x.requires_grad_(...)``: the flag it sets (True when omitted), None if unknown."""
    value = _first_argument(call, "requires_grad")
    return True if value is None else literal_bool(value)


def is_freezing(call: cst.Call) -> bool:
    """``m.requires_grad_(False)``, or Lightning's ``m.freeze()`` (no grad, eval mode)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "requires_grad_":
        return requires_grad_argument(call) is False
    return func.attr.value == "freeze" and not call.args


def shows_grad_intent(call: cst.Call, imports: ImportTable) -> bool:
    """``loss.backward()``, ``torch.autograd.grad(...)``, ``x.requires_grad_()``,
    ``torch.tensor(..., requires_grad=True)``, ``optimizer.step()``, ``model.zero_grad()``
    (clearing gradients announces a backward pass: attribution forward functions do it)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in GRAD_INTENT_METHODS:
            return True
        if method == "requires_grad_":
            return requires_grad_argument(call) is True
        if method == "step":
            receiver = dotted_name(func.value)
            if receiver is not None and looks_like_optimizer(receiver):
                return True
    flag = _keyword(call, "requires_grad")
    if flag is not None and literal_bool(flag) is True:
        return True
    qualified = imports.resolve(func)
    return qualified is not None and qualified.startswith(GRAD_INTENT_FUNCTIONS)


def frozen_by_loop(node: cst.For) -> str | None:
    """``for p in model.parameters(): p.requires_grad = False`` -> ``"model"``."""
    iterator = node.iter
    if (  # ``list(model.parameters())``
        isinstance(iterator, cst.Call)
        and isinstance(iterator.func, cst.Name)
        and iterator.func.value in ("list", "tuple")
        and len(iterator.args) == 1
    ):
        iterator = iterator.args[0].value
    if not (
        isinstance(iterator, cst.Call)
        and isinstance(iterator.func, cst.Attribute)
        and iterator.func.attr.value in ("parameters", "named_parameters")
    ):
        return None
    model = dotted_name(iterator.func.value)
    target: cst.BaseExpression = node.target
    if isinstance(target, (cst.Tuple, cst.List)) and target.elements:
        target = target.elements[-1].value
    param = dotted_name(target)
    if model is None or param is None:
        return None
    for statement in node.body.body:
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in statement.body:
                if _freezes(small, param):
                    return model
    return None


def _freezes(small: cst.BaseSmallStatement, param: str) -> bool:
    if isinstance(small, cst.Assign):
        return literal_bool(small.value) is False and any(
            dotted_name(t.target) == f"{param}.requires_grad" for t in small.targets
        )
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        return (
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "requires_grad_"
            and dotted_name(call.func.value) == param
            and requires_grad_argument(call) is False
        )
    return False
