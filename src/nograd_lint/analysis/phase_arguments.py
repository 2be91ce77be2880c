"""The branches of a function that a call's literal arguments decide (NG004).

A summary reads a function's calls in order, without branches. A function that trains or
validates by a flag, ``run_epoch(model, loader, train=False)`` with ``if train:
model.train()`` / ``else: model.eval()``, would read as ending in eval mode whichever arm
runs, and ``if not train: model.eval()`` as putting the model in eval mode even in the
call that trains. Where a call gives such a parameter a literal (``train=False``,
``phase="val"``), or leaves it to a literal default, only the arm that the value takes is
read.

A parameter counts when the function tests it in an ``if`` (or a conditional expression)
and nothing in the function binds it again; the tests read are the parameter itself,
``not`` it, a comparison of it with a literal (``==``, ``!=``, ``in`` a tuple or a string;
``is``/``is not`` only with ``None``, ``True`` or ``False``, whose identity is certain),
and ``and``/``or`` of those. Any other test leaves both arms read.

A summary is kept per set of *decisions* (which arm each such test takes), not per set of
values: ``evaluate(model, loader, 10)`` and ``evaluate(model, loader, 20)`` share one
summary where no test tells them apart, and ``1`` is never taken for ``True`` (equal and
hashed alike, they differ under ``is``).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import NamedTuple, Optional

from ..ast_names import OWN_SCOPES, binds_name
from .class_hierarchy import FunctionNode
from .receiver_names import method_self_of

#: The arm each of a function's ``Branching.tests`` takes (None: not decided): part of a
#: summary's key; empty when a call decides none.
Fixed = tuple[Optional[bool], ...]
NOTHING_FIXED: Fixed = ()


class Branching(NamedTuple):
    """What of a function a call's literals may decide."""

    #: The parameters its branches test and nothing binds again.
    parameters: frozenset[str]
    #: The tests of its ``if`` statements and conditional expressions that read one of
    #: them, in a fixed order (the order of ``Fixed``).
    tests: tuple[ast.expr, ...]


NO_BRANCHING = Branching(frozenset(), ())


def branching(node: FunctionNode) -> Branching:
    """The parameters a call's literals may fix in ``node``, and the tests they decide."""
    arguments = node.args
    parameters = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    tests: list[ast.expr] = []
    bound: set[str] = set()
    stack: list[ast.AST] = list(reversed(node.body))
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.If, ast.IfExp)):
            tests.append(current.test)
        bound.update(name for name in parameters if binds_name(current, name))
        if isinstance(current, OWN_SCOPES):
            # A nested function may rebind it (``nonlocal train``); its own tests run later.
            bound.update(
                name
                for inner in ast.walk(current)
                if isinstance(inner, ast.Nonlocal)
                for name in inner.names
            )
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
    fixable = parameters - bound
    read: list[ast.expr] = []
    tested: set[str] = set()
    for test in tests:
        names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)} & fixable
        if names:
            read.append(test)
            tested |= names
    if not read:
        return NO_BRANCHING
    return Branching(frozenset(tested), tuple(read))


def fixed_by(callee: FunctionNode, owner: str | None, call: ast.Call, found: Branching) -> Fixed:
    """The arm each test of ``found`` takes when ``call`` runs ``callee``, from the literals
    it gives (or leaves to a literal default); nothing where the call's arguments cannot
    be matched to parameters (``*args``, ``**options``)."""
    if not found.tests:
        return NOTHING_FIXED
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return NOTHING_FIXED
    arguments = callee.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if method_self_of(callee, owner) is not None and isinstance(call.func, ast.Attribute):
        positional = positional[1:]  # ``self.run_epoch(...)``, ``trainer.run_epoch(...)``
    defaults: dict[str, ast.expr] = dict(
        zip(
            [a.arg for a in positional[len(positional) - len(arguments.defaults) :]],
            arguments.defaults,
        )
    )
    defaults.update(
        (a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None
    )
    given: dict[str, ast.expr] = {a.arg: v for a, v in zip(positional, call.args)}
    given.update((k.arg, k.value) for k in call.keywords if k.arg is not None)
    values: dict[str, object] = {}
    for name in found.parameters:
        value = given.get(name, defaults.get(name))
        if isinstance(value, ast.Constant):
            values[name] = value.value
    if not values:
        return NOTHING_FIXED
    decided = tuple(_truth(test, values) for test in found.tests)
    return decided if any(d is not None for d in decided) else NOTHING_FIXED


def decider(found: Branching, fixed: Fixed) -> Callable[[ast.expr], bool | None] | None:
    """For a summary read with ``fixed``: the arm a test takes (None: not decided)."""
    if not fixed:
        return None
    arms = {id(test): arm for test, arm in zip(found.tests, fixed)}
    return lambda test: arms.get(id(test))


_UNKNOWN = object()
#: The literals whose identity Python guarantees: ``is`` compares them exactly.
_SINGLETONS = (type(None), bool, type(...))


def _value(node: ast.expr, values: dict[str, object]) -> object:
    """A literal's value, or a fixed parameter's; ``_UNKNOWN`` for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values.get(node.id, _UNKNOWN)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        elements = [_value(e, values) for e in node.elts]
        return _UNKNOWN if any(e is _UNKNOWN for e in elements) else tuple(elements)
    return _UNKNOWN


def _truth(test: ast.expr, values: dict[str, object]) -> bool | None:
    """Whether ``test`` holds with the parameters at ``values``; None where that depends
    on anything else."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _truth(test.operand, values)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        results = [_truth(v, values) for v in test.values]
        stop = isinstance(test.op, ast.Or)  # the value that decides ``or`` (``and``: False)
        if stop in results:
            return stop
        return None if None in results else not stop
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _compared(
            test.ops[0], _value(test.left, values), _value(test.comparators[0], values)
        )
    if isinstance(test, ast.Name):
        value = values.get(test.id, _UNKNOWN)
        return None if value is _UNKNOWN else bool(value)
    return None


def _compared(op: ast.cmpop, left: object, right: object) -> bool | None:
    if left is _UNKNOWN or right is _UNKNOWN:
        return None
    if isinstance(op, (ast.In, ast.NotIn)):
        if isinstance(right, tuple) or (isinstance(right, str) and isinstance(left, str)):
            found = left in right
            return found if isinstance(op, ast.In) else not found
        return None
    if isinstance(op, (ast.Is, ast.IsNot)):
        if not (isinstance(left, _SINGLETONS) or isinstance(right, _SINGLETONS)):
            return None  # ``phase is "train"``: identity of strings is the interpreter's
        same = left is right
        return same if isinstance(op, ast.Is) else not same
    compare = _EQUALITIES.get(type(op))
    if compare is None:
        return None
    try:
        return bool(compare(left, right))
    except Exception:  # a comparison of literals that raises decides nothing
        return None


_EQUALITIES: dict[type, Callable[[object, object], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
