"""NG003: a ``retain_graph=True`` that no later gradient call needs.

A backward pass frees the saved tensors of the graph it differentiates; ``retain_graph=True``
keeps them until the graph itself dies, which is needed only when something differentiates
the same graph again. Read on the stdlib ``ast`` tree, with :mod:`.values`' bindings, the
argument is needed (and the call is not reported) when:

- a later gradient call in the function differentiates a value that shares a recorded
  computation with this one (``d_loss.backward(retain_graph=True); g_loss.backward()``
  through a shared ``fake``; several task losses over one trunk);
- the graph outlives one loop iteration: made before a loop that runs the call again
  (``feat = model(x)`` before the loop), or carried around the loop's back edge (a recurrent
  ``hidden`` that is not detached);
- the graph comes from, or goes to, code the function cannot see: the differentiated value
  is a parameter or an attribute of an object (a caller may differentiate it again), or a
  value of the graph is returned, stored on an object or captured;
- ``backward(create_graph=True)`` leaves gradients with a graph in ``.grad``.

What breaks a graph (``.detach()``, ``.item()``, ``.data``...) and what a gradient call
differentiates are catalog data, shared with the rest of the analysis. Where the reading is
not sure, the argument counts as needed: a needless ``retain_graph`` costs memory, a wrong
removal raises an error at the second backward.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..ast_names import dotted_name
from .catalog import (
    CREATE_GRAPH_KEYWORD,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_DROPPING_ATTRIBUTES,
    GRAPH_DROPPING_BUILTINS,
    GRAPH_DROPPING_METHODS,
    GRAPH_FREEING_FUNCTIONS,
    GRAPH_FREEING_METHODS,
    LOSS_FUNCTION_NAME,
    PARAMETER_METHODS,
    PASS_THROUGH_BUILTINS,
    RETAIN_GRAPH_KEYWORD,
    TENSOR_METHODS,
)
from .values import ModuleValues, _Function, contradicts

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

    @property
    def function_form(self) -> bool:
        """``torch.autograd.grad(...)`` rather than ``loss.backward(...)``."""
        func = self.call.func
        return not (isinstance(func, ast.Attribute) and func.attr in GRAPH_FREEING_METHODS)


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
                found.append(NeedlessRetain(call, keyword, _subject(call, roots)))
        except RecursionError:
            continue  # too deep to read: say nothing
    return found


def retains_graph(call: ast.Call) -> bool:
    """Whether the text of a call may ask to keep its graph: a cheap test for the screen."""
    return any(k.arg == RETAIN_GRAPH_KEYWORD for k in call.keywords)


# -- what the call differentiates ---------------------------------------------------------


def _differentiated(call: ast.Call, values: ModuleValues) -> list[ast.expr] | None:
    """The expressions whose graph ``call`` differentiates; None if it is no gradient call."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in GRAPH_FREEING_METHODS:
        # ``accelerator.backward(loss)``, ``self.manual_backward(loss)``: the argument;
        # ``loss.backward(torch.ones_like(loss))`` reads the receiver in its argument too.
        given = [a for a in call.args if not isinstance(a, ast.Starred)]
        return given or [func.value]
    keyword = GRAPH_FREEING_FUNCTIONS.get(values.qualified(func) or "")
    if keyword is None:
        return None
    if call.args:
        return [call.args[0]]
    named = next((k.value for k in call.keywords if k.arg == keyword), None)
    return [named] if named is not None else None


def _subject(call: ast.Call, roots: list[ast.expr]) -> str:
    if isinstance(call.func, ast.Attribute) and call.func.attr in GRAPH_FREEING_METHODS:
        return " ".join(ast.unparse(roots[0]).split())
    return dotted_name(call.func) or "autograd.grad"


def _is_true(value: ast.expr, function: _Function, values: ModuleValues) -> bool:
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


def _flag(call: ast.Call, keyword: str) -> bool:
    """Whether ``keyword`` is given as anything but a false literal."""
    given = next((k.value for k in call.keywords if k.arg == keyword), None)
    return given is not None and not (isinstance(given, ast.Constant) and not given.value)


# -- where the graph comes from -------------------------------------------------------------


@dataclass
class _Origins:
    """The bindings a differentiated value derives from (its graph's share of the
    function), read backwards through names."""

    #: Binding index -> the binding indices its value reads.
    reads: dict[int, set[int]] = field(default_factory=dict)
    #: Bindings whose own value runs a model (or any call that may record a graph).
    forwards: set[int] = field(default_factory=set)
    #: Bindings read before they are made, in a loop that holds both: last iteration's.
    carried: set[int] = field(default_factory=set)
    #: The value derives, through no model, from a parameter (data, unless no model of
    #: the function records a graph: then it is the caller's graph).
    from_parameter: bool = False
    #: ... or from an attribute of ``self``, which another method may differentiate.
    from_attribute: bool = False
    _recording: dict[int, bool] | None = None

    def records(self, index: int) -> bool:
        """Whether the binding's value carries a graph recorded by some forward call."""
        if self._recording is None:
            recording = {i: i in self.forwards for i in self.reads}
            changed = True
            while changed:
                changed = False
                for i, read in self.reads.items():
                    if not recording[i] and any(recording.get(j, False) for j in read):
                        recording[i] = changed = True
            self._recording = recording
        return self._recording.get(index, False)

    def recorded(self) -> set[int]:
        return {i for i in self.reads if self.records(i)}


def _origins(roots: list[ast.expr], function: _Function, values: ModuleValues) -> _Origins:
    """Walk back from ``roots`` through the names they read to the bindings that made
    them, stopping where a graph is dropped (``catalog.GRAPH_DROPPING_*``)."""
    origins = _Origins()
    self_name = _self_name(function)
    parameters = function.parameters() - {self_name}
    iterations = _iteration_values(function)
    models = function.model_names() | values.module_level_models()
    # (node, read through a model's call, the binding whose value it is part of or -1)
    stack: list[tuple[ast.AST, bool, int]] = [(root, False, -1) for root in roots]
    seen: set[tuple[int, bool]] = set()
    while stack:
        node, through_model, owner = stack.pop()
        if isinstance(node, ast.Name):
            if node.id in models:
                continue  # a module's parameters are leaves: no graph of its own
            reaching = function.reaching(node)
            if not reaching and node.id in parameters and not through_model:
                origins.from_parameter = True
            for index in reaching:
                if owner >= 0:
                    origins.reads[owner].add(index)
                binding = function.bindings[index]
                if binding.loops and binding.position > (node.lineno, node.col_offset):
                    origins.carried.add(index)
                origins.reads.setdefault(index, set())
                # A loop's target holds the data iterated over: no model of its own.
                through = through_model or id(binding.value) in iterations
                if (index, through) not in seen:
                    seen.add((index, through))
                    stack.append((binding.value, through, index))
            continue
        if (
            isinstance(node, ast.Attribute)
            and not through_model
            and isinstance(node.value, ast.Name)
            and node.value.id == self_name
            and node.attr not in GRAPH_DROPPING_ATTRIBUTES
        ):
            origins.from_attribute = True  # ``self.loss``: another method may differentiate it
        for child, through in _graph_parts(node, through_model, values):
            if child is None:  # a call that may record a graph of its own
                if owner >= 0:
                    origins.forwards.add(owner)
                continue
            stack.append((child, through, owner))
    return origins


def _graph_parts(
    node: ast.AST, through_model: bool, values: ModuleValues
) -> Iterator[tuple[ast.AST | None, bool]]:
    """The subexpressions whose graph flows into ``node``'s value, each with whether it
    goes through a model's call; ``(None, ...)`` marks a call that may record a graph."""
    if isinstance(node, (ast.Constant, ast.Compare, ast.JoinedStr, ast.Lambda)):
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return
    if isinstance(node, ast.Attribute):
        if node.attr not in GRAPH_DROPPING_ATTRIBUTES:
            yield node.value, through_model
        return
    if isinstance(node, ast.Subscript):
        yield node.value, through_model
        return
    if not isinstance(node, ast.Call):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                yield child, through_model
        return
    func = node.func
    qualified = values.qualified(func)
    method = func.attr if isinstance(func, ast.Attribute) else None
    if (
        method in GRAPH_DROPPING_METHODS
        or method in PARAMETER_METHODS
        or (qualified is not None and qualified.rsplit(".", 1)[-1] in GRAPH_DROPPING_METHODS)
        or (isinstance(func, ast.Name) and func.id in GRAPH_DROPPING_BUILTINS)
        or (qualified in GRAPH_CONSUMING_FUNCTIONS and not _flag(node, CREATE_GRAPH_KEYWORD))
    ):
        return  # a number, a detached tensor, or gradients without a graph
    arguments = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
    arguments += [k.value for k in node.keywords]
    callee = dotted_name(func)
    computes = (
        qualified is not None
        or (isinstance(func, ast.Name) and func.id in PASS_THROUGH_BUILTINS)
        or (callee is not None and LOSS_FUNCTION_NAME.search(callee.rsplit(".", 1)[-1]))
        or method in TENSOR_METHODS
    )
    if computes:  # torch's functions, losses, tensor methods: the inputs' graphs go on
        if isinstance(func, ast.Attribute) and qualified is None:
            yield func.value, through_model
        for argument in arguments:
            yield argument, through_model
        return
    if any(not isinstance(a, ast.Constant) for a in arguments):
        yield None, through_model  # a model's forward, or a helper computing on its inputs
    if isinstance(func, (ast.Call, ast.Subscript)):
        yield func, True  # ``heads[i](x)``, ``nn.Linear(3, 4)(x)``
    elif isinstance(func, ast.Attribute):
        yield func.value, True  # ``feat.unknown_method()``; a model receiver is skipped
    for argument in arguments:
        yield argument, True


def _iteration_values(function: _Function) -> set[int]:
    """``id`` of every iterable a loop or comprehension of the function binds targets from."""
    found: set[int] = set()
    for node in ast.walk(function.node):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            found.add(id(node.iter))
    return found


def _self_name(function: _Function) -> str | None:
    node = function.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    positional = (*node.args.posonlyargs, *node.args.args)
    if not positional or positional[0].arg not in ("self", "cls"):
        return None
    return positional[0].arg


# -- is it needed? --------------------------------------------------------------------------


def _needed(
    call: ast.Call, roots: list[ast.expr], function: _Function, values: ModuleValues
) -> bool:
    if isinstance(call.func, ast.Attribute) and _flag(call, CREATE_GRAPH_KEYWORD):
        return True  # ``.grad`` now carries a graph, which anything may differentiate
    origins = _origins(roots, function, values)
    recorded = origins.recorded()
    if origins.from_attribute or (origins.from_parameter and not recorded):
        return True
    loops = function.call_loops.get(id(call), frozenset())
    for index in recorded:
        if loops - function.bindings[index].loops or index in origins.carried:
            return True  # the next iteration differentiates the same graph again
    if recorded and function.leaves(function.derived(_never, recorded), _never):
        return True
    return any(
        origins_shared(call, other, recorded, function, values)
        for other in function.calls
        if other is not call
    )


def origins_shared(
    call: ast.Call,
    other: ast.Call,
    recorded: set[int],
    function: _Function,
    values: ModuleValues,
) -> bool:
    """Whether ``other``, a gradient call that may run after ``call``, differentiates a
    value that shares a recorded computation with ``call``'s."""
    if (other.lineno, other.col_offset) <= (call.lineno, call.col_offset):
        return False
    roots = _differentiated(other, values)
    if roots is None:
        return False
    guards = function.guards
    if contradicts(guards.get(id(call), frozenset()), guards.get(id(other), frozenset())):
        return False  # the other arm of the same ``if``
    return bool(recorded & set(_origins(roots, function, values).reads))


def _never(node: ast.AST) -> bool:
    return False
