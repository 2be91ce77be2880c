"""What an object's attributes hold between calls, for NG003.

A graph stored on ``self`` outlives the method: a recurrent state its ``forward`` feeds back
(``self.hidden``) needs the graph of the last step, an attribute another method fills may be
differentiated there. Some attributes are known to hold no graph: settings given to
``__init__`` as numbers or strings, attributes only ever set to fresh tensors. Each reading
is made once per module and cached while its value facts live.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator
from typing import NamedTuple

from ..ast_names import (
    FUNCTIONS,
    OWN_SCOPES,
    dotted_name,
    module_class,
    owner_attributes,
    self_parameter,
    sets_attributes_by_name,
)
from .catalog import (
    FORWARD_METHODS,
    FRESH_TENSOR_FUNCTIONS,
    METADATA_ARGUMENT_METHODS,
    MODULE_FORWARD,
    is_tensor_method,
    is_torchs,
    stores_arguments,
)
from .function_values import FunctionValues, conditional_branches
from .memoized_results import runs_a_caching_method
from .value_readings import makes_a_parameter, makes_requires_grad, never_carries, peeled
from .values import ModuleValues


def keeps_state(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """A model call of a module that defines a model feeding its own state back: its
    ``forward`` reads an attribute of the object that it also sets to a graph it computes
    (``out, self.hidden = self.lstm(x, self.hidden)``). Each call's graph then hangs on
    the one before, as a recurrent ``hidden`` carried around a loop does. Which model
    ``call`` runs is not read: any model of such a module may be that one, unless the
    function sets that state itself (``model.hidden = model.init_hidden()``, or detached)."""
    states = _recurrent_states(values)
    if not states:
        return False
    func = call.func
    if isinstance(func, ast.Name) and module_class(values.tree, func.id) is not None:
        return False  # ``Forecaster()``: a new object, with no state yet
    return not any(
        isinstance(part, ast.Attribute)
        and part.attr in states
        and not _guarded_apart(binding.target, part.attr, call, function)
        for binding in function.bindings
        for part in ast.walk(binding.target)
    )


def _guarded_apart(target: ast.AST, state: str, call: ast.Call, function: FunctionValues) -> bool:
    """``target`` is set under an ``if`` that does not hold ``call`` too: ``if i % k == 0:
    model.hidden = model.hidden.detach()`` cuts the chain only every ``k`` iterations (not
    ``if model.hidden is not None``: without a state there is no chain to cut)."""
    line = getattr(target, "lineno", 0)
    return any(
        isinstance(node, ast.If)
        and not any(
            isinstance(read, ast.Attribute) and read.attr == state for read in ast.walk(node.test)
        )
        and node.test.end_lineno is not None
        and node.test.end_lineno < line <= (node.end_lineno or 0)
        and not node.lineno <= call.lineno <= (node.end_lineno or 0)
        for node in ast.walk(function.node)
    )


def _recurrent_states(values: ModuleValues) -> frozenset[str]:
    """The attributes the forwards of the module's models feed back (``_feeds_back``)."""
    found = _RECURRENT_STATES.get(values)
    if found is None:
        found = _RECURRENT_STATES[values] = frozenset(
            state
            for method in _methods(values)
            if isinstance(method, ast.FunctionDef) and method.name in FORWARD_METHODS
            for state in _feeds_back(method, values)
        )
    return found


def _methods(values: ModuleValues) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The methods of every class of the module, nested classes included."""
    for statement in ast.walk(values.tree):
        if isinstance(statement, ast.ClassDef):
            yield from (m for m in statement.body if isinstance(m, FUNCTIONS))


def _feeds_back(forward: ast.FunctionDef, values: ModuleValues) -> set[str]:
    """The attributes of ``self`` the method reads and sets to a graph it makes with grad
    on: a submodule's output, directly or through the names it binds (not the
    ``torch.no_grad()`` keys of MoCo's queue)."""
    owner = self_parameter(forward)
    if owner is None:
        return set()
    return _self_attributes(forward, owner, ast.Load) & _stored_graphs(forward, owner, values)


def _stored_graphs(
    method: ast.FunctionDef | ast.AsyncFunctionDef, owner: str, values: ModuleValues
) -> set[str]:
    """The attributes of ``owner`` (the method's ``self``) that ``method`` sets to a graph
    it makes with grad on: a submodule's output, directly or through the names it binds."""
    facts = values.facts(method)
    found: set[str] = set()
    for binding in facts.bindings:
        stored = owner_attributes(binding.target, owner)
        if stored and not binding.grad_off and _submodule_graph(binding.value, facts, owner):
            found |= stored
    return found


def graph_attributes(values: ModuleValues) -> frozenset[str]:
    """Attributes that a method of a class of the module, other than ``__init__``, sets to
    an output of the object's own submodules (``def encode(self, x): self.feats =
    self.encoder(x)``): another method that runs a model on them (``self.head(self.feats)``)
    differentiates that graph, again at each call."""
    found = _GRAPH_ATTRIBUTES.get(values)
    if found is None:
        stored = {
            attribute
            for method in _methods(values)
            if method.name != "__init__"
            for owner in [self_parameter(method)]
            if owner is not None
            for attribute in _stored_graphs(method, owner, values)
        }
        if stored:
            stored |= _properties(values.tree)  # ``return self._features``, maybe one
        found = _GRAPH_ATTRIBUTES[values] = frozenset(stored)
    return found


def forward_keeps_graphs(values: ModuleValues) -> bool:
    """A class of the module whose ``forward`` keeps an output of its submodules on the
    object (``self.feats = h``): each call of such a model, whichever name holds it, leaves
    part of its graph where any code holding the model reads it. (An object that is
    called, ``catch(x); catch.out``, is read where it is made: ``stored_by_a_method``.)"""
    found = _KEEPING_FORWARDS.get(values)
    if found is None:
        found = _KEEPING_FORWARDS[values] = any(
            method.name == MODULE_FORWARD
            and owner is not None
            # a state it reads back (``self.hidden``) is ``keeps_state``'s: detached or
            # reset by the loop, it is not what the next reader gets
            and bool(
                _stored_graphs(method, owner, values) - _self_attributes(method, owner, ast.Load)
            )
            for method in _methods(values)
            for owner in [self_parameter(method)]
        )
    return found


#: Per module, ``forward_keeps_graphs``.
_KEEPING_FORWARDS: weakref.WeakKeyDictionary[ModuleValues, bool] = weakref.WeakKeyDictionary()


def reads_a_kept_graph(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """A call that may run a model of a class of the module whose ``forward`` computes with
    an attribute holding a graph made before the call: set in ``__init__`` from the object's
    parameters (``self.W = torch.tanh(self.U @ self.V)``), or by another of its methods from
    its submodules (``self.film = self.ctx_enc(context).mean(0)``), or kept by a method of
    its own on its first call (``self.bias(n)`` filling ``self._bias[n]``). Each call's graph then
    reaches that one, which the next backward through the model needs again. A name the
    function binds only to other models (``net = nn.Linear(4, 2)``) runs none; nor does one
    whose held graph the function makes anew, by the method that sets it, in the same loop
    before the call (``model.set_context(c)`` before each query)."""
    held = _holding_classes(values)
    if not held:
        return False
    func = call.func
    receiver = func.value if isinstance(func, ast.Attribute) else func
    if isinstance(func, ast.Name):
        if module_class(values.tree, func.id) is not None:
            return False  # ``LowRankLinear(6, 2)``: a new object
        made = [function.bindings[index].value for index in function.reaching(func)]
        constructors = [value for value in made if isinstance(value, ast.Call)]
        if made and len(constructors) == len(made):
            classes = {dotted_name(value.func) for value in constructors}
            held = {name: h for name, h in held.items() if name in classes}
            if not held:
                return False
    name = dotted_name(receiver)
    if name is not None and all(h.setters and not h.from_init for h in held.values()):
        loops = function.call_loops.get(id(call), frozenset())
        renewed = {
            other.func.attr
            for other in function.calls
            if isinstance(other.func, ast.Attribute)
            and dotted_name(other.func.value) == name
            and (other.lineno, other.col_offset) < (call.lineno, call.col_offset)
            and function.call_loops.get(id(other), frozenset()) >= loops
        }
        if all(h.setters <= renewed for h in held.values()):
            return False
    return True


class _Held(NamedTuple):
    """What of a class's objects holds a graph between calls of its ``forward``."""

    #: The methods other than ``__init__`` that set those attributes.
    setters: frozenset[str]
    #: One of them is set by ``__init__``, or kept by a method ``forward`` runs on its
    #: first call (``self.bias(n)``): no call of the object makes it anew.
    from_init: bool


def _holding_classes(values: ModuleValues) -> dict[str, _Held]:
    """The classes of the module whose ``forward`` computes with an attribute holding a
    graph made before the call (``reads_a_kept_graph``), by name."""
    found = _HOLDING.get(values)
    if found is None:
        found = _HOLDING[values] = {}
        for definition in ast.walk(values.tree):
            if not isinstance(definition, ast.ClassDef):
                continue
            methods = [m for m in definition.body if isinstance(m, FUNCTIONS)]
            forward = next((m for m in methods if m.name in FORWARD_METHODS), None)
            if forward is None:
                continue
            read = _tensor_reads(forward, values)
            setters: set[str] = set()
            from_init = False
            init = next((m for m in methods if m.name == "__init__"), None)
            owned = set() if init is None else _owned_parameters(init, values)
            for method in methods:
                owner = self_parameter(method)
                if owner is None:
                    continue
                made = _parameter_graphs(method, owner, owned, values)
                if method.name == "__init__":
                    from_init |= bool(made & read)
                elif (made | _stored_graphs(method, owner, values)) & read:
                    setters.add(method.name)  # ``merge()``: ``self.merged = W + B @ A``
            # ``self.bias(n)``, which keeps its result: made by an earlier call, never anew
            from_init |= runs_a_caching_method(forward, methods, values)
            if setters or from_init:
                found[definition.name] = _Held(frozenset(setters), from_init)
    return found


def _owned_parameters(
    init: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> set[str]:
    """The attributes ``__init__`` sets to parameters (``self.U = nn.Parameter(...)``)."""
    owner = self_parameter(init)
    if owner is None:
        return set()
    return {
        attribute
        for binding in values.facts(init).bindings
        if makes_a_parameter(binding.value)
        for attribute in owner_attributes(binding.target, owner)
    }


def _parameter_graphs(
    method: ast.FunctionDef | ast.AsyncFunctionDef,
    owner: str,
    parameters: set[str],
    values: ModuleValues,
) -> set[str]:
    """The attributes ``method`` sets, with grad on, to a value computed from the object's
    own ``parameters`` (``self.W = torch.tanh(self.U @ self.V)`` after ``self.U =
    nn.Parameter(...)``): a graph, made once by ``__init__``, or at each call of another
    method (a LoRA layer's ``merge()``). Not an alias of one (``self.W = self.U``), nor
    what holds none (``len(self.U)``, ``self.U > 0``, ``torch.zeros_like(self.U)``,
    ``self.U.detach() * 2``)."""
    if not parameters:
        return set()
    bindings = values.facts(method).bindings
    found: set[str] = set()
    graphs: set[str] = set()  # local names bound to such a value (``W = tanh(U @ V)``)
    for binding in bindings:  # in order: ``self.W = W`` after ``W = ...``
        value = binding.value
        if (
            not binding.grad_off
            and (
                isinstance(value, (ast.Call, ast.BinOp, ast.UnaryOp))
                or (isinstance(value, ast.Name) and value.id in graphs)
            )
            and not makes_a_parameter(value)
            and _computes_on(value, owner, parameters, values, graphs)
        ):
            found |= owner_attributes(binding.target, owner)
            graphs.update(n.id for n in ast.walk(binding.target) if isinstance(n, ast.Name))
    return found


def _computes_on(
    node: ast.AST,
    owner: str,
    parameters: set[str],
    values: ModuleValues,
    graphs: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """``node`` computes, with no step that drops the graph, on one of ``parameters`` (or
    on a local name of ``graphs``, bound to such a value)."""
    if isinstance(node, ast.Name):
        return node.id in graphs
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id == owner and node.attr in parameters
    if never_carries(node) or makes_fresh_tensor(node, values):
        return False
    if isinstance(node, ast.Call):
        parts = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(node.func, ast.Attribute):
            parts.append(node.func.value)  # ``self.U.t()``
        return any(_computes_on(part, owner, parameters, values, graphs) for part in parts)
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Subscript, ast.Starred)):
        return any(
            _computes_on(child, owner, parameters, values, graphs)
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.expr)
        )
    return False


def _tensor_reads(method: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues) -> set[str]:
    """The attributes of ``self`` that ``method`` computes with as tensors: an operand
    (``x @ self.W``), the receiver or an argument of a tensor's method
    (``self.film.chunk(2)``, ``x.mm(self.W)``), an argument of torch's function
    (``F.linear(x, self.W)``); not a submodule it calls (``self.net(x)``)
    or reaches into (``self._model._modules``), which may hold a module rather than a graph.
    An operand may name it through a local name bound to it (``w = self.merged if
    self.merged is not None else ...``, then ``F.linear(x, w)``)."""
    owner = self_parameter(method)
    aliases: dict[str, set[str]] = {}
    for binding in values.facts(method).bindings:
        if isinstance(binding.target, ast.Name):
            aliases.setdefault(binding.target.id, set()).update(
                attribute
                for branch in conditional_branches(binding.value)
                for attribute in _own_attribute(branch, owner)
            )

    def attributes(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Name):
            return aliases.get(node.id, set())
        return _own_attribute(node, owner)

    found: set[str] = set()
    for node in ast.walk(method):
        if isinstance(node, ast.BinOp):
            operands: list[ast.AST] = [node.left, node.right]
        elif isinstance(node, ast.Attribute) and is_tensor_method(node.attr):
            operands = [node.value]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and is_tensor_method(node.func.attr)
            and node.func.attr not in METADATA_ARGUMENT_METHODS
        ):
            operands = [*node.args, *(k.value for k in node.keywords)]  # ``x.mm(self.W)``
        elif isinstance(node, ast.Call) and is_torchs(values.qualified(node.func) or ""):
            operands = [*node.args, *(k.value for k in node.keywords)]
        else:
            continue
        for operand in operands:
            found |= attributes(operand)
    return found


def _own_attribute(node: ast.AST, owner: str | None) -> set[str]:
    """``{"W"}`` for ``self.W``, where ``owner`` is ``self``; else nothing."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == owner
    ):
        return {node.attr}
    return set()


#: Per module, ``_holding_classes``.
_HOLDING: weakref.WeakKeyDictionary[ModuleValues, dict[str, _Held]] = weakref.WeakKeyDictionary()

#: Per module, ``graph_attributes``.
_GRAPH_ATTRIBUTES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _self_attributes(
    method: ast.AST, owner: str | None, context: type[ast.expr_context]
) -> set[str]:
    """The attributes of ``owner`` (the method's ``self``) that ``method`` reads
    (``ast.Load``) or sets (``ast.Store``)."""
    return {
        node.attr
        for node in ast.walk(method)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, context)
        and isinstance(node.value, ast.Name)
        and node.value.id == owner
    }


def _submodule_graph(value: ast.AST, facts: FunctionValues, owner: str) -> bool:
    """``value`` holds the output of a call of one of the object's own submodules or
    methods made with grad on, directly or through the names it reads."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        for node in ast.walk(stack.pop()):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == owner
            ):
                return True
            if isinstance(node, ast.Name) and node.id != owner:
                for index in facts.reaching(node):
                    binding = facts.bindings[index]
                    if index not in seen and not binding.grad_off:
                        seen.add(index)
                        stack.append(binding.value)
    return False


#: Per module, ``_recurrent_states``.
_RECURRENT_STATES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def stored_by_a_method(node: ast.Attribute, function: FunctionValues, values: ModuleValues) -> bool:
    """``catch.out``, where ``catch`` holds an object of a class of the module that a
    method other than ``__init__`` sets ``self.out`` in: a graph its call may have left."""
    base = node.value
    if not isinstance(base, ast.Name):
        return False
    for index in function.reaching(base):
        value = function.bindings[index].value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            definition = module_class(values.tree, value.func.id)
            if definition is not None and node.attr in _set_after_init(definition):
                return True
    return False


def _set_after_init(definition: ast.ClassDef) -> frozenset[str]:
    """The attributes of ``self`` that a method of the class other than ``__init__`` sets."""
    known = _SET_AFTER_INIT.get(definition)
    if known is None:
        found: set[str] = set()
        for method in definition.body:
            if not isinstance(method, FUNCTIONS) or method.name == "__init__":
                continue
            found |= _self_attributes(method, self_parameter(method), ast.Store)
        known = _SET_AFTER_INIT[definition] = frozenset(found)
    return known


#: Per class, ``_set_after_init``.
_SET_AFTER_INIT: weakref.WeakKeyDictionary[ast.ClassDef, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def constructor_settings(values: ModuleValues) -> dict[str, bool]:
    """Attribute name -> whether the module only ever sets it in ``__init__``, to a literal
    or to an argument with a number or string default (``_sets_given``): a setting, which
    carries a graph only if the caller gave one, as a parameter does. Any other store, a
    container's adder, an item store: False; and nothing in a module that sets attributes
    by name (``ast_names.sets_attributes_by_name``)."""
    return _settings_read(values)[0]


class SettingSource(NamedTuple):
    """Where a setting comes from: the class whose ``__init__`` sets it (None for an
    ``__init__`` outside a class body) and the parameter it is set from."""

    owner: ast.ClassDef | None
    init: ast.FunctionDef
    parameter: str


def setting_sources(values: ModuleValues) -> dict[str, list[SettingSource]]:
    """Attribute name -> the ``__init__`` parameters ``constructor_settings`` took it from
    (``self.gamma = gamma``); a setting to a literal (``self.steps = 0``) has none."""
    return _settings_read(values)[1]


def _settings_read(
    values: ModuleValues,
) -> tuple[dict[str, bool], dict[str, list[SettingSource]]]:
    read = _SETTINGS.get(values)
    if read is not None:
        return read
    known: dict[str, bool] = {}
    sources: dict[str, list[SettingSource]] = {}
    read = _SETTINGS[values] = (known, sources)
    if any(sets_attributes_by_name(node) for node in ast.walk(values.tree)):
        return read  # attributes set by name: none is surely a setting
    # (node, the ``__init__`` it runs in directly, if any, and that method's class)
    stack: list[tuple[ast.AST, ast.FunctionDef | None, ast.ClassDef | None]] = [
        (values.tree, None, None)
    ]
    while stack:
        node, init, owner = stack.pop()
        if isinstance(node, OWN_SCOPES):
            init = node if isinstance(node, ast.FunctionDef) and node.name == "__init__" else None
            if isinstance(node, ast.ClassDef):
                owner = node
            elif owner is not None and node not in owner.body:
                owner = None
        elif (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and init is not None
            and _sets_given(node, init)
        ):
            attr = _targets(node)[0].attr  # type: ignore[attr-defined]
            known[attr] = known.get(attr, True)
            if isinstance(node.value, ast.Name):
                sources.setdefault(attr, []).append(SettingSource(owner, init, node.value.id))
            continue
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            known[node.attr] = False
        elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            if isinstance(node.value, ast.Attribute):
                known[node.value.attr] = False
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if stores_arguments(node.func.attr) and isinstance(receiver, ast.Attribute):
                known[receiver.attr] = False
        stack.extend((child, init, owner) for child in ast.iter_child_nodes(node))
    for name in _properties(values.tree):
        known[name] = False  # ``self.features`` reads what a method stored elsewhere
    return read


def _properties(tree: ast.Module) -> set[str]:
    """Names of the module's properties (``@property``, ``@features.setter``,
    ``@cached_property``): reading or setting one runs code."""
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, FUNCTIONS)
        and any(
            (isinstance(d, ast.Name) and d.id in ("property", "cached_property"))
            or (isinstance(d, ast.Attribute) and d.attr in ("setter", "cached_property"))
            for d in node.decorator_list
        )
    }


def fresh_tensor_attributes(values: ModuleValues) -> frozenset[str]:
    """Attributes of ``self`` that the module only ever sets to a new tensor of torch's
    (``catalog.FRESH_TENSOR_FUNCTIONS``, not made to require grad) or to such an
    attribute moved or cast (``self.y_real = self.y_real.cuda()``): labels and buffers
    that hold no graph, whichever method sets them. Any other store of the name (another
    value, an augmented or item store, a container's adder), and any attribute of a module
    that sets attributes by name, is not one."""
    known = _FRESH_ATTRIBUTES.get(values)
    if known is not None:
        return known
    fresh: dict[str, bool] = {}
    if not any(sets_attributes_by_name(node) for node in ast.walk(values.tree)):
        for node in ast.walk(values.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    for part, value in paired(target, node.value):
                        if isinstance(part, ast.Attribute):
                            fresh[part.attr] = fresh.get(part.attr, True) and _fresh_tensor(
                                value, part, values
                            )
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(
                node.target, ast.Attribute
            ):
                fresh[node.target.attr] = False
            elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                if isinstance(node.value, ast.Attribute):
                    fresh[node.value.attr] = False
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                if isinstance(receiver, ast.Attribute) and stores_arguments(node.func.attr):
                    fresh[receiver.attr] = False
    known = _FRESH_ATTRIBUTES[values] = frozenset(name for name, ok in fresh.items() if ok)
    return known


def paired(target: ast.expr, value: ast.expr | None) -> Iterator[tuple[ast.expr, ast.expr | None]]:
    """The parts of an assignment's target with the part of its value each is given
    (``self.a, self.b = x, y``); None where the value does not say (``a, b = pair``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        elements = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
        if elements is not None and len(elements) != len(target.elts):
            elements = None
        for index, part in enumerate(target.elts):
            yield from paired(part, None if elements is None else elements[index])
    else:
        yield target, value


def _fresh_tensor(value: ast.expr | None, target: ast.Attribute, values: ModuleValues) -> bool:
    """``torch.ones(n, 1)``, ``torch.zeros(...).cuda()``, or the target itself moved or
    cast (``self.y_real = self.y_real.cuda()``; not ``self.feats = outputs.feats``)."""
    moved = None if value is None else peeled(value, METADATA_ARGUMENT_METHODS)
    if isinstance(moved, ast.Attribute):
        return (
            moved.attr == target.attr
            and isinstance(moved.value, ast.Name)
            and isinstance(target.value, ast.Name)
            and moved.value.id == target.value.id
        )
    return makes_fresh_tensor(value, values)


def makes_fresh_tensor(value: ast.AST | None, values: ModuleValues) -> bool:
    """``torch.randn(16)``, ``torch.zeros(n, 1).cuda()``: a new tensor of torch's
    (``catalog.FRESH_TENSOR_FUNCTIONS``), not made to require grad, with no graph."""
    value = None if value is None else peeled(value, METADATA_ARGUMENT_METHODS)
    if not isinstance(value, ast.Call) or makes_requires_grad(value):
        return False
    qualified = values.qualified(value.func) or ""
    return is_torchs(qualified) and qualified.rsplit(".", 1)[-1] in FRESH_TENSOR_FUNCTIONS


#: Per module, ``fresh_tensor_attributes``.
_FRESH_ATTRIBUTES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _targets(assign: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return assign.targets if isinstance(assign, ast.Assign) else [assign.target]


def _sets_given(assign: ast.Assign | ast.AnnAssign, init: ast.FunctionDef) -> bool:
    """``self.steps = 0`` (``self.weights: dict[str, float] | None = None``), or
    ``self.gamma = gamma`` in an ``init(self, ..., gamma=0.8)`` that binds ``gamma``
    nowhere else: an argument whose default is a number, a string or a flag, which callers
    replace with one."""
    targets = _targets(assign)
    if len(targets) != 1 or not isinstance(targets[0], ast.Attribute):
        return False
    if isinstance(assign, ast.AnnAssign) and not _plain_annotation(assign.annotation):
        return False  # ``self.previous: Tensor | None = None``: a graph's place, kept empty
    value = assign.value
    if isinstance(value, ast.Constant):
        return True
    if not isinstance(value, ast.Name):
        return False
    arguments = init.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(zip([a.arg for a in positional][::-1], arguments.defaults[::-1]))
    defaults.update(
        (a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None
    )
    default = defaults.get(value.id)
    if not (
        isinstance(default, ast.Constant)
        and isinstance(default.value, (int, float, str))  # ``bool`` is an ``int``
    ):
        return False
    return not any(
        isinstance(node, ast.Name) and node.id == value.id and not isinstance(node.ctx, ast.Load)
        for node in ast.walk(init)
    )


def _plain_annotation(annotation: ast.expr) -> bool:
    """An annotation that names only numbers, strings, flags and containers of them
    (``dict[str, float] | None``): no tensor, module or ``Any`` a caller may hand in."""
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id not in _PLAIN_TYPES:
            return False
        if isinstance(node, ast.Attribute) and node.attr not in _PLAIN_TYPES:
            return False
        if isinstance(node, ast.Constant) and node.value is not None:
            return False  # ``"torch.Tensor"``, written as a string
    return True


#: Type names that hold no tensor (``typing``'s spellings included).
_PLAIN_TYPES = frozenset(
    {
        *("int", "float", "str", "bool", "bytes", "complex", "None"),
        *("dict", "list", "tuple", "set", "frozenset", "Dict", "List", "Tuple", "Set"),
        *("FrozenSet", "Optional", "Union", "Sequence", "Mapping", "typing"),
    }
)


#: Per module, ``constructor_settings`` and ``setting_sources``.
_SETTINGS: weakref.WeakKeyDictionary[
    ModuleValues, tuple[dict[str, bool], dict[str, list[SettingSource]]]
] = weakref.WeakKeyDictionary()
