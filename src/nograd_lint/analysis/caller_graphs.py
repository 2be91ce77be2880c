"""Whether a caller in the module hands a function's parameter a graph it will need again.

NG003 takes a parameter that a model of the function reads for data (inputs, labels): most
training helpers are handed batches. ``def fit_heads(feats, heads, y)``, backpropagating one
head's loss per iteration, is handed the backbone's output instead (``fit_heads(backbone(x),
heads, y)``), and each backward runs through that graph again: removing the flag crashes
the second. The callers the module shows are read for that evidence; with none, nothing
changes.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterator

from ..ast_names import arguments_given, chain_head, dotted_name
from .catalog import FORWARD_METHODS, PARTIAL_BINDERS, is_torchs, runs_a_model
from .function_values import FunctionValues
from .gradient_calls import differentiated_values, local_definition, makes_gradient_calls
from .graph_sources import origins_of, origins_shared
from .mode_summaries import summaries_of
from .model_calls import computes_on_a_tensor, given_a_model, method_may_run_a_model, method_self
from .object_graphs import setting_sources
from .value_keepers import arguments_by_parameter, passes_nothing_on
from .value_readings import NEVER
from .values import ModuleValues

__all__ = ["callers_hand_a_graph", "calls_of", "constructors_hand_a_graph"]


def callers_hand_a_graph(
    parameters: set[str],
    function: FunctionValues,
    values: ModuleValues,
    in_a_loop: bool,
    depth: int = 0,
) -> bool:
    """A call of the function in the module gives one of ``parameters`` a model's output
    that is differentiated more than once: by a gradient call ``in_a_loop`` of the function
    (``fit_heads(backbone(x), heads, y)``, one head's loss per iteration), or, the same
    output made before a loop of the caller, by each of the caller's iterations
    (``for head in heads: step_head(feats, head, y)``). The flag may be what lets the next
    one run. Evidence, not proof: with no such call in the module, parameters that a model
    of the function reads stay data. Calls are those of the module's function by its name
    or by a name bound to it or to a ``functools.partial`` of it, or of a method through
    ``self``/``cls``/``super()`` in its class (defined in the module or in a function) or
    a class of the module related to it by its bases, or through an object of such a
    class; for a gradient call in a loop, a caller that hands on a parameter of its own
    (``train_step(backbone(x))`` calling ``fit_heads(feats)``)
    is read through its callers in turn, a few calls up."""
    node = function.node
    if not parameters or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    classes = _related_classes(node, values)
    if not classes and node not in values.tree.body:
        return False  # a nested function: its callers are not read
    positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    if classes and method_self(function) is not None:
        positional = positional[1:]  # bound to the object (or the class)
    keywords = {a.arg for a in (*node.args.args, *node.args.kwonlyargs)}
    for call, caller, bound in calls_of(node, values):
        given = None if bound else arguments_given(call, positional, keywords)
        arguments = _handed(call, given, parameters, bound)
        repeated = None if in_a_loop else caller.call_loops.get(id(call), frozenset())
        for argument in arguments:
            # In a loop of the caller, the same output made before it is differentiated
            # by each iteration's call.
            if repeated != frozenset() and _a_model_output(argument, caller, values, repeated):
                return True
            if (
                not in_a_loop
                and _a_model_output(argument, caller, values)
                and _differentiated_after(call, argument, caller, values)
            ):
                return True
            if in_a_loop and depth < _CALLERS_DEPTH:
                handed_on = origins_of([argument], caller, values, strict=True).parameters
                if handed_on and callers_hand_a_graph(
                    handed_on, caller, values, in_a_loop, depth + 1
                ):
                    return True
    return False


def calls_of(
    definition: ast.FunctionDef | ast.AsyncFunctionDef, values: ModuleValues
) -> Iterator[tuple[ast.Call, FunctionValues, list[ast.expr]]]:
    """The calls in the module of the module's function or method ``definition``, each
    with the function (or module code) it runs in and the arguments a partial binds: by
    its name or a name bound to it or to a ``functools.partial`` of it, or, for a method,
    through ``self``/``cls``/``super()`` in its class or a class related to it by its
    bases, or through an object of such a class. A nested function's calls are not read."""
    classes = _related_classes(definition, values)
    if not classes and definition not in values.tree.body:
        return
    aliases = frozenset() if classes else _aliases(definition.name, values)
    for call in values.index.calls:
        func = call.func
        if classes:
            if not (isinstance(func, ast.Attribute) and func.attr == definition.name):
                continue
        elif not (
            isinstance(func, ast.Name) and (func.id == definition.name or func.id in aliases)
        ):
            continue
        caller = values.function_of(call)
        if caller is None or (classes and not _calls_its_method(func, caller, classes)):
            continue  # ``other.fit(...)``: a method of that name of another class
        bound: list[ast.expr] | None = []
        if isinstance(func, ast.Name) and func.id != definition.name:
            bound = _bound_to(func, definition.name, caller, values)
        if bound is not None:  # None: ``step`` here is another function
            yield call, caller, bound


def constructors_hand_a_graph(
    parameters: set[str], function: FunctionValues, values: ModuleValues
) -> bool:
    """One of ``parameters`` is a setting (``self.scale``, set in ``__init__`` from an
    argument with a number's default) that a call of its class in the module gives a graph
    (``Trainer(model, scale=log_scale.exp())``): the object then holds that one graph for
    every call of every method, and each gradient call through it runs the graph again.
    Read at calls of the class by its name and of the module's classes related to it; a
    caller's parameter or attribute handed on is taken for data, as for a parameter of
    the function itself. A method reads the settings of its own class and those related
    to it only."""
    sources = setting_sources(values)
    hierarchy = summaries_of(values).classes
    method_of = _owning_class(function.node, values)
    for name in parameters:
        _, dot, attr = name.partition(".")
        for source in sources.get(attr, []) if dot else []:
            if source.owner is None:
                continue
            # The objects that run the method (its class and the classes deriving from
            # it, not a sibling sharing a base), or, for a function, those of the setting.
            owner = method_of or source.owner
            classes = {owner.name}
            if owner in values.tree.body:
                classes |= hierarchy.descendants(owner.name)
            if method_of is not None and source.owner.name not in {
                method_of.name,
                *hierarchy.ancestors(method_of.name),
            }:
                continue  # another class's ``__init__``
            arguments = source.init.args
            positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)][1:]
            keywords = {a.arg for a in (*arguments.args, *arguments.kwonlyargs)}
            for call in values.index.calls:
                if (dotted_name(call.func) or "").rpartition(".")[2] not in classes:
                    continue
                caller = values.function_of(call)
                given = arguments_given(call, positional, keywords)
                handed = _handed(call, given, {source.parameter})
                if caller is not None and any(_a_graph(a, caller, values) for a in handed):
                    return True
    return False


def _handed(
    call: ast.Call,
    given: dict[str, ast.expr] | None,
    parameters: set[str],
    bound: list[ast.expr] | None = None,
) -> list[ast.expr]:
    """What ``call`` gives ``parameters`` (``given``: ``arguments_given``), or, where that
    is unknown (``*args``, a partial's ``bound`` arguments), every argument it passes."""
    if given is None:
        return [
            a.value if isinstance(a, ast.Starred) else a for a in (*call.args, *(bound or ()))
        ] + [k.value for k in call.keywords]
    return [given[name] for name in parameters if name in given]


def _a_graph(argument: ast.expr, caller: FunctionValues, values: ModuleValues) -> bool:
    """``argument`` carries a graph in ``caller``: a model's output, or a computation on a
    tensor that requires grad (not that tensor itself: a leaf has no graph to free)."""
    origins = origins_of([argument], caller, values)
    if origins.unbound_forward or origins.recorded():
        return True
    return bool(origins.grad_leaves) and not isinstance(argument, ast.Name)


#: How many calls up ``callers_hand_a_graph`` follows a parameter handed on.
_CALLERS_DEPTH = 2


def _aliases(name: str, values: ModuleValues) -> frozenset[str]:
    """The names the module binds, anywhere, to the function ``name`` or to a partial of
    it (``step = fit_heads_summed if summed else fit_heads``, ``fit = partial(fit_heads,
    heads=heads)``): their calls may be calls of it."""
    known = _ALIASES.setdefault(values, {})
    if name not in known:
        found: set[str] = set()
        for node in values.index.assignments:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and _names(node.value, name) is not None:
                found |= {t.id for t in targets if isinstance(t, ast.Name)}
        known[name] = frozenset(found)
    return known[name]


#: Per module, ``_aliases`` by function name.
_ALIASES: weakref.WeakKeyDictionary[ModuleValues, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def _bound_to(
    func: ast.Name, name: str, caller: FunctionValues, values: ModuleValues
) -> list[ast.expr] | None:
    """Where ``func`` is, in ``caller``, the function ``name`` under another name: the
    arguments a partial of it binds (empty for a plain alias); None where it is not."""
    if func.id in caller.local:
        made = [caller.bindings[index].value for index in caller.reaching(func)]
    else:
        module = values.function_of(values.tree)
        made = [
            b.value
            for b in (module.bindings if module is not None else ())
            if func.id in b.names and isinstance(b.target, ast.Name)
        ]
    named = [
        bound
        for value in made
        if isinstance(value, ast.expr) and (bound := _names(value, name)) is not None
    ]
    return [argument for bound in named for argument in bound] if named else None


def _names(value: ast.expr, name: str) -> list[ast.expr] | None:
    """``value`` may be the function ``name``: the name itself, a branch of a conditional
    or of ``or``, or a partial of it (with the arguments it binds); None where not."""
    if isinstance(value, ast.Name):
        return [] if value.id == name else None
    if isinstance(value, (ast.IfExp, ast.BoolOp)):
        branches = [value.body, value.orelse] if isinstance(value, ast.IfExp) else value.values
        named = [bound for branch in branches if (bound := _names(branch, name)) is not None]
        return [argument for bound in named for argument in bound] if named else None
    if (
        isinstance(value, ast.Call)
        and dotted_name(value.func) in PARTIAL_BINDERS
        and value.args
        and _names(value.args[0], name) is not None
    ):
        return [
            *(a.value if isinstance(a, ast.Starred) else a for a in value.args[1:]),
            *(k.value for k in value.keywords),
        ]
    return None


def _calls_its_method(func: ast.expr, caller: FunctionValues, classes: list[ast.ClassDef]) -> bool:
    """``func`` (``x.fit``) names the method of one of ``classes``: through ``self``,
    ``cls`` or ``super()`` in their code, or through a name the caller binds only to an
    object of one of them (``trainer = HeadTrainer(heads)``, then ``trainer.fit(...)``)."""
    owner = func.value if isinstance(func, ast.Attribute) else None
    if (isinstance(owner, ast.Call) and dotted_name(owner.func) == "super") or (
        isinstance(owner, ast.Name) and owner.id in ("self", "cls")
    ):
        return any(caller.node is n for c in classes for n in ast.walk(c))
    if not isinstance(owner, ast.Name):
        return False
    names = {c.name for c in classes}
    made = [caller.bindings[index].value for index in caller.reaching(owner)]
    return bool(made) and all(
        isinstance(value, ast.Call) and dotted_name(value.func) in names for value in made
    )


def _related_classes(method: ast.AST, values: ModuleValues) -> list[ast.ClassDef]:
    """The class of the module that defines ``method``, and the classes of the module it
    derives from or that derive from it (``ClassHierarchy.related``): whose
    ``self.method(...)`` may run it."""
    owner = _owning_class(method, values)
    if owner is None:
        return []
    if owner not in values.tree.body:
        return [owner]  # a class defined in a function: its bases are not read
    related = summaries_of(values).classes.related(owner.name)
    return [s for s in values.tree.body if isinstance(s, ast.ClassDef) and s.name in related]


def _owning_class(method: ast.AST, values: ModuleValues) -> ast.ClassDef | None:
    """The class (of the module, or of one of its functions) whose body defines
    ``method``."""
    return next(
        (s for s in values.index.statements if isinstance(s, ast.ClassDef) and method in s.body),
        None,
    )


def _a_model_output(
    argument: ast.expr,
    caller: FunctionValues,
    values: ModuleValues,
    made_before: frozenset[int] | None = None,
) -> bool:
    """``argument`` derives, in ``caller``, from a call of a model (made outside one of the
    loops ``made_before`` when given: the same output on every iteration): a name the caller or
    the module uses as one, or the caller is given (``backbone(x)``), a submodule of one or
    of ``self`` (``self.encoders[k](x)``, ``model.encoder(x)``), a method of the class that
    runs one (``self.encode(x)``), or a function handed one (``checkpoint(self.trunk, x)``,
    ``embed(backbone, x)``); not a class or a function of the module called on data, nor a
    tensor's method (``x.flatten(1)``)."""
    origins = origins_of([argument], caller, values, strict=True)
    made_by = [
        caller.bindings[index].value
        for index in origins.recorded() & origins.forwards
        if made_before is None or made_before - caller.bindings[index].loops
    ]
    if origins.unbound_forward and made_before is None:
        made_by.append(argument)  # ``fit_heads(backbone(x), ...)``
    # ``F.linear(x, self.proj)``: no model's call, but the object's parameter in a torch op
    weighted = [
        caller.bindings[index].value
        for index in (origins.direct if origins.from_attribute else ())
        if made_before is None or made_before - caller.bindings[index].loops
    ]
    if not made_by and not weighted:
        return False
    summaries = summaries_of(values)
    definitions = {name for owner, name in summaries.definitions if owner is None}
    definitions |= {s.name for s in values.tree.body if isinstance(s, ast.ClassDef)}
    methods = summaries.classes.method_names()
    self_name = method_self(caller)
    if self_name is None:  # a closure in a method reads the method's ``self``
        around = values.function_of(caller.node)
        self_name = method_self(around) if around is not None and around is not caller else None
    # A parameter may be a model, and what it holds submodules (``model.encoder(x)``,
    # ``model[0](x)``); taken for one where it is an environment (``env.step(a)``), the
    # flag is kept where it may be needless, never removed where it is needed.
    models = (caller.model_names() | caller.parameters() | values.module_level_models()) - (
        definitions
    )
    models |= {self_name} if self_name else set()
    own_models = caller.model_names() | values.module_level_models()
    if self_name is not None and any(
        isinstance(made, ast.Call)
        and is_torchs(values.qualified(made.func) or "")
        and _given_self(made, self_name, methods)
        for value in weighted
        for made in ast.walk(value)
    ):
        return True
    packed = _packed_parameters(caller)
    for value in made_by:
        for made in ast.walk(value):
            if not isinstance(made, ast.Call):
                continue
            func = made.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in packed
            ):
                continue  # ``kwargs.get("shuffle")``: a method of a dict or a tuple, no model's
            if isinstance(func, ast.Attribute) and func.attr in FORWARD_METHODS:
                func = func.value
            head = chain_head(func)
            if head not in models:
                if (
                    runs_a_model(values.qualified(func) or "")
                    or (isinstance(func, ast.Name) and func.id in definitions)
                ) and (
                    _given_self(made, self_name, methods)
                    or given_a_model(made.args, caller, values)
                ):
                    return True  # ``checkpoint(self.trunk, x)``, ``embed(backbone, x)``
                continue
            if isinstance(func, ast.Name):
                return True  # ``backbone(x)``
            if isinstance(func, ast.Attribute) and computes_on_a_tensor(
                func, own_models.__contains__
            ):
                continue  # ``x.flatten(1)`` of a parameter, not ``ens.std(x)`` of a model
            if (
                isinstance(func, ast.Attribute)
                and head == self_name
                and isinstance(func.value, ast.Name)
                and func.attr in methods
            ):
                if method_may_run_a_model(func, caller, values):
                    return True  # ``self.encode(x)``
                continue
            return True  # ``self.encoder(x)``, ``model.encoder(x)``, ``self.heads[k](x)``
    return False


def _differentiated_after(
    call: ast.Call, argument: ast.expr, caller: FunctionValues, values: ModuleValues
) -> bool:
    """After ``call``, the caller differentiates again the graph it handed in as
    ``argument`` (``critic_update(critic, feats, ...)``, then ``actor_update(actor, feats,
    ...)``, both backpropagating through ``feats = trunk(obs)``): by a gradient call on a
    value that shares it, or by handing a value of it to a function of the module that makes
    gradient calls, or to a call the analysis cannot read. Only calls that start after
    ``call`` ends count: its arguments, and ``call`` itself, ran before."""
    own = origins_of([argument], caller, values).recorded()
    if not own:
        return False
    end = (call.end_lineno or call.lineno, call.end_col_offset or call.col_offset)
    derived = caller.derived(NEVER, own)
    for other in caller.calls:
        if (other.lineno, other.col_offset) < end:
            continue
        if differentiated_values(other, values) is not None:
            if origins_shared(call, other, own, caller, values):
                return True
            continue
        if not any(
            caller.carries(given, derived, NEVER)
            for _, given in arguments_by_parameter(other, values)
        ):
            continue
        local = local_definition(other.func, values)
        if local is None:
            if not passes_nothing_on(other, values):
                return True
        elif makes_gradient_calls(local, values):
            return True
    return False


def _packed_parameters(function: FunctionValues) -> frozenset[str]:
    """The ``*args`` and ``**kwargs`` of ``function``: a tuple and a dict, whatever the
    caller hands in."""
    node = function.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return frozenset()
    return frozenset(a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None)


def _given_self(call: ast.Call, self_name: str | None, methods: frozenset[str]) -> bool:
    """``call`` is handed an attribute of the object that is no method of the module's
    classes: a submodule or a parameter (``self.trunk``, ``self.proj``)."""
    return self_name is not None and any(
        isinstance(a, ast.Attribute)
        and isinstance(a.value, ast.Name)
        and a.value.id == self_name
        and a.attr not in methods
        for a in call.args
    )
