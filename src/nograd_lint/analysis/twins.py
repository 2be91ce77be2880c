"""The stdlib ``ast`` twin of a LibCST call, to ask :mod:`.values` about it.

Both trees hold one call node per call written in the source. Within one top-level
statement, LibCST's calls in pre-order and the ``ast`` calls sorted by where they start (the
outer of ``f(x)(y)`` first: it ends later) come in the same order, so the n-th of one is the
n-th of the other. A statement whose lists differ in length or callee text is left unmatched
(its calls have no twin), never matched wrongly.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from ..ast_names import dotted_name as ast_dotted_name
from .ast_positions import ast_groups
from .nodes import child_nodes, dotted_name


class CallTwins:
    """``ast`` twins of the calls of a LibCST module, matched one top-level statement at a
    time, on first use."""

    def __init__(self, module: cst.Module, tree: ast.Module | None) -> None:
        self._module = module
        self._groups = ast_groups(module, tree) if tree is not None else None
        self._twins: dict[int, dict[int, ast.Call]] = {}

    def of(self, top: int, node: cst.CSTNode) -> ast.Call | None:
        """The twin of ``node`` (a call, or the first call inside it) in top-level
        statement ``top``."""
        if self._groups is None or top >= len(self._groups):
            return None
        twins = self._twins.get(top)
        if twins is None:
            twins = self._twins[top] = _match(self._module.body[top], self._groups[top])
        call = node if isinstance(node, cst.Call) else _first_call(node)
        return twins.get(id(call)) if call is not None else None


def _match(statement: cst.CSTNode, group: Sequence[ast.stmt]) -> dict[int, ast.Call]:
    mine = list(_cst_calls(statement))
    theirs = sorted(
        (node for root in group for node in ast.walk(root) if isinstance(node, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)),
    )
    if len(mine) != len(theirs):
        return {}
    if any(dotted_name(a.func) != ast_dotted_name(b.func) for a, b in zip(mine, theirs)):
        return {}
    return {id(a): b for a, b in zip(mine, theirs)}


def _cst_calls(root: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            found.append(node)
        stack.extend(reversed(list(child_nodes(node, written_order=True))))
    return found


def _first_call(node: cst.CSTNode) -> cst.Call | None:
    """The first call in pre-order, as ``_cst_calls`` would list it, without walking the
    rest of a long ``if`` or ``with`` body."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            return current
        stack.extend(reversed(list(child_nodes(current, written_order=True))))
    return None
