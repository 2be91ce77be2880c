"""Nested functions that are done with a graph before the last gradient call.

A ``def`` nested in the function that reads a value of the graph keeps it alive while it
may still run: a hook, a callback, a closure called again later may differentiate it. One
that keeps nothing itself and is called, or handed to a call that cannot keep it, only
before the gradient call is done with the graph there, so it does not make a later
``retain_graph=True`` needed (pyro's tests: ``elbo.differentiable_loss(model, guide)``, then
one last ``grad(..., retain_graph=True)``).
"""

from __future__ import annotations

import ast

from ..ast_names import FUNCTIONS, chain_head, same_scope_nodes
from .function_values import FunctionValues
from .gradient_calls import differentiated_values, local_definition, makes_gradient_calls
from .value_keepers import arguments_by_parameter, keeps_handed
from .value_readings import names_read
from .values import ModuleValues, top_level_names


def _module_imports(values: ModuleValues) -> set[str]:
    """Names the module binds by importing at its top level: modules, a library's
    functions and classes."""
    return {
        name
        for statement in values.tree.body
        if isinstance(statement, (ast.Import, ast.ImportFrom))
        for name in top_level_names(statement)
    }


#: Builtins that reach a function's variables by name: a closure read through them is
#: read where the analysis cannot see.
_NAME_LOOKUPS = frozenset({"locals", "vars", "globals", "eval", "exec"})


def closures_done_before(
    call: ast.Call, reached: set[int], function: FunctionValues, values: ModuleValues
) -> set[int]:
    """The ``id`` of the nested functions that close over the bindings ``reached`` but
    are done with them at ``call``: ``def model(): sample(prior)`` given to
    ``elbo.differentiable_loss(model, guide)`` holds ``prior``'s graph only until the
    function stops running it. Such a function is a plain ``def`` of a function (a
    module's are globals), undecorated, bound once, with literal defaults, that keeps
    nothing itself (``_keeps_nothing``); it is read only before ``call`` and out of its
    loops, in the function's own code, and only called, handed to a call, or made into
    values that are read only there too and never leave the function. Handed to a call,
    which may keep it and run it at any later time (a hook, a callback, a context
    manager's exit), it must be handed neither to a method of an object that outlives the
    function nor to a function of the module that keeps it, and no gradient call, nor the
    exit of a ``with`` or ``try`` around ``call``, may come after ``call``."""
    node_of_function = function.node
    if not isinstance(node_of_function, FUNCTIONS):
        return set()
    graph_names = function.names_of(reached)
    closures = function.closures_over(graph_names)
    if not closures or names_read(node_of_function) & _NAME_LOOKUPS:
        return set()
    done: set[int] = set()
    for node in closures:
        if (
            not isinstance(node, FUNCTIONS)
            or node.decorator_list
            or not all(
                isinstance(default, ast.Constant)
                for default in (*node.args.defaults, *node.args.kw_defaults)
                if default is not None
            )
            or function.nested_function(node.name) is not node
            or not _keeps_nothing(node, function.free_of(node) - graph_names)
        ):
            continue
        name = node.name

        def made_from(candidate: ast.AST, name: str = name) -> bool:
            if isinstance(candidate, ast.Call):
                candidate = candidate.func  # ``model()``: what it returns may hold it too
            return isinstance(candidate, ast.Name) and candidate.id == name

        held = function.derived(made_from)
        if function.leaves(held, made_from, free_only=True):
            continue
        if not _read_only_before(call, {name} | function.names_of(held), node, function):
            continue
        handed = _handed_closure(name, held, function, values)
        if handed is None:
            continue
        if handed and (
            _gradient_call_after(call, function, values) or _exits_after(call, node_of_function)
        ):
            continue
        done.add(id(node))
    return done


def _read_only_before(
    call: ast.Call, names: set[str], definition: ast.AST, function: FunctionValues
) -> bool:
    """Every read of ``names`` in the function is in ``call`` or before it, in the
    function's own code, out of the loops around ``call``, and ``definition`` is the only
    ``def`` of its name."""
    here = (call.lineno, call.col_offset)
    inside = {id(node) for node in ast.walk(call)}
    loops = function.call_loops.get(id(call), frozenset())
    for node in ast.walk(function.node):
        if isinstance(node, FUNCTIONS) and node is not definition and node.name in names:
            return False
        if not isinstance(node, ast.Name) or node.id not in names or id(node) in inside:
            continue
        if not isinstance(node.ctx, ast.Load):
            continue
        around = function.read_loops(node)
        if around is None or around & loops or (node.lineno, node.col_offset) > here:
            return False
    return True


def _keeps_nothing(closure: ast.AST, others: set[str]) -> bool:
    """Whether the nested function ``closure`` cannot leave what it reads anywhere but in
    what it returns: it declares nothing ``global`` or ``nonlocal``, raises and yields
    nothing, stores into no attribute or item, and calls nothing on or by one of
    ``others``, the variables of the function around it that are not the graph
    (``outs.append(h)``, ``buf.copy_(h)``, ``register(fn)``)."""
    for node in ast.walk(closure):
        if isinstance(
            node, (ast.Global, ast.Nonlocal, ast.Raise, ast.Yield, ast.YieldFrom, ast.Await)
        ):
            return False
        if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, ast.Call) and chain_head(node.func) in others:
            return False
    return True


def _handed_closure(
    name: str, held: set[int], function: FunctionValues, values: ModuleValues
) -> bool | None:
    """How the function reads the closure ``name``: False when it only calls it (or
    makes values of it, ``held``), True when it also hands it to calls, None when it reads
    it any other way (another function's default, a tuple handed on), or hands it to a
    method of an object that outlives the function (``model.register_forward_hook(fn)``)
    or to a function of the module that keeps it."""
    imported = _module_imports(values)
    allowed: set[int] = set()
    for index in held:
        allowed.update(id(node) for node in ast.walk(function.bindings[index].value))
    handed = False
    for other in function.calls:
        if isinstance(other.func, ast.Name) and other.func.id == name:
            allowed.add(id(other.func))
        given = [
            (parameter, argument)
            for parameter, argument in arguments_by_parameter(other, values)
            if isinstance(argument, ast.Name) and argument.id == name
        ]
        if not given:
            continue
        handed = True
        allowed.update(id(argument) for _, argument in given)
        local = local_definition(other.func, values)
        if local is not None and keeps_handed(local, [p for p, _ in given], values):
            return None
        receiver = chain_head(other.func)
        if isinstance(other.func, ast.Attribute) and not (
            (receiver in function.local and receiver not in function.parameters())
            or receiver in imported  # ``poutine.reparam(model)``
        ):
            return None  # ``self.hooks.append(fn)``, ``model.register_forward_hook(fn)``
        if isinstance(other.func, ast.Name) and (
            other.func.id in function.parameters() or other.func.id in function.outer
        ):
            return None  # ``register(fn)``, a callable the caller chose
    for node in ast.walk(function.node):
        if (
            isinstance(node, ast.Name)
            and node.id == name
            and isinstance(node.ctx, ast.Load)
            and id(node) not in allowed
        ):
            return None
    return handed


def _gradient_call_after(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """A gradient call after ``call`` in the function, or a call of a function of the
    module that makes one: it may run a hook the function registered."""
    here = (call.lineno, call.col_offset)
    for other in function.calls:
        if other is call or (other.lineno, other.col_offset) <= here:
            continue
        if differentiated_values(other, values) is not None:
            return True
        local = local_definition(other.func, values)
        if local is not None and makes_gradient_calls(local, values):
            return True
    return False


def _exits_after(call: ast.Call, node: ast.AST) -> bool:
    """``call`` sits in a ``with`` or ``try`` of the function ``node``, whose exit or
    ``finally`` runs code after it."""
    blocks = (ast.With, ast.AsyncWith, ast.Try, getattr(ast, "TryStar", ast.Try))
    return any(
        isinstance(inner, blocks) and any(part is call for part in ast.walk(inner))
        for inner in same_scope_nodes(node.body)  # type: ignore[attr-defined]
    )
