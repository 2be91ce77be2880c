"""NG003: a ``retain_graph=True`` that no later gradient call needs.

A backward pass frees the saved tensors of the graph it differentiates; ``retain_graph=True``
keeps them until the graph itself dies, which is needed only when something differentiates
the same graph again. Read on the stdlib ``ast`` tree, with :mod:`.function_values`'
bindings, the argument is needed (and the call is not reported) when:

- a later gradient call in the function differentiates a value that shares a recorded
  computation with this one, or this very value (``d_loss.backward(retain_graph=True);
  g_loss.backward()`` through a shared ``fake``; task losses over one trunk);
- the value is an element of a container the loop runs over (``for loss in losses``): its
  siblings may share its graph;
- the graph outlives one loop iteration: a model's output made before a loop (or a
  comprehension) that runs the call again, or a value carried around the back edge of a
  loop that runs the call (a recurrent ``hidden`` that is not detached; ``values`` says
  around which loops a binding reaches a read);
- the graph comes from, or goes to, code the function cannot see: the differentiated value
  is a parameter (and no model of the function records a graph) or an attribute of the
  object, or a memory the object fills itself; a value of the graph is returned, stored on
  an object or captured, or handed after the call to anything that may differentiate it
  (not torch's functions, builtins, losses, tensor methods, loggers, or a function of the
  module without gradient calls);
- ``create_graph=True`` leaves gradients with a graph in ``.grad`` (``backward``), or in
  the hooks a ``torch.autograd.grad`` whose result is not read was called for.

A graph is recorded by a call that looks like a model's (``_looks_like_a_model``), outside
``torch.no_grad()``: not a class of the module, a function of a package that computes on no
tensor (numpy, math...), nor a method of an object that is no model (``env.step(a)``), nor a
call of a function that hands back detached values, read where it is defined: in the
module, in a module beside it that it is imported from, or the ``__call__`` of an object of
a class of the module (``_returns_no_graph``; data cached before a reconstruction loop). What
breaks a graph (``.detach()``, ``.item()``, ``.data``...) and what a gradient call
differentiates are catalog data, shared with the rest of the analysis. Where the reading is
not sure, the argument counts as needed: a needless ``retain_graph`` costs memory, a wrong
removal raises an error at the second backward.
"""

from __future__ import annotations

import ast
import builtins
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..ast_names import (
    ATTRIBUTES_BY_NAME,
    FUNCTIONS,
    OWN_SCOPES,
    chain_head,
    dotted_name,
    last_name,
    module_class,
    module_level,
    names_in,
    same_scope_nodes,
    self_parameter,
    sets_attributes_by_name,
)
from .call_sites import private_call_sites
from .catalog import (
    BACKWARD_WRAPPER_NAME,
    CONTAINER_ADDERS,
    FORWARD_HOOK_METHODS,
    FORWARD_METHODS,
    FRESH_TENSOR_FUNCTIONS,
    GRADIENT_ATTRIBUTE,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_DROPPING_ATTRIBUTES,
    GRAPH_DROPPING_BUILTINS,
    GRAPH_DROPPING_METHODS,
    GRAPH_FREEING_FUNCTIONS,
    GRAPH_FREEING_METHODS,
    INERT_BUILTINS,
    INSTANCE_CALL_METHOD,
    LOGGING_METHODS,
    LOSS_FUNCTION_NAME,
    LOSS_STEPPER_NAME,
    METADATA_ARGUMENT_METHODS,
    MODEL_METHODS,
    MODULE_BASE_NAMES,
    NON_TENSOR_MODULES,
    PARAMETER_METHODS,
    PASS_THROUGH_BUILTINS,
    RETAIN_GRAPH_KEYWORD,
    SCALER_NAME,
    SCALING_METHOD,
    TENSOR_BACKWARD,
    TENSOR_METHODS,
    GradEffect,
    is_in_place,
    is_tensor_method,
    is_torchs,
    runs_a_model,
    stores_arguments,
)
from .fates import contradicts
from .function_values import Binding, FunctionValues, binds_indices
from .mode_summaries import summaries_of
from .value_readings import (
    NEVER,
    FunctionNode,
    Seed,
    creates_graph,
    makes_requires_grad,
    names_read,
    never_carries,
    statements_within,
)
from .values import ModuleValues, top_level_names

__all__ = ["NeedlessRetain", "needless_retains"]


@dataclass(frozen=True)
class NeedlessRetain:
    """A gradient call's ``retain_graph=True`` that nothing needs."""

    call: ast.Call
    #: The ``retain_graph=...`` keyword argument itself (what the finding points at).
    keyword: ast.keyword
    #: What is differentiated, as written: ``loss`` of ``loss.backward()``, or the call's
    #: callee for the function forms (``torch.autograd.grad``).
    subject: str
    #: The callee as the message shows it: ``loss.backward``, ``accelerator.backward``,
    #: ``torch.autograd.grad``.
    callee: str
    #: The call is given other arguments than the flag (shown as ``...``).
    more_arguments: bool
    #: The flag as written: ``retain_graph=True``, ``retain_graph=RETAIN``.
    flag: str


def needless_retains(values: ModuleValues) -> list[NeedlessRetain]:
    """Every ``retain_graph=True`` of the module that no later gradient call needs."""
    found: list[NeedlessRetain] = []
    for call in values.index.calls:
        keyword = next((k for k in call.keywords if k.arg == RETAIN_GRAPH_KEYWORD), None)
        if keyword is None:
            continue
        roots = _differentiated(call, values)
        function = values.function_of(call)
        if roots is None or function is None or not _is_true(keyword.value, function, values):
            continue
        try:
            if not _needed(call, roots, function, values):
                function_form = _freeing_function(call, values) is not None
                subject = _subject(call, roots, function_form)
                own = not function_form and roots[0] is getattr(call.func, "value", None)
                found.append(
                    NeedlessRetain(
                        call,
                        keyword,
                        subject,
                        f"{subject}.backward" if own else _callee_text(call),
                        len(call.args) + len(call.keywords) > 1,
                        " ".join(f"retain_graph={ast.unparse(keyword.value)}".split()),
                    )
                )
        except RecursionError:
            continue  # too deep to read: say nothing
    return found


# -- what the call differentiates ---------------------------------------------------------


def _differentiated(call: ast.Call, values: ModuleValues) -> list[ast.expr] | None:
    """The expressions whose graph ``call`` differentiates; None if it is no gradient call."""
    func = call.func
    keyword = _freeing_function(call, values)
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


def _freeing_function(call: ast.Call, values: ModuleValues) -> str | None:
    """The keyword that names what ``call`` differentiates, when it calls one of torch's
    gradient functions (``torch.autograd.backward(tensors=...)``)."""
    return GRAPH_FREEING_FUNCTIONS.get(values.qualified(call.func) or "")


def _subject(call: ast.Call, roots: list[ast.expr], function_form: bool) -> str:
    if not function_form:
        root = roots[0]
        text = " ".join(ast.unparse(root).split())
        # ``(2.0 * h.mean()).backward``, not ``2.0 * h.mean().backward``
        plain = isinstance(root, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
        return text if plain else f"({text})"
    return dotted_name(call.func) or "autograd.grad"


def _callee_text(call: ast.Call) -> str:
    return dotted_name(call.func) or " ".join(ast.unparse(call.func).split())


def _is_true(value: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """``True``, or a name bound once, to ``True``, in the function or the module's code."""
    if isinstance(value, ast.Constant):
        return value.value is True
    if not isinstance(value, ast.Name):
        return False
    for owner in (function, values.function_of(values.tree)):
        if owner is None or value.id in owner.parameters():
            return False
        bound = [b for b in owner.bindings if value.id in b.names]
        if bound:
            return (
                len(bound) == 1
                and isinstance(bound[0].target, ast.Name)
                and isinstance(bound[0].value, ast.Constant)
                and bound[0].value.value is True
            )
        if owner.node is values.tree:
            break
    return False


# -- where the graph comes from -------------------------------------------------------------


@dataclass
class _Origins:
    """The bindings a differentiated value derives from (its graph's share of the
    function), read backwards through names."""

    #: Binding index -> the binding indices its value reads.
    reads: dict[int, set[int]] = field(default_factory=dict)
    #: Bindings whose own value runs a model (or a call that may run one: ``_looks_like_a_model``).
    forwards: set[int] = field(default_factory=set)
    #: Bindings read before they are made, in a loop that holds both: last iteration's,
    #: with the loops around whose back edge they reach the read (None: any loop).
    carried: dict[int, frozenset[int] | None] = field(default_factory=dict)
    #: The value derives, through no model, from a parameter (data, unless no model of
    #: the function records a graph: then it is the caller's graph).
    from_parameter: bool = False
    #: The parameters (or ``self.<setting>``) it derives from so.
    parameters: set[str] = field(default_factory=set)
    #: ... or from an attribute of ``self``, which another method may differentiate.
    from_attribute: bool = False
    #: ... or is an element of a container a loop runs over (``for loss in losses``): its
    #: siblings, differentiated next, may share its graph.
    from_iteration: bool = False
    #: ... or is read from an enclosing function's scope (a closure, a ``nonlocal``): each
    #: call of the function may differentiate that graph again (an LBFGS closure); or is
    #: sent in to a generator (``loss = yield``) by code that keeps it.
    from_enclosing: bool = False
    #: Bindings the value is, through assignments, operators and tensor methods only: a
    #: later gradient call of any of them differentiates this very graph.
    direct: set[int] = field(default_factory=set)
    #: Bindings to a tensor made to require grad (``torch.zeros(n, requires_grad=True)``):
    #: no graph of their own, but what is computed from them records one.
    grad_leaves: set[int] = field(default_factory=set)
    #: A call that may record a graph is part of the value itself, bound to no name
    #: (``return model(x)``): what ``recorded`` cannot say.
    unbound_forward: bool = False
    #: The value reads a tensor a model holds (``model.last_feat``): what its forward
    #: stored there may be any graph the function's forwards recorded.
    from_model_state: bool = False

    def recorded(self) -> set[int]:
        """The bindings whose value carries a graph recorded by a forward call, or computed
        from a tensor that requires grad."""
        recording = (self.forwards | self.grad_leaves) & set(self.reads)
        changed = True
        while changed:
            changed = False
            for index, read in self.reads.items():
                if index not in recording and read & recording:
                    recording.add(index)
                    changed = True
        return recording - (self.grad_leaves - self.forwards)


def _call_origins(
    call: ast.Call, function: FunctionValues, values: ModuleValues
) -> _Origins | None:
    """``_origins`` of what a gradient call differentiates, read once per call: every
    ``retain_graph=True`` of a function compares itself with every other gradient call."""
    known = _CALL_ORIGINS.setdefault(function, {})
    if id(call) not in known:
        roots = _differentiated(call, values)
        known[id(call)] = None if roots is None else _origins(roots, function, values)
    return known[id(call)]


#: Per function, ``id`` of a gradient call -> ``_call_origins``.
_CALL_ORIGINS: weakref.WeakKeyDictionary[FunctionValues, dict[int, _Origins | None]] = (
    weakref.WeakKeyDictionary()
)


def _origins(
    roots: list[ast.expr], function: FunctionValues, values: ModuleValues, strict: bool = False
) -> _Origins:
    """Walk back from ``roots`` through the names they read to the bindings that made
    them, stopping where a graph is dropped (``catalog.GRAPH_DROPPING_*``). ``strict``
    reads for a graph where a value may have one: a method of any object may run a model
    (``policy.density(x)``), and what the module binds (but its functions and modules that
    compute on no tensor) and what a parameter holds, even looped over, come from outside
    (``_graph_free``)."""
    origins = _Origins()
    self_name = _self_name(function)
    parameters = function.parameters() - {self_name}
    iterations = function.iterables()
    models = function.model_names() | values.module_level_models()
    helpers = _HELPERS.get(function)
    if helpers is None:  # once per function, not once per gradient call compared
        helpers = _HELPERS[function] = _helpers(function, values, self_name, models)
    # (node, read through a model's call, the binding whose value it is part of or -1,
    # still the differentiated value itself)
    stack: list[tuple[ast.AST, bool, int, bool]] = [(root, False, -1, True) for root in roots]
    seen: set[tuple[int, bool, bool]] = set()
    while stack:
        node, through_model, owner, direct = stack.pop()
        if isinstance(node, ast.Name):
            if strict and node.id == self_name:
                origins.from_attribute = True  # ``return self``: whatever it holds
                continue
            if node.id in models:
                # a module's parameters are leaves: no graph of its own; read strictly,
                # what is computed on them has one (``ENCODER.weight.pow(2).sum()``)
                origins.unbound_forward |= strict
                continue
            reaching = function.reaching(node)
            if not reaching and node.id in parameters and (strict or not through_model):
                origins.from_parameter = True
                origins.parameters.add(node.id)
            if (
                not reaching
                and node.id not in parameters
                and (
                    _enclosing_binds(node.id, function, values)
                    # read strictly, a function or class it defines: a closure over its graphs
                    or (strict and _binds_itself(node.id, function, values))
                    or (strict and node.id in _values_of_the_module(values))
                )
            ):
                origins.from_enclosing = True
            for index in reaching:
                if binds_indices(function.bindings[index], node.id):
                    continue  # ``_, predicted = out.max(1)``: integers
                if owner >= 0:
                    origins.reads[owner].add(index)
                binding = function.bindings[index]
                if binding.loops and binding.position > (node.lineno, node.col_offset):
                    around = function.carried_around(node)
                    known = origins.carried.get(index, frozenset())
                    origins.carried[index] = (
                        None if around is None or known is None else known | around
                    )
                origins.reads.setdefault(index, set())
                if makes_requires_grad(binding.value):
                    origins.grad_leaves.add(index)
                iterated = id(binding.value) in iterations
                if direct:
                    origins.direct.add(index)
                    origins.from_iteration |= (
                        iterated
                        and _is_element(node.id, binding)
                        and not _batch_target(node.id, binding, function, helpers, values)
                    )
                if iterated and _iterates_filled_attribute(binding.value, self_name, values):
                    origins.from_attribute = True  # a memory of the object's own graphs
                # A loop's target holds the data iterated over: no model of its own.
                through = through_model or iterated
                if (index, through, direct) not in seen:
                    seen.add((index, through, direct))
                    stack.append((binding.value, through, index, direct))
            continue
        if isinstance(node, ast.NamedExpr):  # ``head(feats := trunk(x))``: the binding
            made = _walrus_binding(node, function)
            if made is not None:
                if owner >= 0:
                    origins.reads[owner].add(made)
                origins.reads.setdefault(made, set())
                if direct:
                    origins.direct.add(made)
                if (made, through_model, direct) not in seen:
                    seen.add((made, through_model, direct))
                    stack.append((node.value, through_model, made, direct))
                continue
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            origins.from_enclosing = True  # what the generator's driver sends in
        if (
            isinstance(node, ast.Attribute)
            and node.attr == GRADIENT_ATTRIBUTE
            and _grads_carry_graphs(function, values)
        ):
            origins.from_attribute = True  # ``.grad`` after ``backward(create_graph=True)``
            continue
        if (
            isinstance(node, ast.Attribute)
            and not through_model
            and isinstance(node.value, ast.Name)
            and node.value.id == self_name
            and node.attr not in GRAPH_DROPPING_ATTRIBUTES
        ):
            if _constructor_settings(values).get(node.attr):
                origins.from_parameter = True  # ``self.gamma``: as ``__init__`` was given it
                origins.parameters.add(f"{self_name}.{node.attr}")
            elif node.attr in _fresh_tensor_attributes(values):
                pass  # ``self.y_real = torch.ones(n, 1)``: a label, with no graph
            else:
                origins.from_attribute = True  # ``self.loss``: another method may differentiate it
        elif isinstance(node, ast.Attribute) and _stored_by_a_method(node, function, values):
            origins.from_attribute = True  # ``catch(x); catch.out``: what its call stored
        if owner >= 0 and _parameters_of_a_model(node, models):
            # ``for p in model.parameters()``: leaves, and what is computed on them records
            origins.grad_leaves.add(owner)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr not in GRAPH_DROPPING_ATTRIBUTES
            and (node.value.id in models or node.value.id in _called_models(function, helpers))
        ):
            # A tensor the model holds: a parameter, a leaf whose every use records a graph
            # (``F.softmax(model.alpha)``, ``model.weight.norm()`` made once before a
            # loop), or what its forward stored there (``model.last_feat``), any graph.
            origins.from_model_state = True
            if owner >= 0:
                origins.forwards.add(owner)
        for child, through, same in _graph_parts(node, through_model, values, function, strict):
            if child is None:  # a call that may record a graph of its own
                if (
                    isinstance(node, ast.Call)
                    # no graph under ``no_grad``, unless the callee turns grad back on
                    and (
                        owner < 0
                        or not function.bindings[owner].grad_off
                        or _enables_grad(node, values)
                    )
                    and (
                        values.qualified(node.func) in GRAPH_CONSUMING_FUNCTIONS
                        or _may_run_a_model(node, helpers, values, strict)
                    )
                ):
                    if owner >= 0:
                        origins.forwards.add(owner)
                    else:
                        origins.unbound_forward = True
                    if _keeps_state(node, function, values):
                        origins.from_attribute = True  # the last call's graph, in the model
                continue
            stack.append((child, through, owner, direct and same))
    return origins


def _keeps_state(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
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
            for statement in ast.walk(values.tree)
            if isinstance(statement, ast.ClassDef)
            for method in statement.body
            if isinstance(method, ast.FunctionDef) and method.name in FORWARD_METHODS
            for state in _feeds_back(method, values)
        )
    return found


def _feeds_back(forward: ast.FunctionDef, values: ModuleValues) -> set[str]:
    """The attributes of ``self`` the method reads and sets to a graph it makes with grad
    on: a submodule's output, directly or through the names it binds (not the
    ``torch.no_grad()`` keys of MoCo's queue)."""
    owner = self_parameter(forward)
    if owner is None:
        return set()
    read = _self_attributes(forward, owner, ast.Load)
    facts = values.facts(forward)
    found: set[str] = set()
    for binding in facts.bindings:
        stored = read & {
            part.attr
            for part in ast.walk(binding.target)
            if isinstance(part, ast.Attribute)
            and isinstance(part.value, ast.Name)
            and part.value.id == owner
        }
        if stored and not binding.grad_off and _submodule_graph(binding.value, facts, owner):
            found |= stored
    return found


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


def _walrus_binding(node: ast.NamedExpr, function: FunctionValues) -> int | None:
    """The binding an assignment expression makes."""
    return next((i for i, b in enumerate(function.bindings) if b.value is node.value), None)


def _grads_carry_graphs(function: FunctionValues, values: ModuleValues) -> bool:
    """The function runs a backward with ``create_graph=True``: ``.grad`` holds a graph."""
    return any(
        isinstance(call.func, ast.Attribute)
        and call.func.attr in GRAPH_FREEING_METHODS
        and creates_graph(call)
        for call in function.calls
    )


def _enclosing_binds(name: str, function: FunctionValues, values: ModuleValues) -> bool:
    """``name``, which ``function`` reads but does not bind, is a variable of a function
    around it (a closure's free variable), or one it declares ``nonlocal``/``global``."""
    if name in function.outer:
        return True
    around = values.function_of(function.node)
    while around is not None and around.node is not values.tree:
        if name in around.local or name in around.parameters():
            return True
        around = values.function_of(around.node)
    # a variable of the module that a function rebinds (``global LAST; LAST = out``)
    return name in _rebound_globals(values)


def _rebound_globals(values: ModuleValues) -> frozenset[str]:
    """Names that a function of the module declares ``global``: whatever it computed may be
    what the module's variable (or function: ``global features; def features``) holds."""
    known = _REBOUND_GLOBALS.get(values)
    if known is None:
        known = _REBOUND_GLOBALS[values] = frozenset(
            name
            for statement in values.index.statements
            if isinstance(statement, ast.Global)
            for name in statement.names
        )
    return known


#: Per module, ``_rebound_globals``.
_REBOUND_GLOBALS: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _may_run_a_model(
    call: ast.Call, helpers: _Helpers, values: ModuleValues, strict: bool = False
) -> bool:
    """``_looks_like_a_model``, or torch's function that runs what it is given
    (``checkpoint(trunk, x)``), or a class handed a model (``Extractor(model, x)``);
    ``strict``, any method but one of a package that computes on no tensor."""
    func = call.func
    qualified = values.qualified(func) or ""
    if runs_a_model(qualified):
        return True
    if is_torchs(qualified):
        return False  # torch's own function (``grad(y, params)``) runs no model it is not given
    if strict and isinstance(func, ast.Attribute):
        owner = dotted_name(func.value)
        return owner is None or owner.split(".")[0] not in helpers.data_modules
    if isinstance(func, ast.Name) and func.id in helpers.imported_classes:
        return any(
            isinstance(argument, ast.Name) and argument.id in helpers.models
            for argument in [*call.args, *(k.value for k in call.keywords)]
        )
    return _looks_like_a_model(func, helpers)


def _enables_grad(call: ast.Call, values: ModuleValues) -> bool:
    """``feats(model, x)`` of a function of the module decorated with
    ``@torch.enable_grad()``: it records a graph under its caller's ``no_grad()``."""
    definition = _local_definition(call.func, values)
    effect = None if definition is None else values.decorated_grad_effect(definition)
    return effect is not None and effect is not GradEffect.DISABLE


def _graph_parts(
    node: ast.AST,
    through_model: bool,
    values: ModuleValues,
    function: FunctionValues,
    strict: bool = False,
) -> Iterator[tuple[ast.AST | None, bool, bool]]:
    """The subexpressions whose graph flows into ``node``'s value, each with whether it
    goes through a model's call and whether it is still the same value (operators, indexing,
    tensor methods); ``(None, ...)`` marks a call that may record a graph."""
    if isinstance(node, ast.Lambda):  # ``{"cls": lambda: ce(head(feats), y)}[k]()``
        yield node.body, True, False
        return
    if never_carries(node):  # a literal, a number, indices (``out.topk(k)[1]``)...
        return
    if isinstance(node, ast.Attribute):
        yield node.value, through_model, True
        return
    if isinstance(node, ast.Subscript):
        yield node.value, through_model, True
        return
    if not isinstance(node, ast.Call):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                yield child, through_model, True
        return
    func = node.func
    qualified = values.qualified(func)
    method = func.attr if isinstance(func, ast.Attribute) else None
    if (
        method in GRAPH_DROPPING_METHODS
        or (method in PARAMETER_METHODS and not strict)  # read strictly: leaves' results
        or (qualified is not None and qualified.rsplit(".", 1)[-1] in GRAPH_DROPPING_METHODS)
        or (isinstance(func, ast.Name) and func.id in GRAPH_DROPPING_BUILTINS)
        or (qualified in GRAPH_CONSUMING_FUNCTIONS and not creates_graph(node))
        or _returns_no_graph(func, function, values)
    ):
        return  # a number, a detached tensor, or gradients without a graph
    arguments = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
    arguments += [k.value for k in node.keywords]
    # A nested function called (``def objective(w)`` over ``feats``), or handed to a call
    # that may run it (``elbo.loss(model, guide)``, ``def model(): sample(prior)``): what it
    # closes over goes into the value.
    for named in (func, *arguments):
        if isinstance(named, ast.Name):
            for read in function.nested_reads(named.id):
                yield read, through_model, False
    if isinstance(func, ast.Attribute) and qualified is None and is_tensor_method(func.attr):
        yield func.value, through_model, True  # ``loss.mean()``: the same value, reduced
        if method not in METADATA_ARGUMENT_METHODS:  # not ``x.to(self.device)``
            for argument in arguments:
                yield argument, through_model, False
        return
    callee = dotted_name(func)
    computes = (
        (qualified is not None and not runs_a_model(qualified))
        or (isinstance(func, ast.Name) and func.id in PASS_THROUGH_BUILTINS)
        or (
            callee is not None
            and _names_a_loss(callee.rsplit(".", 1)[-1])
            and not _method_may_run_a_model(func, function, values)
        )
        or (
            isinstance(func, ast.Attribute)
            and method == SCALING_METHOD
            and SCALER_NAME.search(last_name(func.value) or "")
        )
        or (
            isinstance(func, ast.Name)
            and func.id not in function.local | function.parameters()
            and _runs_no_model(func.id, values)
        )
    )
    if computes and isinstance(func, ast.Name) and _given_a_model(arguments, function, values):
        computes = False  # ``penalty(model)``: what it computes on the model's leaves
    if qualified in GRAPH_CONSUMING_FUNCTIONS:
        # ``autograd.grad(..., create_graph=True)``: a graph of its own, the backward's
        yield None, through_model, False
    if computes:  # torch's functions, losses, builtins: the inputs' graphs go on
        if isinstance(func, ast.Name) and func.id in function.local:
            # ``loss_of = make_loss(model, x)``: a closure may hold a graph of its own
            yield func, through_model, False
        for argument in arguments:
            yield argument, through_model, False
        return
    if (
        strict
        or any(not isinstance(a, ast.Constant) for a in arguments)
        or _runs_code_of_the_module(func, function, values)
    ):
        # a model's forward, or a helper on its inputs; read strictly, a call of nothing
        # too (``sample_fake()``, of a model the module holds)
        yield None, through_model, False
    if isinstance(func, (ast.Call, ast.Subscript)):
        yield func, True, False  # ``heads[i](x)``, ``nn.Linear(3, 4)(x)``
    elif isinstance(func, ast.Attribute) and qualified is None:
        # A method the catalog does not know (``z.var()``, ``dist.log_prob(a)``,
        # ``outputs.get("aux")``): its receiver's graph may go on; read as a model's input
        # (a model's own parameters are leaves: ``_origins`` skips its name).
        yield func.value, True, False
    elif isinstance(func, ast.Name) and func.id in function.local:
        yield func, True, False  # ``on_feats = partial(head_loss, trunk(x))``: what it holds
    for argument in arguments:  # an object's method (``env.step(a)``): its arguments too
        yield argument, True, False


def _method_may_run_a_model(func: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """``self._loss(images, target)`` of a method of the class that runs a model it holds
    (``self.estimator.predict(...)``): a forward under a loss's name, read where it is
    defined; not a criterion the object holds (``self.criterion(out, y)``)."""
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == _self_name(function)
    ):
        return False
    definition = _local_definition(func, values)
    return isinstance(definition, ast.FunctionDef) and not _calls_no_model(definition, values)


def _given_a_model(
    arguments: list[ast.expr], function: FunctionValues, values: ModuleValues
) -> bool:
    """A model of the function handed whole to a call (``weight_penalty(model)``)."""
    models = function.model_names() | values.module_level_models()
    return any(isinstance(a, ast.Name) and a.id in models for a in arguments)


def _runs_code_of_the_module(
    func: ast.expr, function: FunctionValues, values: ModuleValues
) -> bool:
    """A call of the module's own function or of the object's method, which may run a
    model the module holds though it is given nothing (``sample_fake()``,
    ``self.generate()``): not a call of torch's or a package's (``torch.randn(3)``)."""
    if isinstance(func, ast.Name):
        return not _binds_itself(func.id, function, values) and bool(
            values.definitions_named(func.id)
        )
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == _self_name(function)
    )


def _returns_no_graph(func: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """A call that hands back no graph, read where its callee is defined: a function of the
    module, or one it imports from a module beside it (``cached = save_data(model, x)``),
    or an object of a class of the module, whose ``__call__`` (or ``forward``) is read
    (``get_inputs = Catcher(model)``, then ``get_inputs(x)``). Such a function detaches
    what it returns (``_graph_free``), whatever it runs inside. Only a name the module
    binds once, to that definition, is read so: not one a star import may rebind, a
    decorator wraps or the function binds itself."""
    if not isinstance(func, ast.Name) or func.id in function.parameters():
        return False
    if _star_imports(values):
        return False  # ``from finetune import *`` may bind any name, a later one too
    reaching = function.reaching(func)
    if reaching:
        methods = [_instance_call(function.bindings[index], function, values) for index in reaching]
        return all(method is not None and _graph_free(method, values) for method in methods)
    if _binds_itself(func.id, function, values) or func.id in _rebound_globals(values):
        return False  # a local function, one a function rebinds, or a name bound where the
        # flow does not follow
    if values.returns_detached(func.id):
        return True  # ``repackage_hidden``, which calls itself on each part
    definition = values.plain_function(func.id)
    if definition is not None:
        return _graph_free(definition, values)
    imported = summaries_of(values).imported_function(func.id)
    if imported is None:
        return False
    there, definition = imported
    return (
        there.plain_function(definition.name) is definition
        and not _star_imports(there)
        and _graph_free(definition, there)
    )


def _binds_itself(name: str, function: FunctionValues, values: ModuleValues) -> bool:
    """Whether a function (not the module's own code) binds ``name`` itself, by an
    assignment or by a ``def``, ``class`` or import in its body, an ``if`` of it included
    (``if finetune: def features(...)``; a nested function's too, a superset): then the
    name is not the module's."""
    if function.node is values.tree:
        return False
    if name in function.local:
        return True
    known = _DEFINED_WITHIN.get(function)
    if known is None:
        known = _DEFINED_WITHIN[function] = frozenset(
            bound
            for statement in statements_within(function.node)
            if isinstance(statement, (*FUNCTIONS, ast.ClassDef, ast.Import, ast.ImportFrom))
            for bound in top_level_names(statement)
        )
    return name in known


#: Per function, the names its ``def``, ``class`` and import statements bind.
_DEFINED_WITHIN: weakref.WeakKeyDictionary[FunctionValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _stored_by_a_method(
    node: ast.Attribute, function: FunctionValues, values: ModuleValues
) -> bool:
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
        and not _binds_itself(value.func.id, function, values)
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


def _graph_free(definition: FunctionNode, values: ModuleValues) -> bool:
    """Every ``return`` of the function hands back a value that carries no graph, as
    ``_origins`` reads it strictly: no call in it that may record one, and nothing of its
    parameters, of the object or of the module; and it is no generator, and changes no
    object it may hand back in place (``out.feats = ...``, ``total.add_(...)``); what it
    computes on a model's parameters (``model.parameters()``) carries a graph, and so does
    what any call returns, given nothing or not. Calls it makes are read in turn (a
    recursive one reads as a graph)."""
    known = _GRAPH_FREE.setdefault(values, {})
    if id(definition) not in known:
        known[id(definition)] = False  # while it is read
        known[id(definition)] = isinstance(definition, FUNCTIONS) and _hands_back_no_graph(
            definition, values
        )
    return known[id(definition)]


def _hands_back_no_graph(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> bool:
    returned = []
    owner = self_parameter(definition)
    for node in same_scope_nodes(definition.body):
        if isinstance(node, ast.Return) and node.value is not None:
            returned.append(node.value)
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)):
            return False
    # Nested functions and comprehensions included: they may run, on the same objects.
    if any(_changes_in_place(node, owner) for node in ast.walk(definition)):
        return False
    if not returned:
        return True
    origins = _origins(returned, values.facts(definition), values, strict=True)
    return not (
        origins.recorded()
        or origins.unbound_forward
        or origins.from_parameter
        or origins.from_attribute
        or origins.from_enclosing
        or origins.from_iteration
    )


def _changes_in_place(node: ast.AST, owner: str | None) -> bool:
    """A statement or call that may put a graph into an object the function hands back,
    which ``_origins`` reads no binding of: an attribute stored on anything but the object
    the method belongs to (``out.feats = h``, ``setattr(ns, "h", h)``), an in-place
    tensor method on such a value (``total.add_(h)``, ``buffer.copy_(h)``)."""
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
        return _root_name(node) != owner
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in ATTRIBUTES_BY_NAME
    if not isinstance(func, ast.Attribute):
        return False
    return (
        is_in_place(func.attr) and stores_arguments(func.attr) and _root_name(func.value) != owner
    )


def _root_name(node: ast.AST) -> str | None:
    """``out`` of ``out.feats.h``, ``buffers[0]``, ``out.get("h")``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


#: Per module, ``id`` of a function -> ``_graph_free``.
_GRAPH_FREE: weakref.WeakKeyDictionary[ModuleValues, dict[int, bool]] = weakref.WeakKeyDictionary()


def _runs_no_model(name: str, values: ModuleValues) -> bool:
    """``name`` is a plain function of the module that surely runs no model: each call in
    its body is of torch, of an inert builtin (``catalog.INERT_BUILTINS``), a tensor's
    method, or of another such function; no method of an object it was given, which may be
    a model's (``policy.density(states)``). What it returns is computed from its arguments,
    as torch's functions compute: their graphs go on, and it records none of its own."""
    known = _NO_MODEL.setdefault(values, {})
    if name not in known:
        known[name] = False  # while it is read: a recursive function counts as a model
        definition = None if name in _rebound_globals(values) else values.plain_function(name)
        known[name] = isinstance(definition, ast.FunctionDef) and _calls_no_model(
            definition, values
        )
    return known[name]


def _calls_no_model(definition: ast.FunctionDef, values: ModuleValues) -> bool:
    function = values.facts(definition)
    own = function.local | function.parameters()
    known = _module_names(values)
    holders = _value_holders(values)
    # What a test reads decides a branch, and goes into no value: ``if args.cuda:``.
    tested = {
        id(inner)
        for node in ast.walk(definition)
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert))
        for inner in ast.walk(node.test)
    }
    # What a callee spells (``Net(x)``, ``util.scale(x)``: the calls are read below), and
    # torch's own values (``torch.float32``).
    spelled: set[int] = set()
    for node in ast.walk(definition):
        if isinstance(node, ast.Call):
            spelled.update(id(part) for part in ast.walk(node.func))
        elif isinstance(node, ast.Attribute) and values.qualified(node) is not None:
            spelled.update(id(part) for part in ast.walk(node))
    for node in ast.walk(definition):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return False  # it may store or read graphs out of sight
        if (
            isinstance(node, ast.Name)
            and node.id not in own
            and (node.id not in known or (node.id in holders and id(node) not in spelled))
            and id(node) not in tested
        ):
            # a value of the module's (``EMBEDDINGS``), or one a class or an import holds
            # (``Cache.store``), which may carry a graph
            return False
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        qualified = values.qualified(func)
        if qualified is not None:
            if runs_a_model(qualified):
                return False  # ``checkpoint(trunk, x)``
            continue
        if isinstance(func, ast.Name):
            if func.id in own:
                return False  # ``encode = model.encode``, a parameter: not the module's
            if not (func.id in INERT_BUILTINS or _runs_no_model(func.id, values)):
                return False
        elif not (
            isinstance(func, ast.Attribute)
            and (_tensor_method(func) or _root_name(func.value) in _data_modules(values))
        ):
            return False  # a method of an object it was given or made: a model's, maybe
    return True


def _module_names(values: ModuleValues) -> frozenset[str]:
    """Names a function may read without reading a value of the module: builtins, and the
    imports, functions and classes the module binds, and binds nothing else to."""
    known = _MODULE_NAMES.get(values)
    if known is None:
        bound: dict[str, bool] = {}
        for statement in values.tree.body:
            definition = isinstance(
                statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
            )
            for name in top_level_names(statement):
                bound[name] = bound.get(name, True) and definition
        builtin = {name for name in dir(builtins) if name not in bound}
        known = _MODULE_NAMES[values] = frozenset(
            builtin | {name for name, plain in bound.items() if plain}
        )
    return known


def _value_holders(values: ModuleValues) -> frozenset[str]:
    """Classes and imports of the module whose attributes may hold a graph: all but the
    modules that compute on no tensor (``np``, ``math``)."""
    known = _VALUE_HOLDERS.get(values)
    if known is None:
        known = _VALUE_HOLDERS[values] = frozenset(
            name
            for statement in values.tree.body
            if isinstance(statement, (ast.ClassDef, ast.Import, ast.ImportFrom))
            for name in top_level_names(statement)
        ) - _data_modules(values)
    return known


def _data_modules(values: ModuleValues) -> frozenset[str]:
    """Names the module binds to modules or functions of packages that compute on no
    tensor (``catalog.NON_TENSOR_MODULES``): ``np``, ``math``, ``from copy import deepcopy``."""
    known = _DATA_MODULES.get(values)
    if known is None:
        found: set[str] = set()
        for statement in values.tree.body:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.name.split(".")[0] in NON_TENSOR_MODULES:
                        found.add((alias.asname or alias.name).split(".")[0])
            elif (
                isinstance(statement, ast.ImportFrom)
                and statement.module
                and statement.module.split(".")[0] in NON_TENSOR_MODULES
            ):
                found.update(alias.asname or alias.name for alias in statement.names)
        known = _DATA_MODULES[values] = frozenset(found)
    return known


def _tensor_method(func: ast.Attribute) -> bool:
    """``x.view(...)``, ``x.add_(...)``, ``x.item()``, ``rows.append(row)``, or any method
    of a detached tensor (``x.data.masked_fill_(...)``): none runs a model."""
    method = func.attr
    return (
        is_tensor_method(method)
        or method in GRAPH_DROPPING_METHODS
        or method in CONTAINER_ADDERS
        or (isinstance(func.value, ast.Attribute) and never_carries(func.value))
    )


#: Per module, ``_value_holders`` and ``_data_modules``.
_VALUE_HOLDERS: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)
_DATA_MODULES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()
#: Per module, ``_module_names``.
_MODULE_NAMES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()
#: Per module, whether each function name ``_runs_no_model``.
_NO_MODEL: weakref.WeakKeyDictionary[ModuleValues, dict[str, bool]] = weakref.WeakKeyDictionary()


def _constructor_settings(values: ModuleValues) -> dict[str, bool]:
    """Attribute name -> whether the module only ever sets it in ``__init__``, to a literal
    or to an argument with a number or string default (``_sets_given``): a setting, which
    carries a graph only if the caller gave one, as a parameter does. Any other store, a
    container's adder, an item store: False; and nothing in a module that sets attributes
    by name (``ast_names.sets_attributes_by_name``)."""
    known = _SETTINGS.get(values)
    if known is not None:
        return known
    known = _SETTINGS[values] = {}
    if any(sets_attributes_by_name(node) for node in ast.walk(values.tree)):
        return known  # attributes set by name: none is surely a setting
    # (node, the ``__init__`` it runs in directly, if any)
    stack: list[tuple[ast.AST, ast.FunctionDef | None]] = [(values.tree, None)]
    while stack:
        node, init = stack.pop()
        if isinstance(node, OWN_SCOPES):
            init = node if isinstance(node, ast.FunctionDef) and node.name == "__init__" else None
        elif isinstance(node, ast.Assign) and init is not None and _sets_given(node, init):
            attr = node.targets[0].attr  # type: ignore[attr-defined]
            known[attr] = known.get(attr, True)
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
        stack.extend((child, init) for child in ast.iter_child_nodes(node))
    return known


def _fresh_tensor_attributes(values: ModuleValues) -> frozenset[str]:
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
                    for part, value in _paired(target, node.value):
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


def _paired(target: ast.expr, value: ast.expr | None) -> Iterator[tuple[ast.expr, ast.expr | None]]:
    """The parts of an assignment's target with the part of its value each is given
    (``self.a, self.b = x, y``); None where the value does not say (``a, b = pair``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        elements = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
        if elements is not None and len(elements) != len(target.elts):
            elements = None
        for index, part in enumerate(target.elts):
            yield from _paired(part, None if elements is None else elements[index])
    else:
        yield target, value


def _fresh_tensor(value: ast.expr | None, target: ast.Attribute, values: ModuleValues) -> bool:
    """``torch.ones(n, 1)``, ``torch.zeros(...).cuda()``, or the target itself moved or
    cast (``self.y_real = self.y_real.cuda()``; not ``self.feats = outputs.feats``)."""
    while (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in METADATA_ARGUMENT_METHODS
    ):
        value = value.func.value
    if isinstance(value, ast.Attribute):
        return (
            value.attr == target.attr
            and isinstance(value.value, ast.Name)
            and isinstance(target.value, ast.Name)
            and value.value.id == target.value.id
        )
    if not isinstance(value, ast.Call) or makes_requires_grad(value):
        return False
    qualified = values.qualified(value.func) or ""
    return is_torchs(qualified) and qualified.rsplit(".", 1)[-1] in FRESH_TENSOR_FUNCTIONS


#: Per module, ``_fresh_tensor_attributes``.
_FRESH_ATTRIBUTES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _sets_given(assign: ast.Assign, init: ast.FunctionDef) -> bool:
    """``self.steps = 0``, or ``self.gamma = gamma`` in an ``init(self, ..., gamma=0.8)``
    that binds ``gamma`` nowhere else: an argument whose default is a number, a string or
    a flag, which callers replace with one."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Attribute):
        return False
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


#: Per module, ``_constructor_settings``.
_SETTINGS: weakref.WeakKeyDictionary[ModuleValues, dict[str, bool]] = weakref.WeakKeyDictionary()


def _is_element(name: str, binding: Binding) -> bool:
    """Whether a loop binds ``name`` to an element of what it iterates, not to an index:
    ``loss`` in ``for i, loss in enumerate(losses)``, not ``i``, nor ``t`` of a ``range``."""
    iterable = binding.value
    if not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name)):
        return True
    if iterable.func.id == "range":
        return False
    target = binding.target
    if iterable.func.id == "enumerate" and isinstance(target, (ast.Tuple, ast.List)):
        index = target.elts[0] if target.elts else None
        return not (isinstance(index, ast.Name) and index.id == name)
    return True


def _batch_target(
    name: str, binding: Binding, function: FunctionValues, helpers: _Helpers, values: ModuleValues
) -> bool:
    """``y`` of ``for x, y in loader`` where a model of the function runs on ``x``: a batch
    of inputs and targets, data without a graph of its own, not one of a list of losses
    that may share one (``for loss in losses``)."""
    target = binding.target
    iterable = binding.value
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id == "enumerate"
    ):  # ``for i, (x, y) in enumerate(loader)``: the index is no input
        if not (isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2):
            return False
        target = target.elts[1]
    if not isinstance(target, (ast.Tuple, ast.List)):
        return False
    names = {e.id for e in target.elts if isinstance(e, ast.Name)}
    if name not in names:
        return False
    inputs = names - {name}
    # One step of renaming: ``inputs = x.to(device)``; not gradients of what was iterated
    # (``for actual, expected in zip(...)``, ``expected_grads = grad(expected, params)``).
    inputs |= {
        bound
        for other in function.bindings
        if names_in(other.value) & inputs and not _gradient_of(other.value, values)
        for bound in other.names
        if bound not in names
    }
    return any(
        names_in(argument) & inputs
        for call in function.calls
        # a model by its name (``model(x)``, ``self.net(x)``), not ``opts[task].step()``
        if dotted_name(call.func) is not None and _may_run_a_model(call, helpers, values)
        for argument in [*call.args, *(k.value for k in call.keywords)]
    )


def _gradient_of(value: ast.AST, values: ModuleValues) -> bool:
    """``grad(y, params)`` or ``grad(y, params)[0]``: gradients, not a renaming of ``y``."""
    while isinstance(value, ast.Subscript):
        value = value.value
    return isinstance(value, ast.Call) and values.qualified(value.func) in GRAPH_CONSUMING_FUNCTIONS


@dataclass(frozen=True)
class _Helpers:
    """What calls of a function reach that are not models: the module's functions, classes
    and imports, the methods of the function's class; and the names known to be models."""

    names: frozenset[str]
    methods: frozenset[str]
    self_name: str | None
    models: frozenset[str]
    #: Names bound to modules or functions of packages that compute on no tensor.
    data_modules: frozenset[str]
    #: ``self.<attr>`` names the module calls a model method on anywhere (``parameters()``).
    self_models: frozenset[str] = frozenset()
    #: Classes imported from other modules, by their names.
    imported_classes: frozenset[str] = frozenset()


#: A class's name as PEP 8 writes it: a capital, then lower case somewhere (``Target``,
#: ``ClassifierOutputTarget``); not ``G`` nor ``VAE``, names models go by too.
_CLASS_NAME = re.compile(r"[A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*")

#: Each function's ``_Helpers``, alive as long as its value facts are.
_HELPERS: weakref.WeakKeyDictionary[FunctionValues, _Helpers] = weakref.WeakKeyDictionary()


def _helpers(
    function: FunctionValues, values: ModuleValues, self_name: str | None, models: frozenset[str]
) -> _Helpers:
    names: set[str] = set()
    methods: set[str] = set()
    classes: set[str] = set()
    data = _data_modules(values)
    for statement in values.tree.body:
        if isinstance(statement, ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.ImportFrom) and not (
            statement.module and statement.module.split(".")[0] in NON_TENSOR_MODULES
        ):
            # ``from .targets import ClassifierOutputTarget``: a class, by its name, whose
            # call makes an object (``G``, ``D``, ``VAE``: maybe a model, by another name).
            classes.update(
                bound
                for alias in statement.names
                for bound in [alias.asname or alias.name]
                if _CLASS_NAME.fullmatch(bound)
            )
        if isinstance(statement, ast.ClassDef) and function.node in statement.body:
            methods.update(
                member.name
                for member in statement.body
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
            )
    self_models = frozenset(
        owner
        for call in values.index.calls
        if isinstance(call.func, ast.Attribute) and call.func.attr in MODEL_METHODS
        for owner in [dotted_name(call.func.value)]
        if owner is not None and self_name is not None and owner.startswith(self_name + ".")
    )
    return _Helpers(
        frozenset(names | classes),
        frozenset(methods),
        self_name,
        models,
        data,
        self_models,
        frozenset(classes),
    )


def _looks_like_a_model(func: ast.expr, helpers: _Helpers) -> bool:
    """Whether a call may run a model and record a graph: ``net(x)``, ``self.encoder(x)``,
    ``heads[i](x)``, ``model.encode(x)``, a helper function or method of the module (it may
    run one); not a class of the module (it makes an object), a function of a package that
    computes on no tensor (``np.array(x)``, ``deepcopy(s)``), nor a method of an object that
    is no model (``env.step(a)``, ``buffer.sample(n)``)."""
    if isinstance(func, ast.Name):
        return not (
            func.id in helpers.names
            or func.id in helpers.data_modules
            or func.id in PASS_THROUGH_BUILTINS
        )
    if isinstance(func, ast.Attribute):
        owner = dotted_name(func.value)
        if owner is None:
            return True
        if owner == helpers.self_name:
            return True  # a submodule, or a method of the class
        if owner.split(".")[0] == helpers.self_name:  # ``self.buffer.sample(n)``: a model's?
            return owner in helpers.models or owner in helpers.self_models
        if owner.split(".")[0] in helpers.data_modules:
            return False
        return owner in helpers.models or func.attr in FORWARD_METHODS
    return True


def _iterates_filled_attribute(
    iterable: ast.AST, self_name: str | None, values: ModuleValues
) -> bool:
    """``for s, a, r in self.memory``, where the module fills ``self.memory`` itself
    (``self.memory.append(...)``): what the object stored may carry graphs of its own."""
    if self_name is None:
        return False
    attributes = {
        node.attr
        for node in ast.walk(iterable)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == self_name
    }
    if not attributes:
        return False
    return any(
        isinstance(call.func, ast.Attribute)
        and stores_arguments(call.func.attr)
        and isinstance(call.func.value, ast.Attribute)
        and call.func.value.attr in attributes
        and isinstance(call.func.value.value, ast.Name)
        for call in values.index.calls
    )


def _self_name(function: FunctionValues) -> str | None:
    node = function.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    positional = (*node.args.posonlyargs, *node.args.args)
    if not positional or positional[0].arg not in ("self", "cls"):
        return None
    return positional[0].arg


# -- is it needed? --------------------------------------------------------------------------


def _needed(
    call: ast.Call,
    roots: list[ast.expr],
    function: FunctionValues,
    values: ModuleValues,
    callers_read: frozenset[int] = frozenset(),
) -> bool:
    if creates_graph(call) and (
        (isinstance(call.func, ast.Attribute) and call.func.attr in GRAPH_FREEING_METHODS)
        or function.discards(call)
    ):
        # The gradients carry a graph where anything may differentiate it: in ``.grad``,
        # or in the hooks that are all a ``torch.autograd.grad`` whose result nobody
        # reads can be called for.
        return True
    if isinstance(function.node, ast.Lambda):
        # A lambda runs as often as whoever holds it calls it: twice by the function, or
        # once per line search by ``optimizer.step(lambda: loss.backward(...))``.
        return True
    if _defers_gradient_calls(function, values):
        return True
    origins = _call_origins(call, function, values) or _origins(roots, function, values)
    recorded = origins.recorded()
    if origins.from_attribute or origins.from_iteration or origins.from_enclosing:
        return True
    if origins.from_parameter and not recorded:
        return not _callers_done_with(call, origins.parameters, function, values, callers_read)
    loops = function.call_loops.get(id(call), frozenset())
    for index in recorded:
        if loops - function.bindings[index].loops:
            return True  # a model's output made before a loop that differentiates it again
    for index in recorded & origins.carried.keys():
        around = origins.carried[index]
        if around is None or around & loops:
            return True  # last iteration's graph, differentiated again in this one
    if recorded:
        reached = function.derived(NEVER, recorded)
        finished = _closures_done_before(call, reached, function, values)
        if function.leaves(reached, NEVER, free_only=True, finished=finished):
            return True
    own = recorded | origins.direct
    if creates_graph(call):
        # ``gradients = grad(d_out, x, create_graph=True)``: what is computed from them runs
        # back through the graph this call differentiates (a penalty backpropagated later)
        own |= {
            index
            for index, binding in enumerate(function.bindings)
            if any(node is call for node in ast.walk(binding.value))
        }
    if loops and own and _carried_to_a_gradient_call(call, own, loops, function, values):
        return True
    if own and _added_outside(own, function):
        return True
    return (
        any(
            origins_shared(call, other, own, function, values)
            for other in function.calls
            if other is not call
        )
        or _in_comprehension_over(call, recorded, function)
        or _handed_on_later(call, own, function, values)
    )


def _callers_done_with(
    call: ast.Call,
    parameters: set[str],
    function: FunctionValues,
    values: ModuleValues,
    callers_read: frozenset[int],
) -> bool:
    """The graph of a private function's parameters (``_update(latents, loss)``) is
    differentiated by ``call`` once and then dropped: the function reads those parameters
    nowhere else, and each call of it in the module is, for the caller's graph, a gradient
    call whose ``retain_graph=True`` would not be needed."""
    node = function.node
    if (
        not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        or id(node) in callers_read
        or function.call_loops.get(id(call))
        or not parameters <= function.parameters()
        or not _read_only_by(call, parameters, node, values)
        or _differentiates_more(call, function, values)
    ):
        return False
    sites = private_call_sites(node, values)
    if sites is None:
        return False
    module_values = _module_variables(values)
    callers: set[int] = set()
    for site in sites:
        caller = values.function_of(site.call)
        if caller is None or id(caller) in callers or caller.node is values.tree:
            return False  # called twice by one function: the second call may reuse the graph
        if any(name not in site.given for name in parameters):
            return False  # a default value, made once for every call
        if names_read(caller.node) & module_values - caller.local - caller.parameters():
            return False  # a graph the module holds may reach this call (``embedding``)
        callers.add(id(caller))
        roots = [site.given[name] for name in parameters]
        with caller.without_reading(roots):  # the function hands none of it back
            if _needed(site.call, roots, caller, values, callers_read | {id(node)}):
                return False
    return True


def _differentiates_more(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """Another gradient call in the function, itself or through a function of the module, or
    a call that may differentiate what the function was given: its other parameters may
    share the graph (``loss.backward(retain_graph=True); aux.backward()``)."""
    from_given = _given_seed(function, function.parameters())
    derived = function.derived(from_given)
    for other in function.calls:
        if other is call:
            continue
        if _differentiated(other, values) is not None:
            return True
        local = _local_definition(other.func, values)
        if local is not None:
            if _differentiates(local, values):
                return True
            continue
        if not _passes_nothing_on(other, values) and any(
            function.carries(argument, derived, from_given)
            for _, argument in _arguments_by_parameter(other, values)
        ):
            return True
    return False


def _read_only_by(
    call: ast.Call,
    parameters: set[str],
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
    values: ModuleValues,
) -> bool:
    """The function names ``parameters`` only in what ``call`` differentiates: it keeps,
    returns, captures, rebinds or hands on none of their values."""
    inside = {
        id(node)
        for root in _differentiated(call, values) or ()
        for node in ast.walk(root)
        if isinstance(node, ast.Name)
    }
    return not any(
        isinstance(node, ast.Name) and node.id in parameters and id(node) not in inside
        for statement in definition.body
        for node in ast.walk(statement)
    )


def _module_imports(values: ModuleValues) -> set[str]:
    """Names the module binds by importing at its top level: modules, a library's
    functions and classes."""
    return {
        name
        for statement in values.tree.body
        if isinstance(statement, (ast.Import, ast.ImportFrom))
        for name in top_level_names(statement)
    }


def _module_variables(values: ModuleValues) -> set[str]:
    """Names the module's own code binds to values: not its functions, classes, imports."""
    return {
        name
        for statement in values.tree.body
        if not isinstance(
            statement,
            (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom),
        )
        for name in top_level_names(statement)
    }


def _values_of_the_module(values: ModuleValues) -> frozenset[str]:
    """Names the module binds to anything but its functions and the modules that compute on
    no tensor: variables, classes and imports, whose attributes may hold a graph
    (``Cache.store[key]``, ``state.features``)."""
    known = _MODULE_VALUES.get(values)
    if known is None:
        known = _MODULE_VALUES[values] = frozenset(_module_variables(values)) | _value_holders(
            values
        )
    return known


#: Per module, ``_values_of_the_module``.
_MODULE_VALUES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _added_outside(own: set[int], function: FunctionValues) -> bool:
    """A value of the graph added to a container the function did not make
    (``history.append(loss)``, ``history += [loss]`` on a parameter or a global): its
    owner may differentiate it later."""
    derived = function.derived(NEVER, own)
    return any(
        (binding.adds or binding.accumulates)
        and isinstance(binding.target, ast.Name)
        and binding.target.id not in function.local
        and function.carries(binding.value, derived, NEVER)
        for binding in function.bindings
    )


def _carried_to_a_gradient_call(
    call: ast.Call,
    own: set[int],
    loops: frozenset[int],
    function: FunctionValues,
    values: ModuleValues,
) -> bool:
    """A value of the graph kept for the next iteration of a loop that runs ``call``
    (``prev_out = out``), where a gradient call, wherever it is in the loop, differentiates
    it (``mse(prev_out, out.detach()).backward()``)."""
    derived = function.derived(NEVER, own)
    for other in function.calls:
        if not (function.call_loops.get(id(other), frozenset()) & loops):
            continue
        theirs = _call_origins(other, function, values)
        if theirs is None:
            continue
        recorded = theirs.recorded()
        if any(
            index in derived and index in recorded and (around is None or around & loops)
            for index, around in theirs.carried.items()
        ):
            return True
    return False


#: Builtins that reach a function's variables by name: a closure read through them is
#: read where the analysis cannot see.
_NAME_LOOKUPS = frozenset({"locals", "vars", "globals", "eval", "exec"})


def _closures_done_before(
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
            for parameter, argument in _arguments_by_parameter(other, values)
            if isinstance(argument, ast.Name) and argument.id == name
        ]
        if not given:
            continue
        handed = True
        allowed.update(id(argument) for _, argument in given)
        local = _local_definition(other.func, values)
        if local is not None and _keeps_handed(local, [p for p, _ in given], values):
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
        if _differentiated(other, values) is not None:
            return True
        local = _local_definition(other.func, values)
        if local is not None and _differentiates(local, values):
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


def _handed_on_later(
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
    derived = function.derived(NEVER, own)
    for other in function.calls:
        before = (other.lineno, other.col_offset) <= here
        local = _local_definition(other.func, values)
        if local is None and (before or _passes_nothing_on(other, values)):
            continue
        handed = [
            parameter
            for parameter, argument in _arguments_by_parameter(other, values)
            if function.carries(argument, derived, NEVER)
        ]
        if not handed:
            continue
        if local is None or _keeps_handed(local, handed, values):
            return True
        if not before and _differentiates(local, values):
            return True
    return False


def _arguments_by_parameter(
    call: ast.Call, values: ModuleValues
) -> Iterator[tuple[str | None, ast.expr]]:
    """Each argument of ``call`` with the parameter of the module's function it is given
    to (None where that is not known: another callee, ``*args``, a method's ``self``)."""
    local = _local_definition(call.func, values)
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


def _passes_nothing_on(call: ast.Call, values: ModuleValues) -> bool:
    """Calls that compute on, record or print their arguments, and differentiate nothing:
    torch's functions, those of a library that reads numbers (``np.array(x)``), and a
    function or method of the module whose body has no gradient call."""
    func = call.func
    if values.qualified(func) is not None or values.reader(func) is not None:
        return True
    local = _local_definition(func, values)
    if local is not None:
        return not _differentiates(local, values)
    name = func.attr if isinstance(func, ast.Attribute) else None
    if name is not None and any(
        _differentiates(definition, values) or _may_keep(definition, None, values)
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
            or _names_a_loss(func.attr)
        )
    return False


def origins_shared(
    call: ast.Call,
    other: ast.Call,
    own: set[int],
    function: FunctionValues,
    values: ModuleValues,
) -> bool:
    """Whether ``other``, a gradient call that may run after ``call``, differentiates a
    value that shares a recorded computation (or the differentiated value) ``own`` with
    ``call``'s."""
    if (other.lineno, other.col_offset) <= (call.lineno, call.col_offset):
        return False
    guards = function.guards
    if contradicts(guards.get(id(call), frozenset()), guards.get(id(other), frozenset())):
        return False  # the other arm of the same ``if``
    theirs = _call_origins(other, function, values)
    if theirs is None or not own:
        return False
    return (
        bool(own & set(theirs.reads))
        # what a hook or the forward itself kept: any of the forwards' activations
        or theirs.from_model_state
        or _registers_forward_hooks(values)
    )


def _called_models(function: FunctionValues, helpers: _Helpers) -> frozenset[str]:
    """Names the function calls as a model (``model(x)``): what they hold is a model's."""
    known = _CALLED_MODELS.get(function)
    if known is None:
        known = _CALLED_MODELS[function] = frozenset(
            call.func.id
            for call in function.calls
            if isinstance(call.func, ast.Name)
            and (call.args or call.keywords)
            and _looks_like_a_model(call.func, helpers)
        )
    return known


#: Per function, ``_called_models``.
_CALLED_MODELS: weakref.WeakKeyDictionary[FunctionValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _registers_forward_hooks(values: ModuleValues) -> bool:
    """The module registers forward hooks: a later gradient call may differentiate any
    activation one of them kept (``store["feat"].pow(2).mean().backward()``)."""
    known = _HOOKS.get(values)
    if known is None:
        known = _HOOKS[values] = any(
            last_name(call.func) in FORWARD_HOOK_METHODS for call in values.index.calls
        )
    return known


#: Per module, ``_registers_forward_hooks``.
_HOOKS: weakref.WeakKeyDictionary[ModuleValues, bool] = weakref.WeakKeyDictionary()


def _parameters_of_a_model(node: ast.AST, models: frozenset[str] | set[str]) -> bool:
    """``model.parameters()``, ``model.named_parameters()`` of a model of the function."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PARAMETER_METHODS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in models
    )


def _defers_gradient_calls(function: FunctionValues, values: ModuleValues) -> bool:
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
                isinstance(inner, ast.Call) and _differentiated(inner, values) is not None
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


#: Per function, ``_defers_gradient_calls``.
_DEFERS: weakref.WeakKeyDictionary[FunctionValues, bool] = weakref.WeakKeyDictionary()


def _in_comprehension_over(call: ast.Call, recorded: set[int], function: FunctionValues) -> bool:
    """``[grad(out[i], x, retain_graph=True) for i in ...]``: a comprehension is a loop too,
    and a graph made before it is differentiated again by its next element."""
    here = (call.lineno, call.col_offset)
    for node in ast.walk(function.node):
        if not isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            continue
        start = (node.lineno, node.col_offset)
        end = (node.end_lineno or 0, node.end_col_offset or 0)
        if not start <= here < end:
            continue
        if any(not start <= function.bindings[i].position <= end for i in recorded):
            return True
    return False


def _differentiates(
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
        if _differentiated(node, values) is not None:
            found = True
            break
        callee = _local_definition(node.func, values)
        if callee is not None and callee is not definition and _differentiates(callee, values):
            found = True
            break
    known[id(definition)] = found
    return found


def _given_seed(function: FunctionValues, names: set[str]) -> Seed:
    """The seed that accepts a read of one of ``names`` that no binding of the function
    reaches: the value it was given for that parameter."""

    def from_given(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in names and not function.reaching(node)

    return from_given


def _keeps_handed(
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
    from_given = _given_seed(function, function.parameters() if given is None else given)

    def holds(node: ast.AST | None) -> bool:
        return node is not None and function.carries(node, derived, from_given)

    derived = function.derived(from_given)
    made = {  # ``seen = []``, ``out = dict()``: a container of its own
        part.id
        for node in ast.walk(definition)
        if isinstance(node, ast.Assign)
        for target in node.targets
        for part, value in _paired(target, node.value)
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
                or (isinstance(t, ast.Subscript) and _root_name(t) not in made)
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
                for parameter, argument in _arguments_by_parameter(node, values)
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
            local = _local_definition(func, values)
            if local is not None:
                if _keeps_handed(local, handed, values, depth + 1):
                    return True
                continue
            if not _passes_nothing_on(node, values):
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


#: Per module, ``id`` of a function -> ``_differentiates``.
_DIFFERENTIATES: weakref.WeakKeyDictionary[ModuleValues, dict[int, bool]] = (
    weakref.WeakKeyDictionary()
)


def _names_a_loss(name: str) -> bool:
    """``criterion``, ``ce_loss``: a loss function, which computes on what it is given;
    not ``loss_scaler`` (``catalog.LOSS_STEPPER_NAME``), which runs the backward itself."""
    return bool(LOSS_FUNCTION_NAME.search(name)) and not LOSS_STEPPER_NAME.search(name)


def _local_definition(
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
