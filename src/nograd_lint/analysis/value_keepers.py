"""Whether a call handed a value of the graph may keep it, or differentiate it later.

A graph handed to code that keeps a reference (stored on an object, added to a container
that outlives the call, passed on to a function that differentiates it) may be
differentiated again where NG003 cannot see, so the ``retain_graph=True`` counts as needed.
torch's functions, builtins, losses, tensor methods and loggers keep nothing; the module's
own functions are read a few calls deep.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator

from ..ast_names import chain_head, dotted_name
from .catalog import (
    CONTAINER_ADDERS,
    GRAPH_DROPPING_BUILTINS,
    GRAPH_DROPPING_METHODS,
    LOGGING_METHODS,
    PASS_THROUGH_BUILTINS,
    TENSOR_METHODS,
    stores_arguments,
)
from .function_values import FunctionValues
from .gradient_calls import local_definition, makes_gradient_calls
from .model_calls import chained_objects, names_a_loss
from .object_graphs import paired
from .value_readings import NEVER, Seed, never_carries
from .values import ModuleValues


def handed_on_later(
    call: ast.Call, own: set[int], function: FunctionValues, values: ModuleValues
) -> bool:
    """A value of the graph handed, after the gradient call, to a call that may
    differentiate it where the analysis cannot see (``balancer.step([loss_a, loss_b])``):
    anything but torch's functions, builtins, losses, tensor methods and loggers; or handed,
    before it, to a function of the module that keeps it where the caller may read it
    (``_keep(history, loss)``)."""
    if not own:
        return False
    here = (call.lineno, call.col_offset)
    end = (call.end_lineno or call.lineno, call.end_col_offset or call.col_offset)
    derived = function.derived(NEVER, own)
    models = function.model_names() | chained_objects(function)
    for other in function.calls:
        # A call in ``call``'s own arguments runs before it (``_step(F.mse_loss(head(x), y))``).
        before = (other.lineno, other.col_offset) <= here or (
            (other.end_lineno or other.lineno, other.end_col_offset or 0) <= end
        )
        local = local_definition(other.func, values)
        if local is None and (before or passes_nothing_on(other, values, models)):
            continue
        handed = [
            parameter
            for parameter, argument in arguments_by_parameter(other, values)
            if function.carries(argument, derived, NEVER)
        ]
        if not handed:
            continue
        if local is None or keeps_handed(local, handed, values):
            return True
        if not before and makes_gradient_calls(local, values):
            return True
    return False


def arguments_by_parameter(
    call: ast.Call, values: ModuleValues
) -> Iterator[tuple[str | None, ast.expr]]:
    """Each argument of ``call`` with the parameter of the module's function it is given
    to (None where that is not known: another callee, ``*args``, a method's ``self``)."""
    local = local_definition(call.func, values)
    positional: list[str] = []
    if local is not None:
        positional = [a.arg for a in (*local.args.posonlyargs, *local.args.args)]
        static = any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in local.decorator_list
        )
        if isinstance(call.func, ast.Attribute) and not static:
            positional = positional[1:]  # ``self.log(loss)``: ``self`` is bound
    for index, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            yield None, argument.value
        else:
            yield (positional[index] if index < len(positional) else None), argument
    for keyword in call.keywords:
        yield (keyword.arg if local is not None else None), keyword.value


def passes_nothing_on(
    call: ast.Call, values: ModuleValues, models: frozenset[str] = frozenset()
) -> bool:
    """Calls that compute on, record or print their arguments, and differentiate nothing:
    torch's functions, those of a library that reads numbers (``np.array(x)``), a
    function or method of the module whose body has no gradient call, and a part of one
    of ``models`` run forward (``m.sent(h, s)``)."""
    func = call.func
    if values.qualified(func) is not None or values.reader(func) is not None:
        return True
    local = local_definition(func, values)
    if local is not None:
        return not makes_gradient_calls(local, values)
    name = func.attr if isinstance(func, ast.Attribute) else None
    if name is not None and any(
        makes_gradient_calls(definition, values) or _may_keep(definition, None, values)
        for definition in values.definitions_named(name)
    ):
        # ``balancer.update(losses)``, where the module's ``update`` differentiates them, or
        # ``store.log(loss)``, where its ``log`` keeps them
        return False
    if isinstance(func, ast.Name):
        return func.id in GRAPH_DROPPING_BUILTINS or func.id in PASS_THROUGH_BUILTINS
    if isinstance(func, ast.Attribute):
        return (
            func.attr in TENSOR_METHODS
            or func.attr in GRAPH_DROPPING_METHODS
            or func.attr in CONTAINER_ADDERS
            or func.attr in LOGGING_METHODS
            or names_a_loss(func.attr)
            or dotted_name(func.value) in models
        )
    return False


def given_seed(function: FunctionValues, names: set[str]) -> Seed:
    """The seed that accepts a read of one of ``names`` that no binding of the function
    reaches: the value it was given for that parameter."""

    def from_given(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in names and not function.reaching(node)

    return from_given


def keeps_handed(
    local: ast.FunctionDef | ast.AsyncFunctionDef,
    handed: list[str | None],
    values: ModuleValues,
    depth: int = 0,
) -> bool:
    """The module's function ``local``, handed graph values for the parameters ``handed``
    (None where the parameter is not known), may keep one of them."""
    named = {parameter for parameter in handed if parameter is not None}
    return len(named) < len(handed) or _may_keep(local, named, values, depth)


def _may_keep(
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
    given: set[str] | None,
    values: ModuleValues,
    depth: int = 0,
) -> bool:
    """The module's function may keep what its parameters ``given`` (None: all) hold where a caller
    reads it again: it adds a value of theirs to a container it did not make
    (``history.append(loss)``, ``history += [loss]``), stores one on an object, an item or
    a global, hands one to a call that may keep it (``queue.put(loss)``, a function of the
    module that keeps it, a few calls deep), or makes a function that may capture them.
    What holds no graph (``meter.update(loss.item())``) is not kept."""
    known = _KEEPS.setdefault(values, {})
    key = (id(definition), None if given is None else frozenset(given), depth)
    if key not in known:
        reading = _KEEPS_READING.setdefault(values, set())
        if key[:2] in reading:
            # A recursive call with the same parameters keeps only what the rest of the
            # body keeps, which the reading in progress decides (``repackage_hidden``).
            return False
        reading.add(key[:2])
        try:
            known[key] = _reads_may_keep(definition, given, values, depth)
        finally:
            reading.discard(key[:2])
    return known[key]


#: Per module, (``id`` of a function, the parameters given, depth) -> ``_may_keep``.
_KEEPS: weakref.WeakKeyDictionary[
    ModuleValues, dict[tuple[int, frozenset[str] | None, int], bool]
] = weakref.WeakKeyDictionary()
#: Per module, the (function, parameters given) that ``_may_keep`` is reading now.
_KEEPS_READING: weakref.WeakKeyDictionary[ModuleValues, set[tuple[int, frozenset[str] | None]]] = (
    weakref.WeakKeyDictionary()
)


def _reads_may_keep(
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
    given: set[str] | None,
    values: ModuleValues,
    depth: int,
) -> bool:
    body = definition.body[0] if definition.body else None
    function = values.function_of(body) if body is not None else None
    if function is None or function.node is not definition or depth > _KEEP_DEPTH:
        return True
    from_given = given_seed(function, function.parameters() if given is None else given)

    def holds(node: ast.AST | None) -> bool:
        return node is not None and function.carries(node, derived, from_given)

    derived = function.derived(from_given)
    made = {  # ``seen = []``, ``out = dict()``: a container of its own
        part.id
        for node in ast.walk(definition)
        if isinstance(node, ast.Assign)
        for target in node.targets
        for part, value in paired(target, node.value)
        if isinstance(part, ast.Name) and _new_container(value)
    } - function.parameters()  # ``if history is None: history = []``: maybe the caller's
    for node in ast.walk(definition):
        if node is not definition and isinstance(node, (ast.Lambda, *_FUNCTION_NODES)):
            return True
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return True
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            outside = any(
                isinstance(t, ast.Attribute)
                or (isinstance(t, ast.Subscript) and chain_head(t) not in made)
                for t in targets
            ) or (
                isinstance(node, ast.AugAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id not in made
            )
            if outside and holds(node.value):
                return True
        if isinstance(node, ast.Call):
            handed = [
                parameter
                for parameter, argument in arguments_by_parameter(node, values)
                if holds(argument)
            ]
            if not handed:
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and never_carries(func.value):
                continue  # ``param.data.sub_(lr * grad)``: written where no graph is recorded
            if isinstance(func, ast.Attribute) and stores_arguments(func.attr):
                if not (isinstance(func.value, ast.Name) and func.value.id in made):
                    return True
                continue
            local = local_definition(func, values)
            if local is not None:
                if keeps_handed(local, handed, values, depth + 1):
                    return True
                continue
            if not passes_nothing_on(node, values):
                return True
    return False


def _new_container(value: ast.expr | None) -> bool:
    """``[]``, ``{}``, ``dict()``, ``list(...)``: a container made here, that no one else holds."""
    if isinstance(value, _NEW_CONTAINERS):
        return True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in _CONTAINER_BUILTINS
        and not value.keywords
        and len(value.args) <= 1
    )


#: How many calls deep ``_may_keep`` follows the module's functions.
_KEEP_DEPTH = 3
_NEW_CONTAINERS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
#: Builtins that make a new container (a copy, given one argument).
_CONTAINER_BUILTINS = frozenset({"dict", "list", "set"})
