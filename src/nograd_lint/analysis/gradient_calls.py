"""What a gradient call differentiates, and which functions of the module make one.

Every NG003 question starts from a gradient call (``loss.backward()``,
``torch.autograd.grad(...)``, ``accelerator.backward(loss)``): which values it differentiates,
read from the catalog's forms, and whether a function of the module differentiates anything
itself or through the functions it calls. Shared by the rule, the readings of where a graph
comes from and of what a callee may keep, and the reading of finished closures.
"""

from __future__ import annotations

import ast
import weakref

from ..ast_names import dotted_name
from .catalog import (
    BACKWARD_WRAPPER_NAME,
    GRAPH_FREEING_FUNCTIONS,
    GRAPH_FREEING_METHODS,
    TENSOR_BACKWARD,
)
from .function_values import FunctionValues
from .values import ModuleValues


def differentiated_values(call: ast.Call, values: ModuleValues) -> list[ast.expr] | None:
    """The expressions whose graph ``call`` differentiates; None if it is no gradient call."""
    func = call.func
    keyword = freeing_function(call, values)
    if keyword is not None:  # ``torch.autograd.backward`` before any ``.backward`` method
        if call.args:
            return [call.args[0]]
        named = next((k.value for k in call.keywords if k.arg == keyword), None)
        return [named] if named is not None else None
    if isinstance(func, ast.Attribute) and func.attr in GRAPH_FREEING_METHODS:
        # ``accelerator.backward(loss)``, ``self.manual_backward(loss)``: the argument;
        # ``y.backward(grad)``: ``y``, and whatever graph the gradient given carries.
        given = [a for a in call.args if not isinstance(a, ast.Starred)]
        if not given:
            return [func.value]
        receiver = dotted_name(func.value)
        if func.attr == TENSOR_BACKWARD and not (
            receiver is not None and BACKWARD_WRAPPER_NAME.search(receiver.rsplit(".", 1)[-1])
        ):
            return [func.value, *given]
        return given
    return None


def freeing_function(call: ast.Call, values: ModuleValues) -> str | None:
    """The keyword that names what ``call`` differentiates, when it calls one of torch's
    gradient functions (``torch.autograd.backward(tensors=...)``)."""
    return GRAPH_FREEING_FUNCTIONS.get(values.qualified(call.func) or "")


def defers_gradient_calls(function: FunctionValues, values: ModuleValues) -> bool:
    """The function holds a gradient call to make later, where the flow cannot see it run:
    a ``.backward`` or ``torch.autograd.grad`` taken as a value (``pending.append(
    loss.backward)``, ``partial(torch.autograd.backward, aux)``, ``stack.callback(...)``),
    or a lambda that differentiates (``later = lambda t=aux: t.backward()``)."""
    known = _DEFERS.get(function)
    if known is None:
        nodes = list(ast.walk(function.node))
        # Calls of nested functions too: their own gradient calls are no values taken.
        called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
        known = any(
            any(
                isinstance(inner, ast.Call) and differentiated_values(inner, values) is not None
                for inner in ast.walk(node.body)
            )
            if isinstance(node, ast.Lambda)
            else isinstance(node, (ast.Attribute, ast.Name))
            and id(node) not in called
            and (
                (isinstance(node, ast.Attribute) and node.attr in GRAPH_FREEING_METHODS)
                or values.qualified(node) in GRAPH_FREEING_FUNCTIONS
            )
            for node in nodes
            if node is not function.node
        )
        _DEFERS[function] = known
    return known


#: Per function, ``defers_gradient_calls``.
_DEFERS: weakref.WeakKeyDictionary[FunctionValues, bool] = weakref.WeakKeyDictionary()


def makes_gradient_calls(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> bool:
    """A gradient call in the function's body, or in a function of the module it calls
    (``optimize(loss)`` calling ``_backward(loss)``), each function read once."""
    known = _DIFFERENTIATES.setdefault(values, {})
    if id(definition) in known:
        return known[id(definition)]
    known[id(definition)] = True  # while it is read: a recursive call may differentiate
    found = False
    for node in ast.walk(definition):
        if not isinstance(node, ast.Call):
            continue
        if differentiated_values(node, values) is not None:
            found = True
            break
        callee = local_definition(node.func, values)
        if callee is not None and callee is not definition and makes_gradient_calls(callee, values):
            found = True
            break
    known[id(definition)] = found
    return found


#: Per module, ``id`` of a function -> ``makes_gradient_calls``.
_DIFFERENTIATES: weakref.WeakKeyDictionary[ModuleValues, dict[int, bool]] = (
    weakref.WeakKeyDictionary()
)


def local_definition(
    func: ast.expr, values: ModuleValues
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module's function ``f`` of ``f(...)``, or a method ``m`` of ``self.m(...)`` in
    any class of the module."""
    if isinstance(func, ast.Name):
        wanted, in_class = func.id, False
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        wanted, in_class = func.attr, func.value.id in ("self", "cls")
    else:
        return None
    for statement in values.tree.body:
        members = (
            statement.body if in_class and isinstance(statement, ast.ClassDef) else [statement]
        )
        for member in members if (in_class or not isinstance(statement, ast.ClassDef)) else []:
            if (
                isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
                and member.name == wanted
            ):
                return member
    return None
