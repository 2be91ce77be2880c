"""The rewrite itself, done on the text: lines the fix does not wrap come back byte for byte.

LibCST's code generation drops a form feed that starts a line and the last ``\\r`` of a file
with CR-only newlines, and recurses once per level of nesting; editing the lines directly
has none of these problems. Wrapping a run of statements inserts a ``with`` line at their
indentation and indents their lines by one unit, inserted after each line's own leading
whitespace (a form feed there resets Python's column count); lines that start inside a
string literal keep their exact text, as their content is part of the string.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence

from .fix_targets import Group, code_points

_STRING_TOKENS = {
    getattr(tokenize, name)
    for name in ("STRING", "FSTRING_MIDDLE", "TSTRING_MIDDLE")
    if hasattr(tokenize, name)
}


def newline_of(lines: Sequence[str]) -> str:
    """The file's first line ending, for the lines the fix adds."""
    for line in lines:
        for ending in ("\r\n", "\n", "\r"):
            if line.endswith(ending):
                return ending
    return "\n"


def indent_unit(tree: ast.Module, lines: Sequence[str]) -> str:
    """The file's own indentation step, from its first indented block; four spaces if none."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(node, ast.stmt) or not isinstance(body, list) or not body:
            continue
        inner = body[0].lineno
        inner_lead = _lead(lines[inner - 1])
        if inner == node.lineno or len(inner_lead.encode("utf-8")) != body[0].col_offset:
            continue  # a suite, or a body that does not start its line
        outer_lead = _lead(lines[node.lineno - 1])
        if inner_lead.startswith(outer_lead) and len(inner_lead) > len(outer_lead):
            unit = inner_lead[len(outer_lead) :]
            if unit.strip(" \t") == "":
                return unit
        break
    return "    "


def _lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t\x0c"))]


def string_rows(statements: Sequence[ast.stmt], lines: Sequence[str]) -> set[int]:
    """Lines (1-based) of ``statements`` that begin inside a string literal."""
    rows: set[int] = set()
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            end = node.end_lineno or node.lineno
            if end > node.lineno:
                rows |= _rows_inside_strings(node, lines)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return rows


def _rows_inside_strings(node: ast.expr, lines: Sequence[str]) -> set[int]:
    end = node.end_lineno or node.lineno
    every = set(range(node.lineno + 1, end + 1))
    if isinstance(node, ast.JoinedStr):
        return every  # an f-string's text between lines, ``{x=}`` included, is all literal
    segment = _segment(node, lines)
    if segment is None:
        return every
    rows: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO("(" + segment + ")").readline):
            if token.type in _STRING_TOKENS and token.end[0] > token.start[0]:
                rows.update(range(node.lineno + token.start[0], node.lineno + token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        return every
    return rows


def _segment(node: ast.expr, lines: Sequence[str]) -> str | None:
    end_line, end_col = node.end_lineno, node.end_col_offset
    if end_line is None or end_col is None:
        return None
    chunk = [line.encode("utf-8") for line in lines[node.lineno - 1 : end_line]]
    chunk[-1] = chunk[-1][:end_col]
    chunk[0] = chunk[0][node.col_offset :]
    try:
        return b"".join(chunk).decode("utf-8")
    except UnicodeDecodeError:
        return None


def wrap(
    lines: list[str],
    runs: Sequence[Sequence[Group]],
    call: str,
    unit: str,
    import_line: int | None,
) -> str:
    """The text with each run of groups in one ``with <call>:``, and ``import torch`` added
    before line ``import_line`` if given."""
    edits: list[tuple[int, int, int, list[str]]] = []  # (first, order, last, replacement)
    for run in runs:
        first = run[0].first_line
        last = _with_trailing_comments(lines, run[-1].last_line, _lead(lines[first - 1]))
        strings = string_rows([s for g in run for s in g.statements], lines)
        edits.append((first, 1, last, _wrapped(lines, run[0], first, last, strings, call, unit)))
    if import_line is not None:  # before a run starting on the same line
        edits.append((import_line, 0, import_line - 1, ["import torch" + newline_of(lines)]))
    out: list[str] = []
    done = 0  # lines copied or replaced so far
    for first, _, last, replacement in sorted(edits, key=lambda e: e[:2]):
        out.extend(lines[done : first - 1])
        out.extend(replacement)
        done = last
    out.extend(lines[done:])
    return "".join(out)


def _with_trailing_comments(lines: Sequence[str], last: int, lead: str) -> int:
    """The run's last line, moved past the comments indented deeper than the run that
    follow it: they belong to the block that ends there (a loop's last comment)."""
    end = row = last
    while row < len(lines):
        line = lines[row]
        code = line.lstrip(" \t\x0c")
        if code.startswith("#") and len(_lead(line)) > len(lead) and line.startswith(lead):
            end = row = row + 1
        elif not code.strip("\r\n"):
            row += 1
        else:
            break
    return end


def _wrapped(
    lines: Sequence[str],
    head: Group,
    first: int,
    last: int,
    strings: set[int],
    call: str,
    unit: str,
) -> list[str]:
    newline = newline_of(lines)
    result: list[str] = []
    if head.suite:
        lead = _lead(lines[head.header_line - 1])
        line = lines[first - 1]
        at = code_points(line, head.statements[0].col_offset)
        result.append(line[:at].rstrip(" \t") + newline)
        result.append(lead + unit + f"with {call}:" + newline)
        body_lead = lead + unit + unit
        result.append(body_lead + line[at:])
        extra = unit + unit
    else:
        lead = _lead(lines[first - 1])
        result.append(lead + f"with {call}:" + newline)
        result.append(_indented(lines[first - 1], unit))
        extra = unit
    for row in range(first + 1, last + 1):
        line = lines[row - 1]
        blank = not line.strip(" \t\x0c\r\n")
        result.append(line if row in strings or blank else _indented(line, extra))
    return result


def _indented(line: str, unit: str) -> str:
    lead = _lead(line)
    return lead + unit + line[len(lead) :]
