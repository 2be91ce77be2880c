"""Where the graph a gradient call differentiates comes from.

Read backwards from the differentiated values through the bindings of the function
(``function_values``) to the calls that recorded a graph, stopping where a graph is dropped
(``.detach()``, ``.item()``... from the catalog). The result (``Origins``) says which
bindings carry the graph, which were carried around a loop's back edge, and whether the graph
may come from outside the function (a parameter, the object, an enclosing scope, a module
variable bound to a model's output, an element of what a loop runs over): what NG003 needs
to decide whether another gradient call can reach the same graph. Which calls record a graph is :mod:`.model_calls`' question; what the object's
attributes hold across calls is :mod:`.object_graphs`'.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..ast_names import chain_head, dotted_name, last_name, names_in
from .catalog import (
    CONTAINER_CONSTRUCTORS,
    GRADIENT_ATTRIBUTE,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_DROPPING_ATTRIBUTES,
    GRAPH_DROPPING_BUILTINS,
    GRAPH_DROPPING_METHODS,
    GRAPH_FREEING_METHODS,
    METADATA_ARGUMENT_METHODS,
    PARAMETER_METHODS,
    PASS_THROUGH_BUILTINS,
    SCALER_NAME,
    SCALING_METHOD,
    TENSOR_VIEW_ATTRIBUTES,
    GradEffect,
    runs_a_model,
    stores_arguments,
)
from .detached_results import Handed, returns_no_graph, unpacked_part
from .distribution_draws import draws_from_a_distribution
from .fates import contradicts
from .function_values import Binding, FunctionValues
from .gradient_calls import differentiated_values, local_definition
from .hook_stores import registers_forward_hooks
from .memoized_results import reads_a_kept_property, returns_a_kept_result
from .model_calls import (
    Helpers,
    binds_itself,
    called_models,
    chained_objects,
    computes_on_a_tensor,
    given_a_model,
    handed_models,
    helpers_of,
    may_run_a_model,
    method_may_run_a_model,
    method_self,
    names_a_loss,
    rebound_globals,
    runs_code_of_the_module,
    runs_no_model,
    value_holders,
)
from .object_graphs import (
    constructor_settings,
    fresh_tensor_attributes,
    graph_attributes,
    keeps_state,
    reads_a_kept_graph,
    stored_by_a_method,
)
from .value_readings import (
    bound_names,
    creates_graph,
    cuts_the_graph,
    may_make_a_leaf,
    never_carries,
    peeled,
)
from .values import ModuleValues, module_variables


@dataclass
class Origins:
    """The bindings a differentiated value derives from (its graph's share of the
    function), read backwards through names."""

    #: Binding index -> the binding indices its value reads.
    reads: dict[int, set[int]] = field(default_factory=dict)
    #: Bindings whose own value runs a model (or a call that may run one: ``looks_like_a_model``).
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
    #: Parameters read as a model's input (``head(feats)``), taken for data: the caller's
    #: graph, if it hands one in, is differentiated again by each gradient call through it.
    model_inputs: set[str] = field(default_factory=set)

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


def call_origins(call: ast.Call, function: FunctionValues, values: ModuleValues) -> Origins | None:
    """``origins_of`` of what a gradient call differentiates, read once per call: every
    ``retain_graph=True`` of a function compares itself with every other gradient call."""
    known = _CALL_ORIGINS.setdefault(function, {})
    if id(call) not in known:
        roots = differentiated_values(call, values)
        known[id(call)] = None if roots is None else origins_of(roots, function, values)
    return known[id(call)]


#: Per function, ``id`` of a gradient call -> ``call_origins``.
_CALL_ORIGINS: weakref.WeakKeyDictionary[FunctionValues, dict[int, Origins | None]] = (
    weakref.WeakKeyDictionary()
)


def origins_of(
    roots: list[ast.expr], function: FunctionValues, values: ModuleValues, strict: bool = False
) -> Origins:
    """Walk back from ``roots`` through the names they read to the bindings that made
    them, stopping where a graph is dropped (``catalog.GRAPH_DROPPING_*``). ``strict``
    reads for a graph where a value may have one: a method of any object may run a model
    (``policy.density(x)``), and what the module binds (but its functions and modules that
    compute on no tensor) and what a parameter holds, even looped over, come from outside
    (``graph_free``)."""
    origins = Origins()
    self_name = method_self(function)
    parameters = function.parameters() - {self_name}
    iterations = function.iterables()
    models = (
        function.model_names()
        | values.module_level_models()
        | chained_objects(function)
        | handed_models(function, values)
    )
    helpers = _HELPERS.get(function)
    if helpers is None:  # once per function, not once per gradient call compared
        helpers = _HELPERS[function] = helpers_of(function, values, self_name, models)
    # (node, read through a model's call, the binding whose value it is part of or -1,
    # still the differentiated value itself)
    stack: list[tuple[ast.AST, bool, int, bool]] = [(root, False, -1, True) for root in roots]
    seen: set[tuple[int, bool, bool]] = set()
    # What is a leaf itself (``torch.zeros(n, requires_grad=True).cuda()``), not computed
    # on one: each root, and each binding's value
    wholes = {id(peeled(root, METADATA_ARGUMENT_METHODS)) for root in roots}
    unmoved_values = _unmoved_values(function)
    submodules: set[int] = set()
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
            if not reaching and node.id in parameters:
                if strict or not through_model:
                    origins.from_parameter = True
                    origins.parameters.add(node.id)
                else:
                    origins.model_inputs.add(node.id)
            if (
                not reaching
                and node.id not in parameters
                and (
                    _enclosing_binds(node.id, function, values)
                    or _module_graph(node.id, function, values)
                    # read strictly, a function or class it defines: a closure over its graphs
                    or (strict and binds_itself(node.id, function, values))
                    or (strict and node.id in _values_of_the_module(values))
                )
            ):
                origins.from_enclosing = True
            for index in reaching:
                if function.binds_no_graph(function.bindings[index], node.id):
                    continue  # ``_, predicted = out.max(1)``: integers
                # ``s, a, hidden = self.make_batch()``: ``s`` may hold no graph, or be a leaf
                part = unpacked_part(function.bindings[index], node.id, function, values)
                if part is Handed.DATA:
                    continue
                if id(function.bindings[index].value) in iterations and _iterates_a_dataset(
                    function.bindings[index], function, helpers, values
                ):
                    continue  # a batch of a loader another package's function made: data
                if owner >= 0:
                    origins.reads[owner].add(index)
                binding = function.bindings[index]
                if binding.loops:
                    # Made after the read, or before it where this pass may skip it (``if
                    # feats is None: feats = encoder(x)``): last iteration's value reaches it.
                    around = function.carried_around(node)
                    if binding.position > (node.lineno, node.col_offset) or (
                        around is None or around & binding.loops
                    ):
                        known = origins.carried.get(index, frozenset())
                        origins.carried[index] = (
                            None if around is None or known is None else known | around
                        )
                origins.reads.setdefault(index, set())
                unmoved = unmoved_values[index]
                if (
                    may_make_a_leaf(unmoved, values.qualified)
                    or (
                        isinstance(binding.target, ast.Name)
                        and binding.target.id in function.requires_grad
                    )
                    or part is Handed.LEAF
                ):
                    # ``log_t = torch.full((1,), 0.3)``, then ``log_t.requires_grad = True``
                    origins.grad_leaves.add(index)
                iterated = id(binding.value) in iterations
                if direct:
                    origins.direct.add(index)
                    origins.from_iteration |= (
                        iterated
                        and is_element(node.id, binding)
                        and not _batch_target(node.id, binding, function, helpers, values)
                    )
                if iterated and _iterates_filled_attribute(binding.value, self_name, values):
                    origins.from_attribute = True  # a memory of the object's own graphs
                # A loop's target holds the data iterated over: no model of its own.
                through = through_model or iterated
                if (
                    part is not Handed.LEAF
                    and (index, through, direct) not in seen
                    and not function.made_graph_free(binding)  # ``with no_grad(): h = h * m``
                ):
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
            if constructor_settings(values).get(node.attr):
                origins.from_parameter = True  # ``self.gamma``: as ``__init__`` was given it
                origins.parameters.add(f"{self_name}.{node.attr}")
            elif node.attr in fresh_tensor_attributes(values):
                continue  # ``self.y_real = torch.ones(n, 1)``: a label, with no graph
            else:
                origins.from_attribute = True  # ``self.loss``: another method may differentiate it
        elif isinstance(node, ast.Attribute) and stored_by_a_method(node, function, values):
            origins.from_attribute = True  # ``catch(x); catch.out``: what its call stored
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == self_name
            and node.attr in graph_attributes(values)
        ):
            origins.from_attribute = True  # ``self.head(self.feats)``: ``encode`` made it
        if (
            isinstance(node, ast.Call)
            and id(node) not in (wholes if owner < 0 else (id(unmoved_values[owner]),))
            and may_make_a_leaf(node, values.qualified)
        ):
            # ``torch.zeros(3, requires_grad=learn).exp()``: recorded on a leaf made here; a
            # leaf moved (``.to(device)``) saves nothing a second backward would need
            if owner >= 0:
                origins.forwards.add(owner)
            else:
                origins.unbound_forward = True
        if owner >= 0 and _parameters_of_a_model(node, models):
            # ``for p in model.parameters()``: leaves, and what is computed on them records
            origins.grad_leaves.add(owner)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Subscript):
            indexed = node.func.value
            while isinstance(indexed, ast.Subscript):
                indexed = indexed.value
            submodules.add(id(indexed))  # ``gan.D`` of ``gan.D[0](x)``: a model it runs
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr not in GRAPH_DROPPING_ATTRIBUTES
            and id(node) not in submodules
            and (node.value.id in models or node.value.id in called_models(function, helpers))
        ):
            # A tensor the model holds: a parameter, a leaf whose every use records a graph
            # (``F.softmax(model.alpha)``, ``model.weight.norm()`` made once before a
            # loop), or what its forward stored there (``model.last_feat``), any graph.
            origins.from_model_state = True
            if owner >= 0:
                origins.forwards.add(owner)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and returns_a_kept_result(node, function, values)
        ) or (isinstance(node, ast.Attribute) and reads_a_kept_property(node, values)):
            # ``bank.features()``, read as no forward, ``shared.feats``: what an earlier
            # call or read kept
            origins.from_attribute = True
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
                        or may_run_a_model(node, helpers, values, strict)
                    )
                ):
                    if owner >= 0:
                        origins.forwards.add(owner)
                    else:
                        origins.unbound_forward = True
                    if (
                        keeps_state(node, function, values)
                        or reads_a_kept_graph(node, function, values)
                        or returns_a_kept_result(node, function, values)
                    ):
                        origins.from_attribute = True  # a graph made before the call
                continue
            stack.append((child, through, owner, direct and same))
    return origins


def _unmoved_values(function: FunctionValues) -> list[ast.AST]:
    """Each binding's value without the moves and casts chained on it (``.to(device)``)."""
    known = _UNMOVED.get(function)
    if known is None:
        known = _UNMOVED[function] = [
            peeled(binding.value, METADATA_ARGUMENT_METHODS) for binding in function.bindings
        ]
    return known


#: Per function, ``_unmoved_values``.
_UNMOVED: weakref.WeakKeyDictionary[FunctionValues, list[ast.AST]] = weakref.WeakKeyDictionary()


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
    return name in rebound_globals(values)


def _module_graph(name: str, function: FunctionValues, values: ModuleValues) -> bool:
    """``name``, which the function reads but does not bind, is a variable of the module
    that its code binds, outside ``no_grad``, to a model's output or to a value derived
    from one (``FEATS = ENCODER(X)``): a graph every call of the function differentiates
    again."""
    module = values.function_of(values.tree)
    if module is None or module is function:
        return False
    known = _MODULE_GRAPHS.setdefault(values, {})
    if name not in known:
        models = module.model_names()
        known[name] = any(
            not binding.grad_off
            and name in binding.names
            and isinstance(binding.value, ast.expr)
            and (
                (isinstance(binding.value, ast.Call) and chain_head(binding.value.func) in models)
                or _records(origins_of([binding.value], module, values))
            )
            for binding in module.bindings
        )
    return known[name]


def _records(origins: Origins) -> bool:
    """A model's call made the value: one bound before (``recorded``) or one inline
    (``nn.Embedding(10, 4)(ids)``)."""
    return origins.unbound_forward or bool(origins.recorded())


#: Per module, ``_module_graph`` by name.
_MODULE_GRAPHS: weakref.WeakKeyDictionary[ModuleValues, dict[str, bool]] = (
    weakref.WeakKeyDictionary()
)


def _enables_grad(call: ast.Call, values: ModuleValues) -> bool:
    """``feats(model, x)`` of a function of the module decorated with
    ``@torch.enable_grad()``: it records a graph under its caller's ``no_grad()``."""
    definition = local_definition(call.func, values)
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
        or (isinstance(node, ast.Call) and cuts_the_graph(node, qualified))
        or (isinstance(func, ast.Name) and func.id in GRAPH_DROPPING_BUILTINS)
        or (qualified in GRAPH_CONSUMING_FUNCTIONS and not creates_graph(node))
        or returns_no_graph(func, function, values)
        or draws_from_a_distribution(node, function, values)
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
    if (
        isinstance(func, ast.Attribute)
        and qualified is None
        and computes_on_a_tensor(
            func,
            lambda name: name in function.model_names() or name in values.module_level_models(),
        )
    ):
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
            and names_a_loss(callee.rsplit(".", 1)[-1])
            and not method_may_run_a_model(func, function, values)
        )
        or (
            isinstance(func, ast.Attribute)
            and method == SCALING_METHOD
            and SCALER_NAME.search(last_name(func.value) or "")
        )
        or (
            isinstance(func, ast.Name)
            and func.id not in function.local | function.parameters()
            and runs_no_model(func.id, values)
        )
    )
    if computes and isinstance(func, ast.Name) and given_a_model(arguments, function, values):
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
        or runs_code_of_the_module(func, function, values)
        or (isinstance(func, ast.Name) and returns_a_kept_result(node, function, values))
    ):
        # a model's forward, or a helper on its inputs; read strictly, a call of nothing
        # too (``sample_fake()``, of a model the module holds); a cache, on any argument
        # (``encode("train")`` of ``encode = lru_cache()(_encode)``)
        yield None, through_model, False
    if isinstance(func, (ast.Call, ast.Subscript)):
        yield func, True, False  # ``heads[i](x)``, ``nn.Linear(3, 4)(x)``
    elif isinstance(func, ast.Attribute) and qualified is None:
        # A method the catalog does not know (``z.var()``, ``dist.log_prob(a)``,
        # ``outputs.get("aux")``): its receiver's graph may go on; read as a model's input
        # (a model's own parameters are leaves: ``origins_of`` skips its name).
        yield func.value, True, False
    elif isinstance(func, ast.Name) and func.id in function.local:
        yield func, True, False  # ``on_feats = partial(head_loss, trunk(x))``: what it holds
    for argument in arguments:  # an object's method (``env.step(a)``): its arguments too
        yield argument, True, False


def is_element(name: str, binding: Binding) -> bool:
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
    name: str, binding: Binding, function: FunctionValues, helpers: Helpers, values: ModuleValues
) -> bool:
    """``y`` of ``for x, y in loader`` where a model of the function runs on ``x``, or
    ``batch`` of ``for batch in loader`` where one runs on ``batch.x``: a batch of inputs
    and targets, data without a graph of its own, not one of a list of losses that may
    share one (``for loss in losses``), nor of outputs each handed whole to a head."""
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
    if isinstance(target, ast.Name) and target.id == name:  # fields: ``batch.y``
        return any(
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
            and node.attr not in GRAPH_DROPPING_ATTRIBUTES | TENSOR_VIEW_ATTRIBUTES
            for call in function.calls
            if dotted_name(call.func) is not None and may_run_a_model(call, helpers, values)
            for argument in [*call.args, *(k.value for k in call.keywords)]
            for node in ast.walk(argument)
        )
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
        if dotted_name(call.func) is not None and may_run_a_model(call, helpers, values)
        for argument in [*call.args, *(k.value for k in call.keywords)]
    )


def _iterates_a_dataset(
    binding: Binding, function: FunctionValues, helpers: Helpers, values: ModuleValues
) -> bool:
    """A loop over batches (``for x, y in loader``, ``for batch in loader`` with
    ``model(batch.x)``: ``_batch_target``) of what a function imported from another module
    made from data (``loader = make_loader(data)``, ``train, test =
    temporal_signal_split(dataset)``): a dataset, whose batches hold no graph of their own.
    Not one made from a model's output (``make_loader(encoder(x), y)``, ``zip(trunk(x).chunk(4),
    ys)``)."""
    target = binding.target
    if isinstance(target, (ast.Tuple, ast.List)):
        parts = [e for e in target.elts if isinstance(e, (ast.Tuple, ast.List))]
        names = list(bound_names(parts[-1] if parts else target))
    else:
        names = list(bound_names(target))
    if not any(_batch_target(name, binding, function, helpers, values) for name in names):
        return False
    iterable = binding.value
    while (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id in _LOADER_WRAPPERS
        and len(iterable.args) == 1
    ):
        iterable = iterable.args[0]  # ``enumerate(loader)``, ``iter(loader)``
    made = (
        [function.bindings[index].value for index in function.reaching(iterable)]
        if isinstance(iterable, ast.Name)
        else [iterable]
    )
    return bool(made) and all(
        isinstance(value, ast.Call)
        and _calls_another_module(value, function, values)
        and _made_of_data(value, function, values)
        for value in made
    )


def _calls_another_module(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """``make_loader(...)`` of ``from data import make_loader``, ``tqdm.tqdm(...)`` of
    ``import tqdm``: a function of another module's, not one the function binds itself."""
    functions, modules = values.foreign_imports()
    func = call.func
    return chain_head(func) not in function.local | function.parameters() and (
        (isinstance(func, ast.Name) and func.id in functions)
        or (isinstance(func, ast.Attribute) and chain_head(func) in modules)
    )


def _made_of_data(
    node: ast.AST, function: FunctionValues, values: ModuleValues, depth: int = 0
) -> bool:
    """``node`` is computed from literals, the function's parameters (taken for data, as
    a loop's batches are), calls given nothing but literals (``loader.get_dataset()``)
    and calls of another module's functions (``make_batches(X, Y)``), through the names
    the function (or the module's own code) binds to such values: no model's output,
    whatever it is handed to (``make_loader(encoder(x), y)``)."""
    if depth > _DATA_DEPTH:
        return False
    called = {
        id(head)
        for part in ast.walk(node)
        if isinstance(part, ast.Call)
        for head in ast.walk(part.func)
    }
    module = values.function_of(values.tree)
    for part in ast.walk(node):
        if (
            isinstance(part, ast.Call)
            and not _calls_another_module(part, function, values)
            and not all(
                isinstance(a, ast.Constant) for a in [*part.args, *(k.value for k in part.keywords)]
            )
        ):
            return False
        if isinstance(part, ast.Name) and isinstance(part.ctx, ast.Load):
            if part.id in function.parameters() or id(part) in called:
                continue
            reaching = function.reaching(part)
            if reaching:
                made = [(function.bindings[i].value, function) for i in reaching]
            elif module is not None and module is not function:  # ``X = torch.randn(...)``
                made = [
                    (b.value, module)
                    for b in module.bindings
                    if part.id in b.names and isinstance(b.target, ast.Name)
                ]
            else:
                made = []
            if not made or not all(
                isinstance(value, ast.expr) and _made_of_data(value, there, values, depth + 1)
                for value, there in made
            ):
                return False  # a value of the module's that may be a model's output
    return True


#: How many bindings back ``_made_of_data`` reads.
_DATA_DEPTH = 3


#: Builtins that hand a loader's batches on, one by one.
_LOADER_WRAPPERS = frozenset({"enumerate", "iter"})


def _gradient_of(value: ast.AST, values: ModuleValues) -> bool:
    """``grad(y, params)`` or ``grad(y, params)[0]``: gradients, not a renaming of ``y``."""
    while isinstance(value, ast.Subscript):
        value = value.value
    return isinstance(value, ast.Call) and values.qualified(value.func) in GRAPH_CONSUMING_FUNCTIONS


#: Each function's ``Helpers``, alive as long as its value facts are.
_HELPERS: weakref.WeakKeyDictionary[FunctionValues, Helpers] = weakref.WeakKeyDictionary()


def _iterates_filled_attribute(
    iterable: ast.AST, self_name: str | None, values: ModuleValues
) -> bool:
    """``for s, a, r in self.memory``, where the module fills ``self.memory`` itself
    (``self.memory.append(...)``), or makes it an empty container it never fills (code
    of another module, handed the object, does): what the object stored may carry graphs
    of its own."""
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
    ) or any(
        isinstance(target, ast.Attribute)
        and target.attr in attributes
        and _empty_container(assignment.value)
        for assignment in values.index.assignments
        for target in (
            assignment.targets if isinstance(assignment, ast.Assign) else [assignment.target]
        )
    )


def _empty_container(value: ast.expr | None) -> bool:
    """``[]``, ``{}``, ``list()``, ``deque(maxlen=n)``: a container made empty, to be filled."""
    if isinstance(value, (ast.List, ast.Dict, ast.Set)):
        return not (value.keys if isinstance(value, ast.Dict) else value.elts)
    if not isinstance(value, ast.Call):
        return False
    made = dotted_name(value.func) or ""
    # ``defaultdict(list)``: given what makes its values, not what it holds
    return made in CONTAINER_CONSTRUCTORS and (not value.args or made.endswith("defaultdict"))


def _values_of_the_module(values: ModuleValues) -> frozenset[str]:
    """Names the module binds to anything but its functions and the modules that compute on
    no tensor: variables, classes and imports, whose attributes may hold a graph
    (``Cache.store[key]``, ``state.features``)."""
    known = _MODULE_VALUES.get(values)
    if known is None:
        known = _MODULE_VALUES[values] = frozenset(module_variables(values)) | value_holders(values)
    return known


#: Per module, ``_values_of_the_module``.
_MODULE_VALUES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


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
    theirs = call_origins(other, function, values)
    if theirs is None or not own:
        return False
    return (
        bool(own & set(theirs.reads))
        # what a hook or the forward itself kept: any of the forwards' activations
        or theirs.from_model_state
        or registers_forward_hooks(values)
    )


def _parameters_of_a_model(node: ast.AST, models: frozenset[str] | set[str]) -> bool:
    """``model.parameters()``, ``model.named_parameters()`` of a model of the function."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PARAMETER_METHODS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in models
    )
