"""How a function's names for models map onto its caller's names for them (NG004).

A summary of ``evaluate(net, loader)`` says what it does to ``net``; the caller calls it as
``evaluate(model, val_loader)``, or ``self.validate()`` from another method, and needs to
know that this is its ``model`` (or its ``self.model``). A parameter maps onto the argument
given for it, the callee's ``self`` onto the caller's when the call is ``self.method(...)``,
a module-level name onto itself; a function that hands a parameter back (``model =
train(model)``) keeps the caller's name bound to the same model.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..ast_names import dotted_name, is_super, self_parameter
from .catalog import unwrapped
from .class_hierarchy import FunctionNode
from .model_aliases import module_held

#: The position of a value returned whole, not as an element of a tuple.
WHOLE = -1


def handed_names(call: ast.Call, self_name: str | None) -> list[str]:
    """The names a call hands its callee: its arguments as written, and ``self`` for
    ``self.method(...)``."""
    values = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
    values += [k.value for k in call.keywords]
    names = [name for name in map(dotted_name, values) if name is not None]
    func = call.func
    if (
        self_name is not None
        and isinstance(func, ast.Attribute)
        and dotted_name(func.value) == self_name
    ):
        names.append(self_name)
    return names


def returned_parameters(
    returns: list[ast.expr | None], parameters: set[str]
) -> frozenset[tuple[int, str]]:
    """``ModeSummary.returns``: the (position, parameter) pairs every ``return`` of the
    function agrees on; ``parameters`` are those it never rebinds."""
    agreed: set[tuple[int, str]] | None = None
    for value in returns:
        if isinstance(value, ast.Name) and value.id in parameters:
            found = {(WHOLE, value.id)}
        elif isinstance(value, ast.Tuple):
            found = set()
            for position, element in enumerate(value.elts):
                if isinstance(element, ast.Starred):
                    break  # the positions after ``*rest`` are unknown
                if isinstance(element, ast.Name) and element.id in parameters:
                    found.add((position, element.id))
        else:
            return frozenset()
        agreed = found if agreed is None else agreed & found
    return frozenset(agreed or ())


def _argument_name(
    argument: ast.expr, defined: Callable[[str], FunctionNode | None] | None = None
) -> str | None:
    """The caller's name for what it hands on: a dotted name, the model a wrapper that
    shares it holds (``unwrap_model(model)``, ``model.to(device)``), or the model both arms
    of a conditional give (``model.module if distributed else model``: one model)."""
    held = module_held(argument, defined)
    if held is not None and held is not argument:
        argument = held
    if isinstance(argument, ast.IfExp):
        arms = {dotted_name(arm) for arm in (argument.body, argument.orelse)}
        models = {unwrapped(arm) for arm in arms if arm is not None}
        return models.pop() if None not in arms and len(models) == 1 else None
    return dotted_name(argument)


class CalleeNames:
    """Maps a receiver of a callee's summary onto the caller's name for it: a parameter
    onto the argument given for it, ``self.<attr>`` onto the caller's ``self.<attr>`` when
    the call is ``self.method(...)``, a module-level name onto itself."""

    def __init__(
        self,
        callee: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: str | None,
        call: ast.Call,
        caller_self: str | None,
        defined: Callable[[str], FunctionNode | None] | None = None,
    ) -> None:
        """``defined``: the module's function of a name, if it has one (``module_held``)."""
        self.callee_self = method_self_of(callee, owner)
        self.caller_self = (
            caller_self
            if isinstance(call.func, ast.Attribute)
            and (
                dotted_name(call.func.value) == caller_self
                or is_super(call.func.value, None, caller_self)
            )
            else None
        )
        positional = [a.arg for a in (*callee.args.posonlyargs, *callee.args.args)]
        if self.callee_self is not None and positional[:1] == [self.callee_self]:
            positional = positional[1:]
        self.arguments: dict[str, str | None] = {}
        for position, argument in enumerate(call.args):
            if isinstance(argument, ast.Starred):
                break  # positions after ``*args`` are unknown
            if position < len(positional):
                self.arguments[positional[position]] = _argument_name(argument, defined)
        for keyword in call.keywords:
            if keyword.arg is not None:
                self.arguments[keyword.arg] = _argument_name(keyword.value, defined)
        self.parameters = set(positional) | {a.arg for a in callee.args.kwonlyargs}

    def __call__(self, receiver: str) -> str | None:
        head, _, rest = receiver.partition(".")
        tail = "." + rest if rest else ""
        if head == self.callee_self:
            return self.caller_self + tail if self.caller_self is not None else None
        if head in self.parameters:
            given = self.arguments.get(head)
            return given + tail if given is not None else None
        return receiver


def method_self_of(node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str | None) -> str | None:
    """The first parameter of a method; None for functions and static methods."""
    return None if owner is None else self_parameter(node)
