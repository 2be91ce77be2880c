"""Forward calls that gradient code later in the same pass surely excuses, for the screen.

The analysis excuses every forward call made in an eval period in which gradient code runs
(``state.EvalPeriod``, ``FlowState.mark_grad_intent``): in a training step
``out = model(x); loss = ...; loss.backward()`` the backward pass marks the period that
reached ``model(x)``. The screen proves that on the stdlib ``ast`` tree, conservatively:
a forward call ``F`` is excused when a gradient call ``G`` (``.backward()``, ``.zero_grad()``,
``optimizer.step()``) follows it in the same function, inside every loop that ``F`` is in
(so ``G`` runs in the same pass over each loop body: ``flow._loop`` forgets a forward call
made under a carried period when the loop ends), and nothing between the end of ``F`` and
the end of ``G`` can end the period or leave the path: no ``return``/``raise``/``break``/
``continue``, no rebinding or ``del`` of a name the callee is made of, no ``train()``/
``eval()`` on it. Calls in lambdas, comprehensions and class bodies are never excused here
and gradient code there never excuses.
"""

from __future__ import annotations

import ast
import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .analysis.catalog import GRAD_INTENT_METHODS, looks_like_optimizer
from .ast_names import (
    FUNCTIONS,
    LEAVES,
    NAMED_BINDINGS,
    NESTED_SCOPES,
    Key,
    dotted_name,
    key_of,
    keys_in,
    nodes_in,
)

#: (line, column): where something happens, comparable in source order.
Position = tuple[int, int]

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_EXITS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
#: Fields whose calls the analysis does not scan in the flow (or scans at definition time):
#: gradient code there excuses nothing.
_UNSCANNED_FIELDS = {
    (ast.Delete, "targets"),
    (ast.AugAssign, "target"),
    (ast.AnnAssign, "annotation"),
    (ast.For, "target"),
    (ast.AsyncFor, "target"),
    (ast.withitem, "optional_vars"),
}


def _end(node: ast.AST) -> Position:
    return (node.end_lineno or 0, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _start(node: ast.AST) -> Position:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def shows_grad_intent(call: ast.Call) -> bool:
    """A subset of ``analysis.intent.shows_grad_intent``: ``loss.backward()``,
    ``accelerator.backward(loss)``, ``optimizer.zero_grad()``, ``optimizer.step()``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in GRAD_INTENT_METHODS:
        return True
    receiver = dotted_name(func.value) if func.attr == "step" else None
    return receiver is not None and looks_like_optimizer(receiver)


class _Guard(NamedTuple):
    """An ``if`` branch or loop body around an exit: the path can go around it there."""

    node: int
    start: Position
    end: Position
    branch: int | None  # 0: ``if`` body, 1: its ``else``; None: a loop body


class _Context:
    """Where a node runs in its function: the loops and branches around it, and whether it
    is in a lambda, comprehension or class body."""

    __slots__ = ("guards", "loops", "opaque")

    def __init__(self, loops: frozenset[int], opaque: bool, guards: tuple[_Guard, ...]) -> None:
        self.loops, self.opaque, self.guards = loops, opaque, guards

    def opaque_copy(self) -> _Context:
        return self if self.opaque else _Context(self.loops, True, self.guards)

    def guarded(self, node: ast.stmt, branch: int | None) -> _Context:
        guard = _Guard(id(node), _start(node), _end(node), branch)
        loops = self.loops | {id(node)} if branch is None else self.loops
        return _Context(loops, self.opaque, (*self.guards, guard))


class _Exit(NamedTuple):
    at: Position
    leaves_loop: bool  # ``break``/``continue``: only the innermost loop
    guards: tuple[_Guard, ...]


class _Timeline:
    """Gradient calls, exits and period-ending events of one function's own code (or the
    module's), in source order; nested functions' bodies run elsewhere and are skipped."""

    def __init__(self, function: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.contexts: dict[int, _Context] = {}
        #: Where its gradient calls start and end, and the loops around each.
        self.intents: list[tuple[Position, Position, frozenset[int]]] = []
        self.exits: list[_Exit] = []
        #: ``if`` branches (node id, 0 or 1) that hold an exit somewhere.
        self.exiting_branches: set[tuple[int, int]] = set()
        self.kills: dict[Key, list[Position]] = defaultdict(list)
        top = _Context(frozenset(), False, ())
        stack: list[tuple[ast.AST, _Context]] = [(statement, top) for statement in function.body]
        while stack:
            node, context = stack.pop()
            if type(node) is ast.Name:  # the commonest node: only a store or ``del`` matters
                if type(node.ctx) is not ast.Load:
                    self._kill([key_of(node)], _start(node))
                continue
            self._note(node, context)
            stack.extend(item for item in _children(node, context) if type(item[0]) not in LEAVES)
        for positions in self.kills.values():
            positions.sort()
        self.exits.sort(key=lambda exit: exit.at)
        self.exit_positions = [exit.at for exit in self.exits]
        self.intents.sort(key=lambda intent: intent[1])

    def _note(self, node: ast.AST, context: _Context) -> None:
        if isinstance(node, ast.Call):
            self.contexts[id(node)] = context
            if not context.opaque and shows_grad_intent(node):
                self.intents.append((_start(node), _end(node), context.loops))
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("train", "eval"):
                self._kill(keys_in(node.func.value), _end(node))
        elif isinstance(node, _EXITS):
            leaves_loop = isinstance(node, (ast.Break, ast.Continue))
            self.exits.append(_Exit(_end(node), leaves_loop, context.guards))
            self.exiting_branches.update(
                (g.node, g.branch) for g in context.guards if g.branch is not None
            )
        # A binding happens after the value it binds is computed: ``model = model(x)``.
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            self._kill(_stored_keys(targets), _end(node))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._kill(_stored_keys([node.target]), _end(node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._kill(_stored_keys([node.optional_vars]), _end(node.context_expr))
        elif isinstance(node, ast.NamedExpr):
            self._kill(_stored_keys([node.target]), _end(node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ((alias.asname or alias.name).split(".")[0] for alias in node.names)
            self._kill((("name", name) for name in names), _start(node))
        elif isinstance(node, (*FUNCTIONS, ast.ClassDef)) or (
            isinstance(node, NAMED_BINDINGS) and node.name
        ):
            self._kill([("name", node.name)], _start(node))
        elif isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
            self._kill([key_of(node)], _start(node))  # ``del``, and any store missed above

    def _kill(self, keys: Iterable[Key | None], at: Position) -> None:
        for key in keys:
            if key is not None:
                self.kills[key].append(at)

    def excuses(self, call: ast.Call) -> bool:
        """True when gradient code surely marks every period in which ``call`` runs."""
        context = self.contexts.get(id(call))
        if context is None or context.opaque:
            return False
        after = _end(call)
        for start, end, loops in self.intents:
            if end > after and context.loops <= loops:
                # The nearest such call has the shortest path; a later one only a longer one.
                return not any(
                    _any_between(self.kills.get(key, []), after, end) for key in keys_in(call.func)
                ) and all(
                    self._bypassed(exit, after, start)
                    for exit in self.exits[
                        bisect.bisect_left(self.exit_positions, after) : bisect.bisect_right(
                            self.exit_positions, end
                        )
                    ]
                )
        return False

    def _bypassed(self, exit: _Exit, after: Position, before: Position) -> bool:
        """An exit between the two calls that the path between them can go around: one in
        an ``if`` branch, wholly between them, whose other branch exits nowhere (or that has
        no ``else``), or a ``break``/``continue`` of a loop wholly between them."""
        loop_guards = [g for g in exit.guards if g.branch is None]
        if (
            exit.leaves_loop
            and loop_guards
            and after < loop_guards[-1].start
            and loop_guards[-1].end < before
        ):
            return True
        return any(
            g.branch is not None
            and after < g.start
            and g.end < before
            and (g.node, 1 - g.branch) not in self.exiting_branches
            for g in exit.guards
        )


def _any_between(positions: list[Position], start: Position, end: Position) -> bool:
    """Any position in [start, end]: a binding or ``return`` ending where the call ends
    (``model = model(x)``, ``return model(x)``) happens after it."""
    index = bisect.bisect_left(positions, start)
    return index < len(positions) and positions[index] <= end


def _stored_keys(targets: Iterable[ast.AST]) -> Iterator[Key | None]:
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
                yield key_of(node)


def _children(node: ast.AST, context: _Context) -> Iterator[tuple[ast.AST, _Context]]:
    if isinstance(node, FUNCTIONS):  # its body is another function's timeline
        for field, value in ast.iter_fields(node):
            if field != "body":
                yield from _nodes(value, context.opaque_copy())
    elif isinstance(node, NESTED_SCOPES):
        for child in ast.iter_child_nodes(node):
            yield child, context.opaque_copy()
    elif isinstance(node, _LOOPS):
        body = context.guarded(node, None)
        for field, value in ast.iter_fields(node):
            if (type(node), field) in _UNSCANNED_FIELDS:
                yield from _nodes(value, context.opaque_copy())
            else:  # ``for``'s iterable is evaluated once, before the loop; ``else`` runs after it
                before_or_after = field == "orelse" or (
                    field == "iter" and not isinstance(node, ast.While)
                )
                yield from _nodes(value, context if before_or_after else body)
    elif isinstance(node, ast.If):
        yield node.test, context
        yield from _nodes(node.body, context.guarded(node, 0))
        yield from _nodes(node.orelse, context.guarded(node, 1))
    else:
        for field, value in ast.iter_fields(node):
            unscanned = (type(node), field) in _UNSCANNED_FIELDS
            yield from _nodes(value, context.opaque_copy() if unscanned else context)


def _nodes(value: object, context: _Context) -> Iterator[tuple[ast.AST, _Context]]:
    return ((child, context) for child in nodes_in(value))


def excused_calls(
    function: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef, calls: list[ast.Call]
) -> set[int]:
    """The ids of those ``calls``, made in ``function``'s own code, whose eval periods
    gradient code surely marks."""
    timeline = _Timeline(function)
    return {id(call) for call in calls if timeline.excuses(call)}
