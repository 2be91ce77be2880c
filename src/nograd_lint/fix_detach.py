"""NG002's fix: the stored value gets ``.detach()``.

``total += loss`` becomes ``total += loss.detach()``, ``preds.append(model(x))`` becomes
``preds.append(model(x).detach())``, and a value that is not a primary expression is
parenthesised first (``total += (a + b).detach()``). ``.detach()`` keeps the tensor's type
and device, where ``.item()`` would turn it into a float and wait for the GPU every
iteration. The edit is made on the text, at the ends of the value's span, so everything else
stays byte for byte; a value the fix cannot be sure about is refused with the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from .analysis.catalog import GRAPH_DROPPING_METHODS, TENSOR_METHODS
from .findings import PRIMARIES, Finding
from .fix_targets import code_points

NOT_LOCATED = "the stored value could not be located"
NOT_A_TENSOR = "the stored value is a {kind}, not one tensor: detach its tensors by hand"
UNPACKED = "the stored value is unpacked (*value); detach its tensors by hand"
IN_A_STRING = "the stored value is part of an f-string"
ALREADY = "the stored value is already detached"
SPLIT = "the stored value is unpacked into several names; detach its tensors by hand"
CHOSEN = (
    "the stored value is chosen at run time ({kind}), and one choice is a constant,"
    " which has no .detach(): detach the tensor by hand"
)
A_METHOD = "the stored value is the method '{name}' itself, not what calling it returns"

#: Values that pick one of several operands when they run: what the refusal calls them.
_CHOICES: dict[type, str] = {ast.IfExp: "an 'if' expression", ast.BoolOp: "'and'/'or'"}

#: Values ``.detach()`` cannot apply to as a whole: what the refusal calls them.
_CONTAINERS: dict[type, str] = {
    ast.Tuple: "tuple",
    ast.List: "list",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.ListComp: "list comprehension",
    ast.DictComp: "dict comprehension",
    ast.SetComp: "set comprehension",
    ast.Constant: "constant",
    ast.JoinedStr: "string",
    ast.Lambda: "lambda",
}


@dataclass(frozen=True)
class Insertion:
    """Text to insert before the code point ``col`` (0-based) of ``line`` (1-based)."""

    line: int
    col: int
    text: str


def detach_edits(
    tree: ast.Module, lines: Sequence[str], findings: Sequence[Finding]
) -> tuple[list[Insertion], list[Finding], list[tuple[Finding, str]]]:
    """The insertions that detach the values of NG002 ``findings``, the findings they fix,
    and those refused with the reason."""
    spans = _expression_spans(tree, lines)
    split = {  # ``out, hidden = model(x, hidden)``: a tuple, not one tensor
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, (ast.Tuple, ast.List)) for target in node.targets)
    }
    insertions: list[Insertion] = []
    fixed: list[Finding] = []
    refused: list[tuple[Finding, str]] = []
    done: set[tuple[int, int, int, int]] = set()
    for finding in findings:
        key = (finding.line, finding.col, finding.end_line, finding.end_col)
        node = spans.get(key)
        parenthesised = False
        if node is None:
            inner = _inside_parentheses(lines, key)
            node = spans.get(inner) if inner is not None else None
            parenthesised = node is not None
        reason = finding.fix_refusal
        if reason is None:
            reason = SPLIT if node is not None and id(node) in split else _refusal(node)
        if reason is not None:
            refused.append((finding, reason))
            continue
        if key not in done:  # two findings on one value (two targets) need one detach
            done.add(key)
            if parenthesised or isinstance(node, PRIMARIES):
                insertions.append(Insertion(finding.end_line, finding.end_col, ".detach()"))
            else:
                insertions.append(Insertion(finding.line, finding.col, "("))
                insertions.append(Insertion(finding.end_line, finding.end_col, ").detach()"))
        fixed.append(finding)
    return insertions, fixed, refused


def not_a_tensor(kind: str) -> str:
    """The refusal for a stored value that is a ``kind`` of container, not a tensor."""
    return NOT_A_TENSOR.format(kind=kind)


def _refusal(node: ast.AST | None) -> str | None:
    if node is None:
        return NOT_LOCATED
    if isinstance(node, ast.Starred):
        return UNPACKED
    if isinstance(node, ast.FormattedValue):
        return IN_A_STRING
    kind = _CONTAINERS.get(type(node))
    if kind is not None:
        return not_a_tensor(kind)
    if isinstance(node, ast.GeneratorExp):
        return NOT_A_TENSOR.format(kind="generator expression")
    choice = _CHOICES.get(type(node))
    if choice is not None and any(isinstance(arm, ast.Constant) for arm in _arms(node)):
        return CHOSEN.format(kind=choice)  # ``(loss if training else 0).detach()`` fails on 0
    if isinstance(node, ast.Attribute) and node.attr in GRAPH_DROPPING_METHODS | TENSOR_METHODS:
        return A_METHOD.format(name=node.attr)  # ``total += loss.item``: a bug of its own
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "detach"
        and not node.args
    ):
        return ALREADY
    return None


def _arms(node: ast.AST) -> list[ast.expr]:
    """The operands an ``if`` expression or a chain of ``and``/``or`` may evaluate to."""
    if isinstance(node, ast.IfExp):
        return [*_arms(node.body), *_arms(node.orelse)]
    if isinstance(node, ast.BoolOp):
        return [arm for value in node.values for arm in _arms(value)]
    return [node] if isinstance(node, ast.expr) else []


def _expression_spans(
    tree: ast.Module, lines: Sequence[str]
) -> dict[tuple[int, int, int, int], ast.AST]:
    """Every expression by its span in code points, the outermost one where several share a
    span; the contents of f-strings are left out (they hold no stored values)."""
    spans: dict[tuple[int, int, int, int], ast.AST] = {}
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.JoinedStr):
            continue
        if isinstance(node, ast.expr) and node.end_lineno is not None:
            key = (
                node.lineno,
                _column(lines, node.lineno, node.col_offset),
                node.end_lineno,
                _column(lines, node.end_lineno, node.end_col_offset or 0),
            )
            spans.setdefault(key, node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return spans


def _column(lines: Sequence[str], line: int, utf8_offset: int) -> int:
    return code_points(lines[line - 1] if 0 < line <= len(lines) else "", utf8_offset)


def _inside_parentheses(
    lines: Sequence[str], span: tuple[int, int, int, int]
) -> tuple[int, int, int, int] | None:
    """The span within the outer parentheses of a one-line span written ``( value )``, for
    an analysis whose spans take in the parentheses."""
    line, col, end_line, end_col = span
    if line != end_line or not 0 < line <= len(lines):
        return None
    text = lines[line - 1][col:end_col]
    if not (text.startswith("(") and text.endswith(")")):
        return None
    inner = text[1:-1]
    start = col + 1 + len(inner) - len(inner.lstrip())
    end = end_col - 1 - (len(inner) - len(inner.rstrip()))
    return line, start, line, end


def apply(lines: Sequence[str], insertions: Sequence[Insertion]) -> str:
    """The text with ``insertions`` made, later ones first so earlier columns stay valid."""
    edited = list(lines)
    for insertion in sorted(insertions, key=lambda i: (i.line, i.col), reverse=True):
        row = edited[insertion.line - 1]
        edited[insertion.line - 1] = row[: insertion.col] + insertion.text + row[insertion.col :]
    return "".join(edited)
