"""Functions, classes and call sites: what decides the grad mode a function body runs in.

A function whose every call site in the module runs with autograd disabled (directly, or
through callers that are themselves only called that way) or is followed by gradient code
that differentiates its result runs with autograd disabled, for the analysis. The
flow pass records call sites as it goes; :func:`.entry_grad.resolve_entry_grad` settles them
afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from ..ast_names import within_any
from .entry_grad import CalledFunction, Grad
from .nodes import child_nodes
from .state import EvalPeriod


class FunctionInfo(CalledFunction):
    """A function of the module: its node, and what decides its grad mode."""

    def __init__(self, node: cst.FunctionDef | cst.Lambda, fixed_grad: Grad | None = None) -> None:
        super().__init__(fixed_grad)
        self.node = node

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


def only_called_closures(parent: cst.FunctionDef) -> frozenset[str]:
    """The names of the functions ``parent``'s own code defines (a ``def``, or ``f = lambda
    ...``) that run only where ``parent``'s own code calls them by name, so that the flow
    can give each body the state at those calls. Any other mention of the name lets it run
    at a moment the flow cannot place: passed, returned, stored, rebound, decorated (a
    decorator may register it), called from another nested function, a lambda, a class
    body or a generator expression, or by itself. A generator or ``async`` function does
    not run its body at the call either. One walk of ``parent`` answers for every name."""
    bindings: dict[str, int] = {}
    excluded: set[str] = set()
    #: (node, inside a nested scope, the own-code ``def`` whose body it is in).
    stack: list[tuple[cst.CSTNode, bool, str | None]] = [(parent.body, False, None)]
    while stack:
        node, nested, owner = stack.pop()
        # ``type(node) is``: ``isinstance`` would go through ``ABCMeta``.
        if type(node) is cst.Name:
            excluded.add(node.value)  # a mention that is not a call in our own code
        elif type(node) is cst.Call and type(node.func) is cst.Name:
            if nested:
                excluded.add(node.func.value)
            stack.extend((arg, nested, owner) for arg in node.args)
        elif type(node) is cst.Attribute:
            stack.append((node.value, nested, owner))  # ``.f`` of ``x.f`` names nothing here
        elif type(node) is cst.Arg:
            stack.append((node.value, nested, owner))  # nor does a keyword ``f=``
        elif type(node) in _SUSPENDING and owner is not None:
            excluded.add(owner)  # a generator's body does not run at the call
            stack.extend((child, nested, owner) for child in child_nodes(node, names=True))
        elif type(node) is cst.FunctionDef and not nested:
            name = node.name.value
            bindings[name] = bindings.get(name, 0) + 1
            if node.decorators or node.asynchronous is not None:
                excluded.add(name)
            stack.extend((child, False, owner) for child in (*node.decorators, node.params))
            stack.append((node.body, True, name))
        elif type(node) is cst.Assign and not nested and (bound := lambda_binding(node)):
            bindings[bound] = bindings.get(bound, 0) + 1
            stack.append((node.value, True, bound))
        else:
            inner = nested or type(node) in _SCOPES_RUN_LATER
            stack.extend((child, inner, owner) for child in child_nodes(node, names=True))
    return frozenset(name for name, count in bindings.items() if count == 1) - excluded


#: Nodes that make the function around them a generator or a coroutine.
_SUSPENDING = frozenset({cst.Yield, cst.Await})
#: Nodes whose code does not run where they stand (or runs in a scope of its own).
_SCOPES_RUN_LATER = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.GeneratorExp})


def lambda_binding(node: cst.Assign) -> str | None:
    """``f`` of ``f = lambda ...``: one plain name bound to a lambda; None otherwise."""
    target = node.targets[0].target if len(node.targets) == 1 else None
    if isinstance(target, cst.Name) and isinstance(node.value, cst.Lambda):
        return target.value
    return None
