"""The branches of a function that a call's constant arguments decide (NG004).

A summary reads a function's calls in order, without branches. A function that trains or
validates by a flag, ``run_epoch(model, loader, train=False)`` with ``if train:
model.train()`` / ``else: model.eval()``, would read as ending in eval mode whichever arm
runs, and ``if not train: model.eval()`` as putting the model in eval mode even in the
call that trains. Where a call gives such a parameter a literal (``train=False``,
``phase="val"``), or leaves it to a literal default, only the arm that the value takes is
read: the summary of ``run_epoch`` is then one per set of such values.

A parameter counts when the function tests it in an ``if`` (or a conditional expression)
and never binds it again; the tests read are the parameter itself, ``not`` it, a comparison
of it with a literal (``==``, ``!=``, ``is``, ``is not``, ``in`` a tuple of literals), and
``and``/``or`` of those. Any other test leaves both arms read.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Union

from ..ast_names import OWN_SCOPES
from .receiver_names import method_self_of

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]

#: The parameters a call decides, with their values: part of a summary's key.
Fixed = frozenset[tuple[str, object]]
NOTHING_FIXED: Fixed = frozenset()

_COMPARISONS: dict[type, Callable[[object, object], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def constant_arguments(
    callee: FunctionNode, owner: str | None, call: ast.Call, tested: frozenset[str]
) -> Fixed:
    """The parameters of ``callee`` among ``tested`` (``branching_parameters``) that ``call``
    gives a literal (or leaves to a literal default), with their values; none where the
    call's arguments cannot be matched to parameters (``*args``, ``**options``)."""
    if not tested:
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
    fixed = []
    for name in tested:
        value = given.get(name, defaults.get(name))
        if isinstance(value, ast.Constant):
            fixed.append((name, value.value))
    return frozenset(fixed)


def branching_parameters(node: FunctionNode) -> frozenset[str]:
    """The parameters the function's own ``if`` tests read and nothing binds again."""
    arguments = node.args
    parameters = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    tested: set[str] = set()
    bound: set[str] = set()
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.If, ast.IfExp)):
            tested.update(
                n.id
                for n in ast.walk(current.test)
                if isinstance(n, ast.Name) and n.id in parameters
            )
        elif isinstance(current, ast.Name) and not isinstance(current.ctx, ast.Load):
            bound.add(current.id)
        elif isinstance(current, (ast.Global, ast.Nonlocal)):
            bound.update(current.names)
        if isinstance(current, OWN_SCOPES):
            # A nested function may rebind the parameter (``nonlocal train``).
            bound.update(
                name
                for inner in ast.walk(current)
                if isinstance(inner, ast.Nonlocal)
                for name in inner.names
            )
            continue
        stack.extend(ast.iter_child_nodes(current))
    return frozenset(tested - bound)


def decider(fixed: Fixed) -> Callable[[ast.expr], bool | None] | None:
    """For a summary read with ``fixed``: the arm a test takes (None: not decided)."""
    if not fixed:
        return None
    values = dict(fixed)
    return lambda test: _truth(test, values)


_UNKNOWN = object()


def _value(node: ast.expr, values: dict[str, object]) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values.get(node.id, _UNKNOWN)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        elements = [_value(e, values) for e in node.elts]
        return _UNKNOWN if _UNKNOWN in elements else tuple(elements)
    return _UNKNOWN


def _truth(test: ast.expr, values: dict[str, object]) -> bool | None:
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
        left, right = _value(test.left, values), _value(test.comparators[0], values)
        if left is _UNKNOWN or right is _UNKNOWN:
            return None
        op = type(test.ops[0])
        try:
            if op in (ast.In, ast.NotIn):
                found = isinstance(right, tuple) and left in right
                return found if op is ast.In else not found
            compare = _COMPARISONS.get(op)
            return None if compare is None else bool(compare(left, right))
        except Exception:  # a comparison of literals that raises decides nothing
            return None
    if isinstance(test, ast.Name):
        value = values.get(test.id, _UNKNOWN)
        return None if value is _UNKNOWN else bool(value)
    return None
