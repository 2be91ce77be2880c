"""Small readings of LibCST nodes: dotted names (``self.net.encoder``), literal booleans,
node types that cannot hold a call."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst


def dotted_name(expr: cst.CSTNode) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else (calls, subscripts)."""
    parts: list[str] = []
    while type(expr) is cst.Attribute:  # ``isinstance`` would go through ``ABCMeta``
        parts.append(expr.attr.value)
        expr = expr.value
    if type(expr) is not cst.Name:
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def argument(call: cst.Call, position: int | None, keyword: str) -> cst.BaseExpression | None:
    """The argument a call passes at ``position`` (before any ``*args``) or as ``keyword``:
    how a parameter of the callee is read, whichever way the caller wrote it."""
    index = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            if arg.star == "*":
                position = None  # the positions after ``*args`` are unknown
            continue
        if index == position:
            return arg.value
        index += 1
    return None


def literal_bool(expr: cst.BaseExpression) -> bool | None:
    """The value of a ``True``/``False``/integer literal, None for anything computed."""
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    if isinstance(expr, cst.Integer):
        return int(expr.value, 0) != 0
    return None


_CALL_FREE_TYPES = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.Name,
    cst.BaseNumber,
    cst.SimpleString,
)
_CALL_FREE_BASES = frozenset(_CALL_FREE_TYPES)
#: Per concrete type, cached: ``isinstance`` against LibCST's abstract bases goes through
#: ``ABCMeta`` and was most of the analysis pass's time.
_HOLDS_CALLS: dict[type, bool] = {}


def may_hold_calls(kind: type) -> bool:
    """False for node types that never contain a call: names, literals, whitespace, punctuation."""
    holds = _HOLDS_CALLS.get(kind)
    if holds is None:
        # Read off the type's own bases: ``issubclass`` against an abstract base that is not
        # one walks every subclass LibCST defines under it, to fill ``ABCMeta``'s caches,
        # about half a millisecond per type and per process (LibCST registers no virtual
        # subclasses, so the bases say the same).
        bases = kind.__mro__
        holds = _HOLDS_CALLS[kind] = cst.CSTNode in bases and _CALL_FREE_BASES.isdisjoint(bases)
    return holds


_SKIPPED_FIELDS = frozenset(
    {"lpar", "rpar", "header", "footer", "leading_lines", "lines_after_decorators"}
)
_FIELDS: dict[type, tuple[str, ...]] = {}
#: Fields in the order their code is written, for the node types whose dataclass fields come
#: in another order (an ``if`` expression's test, a definition's decorators).
_WRITTEN_ORDER: dict[type, tuple[str, ...]] = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.FunctionDef: ("decorators", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: (
        "posonly_params",
        "posonly_ind",
        "params",
        "star_arg",
        "kwonly_params",
        "star_kwarg",
    ),
}


def _fields(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    return names


def child_nodes(
    node: cst.CSTNode, written_order: bool = False, names: bool = False
) -> Iterator[cst.CSTNode]:
    """The child nodes that can contain calls (and, with ``names``, the ``Name`` nodes),
    read off the node's fields: LibCST's own ``children`` visits every node to list them,
    which cost more than the analysis. In field order, which is evaluation order (an ``if``
    expression's test first), or with ``written_order``, the order of the source."""
    kind = type(node)
    fields = _WRITTEN_ORDER.get(kind) if written_order else None
    for field in fields or _fields(kind):
        value = getattr(node, field)
        value_kind = type(value)
        if value_kind is tuple or value_kind is list:
            for item in value:
                item_kind = type(item)
                if may_hold_calls(item_kind) or (names and item_kind is cst.Name):
                    yield item
        elif may_hold_calls(value_kind) or (names and value_kind is cst.Name):
            yield value
