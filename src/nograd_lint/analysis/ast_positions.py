"""Positions of calls read off the stdlib ``ast`` tree, which has them for free.

LibCST's ``PositionProvider`` regenerates the code of a statement to count positions: for a
training script with findings in fifty functions, that costs more than the analysis. The
``ast`` tree of the same source (flake8 hands it over; a plain parse costs a tenth of
LibCST's) knows where every call starts and ends. A LibCST call is matched to its ``ast``
twin by its callee's dotted text and its rank among the calls of the statement with that
callee, both trees listing calls in source order; anything that does not match up exactly
returns None and the caller falls back to LibCST's own positions.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from ..ast_names import dotted_name as ast_dotted_name
from .nodes import child_nodes, dotted_name

Point = tuple[int, int]
Range = tuple[Point, Point]


def ast_groups(module: cst.Module, tree: ast.Module) -> list[list[ast.stmt]] | None:
    """The ``ast`` statements of each LibCST top-level statement (``a = 1; b = 2`` is one
    LibCST line but two ``ast`` statements), or None if the trees do not line up."""
    nodes = tree.body
    groups, index = [], 0
    for statement in module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        if index + count > len(nodes):
            return None
        groups.append(nodes[index : index + count])
        index += count
    return groups if index == len(nodes) else None


def call_ranges(
    statement: cst.BaseStatement,
    calls: Sequence[cst.CSTNode],
    group: Sequence[ast.stmt],
    lines: Sequence[str],
) -> dict[int, Range] | None:
    """``id(call)`` -> range for calls of one top-level statement, or None if any call cannot
    be matched with certainty."""
    wanted: dict[str, list[cst.Call]] = {}
    for call in calls:
        if not isinstance(call, cst.Call):
            return None
        callee = dotted_name(call.func)
        if callee is None:
            return None
        wanted.setdefault(callee, []).append(call)
    in_cst = _cst_calls_by_callee(statement, set(wanted))
    in_ast = _ast_calls_by_callee(group, set(wanted))
    ranges: dict[int, Range] = {}
    for callee, mine in wanted.items():
        ordered, twins = in_cst.get(callee, []), in_ast.get(callee, [])
        if len(ordered) != len(twins):
            return None
        rank = {id(node): index for index, node in enumerate(ordered)}
        for call in mine:
            twin = twins[rank[id(call)]]
            found = _range(twin, lines)
            if found is None or not _looks_like_call(lines, found, callee.split(".", 1)[0]):
                return None
            ranges[id(call)] = found
    return ranges


def _cst_calls_by_callee(statement: cst.CSTNode, callees: set[str]) -> dict[str, list[cst.Call]]:
    """Calls in pre-order, which is source order: a node starts where or after its parent
    starts, and children come in the order they are written."""
    found: dict[str, list[cst.Call]] = {}
    stack = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            callee = dotted_name(node.func)
            if callee in callees:
                found.setdefault(callee, []).append(node)
        stack.extend(reversed(list(child_nodes(node, written_order=True))))
    return found


def _ast_calls_by_callee(group: Sequence[ast.stmt], callees: set[str]) -> dict[str, list[ast.Call]]:
    found: dict[str, list[ast.Call]] = {}
    for statement in group:
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                callee = ast_dotted_name(node.func)
                if callee in callees:
                    found.setdefault(callee, []).append(node)
    # Two calls with one dotted callee never start at the same place, so this order is total.
    for nodes in found.values():
        nodes.sort(key=lambda n: (n.lineno, n.col_offset))
    return found


def _range(node: ast.Call, lines: Sequence[str]) -> Range | None:
    if node.end_lineno is None or node.end_col_offset is None or node.end_lineno > len(lines):
        return None
    start = (node.lineno, _code_points(lines[node.lineno - 1], node.col_offset))
    end = (node.end_lineno, _code_points(lines[node.end_lineno - 1], node.end_col_offset))
    return start, end


def _code_points(line: str, utf8_offset: int) -> int:
    """``ast`` columns count UTF-8 bytes; LibCST's, and ours, count code points."""
    if line.isascii():
        return utf8_offset
    return len(line.encode("utf-8")[:utf8_offset].decode("utf-8", "replace"))


def _looks_like_call(lines: Sequence[str], span: Range, head: str) -> bool:
    """A check on the text itself: the span starts with the callee and ends with ``)``
    (``ast`` positions inside f-strings were unreliable before Python 3.12)."""
    (line, column), (end_line, end_column) = span
    return (
        lines[line - 1].startswith(head, column)
        and lines[end_line - 1][end_column - 1 : end_column] == ")"
    )


def expression_range(node: ast.expr, lines: Sequence[str]) -> Range | None:
    """Where an ``ast`` expression starts and ends, in code points; None if unknown."""
    if node.end_lineno is None or node.end_col_offset is None or node.end_lineno > len(lines):
        return None
    start = (node.lineno, _code_points(lines[node.lineno - 1], node.col_offset))
    end = (node.end_lineno, _code_points(lines[node.end_lineno - 1], node.end_col_offset))
    return start, end
