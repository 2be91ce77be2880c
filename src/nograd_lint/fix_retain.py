"""NG003's fix: the ``retain_graph=True`` argument is removed, with the comma that joined it
to its neighbour.

``loss.backward(retain_graph=True)`` becomes ``loss.backward()``,
``grad(loss, x, retain_graph=True)`` becomes ``grad(loss, x)``, and in a call written one
argument per line the argument's line goes with it. The edit is made on the text, so
everything else stays byte for byte; an argument next to a comment is refused with the
reason, since removing the comma between them could take the comment along, and so is one
alone on its line with a comment after it, which would stay behind about nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from .findings import Finding
from .fix_targets import code_points

NOT_LOCATED = "the retain_graph argument could not be located"
BESIDE_A_COMMENT = "a comment sits next to the retain_graph argument: remove it by hand"


@dataclass(frozen=True)
class Deletion:
    """The text from ``start`` to ``end`` (``(line, col)``, 1-based lines, 0-based code
    points, end exclusive) goes."""

    start: tuple[int, int]
    end: tuple[int, int]


def retain_edits(
    tree: ast.Module, lines: Sequence[str], findings: Sequence[Finding]
) -> tuple[list[Deletion], list[Finding], list[tuple[Finding, str]]]:
    """The deletions that remove the arguments of NG003 ``findings``, the findings they
    fix, and those refused with the reason."""
    arguments = _keyword_arguments(tree, lines)
    deletions: list[Deletion] = []
    fixed: list[Finding] = []
    refused: list[tuple[Finding, str]] = []
    for finding in findings:
        found = arguments.get((finding.line, finding.col, finding.end_line, finding.end_col))
        if found is None:
            refused.append((finding, NOT_LOCATED))
            continue
        deletion = _deletion(*found, lines)
        if _text(lines, deletion).count("#") or _strands_a_comment(lines, deletion):
            refused.append((finding, BESIDE_A_COMMENT))
            continue
        deletions.append(deletion)
        fixed.append(finding)
    return deletions, fixed, refused


Span = tuple[tuple[int, int], tuple[int, int]]


def _keyword_arguments(
    tree: ast.Module, lines: Sequence[str]
) -> dict[tuple[int, int, int, int], tuple[Span, Span | None, Span | None]]:
    """Each keyword argument's span -> (its span, the argument before it, the one after),
    in code points, the arguments in source order."""
    found: dict[tuple[int, int, int, int], tuple[Span, Span | None, Span | None]] = {}
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not call.keywords:
            continue
        spans = sorted(
            s for s in (_span(node, lines) for node in (*call.args, *call.keywords)) if s
        )
        for keyword in call.keywords:
            own = _span(keyword, lines)
            if own is None:
                continue
            index = spans.index(own)
            before = spans[index - 1] if index > 0 else None
            after = spans[index + 1] if index + 1 < len(spans) else None
            found[(*own[0], *own[1])] = (own, before, after)
    return found


def _span(node: ast.AST, lines: Sequence[str]) -> Span | None:
    end_line = getattr(node, "end_lineno", None)
    end_col = getattr(node, "end_col_offset", None)
    if end_line is None or end_col is None or end_line > len(lines):
        return None
    line = node.lineno  # type: ignore[attr-defined]
    start = (line, code_points(lines[line - 1], node.col_offset))  # type: ignore[attr-defined]
    return start, (end_line, code_points(lines[end_line - 1], end_col))


def _deletion(own: Span, before: Span | None, after: Span | None, lines: Sequence[str]) -> Deletion:
    if before is not None:  # ``f(a, retain_graph=True)``: from the end of ``a``
        return Deletion(before[1], own[1])
    if after is not None:  # ``f(retain_graph=True, create_graph=True)``: up to the next one
        return Deletion(own[0], after[0])
    end_line, end_col = own[1]  # the only argument: its trailing comma too
    rest = lines[end_line - 1][end_col:]
    stripped = rest.lstrip(" \t")
    if stripped.startswith(","):
        end_col += len(rest) - len(stripped) + 1
    return Deletion(own[0], (end_line, end_col))


def _text(lines: Sequence[str], deletion: Deletion) -> str:
    (line, col), (end_line, end_col) = deletion.start, deletion.end
    if line == end_line:
        return lines[line - 1][col:end_col]
    middle = "".join(lines[line : end_line - 1])
    return lines[line - 1][col:] + middle + lines[end_line - 1][:end_col]


def _strands_a_comment(lines: Sequence[str], deletion: Deletion) -> bool:
    """The deletion leaves a line with a comment and no code: ``retain_graph=True,  #
    reused by the D step`` alone on its line, whose comment would stay behind, about
    nothing, inside the call."""
    (line, col), (end_line, end_col) = deletion.start, deletion.end
    left = lines[line - 1][:col] + lines[end_line - 1][end_col:]
    return left.lstrip(" \t").startswith("#")


def apply(lines: Sequence[str], deletions: Sequence[Deletion]) -> str:
    """The text with ``deletions`` made, later ones first so earlier positions stay valid;
    a line the deletion leaves blank goes with it."""
    edited = list(lines)
    for deletion in sorted(deletions, key=lambda d: d.start, reverse=True):
        (line, col), (end_line, end_col) = deletion.start, deletion.end
        joined = edited[line - 1][:col] + edited[end_line - 1][end_col:]
        # ``retain_graph=True,`` alone on its line, one argument per line: its indentation
        # and line break go too (a blank line with spaces is a style error of its own).
        edited[line - 1 : end_line] = [joined] if joined.strip() else []
    return "".join(edited)
