"""Where a module calls one of its private functions, and what each call gives it.

A parameter's graph belongs to the caller, who may differentiate it again after the call
(NG003 keeps such a ``retain_graph=True``). A module-level function whose name starts with an
underscore is, by Python's convention, called by its own module only. When every use of such
a name in the module is a plain call, those calls are all there is, and each can be read: the
caller's argument is the graph, and the caller's code says what else differentiates it.
Anything else is code the module does not show, and answers None: a public name, a method
(a subclass elsewhere may call it, even a mangled one by its full name), a decorator, the
name passed around as a value or written in a string (``__all__``, ``getattr``), a module
that looks its names up (``globals()``), ``*args`` at a call, two definitions of one name,
a module in the same folder whose text names it (it may import it, underscore or not).
"""

from __future__ import annotations

import ast
import weakref
from typing import NamedTuple

from ..ast_names import arguments_given
from .sibling_modules import named_beside
from .values import ModuleValues

__all__ = ["CallSite", "private_call_sites"]


class CallSite(NamedTuple):
    """One call of the function: the call, and the expression each parameter is given
    (a parameter left to its default is absent: a default holds no graph)."""

    call: ast.Call
    given: dict[str, ast.expr]


def private_call_sites(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> list[CallSite] | None:
    """Every call of the module's private function or method ``definition``, or None
    where it may be called in ways the module does not show."""
    known = _SITES.setdefault(values, {})
    if id(definition) not in known:
        known[id(definition)] = _sites(definition, values)
    return known[id(definition)]


#: Per module, ``id`` of a definition -> its call sites.
_SITES: weakref.WeakKeyDictionary[ModuleValues, dict[int, list[CallSite] | None]] = (
    weakref.WeakKeyDictionary()
)


def _sites(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> list[CallSite] | None:
    name = definition.name
    if not name.startswith("_") or name.endswith("__"):
        return None
    if definition not in values.tree.body or definition.decorator_list:
        return None
    arguments = definition.args
    if arguments.vararg is not None or arguments.kwarg is not None:
        return None
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    keywords = {a.arg for a in (*arguments.args, *arguments.kwonlyargs)}
    calls = {id(call.func): call for call in values.index.calls}
    definitions = 0
    sites: list[CallSite] = []
    for node in ast.walk(values.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions += node.name == name
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and name in node.value:
            return None  # ``__all__``, ``getattr(module, "_step")``
        if isinstance(node, ast.Name) and node.id in _LOOKUPS:
            return None  # ``globals()["_backward_" + kind]``
        if isinstance(node, ast.Attribute) and node.attr == name:
            return None  # ``module._step`` from a module that imports this one
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        call = calls.get(id(node))
        # A lambda may run any number of times (``step = lambda: _backward(loss)``).
        if call is None or isinstance(values.index.owners.get(id(call)), ast.Lambda):
            return None  # passed on as a value, rebound, or called by a lambda
        given = arguments_given(call, positional, keywords)
        if given is None:
            return None
        sites.append(CallSite(call, given))
    if definitions != 1 or not sites or named_beside(values.path, name):
        return None  # ``from train import _backward`` in a module beside this one
    return sites


#: Builtins that look a function up by its name at run time.
_LOOKUPS = frozenset({"globals", "vars", "locals", "getattr", "eval", "exec"})
