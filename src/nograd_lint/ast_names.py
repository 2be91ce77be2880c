"""Names read off the stdlib ``ast``: dotted names (``self.model``), and the keys the screen
compares names by, their last part (``self.model`` is ("attr", "model"))."""

from __future__ import annotations

import ast
from typing import Optional

#: ("name" | "attr", last part): ``model`` is ("name", "model"), ``self.net`` ("attr", "net").
Key = tuple[str, str]


def key_of(node: ast.AST) -> Optional[Key]:
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if isinstance(node, ast.Attribute):
        return ("attr", node.attr)
    return None


def keys_in(node: Optional[ast.AST]) -> set[Key]:
    """Every name and attribute in ``node``: for a callee, all that rebinding ends its eval
    periods (``self``, ``self.model``: ``FlowState.clear``)."""
    if node is None:
        return set()
    return {key for child in ast.walk(node) for key in (key_of(child),) if key is not None}


def dotted_name(expr: ast.AST) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))
