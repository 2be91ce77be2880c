"""Which statements the fix wraps, read off the stdlib ``ast`` of the original text.

Python's own tree has exact line spans, costs a tenth of LibCST's parse and is walked here
without recursion, so deep expressions elsewhere in the file cost nothing and cannot exhaust
the stack. A finding's call is found by its span, its statement by walking up from it; the
statements sharing a line with it (``a = model(x); b = 1``) go with it.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from .findings import Finding
from .fix_safety import SUSPENDS

_COMPOUND_HEADERS = {
    ast.FunctionDef: "the call is in a function header (decorator or default)",
    ast.AsyncFunctionDef: "the call is in a function header (decorator or default)",
    ast.ClassDef: "the call is in a class header",
}
_CLAUSES = tuple(
    getattr(ast, name) for name in ("ExceptHandler", "match_case") if hasattr(ast, name)
)
_BODIES = ("body", "orelse", "finalbody")


@dataclass
class Group:
    """Statements ``start`` to ``stop`` (exclusive) of ``getattr(owner, field)``, on lines
    ``first_line`` to ``last_line``. ``suite``: they follow their clause header on its line
    (``if c: out = model(x)``), whose indentation, that of ``header_line``, the new block
    takes."""

    owner: ast.AST
    field: str
    start: int
    stop: int
    first_line: int
    last_line: int
    suite: bool
    header_line: int

    @property
    def statements(self) -> list[ast.stmt]:
        return getattr(self.owner, self.field)[self.start : self.stop]

    @property
    def key(self) -> tuple[int, str, int]:
        return (id(self.owner), self.field, self.start)


class Locator:
    """Parents and calls of the top-level statements that hold findings."""

    def __init__(self, tree: ast.Module, lines: Sequence[str], findings: Sequence[Finding]):
        self.tree = tree
        self.lines = lines
        self.parents: dict[int, tuple[ast.AST, str]] = {}
        self.positions: dict[int, int] = {}  # statement -> its index in its block
        self.calls: dict[tuple[int, int], list[ast.Call]] = {}
        wanted = sorted({f.line for f in findings})
        for position, statement in enumerate(tree.body):
            first, last = span(statement)
            index = bisect.bisect_left(wanted, first)
            if index < len(wanted) and wanted[index] <= last:
                self.parents[id(statement)] = (tree, "body")
                self.positions[id(statement)] = position
                self._index(statement)

    def _index(self, root: ast.AST) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Call):
                self.calls.setdefault((node.lineno, node.end_lineno or 0), []).append(node)
            for field, value in ast.iter_fields(node):
                children = value if isinstance(value, list) else [value]
                for position, child in enumerate(children):
                    if isinstance(child, ast.AST):
                        self.parents[id(child)] = (node, field)
                        self.positions[id(child)] = position
                        stack.append(child)

    def call_of(self, finding: Finding) -> ast.Call | None:
        for call in self.calls.get((finding.line, finding.end_line), []):
            if (
                self._column(call.lineno, call.col_offset) == finding.col
                and self._column(call.end_lineno or 0, call.end_col_offset or 0) == finding.end_col
            ):
                return call
        return None

    def _column(self, line: int, utf8_offset: int) -> int:
        return code_points(self.lines[line - 1] if 0 < line <= len(self.lines) else "", utf8_offset)

    def statement_of(self, call: ast.Call) -> ast.stmt | str:
        """The innermost statement holding ``call``, or why it cannot be wrapped."""
        child: ast.AST = call
        node: ast.AST = call
        while id(node) in self.parents:
            parent, field = self.parents[id(node)]
            if isinstance(node, ast.Lambda):
                return "the call is inside a lambda, which runs later"
            if isinstance(node, ast.GeneratorExp) and not (
                (isinstance(parent, ast.Call) and field == "args")
                or isinstance(parent, ast.keyword)
            ):
                return "the call is inside a generator expression, which runs later"
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return SUSPENDS
            if isinstance(node, _CLAUSES) and self.parents[id(child)][1] != "body":
                return "the call is in a clause header that cannot be wrapped"
            if isinstance(node, ast.stmt):
                if type(node) in _COMPOUND_HEADERS:
                    return _COMPOUND_HEADERS[type(node)]
                if self._is_elif(node, parent, field):
                    return "the call is in an elif condition"
                return node
            child, node = node, parent
        return "no statement to wrap"

    def _is_elif(self, node: ast.AST, parent: ast.AST, field: str) -> bool:
        if not (isinstance(node, ast.If) and isinstance(parent, ast.If) and field == "orelse"):
            return False
        return self.lines[node.lineno - 1].lstrip().startswith("elif")

    def group_of(self, statement: ast.stmt) -> Group | str:
        """``statement`` with the statements that share its lines (``;``, a suite)."""
        owner, field = self.parents[id(statement)]
        if field not in _BODIES:
            return "unsupported block"
        body = getattr(owner, field)
        start = self.positions[id(statement)]
        stop = start + 1
        first, last = span(statement)
        while start > 0 and self._joined(span(body[start - 1])[1], first):
            start -= 1
            first = span(body[start])[0]
        while stop < len(body) and self._joined(last, span(body[stop])[0]):
            last = max(last, span(body[stop])[1])
            stop += 1
        head = body[start]
        before = self._text_before(head)
        suite = bool(before.strip())
        header_line = _header_line(owner, field, body) if suite else first
        return Group(owner, field, start, stop, first, last, suite, header_line)

    def _joined(self, end_line: int, next_first: int) -> bool:
        """Whether a statement ending on ``end_line`` shares a logical line with one starting
        on ``next_first`` (same line, or backslash continuations between them)."""
        if next_first <= end_line:
            return True
        return all(
            self.lines[line - 1].rstrip("\r\n").endswith("\\")
            for line in range(end_line, next_first)
        )

    def _text_before(self, statement: ast.stmt) -> str:
        line = self.lines[statement.lineno - 1]
        encoded = line.encode("utf-8")
        return encoded[: statement.col_offset].decode("utf-8", "replace")


def code_points(line: str, utf8_offset: int) -> int:
    """``ast`` columns count UTF-8 bytes; findings and ``str`` indexes count code points."""
    if line.isascii():
        return utf8_offset
    return len(line.encode("utf-8")[:utf8_offset].decode("utf-8", "replace"))


def span(statement: ast.stmt) -> tuple[int, int]:
    """The first line (decorators included) and the last line of ``statement``."""
    decorators = getattr(statement, "decorator_list", None) or []
    first = min([statement.lineno] + [d.lineno for d in decorators])
    return first, statement.end_lineno or statement.lineno


def _header_line(owner: ast.AST, field: str, body: list[ast.stmt]) -> int:
    """The line of the clause keyword a suite follows; all of one statement's clause keywords
    share its indentation."""
    if isinstance(owner, (ast.stmt, ast.ExceptHandler)):
        return owner.lineno
    pattern = getattr(owner, "pattern", None)  # match_case has no position of its own
    return pattern.lineno if pattern is not None else body[0].lineno


def nested_in_another(group: Group, wrapped: set[int], locator: Locator) -> bool:
    """Whether ``group`` lies inside a statement that is wrapped (ids in ``wrapped``): the
    outer ``with`` covers it."""
    node: ast.AST = group.statements[0]
    while id(node) in locator.parents:
        node = locator.parents[id(node)][0]
        if id(node) in wrapped:
            return True
    return False


def in_a_function_in_another(group: Group, wrapped: set[int], locator: Locator) -> bool:
    """Whether ``group`` lies in a function defined inside a wrapped statement. The outer
    ``with`` does not cover it (a body runs when called), and a ``with`` of its own would
    nest inside the outer one's text, which one pass does not write."""
    node: ast.AST = group.statements[0]
    in_function = False
    while id(node) in locator.parents:
        node = locator.parents[id(node)][0]
        in_function = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if in_function and id(node) in wrapped:
            return True
    return False
