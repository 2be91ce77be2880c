"""Small readings of LibCST nodes: dotted names (``self.net.encoder``), literal booleans,
node types that cannot hold a call."""

from __future__ import annotations

from typing import Collection, Optional

import libcst as cst


def dotted_name(expr: cst.CSTNode) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, None for anything else (calls, subscripts)."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def is_within(name: str, prefix: str) -> bool:
    """True when ``name`` is ``prefix`` or an attribute of it (``self.model`` in ``self``)."""
    return name == prefix or name.startswith(prefix + ".")


def within_any(name: str, prefixes: Collection[str]) -> bool:
    """True when ``name`` or one of its prefixes (``self``, ``self.net``) is in ``prefixes``."""
    if not prefixes:
        return False
    head = name
    while head not in prefixes:
        if "." not in head:
            return False
        head = head.rsplit(".", 1)[0]
    return True


def literal_bool(expr: cst.BaseExpression) -> Optional[bool]:
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
#: Per concrete type, cached: ``isinstance`` against LibCST's abstract bases goes through
#: ``ABCMeta`` and was most of the analysis pass's time.
_HOLDS_CALLS: dict[type, bool] = {}


def may_hold_calls(kind: type) -> bool:
    """False for node types that never contain a call: names, literals, whitespace, punctuation."""
    holds = _HOLDS_CALLS.get(kind)
    if holds is None:
        holds = _HOLDS_CALLS[kind] = issubclass(kind, cst.CSTNode) and not issubclass(kind, _CALL_FREE_TYPES)
    return holds
