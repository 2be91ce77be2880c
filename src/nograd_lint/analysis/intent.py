"""Code that shows gradients are wanted (``loss.backward()``), and models whose parameters
are frozen (``model.requires_grad_(False)``)."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .catalog import (
    GRAD_INTENT_FUNCTIONS,
    GRAD_INTENT_METHODS,
    OPTIMIZER_METHODS,
    looks_like_optimizer,
)
from .imports import ImportTable
from .nodes import argument, dotted_name, literal_bool


def requires_grad_argument(call: cst.Call) -> bool | None:
    """For ``x.requires_grad_(...)``: the flag it sets (True when omitted), None if unknown."""
    value = argument(call, 0, "requires_grad")
    return True if value is None else literal_bool(value)


@dataclass(frozen=True)
class GradientCode:
    """A call that shows gradients are wanted, and whose parameters it trains, if it says:
    ``optimizer.step()`` names an optimizer, ``model.zero_grad()`` a model; ``loss.backward()``
    and ``x.requires_grad_()`` name neither (what they need is a matter of values)."""

    optimizer: str | None = None
    model: str | None = None
    #: Only prepares an input to require grad: a later use decides whether any graph is
    #: needed (an eval-mode forward of such an input whose output is only read stays waste).
    preparation: bool = False

    @property
    def trains(self) -> bool:
        return self.optimizer is not None or self.model is not None


def gradient_code(call: cst.Call, imports: ImportTable) -> GradientCode | None:
    """``loss.backward()``, ``torch.autograd.grad(...)``, ``x.requires_grad_()``,
    ``torch.tensor(..., requires_grad=True)``, ``optimizer.step()``, ``model.zero_grad()``
    (clearing gradients announces a backward pass: attribution forward functions do it)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        receiver = dotted_name(func.value)
        if method == "zero_grad":
            if receiver is not None and looks_like_optimizer(receiver):
                return GradientCode(optimizer=receiver)
            return GradientCode(model=receiver) if receiver is not None else GradientCode()
        if method in GRAD_INTENT_METHODS:
            return GradientCode()
        if method == "requires_grad_":
            return GradientCode(preparation=True) if requires_grad_argument(call) else None
        if method in OPTIMIZER_METHODS and receiver is not None and looks_like_optimizer(receiver):
            stepped = argument(call, 0, "optimizer")  # ``scaler.step(optimizer)``
            named = dotted_name(stepped) if stepped is not None else None
            return GradientCode(optimizer=named or receiver)
    flag = argument(call, None, "requires_grad")
    if flag is not None and literal_bool(flag) is True:
        return GradientCode(preparation=True)
    qualified = imports.resolve(func)
    if qualified is not None and qualified.startswith(GRAD_INTENT_FUNCTIONS):
        return GradientCode()
    return None


def shows_grad_intent(call: cst.Call, imports: ImportTable) -> bool:
    return gradient_code(call, imports) is not None


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
