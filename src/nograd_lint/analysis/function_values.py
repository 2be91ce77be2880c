"""The bindings, stores and calls of one function body (:class:`FunctionValues`), and what
they tell about a value: where it may be bound, whether a graph it carries reaches a gradient
call, leaves the function, or is kept across iterations. :class:`.values.ModuleValues` makes
one per function on first use."""

from __future__ import annotations

import ast
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable

from ..ast_names import (
    FUNCTIONS,
    NAMED_BINDINGS,
    OWN_SCOPES,
    call_args,
    dotted_name,
    inner_nodes,
    module_class,
    names_in,
    self_parameter,
)
from .catalog import (
    CONTAINER_ADDERS,
    CONTAINER_CONSTRUCTORS,
    CONTAINER_EMPTYING_METHODS,
    GRAD_MODE_FACTORIES,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_CONSUMING_METHODS,
    GRAPH_DROPPING_BUILTINS,
    GRAPH_DROPPING_METHODS,
    GRAPH_READING_ATTRIBUTES,
    GRAPH_TEST_ATTRIBUTES,
    IN_PLACE_DETACH,
    LOSS_FUNCTION_NAME,
    METADATA_ARGUMENT_METHODS,
    MODEL_METHODS,
    MODULE_BASE_NAMES,
    NON_SUPPRESSING_CONTEXTS,
    NUMBER_OR_TENSOR_METHODS,
    PASS_THROUGH_BUILTINS,
    REDUCING_BUILTINS,
    SELF_RETURNING_METHODS,
    TENSOR_CLASS,
    TENSOR_TEST_FUNCTIONS,
    GradEffect,
    grad_effect,
    is_in_place,
    is_tensor_method,
    is_torchs,
    stores_arguments,
)
from .distribution_draws import draws_from_a_distribution
from .fates import NO_GUARDS, Fate, Guards, Kept
from .value_readings import (
    ASSIGNMENTS,
    COMPREHENSIONS,
    NEVER,
    FunctionNode,
    Origins,
    Seed,
    argument_values,
    assignment_pairs,
    bound_names,
    condition_key,
    creates_graph,
    cuts_the_graph,
    forward_receiver,
    is_accumulation,
    is_self_attribute,
    keeps_comprehension,
    makes_a_container,
    makes_requires_grad,
    names_one_of,
    names_read,
    never_carries,
    operands,
    requires_grad_targets,
    retains_graph,
    returns_index_pair,
    statements_within,
    without_module_methods,
)

if TYPE_CHECKING:
    from .values import ModuleValues

#: How many times a function's calls are all read for a question about a value before
#: they are indexed by what they hold (``FunctionValues._calls_carrying``).
QUESTIONS_BEFORE_CALL_INDEX = 8


#: Where a statement sits: the blocks (``(id(statement), field)``) that hold it, outermost first.
Path = tuple[tuple[int, str], ...]
Position = tuple[int, int]


class Binding:
    """One place a value is given to names: ``out = model(x)``, ``for x in xs``,
    ``losses.append(loss)`` (which adds to ``losses`` and keeps what it held). A plain
    class: thousands are made per module, and compared only by identity."""

    __slots__ = (
        "accumulates",
        "adds",
        "comprehension",
        "grad_off",
        "loops",
        "names",
        "path",
        "position",
        "replaces",
        "scope_end",
        "start",
        "target",
        "value",
    )

    def __init__(
        self,
        target: ast.AST,
        value: ast.AST,
        names: tuple[str, ...],
        position: Position,
        path: Path,
        loops: frozenset[int],
        replaces: bool = True,
        start: Position = (0, 0),
        accumulates: bool = False,
        adds: bool = False,
        grad_off: bool = False,
    ) -> None:
        self.target = target
        self.value = value
        self.names = names
        #: Where the binding takes effect: after its value is computed.
        self.position = position
        self.path = path
        #: Loops whose body holds it (a later use in the next iteration sees it).
        self.loops = loops
        #: Whether it replaces what the names held (an assignment) or adds to it.
        self.replaces = replaces
        #: Where the statement starts: what its target held before is read from here.
        self.start = start
        #: One of the statement forms that add to an accumulator (``is_accumulation``).
        self.accumulates = accumulates
        #: ``outs.append(y)``: a method call that adds to a collection.
        self.adds = adds
        #: Lexically inside a grad-disabling ``with`` of the function.
        self.grad_off = grad_off
        #: ``outs = [model(x) for x in xs]``: the comprehension is a loop of its own, whose
        #: element store is the accumulation (``keeps_comprehension``).
        self.comprehension = False
        #: A comprehension's target, local to it: no read after this position sees it.
        self.scope_end: Position | None = None


def _out_of_scope(binding: Binding, here: Position) -> bool:
    """A comprehension's target read after the comprehension: another variable."""
    return binding.scope_end is not None and here > binding.scope_end


class _Holders:
    """A list of expressions (bindings' values, calls), indexed on first use by the nodes
    each holds and the names each reads: which of them a value can reach."""

    def __init__(self, roots: Sequence[ast.AST]) -> None:
        self.roots = roots
        self._holding: dict[int, list[int]] | None = None
        self._readers: dict[str, list[int]] | None = None

    def holding(self) -> dict[int, list[int]]:
        """``id`` of a node -> the indices of the roots that hold it."""
        if self._holding is None:
            self._holding = {}
            for index, root in enumerate(self.roots):
                for node in ast.walk(root):
                    self._holding.setdefault(id(node), []).append(index)
        return self._holding

    def readers(self) -> dict[str, list[int]]:
        """Name -> the indices of the roots that read it."""
        if self._readers is None:
            self._readers = {}
            for index, root in enumerate(self.roots):
                for name in names_in(root):
                    self._readers.setdefault(name, []).append(index)
        return self._readers

    def holding_any(self, seed: Seed, origins: Origins) -> Iterable[int]:
        """The indices of the roots that hold a node ``seed`` accepts: none for ``NEVER``,
        every one when ``origins`` (the nodes it accepts) is unknown."""
        if seed is NEVER:
            return ()
        if origins is None:
            return range(len(self.roots))
        holding = self.holding()
        return sorted({index for node in origins for index in holding.get(id(node), ())})


#: What an invariant ``if`` test may be made of, beside names (``FunctionValues.invariant``).
_INVARIANT_TEST_NODES = (
    ast.Constant,
    ast.Compare,
    ast.BoolOp,
    ast.UnaryOp,
    ast.cmpop,
    ast.boolop,
    ast.unaryop,
    ast.expr_context,
)


class FunctionValues:
    """The bindings, stores and calls of one function body, collected once.

    A name read at one place sees the bindings that may reach it: walking back in source
    order to the first binding in the same or an enclosing block (which replaces all before
    it), plus bindings later in a loop that holds both (the next iteration's).
    """

    def __init__(self, node: FunctionNode, module: ModuleValues) -> None:
        self.node = node
        self.module = module
        self.bindings: list[Binding] = []
        #: Values that leave: returned, yielded.
        self.leaving: list[ast.AST] = []
        self._returned: set[int] = set()  # ``id`` of the values of ``leaving`` returned
        self.calls: list[ast.Call] = []
        self.graph_reads: list[ast.Attribute] = []
        #: Names that nested functions, lambdas and classes read.
        #: Nested functions, lambdas and classes: what they read is captured (``captured``).
        self._nested: list[ast.AST] = []
        self._nested_reads: dict[str, list[ast.Name]] = {}
        self._handed_whole_names: dict[tuple[str, int], bool] = {}
        self._own: tuple[Counter[str], set[str]] | None = None  # ``_own_bindings``
        self._iterables: dict[int, ast.expr] | None = None
        self._captured: set[str] | None = None
        self._free: set[str] | None = None
        #: ``global``/``nonlocal`` names: binding them stores outside the function.
        self.outer: set[str] = set()
        self.guards: dict[int, Guards] = {}
        #: Condition key -> the test of an ``if`` that has it (``invariant``).
        self._tests: dict[Hashable, ast.expr] = {}
        self._invariant: dict[Hashable, bool] = {}  # ``invariant``, read once per condition
        #: ``id`` of the calls in values bound with grad off (``bound_without_grad``).
        self._calls_without_grad: set[int] | None = None
        self.requires_grad: set[str] = set()
        #: ``id(name)`` -> (path, loops) of the statement that reads it.
        self._reads: dict[int, tuple[Path, frozenset[int]]] = {}
        #: ``id`` of each ``if`` statement: a name both of its branches bind is bound after it.
        self._ifs: dict[int, ast.expr] = {}  # and its test
        #: ``id`` of each ``with`` statement: its body runs whole, or raises.
        self._withs: set[int] = set()
        #: Their context expressions; those whose body runs through, as no context of
        #: theirs suppresses an error, are read once the bindings are known.
        self._with_items: dict[int, list[ast.expr]] = {}
        self._withs_through: set[int] = set()
        #: Per ``try`` with a ``finally``: the span of what comes before the ``finally``.
        self._before_finally: dict[int, tuple[Position, Position]] = {}
        #: ``id`` of each loop -> the loop.
        self._loops: dict[int, ast.For | ast.AsyncFor | ast.While] = {}
        #: ``id`` of a loop -> where its own ``continue`` and ``break`` statements are
        #: (not those of a loop or a function inside it), read when first asked.
        self._jumps: dict[int, list[tuple[bool, Position]]] = {}
        #: ``id`` of each ``try`` -> (``id`` of each of its handlers, whether the handler
        #: leaves the statements after the ``try``: it ends in ``raise``, ``return``...).
        self._tries: dict[int, list[tuple[int, bool]]] = {}
        #: ``id`` of a handler -> ``id`` of its ``try``.
        self._handlers: dict[int, int] = {}
        #: ``id`` of each ``try`` with handlers -> its body and its ``else``.
        self._try_arms: dict[int, tuple[list[ast.stmt], list[ast.stmt]]] = {}
        self._reaching: dict[int, list[int]] = {}
        self._models: frozenset[str] | None = None
        self._kept_models: frozenset[str] | None = None
        self._loose_models: frozenset[str] | None = None
        self._binding_holders: _Holders | None = None
        self._call_holders: _Holders | None = None
        self._call_questions = 0
        self._outside_stores: list[Binding] | None = None
        self._accumulating_ids: set[int] | None = None
        self._fed_back_by_index: dict[int, str] | None = None
        self._strict = False
        self._has_consumers: bool | None = None
        #: ``id`` of a call -> ``differentiated_arguments``.
        self._differentiated_arguments: dict[int, list[ast.expr]] = {}
        #: ``id`` of a node of the function -> its parent (``parents``), on first need.
        self._parents: dict[int, ast.AST] | None = None
        #: The methods of this method's class, by name (``_own_method``), read on first need.
        self._class_methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None] | None = None
        self._accumulations: list[Binding] | None = None
        self._may_require_grad: bool | None = None
        self._inspects: bool | None = None
        self._discarded_calls: set[int] | None = None
        self._grad_off = int(self._decorated_grad_off())
        #: ``id`` of call arguments whose value the call's result does not hold
        #: (``without_reading``).
        self._unread: frozenset[int] = frozenset()
        #: Name -> how many bindings of it the collection has met so far.
        self._versions: dict[str, int] = {}
        self.call_loops: dict[int, frozenset[int]] = {}
        self._collect()
        self._by_name: dict[str, list[int]] = {}
        for index, binding in enumerate(self.bindings):
            for name in binding.names:
                self._by_name.setdefault(name, []).append(index)
        for indices in self._by_name.values():
            indices.sort(key=lambda i: self.bindings[i].position)
        self._withs_through = {
            here
            for here, contexts in self._with_items.items()
            if all(self._suppresses_nothing(context) for context in contexts)
        }
        #: The positions of ``_by_name``'s bindings, to find a read's place by bisection: a
        #: long function rebinds the same names hundreds of times.
        self._positions_by_name: dict[str, list[Position]] = {
            name: [self.bindings[i].position for i in indices]
            for name, indices in self._by_name.items()
        }
        #: Names the function binds itself (not its parameters, not globals): containers
        #: made here, which only the function can read.
        self.local: set[str] = {
            name for binding in self.bindings if binding.replaces for name in binding.names
        } - self.outer

    def _condition(self, test: ast.expr) -> Hashable:
        """What an ``if`` tests, as :func:`condition_key` spells it, with the bindings its names
        have at the ``if``: two ``if flag:`` are one condition unless ``flag`` is bound
        again between them."""
        key = condition_key(test)
        versions = self._versions
        if not versions:
            return key
        if isinstance(test, ast.Name):  # the commonest test, without a walk
            version = versions.get(test.id)
            return key if version is None else (key, ((test.id, version),))
        rebound = tuple(
            sorted(
                (node.id, versions[node.id])
                for node in ast.walk(test)
                if isinstance(node, ast.Name) and node.id in versions
            )
        )
        return (key, rebound) if rebound else key

    def _decorated_grad_off(self) -> bool:
        """``@torch.no_grad()`` on the function: its body records no graph outside the
        ``with`` blocks this reading follows. Only where nothing else may turn grad mode
        back on: no other decorator, every ``with`` item torch's (or ``open``), no other
        use of a grad-mode API (``torch.set_grad_enabled(True)``, an alias, a
        ``partial``), no call of a function of the module that opens a ``with`` block or
        uses one, and no ``__wrapped__`` call in the module. Not an ``async def``
        (``decorated_grad_effect``): the decorator wraps the call that makes the coroutine."""
        node = self.node
        module = self.module
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.decorator_list:
            return False
        if any(
            GRAD_MODE_FACTORIES.get(
                module.qualified(d.func if isinstance(d, ast.Call) else d) or ""
            )
            is None
            for d in node.decorator_list
        ):
            return False
        if module.decorated_grad_effect(node) is not GradEffect.DISABLE:
            return False
        inside = [inner for statement in node.body for inner in ast.walk(statement)]
        followed: set[int] = set()
        for inner in inside:
            if isinstance(inner, (ast.With, ast.AsyncWith)):
                for item in inner.items:
                    expr = item.context_expr
                    if not _plain_context(expr, module):
                        return False
                    followed.add(id(expr.func) if isinstance(expr, ast.Call) else id(expr))
        for inner in inside:
            if (
                isinstance(inner, (ast.Name, ast.Attribute))
                and id(inner) not in followed
                and module.names_grad_mode(inner)
            ):
                return False
            if isinstance(inner, ast.Call) and module.uses_grad_mode(inner.func):
                return False
        return not module.unwraps_functions()

    def grad_switch(self, expr: ast.expr) -> GradEffect | None:
        """What a ``with`` item does to grad mode (``catalog.grad_effect``): ``no_grad()``
        disables it, ``enable_grad()`` enables it; None for anything else."""
        if not isinstance(expr, ast.Call):
            return None
        known = GRAD_MODE_FACTORIES.get(self.module.qualified(expr.func) or "")
        return grad_effect(known, call_args(expr)) if known is not None else None

    def captured(self) -> set[str]:
        """Names that nested functions, lambdas and classes read."""
        if self._captured is None:
            self._captured = {name for node in self._nested for name in names_read(node)}
        return self._captured

    def iterables(self) -> dict[int, ast.expr]:
        """``id`` -> each iterable a loop or comprehension of the function binds targets
        from: a loop target's binding has it for its value."""
        if self._iterables is None:
            self._iterables = {
                id(node.iter): node.iter
                for node in ast.walk(self.node)
                if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension))
            }
        return self._iterables

    def binds_no_graph(self, binding: Binding, name: str) -> bool:
        """``binding`` gives ``name`` a value that holds no graph whatever it reads: the
        indices of an index pair (``_, indices = out.max(1)``), or a literal of each row a
        loop iterates (``name`` of ``for name, v in (("loss", loss),)``)."""
        return binds_indices(binding, name) or (
            _iterates_literal_parts(binding, name) and id(binding.value) in self.iterables()
        )

    def nested_reads(self, name: str) -> list[ast.Name]:
        """The reads of the function's variables by a ``def name`` nested in it (what a call
        of that function may hand back, closed over); empty for any other name."""
        if not self._nested:
            return []
        known = self._nested_reads.get(name)
        if known is not None:
            return known
        found: list[ast.Name] = []
        self._nested_reads[name] = found
        for node in self._nested:
            if isinstance(node, FUNCTIONS) and node.name == name:
                free = self.free_of(node)
                found.extend(
                    read
                    for read in ast.walk(node)
                    if isinstance(read, ast.Name)
                    and isinstance(read.ctx, ast.Load)
                    and read.id in free
                )
        return found

    def closures_over(self, names: set[str]) -> list[ast.AST]:
        """The nested functions, lambdas and classes that may read one of ``names`` from
        this function."""
        return [node for node in self._nested if _free_names(node) & names]

    def nested_function(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The ``def name`` nested in the function's own code that a call ``name(...)``
        here surely calls: the only one of that name, which the function binds no other way
        (no parameter, assignment, import or ``global``/``nonlocal`` of it)."""
        found = [node for node in self._nested if isinstance(node, FUNCTIONS) and node.name == name]
        bound, declared = self._own_bindings()
        return found[0] if len(found) == 1 and bound[name] == 1 and name not in declared else None

    def binds(self, name: str) -> bool:
        """Whether ``name`` in the function is its own (a parameter, or bound in its own
        code) or declared ``global``/``nonlocal``: not a variable of a function around it."""
        bound, declared = self._own_bindings()
        return name in bound or name in declared or name in self.outer

    def _own_bindings(self) -> tuple[Counter[str], set[str]]:
        if self._own is None:
            self._own = (
                _own_bindings(self.node) if isinstance(self.node, FUNCTIONS) else (Counter(), set())
            )
        return self._own

    def free_of(self, nested: ast.AST) -> set[str]:
        """The names of this function (its parameters and what it binds) that ``nested``,
        a function nested in it, reads: the same variables, whenever it runs."""
        return _free_names(nested) & (self.local | self.parameters())

    def read_loops(self, name: ast.Name) -> frozenset[int] | None:
        """The loops around a read in the function's own code; None for a read it did not
        place (in a nested function or class, which may run at any time)."""
        read = self._reads.get(id(name))
        return None if read is None else read[1]

    def free_in_nested(self) -> set[str]:
        """``captured`` less the names a nested function reads from its own scope: its
        parameters and the names it binds, which Python makes local to it throughout."""
        if self._free is None:
            self._free = {name for node in self._nested for name in _free_names(node)}
        return self._free

    def _reads_only(self, call: ast.Call) -> bool:
        """``call`` reads its arguments as numbers or values and keeps none that carry a
        graph: a function of a number-reading library (``plt.plot(losses)``), or a model's
        forward."""
        qualified = self.module.reader(call.func)
        if qualified is not None:
            return True
        return forward_receiver(call, self.kept_model_names()) is not None

    def keeps_nothing(self) -> bool:
        """Whether this function neither differentiates, returns, stores nor hands on
        (except to number readers) a value derived from its parameters."""
        parameters = self.parameters()
        if not parameters or parameters & (self.free_in_nested() | self.outer):
            return not parameters

        def from_parameters(node: ast.AST) -> bool:
            return isinstance(node, ast.Name) and node.id in parameters

        reached = self.derived(from_parameters)
        if any(True for _ in self.consumers_of(reached, from_parameters, None)):
            return False
        if self.leaves(reached, from_parameters, free_only=True):
            return False
        return not any(
            self._hands_over(call, reached, from_parameters)
            and self.module.reader(call.func) is None
            for call in self.calls
        )

    def inspects_graphs(self) -> bool:
        """The function, or a hook nested in it, reads ``grad_fn``."""
        if self._inspects is None:
            self._inspects = any(
                isinstance(n, ast.Attribute) and n.attr in GRAPH_READING_ATTRIBUTES
                for n in ast.walk(self.node)
            )
        return self._inspects

    # -- collection --------------------------------------------------------------------

    def _collect(self) -> None:
        node = self.node
        if isinstance(node, ast.Lambda):
            self.leaving.append(node.body)
            self._expressions([node.body], NO_GUARDS, (), frozenset())
            return
        self._statements(node.body, NO_GUARDS, (), frozenset())

    def _statements(
        self, statements: Iterable[ast.stmt], guards: Guards, path: Path, loops: frozenset[int]
    ) -> None:
        for statement in statements:
            self._statement(statement, guards, path, loops)

    def _bind(
        self,
        target: ast.AST,
        value: ast.AST,
        at: ast.AST,
        path: Path,
        loops: frozenset[int],
        replaces: bool = True,
        accumulates: bool = False,
    ) -> None:
        names = tuple(bound_names(target))
        position = (getattr(at, "end_lineno", 0) or 0, getattr(at, "end_col_offset", 0) or 0)
        start = (getattr(at, "lineno", 0) or 0, getattr(at, "col_offset", 0) or 0)
        if isinstance(target, ast.Subscript) or not names:
            replaces = False  # ``d[k] = v`` adds to ``d``
        self.bindings.append(
            Binding(
                target,
                value,
                names,
                position,
                path,
                loops,
                replaces,
                start,
                accumulates,
                adds=isinstance(at, ast.Call),
                grad_off=self._grad_off > 0,
            )
        )
        for name in names:
            self._versions[name] = self._versions.get(name, 0) + 1

    def _statement(self, node: ast.stmt, guards: Guards, path: Path, loops: frozenset[int]) -> None:
        if isinstance(node, FUNCTIONS):
            self._expressions([*node.decorator_list, *_defaults(node.args)], guards, path, loops)
            self._nested.append(node)
            return
        if isinstance(node, ast.ClassDef):
            self._expressions([*node.decorator_list, *node.bases], guards, path, loops)
            self._nested.append(node)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            self.outer.update(node.names)
            return
        here = id(node)
        if isinstance(node, ast.If):
            self._ifs[here] = node.test
            self._expressions([node.test], guards, path, loops)
            test = self._condition(node.test)
            self._tests.setdefault(test, node.test)
            self._statements(node.body, guards | {(test, True)}, (*path, (here, "body")), loops)
            self._statements(
                node.orelse, guards | {(test, False)}, (*path, (here, "orelse")), loops
            )
            return
        accumulates = is_accumulation(node)
        cut = _cut_in_place(node)
        if cut is not None:  # ``hidden.detach_()``: from here on, ``hidden`` has no graph
            self._bind(cut, node.value, node, path, loops)  # type: ignore[attr-defined]
        emptied = _emptied_by_a_slice(node)
        if emptied is not None:  # ``del losses[:]``: as ``losses = []`` would, but in place
            empty = ast.copy_location(ast.List(elts=[], ctx=ast.Load()), node)
            self._bind(emptied, empty, node, path, loops)
        if isinstance(node, ast.Assign):
            pairs = None if accumulates else _element_pairs(node)
            if pairs is not None:  # ``out1, out2 = net1(x), net2(x)``: two values, not one
                for target, value in pairs:
                    self._bind(target, value, node, path, loops)
            for target in node.targets if pairs is None else ():
                self._bind(target, node.value, node, path, loops, accumulates=accumulates)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._bind(node.target, node.value, node, path, loops)
        if isinstance(node, ASSIGNMENTS) and keeps_comprehension(node):
            self.bindings[-1].comprehension = True
        elif isinstance(node, ast.AugAssign):  # ``total += loss`` keeps what ``total`` held
            self._bind(node.target, node.value, node, path, loops, False, accumulates)
        elif isinstance(node, ast.Return) and node.value is not None:
            self.leaving.append(node.value)
            self._returned.add(id(node.value))
        self.requires_grad.update(requires_grad_targets(node))
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            inner = loops | {here}
            self._loops[here] = node
            if isinstance(node, ast.While):
                self._expressions([node.test], guards, (*path, (here, "body")), inner)
            else:
                self._expressions([node.iter], guards, path, loops)
                self._bind(node.target, node.iter, node.iter, (*path, (here, "body")), inner)
            self._statements(node.body, guards, (*path, (here, "body")), inner)
            self._statements(node.orelse, guards, (*path, (here, "orelse")), loops)
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            self._withs.add(here)
            self._with_items[here] = [item.context_expr for item in node.items]
            for item in node.items:
                self._expressions([item.context_expr], guards, path, loops)
                if item.optional_vars is not None:
                    self._bind(
                        item.optional_vars, item.context_expr, item.context_expr, path, loops
                    )
            # The last item that switches grad mode decides it for the body; anything that
            # may switch it on (``enable_grad()``, ``set_grad_enabled(flag)``) counts as on.
            outer = self._grad_off
            for item in node.items:
                effect = self.grad_switch(item.context_expr)
                if effect is GradEffect.DISABLE:
                    self._grad_off = outer + 1
                elif effect is not None:
                    self._grad_off = 0
            try:
                self._statements(node.body, guards, (*path, (here, "body")), loops)
            finally:
                self._grad_off = outer
            return
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])  # ``try``, ``try*``
        finalbody: list[ast.stmt] = getattr(node, "finalbody", [])
        if finalbody:  # what a jump from before the ``finally`` still runs on its way
            first = finalbody[0]
            self._before_finally[here] = (
                (node.lineno, node.col_offset),
                (first.lineno, first.col_offset),
            )
        if handlers:
            self._tries[here] = [(id(h), _leaves(h.body)) for h in handlers]
            self._try_arms[here] = (getattr(node, "body", []), getattr(node, "orelse", []))
            self._handlers.update((id(h), here) for h in handlers)
        expressions: list[ast.AST] = []
        for field, value in ast.iter_fields(node):
            for child in _nodes(value):
                if isinstance(child, ast.stmt):
                    self._statement(child, guards, (*path, (here, field)), loops)
                elif isinstance(child, ast.ExceptHandler):
                    self._statements(child.body, guards, (*path, (id(child), "body")), loops)
                elif type(child).__name__ == "match_case":  # ``case P if guard: body``
                    inside = (*path, (id(child), "body"))
                    pattern: ast.AST = getattr(child, "pattern", child)
                    captured = _captured_by(pattern)
                    if captured:  # ``case (logits, feats):``: each holds part of the subject
                        target = ast.copy_location(
                            ast.Tuple(
                                [
                                    ast.copy_location(ast.Name(n, ast.Store()), pattern)
                                    for n in captured
                                ],
                                ast.Store(),
                            ),
                            pattern,
                        )
                        subject = node.subject  # type: ignore[attr-defined]
                        self._bind(target, subject, pattern, inside, loops)
                    guard = getattr(child, "guard", None)
                    if guard is not None:
                        expressions.append(guard)
                    self._statements(getattr(child, "body", ()), guards, inside, loops)
                elif not (
                    isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                    and field in ("targets", "target")
                ):
                    expressions.append(child)
                else:
                    expressions.extend(_reads_in_target(child))
        adding = node.value if isinstance(node, ast.Expr) and accumulates else None
        self._expressions(expressions, guards, path, loops, adding)

    def _expressions(
        self,
        roots: Iterable[ast.AST],
        guards: Guards,
        path: Path,
        loops: frozenset[int],
        adding: ast.AST | None = None,
    ) -> None:
        """``adding``: the call of a statement ``outs.append(y)``, an accumulation."""
        stack = list(roots)
        read = (path, loops)
        reads = self._reads
        # Dispatch on the exact type (``ast`` has no subclasses of its node types): a chain
        # of ``isinstance`` tests over every node was a tenth of NG002's screen.
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Name:
                reads[id(node)] = read
                continue
            if kind is ast.Call:
                self.calls.append(node)  # type: ignore[arg-type]
                self.guards[id(node)] = guards
                func = node.func  # type: ignore[attr-defined]
                self.call_loops[id(node)] = loops
                holder = (
                    _holder(func)
                    if type(func) is ast.Attribute and stores_arguments(func.attr)
                    else None
                )
                if (
                    holder is not None
                    and not never_carries(holder)  # not ``buf.data.copy_(h)``: no graph
                    and self.module.qualified(holder) is None  # not ``F.relu_(x)``
                ):
                    added = ast.Tuple(elts=argument_values(node), ctx=ast.Load())  # type: ignore[arg-type]
                    self._bind(holder, added, node, path, loops, False, node is adding)
            elif kind is ast.Attribute:
                if node.attr in GRAPH_READING_ATTRIBUTES:  # type: ignore[attr-defined]
                    self.graph_reads.append(node)  # type: ignore[arg-type]
                    self.guards[id(node)] = guards
            elif kind in _EXPRESSIONS_NOTED:
                if kind is ast.Lambda:
                    self._nested.append(node.body)  # type: ignore[attr-defined]
                    continue
                self._note_expression(node, path, loops)
            stack.extend(inner_nodes(node))

    def _note_expression(self, node: ast.AST, path: Path, loops: frozenset[int]) -> None:
        """The rarer expressions ``_expressions`` notes: a walrus binds, a ``yield`` hands
        a value out, a comprehension binds its targets."""
        if isinstance(node, ast.NamedExpr):
            self._bind(node.target, node.value, node, path, loops)
        elif isinstance(node, (ast.Yield, ast.YieldFrom)):
            if node.value is not None:
                self.leaving.append(node.value)
        elif isinstance(node, _ALL_COMPREHENSIONS):
            # Its names are seen by the whole comprehension, written before them.
            start = ast.Constant(value=None)
            start.end_lineno, start.end_col_offset = node.lineno, node.col_offset
            end = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
            for generator in node.generators:
                self._bind(generator.target, generator.iter, start, path, loops)
                self.bindings[-1].scope_end = end

    # -- derived values ----------------------------------------------------------------

    def _reaching_bindings(self, name: ast.Name) -> list[int]:
        """The bindings whose value ``name`` may read where it is read."""
        known = self._reaching.get(id(name))
        if known is not None:
            return known
        read = self._reads.get(id(name))
        if read is None:  # read somewhere we did not place: any binding
            found = list(self._by_name.get(name.id, []))
        else:
            found = self._reaching_at(name.id, (name.lineno, name.col_offset), *read)
        self._reaching[id(name)] = found
        return found

    def _reaching_at(
        self, name: str, here: Position, path: Path, loops: frozenset[int]
    ) -> list[int]:
        found: list[int] = []
        indices = self._by_name.get(name)
        if not indices:
            return found
        split = bisect_right(self._positions_by_name[name], here)  # bindings after the read
        dominating: Binding | None = None
        branches: dict[int, set[Hashable]] = {}
        for index in reversed(indices[:split]):  # before the read, latest first
            binding = self.bindings[index]
            if _out_of_scope(binding, here):
                continue  # a comprehension's own variable, gone after it
            found.append(index)
            if binding.replaces and self._dominates(binding.path, path, branches):
                dominating = binding  # nothing before it reaches past it
                break
        around = self._around(loops, dominating)
        if around:
            for i in reversed(indices[split:]):  # after the read, latest first
                binding = self.bindings[i]
                if binding.loops & around and binding.scope_end is None:
                    found.append(i)
                    if self._ends_each_iteration(binding, here, path, loops):
                        break  # the bindings between the read and it never reach the read
        return found

    def _ends_each_iteration(
        self,
        binding: Binding,
        here: Position,
        path: Path,
        loops: frozenset[int],
        key: tuple[str, object] | None = None,
    ) -> bool:
        """Whether ``binding``, made after a read at ``here`` in the same loop, is made in
        every iteration that goes on from the read to the loop's back edge, to a value that
        holds no graph: at the top level of the body of the loop nearest the read (or in a
        ``with`` or a ``finally`` there), with no ``continue`` of that loop between the
        read and it (``hidden = hidden.detach()`` at the end of the body: what the body
        bound before never comes round). A value that may hold a graph (``hidden = hidden *
        mask``) goes on carrying what it derives from, which the readers of what comes
        round follow through the bindings it reads: those keep reaching. Where the read
        is of one entry (``key``: ``sums["loss"] += loss``), a cut of that entry counts
        (``sums["loss"] = sums["loss"].detach()``)."""

        def cuts(other: Binding) -> bool:
            if not self.made_graph_free(other):
                return False
            if (
                isinstance(other.target, ast.Name)
                and makes_a_container(other.value)
                and any(self._handed_whole(other.target.id, loop) for loop in loops)
            ):
                return False  # ``per_step.append(row); row = []``: ``per_step`` keeps it
            sweep = self._sweep(other)
            if sweep is not None:  # ``for k in state: state[k] = state[k].detach()``
                return other.loops == loops | {sweep}
            return (
                other.replaces
                or (
                    key is not None
                    and _entry_key(other.target) == key
                    # ``sums["loss"]``: a dict's; ``running[0]`` may be a tensor's
                    and (isinstance(key[1], str) or self._python_container(key[0]))
                )
            ) and other.loops == loops

        if not cuts(binding):
            return False
        inner = next(
            (depth for depth in range(len(path) - 1, -1, -1) if path[depth][0] in loops), None
        )
        return inner is not None and self._runs_every_pass(binding, here, path[inner][0], cuts)

    def renewed(self, names: Iterable[str], loop: int) -> bool:
        """Each of ``names``, bound before ``loop``, is bound again at the top level of the
        loop's body (or in a ``with`` or a ``finally`` there) with no ``continue`` before
        it: only the loop's first pass reads the value made before it (``h = init(s)``,
        then ``for x in xs: h = cell(x, h); ...; h = h.detach()``)."""
        node = self._loops.get(loop)
        if node is None:
            return False
        start = (node.lineno, node.col_offset)
        return all(
            any(
                self.bindings[i].replaces
                and loop in self.bindings[i].loops
                and self._runs_every_pass(
                    self.bindings[i], start, loop, lambda other: other.replaces
                )
                for i in self._by_name.get(name, ())
            )
            for name in names
        )

    def _suppresses_nothing(self, context: ast.expr) -> bool:
        """``_suppresses_nothing``, or a name the function binds only to such contexts
        (``amp = autocast("cuda") if amp else nullcontext()``, ``timer = Timer()``)."""
        if not isinstance(context, ast.Name):
            return _suppresses_nothing(context, self.module)
        made = [self.bindings[i] for i in self._by_name.get(context.id, ())]
        return bool(made) and all(
            isinstance(binding.target, ast.Name)
            and all(
                _suppresses_nothing(value, self.module)
                for value in conditional_branches(binding.value)
            )
            for binding in made
        )

    def _runs_every_pass(
        self, binding: Binding, here: Position, loop: int, alike: Callable[[Binding], bool]
    ) -> bool:
        """``binding`` is made in every pass through ``loop``'s body that goes on from
        ``here`` to the back edge: at the top level of that body, or in a ``with`` of
        torch's or a ``finally`` there, or in an arm of an ``if`` whose other arm makes
        a binding of the same names that is ``alike``, with no ``continue`` of the loop
        in between."""
        depth = next((d for d, entry in enumerate(binding.path) if entry[0] == loop), None)
        if depth is None:
            return False
        body = binding.path[: depth + 1]
        made = binding.path
        end = binding.position  # where the last of the bindings that stand for it is made
        passed_through: list[tuple[Position, Position]] = []  # a jump there runs it too
        sweep = self._sweep(binding)
        while made[len(body) :]:
            if made[-1] == (sweep, "body"):
                pass  # a loop over every entry of what it cuts
            elif made[-1][1] == "finalbody":
                passed_through.append(self._before_finally[made[-1][0]])
            elif self._right_after(made[-1], here, binding):
                pass  # ``total = total + loss``, then ``total = total.detach()``, in a ``try``
            elif not (made[-1][1] == "body" and made[-1][0] in self._withs_through):
                twin = self._other_arm(binding, made, alike)
                if twin is None:
                    break
                end = max(end, twin.position)
            made = made[:-1]
        if made != body:
            return False  # under an ``if``, or in the body or a handler of a ``try``
        if loop not in self._jumps:
            self._jumps[loop] = [
                (isinstance(jump, ast.Break), (jump.lineno, jump.col_offset))
                for jump in _own_jumps(self._loops[loop].body)
            ]
        # A ``break`` leaves the loop: what it carries comes round only through a loop
        # around this one (the next epoch's pass over the batches), unless that loop binds
        # the name again on every pass (``hidden = torch.zeros(n, h)`` at each epoch).
        return not any(
            here < jump < end
            and not any(start <= jump < stop for start, stop in passed_through)
            and (not leaves or self._break_comes_round(binding, loop))
            for leaves, jump in self._jumps[loop]
        )

    def _right_after(self, arm: tuple[int, str], here: Position, binding: Binding) -> bool:
        """In an arm of a ``try``, ``binding`` is made by the statement right after the
        simple one that reads at ``here``: in the body, the next statement; in the
        ``else``, its first, after the last of the body. An error either comes before the
        read's statement stores (what comes round is the value cut the iteration before)
        or not at all, so the cut runs whenever the store did."""
        statement, field = arm
        body, orelse = self._try_arms.get(statement, ([], []))
        if field == "orelse":
            pairs = list(zip(body[-1:], orelse[:1]))
        else:
            pairs = list(zip(body, body[1:])) if field == "body" else []
        return any(
            isinstance(before, _SIMPLE_STORES)
            and _spans(before, here)
            and _spans(after, binding.position)
            for before, after in pairs
        )

    def _sweep(self, binding: Binding) -> int | None:
        """The loop whose body ``binding`` is at the top of, where it stores into every
        entry of a container, one per pass, with no jump to skip one: ``for k in state:
        state[k] = ...`` (also over ``state.keys()``, ``list(state)``), ``for i in
        range(len(hs)): hs[i] = ...``."""
        target = binding.target
        if not (
            binding.path
            and binding.path[-1][1] == "body"
            and isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and isinstance(target.slice, ast.Name)
        ):
            return None
        loop = self._loops.get(binding.path[-1][0])
        if (
            not isinstance(loop, ast.For)
            or not isinstance(loop.target, ast.Name)
            or loop.target.id != target.slice.id
            or not _sweeps(loop.iter, target.value.id)
            or any(True for _ in _own_jumps(loop.body))
            # ``for i in range(len(hs))`` runs over a tensor's rows as well as a list's
            or (_sweeps_indices(loop.iter) and not self._python_container(target.value.id))
        ):
            return None
        return binding.path[-1][0]

    def _handed_whole(self, name: str, loop: int) -> bool:
        """Whether ``loop``'s body may keep what ``name`` holds other than under that name:
        the name read there as a whole value, but as a method's receiver, an indexed
        container, what a loop runs over, a test, a part of a formatted string, or an
        argument of torch's functions, of a library that reads numbers, of a builtin that
        reads values (``len(row)``, ``sum(row)``) or of a function of the module that
        keeps nothing of its parameters. ``per_step.append(row)``, ``kept = row``,
        ``log(row)`` may keep the list, which binding the name to a new one (``row = []``)
        then does not free; a read after the loop (``return row``) sees the last one only."""
        key = (name, loop)
        known = self._handed_whole_names.get(key)
        if known is None:
            known = self._handed_whole_names[key] = self._reads_whole_value(name, loop)
        return known

    def _reads_whole_value(self, name: str, loop: int) -> bool:
        parents = self.parents()
        for node in ast.walk(self.node):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            read = self._reads.get(id(node))
            if not isinstance(node.ctx, ast.Load) or (read is not None and loop not in read[1]):
                continue
            parent = parents.get(id(node))
            if isinstance(
                parent,
                (ast.Attribute, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.FormattedValue),
            ):
                continue
            if isinstance(parent, ast.Subscript) and parent.value is node:
                continue
            if (
                isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension))
                and parent.iter is node
            ):
                continue
            if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is node:
                continue
            if isinstance(parent, ast.keyword):
                parent = parents.get(id(parent))
            if (
                isinstance(parent, ast.Call)
                and node is not parent.func
                and self._reads_only_whole(parent)
            ):
                continue
            return True
        return False

    def _reads_only_whole(self, call: ast.Call) -> bool:
        """``call`` reads a container it is handed and keeps no reference to it: torch's
        functions, those of a library that reads numbers, builtins that reduce or print,
        and functions of the module that keep nothing of their parameters."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in GRAPH_DROPPING_BUILTINS | REDUCING_BUILTINS:
            return True
        if self.module.qualified(func) is not None or self.module.reader(func) is not None:
            return True
        helper = self._module_helper(call)
        return helper is not None and self.module.keeps_nothing(helper)

    def _python_container(self, name: str) -> bool:
        """Every binding that replaces ``name`` makes a dict or a list (``{...}``, ``[...]``,
        a comprehension, ``dict(...)``, ``list(...)``): storing into an entry replaces what
        it held. Into a tensor (``running[0] = running[0].detach()``), a store is one more
        node on the tensor's graph, which cuts nothing."""
        return self.always_bound_to(name, _makes_a_python_container)

    def always_bound_to(self, name: str, made: Callable[[ast.AST], bool]) -> bool:
        """The function binds ``name`` (replacing what it held) at least once, and only
        ever to values that ``made`` accepts."""
        replacing = [
            self.bindings[i] for i in self._by_name.get(name, ()) if self.bindings[i].replaces
        ]
        return bool(replacing) and all(
            isinstance(b.target, ast.Name) and made(b.value) for b in replacing
        )

    def _other_arm(
        self, binding: Binding, made: Path, alike: Callable[[Binding], bool]
    ) -> Binding | None:
        """Where ``made`` ends in an arm of an ``if``: a binding of ``binding``'s names
        that is ``alike``, at the top level of the other arm (``if amp: total =
        total.detach().float()``, ``else: total = total.detach()``); ``binding`` itself
        where the ``if`` fails only for a value with no graph (``if total.requires_grad``,
        ``if window: window.clear()``)."""
        statement, arm = made[-1]
        if statement not in self._ifs or arm not in ("body", "orelse"):
            return None
        test = self._ifs[statement]
        if arm == "body" and all(
            _tests_for_a_graph(test, name)
            or (_tests_for_entries(test, name) and _leaves_empty(binding))
            or (
                _tests_for_a_tensor(test, name, self.module)
                and self.always_bound_to(name, _a_number_or_tensor)  # never a tuple
            )
            for name in binding.names
        ):
            return binding  # ``if total.requires_grad: total = total.detach()``
        other = (*made[:-1], (statement, "orelse" if arm == "body" else "body"))
        return next(
            (
                self.bindings[i]
                for name in binding.names[:1]
                for i in self._by_name.get(name, ())
                if self.bindings[i].path == other
                and self.bindings[i].names == binding.names
                and alike(self.bindings[i])
            ),
            None,
        )

    def _break_comes_round(self, binding: Binding, loop: int) -> bool:
        """What a ``break`` of ``loop`` carries past ``binding`` may come round to it: a
        loop around ``loop`` does not bind the name again on every pass."""
        return not all(self.renewed(binding.names, outer) for outer in binding.loops - {loop})

    def made_graph_free(self, binding: Binding) -> bool:
        """``binding``'s value holds no graph: one that never carries one (``h.detach()``),
        what a function of the module that hands back only detached values returns, or an
        operator or a tensor's method computed with grad off (``with
        torch.no_grad(): total = total * 1.0``), not a name handed on as it is."""
        value = binding.value
        if never_carries(value):
            return True
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            # Read there, which reads this module's flow in turn.
            from .detached_results import returns_only_detached

            if returns_only_detached(value.func, self, self.module):
                return True  # ``total = detached(total)``, ``repackage_hidden(hidden)``
        if not binding.grad_off:
            return False
        if isinstance(value, ast.Call):
            # not in place (``total.mul_(1)``), nor one that may hand the tensor back
            # (``total.float()``): the tensor keeps the graph it had
            func = value.func
            return (
                isinstance(func, ast.Attribute)
                and is_tensor_method(func.attr)
                and not is_in_place(func.attr)
                and func.attr not in SELF_RETURNING_METHODS
            )
        return isinstance(value, (ast.BinOp, ast.UnaryOp))

    def _dominates(self, bound: Path, read: Path, branches: dict[int, set[Hashable]]) -> bool:
        """Whether a binding made at ``bound`` is made on every way to a read at ``read``:
        on the read's own path, in the body of a ``with`` before the read (``with
        autocast(): loss = ...``), in the body of a ``try`` before the read whose every
        handler binds the name too or leaves (``except RuntimeError: z = fallback``), or in
        its ``finally``, or it completes an ``if`` before the read both of whose
        branches bind the name at their top level (``if a: y = 1`` / ``else: y = 2``; an
        ``elif`` chain ending in ``else``). ``branches`` gathers, over the bindings seen so
        far (latest first), which branches of each ``if`` bind the name, and which
        handlers of each ``try``."""
        while True:
            if read[: len(bound)] == bound:
                return True
            if not bound:
                return False
            statement, branch = bound[-1]
            if statement in self._withs:
                bound = bound[:-1]  # the ``with`` binds it, as a statement beside it would
                continue
            handlers = self._tries.get(statement)
            if handlers is not None:
                if any(entry[0] == statement for entry in read):
                    return False  # a read in the ``try`` itself (a handler, its ``else``)
                bound_by: Collection[Hashable] = branches.get(statement, frozenset())
                if branch == "finalbody" or (
                    branch == "body"
                    and all(leaves or handler in bound_by for handler, leaves in handlers)
                ):
                    bound = bound[:-1]  # the whole ``try`` binds it
                    continue
                return False
            if statement in self._handlers:
                branches.setdefault(self._handlers[statement], set()).add(statement)
                return False  # a handler alone binds it on one way only
            if statement not in self._ifs or any(entry[0] == statement for entry in read):
                return False  # not an ``if``, or one that holds the read
            seen = branches.setdefault(statement, set())
            seen.add(branch)
            if len(seen) < 2:
                return False
            bound = bound[:-1]  # the whole ``if`` binds it, as a statement beside it would

    @staticmethod
    def _around(loops: frozenset[int], dominating: Binding | None) -> frozenset[int]:
        """The loops whose back edge brings a read the next iteration's binding: those
        that hold the read, but those whose body holds a binding that dominates it."""
        return loops - (dominating.loops if dominating is not None else frozenset())

    def carried_around(self, name: ast.Name) -> frozenset[int] | None:
        """The loops around whose back edge a binding made after ``name``'s read reaches it
        (last iteration's value); None when the read was not placed (any loop may)."""
        read = self._reads.get(id(name))
        if read is None:
            return None
        path, loops = read
        here = (name.lineno, name.col_offset)
        indices = self._by_name.get(name.id, [])
        split = bisect_right(self._positions_by_name.get(name.id, []), here)
        branches: dict[int, set[Hashable]] = {}
        dominating = next(
            (
                self.bindings[index]
                for index in reversed(indices[:split])
                if self.bindings[index].replaces
                and not _out_of_scope(self.bindings[index], here)
                and self._dominates(self.bindings[index].path, path, branches)
            ),
            None,
        )
        return self._around(loops, dominating)

    def derived(self, seed: Seed, start: Iterable[int] = (), origins: Origins = None) -> set[int]:
        """The bindings whose value may derive from what ``seed`` accepts, or from the
        bindings ``start``. Each binding is tried once, and again only when a name its
        value reads gains a binding that carries (``carries`` depends on ``reached``
        through names alone, and only grows with it): the same fixed point as trying
        every binding until nothing changes, without the passes over a long function.

        A binding can carry only if its value holds a node ``seed`` accepts or reads a
        reached name, so when the caller knows those nodes, only the bindings that hold
        them are tried first: none for ``NEVER``, those holding ``origins`` when they are the
        nodes ``seed`` accepts (forward calls). Each forward call of a loop of hundreds
        would otherwise try every binding of the function."""
        reached: set[int] = set(start)
        holders = self._bindings_by_content()
        readers = holders.readers()
        work = deque(holders.holding_any(seed, origins))
        waiting = set(work)

        def wake(index: int) -> None:
            for name in self.bindings[index].names:
                for reader in readers.get(name, ()):
                    if reader not in reached and reader not in waiting:
                        waiting.add(reader)
                        work.append(reader)

        for index in reached:
            wake(index)
        while work:
            index = work.popleft()
            waiting.discard(index)
            if index not in reached and self.carries(self.bindings[index].value, reached, seed):
                reached.add(index)
                wake(index)
        return reached

    def _may_carry(
        self, holders: _Holders, names: set[int], seed: Seed, origins: Origins
    ) -> Iterable[int]:
        """The indices of the nodes (bindings' values, calls) that ``carries`` may accept
        for ``names`` and ``seed``. It accepts only a node that holds one ``seed`` accepts or
        reads a name a binding of ``names`` binds, so the others need no reading: with a
        shared accumulator, every forward of a long loop would read every call again."""
        if seed is not NEVER and origins is None:
            return range(len(holders.roots))  # a predicate of its own may accept any node
        found = set(holders.holding_any(seed, origins))
        readers = holders.readers()
        for name in self.names_of(names):
            found.update(readers.get(name, ()))
        return sorted(found)

    def _calls_carrying(self, names: set[int], seed: Seed, origins: Origins) -> list[ast.Call]:
        """The calls that may take a value derived from ``names`` or ``seed``, in order.
        Every call, for the first few questions: most functions are asked once or twice,
        and indexing their calls costs more than reading them all."""
        self._call_questions += 1
        if self._call_questions <= QUESTIONS_BEFORE_CALL_INDEX:
            return self.calls
        if self._call_holders is None:
            self._call_holders = _Holders(self.calls)
        return [self.calls[i] for i in self._may_carry(self._call_holders, names, seed, origins)]

    def _bindings_by_content(self) -> _Holders:
        """The bindings' values, indexed by the nodes they hold and the names they read."""
        if self._binding_holders is None:
            self._binding_holders = _Holders([binding.value for binding in self.bindings])
        return self._binding_holders

    def carries(self, node: ast.AST, reached: set[int], seed: Seed) -> bool:
        """Whether the value of ``node`` may carry what ``seed`` accepts."""
        if seed(node):
            return True
        if never_carries(node):
            return False
        if isinstance(node, ast.Name):
            return any(
                i in reached and not self.binds_no_graph(self.bindings[i], node.id)
                for i in self._reaching_bindings(node)
            )
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self.carries(node.value, reached, seed)
        if isinstance(node, ast.Call):
            return self._call_carries(node, reached, seed)
        if isinstance(node, ast.NamedExpr):
            return self.carries(node.value, reached, seed)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.carries(node.elt, reached, seed)
        if isinstance(node, ast.DictComp):
            return self.carries(node.value, reached, seed)
        return any(
            self.carries(child, reached, seed)
            for child in inner_nodes(node)  # less constants, which carry nothing
            if isinstance(child, ast.expr)
        )

    def _call_carries(self, call: ast.Call, reached: set[int], seed: Seed) -> bool:
        if draws_from_a_distribution(call, self, self.module):
            return False  # ``dist.sample()``: drawn under ``no_grad``
        func = call.func
        if isinstance(func, ast.Attribute):
            if self.carries(func.value, reached, seed):
                return True
        elif isinstance(func, ast.Call) and self.carries(func, reached, seed):
            return True
        qualified = self.module.qualified(func)
        if cuts_the_graph(call, qualified) or (
            qualified in GRAPH_CONSUMING_FUNCTIONS and not creates_graph(call)
        ):
            return False  # a number, indices, a new tensor, or gradients without a graph
        if self._strict and not self._passes_graphs(func, qualified):
            return False
        return any(
            self.carries(argument, reached, seed)
            for argument in argument_values(call)
            if id(argument) not in self._unread
        )

    @contextmanager
    def without_reading(self, arguments: Iterable[ast.expr]) -> Iterator[None]:
        """Within, ``carries`` takes the call ``arguments`` are given to for one whose
        result does not hold them: a helper of the module that was read to return none of
        what those parameters hold."""
        outer = self._unread
        self._unread = outer | {id(argument) for argument in arguments}
        try:
            yield
        finally:
            self._unread = outer

    def _passes_graphs(self, func: ast.expr, qualified: str | None) -> bool:
        """For NG002, which reports what surely carries a graph: calls known to compute on
        their arguments' graphs (torch's functions, loss functions, models, builtins that
        hand values on); an unknown helper may run under ``no_grad`` or return numbers."""
        if qualified is not None:
            return True
        if isinstance(func, ast.Call):  # ``nn.CrossEntropyLoss()(out, y)``
            return self.module.qualified(func.func) is not None
        if isinstance(func, ast.Name) and func.id in PASS_THROUGH_BUILTINS:
            return True
        if (
            isinstance(func, ast.Attribute)
            and (is_tensor_method(func.attr) or is_in_place(func.attr))
            and func.attr not in METADATA_ARGUMENT_METHODS
        ):
            return True  # ``buffer.copy_(out)``, ``base.add(loss)``: the argument's graph too
        name = dotted_name(func)
        if name is None:
            return False
        return (
            bool(LOSS_FUNCTION_NAME.search(name.rsplit(".", 1)[-1]))
            or name in self.kept_model_names()
        )

    def names_of(self, reached: set[int]) -> set[str]:
        return {name for index in reached for name in self.bindings[index].names}

    # -- graphs kept across iterations (NG002) ----------------------------------------

    def model_names(self) -> frozenset[str]:
        """Names this function (or, for the module, its own code) uses as models: receivers
        of ``catalog.MODEL_METHODS`` (``model.train()``, ``model.parameters()``), parameters
        annotated as modules (``model: nn.Module``) and names bound to a model (a model class of the module, ``torch.nn.Linear(...)``, a
        pretrained model). Read here only, so that NG002 never needs a walk of the module."""
        if self._models is None:
            names: set[str] = set()
            for call in self.calls:
                func = call.func
                if not isinstance(func, ast.Attribute) or func.attr not in MODEL_METHODS:
                    continue
                if func.attr == "eval" and (call.args or call.keywords):
                    continue  # ``df.eval("a + b")``
                if func.attr == "train" and len(call.args) + len(call.keywords) > 1:
                    continue
                owner = dotted_name(without_module_methods(func.value))
                if owner is not None:
                    names.add(owner)
            classes = self.module.module_classes()
            if isinstance(self.node, FUNCTIONS):  # ``def evaluate(model: nn.Module, ...)``
                arguments = self.node.args
                for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                    kind = dotted_name(argument.annotation) if argument.annotation else None
                    last = kind.rsplit(".", 1)[-1] if kind is not None else ""
                    if last in MODULE_BASE_NAMES or last in classes:
                        names.add(argument.arg)
            for binding in self.bindings:
                made = without_module_methods(binding.value)
                if isinstance(made, ast.Call) and self.module.makes_model(made, classes):
                    name = dotted_name(binding.target)
                    if name is not None:
                        names.add(name)
            self._models = frozenset(names)
        return self._models

    def accumulations(self) -> list[Binding]:
        """Bindings in loops that add to something (the only places NG002 looks at)."""
        if self._accumulations is None:
            self._accumulations = [
                b for b in self.bindings if (b.loops and b.accumulates) or b.comprehension
            ]
        return self._accumulations

    def kept_model_names(self) -> frozenset[str]:
        """``model_names``, and what NG002 also takes for models from what is done with a
        name: a loop over an attribute of ``self`` that the class fills with models (``for
        layer in self.layers``), a parameter that every caller in the module hands a
        model (``attack(model, x)``), and an attribute of ``self`` that the class uses as
        a model or fills with one (``ModuleValues.class_models``)."""
        if self._kept_models is None:
            names = set(self.model_names())
            names |= self._model_loop_targets()
            names |= self._parameters_given_models()
            names |= self.module.class_models(self.node, self._self_called())
            names |= self._aliases_of(names)
            self._kept_models = frozenset(names)
        return self._kept_models

    def _self_called(self) -> set[str]:
        """The attributes of ``self`` the function calls (``model`` of ``self.model(x)``) or
        binds a local name to as they are (``model = self.model``)."""
        called = {
            call.func.attr
            for call in self.calls
            if isinstance(call.func, ast.Attribute) and is_self_attribute(call.func, None)
        }
        for binding in self.bindings:
            for target, value in assignment_pairs(binding.target, binding.value):
                if (
                    isinstance(target, ast.Name)
                    and isinstance(value, ast.Attribute)
                    and is_self_attribute(value, None)
                ):
                    called.add(value.attr)
        return called

    def _aliases_of(self, models: set[str]) -> set[str]:
        """Local names the function binds to one of ``models`` as it is (``model =
        self.model``, ``model, opt = self.model, self.opt``), once and only so."""
        found: set[str] = set()
        for binding in self.bindings:
            for target, value in assignment_pairs(binding.target, binding.value):
                if (
                    isinstance(target, ast.Name)
                    and dotted_name(value) in models
                    and len(self._by_name.get(target.id, ())) == 1
                ):
                    found.add(target.id)
        return found

    def _model_loop_targets(self, loose: bool = False) -> set[str]:
        loops: dict[str, set[str]] = {}  # attribute of ``self`` -> the loop targets
        for binding in self.bindings:
            if binding.start != _start_of(binding.value):
                continue  # an assignment, not a ``for``
            iterated, target = binding.value, binding.target
            if (
                isinstance(iterated, ast.Call)
                and dotted_name(iterated.func) == "enumerate"
                and len(iterated.args) == 1
                and isinstance(target, ast.Tuple)
                and len(target.elts) == 2
            ):
                iterated, target = iterated.args[0], target.elts[1]
            if isinstance(target, ast.Name) and is_self_attribute(iterated, None):
                loops.setdefault(iterated.attr, set()).add(target.id)  # type: ignore[attr-defined]
        if not loops:
            return set()
        if loose:
            return {target for targets in loops.values() for target in targets}
        holders = self.module.model_holding_attributes(self.node, loops)
        return {target for attribute in holders for target in loops[attribute]}

    def _parameters_given_models(self, loose: bool = False) -> set[str]:
        node = self.node
        if not isinstance(node, FUNCTIONS) or node.decorator_list:
            return set()
        called = (
            {
                call.func.id
                for call in self.calls
                if isinstance(call.func, ast.Name) and call.func.id in self.parameters()
            }
            - self.model_names()
            - self.local
        )
        if not called or loose:
            return called
        return {p for p in called if self.module.given_models(node, p)}

    def loose_model_names(self) -> frozenset[str]:
        """``kept_model_names`` and the module level's, without the module-wide reading
        that confirms a loop target or a parameter as a model: a superset, cheap to know.
        What NG002 keeps only grows with the names taken for models, so a question answered
        No with these is answered No with the exact names too, and most functions that add
        to something in a loop are settled before that reading."""
        if self._loose_models is None:
            loose = set(self.model_names())
            loose |= self._model_loop_targets(loose=True)
            loose |= self._parameters_given_models(loose=True)
            loose |= self.module.global_models_of(self.node)
            loose |= self.module.class_models(self.node, self._self_called())
            loose |= self._aliases_of(loose)
            self._loose_models = frozenset(loose)
        return self._loose_models

    def _loosely(self, question: Callable[[], list[Kept]]) -> list[Kept]:
        """``question`` asked with ``loose_model_names`` taken for the models."""
        exact = self._kept_models
        self._kept_models = self.loose_model_names()
        try:
            return question()
        finally:
            self._kept_models = exact

    def may_keep_any(self) -> bool:
        """``kept_any`` of its model calls, asked with ``loose_model_names``."""
        loose = self.loose_model_names()
        calls = [c for c in self.calls if forward_receiver(c, loose) is not None]
        if not calls:
            return False
        return bool(self._loosely(lambda: self._kept_from(calls, None)))

    def model_calls(self) -> list[ast.Call]:
        models = self.kept_model_names() | self.module.global_models_of(self.node)
        return [call for call in self.calls if forward_receiver(call, models) is not None]

    def kept_any(self, calls: list[ast.Call]) -> bool:
        """Whether the graph of any of ``calls`` is kept: ``kept`` with all of them as one
        source, which keeps at least what each of them alone keeps."""
        return bool(self._kept_from(calls, None))

    def kept(self, call: ast.Call) -> list[Kept]:
        if not self.accumulations():
            return []
        if forward_receiver(call, self.loose_model_names()) is None:
            return []

        if not self._loosely(lambda: self._kept_from([call], call)):
            return []  # settled before the module-wide reading (``loose_model_names``)
        if (
            forward_receiver(
                call, self.kept_model_names() | self.module.global_models_of(self.node)
            )
            is None
        ):
            return []
        return self._kept_from([call], call)

    def _kept_from(self, calls: list[ast.Call], call: ast.Call | None) -> list[Kept]:
        """What keeps the graph of ``calls``; ``call``: the one call asked about, if any."""
        chosen = {id(node) for node in calls}

        def from_call(node: ast.AST) -> bool:
            return id(node) in chosen

        self._strict = True  # what surely carries the graph (``_passes_graphs``)
        try:
            reached = self.derived(from_call, origins=calls)
            accumulating = self._accumulating()
            stored_values = {
                index: self._stored_value(self.bindings[index], reached, from_call)
                for index in self._may_carry(self._bindings_by_content(), reached, from_call, calls)
                if id(self.bindings[index]) in accumulating
            }
            fed_back = {
                index: recurrent
                for index, recurrent in self._feedbacks().items()
                if index in reached and stored_values.get(index) is None
            }
        finally:
            self._strict = False
        backward_loops = [
            self.call_loops.get(id(node), frozenset())
            for node in self.consumers_of(reached, from_call, call, calls)
            if isinstance(node, ast.Call) and not retains_graph(node)
        ]
        found: list[Kept] = []
        for index in sorted({i for i, v in stored_values.items() if v is not None} | set(fed_back)):
            binding = self.bindings[index]
            stored = stored_values.get(index)
            target = self._outliving_target(index) if stored is not None else None
            recurrent = None
            if stored is None or target is None:
                recurrent, value = fed_back.get(index), binding.value
                if recurrent is None or not isinstance(value, ast.expr):
                    continue
                stored, target = value, recurrent
            after = not binding.comprehension and any(
                loops & binding.loops for loops in backward_loops
            )
            later = self.derived(NEVER, (index,))
            if any(True for _ in self.consumers_of(later, NEVER, call)):
                continue  # ``torch.stack(losses).mean().backward()``: kept on purpose
            if not after and self._escapes(later, NEVER, kept=True):
                continue  # someone we cannot see may differentiate it
            found.append(
                Kept(
                    stored,
                    target,
                    after,
                    fed_back=recurrent is not None,
                    container=self._container_kind(stored),
                )
            )
        return found

    def _container_kind(self, value: ast.expr) -> str | None:
        """``list`` where ``value`` is a name that holds a Python container wherever it is
        read there: every binding reaching it makes one, adds to it or empties it
        (``by_step[i] = losses`` after ``losses = []``), or stores into (``stats["loss"] =
        loss``); None for anything else."""
        if not isinstance(value, ast.Name):
            return None
        kinds: set[str] = set()
        for index in self._reaching_bindings(value):
            binding = self.bindings[index]
            if binding.adds or _empties(binding) or isinstance(binding.target, ast.Subscript):
                continue  # ``losses.append(loss)``, ``stats["loss"] = loss``: filled
            kind = _collection_kind(binding.value) if binding.replaces else None
            if kind is None:
                return None
            kinds.add(kind)
        return kinds.pop() if len(kinds) == 1 else ("container" if kinds else None)

    def _accumulating(self) -> set[int]:
        """``id`` of each binding of ``accumulations``."""
        if self._accumulating_ids is None:
            self._accumulating_ids = {id(binding) for binding in self.accumulations()}
        return self._accumulating_ids

    def _feedbacks(self) -> dict[int, str]:
        """``_fed_back`` of each binding in a loop that feeds recurrent state back. It
        follows one binding alone, whatever forward is asked about, so it is read once."""
        if self._fed_back_by_index is None:
            found = (
                (index, self._fed_back(index, binding))
                for index, binding in enumerate(self.bindings)
                if binding.loops
            )
            self._fed_back_by_index = {i: names for i, names in found if names is not None}
        return self._fed_back_by_index

    def _fed_back(self, index: int, binding: Binding) -> str | None:
        """The names of recurrent state that a forward in a loop re-binds from its own
        output (``out, hidden = model(x, hidden)``): each iteration's graph hangs on the one
        before. None for anything else, such as a chain of layers (``for layer in layers:
        x = layer(x)``), whose callee changes with the iteration."""
        value = binding.value
        if not (binding.replaces and isinstance(value, ast.Call)):
            return None
        if self.module.qualified(value.func) is not None:
            return None
        callee = value.func
        while isinstance(callee, (ast.Attribute, ast.Subscript, ast.Call)):
            callee = callee.func if isinstance(callee, ast.Call) else callee.value
        if not isinstance(callee, ast.Name):
            return None
        if any(self.bindings[i].loops & binding.loops for i in self._reaching_bindings(callee)):
            return None  # bound in the loop: another model each iteration
        fed = [
            name.id
            for argument in argument_values(value)
            for name in ast.walk(argument)
            if isinstance(name, ast.Name)
            and name.id in binding.names
            and self.carries(name, {index}, NEVER)
        ]
        return ", ".join(dict.fromkeys(fed)) if fed else None

    def _outliving_target(self, index: int) -> str | None:
        """The accumulator a binding in a loop adds to, if it was made before the loop:
        ``total += loss``, ``total = total + loss``, ``outs.append(y)``, ``outs[k] = y``."""
        binding = self.bindings[index]
        if not (binding.accumulates or binding.comprehension):
            return None
        target = binding.target
        # ``history["loss"].append(loss)``: the list under that key is the accumulator
        entry = target.slice if binding.adds and isinstance(target, ast.Subscript) else None
        if isinstance(target, ast.Subscript):
            target = target.value
        if not isinstance(target, ast.Name):
            return None  # attributes are another object's business: stored out of sight
        name = target.id
        before = self._reaching_at(name, binding.start, binding.path, binding.loops)
        outer = [i for i in before if self.bindings[i] is not binding]
        if (
            binding.adds
            and name not in names_read(binding.value)  # ``ema.append(0.9 * ema[-1] + ...)``
            and any(
                not (
                    self.bindings[i].adds
                    or _empties(self.bindings[i])
                    or _makes_collection(self.bindings[i], name, entry)
                )
                for i in outer
            )
        ):
            return None  # ``meter.add(loss)`` of an object that may keep a number
        if binding.grad_off:
            return None  # under ``no_grad``: the accumulator records no graph
        if binding.comprehension:
            return name  # a list made by its own loop: it outlives each element's iteration
        if (
            outer
            and not any(binding.loops - self.bindings[i].loops for i in outer)
            and not self.carries(binding.value, self.derived(NEVER, (index,)), NEVER)
        ):
            # made (or emptied) in the loop, unless what is added was computed from what it
            # held: ``h = cell(x, state[0]); state.clear(); state.append(h)`` chains them
            return None
        later = self._by_name.get(name, ())
        if any(
            self.bindings[i].position > binding.position
            and self._ends_each_iteration(
                self.bindings[i],
                binding.position,
                binding.path,
                binding.loops,
                _entry_key(binding.target),
            )
            for i in later
        ):
            return None  # ``total = total.detach()`` ends each iteration: nothing comes round
        return name

    def _stored_value(self, binding: Binding, reached: set[int], seed: Seed) -> ast.expr | None:
        """The part of a binding's value that carries the graph into the accumulator."""
        value = binding.value
        names = set(binding.names)
        if binding.comprehension:
            element = value.value if isinstance(value, ast.DictComp) else value.elt  # type: ignore[attr-defined]
            return element if self.carries(element, reached, seed) else None
        if binding.replaces:  # ``total = total + loss``, ``best = torch.max(best, loss)``
            if isinstance(value, ast.Call) and self.module.qualified(value.func) is None:
                return None  # ``x = block(x)``: a chain of layers, not an accumulator
            added = [p for p in operands(value) if not names_one_of(p, names)]
            carried = any(isinstance(p, ast.expr) and self.carries(p, reached, seed) for p in added)
            return value if carried and isinstance(value, ast.expr) else None
        parts: list[ast.AST] = list(value.elts) if isinstance(value, ast.Tuple) else [value]
        for part in parts:
            if isinstance(part, ast.Name) and part.id in names:
                continue  # the accumulator itself
            if isinstance(part, ast.expr) and self.carries(part, reached, seed):
                return part
        return None

    # -- fates -------------------------------------------------------------------------

    def fate(self, call: ast.Call) -> Fate:
        def from_call(node: ast.AST) -> bool:
            return node is call

        derived: list[set[int]] = []
        origins = (call,)

        def names() -> set[int]:
            if not derived:
                derived.append(self.derived(from_call, origins=origins))
            return derived[0]

        def consumers() -> tuple[Guards, ...]:
            if not self.has_consumers():
                return ()
            found = self.consumers_of(names(), from_call, call, origins)
            return tuple(self.guards.get(id(node), NO_GUARDS) for node in found)

        return Fate(
            self.guards.get(id(call), NO_GUARDS),
            consumers,
            lambda: self._escapes(names(), from_call, origins=origins),
            lambda: self._reads_requires_grad(call),
            self.inspects_graphs,
            self.discards(call),
        )

    def discards(self, call: ast.Call) -> bool:
        """What ``call`` returns is thrown away: the call is a statement of its own, or its
        value is bound only to ``_``, the name Python code throws values away into."""
        if self._discarded_calls is None:
            self._discarded_calls = {
                id(node.value)
                for node in statements_within(self.node)
                if isinstance(node, (ast.Expr, ast.Assign))
                and isinstance(node.value, ast.Call)
                and (isinstance(node, ast.Expr) or _binds_underscore_only(node))
            }
        return id(call) in self._discarded_calls

    def bound_without_grad(self, call: ast.Call) -> bool:
        """``call`` is part of a value bound where a scope of the function turns grad off
        (``with torch.no_grad(): features = backbone(x)``): what it makes records no graph."""
        if self._calls_without_grad is None:
            self._calls_without_grad = {
                id(node)
                for binding in self.bindings
                if binding.grad_off
                for node in ast.walk(binding.value)
                if isinstance(node, ast.Call)
            }
        return id(call) in self._calls_without_grad

    def may_require_grad(self) -> bool:
        """Whether anything in the function makes a tensor require grad."""
        if self._may_require_grad is None:
            self._may_require_grad = bool(self.requires_grad) or any(
                makes_requires_grad(c) for c in self.calls
            )
        return self._may_require_grad

    def has_consumers(self) -> bool:
        """Whether anything in the function could differentiate a graph at all."""
        if self._has_consumers is None:
            self._has_consumers = (
                bool(self.graph_reads)
                or any(
                    (isinstance(c.func, ast.Attribute) and c.func.attr in GRAPH_CONSUMING_METHODS)
                    or self.module.qualified(c.func) in GRAPH_CONSUMING_FUNCTIONS
                    for c in self.calls
                )
                # ``optimizer_step(loss, opt)``, last: it reads the function called.
                or any(self.differentiated_arguments(c) for c in self.calls)
            )
        return self._has_consumers

    def consumers_of(
        self, names: set[int], seed: Seed, call: ast.Call | None, origins: Origins = None
    ) -> Iterator[ast.AST]:
        """Gradient calls that differentiate what ``seed`` accepts (for ``call``, or for
        any call when None: then every ``autograd.grad`` counts)."""
        for node in self.graph_reads:
            if self.carries(node.value, names, seed):
                yield node
        for other in self._calls_carrying(names, seed, origins):
            func = other.func
            if isinstance(func, ast.Attribute) and func.attr in GRAPH_CONSUMING_METHODS:
                if self.carries(func.value, names, seed) or any(
                    self.carries(a, names, seed) for a in argument_values(other)
                ):
                    yield other
                continue
            if self._differentiates_given(other, names, seed):
                yield other  # ``optimizer_step(loss, optimizer)``: its backward
                continue
            qualified = self.module.qualified(func)
            if qualified not in GRAPH_CONSUMING_FUNCTIONS:
                continue
            if not any(self.carries(a, names, seed) for a in argument_values(other)):
                continue
            keyword = GRAPH_CONSUMING_FUNCTIONS[qualified]
            if keyword is None or call is None or self._needs_call(other, keyword, call):
                yield other

    def _needs_call(self, grad: ast.Call, keyword: str, call: ast.Call) -> bool:
        """``torch.autograd.grad(loss, [x_adv])`` needs the graph of ``call`` only if one
        of its inputs derives from ``x_adv``; unless every input is a tensor that requires
        grad (not a parameter), assume it does. So it does where the function takes
        gradients with ``create_graph=True``: differentiating what they feed (GradNorm's
        ``grad(gn_loss, w)`` over gradient norms) runs back through every graph they were
        taken of, whatever its inputs."""
        if any(creates_graph(other) for other in self.calls if other is not grad):
            return True
        inputs = grad.args[1] if len(grad.args) > 1 else None
        if inputs is None:
            inputs = next((k.value for k in grad.keywords if k.arg == keyword), None)
        if inputs is None:
            return True
        elements = inputs.elts if isinstance(inputs, (ast.List, ast.Tuple)) else [inputs]
        wanted = {e.id for e in elements if isinstance(e, ast.Name)}
        if len(wanted) != len(elements) or not wanted <= self.requires_grad:
            return True

        def from_inputs(node: ast.AST) -> bool:
            return isinstance(node, ast.Name) and node.id in wanted

        reached = self.derived(from_inputs)
        return any(self.carries(a, reached, from_inputs) for a in argument_values(call))

    def _escapes(
        self, names: set[int], seed: Seed, kept: bool = False, origins: Origins = None
    ) -> bool:
        """``kept``: for NG002, which also follows a value into the functions of the module
        that only read it, and into libraries that read numbers (``_reads_only``)."""
        calls = self._calls_carrying(names, seed, origins)
        if not kept:
            return self.leaves(names, seed) or any(
                self._hands_over(call, names, seed) for call in calls
            )
        return self.leaves(names, seed, free_only=True) or any(
            self._kept_value_escapes(call, names, seed) for call in calls
        )

    def _kept_value_escapes(self, call: ast.Call, names: set[int], seed: Seed) -> bool:
        """``_hands_over`` for NG002: a function of this module is read, whatever its name
        (``compute_loss(values)`` may call ``backward()`` on them); code that only reads
        values keeps nothing (``_reads_only``)."""
        helper = self._module_helper(call)
        if helper is not None:
            if not any(self.carries(a, names, seed) for a in argument_values(call)):
                return False
            return not self.module.keeps_nothing(helper)
        return self._hands_over(call, names, seed) and not self._reads_only(call)

    def _differentiates_given(self, call: ast.Call, names: set[int], seed: Seed) -> bool:
        """``call`` hands a carrying argument to a parameter its callee differentiates
        (``differentiated_arguments``)."""
        return any(self.carries(a, names, seed) for a in self.differentiated_arguments(call))

    def differentiated_arguments(
        self, call: ast.Call, among: Collection[ast.expr] | None = None
    ) -> list[ast.expr]:
        """The arguments ``call`` gives the parameters that a function of the module, or a
        method of this method's class called on its ``self``, differentiates
        (``ModuleValues.differentiated_parameters``): ``loss`` of
        ``optimizer_step(loss, optimizer)``; none where ``*args`` fills them. ``among``:
        only these arguments can matter to the caller (a screen's question, not kept)."""
        if among is not None:
            return self._given_to_differentiate(call, among)
        known = self._differentiated_arguments.get(id(call))
        if known is None:
            known = self._differentiated_arguments[id(call)] = self._given_to_differentiate(call)
        return known

    def _given_to_differentiate(
        self, call: ast.Call, among: Collection[ast.expr] | None = None
    ) -> list[ast.expr]:
        helper = self._module_helper(call)
        bound = 0
        if helper is None:
            helper = self._own_method(call)
            bound = 0 if helper is None or self_parameter(helper) is None else 1  # ``self``
        if not isinstance(helper, FUNCTIONS):
            return []
        arguments = helper.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)][bound:]
        if any(isinstance(argument, ast.Starred) for argument in call.args):
            return []  # which parameters it fills is unknown
        given = dict(zip(positional, call.args))
        given.update((k.arg, k.value) for k in call.keywords if k.arg is not None)
        asked = None
        if among is not None:
            asked = {name for name, value in given.items() if any(value is a for a in among)}
            if not asked:
                return []
        differentiated = self.module.differentiated_parameters(helper, asked)
        if not differentiated:
            return []
        defaults = _parameter_defaults(helper)
        return [
            given[name]
            for name, flags in differentiated.items()
            if name in given
            and (asked is None or name in asked)
            # ``step(loss, optimizer, train=False)``: its ``if train:`` backward never runs
            and not any(_falsy(given.get(flag, defaults.get(flag))) for flag in flags)
        ]

    def parents(self) -> dict[int, ast.AST]:
        """``id`` of each node of the function -> its parent node, made on first need."""
        if self._parents is None:
            self._parents = {
                id(child): parent
                for parent in ast.walk(self.node)
                for child in ast.iter_child_nodes(parent)
            }
        return self._parents

    def flags_needed(self, node: ast.AST) -> frozenset[str]:
        """The parameters (never rebound) that an ``if name:`` around ``node`` in this
        function tests, on the arm ``node`` is in: they must be true for it to run."""
        parents = self.parents()
        flags = set()
        current: ast.AST = node
        while current is not self.node and id(current) in parents:
            parent = parents[id(current)]
            if (
                isinstance(parent, ast.If)
                and current in parent.body
                and isinstance(parent.test, ast.Name)
                and parent.test.id in self.parameters()
                and not self.reaching(parent.test)
            ):
                flags.add(parent.test.id)
            current = parent
        return frozenset(flags)

    def _own_method(self, call: ast.Call) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The method ``m`` of ``self.m(...)`` in the class whose method this function is
        (the class defines it once, undecorated)."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        node = self.node
        if not isinstance(node, FUNCTIONS) or func.value.id != self_parameter(node):
            return None
        if self._class_methods is None:
            self._class_methods = {}
            tree = self.module.tree
            owner = next(
                (s for s in tree.body if isinstance(s, ast.ClassDef) and node in s.body), None
            )
            # The class, then its bases of this module (``self._step`` of a base trainer).
            classes, seen = [owner] if owner is not None else [], set()
            while classes:
                cls = classes.pop(0)
                if id(cls) in seen:
                    continue
                seen.add(id(cls))
                methods = [m for m in cls.body if isinstance(m, FUNCTIONS)]
                names = [m.name for m in methods]
                for method in methods:
                    if names.count(method.name) == 1 and not method.decorator_list:
                        self._class_methods.setdefault(method.name, method)
                    else:
                        self._class_methods.setdefault(method.name, None)
                for base in cls.bases:
                    found = module_class(tree, base.id) if isinstance(base, ast.Name) else None
                    if found is not None:
                        classes.append(found)
        return self._class_methods.get(func.attr)

    def _module_helper(self, call: ast.Call) -> FunctionNode | None:
        """The plain function of this module that ``call`` calls by its name, if any."""
        func = call.func
        if not isinstance(func, ast.Name) or func.id in self.local or func.id in self.parameters():
            return None
        helper = self.module.plain_function(func.id)
        return helper if helper is not self.node else None

    def leaves(
        self,
        names: set[int],
        seed: Seed,
        free_only: bool = False,
        finished: Collection[int] = (),
        results_dropped: bool = False,
    ) -> bool:
        """A value derived from ``seed`` or the bindings ``names`` is returned or yielded,
        stored on an object or a global, or read by a nested function: code we cannot see
        holds it after the function. ``free_only``: a nested function's own names (its
        parameters, what it assigns) are not read from here (NG002, NG003); NG001 takes
        every name a nested function reads for the function's. ``finished``: the ``id`` of
        nested functions the caller has shown to be run and dropped before the point it
        asks about (NG003), whose reads hold nothing past it. ``results_dropped``: every
        caller throws what the function returns away (NG003), so a returned value dies
        with the call; a yielded one does not."""
        captured = self.free_in_nested() if free_only else self.captured()
        if finished:
            captured = {
                name
                for node in self._nested
                if id(node) not in finished
                for name in (_free_names(node) if free_only else names_read(node))
            }
        if self.names_of(names) & (captured | self.outer):
            return True
        if any(
            self.carries(value, names, seed)
            for value in self.leaving
            if not (results_dropped and id(value) in self._returned)
        ):
            return True
        # ``self.out = out = model(x)``: the store shares the value of a binding reached.
        shared = {id(self.bindings[index].value) for index in names}
        return any(
            id(binding.value) in shared or self.carries(binding.value, names, seed)
            for binding in self._outside_bindings()
        )

    def _outside_bindings(self) -> list[Binding]:
        """The bindings that store on an object, a global or a container out of sight."""
        if self._outside_stores is None:
            self._outside_stores = [
                b for b in self.bindings if _stores_outside(b.target, self.local)
            ]
        return self._outside_stores

    def reaching(self, name: ast.Name) -> list[int]:
        """The bindings (indices into ``bindings``) whose value ``name`` may read."""
        return self._reaching_bindings(name)

    def invariant(self, condition: Hashable) -> bool:
        """An ``if`` condition that holds alike on every pass through the function
        (``if loader is None: ... else: ...``): its test compares or negates only
        parameters and literals, and the function reads those parameters nowhere but in such
        tests and as what a ``for`` runs over. Handed to a call, bound to another name, or
        reached into (``queue.pop()``, ``x[i] = ...``), a parameter may change its truth
        between iterations."""
        known = self._invariant.get(condition)
        if known is None:
            known = self._invariant[condition] = self._reads_alike(condition)
        return known

    def _reads_alike(self, condition: Hashable) -> bool:
        test = self._tests.get(condition)
        if test is None or isinstance(self.node, (ast.Module, ast.Lambda)):
            return False
        names = set()
        for node in ast.walk(test):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif not isinstance(node, _INVARIANT_TEST_NODES):
                return False
        if not names <= self.parameters() - self.outer:
            return False
        allowed: set[int] = set()  # ``id`` of the reads tests and loops make
        for node in ast.walk(self.node):
            if isinstance(node, (ast.If, ast.While, ast.IfExp)) and all(
                isinstance(part, (ast.Name, *_INVARIANT_TEST_NODES)) for part in ast.walk(node.test)
            ):
                allowed.update(id(part) for part in ast.walk(node.test))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                allowed.add(id(node.iter))
        return not any(
            (isinstance(node, ast.Name) and node.id in names and id(node) not in allowed)
            or (isinstance(node, (ast.Global, ast.Nonlocal)) and names & set(node.names))
            for node in ast.walk(self.node)
        )

    def parameters(self) -> set[str]:
        """The function's parameter names (none for the module or a lambda's outside)."""
        node = self.node
        if isinstance(node, ast.Module):
            return set()
        arguments = node.args
        found = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        found.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
        return found

    def _hands_over(self, call: ast.Call, names: set[int], seed: Seed) -> bool:
        """``call`` keeps or passes on a carrying argument where we cannot follow it."""
        carrying = [a for a in argument_values(call) if self.carries(a, names, seed)]
        if not carrying:
            return False
        func = call.func
        if isinstance(func, ast.Attribute):
            method = func.attr
            if method in GRAPH_CONSUMING_METHODS or method in GRAPH_DROPPING_METHODS:
                return False
            if method in CONTAINER_ADDERS:  # not ``self.losses.append(loss)``
                return not (isinstance(func.value, ast.Name) and func.value.id in self.local)
            if self.carries(func.value, names, seed):
                return False  # a tensor's own method: ``out.add_(other)``
        elif isinstance(func, ast.Name) and (
            func.id in GRAPH_DROPPING_BUILTINS or func.id in PASS_THROUGH_BUILTINS
        ):
            return False
        if self.module.qualified(func) is not None:
            return False  # torch's own functions keep nothing
        callee = dotted_name(func.func if isinstance(func, ast.Call) else func)
        if isinstance(func, ast.Call) and self.module.qualified(func.func) is not None:
            return False  # ``nn.CrossEntropyLoss()(out, y)``
        return callee is None or not LOSS_FUNCTION_NAME.search(callee.rsplit(".", 1)[-1])

    def _reads_requires_grad(self, call: ast.Call) -> bool:
        if not self.may_require_grad():
            return False

        def requires_grad(node: ast.AST) -> bool:
            return makes_requires_grad(node) or (
                isinstance(node, ast.Name) and node.id in self.requires_grad
            )

        names = self.derived(requires_grad)
        return any(self.carries(a, names, requires_grad) for a in argument_values(call))


# -- small readings ------------------------------------------------------------------------


def _parameter_defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """Parameter -> its default value."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    found = {
        a.arg: d
        for a, d in zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults)
    }
    found.update(
        (a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None
    )
    return found


def _falsy(value: ast.expr | None) -> bool:
    """A literal Python takes for false: ``False``, ``None``, ``0``, ``""``."""
    return isinstance(value, ast.Constant) and not value.value


def _nodes(value: object) -> list[ast.AST]:
    if isinstance(value, ast.AST):
        return [value]
    return [v for v in value if isinstance(v, ast.AST)] if isinstance(value, list) else []


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def _stores_outside(target: ast.AST, local: set[str]) -> bool:
    """``self.out = ...``, ``cache[k] = ...`` on something not made in the function."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_stores_outside(element, local) for element in target.elts)
    if isinstance(target, ast.Starred):
        return _stores_outside(target.value, local)
    if isinstance(target, ast.Attribute):
        return True
    return isinstance(target, ast.Subscript) and not (
        isinstance(target.value, ast.Name) and target.value.id in local
    )


def _captured_by(pattern: ast.AST) -> list[str]:
    """The names a ``match`` pattern binds (``case (logits, feats):``, ``case {"x": x, **rest}``)."""
    return [
        name
        for node in ast.walk(pattern)
        for name in (getattr(node, "name", None), getattr(node, "rest", None))
        if isinstance(name, str)
    ]


def _element_pairs(assign: ast.Assign) -> list[tuple[ast.expr, ast.expr]] | None:
    """(target, value) for each element of ``a, b = f(x), g(x)``; None for any other
    assignment (``_written_pairs``)."""
    if len(assign.targets) != 1:
        return None
    return _written_pairs(assign.targets[0], assign.value)


def _written_pairs(target: ast.AST, value: ast.AST) -> list[tuple[ast.expr, ast.expr]] | None:
    """(target, value) for each element when both sides are a tuple or list written out,
    as long, without ``*``; else None."""
    if not (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, (ast.Tuple, ast.List))
        and len(target.elts) == len(value.elts)
    ):
        return None
    if any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts)):
        return None
    return list(zip(target.elts, value.elts))


def _holder(func: ast.Attribute) -> ast.expr | None:
    """What ``func``, a method, stores into: its object, a name, an attribute or an item
    of one (``outs[t].copy_(h)``), through in-place methods, which return the object
    itself (``ema.mul_(0.9).add_(loss)``); None for anything else."""
    holder = func.value
    while (
        isinstance(holder, ast.Call)
        and isinstance(holder.func, ast.Attribute)
        and is_in_place(holder.func.attr)
    ):
        holder = holder.func.value
    root = holder
    while isinstance(root, ast.Subscript):
        root = root.value
    return holder if isinstance(root, (ast.Name, ast.Attribute)) else None


def _cut_in_place(statement: ast.stmt) -> ast.Name | ast.Subscript | None:
    """``hidden`` of the statement ``hidden.detach_()``, which cuts the name's value off
    its graph as ``hidden = hidden.detach()`` would; ``losses`` of ``losses.clear()`` (or
    ``history["loss"]`` of ``history["loss"].clear()``), which leaves nothing of what the
    container held, as ``losses = []`` would."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return None
    call = statement.value
    func = call.func
    if call.args or call.keywords or not isinstance(func, ast.Attribute):
        return None
    if func.attr == IN_PLACE_DETACH and isinstance(func.value, ast.Name):
        return func.value
    target = func.value
    if func.attr in CONTAINER_EMPTYING_METHODS and (
        isinstance(target, ast.Name)
        or (isinstance(target, ast.Subscript) and _entry_key(target) is not None)
    ):
        return target
    return None


def binds_indices(binding: Binding, name: str) -> bool:
    """``_, indices = out.max(1)``: ``name`` is bound to the indices of an index pair."""
    target = binding.target
    return (
        isinstance(target, (ast.Tuple, ast.List))
        and len(target.elts) == 2
        and isinstance(target.elts[1], ast.Name)
        and target.elts[1].id == name
        and returns_index_pair(binding.value)
    )


def _iterates_literal_parts(binding: Binding, name: str) -> bool:
    """``for name, v in (("loss", loss), ("aux", aux))``: ``name`` takes, pass by pass, the
    parts of written-out rows at its place, and each of them is a literal. Read only for
    a loop's binding, whose value is what it iterates."""
    target, rows = binding.target, binding.value
    if not (isinstance(target, (ast.Tuple, ast.List)) and isinstance(rows, (ast.Tuple, ast.List))):
        return False
    place = next(
        (i for i, e in enumerate(target.elts) if isinstance(e, ast.Name) and e.id == name), None
    )
    return (
        place is not None
        and bool(rows.elts)
        and all(
            isinstance(row, (ast.Tuple, ast.List))
            and len(row.elts) == len(target.elts)
            and isinstance(row.elts[place], ast.Constant)
            for row in rows.elts
        )
    )


def _own_jumps(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The ``continue`` and ``break`` statements of a loop with body ``statements``: not
    those of a loop, a function or a class inside it."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Continue, ast.Break)):
            yield node
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend(node.orelse)  # the ``else`` runs as part of the outer loop's body
        elif not isinstance(node, (*FUNCTIONS, ast.ClassDef, ast.Lambda, ast.expr)):
            stack.extend(ast.iter_child_nodes(node))


def _suppresses_nothing(expr: ast.AST, module: ModuleValues) -> bool:
    """A ``with`` item that lets every error out: one of torch's (``torch.no_grad()``,
    ``torch.autocast("cuda")``), of Python's (``catalog.NON_SUPPRESSING_CONTEXTS``:
    ``open(...)``, ``contextlib.nullcontext()``), or an object of a class of the module
    whose ``__exit__`` never returns a true value; not ``contextlib.suppress``."""
    if not isinstance(expr, ast.Call):
        return False
    qualified = module.qualified(expr.func)
    return (
        is_torchs(qualified or "")
        or (qualified or dotted_name(expr.func)) in NON_SUPPRESSING_CONTEXTS
        or (isinstance(expr.func, ast.Name) and _exits_without_suppressing(expr.func.id, module))
    )


def _exits_without_suppressing(name: str, module: ModuleValues) -> bool:
    """The module's class ``name`` defines ``__exit__``, and each of its returns hands back
    nothing, ``None`` or ``False``: the error goes on (a timer, a logger's scope)."""
    found = module_class(module.tree, name)
    if found is None:
        return False
    exits = [
        member
        for member in found.body
        if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
        and member.name in ("__exit__", "__aexit__")
    ]
    return bool(exits) and all(
        node.value is None or (isinstance(node.value, ast.Constant) and not node.value.value)
        for exit_ in exits
        for node in ast.walk(exit_)
        if isinstance(node, ast.Return)
    )


def _sweeps(iterable: ast.expr, name: str) -> bool:
    """``iterable`` yields every key or index of the container ``name``: ``state``,
    ``state.keys()``, ``list(state)``, ``range(len(state))``."""
    if isinstance(iterable, ast.Call) and not iterable.keywords and len(iterable.args) == 1:
        func = dotted_name(iterable.func)
        if func == "list":
            return _sweeps(iterable.args[0], name)
        if func == "range":
            length = iterable.args[0]
            return (
                isinstance(length, ast.Call)
                and dotted_name(length.func) == "len"
                and len(length.args) == 1
                and isinstance(length.args[0], ast.Name)
                and length.args[0].id == name
            )
    if (
        isinstance(iterable, ast.Call)
        and not iterable.args
        and isinstance(iterable.func, ast.Attribute)
        and iterable.func.attr == "keys"
    ):
        iterable = iterable.func.value
    return isinstance(iterable, ast.Name) and iterable.id == name


def _makes_a_python_container(value: ast.AST | None) -> bool:
    """``makes_a_container``, or a comprehension of a dict or a list."""
    return makes_a_container(value) or isinstance(value, (ast.DictComp, ast.ListComp))


def _sweeps_indices(iterable: ast.expr) -> bool:
    """``range(len(hs))``, not a container's keys."""
    return isinstance(iterable, ast.Call) and dotted_name(iterable.func) == "range"


def _entry_key(target: ast.AST | None) -> tuple[str, object] | None:
    """``("sums", "loss")`` of ``sums["loss"]``: one entry, under a key written out."""
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Constant)
    ):
        return target.value.id, target.slice.value
    return None


def _tests_for_a_graph(test: ast.expr, name: str) -> bool:
    """``test`` holds wherever ``name`` carries a graph (``catalog.GRAPH_TEST_ATTRIBUTES``):
    ``total.requires_grad``, ``total.grad_fn is not None``, or ``hidden[0].requires_grad``
    of a recurrent state, whose parts one forward makes together. Not
    ``torch.is_tensor(state)``, which fails for an LSTM's ``(h, c)`` too, graph and all."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        test = test.left  # ``total.grad_fn is not None``
    if not (isinstance(test, ast.Attribute) and test.attr in GRAPH_TEST_ATTRIBUTES):
        return False
    tested = test.value
    if isinstance(tested, ast.Subscript) and isinstance(tested.slice, ast.Constant):
        tested = tested.value  # ``hidden[0]``
    return isinstance(tested, ast.Name) and tested.id == name


def _tests_for_entries(test: ast.expr, name: str) -> bool:
    """``test`` holds wherever the container ``name`` holds anything: ``window``,
    ``len(window)``, ``len(window) > 0``."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and (
            (isinstance(test.ops[0], (ast.Gt, ast.NotEq)) and test.comparators[0].value == 0)
            or (isinstance(test.ops[0], ast.GtE) and test.comparators[0].value == 1)
        )
    ):
        test = test.left
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "len"
        and len(test.args) == 1
        and not test.keywords
    ):
        test = test.args[0]
    return isinstance(test, ast.Name) and test.id == name


def _leaves_empty(binding: Binding) -> bool:
    """``window.clear()``, ``window = []``, ``del window[:]``: nothing is left in it."""
    value = binding.value
    return _empties(binding) or (
        binding.replaces and makes_a_container(value) and never_carries(value)
    )


def _tests_for_a_tensor(test: ast.expr, name: str, module: ModuleValues) -> bool:
    """``torch.is_tensor(name)``, ``isinstance(name, torch.Tensor)``
    (``catalog.TENSOR_TEST_FUNCTIONS``, ``TENSOR_CLASS``)."""
    if not (
        isinstance(test, ast.Call)
        and test.args
        and isinstance(test.args[0], ast.Name)
        and test.args[0].id == name
    ):
        return False
    if module.qualified(test.func) in TENSOR_TEST_FUNCTIONS:
        return len(test.args) == 1
    return (
        isinstance(test.func, ast.Name)
        and test.func.id == "isinstance"
        and len(test.args) == 2
        and module.qualified(test.args[1]) == TENSOR_CLASS
    )


def _a_number_or_tensor(value: ast.AST | None) -> bool:
    """``0.0``, ``total + loss``, ``-x``, ``total.detach()``, ``total.item()``: never a
    tuple."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, (int, float))
    if isinstance(value, (ast.BinOp, ast.UnaryOp)):
        return True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in NUMBER_OR_TENSOR_METHODS
    )


def conditional_branches(value: ast.AST | None) -> list[ast.AST]:
    """The values a conditional expression may take: ``a if c else b`` -> ``a``, ``b``."""
    if isinstance(value, ast.IfExp):
        return [*conditional_branches(value.body), *conditional_branches(value.orelse)]
    return [value] if value is not None else []


def _plain_context(expr: ast.expr, module: ModuleValues) -> bool:
    """A ``with`` item this reading follows or that cannot switch grad mode: torch's
    (``torch.enable_grad()``, ``torch.autocast(...)``) or ``open(...)``."""
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    return module.qualified(func) is not None or (isinstance(func, ast.Name) and func.id == "open")


def _binds_underscore_only(node: ast.Assign) -> bool:
    return (
        len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "_"
    )


def _reads_in_target(target: ast.AST) -> list[ast.AST]:
    """What an assignment target reads: ``self`` and ``i`` in ``self.outs[i] = y``."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [read for element in target.elts for read in _reads_in_target(element)]
    if isinstance(target, ast.Starred):
        return _reads_in_target(target.value)
    if isinstance(target, ast.Attribute):
        return [target.value]
    if isinstance(target, ast.Subscript):
        return [target.value, target.slice]
    return []


#: Calls that make an empty (or copied) collection an accumulator can be.
_COLLECTIONS = frozenset({"list", "set", "deque", "collections.deque"})


def _collection_kind(value: ast.AST) -> str | None:
    """``list`` of ``[]``, ``list(...)`` or a list comprehension; ``tuple``, ``dict``,
    ``set``, ``deque`` likewise; None for any other value."""
    literal = {
        ast.Tuple: "tuple",
        ast.List: "list",
        ast.ListComp: "list",
        ast.Dict: "dict",
        ast.DictComp: "dict",
        ast.Set: "set",
        ast.SetComp: "set",
    }.get(type(value))
    if literal is not None:
        return literal
    if not isinstance(value, ast.Call):
        return None
    callee = dotted_name(value.func) or ""
    if callee not in CONTAINER_CONSTRUCTORS:
        return None
    last = callee.rsplit(".", 1)[-1]
    return "dict" if last in ("OrderedDict", "defaultdict") else last


def _emptied_by_a_slice(statement: ast.stmt) -> ast.Name | None:
    """``losses`` of ``del losses[:]`` or ``losses[:] = []``: the list is emptied in place."""
    if (isinstance(statement, ast.Delete) and len(statement.targets) == 1) or (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.value, ast.List)
        and not statement.value.elts
    ):
        target = statement.targets[0]
    else:
        return None
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Slice)
        and target.slice.lower is None
        and target.slice.upper is None
        and target.slice.step is None
    ):
        return ast.copy_location(ast.Name(id=target.value.id, ctx=ast.Store()), target.value)
    return None


def _empties(binding: Binding) -> bool:
    """``losses.clear()``: the collection stays the one it was, emptied (``_cut_in_place``)."""
    value = binding.value
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in CONTAINER_EMPTYING_METHODS
    )


def _makes_collection(binding: Binding, name: str, entry: ast.expr | None = None) -> bool:
    """Whether ``binding`` gives ``name`` a collection: ``outs = []``, and ``outs, feats =
    [], []`` element by element (``outs = [[], []]`` for ``outs[i % 2].append(y)``); for
    an ``entry`` also a mapping whose value under that key is one (``history = {"loss":
    [], "acc": []}``, ``defaultdict(list)``)."""
    pairs = _written_pairs(binding.target, binding.value)
    made = (
        [v for t, v in pairs if isinstance(t, ast.Name) and t.id == name]
        if pairs is not None
        else [binding.value]
    )
    return any(
        _makes_a_collection(v) or (entry is not None and _holds_collections(v, entry)) for v in made
    )


def _holds_collections(value: ast.AST | None, entry: ast.expr) -> bool:
    """``{"loss": [], ...}`` under a key written out, ``dict(loss=[])``, or a mapping that
    makes one for every key (``defaultdict(list)``, ``{k: [] for k in keys}``)."""
    key = entry.value if isinstance(entry, ast.Constant) else None
    if isinstance(value, ast.Dict):
        return any(
            isinstance(k, ast.Constant) and k.value == key and _makes_a_collection(v)
            for k, v in zip(value.keys, value.values)
        )
    if isinstance(value, ast.DictComp):
        return _makes_a_collection(value.value)
    if not isinstance(value, ast.Call):
        return False
    callee = dotted_name(value.func)
    if callee in _DEFAULT_DICTS:
        factory = value.args[0] if value.args else None
        return isinstance(factory, ast.Name) and factory.id in _COLLECTIONS
    return callee == "dict" and any(
        k.arg == key and _makes_a_collection(k.value) for k in value.keywords
    )


#: Mappings that make a value for a key on its first use.
_DEFAULT_DICTS = frozenset(
    c for c in CONTAINER_CONSTRUCTORS if c.rpartition(".")[2] == "defaultdict"
)


def _makes_a_collection(value: ast.AST) -> bool:
    if isinstance(value, (ast.List, ast.Set, ast.ListComp, ast.SetComp, ast.BinOp)):
        return True
    return (
        isinstance(value, ast.Call)
        and dotted_name(value.func) in _COLLECTIONS
        and not _bounded(value)
    )


def _bounded(call: ast.Call) -> bool:
    """``deque(maxlen=100)``: a window that drops its oldest element as it takes a new
    one, so what it holds does not grow with the run."""
    bound = next((k.value for k in call.keywords if k.arg == "maxlen"), None)
    if bound is None and len(call.args) > 1:
        bound = call.args[1]
    # a number written out: ``maxlen=window`` may be ``None``
    return (
        isinstance(bound, ast.Constant)
        and isinstance(bound.value, int)
        and not isinstance(bound.value, bool)
    )


#: The expression types ``FunctionValues._expressions`` notes besides names, calls, attributes.
_ALL_COMPREHENSIONS = (*COMPREHENSIONS, ast.GeneratorExp)
_EXPRESSIONS_NOTED = frozenset(
    {ast.Lambda, ast.NamedExpr, ast.Yield, ast.YieldFrom, *_ALL_COMPREHENSIONS}
)


def _start_of(node: ast.AST) -> Position:
    return (getattr(node, "lineno", 0) or 0, getattr(node, "col_offset", 0) or 0)


def _free_names(scope: ast.AST) -> set[str]:
    """The names a nested function, lambda or class (``scope``) may read from the code
    around it: what it reads less its own names, scope by scope."""
    reads: set[str] = set()
    outside: list[ast.AST] = []  # evaluated where the scope is defined, not in it
    inner: list[ast.AST] = list(ast.iter_child_nodes(scope))
    if isinstance(scope, (*FUNCTIONS, ast.Lambda)):
        arguments = scope.args
        outside = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
        outside += getattr(scope, "decorator_list", [])
        skipped = {id(node) for node in outside}
        inner = [node for node in inner if node is not arguments and id(node) not in skipped]
    elif isinstance(scope, ast.ClassDef):
        outside = [*scope.decorator_list, *scope.bases, *(k.value for k in scope.keywords)]
        inner = list(scope.body)
    for part, own in ((inner, True), (outside, False)):
        found: set[str] = set()
        stack = list(part)
        while stack:
            node = stack.pop()
            if isinstance(node, OWN_SCOPES):
                found |= _free_names(node)
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                found.add(node.id)
            stack.extend(ast.iter_child_nodes(node))
        if own and isinstance(scope, (*FUNCTIONS, ast.Lambda)):
            found -= _own_names(scope)
        reads |= found
    return reads


def _own_names(function: ast.AST) -> set[str]:
    """The names local to a nested function: its parameters and the names it binds (not
    those it declares ``global`` or ``nonlocal``)."""
    bound, declared = _own_bindings(function)
    return set(bound) - declared


def _own_bindings(function: ast.AST) -> tuple[Counter[str], set[str]]:
    """How many times a function (or lambda) binds each name in its own code: a
    parameter, an assignment or other target, an import, a handler's or a ``match``
    capture's name, a nested ``def`` or ``class``; and the names it declares ``global`` or
    ``nonlocal``. Comprehension variables are left out: they are local to their
    comprehension, and the same name may be read outside it."""
    arguments = function.args  # type: ignore[attr-defined]
    bound: Counter[str] = Counter(
        a.arg
        for a in (
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            arguments.vararg,
            arguments.kwarg,
        )
        if a is not None
    )
    declared: set[str] = set()
    comprehension_targets: set[int] = set()
    stack: list[ast.AST] = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, OWN_SCOPES):
            if isinstance(node, (*FUNCTIONS, ast.ClassDef)):
                bound[node.name] += 1
            continue  # a scope of its own
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.comprehension):
            comprehension_targets.update(id(n) for n in ast.walk(node.target))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if id(node) not in comprehension_targets:
                bound[node.id] += 1
        elif isinstance(node, NAMED_BINDINGS) and getattr(node, "name", None):
            bound[node.name] += 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).partition(".")[0] for a in node.names)
        stack.extend(ast.iter_child_nodes(node))
    return bound, declared


#: Statements that store what they compute last, after anything in them that may raise.
_SIMPLE_STORES = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)


def _spans(statement: ast.stmt, position: Position) -> bool:
    """``position`` lies within ``statement``."""
    end = (statement.end_lineno or statement.lineno, statement.end_col_offset or 0)
    return (statement.lineno, statement.col_offset) <= position <= end


def _leaves(body: list[ast.stmt]) -> bool:
    """A block that never runs on into what follows it: it ends in ``raise``, ``return``,
    ``continue`` or ``break``."""
    return bool(body) and isinstance(body[-1], (ast.Raise, ast.Return, ast.Continue, ast.Break))
