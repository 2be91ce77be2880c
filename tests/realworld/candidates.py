"""A liberal finder of eval-then-forward sites, independent of the linter.

Recall only means something if the sites it is measured on were not chosen by the linter
itself. This finder knows nothing about grad modes, flow or intent: it lists every call
``X(...)`` / ``X.forward(...)`` whose receiver ``X`` is put in eval mode (``X.eval()``,
``X.train(False)``, ``X = <expr>.eval()``) anywhere in the same file, or bound from such a
receiver (``self.model = model.to(dev)``), ``self.X`` only within the same class. Humans
then label each site by reading the code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Optional

ScopeKey = tuple[Optional[str], str]  # (enclosing class for self.*, receiver text)


@dataclass(frozen=True, order=True)
class Site:
    """A call of an eval-mode-somewhere receiver; ``col`` is 0-based like the linter's."""

    line: int
    col: int
    model: str


def dotted(node: ast.AST) -> Optional[str]:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_eval_call(call: ast.AST) -> bool:
    """``.eval()`` or ``.train(False)`` / ``.train(mode=False)``."""
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
        return False
    if call.func.attr == "eval":
        return not call.args and not call.keywords
    if call.func.attr != "train":
        return False
    values = list(call.args) + [k.value for k in call.keywords]
    return len(values) == 1 and isinstance(values[0], ast.Constant) and values[0].value is False


def _key(text: str, class_name: Optional[str]) -> ScopeKey:
    is_self = text == "self" or text.startswith("self.")
    return (class_name if is_self else None, text)


def _walk_with_class(node: ast.AST, class_name: Optional[str] = None) -> Iterator[tuple[ast.AST, Optional[str]]]:
    for child in ast.iter_child_nodes(node):
        yield child, class_name
        inner = child.name if isinstance(child, ast.ClassDef) else class_name
        yield from _walk_with_class(child, inner)


def eval_receivers(tree: ast.AST) -> set[ScopeKey]:
    """Every receiver put in eval mode somewhere, and every name bound to an eval chain."""
    keys: set[ScopeKey] = set()
    for node, class_name in _walk_with_class(tree):
        if _is_eval_call(node):
            receiver = dotted(node.func.value)  # type: ignore[attr-defined]
            if receiver:
                keys.add(_key(receiver, class_name))
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _contains_eval_chain(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                text = dotted(target)
                if text:
                    keys.add(_key(text, class_name))
    return _with_aliases(tree, keys)


def _with_aliases(tree: ast.AST, keys: set[ScopeKey]) -> set[ScopeKey]:
    """Add names bound from a receiver or a method chain on one (``m = model.to(dev)``)."""
    bindings = []
    for node, class_name in _walk_with_class(tree):
        if isinstance(node, ast.Assign):
            root = _chain_root(node.value)
            if root:
                for target in node.targets:
                    text = dotted(target)
                    if text:
                        bindings.append((_key(root, class_name), _key(text, class_name)))
    changed = True
    while changed:
        changed = False
        for source, target in bindings:
            if source in keys and target not in keys:
                keys.add(target)
                changed = True
    return keys


def _chain_root(value: ast.AST) -> Optional[str]:
    """The receiver text under a chain of method calls, or a plain dotted value's text."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        value = value.func.value
    return dotted(value)


def _contains_eval_chain(value: Optional[ast.AST]) -> bool:
    """``Net().to(dev).eval()`` and the like: an eval call somewhere in a method chain."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        if _is_eval_call(value):
            return True
        value = value.func.value
    return False


def candidate_sites(source: str) -> list[Site]:
    """The sites of one file, sorted; empty for files that do not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    keys = eval_receivers(tree)
    if not keys:
        return []
    sites = set()
    for node, class_name in _walk_with_class(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "forward":
            func = func.value
        text = dotted(func)
        if text and _key(text, class_name) in keys:
            sites.add(Site(node.lineno, node.col_offset, text))
    return sorted(sites)
