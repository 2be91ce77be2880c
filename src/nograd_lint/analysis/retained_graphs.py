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
  loop that runs the call (a recurrent ``hidden`` that is not detached, a value made on the
  first iteration only, a buffer written in place; ``values`` says around which loops a
  binding reaches a read);
- the graph comes from, or goes to, code the function cannot see: the differentiated value
  is a parameter (and no model of the function records a graph) or an attribute of the
  object, a memory the object fills itself, or a module variable bound to a model's
  output; a model runs whose class in the module keeps part of each call's graph on the
  object (``self.feats = h`` in ``forward``); a value of the graph is returned (not by a
  private function whose every call throws the result away), stored on an object or
  captured, or handed after the call to anything that may differentiate it (not torch's
  functions, builtins, losses, tensor methods, loggers, or a function of the module without
  gradient calls);
- ``create_graph=True`` leaves gradients with a graph in ``.grad`` (``backward``), or in
  the hooks a ``torch.autograd.grad`` whose result is not read was called for.

A graph is recorded by a call that looks like a model's (``model_calls.looks_like_a_model``), outside
``torch.no_grad()``: not a class of the module, a function of a package that computes on no
tensor (numpy, math...), nor a method of an object that is no model (``env.step(a)``), nor a
call of a function that hands back detached values, read where it is defined: in the
module, in a module beside it that it is imported from, or the ``__call__`` of an object of
a class of the module (``_returns_no_graph``; data cached before a reconstruction loop). What
breaks a graph (``.detach()``, ``.item()``, ``.data``...) and what a gradient call
differentiates are catalog data, shared with the rest of the analysis. Where the reading is
not sure, the argument counts as needed: a needless ``retain_graph`` costs memory, a wrong
removal raises an error at the second backward.

The readings live beside this module: :mod:`.gradient_calls` (what a gradient call
differentiates), :mod:`.graph_sources` (where its graph comes from), :mod:`.model_calls`
(which calls record a graph), :mod:`.detached_results` (helpers that hand back no graph),
:mod:`.object_graphs` (what the object's attributes hold), :mod:`.value_keepers` (what a
call handed the graph may do with it), :mod:`.finished_closures` (nested functions done
with it) and :mod:`.caller_graphs` (a caller's graph handed in as a parameter).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..ast_names import dotted_name
from .call_sites import private_call_sites
from .caller_graphs import callers_hand_a_graph, calls_of, constructors_hand_a_graph
from .catalog import (
    GRAPH_FREEING_METHODS,
    RETAIN_GRAPH_KEYWORD,
    WEIGHT_CACHING_CONTEXTS,
)
from .finished_closures import closures_done_before
from .function_values import Binding, FunctionValues
from .gradient_calls import (
    defers_gradient_calls,
    differentiated_values,
    freeing_function,
    local_definition,
    makes_gradient_calls,
)
from .graph_sources import (
    call_origins,
    is_element,
    origins_of,
    origins_shared,
)
from .hook_stores import hook_store_readers
from .object_graphs import forward_keeps_graphs, makes_fresh_tensor
from .value_keepers import arguments_by_parameter, given_seed, handed_on_later, passes_nothing_on
from .value_readings import NEVER, creates_graph, names_read
from .values import ModuleValues, module_variables

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
        roots = differentiated_values(call, values)
        function = values.function_of(call)
        if roots is None or function is None or not _is_true(keyword.value, function, values):
            continue
        try:
            if not _needed(call, roots, function, values):
                function_form = freeing_function(call, values) is not None
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
    if defers_gradient_calls(function, values):
        return True
    if _in_a_weight_cache_with_more(call, function, values):
        return True
    origins = call_origins(call, function, values) or origins_of(roots, function, values)
    recorded = origins.recorded()
    if origins.from_attribute or origins.from_iteration or origins.from_enclosing:
        return True
    if constructors_hand_a_graph(origins.parameters, function, values):
        return True  # ``Trainer(model, scale=log_scale.exp())``: one graph for every call
    if origins.from_parameter and not recorded:
        return not _callers_done_with(call, origins.parameters, function, values, callers_read)
    loops = function.call_loops.get(id(call), frozenset())
    if recorded and callers_hand_a_graph(
        origins.parameters | origins.model_inputs, function, values, in_a_loop=bool(loops)
    ):
        return True  # the caller's graph, differentiated again by the next iteration
    for index in recorded:
        binding = function.bindings[index]
        if _iterated_by(binding, function) & loops:
            return True  # a forward in the loop's iterable, whose graph every pass shares
        outside = loops - binding.loops
        if outside and not all(function.renewed(binding.names, loop) for loop in outside):
            # a model's output made before a loop that differentiates it again: not one
            # that each pass binds again, read by the first pass only
            return True
    for index in recorded & origins.carried.keys():
        around = origins.carried[index]
        if around is None or around & loops:
            return True  # last iteration's graph, differentiated again in this one
    if recorded and origins.forwards and forward_keeps_graphs(values):
        # ``def forward(self, x): self.feats = self.body(x)`` in a class of the module: a
        # model run here may keep part of the graph on itself for whoever reads it next
        return True
    if recorded and origins.forwards and _hook_store_read_by_a_caller(function, values):
        return True  # ``features.append(output)`` in a hook, for the caller's backward
    if recorded:
        reached = function.derived(NEVER, recorded)
        finished = closures_done_before(call, reached, function, values)
        dropped = _results_dropped(function, values)
        if function.leaves(
            reached, NEVER, free_only=True, finished=finished, results_dropped=dropped
        ):
            return True
    # A new tensor of data that both values read (``returns = torch.randn(n)``) is no graph
    # they share.
    own = recorded | {
        index
        for index in origins.direct
        if not (
            makes_fresh_tensor(function.bindings[index].value, values)
            and not set(function.bindings[index].names) & function.requires_grad
        )
    }
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
        or handed_on_later(call, own, function, values)
    )


def _iterated_by(binding: Binding, function: FunctionValues) -> frozenset[int]:
    """The loop whose target ``binding`` binds to elements of its iterable (not indices,
    ``for i in range(n)``), which runs once, before it: a forward there (``for feats, y in
    zip(trunk(x).chunk(4), ys)``) makes one graph that every pass reads."""
    loop = binding.path[-1][0] if binding.path else None
    if (
        loop in binding.loops
        and id(binding.value) in function.iterables()
        and any(is_element(name, binding) for name in binding.names)
    ):
        return frozenset({loop})
    return frozenset()


def _in_a_weight_cache_with_more(
    call: ast.Call, function: FunctionValues, values: ModuleValues
) -> bool:
    """``call`` runs in a ``with parametrize.cached():`` (``catalog.WEIGHT_CACHING_CONTEXTS``)
    where a gradient call may come after it: the same call in a loop of the block, or
    another one later in the block. Each forward there reads the weights the first one
    computed, graph and all, so the next backward goes through them again."""
    for block in ast.walk(function.node):
        if not (
            isinstance(block, (ast.With, ast.AsyncWith))
            and any(
                isinstance(item.context_expr, ast.Call)
                and values.qualified(item.context_expr.func) in WEIGHT_CACHING_CONTEXTS
                for item in block.items
            )
        ):
            continue
        inside = [node for statement in block.body for node in ast.walk(statement)]
        if not any(node is call for node in inside):
            continue
        loops = function.call_loops.get(id(call), frozenset())
        if any(id(node) in loops for node in inside):
            return True  # ``for x, y in micro_batches:`` inside the block
        if any(
            isinstance(node, ast.Call)
            and node is not call
            and (node.lineno, node.col_offset) > (call.lineno, call.col_offset)
            and differentiated_values(node, values) is not None
            for node in inside
        ):
            return True
    return False


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
    module_values = module_variables(values)
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


def _hook_store_read_by_a_caller(function: FunctionValues, values: ModuleValues) -> bool:
    """A caller of the function differentiates what a forward hook keeps in a variable of
    the module (``_step(model, x, y); features[-1].sum().backward()``): the function's
    forwards may have left their graphs there."""
    readers = hook_store_readers(values)
    node = function.node
    return (
        bool(readers)
        and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(id(caller.node) in readers for _, caller, _ in calls_of(node, values))
    )


def _results_dropped(function: FunctionValues, values: ModuleValues) -> bool:
    """Every call of the private function in the module throws what it returns away (a
    statement of its own, or ``_ = _train_step(x, y)`` in a function that never reads
    ``_``): a graph it returns (the loss, for a caller that might log it) dies with the
    call. Not a statement at the top of the module: a notebook keeps the value of a cell's
    last one (``_``, ``Out[3]``)."""
    node = function.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    sites = private_call_sites(node, values)
    if not sites:
        return False
    for site in sites:
        caller = values.function_of(site.call)
        if (
            caller is None
            or not caller.discards(site.call)
            or "_" in names_read(caller.node)
            or any(isinstance(s, ast.Expr) and s.value is site.call for s in values.tree.body)
        ):
            return False
    return True


def _differentiates_more(call: ast.Call, function: FunctionValues, values: ModuleValues) -> bool:
    """Another gradient call in the function, itself or through a function of the module, or
    a call that may differentiate what the function was given: its other parameters may
    share the graph (``loss.backward(retain_graph=True); aux.backward()``)."""
    from_given = given_seed(function, function.parameters())
    derived = function.derived(from_given)
    for other in function.calls:
        if other is call:
            continue
        if differentiated_values(other, values) is not None:
            return True
        local = local_definition(other.func, values)
        if local is not None:
            if makes_gradient_calls(local, values):
                return True
            continue
        if not passes_nothing_on(other, values) and any(
            function.carries(argument, derived, from_given)
            for _, argument in arguments_by_parameter(other, values)
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
        for root in differentiated_values(call, values) or ()
        for node in ast.walk(root)
        if isinstance(node, ast.Name)
    }
    return not any(
        isinstance(node, ast.Name) and node.id in parameters and id(node) not in inside
        for statement in definition.body
        for node in ast.walk(statement)
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
        theirs = call_origins(other, function, values)
        if theirs is None:
            continue
        recorded = theirs.recorded()
        if any(
            index in derived and index in recorded and (around is None or around & loops)
            for index, around in theirs.carried.items()
        ):
            return True
    return False


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
