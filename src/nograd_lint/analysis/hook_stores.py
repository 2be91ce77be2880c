"""Where a module's forward hooks may keep what a forward computed, for NG003.

A forward hook runs inside every forward of the module it is registered on and is handed
that forward's output: a hook that keeps it (Grad-CAM, feature extractors) hands part of
the graph to whoever reads the store next, out of sight of the values. Within one function
any later gradient call may then differentiate that graph. Across functions, the store
must outlive the function: a variable of the module (``features.append(output)``), read by
another function that differentiates (``features[-1].sum().backward()``). A store on an
object (``self._features[name] = output``) is the object's, and is read as its attributes
are.
"""

from __future__ import annotations

import ast
import weakref

from ..ast_names import FUNCTIONS, last_name
from .catalog import FORWARD_HOOK_METHODS, stores_arguments
from .gradient_calls import differentiated_values
from .value_readings import names_read
from .values import ModuleValues, module_variables

__all__ = ["hooks_keep_graphs_for", "registers_forward_hooks"]


def registers_forward_hooks(values: ModuleValues) -> bool:
    """The module registers forward hooks: a later gradient call may differentiate any
    activation one of them kept (``store["feat"].pow(2).mean().backward()``)."""
    known = _HOOKS.get(values)
    if known is None:
        known = _HOOKS[values] = any(
            last_name(call.func) in FORWARD_HOOK_METHODS for call in values.index.calls
        )
    return known


def hooks_keep_graphs_for(definition: ast.AST, values: ModuleValues) -> bool:
    """The module registers forward hooks, one of its functions stores into a variable of
    the module (``features.append(output)``, ``features[name] = output``, ``global last;
    last = output``), and code that reads that variable and makes a gradient call also
    calls the function ``definition`` (``_step(model, x, y); features[-1].sum().backward()``):
    the forwards of the function may leave their graphs there for that gradient call."""
    if not isinstance(definition, FUNCTIONS):
        return False  # the module's own code, or a lambda: read within itself
    return any(
        any(
            isinstance(node, ast.Call) and last_name(node.func) == definition.name
            for node in ast.walk(reader)
        )
        for reader in _readers(values)
    )


def _readers(values: ModuleValues) -> list[ast.AST]:
    """The functions of the module (and its top-level code) that read a variable of the
    module a function stores into and make a gradient call; none where no forward hook
    is registered."""
    known = _READERS.get(values)
    if known is None:
        stores = _module_stores(values) if registers_forward_hooks(values) else set()
        known = _READERS[values] = (
            [scope for scope in _scopes(values) if _reads_to_differentiate(scope, stores, values)]
            if stores
            else []
        )
    return known


def _module_stores(values: ModuleValues) -> set[str]:
    """The module's variables a function of it adds to, stores an item of, or rebinds
    through ``global``."""
    variables = module_variables(values)
    stored: set[str] = set()
    for definition in ast.walk(values.tree):
        if not isinstance(definition, (*FUNCTIONS, ast.Lambda)):
            continue
        body = list(ast.walk(definition))
        declared = {n for node in body if isinstance(node, ast.Global) for n in node.names}
        local = {
            node.id
            for node in body
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
        } - declared
        mine: set[str] = set()
        for node in body:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                if stores_arguments(node.func.attr) and isinstance(receiver, ast.Name):
                    mine.add(receiver.id)
            elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                if isinstance(node.value, ast.Name):
                    mine.add(node.value.id)
            elif (
                isinstance(node, ast.Name)
                and not isinstance(node.ctx, ast.Load)
                and node.id in declared
            ):
                mine.add(node.id)
        stored |= mine - local
    return stored & variables


def _scopes(values: ModuleValues) -> list[ast.AST]:
    """The module's functions, and its top-level code."""
    scopes: list[ast.AST] = [node for node in ast.walk(values.tree) if isinstance(node, FUNCTIONS)]
    scopes.append(
        ast.Module(
            body=[s for s in values.tree.body if not isinstance(s, (*FUNCTIONS, ast.ClassDef))],
            type_ignores=[],
        )
    )
    return scopes


def _reads_to_differentiate(scope: ast.AST, stores: set[str], values: ModuleValues) -> bool:
    return bool(names_read(scope) & stores) and any(
        isinstance(node, ast.Call) and differentiated_values(node, values) is not None
        for node in ast.walk(scope)
    )


#: Per module, ``registers_forward_hooks``.
_HOOKS: weakref.WeakKeyDictionary[ModuleValues, bool] = weakref.WeakKeyDictionary()
#: Per module, ``_readers``.
_READERS: weakref.WeakKeyDictionary[ModuleValues, list[ast.AST]] = weakref.WeakKeyDictionary()
