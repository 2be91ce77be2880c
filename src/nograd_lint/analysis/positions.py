"""Source positions, computed only for the calls that are findings.

LibCST nodes carry no positions; ``PositionProvider`` computes them by generating code, which
costs more than the parse itself. So, cheapest first: read them off the stdlib ``ast`` tree
(``ast_positions``); failing that, compute them on a module holding the one top-level
statement (top-level statements start at column 0) shifted by the line ``ast`` says it
starts on; failing that, or past many statements, one pass over the whole module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..source import physical_lines
from .ast_positions import Range, ast_groups, call_ranges

#: Each one-statement module costs a couple of milliseconds of set-up; past this many
#: statements with findings, one pass over the whole module is cheaper.
MAX_STATEMENTS_RESOLVED_ALONE = 64


def _start_lines(groups: list[list[ast.stmt]]) -> list[int]:
    """The first line of each LibCST top-level statement, decorators included."""
    starts = []
    for group in groups:
        first = group[0]
        decorators = getattr(first, "decorator_list", None) or []
        starts.append(min([first.lineno] + [d.lineno for d in decorators]))
    return starts


def node_ranges(
    module: cst.Module,
    wanted: Iterable[tuple[int, cst.CSTNode]],
    source: str,
    tree: ast.Module | None = None,
) -> dict[int, Range]:
    """``id(node)`` -> ((line, col), (end_line, end_col)) for (top-level index, node) pairs;
    lines 1-based, columns 0-based."""
    by_statement: dict[int, list[cst.CSTNode]] = {}
    for top, node in wanted:
        by_statement.setdefault(top, []).append(node)
    # No tree: LibCST accepted what this Python's ast does not.
    groups = ast_groups(module, tree) if tree is not None else None

    ranges: dict[int, Range] = {}
    unresolved = by_statement
    if groups is not None:
        lines = physical_lines(source)
        unresolved = {}
        for top, nodes in by_statement.items():
            found = call_ranges(module.body[top], nodes, groups[top], lines)
            if found is None:
                unresolved[top] = nodes
            else:
                ranges.update(found)
    if not unresolved:
        return ranges
    starts = _start_lines(groups) if groups is not None else None
    if starts is None or len(unresolved) > MAX_STATEMENTS_RESOLVED_ALONE:
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for top, nodes in unresolved.items():
            # A pruned module (``prune``) has fewer lines: each statement is where ``ast`` says.
            shift = (
                starts[top] - _first_line(module.body[top], positions) if starts is not None else 0
            )
            ranges.update((id(node), _range(positions[node], shift)) for node in nodes)
        return ranges

    for top, nodes in unresolved.items():
        statement = module.body[top]
        positions = MetadataWrapper(_alone(module, statement), unsafe_skip_copy=True).resolve(
            PositionProvider
        )
        shift = starts[top] - _first_line(statement, positions)
        for node in nodes:
            ranges[id(node)] = _range(positions[node], shift)
    return ranges


def _alone(module: cst.Module, statement: cst.BaseStatement) -> cst.Module:
    """A module of one statement that prints it as the original does: blocks whose indent
    LibCST left implicit take the module's default (a tab, two spaces), not four spaces."""
    return module.with_changes(body=[statement], header=[], footer=[])


def _first_line(statement: cst.CSTNode, positions) -> int:
    decorators: Sequence[cst.Decorator] = getattr(statement, "decorators", ())
    return positions[decorators[0]].start.line if decorators else positions[statement].start.line


def _range(code_range, shift: int) -> Range:
    return (
        (code_range.start.line + shift, code_range.start.column),
        (code_range.end.line + shift, code_range.end.column),
    )
