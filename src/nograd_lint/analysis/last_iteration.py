"""An ``if`` that only the last iteration of a counting loop takes.

``for epoch in range(epochs): ... if epoch == epochs - 1: evaluate(model)`` evaluates once,
after the last training step: the eval mode it leaves never reaches a training step around
the loop's back edge (NG004); after the loop it is eval mode set before what follows, as
any other. A loop counts when it runs a plain name over ``range(stop)`` or
``range(start, stop)``, where ``stop`` is a number, a name, an attribute
(``args.epochs``) or an item under a key written out (``cfg["epochs"]``), or one of them plus one (``range(1, epochs + 1)``: the last counter is
``epochs``), and its body rebinds neither the counter nor the first name of ``stop``
and calls no method of that name's object; the flow adds that no ``global``/``nonlocal`` of
the module names either, and that ``range`` is the builtin. The test is the counter
compared with ``stop - 1`` (``==``, or ``>=``; a number one less than a literal stop), or
``counter + 1`` with ``stop`` (``==``, ``>=``), either way round, alone or as one operand
of an ``and``, or a name the body binds to such a test before reading it
(``is_last = epoch == epochs - 1``). ``self.epochs`` is a stop when the module sets it in ``__init__`` only (a
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
    #: Names the body binds to a last-iteration test before it reads them
    #: (``is_last = epoch == epochs - 1``, then ``if is_last:``).
    flags: frozenset[str] = frozenset()


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
        if not (isinstance(base, (cst.Name, cst.Attribute)) or _constant_lookup(base)):
            return None  # ``range(milestones[stage])``, ``range(len(x))``: may change
        names.add(_first_name(base))
    if None in names or _rebinds(node.body, names):
        return None
    root = _first_name(base) if not isinstance(base, (cst.Name, cst.Integer)) else None
    own = (
        base.attr.value
        if isinstance(base, cst.Attribute)
        and isinstance(base.value, cst.Name)
        and base.value.value == "self"
        else None
    )
    if root is not None and own is None and _calls_methods_of(node.body, root):
        return None  # ``cfg.update(epochs=...)``
    loop = CountingLoop(target.value, stop, frozenset(n for n in names if n is not None), own)
    flags = _flags(node.body, loop)
    return loop._replace(names=loop.names | flags, flags=flags) if flags else loop


def _flags(body: cst.BaseSuite, loop: CountingLoop) -> frozenset[str]:
    """Names a statement of the loop's body binds to a last-iteration test, which no other
    statement of the body binds and none before it reads: every read in the body sees
    this iteration's test."""
    if not isinstance(body, cst.IndentedBlock):
        return frozenset()
    found = set()
    statements = list(body.body)
    for index, statement in enumerate(statements):
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            continue
        assign = statement.body[0]
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and last_iteration_test(assign.value, loop)
        ):
            continue
        name = assign.targets[0].target.value
        others = statements[:index] + statements[index + 1 :]
        if name in loop.names or any(_rebinds(other, {name}) for other in others):
            continue
        if any(_mentions(other, name) for other in statements[:index]):
            continue
        found.add(name)
    return frozenset(found)


def _constant_lookup(node: cst.BaseExpression) -> bool:
    """``cfg["epochs"]``, ``config["train"]["epochs"]``: an item of a name's object under a
    key written out, which only a store on that object changes."""
    if not isinstance(node, cst.Subscript):
        return False
    if not (
        len(node.slice) == 1
        and isinstance(node.slice[0].slice, cst.Index)
        and isinstance(node.slice[0].slice.value, (cst.SimpleString, cst.Integer))
    ):
        return False
    inner = node.value
    return isinstance(inner, (cst.Name, cst.Attribute)) or _constant_lookup(inner)


class _Mention(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        self.found |= node.value == self.name


def _mentions(node: cst.CSTNode, name: str) -> bool:
    visitor = _Mention(name)
    node.visit(visitor)
    return visitor.found


def last_iteration_test(test: cst.BaseExpression, loop: CountingLoop) -> bool:
    """Whether ``test`` holds in the last iteration of ``loop`` only."""
    if isinstance(test, cst.BooleanOperation):
        return isinstance(test.operator, cst.And) and (
            last_iteration_test(test.left, loop) or last_iteration_test(test.right, loop)
        )
    if isinstance(test, cst.Name):
        return test.value in loop.flags
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
