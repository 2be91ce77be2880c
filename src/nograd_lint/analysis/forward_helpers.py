"""The private methods of a module class that only its ``forward`` runs.

``forward`` runs under its caller's grad mode, and an eval-mode submodule there is usually a
frozen feature extractor whose graph a loss needs: NG001 does not read class-wide eval state
in it (``catalog.MODULE_FORWARD``). A private method that only ``forward`` calls, or only
other such methods, as ``self._features(x)``, runs under the same grad mode for the same
loss, and is read the same way. Anything that may call it from elsewhere keeps it out: a
call in another method, a reference that is not a call on the method's own ``self``, its
name anywhere outside the class or in a string (``getattr(self, "_features")``), a
decorator, or a second class of the same name.
"""

from __future__ import annotations

import ast

from ..ast_names import module_class, self_parameter
from .catalog import MODULE_FORWARD

__all__ = ["forward_helpers"]

_Method = (ast.FunctionDef, ast.AsyncFunctionDef)


def forward_helpers(tree: ast.Module) -> dict[str, frozenset[str]]:
    """Class name -> the names of the private methods that only its ``forward`` runs
    (directly, or through other such methods), for the module-level classes that have any.
    The module is walked once for all of them."""
    texts: list[str] = []
    attributes: dict[str, list[int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.Attribute):
            attributes.setdefault(node.attr, []).append(id(node))
    found: dict[str, frozenset[str]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and module_class(tree, statement.name):
            helpers = _helpers(statement, texts, attributes)
            if helpers:
                found[statement.name] = helpers
    return found


def _helpers(
    owner: ast.ClassDef, texts: list[str], attributes: dict[str, list[int]]
) -> frozenset[str]:
    methods = {m.name: m for m in owner.body if isinstance(m, _Method)}
    if MODULE_FORWARD not in methods:
        return frozenset()
    private = {
        name
        for name, method in methods.items()
        if name.startswith("_") and not name.endswith("__") and not method.decorator_list
    }
    # ``getattr(self, "_features")``, anywhere in the module
    refused = {name for name in private if any(name in text for text in texts)}
    if private <= refused:
        return frozenset()
    callers: dict[str, set[str]] = {name: set() for name in private}
    inside: set[int] = set()
    for name, method in methods.items():
        self_name = self_parameter(method)
        calls = {id(n.func) for n in ast.walk(method) if isinstance(n, ast.Call)}
        for node in ast.walk(method):
            if isinstance(node, ast.Attribute) and node.attr in private:
                inside.add(id(node))
                plain = (
                    id(node) in calls
                    and isinstance(node.value, ast.Name)
                    and node.value.id == self_name
                )
                if plain:
                    callers[node.attr].add(name)
                else:
                    refused.add(node.attr)
    # ``loss_fn._features(x)`` from outside the class's methods
    refused.update(
        name for name in private if any(i not in inside for i in attributes.get(name, ()))
    )
    helpers = {MODULE_FORWARD}
    changed = True
    while changed:
        changed = False
        for name in private - refused - helpers:
            if callers[name] and callers[name] <= helpers:
                helpers.add(name)
                changed = True
    return frozenset(helpers - {MODULE_FORWARD})
