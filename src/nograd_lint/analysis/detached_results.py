"""Helpers that hand back values without a graph, read where they are defined.

``cached = save_data(model, x)`` before a loop looks like a model's output made once and
differentiated on every iteration; when the helper (a function of the module, one imported
from a module beside it, or the ``__call__`` of an object of the module's class) detaches
everything it returns, its result carries no graph and the loop's ``retain_graph=True`` is
needless. Only definitions bound once, that no star import or rebinding may replace, are read.
"""

from __future__ import annotations

import ast
import weakref

from ..ast_names import (
    ATTRIBUTES_BY_NAME,
    FUNCTIONS,
    chain_head,
    last_name,
    module_level,
    same_scope_nodes,
    self_parameter,
)
from .catalog import (
    FORWARD_METHODS,
    INSTANCE_CALL_METHOD,
    MODULE_BASE_NAMES,
    is_in_place,
    stores_arguments,
)
from .function_values import Binding, FunctionValues
from .mode_summaries import summaries_of
from .model_calls import binds_itself, rebound_globals
from .value_readings import FunctionNode
from .values import ModuleValues


def returns_no_graph(func: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """A call that hands back no graph, read where its callee is defined: a function of the
    module, or one it imports from a module beside it (``cached = save_data(model, x)``),
    or an object of a class of the module, whose ``__call__`` (or ``forward``) is read
    (``get_inputs = Catcher(model)``, then ``get_inputs(x)``). Such a function detaches
    what it returns (``graph_free``), whatever it runs inside. Only a name the module
    binds once, to that definition, is read so: not one a star import may rebind, a
    decorator wraps or the function binds itself."""
    if not isinstance(func, ast.Name):
        return False
    reaching = function.reaching(func)
    if reaching and not (func.id in function.parameters() or _star_imports(values)):
        methods = [_instance_call(function.bindings[index], function, values) for index in reaching]
        return all(method is not None and graph_free(method, values) for method in methods)
    if not _names_a_definition(func, function, values):
        return False
    if values.returns_detached(func.id):
        return True  # ``repackage_hidden``, which calls itself on each part
    callee = _function_named(func.id, values)
    return callee is not None and graph_free(*callee)


def unpacks_no_graph(
    binding: Binding, name: str, function: FunctionValues, values: ModuleValues
) -> bool:
    """``s, a, hidden = self.make_batch()``: the part of a helper's result that the
    assignment ``binding`` gives ``name`` carries no graph, read where the helper is
    defined: every ``return`` there hands back a tuple whose part at that place carries
    none (``graph_free``), however the rest is made. The helper is one ``returns_no_graph``
    reads by its name, or a method of the object's own class (``self.make_batch()``): the
    one it runs, and every override of it in the module's subclasses."""
    value, target = binding.value, binding.target
    target_end = (getattr(target, "end_lineno", 0) or 0, getattr(target, "end_col_offset", 0) or 0)
    if not (
        isinstance(value, ast.Call)
        and id(value) not in function.iterables()  # ``for s, a in self.batches()``
        # an assignment, its value after its target (not a ``with`` or ``match`` subject)
        and (value.lineno, value.col_offset) > target_end
    ):
        return False
    part = _place(target, name)
    if part is None:
        return False
    callees = _callees(value.func, function, values)
    return bool(callees) and all(
        graph_free(definition, there, part) for definition, there in callees
    )


def _place(target: ast.AST, name: str) -> tuple[int, ...] | None:
    """Where in the value an assignment to ``target`` gives ``name`` its part: ``(1, 0)``
    for ``h`` of ``s, (h, c) = ...``, ``()`` for the whole; None where a starred target
    moves the places, or ``name`` is bound some other way (an attribute, a subscript)."""
    if isinstance(target, ast.Name):
        return () if target.id == name else None
    if not isinstance(target, (ast.Tuple, ast.List)) or any(
        isinstance(element, ast.Starred) for element in target.elts
    ):
        return None
    for index, element in enumerate(target.elts):
        inner = _place(element, name)
        if inner is not None:
            return (index, *inner)
    return None


def _callees(
    func: ast.expr, function: FunctionValues, values: ModuleValues
) -> list[tuple[FunctionNode, ModuleValues]]:
    """The definitions ``func(...)`` may run, with the module each is read in: the plain
    function a name is bound to (as ``returns_no_graph`` reads it), or for
    ``self.method(...)`` in a method, the class's own or inherited method and its
    overrides in the module's subclasses, none decorated. Empty where another may run."""
    if isinstance(func, ast.Name):
        if not _names_a_definition(func, function, values):
            return []
        callee = _function_named(func.id, values)
        return [] if callee is None else [callee]
    node = function.node
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and isinstance(node, FUNCTIONS)
        and func.value.id == self_parameter(node)
    ):
        return []
    summaries = summaries_of(values)
    owner = summaries.method_class(node)
    provider = None if owner is None else summaries.classes.provider(owner, func.attr)
    if owner is None or provider is None:
        return []  # a method of a base of another module's, or an attribute
    classes = [provider, *summaries.classes.overrides(owner, func.attr)]
    definitions = [summaries.definitions[(c, func.attr)] for c in classes]
    if any(definition.decorator_list for definition in definitions):
        return []  # ``@property``, ``@staticmethod``, or a wrapper
    return [(definition, values) for definition in definitions]


def _names_a_definition(func: ast.Name, function: FunctionValues, values: ModuleValues) -> bool:
    """``func`` names what the module binds at its top level: not a parameter or a variable
    of the function, a local function, one a function rebinds or a name bound where the
    flow does not follow, nor a name a ``from finetune import *`` may bind (a later one
    too)."""
    return not (
        func.id in function.parameters()
        or _star_imports(values)
        or function.reaching(func)
        or binds_itself(func.id, function, values)
        or func.id in rebound_globals(values)
    )


def _function_named(name: str, values: ModuleValues) -> tuple[FunctionNode, ModuleValues] | None:
    """The plain function ``name`` of the module, or the one it imports under that name
    from a module beside it, with the module it is defined in."""
    definition = values.plain_function(name)
    if definition is not None:
        return definition, values
    imported = summaries_of(values).imported.definition(name)
    if imported is None:
        return None
    there, definition = imported
    if there.plain_function(definition.name) is not definition or _star_imports(there):
        return None
    return definition, there


def _star_imports(values: ModuleValues) -> bool:
    """Whether the module has a ``from ... import *`` anywhere at its top level, of any
    package (not only those beside it that ``sibling_modules`` reads): it may bind any
    name."""
    known = _STAR_IMPORTS.get(values)
    if known is None:
        known = _STAR_IMPORTS[values] = any(
            isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names)
            for statement in module_level(values.tree)
        )
    return known


#: Per module, ``_star_imports``.
_STAR_IMPORTS: weakref.WeakKeyDictionary[ModuleValues, bool] = weakref.WeakKeyDictionary()


def _instance_call(
    binding: Binding, function: FunctionValues, values: ModuleValues
) -> FunctionNode | None:
    """The method that calling the object ``binding`` makes runs: ``catcher = Catcher(m)``
    binds an object of the module's class ``Catcher`` (bound once, by a ``class`` statement
    without decorators, and not by the function), whose own ``__call__`` runs when it is
    called, or, for a class whose bases are all ``nn.Module``, its ``forward``. None for
    any other binding."""
    value = binding.value
    if not (
        isinstance(binding.target, ast.Name)
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and not binds_itself(value.func.id, function, values)
    ):
        return None
    definition = values.plain_class(value.func.id)
    if definition is None:
        return None
    methods = {
        member.name: member
        for member in definition.body
        if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and not member.decorator_list
    }
    if INSTANCE_CALL_METHOD in methods:
        return methods[INSTANCE_CALL_METHOD]
    if not definition.bases or not all(
        last_name(base) in MODULE_BASE_NAMES for base in definition.bases
    ):
        return None  # a base's ``__call__`` runs, which may hand back anything
    return next((methods[name] for name in FORWARD_METHODS if name in methods), None)


def graph_free(definition: FunctionNode, values: ModuleValues, part: tuple[int, ...] = ()) -> bool:
    """Every ``return`` of the function hands back a value that carries no graph, as
    ``origins_of`` reads it strictly: no call in it that may record one, and nothing of its
    parameters, of the object or of the module; and it is no generator, and changes no
    object it may hand back in place (``out.feats = ...``, ``total.add_(...)``); what it
    computes on a model's parameters (``model.parameters()``) carries a graph, and so does
    what any call returns, given nothing or not. Calls it makes are read in turn (a
    recursive one reads as a graph). ``part``: only that part of each returned tuple
    (``(1, 0)``: the first element of the second), or the whole of a value that is none."""
    known = _GRAPH_FREE.setdefault(values, {})
    key = (id(definition), part)
    if key not in known:
        known[key] = False  # while it is read
        known[key] = isinstance(definition, FUNCTIONS) and _hands_back_no_graph(
            definition, values, part
        )
    return known[key]


def _hands_back_no_graph(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues, part: tuple[int, ...]
) -> bool:
    returned = []
    owner = self_parameter(definition)
    for node in same_scope_nodes(definition.body):
        if isinstance(node, ast.Return) and node.value is not None:
            returned.append(_part_of(node.value, part))
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)):
            return False
    # Nested functions and comprehensions included: they may run, on the same objects.
    if any(_changes_in_place(node, owner) for node in ast.walk(definition)):
        return False
    if not returned:
        return True
    # Read as the gradient call's own value is read; imported here because that reading
    # asks this module in turn whether a helper's result carries a graph.
    from .graph_sources import origins_of

    origins = origins_of(returned, values.facts(definition), values, strict=True)
    return not (
        origins.recorded()
        or origins.unbound_forward
        or origins.from_parameter
        or origins.from_attribute
        or origins.from_enclosing
        or origins.from_iteration
    )


def _part_of(value: ast.expr, part: tuple[int, ...]) -> ast.expr:
    """The part of a returned value at ``part``, as far as it is written as a tuple or
    list (``return s, a, h_in_lst[0]``); the whole of a part that is made otherwise. A
    starred element moves the places after it: the whole value then."""
    for index in part:
        if not isinstance(value, (ast.Tuple, ast.List)) or any(
            isinstance(element, ast.Starred) for element in value.elts[: index + 1]
        ):
            return value
        if index >= len(value.elts):
            return value  # unpacking fails at run time; read the whole
        value = value.elts[index]
    return value


def _changes_in_place(node: ast.AST, owner: str | None) -> bool:
    """A statement or call that may put a graph into an object the function hands back,
    which ``origins_of`` reads no binding of: an attribute stored on anything but the object
    the method belongs to (``out.feats = h``, ``setattr(ns, "h", h)``), an in-place
    tensor method on such a value (``total.add_(h)``, ``buffer.copy_(h)``)."""
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
        return (chain_head(node) or None) != owner
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in ATTRIBUTES_BY_NAME
    if not isinstance(func, ast.Attribute):
        return False
    return (
        is_in_place(func.attr)
        and stores_arguments(func.attr)
        and (chain_head(func.value) or None) != owner
    )


#: Per module, (``id`` of a function, part) -> ``graph_free``.
_GRAPH_FREE: weakref.WeakKeyDictionary[ModuleValues, dict[tuple[int, tuple[int, ...]], bool]] = (
    weakref.WeakKeyDictionary()
)
