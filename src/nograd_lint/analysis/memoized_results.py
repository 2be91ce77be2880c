"""Functions of the module that hand back what they made on an earlier call (NG003).

``prototype(c)`` under ``@functools.lru_cache``, or an ``anchor_embedding(encoder, key)``
that fills a module-level ``_CACHE[key]`` and returns it, looks like a fresh forward call at
every call site, but the second call with the same arguments returns the first call's
tensor, graph included: each loop iteration then differentiates that one graph again, and
the ``retain_graph=True`` before the next is needed. Such a call's value counts as a graph
held outside the function. So does that of a function under a decorator of the module's or
of a package's that may keep what it returns (``@memoize``): any but those that hand the
function back to run as it is (``catalog.TRANSPARENT_DECORATORS``) and torch's grad-mode
ones. Objects keep values too: a method, a ``@property`` or ``@cached_property``, or a
``__call__`` that sets an attribute on some calls only and hands it back (a lazy
attribute), and a function that keeps a value in a global the same way.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Callable

from ..ast_names import BLOCK_FIELDS, FUNCTIONS, dotted_name, owner_attributes, self_parameter
from .catalog import (
    CACHING_PROPERTY_DECORATORS,
    KEEPING_LOOKUPS,
    MEMOIZING_DECORATORS,
    PROPERTY_DECORATOR,
    TRANSPARENT_DECORATORS,
    GradEffect,
)
from .detached_results import callees, holds_no_graph, instance_call
from .function_values import FunctionValues
from .mode_summaries import summaries_of
from .value_readings import FunctionNode, argument_values, makes_a_container, never_carries
from .values import ModuleValues


def returns_a_kept_result(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """``call`` calls, by its name, a function of the module that may hand back a value
    it made on an earlier call: one under a memoizing decorator, or one that stores into a
    container of the module (``_CACHE[key] = ...``) and returns that entry. A name the
    calling function binds itself (a parameter ``encoder``) is not the module's."""
    func = call.func
    if isinstance(func, ast.Attribute):
        # ``self.targets()``: a method that keeps its result on the object
        known_callees = callees(func, function, values)
        if known_callees:
            return any(_caches_on_the_object(d, there) for d, there in known_callees)
        # ``bank.features()`` on an object of no known class: any method of the name
        return func.attr in _caching_methods(values)
    if isinstance(func, ast.Name) and func.id in function.local:
        return _calls_a_caching_object(func, function, values)  # ``targets(x)``
    if not isinstance(func, ast.Name) or func.id in function.parameters():
        return False
    known = _KEPT.setdefault(values, {})
    if func.id not in known:
        known[func.id] = any(
            _memoizes(definition, values)
            for definition in values.definitions_named(func.id)
            if definition in values.tree.body
        ) or _bound_to_a_cache(func.id, values)
    return known[func.id]


def _bound_to_a_cache(name: str, values: ModuleValues) -> bool:
    """``encode = functools.lru_cache(maxsize=None)(_encode)`` in the module's code: a
    memoizing decorator applied by a call."""
    for statement in values.tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets)
            and isinstance(statement.value, ast.Call)
        ):
            continue
        wrapper = statement.value.func  # ``lru_cache(maxsize=None)`` or ``lru_cache``
        named = wrapper.func if isinstance(wrapper, ast.Call) else wrapper
        if {dotted_name(named), values.qualified(named)} & MEMOIZING_DECORATORS:
            return not (isinstance(wrapper, ast.Call) and _keeps_nothing(wrapper))
    return False


def runs_a_caching_method(
    definition: FunctionNode, methods: Iterable[FunctionNode], values: ModuleValues
) -> bool:
    """``definition`` calls, through its ``self``, one of ``methods`` (those of its class)
    that keeps its result on the object (``self.bias(n)``, which fills ``self._bias[n]``
    once): what it computes from it reaches the graph kept by the first call."""
    owner = self_parameter(definition) if isinstance(definition, FUNCTIONS) else None
    if owner is None:
        return False
    called = {
        node.func.attr
        for node in ast.walk(definition)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and _named(node.func.value, {owner})
    }
    return any(
        method.name in called and method is not definition and _caches_on_the_object(method, values)
        for method in methods
        if isinstance(method, FUNCTIONS)
    )


def _calls_a_caching_object(func: ast.Name, function: FunctionValues, values: ModuleValues) -> bool:
    """``targets = TargetCache(teacher)``, then ``targets(x)``: the method that calling the
    object runs (``detached_results.instance_call``) keeps its result."""
    reaching = function.reaching(func)
    methods = [instance_call(function.bindings[index], function, values) for index in reaching]
    return any(method is not None and _caches_on_the_object(method, values) for method in methods)


def reads_a_kept_property(node: ast.Attribute, values: ModuleValues) -> bool:
    """``shared.feats`` where a class of the module makes ``feats`` a property kept on the
    object: under ``@cached_property``, or a ``@property`` that caches as a method may
    (``_caches_on_the_object``), of a value that may carry a graph."""
    return node.attr in _kept_properties(values)


def _kept_properties(values: ModuleValues) -> frozenset[str]:
    known = _PROPERTIES.get(values)
    if known is None:
        _PROPERTIES[values] = frozenset()  # while they are read, as for ``_caching_methods``
        found: set[str] = set()
        for (owner, name), definition in summaries_of(values).definitions.items():
            if owner is None or not isinstance(definition, FUNCTIONS):
                continue
            decorators = {
                named
                for decorator in definition.decorator_list
                for named in (dotted_name(decorator), values.qualified(decorator))
            }
            if decorators & CACHING_PROPERTY_DECORATORS:
                returned = [
                    n.value
                    for n in ast.walk(definition)
                    if isinstance(n, ast.Return) and n.value is not None
                ]
                if returned and not holds_no_graph(returned, definition, values):
                    found.add(name)
            elif PROPERTY_DECORATOR in decorators and _caches_on_the_object(definition, values):
                found.add(name)
        known = _PROPERTIES[values] = frozenset(found)
    return known


#: Per module, ``_kept_properties``.
_PROPERTIES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()


def _caching_methods(values: ModuleValues) -> frozenset[str]:
    """Names of the module's methods that keep their result on the object, read once per
    module."""
    known = _CACHING.get(values)
    if known is None:
        # none while they are read: what a cached value holds may call one of them
        _CACHING[values] = frozenset()
        definitions = summaries_of(values).definitions
        known = _CACHING[values] = frozenset(
            name
            for (owner, name), definition in definitions.items()
            if owner is not None and _caches_on_the_object(definition, values)
        )
    return known


#: Per module, ``_caching_methods``.
_CACHING: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()


def _memoizes(definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues) -> bool:
    for decorator in definition.decorator_list:
        named = decorator.func if isinstance(decorator, ast.Call) else decorator
        names = {dotted_name(named), values.qualified(named)}
        if names & MEMOIZING_DECORATORS:
            return not _keeps_nothing(decorator)
        if not (names & TRANSPARENT_DECORATORS or values.sets_grad_mode(decorator)):
            return True  # ``@memoize``: a wrapper of its own, which may keep what it returns
    own = _module_containers(values) | _mutable_defaults(definition)
    filled = {
        target.value.id
        for node in ast.walk(definition)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and target.value.id in own
    }
    returned = [
        node.value for node in ast.walk(definition) if isinstance(node, ast.Return) and node.value
    ]
    return _caches_in_a_global(definition, values) or any(
        # ``return _CACHE[key]`` after ``_CACHE[key] = ...``
        (isinstance(value, ast.Subscript) and _named(value.value, filled))
        # ``return _CACHE.setdefault(key, encoder(x))``
        or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in KEEPING_LOOKUPS
            and _named(value.func.value, own)
        )
        for value in returned
    )


def _caches_on_the_object(definition: FunctionNode, values: ModuleValues) -> bool:
    """``if self._targets is None: self._targets = ...`` then ``return self._targets``: a
    method that keeps on its object a value that may carry a graph and hands it back
    (``_keeps_between_calls``, of the attributes of its ``self``)."""
    if not isinstance(definition, FUNCTIONS):
        return False
    owner = self_parameter(definition)
    if owner is None:
        return False
    facts = values.facts(definition)

    def filled_by_a_method(statement: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
        """``self._build(x)``, whose body sets ``self._node_emb``: what it sets."""
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
            return
        func = statement.value.func
        if not (isinstance(func, ast.Attribute) and _named(func.value, {owner})):
            return
        for callee, _ in callees(func, facts, values):
            own = self_parameter(callee) if isinstance(callee, FUNCTIONS) else None
            if own is None or callee is definition:
                continue
            for inner in ast.walk(callee):
                if isinstance(inner, ast.stmt):
                    yield from _kept_values(inner, partial(owner_attributes, owner=own))

    return _keeps_between_calls(
        definition, lambda node: owner_attributes(node, owner), values, filled_by_a_method
    )


def _caches_in_a_global(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> bool:
    """``global _PROTOS; if _PROTOS is None: _PROTOS = encoder(x); return _PROTOS``: a
    function that keeps a value in a global name (``_keeps_between_calls``)."""
    declared = {
        name for node in ast.walk(definition) if isinstance(node, ast.Global) for name in node.names
    }
    if not declared:
        return False

    def globals_named(node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in declared}

    return _keeps_between_calls(definition, globals_named, values)


def _keeps_between_calls(
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
    places: Callable[[ast.AST], set[str]],
    values: ModuleValues,
    filled_by: Callable[[ast.stmt], Iterable[tuple[str, ast.expr]]] = lambda statement: (),
) -> bool:
    """The function returns (a value that reads) one of the ``places`` it keeps values in
    (what ``places`` names in a node: attributes of ``self``, global names), which it sets,
    to a value that may carry a graph, only on some calls: under an ``if`` of any test
    (``is None``, ``not hasattr(self, ...)``, a ready flag), in a handler, after a return
    that may have handed back the kept one, or to a value that reads the place itself
    (``self._p = self._p if self._p is not None else pool(x)``). Filling it in place
    (``self._feats.copy_(out)``) keeps a graph too; nothing made with grad off does, nor
    a return of a value that holds none (``return self._t.detach()``). ``filled_by``: what a
    statement sets through a call (a method of the object that sets an attribute)."""
    # the first line that hands back each place
    handed: dict[str, int] = {}
    for node in ast.walk(definition):
        if isinstance(node, ast.Return) and node.value is not None:
            if never_carries(node.value):
                continue
            for name in places(node.value):
                handed[name] = min(handed.get(name, node.lineno), node.lineno)
    if not handed:
        return False
    facts = values.facts(definition)
    kept: list[ast.expr] = []
    for conditional, grad_off, statement in _statements(definition.body, False, False, facts):
        if grad_off:
            continue  # ``with torch.no_grad(): self._buf.copy_(target(x))``: no graph
        for name, value in (*_kept_values(statement, places), *filled_by(statement)):
            # set on every call before it is handed back: made anew each time
            if name in handed and (
                conditional or statement.lineno > handed[name] or name in places(value)
            ):
                kept.append(value)
    # ``self._targets = torch.tensor(labels)``: what it keeps holds no graph
    return bool(kept) and not holds_no_graph(kept, definition, values)


def _statements(
    body: list[ast.stmt], conditional: bool, grad_off: bool, facts: FunctionValues
) -> Iterator[tuple[bool, bool, ast.stmt]]:
    """Every statement of ``body`` and of the blocks in it, with whether it runs only on
    some calls (under an ``if``, an ``except`` or a ``case``) and with grad off (in the
    body of ``with torch.no_grad()``)."""
    for statement in body:
        yield conditional, grad_off, statement
        inner = conditional or isinstance(statement, ast.If)
        off = grad_off
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                effect = facts.grad_switch(item.context_expr)
                if effect is not None:
                    off = effect is GradEffect.DISABLE
        for field in BLOCK_FIELDS:
            for part in getattr(statement, field, None) or ():
                if isinstance(part, ast.stmt):
                    yield from _statements([part], inner, off, facts)
                elif isinstance(part, (ast.ExceptHandler, ast.match_case)):
                    yield from _statements(part.body, True, off, facts)


def _kept_values(
    statement: ast.stmt, places: Callable[[ast.AST], set[str]]
) -> Iterator[tuple[str, ast.expr]]:
    """The places a statement sets or fills, each with the value given."""
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        if statement.value is None:
            return
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            for name in places(target):
                yield name, statement.value
    elif (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Attribute)
        and statement.value.func.attr.endswith("_")
    ):
        # ``self._feats.copy_(out)``: an in-place method records what it is given
        for name in places(statement.value.func.value):
            for argument in argument_values(statement.value):
                yield name, argument


def _named(node: ast.expr, names: set[str] | frozenset[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _keeps_nothing(decorator: ast.expr) -> bool:
    """``@lru_cache(maxsize=0)``: a cache of no entries."""
    if not isinstance(decorator, ast.Call):
        return False
    size = next((k.value for k in decorator.keywords if k.arg == "maxsize"), None)
    if size is None and decorator.args:
        size = decorator.args[0]
    return isinstance(size, ast.Constant) and size.value == 0


def _module_containers(values: ModuleValues) -> frozenset[str]:
    """Names the module's own code binds to a dict or list written out (``_CACHE = {}``),
    read once per module."""
    known = _CONTAINERS.get(values)
    if known is None:
        known = _CONTAINERS[values] = _containers_bound(values)
    return known


def _containers_bound(values: ModuleValues) -> frozenset[str]:
    found: set[str] = set()
    for statement in values.tree.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if makes_a_container(value):
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(found)


def _mutable_defaults(definition: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Parameters whose default is a container written out (``_memo={}``): Python makes
    it once, with the function, so every call that is not handed one shares it."""
    arguments = definition.args
    positional = [*arguments.posonlyargs, *arguments.args]
    pairs = [
        *zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults),
        *zip(arguments.kwonlyargs, arguments.kw_defaults),
    ]
    return frozenset(
        parameter.arg
        for parameter, default in pairs
        if default is not None and makes_a_container(default)
    )


_CONTAINER_MAKERS = frozenset(
    {
        "dict",
        "list",
        "collections.OrderedDict",
        "OrderedDict",
        "collections.defaultdict",
        "defaultdict",
    }
)

#: Per module, function name -> ``returns_a_kept_result``.
_KEPT: weakref.WeakKeyDictionary[ModuleValues, dict[str, bool]] = weakref.WeakKeyDictionary()

#: Per module, ``_module_containers``.
_CONTAINERS: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()
