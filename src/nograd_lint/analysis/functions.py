"""Functions, classes and call sites: what decides the grad mode a function body runs in.

A function whose every call site in the module runs with autograd disabled (directly, or
through callers that are themselves only called that way) or is followed by gradient code
that differentiates its result runs with autograd disabled, for the analysis. The
flow pass records call sites as it goes; :func:`resolve_entry_grad` settles them afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from ..ast_names import within_any
from .state import EvalPeriod, Grad


@dataclass(eq=False)
class CallSite:
    grad: Grad
    #: The function the call is in, when ``grad`` is that function's ``ENTRY`` mode.
    caller: FunctionInfo | None
    #: Parameter name -> the eval periods of the model passed to it, for eval-mode arguments.
    arguments: dict[str, frozenset[EvalPeriod]] = field(default_factory=dict)
    #: Gradient code follows the call in the same pass: the caller differentiates its result.
    feeds_gradients: bool = False
    #: The caller's eval state at the call, for a nested function that runs only where it
    #: is called (``FunctionInfo.closure_from_calls``).
    evals: dict[str, frozenset[EvalPeriod]] | None = None


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef | cst.Lambda
    #: Set when decorators, framework hooks or the enclosing code decide the grad mode;
    #: None when the call sites decide it.
    fixed_grad: Grad | None = None
    sites: list[CallSite] = field(default_factory=list)
    #: Passed around as a value (``map(f, xs)``, ``Thread(target=f)``): callers unknown.
    escapes: bool = False
    #: A nested function that its enclosing function only ever calls by name: its body
    #: sees the models in the modes they have at those calls, not where it was defined.
    closure_from_calls: bool = False
    resolved: Grad = Grad.ENABLED

    def entry_grad(self) -> Grad:
        return self.fixed_grad if self.fixed_grad is not None else Grad.ENTRY

    def parameters(self) -> list[str]:
        """Positional parameter names, in order."""
        params = self.node.params
        return [p.name.value for p in (*params.posonly_params, *params.params)]


class ParameterSource:
    """An eval-mode model handed to a parameter. It holds when the function has call sites
    in the module, is not passed around as a value, and every site passes a model whose eval
    period needs no gradients: ``net.eval(); test_net(net)`` makes ``net`` eval-mode inside
    ``test_net``, while a caller that backpropagates through the result keeps it silent."""

    grad_intent = False  # the callee's own gradient code marks its period directly
    prepared = False

    def __init__(self, info: FunctionInfo) -> None:
        self.info = info
        self._checking = False

    def trains(self, name: str) -> bool:
        return False  # the callee's own training steps mark its periods directly

    def holds(self, name: str) -> bool:
        info = self.info
        if self._checking or info.escapes or not info.sites or info.fixed_grad is Grad.ENABLED:
            return False  # recursion, unknown callers, or a framework entry point
        self._checking = True
        try:
            return all(
                name in site.arguments and any(p.is_wasteful() for p in site.arguments[name])
                for site in info.sites
            )
        finally:
            self._checking = False


def bound_arguments(
    callee: FunctionInfo, call: cst.Call, through_self: bool
) -> Iterator[tuple[str, cst.BaseExpression]]:
    """(parameter, argument) pairs of a call, as far as they are plain to see: positional
    arguments before any ``*args`` and keyword arguments. ``through_self`` drops ``self``."""
    names = callee.parameters()
    if through_self:
        names = names[1:]
    position = 0
    for arg in call.args:
        if arg.star:
            if arg.star == "*":
                position = len(names)  # the positions after a ``*args`` are unknown
            continue
        if arg.keyword is not None:
            yield arg.keyword.value, arg.value
        elif position < len(names):
            yield names[position], arg.value
            position += 1


@dataclass(eq=False)
class ClassInfo:
    """Facts gathered from every method of a class, for class-wide eval state."""

    node: cst.ClassDef
    lightning: bool = False
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    eval_attrs: set[str] = field(default_factory=set)
    #: The first eval call seen for each of ``eval_attrs``, to show users where it is.
    eval_origins: dict[str, EvalPeriod] = field(default_factory=dict)
    trained_attrs: set[str] = field(default_factory=set)
    frozen_attrs: set[str] = field(default_factory=set)
    trains_itself: bool = False

    def is_eval(self, attr: str) -> bool:
        """``self.<attr>`` put in eval mode somewhere and never back in train mode."""
        if self.trains_itself or within_any(attr, self.trained_attrs):
            return False
        return attr in self.eval_attrs

    def is_frozen(self, attr: str) -> bool:
        return within_any(attr, self.frozen_attrs)


def _protected(site: CallSite) -> bool:
    if site.grad in (Grad.DISABLED, Grad.MAYBE) or site.feeds_gradients:
        return True
    return (
        site.grad is Grad.ENTRY
        and site.caller is not None
        and site.caller.resolved in (Grad.DISABLED, Grad.MAYBE)
    )


def resolve_entry_grad(functions: list[FunctionInfo]) -> None:
    """Greatest fixpoint: start from "disabled" for every function with only known call
    sites, and switch to "enabled" any that has one unprotected site, until nothing moves."""
    open_ = []
    for info in functions:
        if info.fixed_grad is not None:
            info.resolved = info.fixed_grad
        elif info.sites and not info.escapes:
            info.resolved = Grad.DISABLED
            open_.append(info)
        else:
            info.resolved = Grad.ENABLED
    # A worklist, not sweeps until nothing moves: a function switching to "enabled" can only
    # unprotect the functions it calls, and sweeping made a chain of n functions cost n^2.
    callees: dict[int, list[FunctionInfo]] = {}
    for info in open_:
        for site in info.sites:
            if site.caller is not None:
                callees.setdefault(id(site.caller), []).append(info)
    work = list(open_)
    while work:
        info = work.pop()
        if info.resolved is Grad.DISABLED and not all(_protected(site) for site in info.sites):
            info.resolved = Grad.ENABLED
            work.extend(callees.get(id(info), ()))


class Scope:
    """Function definitions visible by name: the module's, or a function's nested ones."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}

    def lookup(self, name: str) -> FunctionInfo | None:
        return self._find("functions", name)

    def lookup_class(self, name: str) -> ClassInfo | None:
        return self._find("classes", name)

    def _find(self, table: str, name: str):
        scope: Scope | None = self
        while scope is not None:
            found = getattr(scope, table).get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None


def runs_only_where_called(parent: cst.FunctionDef, name: str, binding: cst.CSTNode) -> bool:
    """Whether the function that ``binding`` binds to ``name`` inside ``parent`` (its
    ``def``, or the target ``f`` of ``f = lambda ...``) runs only at calls of ``name`` in
    ``parent``'s own code: every other mention of the name (passed, returned, stored,
    rebound, read by another nested function or class, or by itself) lets it run
    elsewhere, at a moment the flow cannot place."""
    stack: list[cst.CSTNode] = [parent.body]
    while stack:
        node = stack.pop()
        if node is binding:
            if isinstance(node, cst.FunctionDef):
                stack.extend((*node.decorators, node.params))  # they run here
            continue
        if isinstance(node, cst.Name):
            if node.value == name:
                return False  # not the callee of a call: handled below
            continue
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            stack.extend(node.args)  # ``name(...)``: a call where it stands
            continue
        if isinstance(node, cst.Attribute):
            stack.append(node.value)  # ``.name`` of ``x.name`` is no mention of it
            continue
        if isinstance(node, cst.Arg):
            stack.append(node.value)  # nor is a keyword ``name=``
            continue
        stack.extend(node.children)
    return True
