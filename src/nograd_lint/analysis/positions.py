"""Source positions, computed only for the statements that hold findings.

LibCST nodes carry no positions; ``PositionProvider`` computes them by generating the code of
the whole module, which costs more than the parse itself. Top-level statements start at
column 0, so positions inside one of them can be computed on a module holding that statement
alone and shifted by the line it starts on, which the stdlib ``ast`` knows (flake8 hands us
its tree for free).
"""

from __future__ import annotations

import ast
from typing import Iterable, Optional, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

#: Each one-statement module costs a couple of milliseconds of set-up; past this many
#: statements with findings, one pass over the whole module is cheaper.
MAX_STATEMENTS_RESOLVED_ALONE = 64

Point = tuple[int, int]
Range = tuple[Point, Point]


def _ast_start_lines(module: cst.Module, tree: ast.Module) -> Optional[list[int]]:
    """The first line of each LibCST top-level statement (decorators included), or None if
    the two trees do not line up (then the slow, exact path is taken)."""
    nodes = tree.body
    lines, index = [], 0
    for statement in module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        if index + count > len(nodes):
            return None
        first = nodes[index]
        decorators = getattr(first, "decorator_list", None) or []
        lines.append(min([first.lineno] + [d.lineno for d in decorators]))
        index += count
    return lines if index == len(nodes) else None


def node_ranges(
    module: cst.Module,
    wanted: Iterable[tuple[int, cst.CSTNode]],
    source: str,
    tree: Optional[ast.Module] = None,
) -> dict[int, Range]:
    """``id(node)`` -> ((line, col), (end_line, end_col)) for (top-level index, node) pairs;
    lines 1-based, columns 0-based."""
    by_statement: dict[int, list[cst.CSTNode]] = {}
    for top, node in wanted:
        by_statement.setdefault(top, []).append(node)
    starts: Optional[list[int]] = None
    if len(by_statement) <= MAX_STATEMENTS_RESOLVED_ALONE:
        try:
            starts = _ast_start_lines(module, tree if tree is not None else ast.parse(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            starts = None  # LibCST accepted what this Python's ast does not
    if starts is None:
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        return {id(node): _range(positions[node], 0) for nodes in by_statement.values() for node in nodes}

    ranges: dict[int, Range] = {}
    for top, nodes in by_statement.items():
        statement = module.body[top]
        positions = MetadataWrapper(cst.Module(body=[statement]), unsafe_skip_copy=True).resolve(PositionProvider)
        shift = starts[top] - _first_line(statement, positions)
        for node in nodes:
            ranges[id(node)] = _range(positions[node], shift)
    return ranges


def _first_line(statement: cst.CSTNode, positions) -> int:
    decorators: Sequence[cst.Decorator] = getattr(statement, "decorators", ())
    return positions[decorators[0]].start.line if decorators else positions[statement].start.line


def _range(code_range, shift: int) -> Range:
    return (
        (code_range.start.line + shift, code_range.start.column),
        (code_range.end.line + shift, code_range.end.column),
    )
