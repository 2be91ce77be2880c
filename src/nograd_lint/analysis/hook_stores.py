"""Where a module's forward hooks may keep what a forward computed, for NG003.

A forward hook runs inside every forward of the module it is registered on and is handed
that forward's output: a hook that keeps it (Grad-CAM, feature extractors) hands part of
the graph to whoever reads the store next, out of sight of the values. Within one function
any later gradient call may then differentiate that graph. Across functions, the store
must outlive the function: a variable of the module (``features.append(output)``; not
``output.detach()``), differentiated by a function that calls the one with the flag
(``_step(model, x, y); features[-1].sum().backward()``). A store on an object
(``self._features[name] = output``) is the object's, and is read as its attributes are.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator

from ..ast_names import FUNCTIONS, last_name
from .catalog import FORWARD_HOOK_METHODS, stores_arguments
from .function_values import FunctionValues
from .gradient_calls import differentiated_values
from .value_readings import argument_values, names_read, never_carries
from .values import ModuleValues, module_variables

__all__ = ["hook_store_readers", "registers_forward_hooks"]


def registers_forward_hooks(values: ModuleValues) -> bool:
    """The module registers forward hooks: a later gradient call may differentiate any
    activation one of them kept (``store["feat"].pow(2).mean().backward()``)."""
    known = _HOOKS.get(values)
    if known is None:
        known = _HOOKS[values] = any(
            last_name(call.func) in FORWARD_HOOK_METHODS for call in values.index.calls
        )
    return known


def hook_store_readers(values: ModuleValues) -> frozenset[int]:
    """``id`` of each function of the module (the module itself for its top-level code)
    with a gradient call of a value read from a variable of the module that one of its
    functions stores a value with a graph in (``features.append(output)``, not
    ``.detach()``); none where no forward hook is registered. Whatever such a function
    calls may leave a forward's graph there for that gradient call."""
    known = _READERS.get(values)
    if known is None:
        stores = _module_stores(values) if registers_forward_hooks(values) else set()
        known = _READERS[values] = frozenset(_readers(stores, values)) if stores else frozenset()
    return known


def _readers(stores: set[str], values: ModuleValues) -> Iterator[int]:
    """``id`` of the function (or module) of each gradient call that reads ``stores``."""
    for call in values.index.calls:
        roots = differentiated_values(call, values)
        function = values.function_of(call)
        if roots is not None and function is not None and _reads(roots, stores, function):
            yield id(function.node)


def _reads(roots: list[ast.expr], names: set[str], function: FunctionValues) -> bool:
    """The differentiated values read one of ``names``, themselves or through the names
    they read (``head = features[-1]; head.sum().backward()``)."""
    seen: set[str] = set()
    frontier = {n for root in roots for n in names_read(root)}
    while frontier:
        if frontier & names:
            return True
        seen |= frontier
        frontier = {
            n
            for binding in function.bindings
            if frontier & set(binding.names)
            for n in names_read(binding.value)
        } - seen
    return False


def _module_stores(values: ModuleValues) -> set[str]:
    """The module's variables a function of it adds to, stores an item of, or rebinds
    through ``global``, with a value that may carry a graph."""
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
                if (
                    stores_arguments(node.func.attr)
                    and isinstance(receiver, ast.Name)
                    and not all(never_carries(a) for a in argument_values(node))
                ):
                    mine.add(receiver.id)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                if node.value is None or never_carries(node.value):
                    continue  # ``store["feat"] = output.detach()``
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for part in ast.walk(target):
                        if isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name):
                            mine.add(part.value.id)
                        elif isinstance(part, ast.Name) and part.id in declared:
                            mine.add(part.id)
        stored |= mine - local
    return stored & variables


#: Per module, ``registers_forward_hooks``.
_HOOKS: weakref.WeakKeyDictionary[ModuleValues, bool] = weakref.WeakKeyDictionary()
#: Per module, ``_readers``.
_READERS: weakref.WeakKeyDictionary[ModuleValues, frozenset[int]] = weakref.WeakKeyDictionary()
