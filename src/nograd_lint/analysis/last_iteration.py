"""An ``if`` that only the last iteration of a counting loop takes.

``for epoch in range(epochs): ... if epoch == epochs - 1: evaluate(model)`` evaluates once,
after the last training step: the eval mode it leaves never reaches a training step around
the loop's back edge (NG004); after the loop it is eval mode set before what follows, as
any other. A loop counts when it runs a plain name over ``range(stop)`` or
``range(start, stop)``, where ``stop`` is a number, a name or an attribute
(``args.epochs``), or one of them plus one (``range(1, epochs + 1)``: the last counter is
``epochs``), and its body rebinds neither the counter nor the first name of ``stop``
and calls no method of that name's object; the flow adds that no ``global``/``nonlocal`` of
the module names either, and that ``range`` is the builtin. The test is the counter
compared with ``stop - 1`` (``==``, or ``>=``; a number one less than a literal stop), or
``counter + 1`` with ``stop`` (``==``, ``>=``), either way round, alone or as one operand
of an ``and``. ``self.epochs`` is a stop when the module sets it in ``__init__`` only (a
trainer's loop calls its own methods, which may not change it then).
"""

from __future__ import annotations

from typing import NamedTuple

import libcst as cst

from ..ast_names import ATTRIBUTES_BY_NAME

__all__ = ["CountingLoop", "counting_loop", "last_iteration_test"]


class CountingLoop(NamedTuple):
    counter: str
    stop: cst.BaseExpression
    #: The counter, and the name the stop reads (the first of a dotted one).
    names: frozenset[str] = frozenset()
    #: ``epochs`` of ``self.epochs``: the module's methods must set it only in ``__init__``.
    self_attribute: str | None = None


def counting_loop(node: cst.For) -> CountingLoop | None:
    """The counter and the stop of ``for counter in range([start, ]stop)``."""
    target, iterator = node.target, node.iter
    if not (
        isinstance(target, cst.Name)
        and isinstance(iterator, cst.Call)
        and isinstance(iterator.func, cst.Name)
        and iterator.func.value == "range"
        and len(iterator.args) in (1, 2)
        and all(arg.keyword is None and not arg.star for arg in iterator.args)
    ):
        return None
    stop = _bare(iterator.args[-1].value)
    base = _less_one(stop) or stop
    names: set[str | None] = {target.value}
    if not isinstance(base, cst.Integer):
        if not isinstance(base, (cst.Name, cst.Attribute)):
            return None  # ``range(milestones[stage])``, ``range(len(x))``: may change
        names.add(_first_name(base))
    if None in names or _rebinds(node.body, names):
        return None
    root = _first_name(base) if isinstance(base, cst.Attribute) else None
    own = (
        base.attr.value
        if isinstance(base, cst.Attribute)
        and isinstance(base.value, cst.Name)
        and base.value.value == "self"
        else None
    )
    if root is not None and own is None and _calls_methods_of(node.body, root):
        return None  # ``cfg.update(epochs=...)``
    return CountingLoop(target.value, stop, frozenset(n for n in names if n is not None), own)


def last_iteration_test(test: cst.BaseExpression, loop: CountingLoop) -> bool:
    """Whether ``test`` holds in the last iteration of ``loop`` only."""
    if isinstance(test, cst.BooleanOperation):
        return isinstance(test.operator, cst.And) and (
            last_iteration_test(test.left, loop) or last_iteration_test(test.right, loop)
        )
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    left, target = test.left, test.comparisons[0]
    right, operator = target.comparator, target.operator
    if isinstance(operator, cst.Equal):
        return any(
            (_is_counter(a, loop) and _is_stop_less_one(b, loop))
            or (_is_counter_plus_one(a, loop) and _is_stop(b, loop))
            for a, b in ((left, right), (right, left))
        )
    if isinstance(operator, cst.LessThanEqual):
        left, right = right, left
    elif not isinstance(operator, cst.GreaterThanEqual):
        return False
    return (_is_counter(left, loop) and _is_stop_less_one(right, loop)) or (
        _is_counter_plus_one(left, loop) and _is_stop(right, loop)
    )


def _is_counter(node: cst.BaseExpression, loop: CountingLoop) -> bool:
    return isinstance(node, cst.Name) and node.value == loop.counter


def _is_stop(node: cst.BaseExpression, loop: CountingLoop) -> bool:
    return _bare(node).deep_equals(_bare(loop.stop))


def _less_one(stop: cst.BaseExpression) -> cst.BaseExpression | None:
    """``X`` of a stop written ``X + 1``."""
    if (
        isinstance(stop, cst.BinaryOperation)
        and isinstance(stop.operator, cst.Add)
        and _is_one(stop.right)
    ):
        return _bare(stop.left)
    return None


def _is_stop_less_one(node: cst.BaseExpression, loop: CountingLoop) -> bool:
    stop = _bare(loop.stop)
    less_one = _less_one(stop)
    if less_one is not None and _bare(node).deep_equals(less_one):  # ``range(1, n + 1)``, n
        return True
    if isinstance(stop, cst.Integer) and isinstance(node, cst.Integer):  # ``range(10)``, 9
        return node.evaluated_value == stop.evaluated_value - 1
    return (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, cst.Subtract)
        and _is_one(node.right)
        and _is_stop(node.left, loop)
    )


def _is_counter_plus_one(node: cst.BaseExpression, loop: CountingLoop) -> bool:
    return (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, cst.Add)
        and (
            (_is_counter(node.left, loop) and _is_one(node.right))
            or (_is_one(node.left) and _is_counter(node.right, loop))
        )
    )


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "1"


def _bare(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` without the parentheses around it, which do not change its value."""
    return node.with_changes(lpar=(), rpar=()) if getattr(node, "lpar", ()) else node


def _first_name(node: cst.BaseExpression) -> str | None:
    """``args`` of ``args.epochs``, ``epochs`` of ``epochs``; None for anything else (a
    call may give another value each time)."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


class _Rebinding(cst.CSTVisitor):
    def __init__(self, names: set[str | None]) -> None:
        self.names = names
        self.found = False

    def _target(self, node: cst.CSTNode) -> None:
        for name in _names_in(node):
            self.found |= name in self.names

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._target(node.name)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._target(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._target(node.name)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._target(node.rest)

    def visit_Global(self, node: cst.Global) -> None:
        self.found |= any(item.name.value in self.names for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.found |= any(item.name.value in self.names for item in node.names)


def _names_in(node: cst.CSTNode) -> list[str]:
    """The plain names a target binds; for an attribute or item store, the object's name
    (``args.epochs = 3`` rebinds what ``args.epochs`` reads)."""
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [name for element in node.elements for name in _names_in(element.value)]
    if isinstance(node, cst.StarredElement):
        return _names_in(node.value)
    first = _first_name(node) if isinstance(node, cst.BaseExpression) else None
    return [first] if first is not None else []


class _MethodCalls(cst.CSTVisitor):
    def __init__(self, root: str) -> None:
        self.root = root
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and _first_name(func.value) == self.root:
            self.found = True
        if isinstance(func, cst.Name) and func.value in ATTRIBUTES_BY_NAME:
            self.found = True


def _calls_methods_of(body: cst.CSTNode, root: str) -> bool:
    """A method of the stop's object called in the loop (``cfg.update(...)``), or
    ``setattr`` (``ast_names.ATTRIBUTES_BY_NAME``): either may change the stop."""
    visitor = _MethodCalls(root)
    body.visit(visitor)
    return visitor.found


def _rebinds(body: cst.CSTNode, names: set[str | None]) -> bool:
    visitor = _Rebinding(names)
    body.visit(visitor)
    return visitor.found
