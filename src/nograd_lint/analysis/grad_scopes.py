"""Where a grad-disabling (or re-enabling) scope is recognised.

Three places change grad mode: ``with`` items, function decorators, and plain
``torch.set_grad_enabled(False)`` statements. Besides torch's own (the catalogue), a scope
counts as grad-disabling when

- its name says so (``smart_inference_mode()``, ``torch_no_grad``, a local ``nograd``),
- the user listed its name (``--nograd-disabling-names``), or
- it is a decorator or context manager defined in the module whose body runs the wrapped
  call, or its ``yield``, inside ``torch.no_grad()`` / ``torch.inference_mode()``, or
- it calls a function of the module that returns one of torch's contexts
  (``def inference_context(): return torch.inference_mode()``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Callable

import libcst as cst

from .arguments import call_args
from .catalog import (
    ENTER_CONTEXT_METHOD,
    GRAD_MODE_FACTORIES,
    GRAD_MODE_SETTER_ARGUMENT,
    GRAD_MODE_SETTERS,
    NO_GRAD_NAME,
    GradEffect,
    grad_effect,
)
from .imports import ImportTable
from .nodes import dotted_name


def torch_context_effect(expr: cst.BaseExpression, imports: ImportTable) -> GradEffect | None:
    """The effect of torch's own ``no_grad()``/``inference_mode()``/... as ``with`` or ``@``."""
    call = expr if isinstance(expr, cst.Call) else None
    qualified = imports.resolve(call.func if call is not None else expr)
    entry = GRAD_MODE_FACTORIES.get(qualified) if qualified is not None else None
    if entry is None:
        return None
    return grad_effect(entry, call_args(call) if call is not None else None)


class GradScopes:
    """Recognises grad-mode scopes in one module."""

    def __init__(
        self,
        imports: ImportTable,
        extra_names: Collection[str] = (),
        local_function: Callable[[str], cst.FunctionDef | None] = lambda name: None,
    ) -> None:
        self.imports = imports
        self.extra_names = frozenset(extra_names)
        self._local_function = local_function
        self._local_effects: dict[int, bool] = {}
        self._returned_effects: dict[int, GradEffect | None] = {}

    def context_effect(self, expr: cst.BaseExpression) -> GradEffect | None:
        """The effect of ``with <expr>:`` or ``@<expr>``, None if it is not a grad-mode scope.
        A scope chosen at run time (``torch.no_grad() if frozen else nullcontext()``) has a
        DYNAMIC effect, as ``set_grad_enabled(flag)`` has, unless both arms agree."""
        if isinstance(expr, cst.IfExp):
            arms = {self.context_effect(expr.body), self.context_effect(expr.orelse)}
            if arms == {None}:
                return None
            return arms.pop() if len(arms) == 1 else GradEffect.DYNAMIC
        effect = torch_context_effect(expr, self.imports)
        if effect is not None:
            return effect
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = dotted_name(target)
        if name is None:
            return None
        head = name.split(".", 1)[0]
        # ``ctx.no_grad()`` on a local object is not evidence; a module's or an imported
        # function's name is.
        if "." in name and self.imports.resolve(target) is None:
            return None
        last = name.rsplit(".", 1)[-1]
        qualified = self.imports.resolve(target) or name
        if {name, last, qualified} & self.extra_names or NO_GRAD_NAME.search(last):
            return GradEffect.DISABLE
        local = self._local_function(head) if "." not in name else None
        if local is None:
            return None
        if self._disables_grad(local):
            return GradEffect.DISABLE
        if isinstance(expr, cst.Call):  # ``with inference_context():``
            return self._returned_effect(local)
        return None

    def setter_effect(self, call: cst.Call) -> GradEffect | None:
        """The effect of calling ``torch.set_grad_enabled(x)`` outside a ``with``, or of
        entering a grad-mode context by hand: ``torch.no_grad().__enter__()``, or
        ``stack.enter_context(torch.no_grad())`` on a ``contextlib.ExitStack`` (read as
        holding to the end of the function, not only of the stack's ``with`` block)."""
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "__enter__"
            and isinstance(func.value, cst.Call)
        ):
            return torch_context_effect(func.value, self.imports)
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == ENTER_CONTEXT_METHOD
            and len(call.args) == 1
            and call.args[0].keyword is None
            and not call.args[0].star
        ):
            return torch_context_effect(call.args[0].value, self.imports)
        qualified = self.imports.resolve(call.func)
        if qualified not in GRAD_MODE_SETTERS:
            return None
        return grad_effect(GRAD_MODE_SETTER_ARGUMENT, call_args(call))

    def _returned_effect(self, function: cst.FunctionDef) -> GradEffect | None:
        """The effect of the contexts ``function`` returns, where every ``return`` hands
        back a grad-mode scope as ``context_effect`` reads one (``torch.no_grad()``, or a
        choice of one at run time): a factory of the module for a grad-mode context."""
        key = id(function)
        if key not in self._returned_effects:
            self._returned_effects[key] = None  # while it is read: ``def f(): return f()``
            effects = {
                None if value is None else self.context_effect(value)
                for value in _own_returns(function)
            }
            if effects and None not in effects:
                self._returned_effects[key] = (
                    effects.pop() if len(effects) == 1 else GradEffect.DYNAMIC
                )
        return self._returned_effects[key]

    def _disables_grad(self, function: cst.FunctionDef) -> bool:
        known = self._local_effects.get(id(function))
        if known is None:
            known = self._local_effects[id(function)] = _wraps_in_no_grad(function, self.imports)
        return known


def _wraps_in_no_grad(function: cst.FunctionDef, imports: ImportTable) -> bool:
    """A decorator whose wrapper calls the wrapped function inside ``torch.no_grad()``, a
    ``torch.no_grad()(fn)`` decorator, or a context manager that yields inside one."""
    parameters = {p.name.value for p in _all_params(function)}
    for node in _descendants(function.body):
        if isinstance(node, cst.FunctionDef):
            parameters.update(p.name.value for p in _all_params(node))
        elif isinstance(node, cst.With):
            if any(
                torch_context_effect(item.item, imports) is GradEffect.DISABLE
                for item in node.items
            ):
                for inner in _descendants(node.body):
                    if isinstance(inner, (cst.Yield, cst.Await)):
                        return True
                    if isinstance(inner, cst.Call) and dotted_name(inner.func) in parameters:
                        return True
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Call)
            and torch_context_effect(node.func, imports) is GradEffect.DISABLE
        ):
            return True  # ``torch.no_grad()(fn)``
    return False


def _own_returns(function: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    """The values of ``function``'s own ``return`` statements (not of a function nested in
    it); nothing for a generator, whose call returns no context of torch's."""
    found: list[cst.BaseExpression | None] = []
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Yield, cst.Await)):
            return []
        if isinstance(node, cst.Return):
            found.append(node.value)
        if not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            stack.extend(node.children)
    return found


def _all_params(function: cst.FunctionDef) -> Iterator[cst.Param]:
    params = function.params
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
