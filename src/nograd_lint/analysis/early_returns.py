"""Returns that leave a function before the ``train()`` it ends with, and the copies
that replace what a name holds from some point on (NG004).

``ModeSummaries`` reads a function's calls in order, without branches: the last mode setter
decides the mode it leaves a model in. A validation helper that restores the mode at its end
(``model.train(was_training)``) but returns early on some path (``if total < limit: return
total``, ``if not is_main_process(): return``) leaves the model in eval mode there; the
summary asks this module whether such a return sits between the ``eval()`` and the
``train()``, and whether that ``train()`` runs on the eval call's path at all: in ``if
validating: model.eval(); ...; return acc`` / ``model.train()`` after the ``if``, the two
setters belong to different uses of a toggle, and the summary keeps reading it as one
that leaves the model in train mode.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..ast_names import BLOCK_FIELDS, OWN_SCOPES

#: Where a statement sits: the ``id`` of each statement list around it, with its index there.
Path = tuple[tuple[int, int], ...]


class FunctionBlocks:
    """The block structure of one function's body, read once when a summary first asks."""

    def __init__(self, body: list[ast.stmt]) -> None:
        #: ``id`` of every node of the function's own code -> the path of its statement.
        self._paths: dict[int, Path] = {}
        #: ``id`` of each statement list -> the list, and what holds it: a loop's body
        #: (may run no time), a ``with`` body (runs whenever the statement does), or else.
        self._blocks: dict[int, tuple[list[ast.stmt], str]] = {id(body): (body, "other")}
        #: ``id`` of the returns a ``finally`` runs after: it may put the model back.
        self.past_finally: set[int] = set()
        self._visit(body, (), False)

    def _visit(self, block: list[ast.stmt], around: Path, in_try: bool) -> None:
        for index, statement in enumerate(block):
            path = (*around, (id(block), index))
            self._paths[id(statement)] = path
            if isinstance(statement, ast.Return) and in_try:
                self.past_finally.add(id(statement))
            for field, blocks in _statement_lists(statement):
                guarded = in_try or (
                    isinstance(statement, _TRIES)
                    and bool(statement.finalbody)
                    and field != "finalbody"
                )
                kind = "other"
                if field == "body" and isinstance(statement, _LOOPS):
                    kind = "loop"
                elif field == "body" and isinstance(statement, (ast.With, ast.AsyncWith)):
                    kind = "with"
                for inner in blocks:
                    self._blocks[id(inner)] = (inner, kind)
                    self._visit(inner, path, guarded)
            for node in _expressions(statement):
                self._paths[id(node)] = path

    def runs_after(self, first: ast.AST, second: ast.AST) -> bool:
        """Whether ``second``'s statement may run after ``first``'s: it follows it in a
        block that holds both (``first`` maybe nested in a statement before it), not in
        another branch, and no block around ``first`` in between ends in a ``return`` or
        ``raise`` that every path through it meets (``if validating: model.eval(); ...;
        return acc``)."""
        one, two = self._paths.get(id(first)), self._paths.get(id(second))
        if one is None or two is None:
            return False
        for level, ((block_one, index_one), (block_two, index_two)) in enumerate(zip(one, two)):
            if block_one != block_two:
                return False  # the ``if`` and ``else`` of one statement, or two handlers
            if index_one != index_two:
                return index_two > index_one and not any(
                    self._ends_the_function(block) for block, _ in one[level + 1 :]
                )
        return False  # one inside the other's statement: no order to read

    def dominates(self, first: ast.AST, second: ast.AST) -> bool:
        """Whether ``second`` runs only after ``first`` has: ``first``'s statement comes
        before ``second``'s in a block that holds both, and is not nested in a branch of
        it (``if recalibrate: model = copy.deepcopy(model)`` dominates nothing after the
        ``if``)."""
        one, two = self._paths.get(id(first)), self._paths.get(id(second))
        if one is None or two is None:
            return False
        for level, ((block_one, index_one), (block_two, index_two)) in enumerate(zip(one, two)):
            if block_one != block_two:
                return False
            if index_one != index_two:
                # nested only in ``with`` bodies, which run whenever their statement does
                return index_one < index_two and all(
                    self._blocks[block][1] == "with" for block, _ in one[level + 1 :]
                )
        return False

    def _ends_the_function(self, block_id: int) -> bool:
        """A block that leaves the function at its end; not a loop's body, which may run
        no time at all."""
        block, kind = self._blocks[block_id]
        return kind != "loop" and _always_leaves(block)


def _always_leaves(block: list[ast.stmt]) -> bool:
    """Every path through ``block`` ends in a ``return`` or ``raise``: its last statement
    is one, or a ``with``, an ``if`` with an ``else``, or a ``try`` whose every way out is
    one (``with torch.no_grad(): return acc``)."""
    last = block[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _always_leaves(last.body)
    if isinstance(last, ast.If):
        return bool(last.orelse) and _always_leaves(last.body) and _always_leaves(last.orelse)
    if isinstance(last, _TRIES):
        if last.finalbody and _always_leaves(last.finalbody):
            return True
        ends = _always_leaves(last.body) or bool(last.orelse and _always_leaves(last.orelse))
        return ends and all(_always_leaves(handler.body) for handler in last.handlers)
    return False


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_TRIES = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def _statement_lists(statement: ast.stmt) -> Iterator[tuple[str, list[list[ast.stmt]]]]:
    """The statement lists directly inside ``statement``, by field name; not those of a
    nested function or class, which run later."""
    if isinstance(statement, OWN_SCOPES):
        return
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield field, [block]
    handlers = getattr(statement, "handlers", None) or getattr(statement, "cases", None)
    if handlers:
        yield "handlers", [handler.body for handler in handlers]


def _expressions(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of ``statement`` outside its statement lists (its test, its value, its
    targets, its ``with`` items), less nested functions, lambdas and classes."""
    if isinstance(statement, OWN_SCOPES):
        return
    stack: list[ast.AST] = []
    for field, value in ast.iter_fields(statement):
        if field in BLOCK_FIELDS:
            continue
        if isinstance(value, ast.AST):
            stack.append(value)
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, ast.AST))
    while stack:
        node = stack.pop()
        if isinstance(node, OWN_SCOPES):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))
