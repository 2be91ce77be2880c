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

from .catalog import MODULE_FORWARD

__all__ = ["forward_helpers"]

_Method = (ast.FunctionDef, ast.AsyncFunctionDef)


def forward_helpers(tree: ast.Module, class_name: str) -> frozenset[str]:
    """The names of the private methods of the module-level class ``class_name`` that only
    its ``forward`` runs (directly, or through other such methods)."""
    classes = [s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == class_name]
    if len(classes) != 1:
        return frozenset()
    owner = classes[0]
    methods = {m.name: m for m in owner.body if isinstance(m, _Method)}
    if MODULE_FORWARD not in methods:
        return frozenset()
    private = {
        name
        for name, method in methods.items()
        if name.startswith("_") and not name.endswith("__") and not method.decorator_list
    }
    if not private:
        return frozenset()
    callers: dict[str, set[str]] = {name: set() for name in private}
    refused: set[str] = set()
    inside: set[int] = set()
    for name, method in methods.items():
        self_name = _self_name(method)
        calls = {id(n.func) for n in ast.walk(method) if isinstance(n, ast.Call)}
        for node in ast.walk(method):
            inside.add(id(node))
            if isinstance(node, ast.Attribute) and node.attr in private:
                plain = (
                    id(node) in calls
                    and isinstance(node.value, ast.Name)
                    and node.value.id == self_name
                )
                if plain:
                    callers[node.attr].add(name)
                else:
                    refused.add(node.attr)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            refused.update(name for name in private if name in node.value)
        elif isinstance(node, ast.Attribute) and node.attr in private and id(node) not in inside:
            refused.add(node.attr)  # ``loss_fn._features(x)`` from outside the class
    helpers = {MODULE_FORWARD}
    changed = True
    while changed:
        changed = False
        for name in private - refused - helpers:
            if callers[name] and callers[name] <= helpers:
                helpers.add(name)
                changed = True
    return frozenset(helpers - {MODULE_FORWARD})


def _self_name(method: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    if method.decorator_list:
        return None
    positional = (*method.args.posonlyargs, *method.args.args)
    return positional[0].arg if positional else None
