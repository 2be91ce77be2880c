"""Helpers that hand back values without a graph, read where they are defined.

``cached = save_data(model, x)`` before a loop looks like a model's output made once and
differentiated on every iteration; when the helper (a function of the module, one imported
from a module beside it, or the ``__call__`` of an object of the module's class) detaches
everything it returns, its result carries no graph and the loop's ``retain_graph=True`` is
needless. Only definitions bound once, that no star import or rebinding may replace, are read.
"""

from __future__ import annotations

import ast
import enum
import functools
import re
import weakref
from collections.abc import Callable

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
    METADATA_ARGUMENT_METHODS,
    MODULE_BASE_NAMES,
    is_in_place,
    stores_arguments,
)
from .function_values import Binding, FunctionValues
from .mode_summaries import summaries_of
from .model_calls import binds_itself, rebound_globals
from .sibling_modules import any_text_beside
from .value_readings import (
    FunctionNode,
    makes_a_parameter,
    makes_requires_grad,
    may_make_a_leaf,
    peeled,
)
from .values import ModuleValues, top_level_names


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
        methods = [instance_call(function.bindings[index], function, values) for index in reaching]
        return all(method is not None and graph_free(method, values) for method in methods)
    if not _names_a_definition(func, function, values):
        return False
    if values.returns_detached(func.id):
        return True  # ``repackage_hidden``, which calls itself on each part
    callee = _function_named(func.id, values)
    return callee is not None and graph_free(*callee)


def returns_only_detached(func: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """``func`` names, in ``function``, the module's function whose every ``return`` hands
    back a detached value (``ModuleValues.returns_detached``): the light part of
    ``returns_no_graph``, read without the callee's flow."""
    # Read by the flow as it places bindings: not through ``reaching``, but by what the
    # function binds anywhere.
    return (
        isinstance(func, ast.Name)
        and func.id not in function.local | function.parameters()
        and not _star_imports(values)
        and not binds_itself(func.id, function, values)
        and func.id not in rebound_globals(values)
        and values.returns_detached(func.id)
    )


def unpacked_part(
    binding: Binding, name: str, function: FunctionValues, values: ModuleValues
) -> Handed:
    """``s, a, hidden = self.make_batch()``: what the part of a helper's result that the
    assignment ``binding`` gives ``name`` holds, read where the helper is defined: every
    ``return`` there hands back a tuple whose part at that place is read (``hands_back``),
    however the rest is made. The helper is one ``returns_no_graph`` reads by its name, or
    a method of the object's own class (``self.make_batch()``): the one it runs, and every
    override of it in the module's subclasses and in the modules beside it. ``GRAPH`` for
    any other binding."""
    value, target = binding.value, binding.target
    target_end = (getattr(target, "end_lineno", 0) or 0, getattr(target, "end_col_offset", 0) or 0)
    if not (
        isinstance(value, ast.Call)
        and id(value) not in function.iterables()  # ``for s, a in self.batches()``
        # an assignment, its value after its target (not a ``with`` or ``match`` subject)
        and (value.lineno, value.col_offset) > target_end
    ):
        return Handed.GRAPH
    part = _place(target, name)
    if part is None:
        return Handed.GRAPH
    run = callees(value.func, function, values)
    if not run:
        return Handed.GRAPH
    handed = {hands_back(definition, there, part) for definition, there in run}
    return handed.pop() if len(handed) == 1 else Handed.GRAPH


def _place(target: ast.AST, name: str) -> tuple[int, ...] | None:
    """Where in the value an assignment to ``target`` gives ``name`` its part: ``(1, 0)``
    for ``h`` of ``s, (h, c) = ...``, ``(-1,)`` for ``h`` of ``s, *_, h = ...``, ``()``
    for the whole; None for a starred name (a list of parts), or a name bound some other
    way (an attribute, a subscript)."""
    if isinstance(target, ast.Name):
        return () if target.id == name else None
    if not isinstance(target, (ast.Tuple, ast.List)):
        return None
    starred = [i for i, element in enumerate(target.elts) if isinstance(element, ast.Starred)]
    if len(starred) > 1:
        return None  # a syntax error
    for index, element in enumerate(target.elts):
        inner = _place(element, name)
        if inner is not None:
            # after a starred target, counted from the end
            place = index - len(target.elts) if starred and index > starred[0] else index
            return (place, *inner)
    return None


def callees(
    func: ast.expr, function: FunctionValues, values: ModuleValues
) -> list[tuple[FunctionNode, ModuleValues]]:
    """The definitions ``func(...)`` may run, with the module each is read in: the plain
    function a name is bound to (as ``returns_no_graph`` reads it), or for
    ``self.method(...)`` in a method, the class's own or inherited method and its
    overrides in the module's subclasses, none decorated. Empty where another may run:
    the module binds the method's name otherwise, or a module beside it may derive a
    class and define the method again. Read once per call: every name its result is
    unpacked to asks."""
    known = _CALLEES.setdefault(function, {})
    if id(func) not in known:
        known[id(func)] = _callees(func, function, values)
    return known[id(func)]


#: Per function, ``id`` of a callee expression -> ``callees``.
_CALLEES: weakref.WeakKeyDictionary[
    FunctionValues, dict[int, list[tuple[FunctionNode, ModuleValues]]]
] = weakref.WeakKeyDictionary()


def _callees(
    func: ast.expr, function: FunctionValues, values: ModuleValues
) -> list[tuple[FunctionNode, ModuleValues]]:
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
    if _bound_otherwise(func.attr, values) or any_text_beside(
        values.path, _subclass_pattern(tuple(sorted({owner, *classes})), func.attr)
    ):
        return []
    return [(definition, values) for definition in definitions]


def _bound_otherwise(method: str, values: ModuleValues) -> bool:
    """The module binds the name ``method`` of an object other than by a ``def`` in a class:
    ``make_batch = _bptt_batch`` in a class body, ``self.make_batch = ...`` anywhere."""
    known = _BOUND_OTHERWISE.setdefault(values, {})
    if method not in known:
        known[method] = any(
            (
                isinstance(node, ast.Attribute)
                and node.attr == method
                and not isinstance(node.ctx, ast.Load)
            )
            or (
                isinstance(node, ast.ClassDef)
                and any(
                    method in top_level_names(statement)
                    for statement in node.body
                    if not isinstance(statement, FUNCTIONS)
                )
            )
            for node in ast.walk(values.tree)
        )
    return known[method]


#: Per module, method name -> ``_bound_otherwise``.
_BOUND_OTHERWISE: weakref.WeakKeyDictionary[ModuleValues, dict[str, bool]] = (
    weakref.WeakKeyDictionary()
)


@functools.lru_cache(maxsize=256)
def _subclass_pattern(classes: tuple[str, ...], method: str) -> Callable[[str], bool]:
    """A test of a module's text: it may derive a class from one of ``classes`` (their
    names in a ``class`` statement's bases) and define ``method`` again. Kept, so that the
    same test object serves each module that asks."""
    names = "|".join(map(re.escape, classes))
    pattern = re.compile(rf"^\s*class\s+\w+\s*\([^)]*\b(?:{names})\b", re.MULTILINE)
    return lambda text: f"def {method}" in text and pattern.search(text) is not None


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


def instance_call(
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


class Handed(enum.Enum):
    """What a function hands back, as a caller's graph reads it."""

    #: Plain data: no graph, and nothing that records one when used.
    DATA = "data"
    #: A tensor that requires grad (``torch.zeros(n, requires_grad=True)``): no graph of
    #: its own, but what the caller computes on it records one.
    LEAF = "leaf"
    #: Maybe a graph.
    GRAPH = "graph"


def graph_free(definition: FunctionNode, values: ModuleValues, part: tuple[int, ...] = ()) -> bool:
    """Every ``return`` of the function hands back a value that carries no graph, as
    ``origins_of`` reads it strictly: no call in it that may record one, and nothing of its
    parameters, of the object or of the module; and it is no generator, and changes no
    object it may hand back in place (``out.feats = ...``, ``total.add_(...)``); what it
    computes on a model's parameters (``model.parameters()``) carries a graph, and so does
    what any call returns, given nothing or not. Calls it makes are read in turn (a
    recursive one reads as a graph). ``part``: only that part of each returned tuple
    (``(1, 0)``: the first element of the second), or the whole of a value that is none."""
    return hands_back(definition, values, part) is Handed.DATA


def hands_back(
    definition: FunctionNode, values: ModuleValues, part: tuple[int, ...] = ()
) -> Handed:
    """``graph_free``'s reading, which also tells a leaf apart: every returned ``part`` is
    a tensor made to require grad (``return torch.tensor(emb, requires_grad=True), y``),
    and nothing else of a graph is in it."""
    known = _HANDED.setdefault(values, {})
    key = (id(definition), part)
    if key not in known:
        known[key] = Handed.GRAPH  # while it is read
        known[key] = (
            _hands_back(definition, values, part)
            if isinstance(definition, FUNCTIONS)
            else Handed.GRAPH
        )
    return known[key]


def _hands_back(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues, part: tuple[int, ...]
) -> Handed:
    parts = []
    owner = self_parameter(definition)
    for node in same_scope_nodes(definition.body):
        if isinstance(node, ast.Return) and node.value is not None:
            parts.append(_part_of(node.value, part))
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)):
            return Handed.GRAPH
    # Nested functions and comprehensions included: they may run, on the same objects.
    if any(_changes_in_place(node, owner) for node in ast.walk(definition)):
        return Handed.GRAPH
    facts = values.facts(definition)
    handed: set[Handed] = set()
    returned = []
    for value, rest in parts:
        run = callees(value.func, facts, values) if isinstance(value, ast.Call) else []
        if run:  # ``return self._pack(obs, h)``: that part of what the helper hands back
            handed.update(hands_back(callee, there, rest) for callee, there in run)
        else:  # the whole of a value made otherwise (``return pair``), for any part of it
            returned.append(value)
    if returned:
        handed.add(_made(returned, facts, values))
    if Handed.GRAPH in handed:
        return Handed.GRAPH
    return Handed.LEAF if Handed.LEAF in handed else Handed.DATA


def holds_no_graph(made: list[ast.expr], definition: FunctionNode, values: ModuleValues) -> bool:
    """The values ``made`` in the function ``definition`` carry no graph and are no leaf,
    read as what it returns is (``hands_back``)."""
    return _made(made, values.facts(definition), values) is Handed.DATA


def _made(returned: list[ast.expr], facts: FunctionValues, values: ModuleValues) -> Handed:
    """What the ``returned`` values of a function hold."""
    # Read as the gradient call's own value is read; imported here because that reading
    # asks this module in turn whether a helper's result carries a graph.
    from .graph_sources import origins_of

    origins = origins_of(returned, facts, values, strict=True)
    if (
        origins.recorded()
        or origins.unbound_forward
        or origins.from_parameter
        or origins.from_attribute
        or origins.from_enclosing
        or origins.from_iteration
    ):
        return Handed.GRAPH
    if not (origins.grad_leaves or any(map(_makes_a_leaf, returned))):
        return Handed.DATA
    # ``return log_t, log_t.exp()``: the leaf itself, or what the function records on it
    leaves = all(_is_a_leaf(value, facts, values) for value in returned)
    return Handed.LEAF if leaves else Handed.GRAPH


def _makes_a_leaf(value: ast.expr) -> bool:
    """``torch.zeros(n, requires_grad=True)``, ``nn.Parameter(w)``: a tensor that requires
    grad, somewhere in the returned value."""
    return any(makes_requires_grad(node) or makes_a_parameter(node) for node in ast.walk(value))


def _is_a_leaf(value: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """``value`` is itself a tensor made to require grad, maybe moved (``.to(device)``):
    made so there, or a name bound only to such tensors, or made to require grad by the
    function (``log_t.requires_grad = True``)."""
    value = peeled(value, METADATA_ARGUMENT_METHODS)  # type: ignore[assignment]
    if isinstance(value, ast.Call):
        return may_make_a_leaf(value, values.qualified)
    if not isinstance(value, ast.Name):
        return False
    if value.id in function.requires_grad:
        return True
    reaching = function.reaching(value)
    return bool(reaching) and all(
        _is_a_leaf(function.bindings[index].value, function, values)  # type: ignore[arg-type]
        for index in reaching
        if isinstance(function.bindings[index].target, ast.Name)
    )


def _part_of(value: ast.expr, part: tuple[int, ...]) -> tuple[ast.expr, tuple[int, ...]]:
    """The part of a returned value at ``part``, as far as it is written as a tuple or
    list (``return s, a, h_in_lst[0]``), with the places left to read in it: ``()`` when
    the whole part is written out."""
    for depth, index in enumerate(part):
        if not isinstance(value, (ast.Tuple, ast.List)) or not (
            -len(value.elts) <= index < len(value.elts)  # else unpacking fails at run time
        ):
            return value, part[depth:]
        # a starred element before the place (after it, counted from the end) moves it
        before = value.elts[: index + 1] if index >= 0 else value.elts[index:]
        if any(isinstance(element, ast.Starred) for element in before):
            return value, part[depth:]
        value = value.elts[index]
    return value, ()


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


#: Per module, (``id`` of a function, part) -> ``hands_back``.
_HANDED: weakref.WeakKeyDictionary[ModuleValues, dict[tuple[int, tuple[int, ...]], Handed]] = (
    weakref.WeakKeyDictionary()
)
