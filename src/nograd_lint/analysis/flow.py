"""One pass over a module's statements in execution order, with explicit state.

Statements are interpreted (``if`` branches run on copies of the state and are joined,
loop bodies run twice so that state carried around the back edge is seen); expressions are
scanned without recursion for the calls that matter. Function bodies are analysed after the
code that defines them. What only the whole module can tell (is this function only called
under ``no_grad``? is ``self.model`` in eval mode in every method?) is recorded as it goes
and settled at the end, so the tree is walked once.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Callable, Union, cast

import libcst as cst

from ..ast_names import binds_name, module_class, sets_attributes_by_name, within_any
from .catalog import (
    EVAL_PRESERVING_WRAPPER_NAMES,
    EVAL_PRESERVING_WRAPPERS,
    FORWARD_METHODS,
    GRAD_DECORATORS_REACH_COROUTINES,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_CONSUMING_METHODS,
    LIGHTNING_BASES,
    LIGHTNING_NO_GRAD_HOOKS,
    LIGHTNING_PACKAGES,
    MODE_FLAG_ATTRIBUTE,
    MODULE_FORWARD,
    MODULE_VISITOR_METHOD,
    SELF_LISTING_SUBMODULE_METHODS,
    SUBMODULE_METHODS,
    SUBMODULE_PICKERS,
    TRANSPARENT_DECORATORS,
    WRAPPED_MODULE_ATTRIBUTES,
    WRAPPED_MODULE_KEYWORDS,
    GradEffect,
    may_be_submodule,
    returns_eval_model,
    unwrapped,
)
from .entry_grad import CallSite, resolve_entry_grad
from .eval_mode import Mode, chain_of
from .fates import UNKNOWN, Fate, Guards, Kept
from .forward_helpers import forward_helpers
from .functions import (
    ClassInfo,
    FunctionInfo,
    ParameterSource,
    Scope,
    bound_arguments,
    lambda_binding,
    only_called_closures,
)
from .grad_scopes import GradScopes
from .imports import ImportTable
from .intent import GradientCode, frozen_by_loop, gradient_code, requires_grad_argument
from .last_iteration import CountingLoop, counting_loop, last_iteration_test
from .loop_targets import models_a_loop_target_holds
from .mode_summaries import NOTHING, ModeSummary, is_whole_model, summaries_of
from .nodes import child_nodes, dotted_name, literal_bool
from .receiver_names import WHOLE, handed_names
from .state import CarriedStep, EvalPeriod, FlowState, Grad, Inherited, Training
from .twins import CallTwins
from .values import ModuleValues

Statement = Union[cst.BaseStatement, cst.BaseSmallStatement]
FunctionNode = Union[cst.FunctionDef, cst.Lambda]

_GRAD_OF_EFFECT = {
    GradEffect.DISABLE: Grad.DISABLED,
    GradEffect.ENABLE: Grad.ENABLED,
    GradEffect.DYNAMIC: Grad.MAYBE,
}

#: Loops nested deeper than this get one pass over their body: a second pass at every level
#: would cost 2**depth.
MAX_LOOP_PASSES_DEPTH = 6


@dataclass(eq=False)
class Candidate:
    """A forward call of a model that may be in eval mode, with autograd enabled or as the
    function was entered."""

    call: cst.Call
    model: str
    #: Index of the module's top-level statement that holds the call (for positions).
    top: int
    function: FunctionInfo | None
    inherited: Inherited | None
    periods: set[EvalPeriod] = field(default_factory=set)
    #: Carried periods whose iteration needs this call's graph (see ``mark_grad_intent``).
    excused: set[EvalPeriod] = field(default_factory=set)
    #: Seen once with autograd certainly enabled (not only "as at entry").
    certainly_enabled: bool = False
    #: ``Variable(x, volatile=True)`` in the same function: worth a word in the message.
    volatile: bool = False
    #: Where its output goes (:mod:`.values`), known once the module is read.
    fate: Fate = UNKNOWN

    def is_reported(self) -> bool:
        if self.inherited is not None and self.inherited.is_frozen(self.model):
            return False
        if not self.certainly_enabled and (
            self.function is None or self.function.resolved is not Grad.ENABLED
        ):
            return False
        return any(self.wasteful_periods())

    def wasteful_periods(self) -> Iterator[EvalPeriod]:
        """The eval periods that make this call a finding (if it is reported)."""
        return (p for p in self.periods if p not in self.excused and p.is_wasteful(self.fate))


@dataclass(eq=False)
class GraphSource:
    """A forward call of a model made with autograd enabled (or as the function was
    entered): its graph may be kept across loop iterations (NG002)."""

    call: cst.Call
    model: str
    top: int
    function: FunctionInfo | None
    inherited: Inherited | None
    certainly_enabled: bool = False

    def records_graph(self) -> bool:
        if self.inherited is not None and self.inherited.is_frozen(self.model):
            return False
        return self.certainly_enabled or (
            self.function is not None and self.function.resolved is Grad.ENABLED
        )


@dataclass(eq=False)
class LeftInEval:
    """NG004: an eval period that reaches a training step of its model around a loop's
    back edge. ``start`` of the period is the call to report (``model.eval()``, or the call
    of a function that leaves the model in eval mode); ``step`` the training step."""

    period: EvalPeriod
    step: cst.Call
    step_top: int
    #: A forward call, which needs gradient code after it that consumes its output or
    #: trains its model; else the call of a function of the module that trains the model.
    forward: CarriedStep | None = None
    #: The step comes later in the iteration that began the period, not in the next one.
    same_iteration: bool = False


@dataclass(eq=False)
class Unit:
    """A function body waiting to be analysed once the code around it has been."""

    node: FunctionNode
    info: FunctionInfo
    top: int
    grad: Grad
    scope: Scope
    #: The enclosing function's eval state where it was defined; None for module-level
    #: functions and methods, which inherit module- and class-wide state instead.
    closure: dict[str, frozenset[EvalPeriod]] | None
    inherited: Inherited | None
    class_info: ClassInfo | None = None

    def merge(self, other: Unit) -> None:
        """The same definition reached again (a loop's second pass): either state may hold."""
        self.grad = self.grad.join(other.grad)
        if self.closure is not None and other.closure is not None:
            for name, periods in other.closure.items():
                self.closure[name] = self.closure.get(name, frozenset()) | periods


class ModuleAnalysis:
    """Analyses one parsed module; :meth:`run` returns the candidates to report."""

    def __init__(
        self,
        module: cst.Module,
        disabling_names: Collection[str] = (),
        tree: ast.Module | None = None,
        values: ModuleValues | None = None,
    ) -> None:
        """``tree`` is the stdlib ``ast`` of the source ``module`` was parsed from (or was
        pruned from: top-level statements line up), for what values tell (:mod:`.values`);
        ``values``, a reading of that same tree already made."""
        self.module = module
        if values is None and tree is not None:
            values = ModuleValues(tree)
        self.values = values
        self.twins = CallTwins(module, tree)
        self._models = self.values.model_names() if self.values is not None else frozenset()
        self.graph_sources: dict[int, GraphSource] = {}
        #: NG002: where graphs of the module's forward calls are kept across iterations.
        self.kept: list[tuple[GraphSource, Kept]] = []
        self.imports = ImportTable()
        self.modes = summaries_of(self.values) if self.values is not None else None
        #: Class name -> its private methods only ``forward`` runs (read on first need).
        self._helpers_of: dict[str, frozenset[str]] | None = None
        #: NG004: eval periods left on for a training step (judged at the end).
        self._left_in_eval: list[LeftInEval] = []
        self.left_in_eval: list[LeftInEval] = []
        self.module_scope = Scope()
        self.scopes = GradScopes(self.imports, disabling_names, self._module_function_node)
        self.candidates: dict[int, Candidate] = {}
        self.functions: list[FunctionInfo] = []
        self._periods: dict[tuple[str, int], EvalPeriod] = {}
        self._pending: dict[int, Unit] = {}
        #: ``id`` of a function -> its ``only_called_closures``, read once.
        self._only_called: dict[int, frozenset[str]] = {}
        #: (``id`` of a function, name) -> the nested function (``def`` or ``f = lambda``)
        #: that name binds there, when it runs only where the function calls it; ``id`` of
        #: such a nested function -> (grad mode, eval state) at each of those calls.
        self._called_closures: dict[tuple[int, str], cst.FunctionDef | cst.Lambda] = {}
        self._closure_calls: dict[int, list[tuple[Grad, dict[str, frozenset[EvalPeriod]]]]] = {}
        self._module_trained: set[str] = set()
        self._module_evals: frozenset[str] = frozenset()
        #: Module-level models' eval periods at the end of the module, for explanations.
        self.module_periods: dict[str, frozenset[EvalPeriod]] = {}
        self._module_frozen: frozenset[str] = frozenset()
        # Where the pass is: the current unit, its scope, class body, top-level statement.
        self._unit: Unit | None = None
        self._scope = self.module_scope
        self._class: ClassInfo | None = None
        self._top = 0
        #: Per loop being run, innermost last: the states its ``continue`` and ``break``
        #: statements leave with, which meet the back edge and the loop's exit.
        self._jumps: list[_LoopJumps] = []
        #: ``id`` of each loop body being run, innermost last.
        self._loop_bodies: list[int] = []
        #: Names some ``global``/``nonlocal`` declares (read on first need, with whether the
        #: module binds ``range``).
        self._declared: frozenset[str] | None = None
        self._range_rebound = False
        self._volatile = False
        self._self_name: str | None = None  # ``self`` in the method being analysed
        self._statement_handlers = self._build_statement_handlers()

    # -- entry point ---------------------------------------------------------------------

    def run(self) -> list[Candidate]:
        state = FlowState()
        for top, statement in enumerate(self.module.body):
            self._top = top
            state = self.run_block((statement,), state)
            if not state.reachable:
                break
        self._module_evals = frozenset(state.evals)
        self.module_periods = dict(state.evals)
        self._module_frozen = state.frozen
        # A module-level ``torch.set_grad_enabled(False)`` holds when its functions are called.
        if state.grad is not Grad.ENABLED:
            for unit in self._pending.values():
                if unit.info.fixed_grad in (None, Grad.ENABLED):
                    unit.info.fixed_grad = unit.grad = Grad.MAYBE
        while self._pending:
            self._analyse(self._pending.pop(next(iter(self._pending))))
        if self.imports.is_other_framework():
            return []
        resolve_entry_grad(self.functions)
        for candidate in self.candidates.values():
            candidate.fate = self._fate(candidate)
        self.kept = self._kept_graphs()
        self.left_in_eval = self._periods_left_in_eval()
        return [c for c in self.candidates.values() if c.is_reported()]

    def _periods_left_in_eval(self) -> list[LeftInEval]:
        """One per eval period, with its first training step."""
        found: dict[int, LeftInEval] = {}
        for leak in self._left_in_eval:
            step = leak.forward
            if step is not None:
                if not step.followed:
                    continue
                if not step.trained:
                    twin = self.twins.of(step.top, step.call)
                    if twin is None or self.values is None:
                        if not step.stepped:
                            continue
                    elif not self.values.fate(twin).consumers:
                        continue  # its output reaches no backward: not a training step
            found.setdefault(id(leak.period), leak)  # met in source order: the first step
        # Two names of one module (``fast = torch.compile(model)``) put in eval mode by one
        # call: one finding, for the name the call was given.
        shown: dict[tuple[int, str], LeftInEval] = {}
        for leak in found.values():
            shown.setdefault((id(leak.period.start), leak.period.shown), leak)
        return list(shown.values())

    def _kept_graphs(self) -> list[tuple[GraphSource, Kept]]:
        found: dict[int, tuple[GraphSource, Kept]] = {}
        for source in self.graph_sources.values():
            if not source.records_graph() or self.values is None:
                continue
            twin = self.twins.of(source.top, source.call)
            if twin is None:
                continue
            for kept in self.values.kept(twin):
                found.setdefault(id(kept.value), (source, kept))
        return list(found.values())

    def _fate(self, candidate: Candidate) -> Fate:
        twin = self.twins.of(candidate.top, candidate.call)
        if twin is None or self.values is None:
            return UNKNOWN
        return self.values.fate(twin)

    def _guards(self, node: cst.CSTNode) -> Guards:
        """The ``if`` conditions ``node`` runs under in its function (none if unknown)."""
        if self.values is None:
            return frozenset()
        twin = self.twins.of(self._top, node)
        return self.values.guards(twin) if twin is not None else frozenset()

    def _training(self, code: GradientCode, call: cst.Call) -> Training | None:
        """Whose parameters the gradient call updates: the model it names, the models the
        optimizer it names was built on, or anyone's when that cannot be read."""
        if code.model is not None:
            return Training(frozenset((code.model,)))
        if code.optimizer is not None:
            if self.values is None:
                return Training(None)
            at = self.twins.of(self._top, call)
            return Training(self.values.optimizer_models(code.optimizer, at))
        return None

    def _module_function_node(self, name: str) -> cst.FunctionDef | None:
        info = self.module_scope.lookup(name)
        return info.node if info is not None and isinstance(info.node, cst.FunctionDef) else None

    def _module_model_holds(self, name: str) -> bool:
        """A module-level model stays in eval mode inside functions if nothing trains it."""
        return not within_any(name, self._module_trained) and name not in self._module_frozen

    def _closure(self, unit: Unit) -> dict[str, frozenset[EvalPeriod]]:
        """The eval state a nested function's body starts from: where it was defined, or,
        for one its enclosing function only calls by name (a ``def``, or a lambda bound to
        a name), what holds at those calls, joined: a model may be in eval mode if it is at
        any of them. The enclosing function has been analysed by now, so every such call
        has been seen."""
        if unit.closure is None:
            return {}
        calls = self._closure_calls.get(id(unit.node))
        if not calls:
            return dict(unit.closure)  # not called here: as it was when defined
        # The body gets one grad mode from all its calls (``resolve_entry_grad``), so the
        # modes of one call must not pair with another call's grad mode, a state no call
        # has. A call with autograd off runs no forward NG001 could report; the others
        # must agree on their grad mode, or the state where it is defined decides.
        live = [(grad, evals) for grad, evals in calls if grad is not Grad.DISABLED]
        if len({grad for grad, _ in live}) > 1:
            return dict(unit.closure)
        joined: dict[str, frozenset[EvalPeriod]] = {}
        for _, evals in live:
            for name, periods in evals.items():
                joined[name] = joined.get(name, frozenset()) | periods
        return joined

    def _defer(self, unit: Unit) -> None:
        known = self._pending.get(id(unit.node))
        if known is None:
            self._pending[id(unit.node)] = unit
        else:
            known.merge(unit)

    def _forward_helpers(self, owner: ClassInfo) -> frozenset[str]:
        if self.values is None:
            return frozenset()
        if self._helpers_of is None:
            self._helpers_of = forward_helpers(self.values.tree)
        return self._helpers_of.get(owner.node.name.value, frozenset())

    def _analyse(self, unit: Unit) -> None:
        node = unit.node
        inherited = unit.inherited
        if inherited is None and unit.closure is None:
            inherited = Inherited(
                node,
                _self_name(node, unit.class_info),
                unit.class_info,
                self._module_evals,
                self._module_model_holds,
            )
            if (
                isinstance(node, cst.FunctionDef)
                and unit.class_info is not None
                and (
                    node.name.value == MODULE_FORWARD
                    or node.name.value in self._forward_helpers(unit.class_info)
                )
            ):
                # ``forward`` runs under its caller's grad mode, and an eval-mode submodule
                # there is usually a frozen feature extractor whose graph a loss needs; so
                # do the private methods only it calls (``self._features(x)``).
                inherited.class_info = None
        state = FlowState(grad=unit.grad, evals=self._closure(unit), inherited=inherited)
        saved = self._unit, self._scope, self._class, self._top, self._volatile, self._self_name
        self._unit, self._scope, self._class, self._top, self._volatile = (
            unit,
            Scope(unit.scope),
            None,
            unit.top,
            False,
        )
        self._self_name = inherited.self_name if inherited is not None else None
        try:
            # A parameter may receive an eval-mode model from every caller: settled at the end.
            source = ParameterSource(unit.info) if unit.info.node is node else None
            for param in _parameter_names(node.params):
                if inherited is None or param != inherited.self_name:
                    state.clear(param)
                    if source is not None:
                        period = EvalPeriod(param, node, inherited=source)
                        state.set_periods(param, frozenset((period,)))
            if isinstance(node, cst.Lambda):
                self.scan(node.body, state)
            else:  # an indented block, or ``def f(): return model(x)`` on one line
                self.run_block(node.body.body, state)
        finally:
            self._unit, self._scope, self._class, self._top, self._volatile, self._self_name = saved

    # -- statements ----------------------------------------------------------------------

    def run_block(self, statements: Sequence[Statement], state: FlowState) -> FlowState:
        for statement in statements:
            if not state.reachable:
                break
            handler = self._statement_handlers.get(type(statement))
            if handler is not None:
                state = handler(statement, state)
            else:
                self._scan_children(statement, state)
        return state

    def _build_statement_handlers(self) -> dict[type, Callable[..., FlowState]]:
        return {
            cst.SimpleStatementLine: self._simple_line,
            cst.SimpleStatementSuite: self._simple_line,
            cst.Expr: self._expr,
            cst.Assign: self._assign,
            cst.AnnAssign: self._ann_assign,
            cst.AugAssign: self._aug_assign,
            cst.Return: self._return,
            cst.Raise: self._raise,
            cst.Break: self._jump,
            cst.Continue: self._jump,
            cst.Del: self._del,
            cst.Import: self._import,
            cst.ImportFrom: self._import,
            cst.If: self._if,
            cst.For: self._for,
            cst.While: self._while,
            cst.With: self._with,
            cst.Try: self._try,
            cst.TryStar: self._try,
            cst.Match: self._match,
            cst.FunctionDef: self._function_def,
            cst.ClassDef: self._class_def,
        }

    def _simple_line(self, line: cst.SimpleStatementLine | cst.SimpleStatementSuite, state):
        return self.run_block(line.body, state)

    def _expr(self, node: cst.Expr, state: FlowState) -> FlowState:
        self.scan(node.value, state)
        return state

    def _assign(self, node: cst.Assign, state: FlowState) -> FlowState:
        named = lambda_binding(node)
        if named is not None:
            self._note_closure(named, cast(cst.Lambda, node.value))
        self.scan(node.value, state)
        self._note_escape(node.value)
        for target in node.targets:
            self.bind(target.target, node.value, state)
        return state

    def _ann_assign(self, node: cst.AnnAssign, state: FlowState) -> FlowState:
        if node.value is not None:
            self.scan(node.value, state)
            self.bind(node.target, node.value, state)
        return state

    def _aug_assign(self, node: cst.AugAssign, state: FlowState) -> FlowState:
        self.scan(node.value, state)
        return state

    def _return(self, node: cst.Return, state: FlowState) -> FlowState:
        if node.value is not None:
            self.scan(node.value, state)
            self._note_escape(node.value)
        state.reachable = False
        return state

    def _raise(self, node: cst.Raise, state: FlowState) -> FlowState:
        self._scan_children(node, state)
        state.reachable = False
        return state

    def _jump(self, node: cst.Continue | cst.Break, state: FlowState) -> FlowState:
        if self._jumps:  # else not in a loop: a syntax error Python reports
            jumps = self._jumps[-1]
            left = jumps.continues if isinstance(node, cst.Continue) else jumps.breaks
            left.append(state.copy())
        state.reachable = False
        return state

    def _del(self, node: cst.Del, state: FlowState) -> FlowState:
        self.bind(node.target, None, state)
        return state

    def _import(self, node: cst.Import | cst.ImportFrom, state: FlowState) -> FlowState:
        self.imports.add(node)
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                name = dotted_name(bound)
                if name:
                    state.clear(name.split(".", 1)[0] if alias.asname is None else name)
        return state

    def _if(self, node: cst.If, state: FlowState) -> FlowState:
        self.scan(node.test, state)
        tested = _training_test(node.test)
        entry = state.copy()
        if tested is not None:  # ``if not model.training: model.train()``
            model, training_when_true = tested
            (entry if training_when_true else state).end_eval(unwrapped(model, self._self_name))
        # ``if epoch == epochs - 1: evaluate(model)``: no training step follows what it begins
        loop = self._jumps[-1] if self._jumps else None
        counting = loop.counting if loop is not None else None
        final = (
            counting is not None
            and last_iteration_test(node.test, counting)
            and self._names_stay_local(counting)
        )
        begun = {p.start for p in entry.active_periods()} if final else set()
        taken = self.run_block(node.body.body, entry)
        if final and loop is not None:
            loop.final_starts.update(
                p.start for p in taken.active_periods() if p.start not in begun
            )
        orelse = node.orelse
        if orelse is None:
            return taken.join(state)
        if isinstance(orelse, cst.If):
            other = self._if(orelse, state.copy())
        else:
            other = self.run_block(orelse.body.body, state.copy())
        return taken.join(other)

    def _names_stay_local(self, loop: CountingLoop) -> bool:
        """No ``global``/``nonlocal`` of the module names the loop's counter or stop (a
        function it calls may change them), and the module leaves ``range`` builtin."""
        if self.values is None:
            return False  # no ``ast`` tree to read the module's declarations off
        if self._declared is None:
            declared: set[str] = set()
            for node in ast.walk(self.values.tree):
                if isinstance(node, (ast.Global, ast.Nonlocal)):
                    declared.update(node.names)
                elif binds_name(node, "range"):
                    self._range_rebound = True
            self._declared = frozenset(declared)
        if self._range_rebound or loop.names & self._declared:
            return False
        return loop.self_attribute is None or not self._set_outside_init(loop.self_attribute)

    def _set_outside_init(self, attribute: str) -> bool:
        """``attribute`` is stored by a method of the class being read other than
        ``__init__`` (or the class cannot be found)."""
        owner = self._owner()
        tree = self.values.tree if self.values is not None else None
        if tree is None or owner is None:
            return True
        found = module_class(tree, owner.node.name.value)
        if found is None:
            return True
        return any(
            _may_store(method, attribute)
            for method in ast.walk(found)
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef))
            and method.name != "__init__"
        )

    def _loop(
        self,
        body: Sequence[Statement],
        state: FlowState,
        header: Callable[[FlowState], None],
        counting: CountingLoop | None = None,
        runs_once: bool = False,
    ):
        """Run a loop body twice: the second pass sees what the first leaves for the next
        iteration. Eval periods that only reach the top of the body around the back edge are
        *carried*: gradient code early in the body belongs to the previous phase
        (train-then-validate), not to them."""
        entry = state
        first = entry.copy()
        header(first)
        self._loop_bodies.append(id(body))
        jumps = _LoopJumps(counting=counting)
        self._jumps.append(jumps)
        try:
            first_pass = self.run_block(body, first)
            # A ``continue`` reaches the back edge as the end of the body does.
            after = _join_all(first_pass, jumps.continues)
            looped = entry.join(after.without_periods_begun_at(jumps.final_starts))
            if not looped.same_as(entry) and len(self._loop_bodies) <= MAX_LOOP_PASSES_DEPTH:
                # Periods carried around an enclosing loop stay carried in this one; calls of
                # the previous iteration are not fed by gradient code of the next one.
                looped.carried = entry.carried | (looped.active_periods() - entry.active_periods())
                looped.open_call_sites = entry.open_call_sites
                header(looped)
                jumps.continues.clear()
                after = _join_all(self.run_block(body, looped), jumps.continues)
        finally:
            self._loop_bodies.pop()
            self._jumps.pop()
        # A loop over a list written out runs its body at least once.
        exit_state = _forget_carried(entry, after if runs_once else entry.join(after))
        exit_state.open_call_sites |= first_pass.open_call_sites  # gradient code after the loop
        return exit_state, [_forget_carried(entry, left) for left in jumps.breaks]

    def _for(self, node: cst.For, state: FlowState) -> FlowState:
        self.scan(node.iter, state)

        def header(s: FlowState) -> None:
            self.bind(node.target, None, s)

        after, breaks = self._loop(
            node.body.body,
            state,
            header,
            counting_loop(node),
            runs_once=_runs_at_least_once(node.iter)
            or self._iterates_a_filled_list(node)
            or _trains_each_of_an_attribute(node),
        )
        frozen = frozen_by_loop(node)
        if frozen is not None:
            self._freeze(frozen, after)
        if node.orelse is not None:
            after = self.run_block(node.orelse.body.body, after)
        return _join_all(after, breaks)  # ``break`` skips ``else``

    def _iterates_a_filled_list(self, node: cst.For) -> bool:
        """``nets = [gen, disc]``, then ``for net in nets:``: a name the function binds only
        to lists or tuples written out, not empty, and reads nowhere but as what a loop runs
        over (so nothing empties it): the loop runs its body at least once."""
        if not isinstance(node.iter, cst.Name) or self.values is None:
            return False
        twin = self.twins.of(self._top, node.body)  # the first call in the body
        function = self.values.function_of(twin) if twin is not None else None
        name = node.iter.value
        if function is None or name in function.outer or name in function.parameters():
            return False
        bindings = [b for b in function.bindings if name in b.names]
        if not bindings or not all(_runs_at_least_once_ast(b.value) for b in bindings):
            return False
        # A module-level name, any function may empty; a function's, itself and the
        # functions nested in it (``iterables`` covers both).
        iterables = function.iterables()
        return not any(
            isinstance(n, ast.Name)
            and n.id == name
            and isinstance(n.ctx, ast.Load)
            and id(n) not in iterables
            for n in ast.walk(function.node)
        )  # read as a value, the list may be emptied

    def _while(self, node: cst.While, state: FlowState) -> FlowState:
        self.scan(node.test, state)
        after, breaks = self._loop(node.body.body, state, lambda s: self.scan(node.test, s))
        if node.orelse is not None:
            after = self.run_block(node.orelse.body.body, after)
        return _join_all(after, breaks)  # ``break`` skips ``else``

    def _with(self, node: cst.With, state: FlowState) -> FlowState:
        outer_grad = state.grad
        inner_grad = outer_grad
        for item in node.items:
            effect = self.scopes.context_effect(item.item)
            if effect is not None:
                inner_grad = _GRAD_OF_EFFECT[effect]
                if isinstance(item.item, cst.Call):
                    # ``with inference(model):`` over ``model.eval(); with no_grad(): yield``:
                    # what the module's context manager does to the model's mode still holds
                    self._mode_effects(item.item, state)
            else:
                self.scan(item.item, state)
            if item.asname is not None:
                self.bind(item.asname.name, None, state)
        state.grad = inner_grad
        jumps = self._jumps[-1] if self._jumps else _LoopJumps()
        mark = jumps.mark()
        state = self.run_block(node.body.body, state)
        if state.reachable:
            state.grad = outer_grad
        for left in jumps.since(mark):  # a ``continue`` or ``break`` leaves the scope as well
            left.grad = outer_grad
        return state

    def _try(self, node: cst.Try | cst.TryStar, state: FlowState) -> FlowState:
        # A ``continue`` or ``break`` out of the ``try`` runs its ``finally`` first, which may
        # restore a mode: such paths are left out (as before jumps were followed) rather than
        # taken without it.
        jumps = self._jumps[-1] if self._jumps and node.finalbody is not None else None
        mark = jumps.mark() if jumps is not None else (0, 0)
        before = state.copy()
        after_body = self.run_block(node.body.body, state)
        # An exception may leave from anywhere in the body.
        raised = before.join(after_body)
        ends = [
            self.run_block(node.orelse.body.body, after_body)
            if node.orelse is not None
            else after_body
        ]
        for handler in node.handlers:
            handled = raised.copy()
            if handler.type is not None:
                self.scan(handler.type, handled)
            if handler.name is not None:
                self.bind(handler.name.name, None, handled)
            ends.append(self.run_block(handler.body.body, handled))
        after = ends[0]
        for end in ends[1:]:
            after = after.join(end)
        if node.finalbody is not None:
            was_reachable = after.reachable
            after.reachable = True
            after = self.run_block(node.finalbody.body.body, after)
            after.reachable = after.reachable and was_reachable
        if jumps is not None:
            jumps.drop_since(mark)
        return after

    def _match(self, node: cst.Match, state: FlowState) -> FlowState:
        self.scan(node.subject, state)
        after = state.copy()  # no case matched
        for case in node.cases:
            branch = state.copy()
            if case.guard is not None:
                self.scan(case.guard, branch)
            after = after.join(self.run_block(case.body.body, branch))
        return after

    def _function_def(self, node: cst.FunctionDef, state: FlowState) -> FlowState:
        info = FunctionInfo(node)
        info.fixed_grad = self._decorated_grad(node, state)
        in_function = self._unit is not None
        if info.fixed_grad is None:
            if (
                self._class is not None
                and self._class.lightning
                and node.name.value in LIGHTNING_NO_GRAD_HOOKS
            ):
                info.fixed_grad = Grad.DISABLED  # Lightning runs these under no_grad
            elif in_function and state.grad in (Grad.DISABLED, Grad.MAYBE):
                info.fixed_grad = state.grad  # nested in a no_grad scope: inherits it
        self.functions.append(info)
        self._note_closure(node.name.value, node)
        unit = Unit(
            node,
            info,
            self._top,
            info.entry_grad(),
            self._scope,
            closure=dict(state.evals) if in_function else None,
            inherited=state.inherited if in_function else None,
            class_info=self._class,
        )
        if self._class is not None:
            self._class.methods[node.name.value] = info
        else:
            self._scope.functions[node.name.value] = info
        self._defer(unit)
        state.clear(node.name.value)
        return state

    def _decorated_grad(self, node: cst.FunctionDef, state: FlowState) -> Grad | None:
        """The grad mode decorators impose: torch's or a custom no-grad wrapper's, or
        ENABLED for a decorator that hands the function to a framework (``@app.route``)
        whose grad mode we cannot see; None when call sites in this module decide."""
        grad: Grad | None = None
        for decorator in node.decorators:
            expr = decorator.decorator
            effect = self.scopes.context_effect(expr)
            if effect is not None:
                if node.asynchronous is None or GRAD_DECORATORS_REACH_COROUTINES:
                    grad = _GRAD_OF_EFFECT[effect]
                continue  # the coroutine it returns runs in its awaiter's mode
            self.scan(expr, state)
            target = expr.func if isinstance(expr, cst.Call) else expr
            name = dotted_name(target)
            if (
                grad is None
                and name is not None
                and not _is_transparent(name, self.imports.resolve(target))
            ):
                grad = Grad.ENABLED
        return grad

    def _class_def(self, node: cst.ClassDef, state: FlowState) -> FlowState:
        for decorator in node.decorators:
            self.scan(decorator.decorator, state)
        info = ClassInfo(
            node, lightning=any(self._is_lightning_base(arg.value) for arg in node.bases)
        )
        for arg in node.bases:
            self.scan(arg.value, state)
        self._scope.classes[node.name.value] = info
        # The class body runs now, in its own namespace, which its methods cannot see.
        body_state = FlowState(grad=state.grad, evals=dict(state.evals), inherited=state.inherited)
        saved = self._class
        self._class = info
        try:
            self.run_block(node.body.body, body_state)
        finally:
            self._class = saved
        state.clear(node.name.value)
        return state

    def _is_lightning_base(self, base: cst.BaseExpression) -> bool:
        name = dotted_name(base)
        if name is None:
            return False
        local = self._scope.lookup_class(name)
        if local is not None:
            return local.lightning
        qualified = self.imports.resolve(base)
        if qualified is None:
            return name == "LightningModule"
        return (
            qualified.split(".", 1)[0] in LIGHTNING_PACKAGES
            and qualified.rsplit(".", 1)[-1] in LIGHTNING_BASES
        )

    # -- bindings ------------------------------------------------------------------------

    def bind(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        state: FlowState,
    ) -> None:
        """``target = value``: an eval chain, or another name for an eval-mode model, makes
        the target an eval-mode model; anything else ends whatever the target's old value was."""
        if isinstance(target, (cst.Tuple, cst.List)):
            # ``model, info = X.from_pretrained(..., output_loading_info=True)``: model first
            first = value if value is not None and _returns_model_first(value) else None
            # ``model, loss = test(model, ...)``: the module's function hands its argument back
            starred = next(
                (i for i, e in enumerate(target.elements) if isinstance(e, cst.StarredElement)),
                len(target.elements),
            )  # the positions from ``*rest`` on are unknown
            returned = {
                position: state.periods_of(name)
                for position, name in self._returned_arguments(value).items()
                if position < starred
            }
            for index, element in enumerate(target.elements):
                periods = returned.get(index)
                name = dotted_name(element.value) if periods else None
                if name is None:
                    self.bind(element.value, first if index == 0 else None, state)
                    continue
                state.clear(name)
                state.set_periods(name, periods)  # type: ignore[arg-type]
            return
        if isinstance(target, cst.StarredElement):
            self.bind(target.value, None, state)
            return
        name = dotted_name(target)
        if name is None:
            return
        if name.endswith(".requires_grad") and value is not None and literal_bool(value) is True:
            state.mark_grad_intent(
                self._guards(value), preparation=True
            )  # ``x.requires_grad = True``
        if name == "torch":
            self.imports.forget(name)
        periods = self._eval_periods_of_value(name, value, state) if value is not None else None
        state.clear(name)
        if periods:
            state.set_periods(name, periods)
            # A period this very value begins (``m = Net().eval()``) is this iteration's.
            state.carried = state.carried - {p for p in periods if p.start is value}
            local = [period for period in periods if period.inherited is None]
            if local:
                # A class fact only from a real eval call: ``self.f = self.g`` merely aliases
                # whatever ``self.g`` turns out to be.
                self._note_eval(name, local[0])
        if value is not None and (chain_of(value).frozen or self._frozen_instance(value)):
            self._freeze(name, state)  # any model: NG002 follows the unfrozen ones too

    def _frozen_instance(self, value: cst.BaseExpression) -> bool:
        """``Net(...)`` of a class of this module whose calls are never reported: its
        ``__init__`` freezes all of its parameters (``self.requires_grad_(False)``, or a loop
        over ``self.parameters()``), or its ``forward`` differentiates (``register_hook``,
        ``torch.autograd.grad``, ``backward``), which under ``no_grad`` would raise."""
        base = chain_of(value).base
        if not (isinstance(base, cst.Call) and isinstance(base.func, cst.Name)):
            return False
        owner = self._scope.lookup_class(base.func.value)
        if owner is None:
            return False
        init, forward = owner.methods.get("__init__"), owner.methods.get(MODULE_FORWARD)
        if forward is not None and self._differentiates(forward.node):
            return True
        if init is None or not isinstance(init.node, cst.FunctionDef):
            return False
        self_name = _self_name(init.node, owner)
        return self_name is not None and any(
            _freezes_whole(statement, self_name) for statement in init.node.body.body
        )

    def _differentiates(self, node: FunctionNode) -> bool:
        """A call in ``node`` consumes a graph (``catalog.GRAPH_CONSUMING_*``)."""
        for call in _calls_in(node):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in GRAPH_CONSUMING_METHODS:
                return True
            if self.imports.resolve(func) in GRAPH_CONSUMING_FUNCTIONS:
                return True
        return False

    def _eval_periods_of_value(
        self, target: str, value: cst.BaseExpression, state: FlowState
    ) -> frozenset[EvalPeriod] | None:
        chain = chain_of(value)
        if chain.mode is Mode.EVAL:
            return frozenset((self._period(target, value),))
        if chain.mode is Mode.TRAIN:
            return None
        if _is_eval_copy(chain.base):  # ``script = model.to_torchscript()``
            return frozenset((self._period(target, value),))
        source = dotted_name(chain.base)
        if source is None:  # ``model.layers[0]``, ``next(model.children())``
            source = _submodule_owner(chain.base)
        if source is not None:  # ``net = model``, ``model = model.to(device)``
            periods = state.periods_of(source)
            whole, _, part = source.rpartition(".")
            if periods is None and whole and may_be_submodule(part):  # ``enc = model.encoder``
                periods = state.periods_of(whole)
            return periods
        returned = self._returned_arguments(chain.base).get(WHOLE)
        if returned is not None:  # ``model = train(model, ...)``, which returns its argument
            return state.periods_of(returned)
        wrapped = self._wrapped_model(chain.base)
        return self._eval_periods_of_value(target, wrapped, state) if wrapped is not None else None

    def _returned_arguments(self, value: cst.BaseExpression | None) -> dict[int, str]:
        """Position in the returned value (``WHOLE``: the value itself) -> the caller's name
        for the argument that a call of the module's function hands back as it was given
        (``ModeSummary.returns``)."""
        if not isinstance(value, cst.Call) or self.modes is None:
            return {}
        key = self._summary_key(value.func)
        if key is None or self._calls_a_local(value):
            return {}
        summary = self.modes.of(*key)
        twin = self.twins.of(self._top, value) if summary.returns else None
        if twin is None:
            return {}
        names = self.modes.caller_names(key, twin, self._self_name)
        found = {position: names(parameter) for position, parameter in summary.returns}
        return {position: name for position, name in found.items() if name is not None}

    def _wrapped_model(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """``model`` in ``torch.compile(model)``, ``DataParallel(model, ...)``,
        ``accelerator.unwrap_model(model)``: calls that return the same module, or one in
        the same mode."""
        if not isinstance(expr, cst.Call) or not expr.args:
            return None
        qualified = self.imports.resolve(expr.func)
        name = dotted_name(expr.func)
        if qualified not in EVAL_PRESERVING_WRAPPERS and (
            name is None or name.rsplit(".", 1)[-1] not in EVAL_PRESERVING_WRAPPER_NAMES
        ):
            return None
        for arg in expr.args:
            if arg.keyword is None and not arg.star:
                return arg.value
            if arg.keyword is not None and arg.keyword.value in WRAPPED_MODULE_KEYWORDS:
                return arg.value
        return None

    def _period(self, model: str, start: cst.CSTNode, named: str | None = None) -> EvalPeriod:
        """The same eval call starts the same period on every pass over a loop body;
        ``named`` is the name the call was given, where ``model`` is another for it."""
        key = (model, id(start))
        period = self._periods.get(key)
        if period is None:
            period = EvalPeriod(model, start, top=self._top, guards=self._guards(start))
            period.named = named if named != model else None
            self._periods[key] = period
        return period

    # -- facts for class- and module-wide state ------------------------------------------

    def _self_attribute(self, name: str) -> str | None:
        """``"model"`` for ``self.model`` in the method being analysed."""
        if self._self_name is None or not name.startswith(self._self_name + "."):
            return None
        return name[len(self._self_name) + 1 :]

    def _owner(self) -> ClassInfo | None:
        return self._unit.class_info if self._unit is not None else None

    def _note_eval(self, name: str, period: EvalPeriod) -> None:
        attr, owner = self._self_attribute(name), self._owner()
        if attr is not None and owner is not None:
            owner.eval_attrs.add(attr)
            owner.eval_origins.setdefault(attr, period)

    def _note_train(self, name: str) -> None:
        attr, owner = self._self_attribute(name), self._owner()
        if owner is not None and self._self_name is not None and name == self._self_name:
            owner.trains_itself = True
        elif attr is not None and owner is not None:
            owner.trained_attrs.add(attr)
        elif self._unit is not None:
            self._module_trained.add(name)

    def _freeze(self, name: str, state: FlowState) -> None:
        state.frozen = state.frozen | {name}
        attr, owner = self._self_attribute(name), self._owner()
        if attr is not None and owner is not None:
            owner.frozen_attrs.add(attr)

    # -- expressions ---------------------------------------------------------------------

    def scan(self, expr: cst.CSTNode, state: FlowState) -> None:
        """Visit the calls in ``expr`` in evaluation order (a call after its callee and
        arguments, so ``model.eval().train()`` ends in train mode), without recursion, so
        that a 1,000-deep expression costs no Python stack."""
        stack: list[tuple[cst.CSTNode, bool]] = [(expr, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                self._call(cast(cst.Call, node), state)  # only calls are pushed back
                continue
            kind = type(node)  # not ``isinstance``: LibCST's node classes check through ``ABCMeta``
            if kind is cst.Lambda:
                self._lambda(cast(cst.Lambda, node), state)
                continue
            if kind is cst.NamedExpr:
                named = cast(cst.NamedExpr, node)
                self.scan(named.value, state)
                self.bind(named.target, named.value, state)
                continue
            if kind is cst.Call:
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(child_nodes(node))))

    def _lambda(self, node: cst.Lambda, state: FlowState) -> None:
        # Runs later, usually right away (``key=``), with the state it closes over and the
        # grad mode it is written in; it shares the enclosing function's call sites.
        info = (
            self._unit.info if self._unit is not None else FunctionInfo(node, fixed_grad=state.grad)
        )
        closure = dict(state.evals)
        self._defer(
            Unit(
                node,
                info,
                self._top,
                state.grad,
                self._scope,
                closure,
                state.inherited,
                self._owner(),
            )
        )

    def _scan_children(self, node: cst.CSTNode, state: FlowState) -> None:
        for child in child_nodes(node):
            self.scan(child, state)

    def _call(self, call: cst.Call, state: FlowState) -> None:
        effect = self.scopes.setter_effect(call)
        if effect is not None:
            state.grad = _GRAD_OF_EFFECT[effect]
            return
        code = gradient_code(call, self.imports)
        if code is not None:
            state.mark_grad_intent(self._guards(call), self._training(code, call), code.preparation)
        chain = chain_of(call)
        receiver = dotted_name(chain.base) if chain.mode is not None or chain.frozen else None
        if receiver is not None and not self._runs_own_method(call):
            if chain.mode is not None:
                receiver = unwrapped(receiver, self._self_name)
            if chain.mode is Mode.EVAL:
                for same in self._same_object(receiver, call):
                    period = self._period(same, call, receiver)
                    state.set_eval(same, period)
                    self._note_eval(same, period)
            elif chain.mode is Mode.TRAIN:
                reached = self._models_a_loop_target_holds(call, receiver)
                for model in reached if reached is not None else [receiver]:
                    for same in self._same_object(model, call, train=True):
                        state.end_eval(same)
                if reached == []:
                    state.end_every_eval()
                self._note_train(receiver)
            if chain.frozen:
                self._freeze(receiver, state)
            return
        if chain.mode is Mode.TRAIN and _unnamed_receiver(chain.base):
            # ``models["g"].train()``, ``unwrap(model).train()``: any model the function
            # holds may be the one; ending every period can only hide a finding.
            state.end_every_eval()
            return
        if _is_unfreezing(call):
            name = dotted_name(cast(cst.Attribute, call.func).value)
            if name is not None:
                state.frozen = frozenset(k for k in state.frozen if k != name)
        if _is_volatile_variable(call):
            self._volatile = True
        self._note_call_site(call, state)
        self._visit_modules(call, state)
        self._dispatched(call, state)
        self._mode_effects(call, state)
        self._forward(call, state)
        self._graph_source(call, state)

    def _overrides(
        self, key: tuple[str | None, str], call: cst.Call, caller_self: str | None, state: FlowState
    ) -> None:
        """``self.validate()``, ``self.on_epoch_start()`` or ``self.train_epoch(loader)`` that
        a subclass of the module overrides (``ClassHierarchy.overrides``), for an object of
        a subclass that runs the method being read: the call may put the model in train
        mode, as an override with ``self.model.train()`` does (ending a period can only hide
        a finding); and, where the class leaves the method to its subclasses
        (``ClassHierarchy.hook_overrides``), may train it, as an override with a training
        step does (beginning a period from an override could invent a finding: that is not
        read)."""
        owner, name = key
        current = self._owner()
        if (
            self.modes is None
            or owner is None
            or current is None
            or self._self_name is None
            or not isinstance(call.func, cst.Attribute)
            or dotted_name(call.func.value) != self._self_name
        ):
            return
        classes = self.modes.classes
        here = current.node.name.value
        unit = self._unit.node if self._unit is not None else None
        method = (
            unit.name.value
            if isinstance(unit, cst.FunctionDef)
            and current.methods.get(unit.name.value) is not None
            and current.methods[unit.name.value].node is unit
            else None
        )
        hooks = set(classes.hook_overrides(owner, name))
        twin = None
        for subclass in classes.overrides(owner, name):
            if subclass != here and here not in classes.ancestors(subclass):
                continue  # a sibling's: it never runs this class's code
            if method is not None and not classes.runs_method_of(subclass, method, here):
                continue  # ``fit`` of its own: it never runs this one
            if twin is None and self.modes.branches_on_parameters((subclass, name)):
                twin = self.twins.of(self._top, call)
            summary = (
                self.modes.of_call((subclass, name), twin)
                if twin is not None
                else self.modes.of(subclass, name)
            )
            trains = summary.trains if subclass in hooks else frozenset()
            if not (summary.leaves_train or trains):
                continue
            twin = twin or self.twins.of(self._top, call)
            if twin is None:
                return
            names = self.modes.caller_names((subclass, name), twin, caller_self)
            if trains:
                self._summary_effects(
                    call, NOTHING._replace(trains=trains), names, caller_self, state
                )
            self._leave_train(summary.leaves_train, names, call, state)

    def _visit_modules(self, call: cst.Call, state: FlowState) -> None:
        """``model.apply(set_train)``: a function run on every module of the model that may
        put one in train mode ends the model's eval periods (ending one can only hide a
        finding, so a function the analysis cannot read counts as one that may)."""
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == MODULE_VISITOR_METHOD
            and len(call.args) == 1
            and not call.args[0].star
        ):
            return
        receiver = dotted_name(chain_of(func.value).base)
        if receiver is None or not self._may_train(call.args[0].value):
            return
        for same in self._same_object(unwrapped(receiver, self._self_name), call, train=True):
            state.end_eval(same)

    def _dispatched(self, call: cst.Call, state: FlowState) -> None:
        """``getattr(self, hook)()`` (``catalog.METHOD_BY_NAME``): a method of the class
        that may put the object, or what it is handed, back in train mode
        (``ModeSummaries.dispatch_may_train``; ending a period can only hide a finding)."""
        if not isinstance(call.func, cst.Call) or self.modes is None:
            return  # the common case first: every call of the module passes here
        owner = self._owner()
        if owner is None:
            return
        twin = self.twins.of(self._top, call)
        if twin is None or not self.modes.dispatch_may_train(
            twin, owner.node.name.value, self._self_name
        ):
            return
        for name in (cast(str, self._self_name), *handed_names(twin, None)):
            for same in self._same_object(unwrapped(name, self._self_name), call, train=True):
                state.end_eval(same)

    def _may_train(self, function: cst.BaseExpression) -> bool:
        """A function handed to ``apply`` that may put its module in train mode: a lambda
        or a function of the module that calls ``train()``, or any other."""
        if isinstance(function, cst.Lambda):  # ``lambda m: m.train()``, ``lambda m: f(m)``
            return any(
                chain_of(call).mode is Mode.TRAIN
                or (isinstance(call.func, cst.Name) and self._trains(call.func) is True)
                for call in _calls_in(function.body)
            )
        return self._trains(function) is not False

    def _trains(self, func: cst.BaseExpression) -> bool | None:
        """Whether the function of the module ``func`` names puts something in train mode
        (its summary's ``leaves_train``); None when it names none the analysis reads."""
        key = self._summary_key(func) if self.modes is not None else None
        return None if key is None or self.modes is None else bool(self.modes.of(*key).leaves_train)

    def _leave_train(
        self,
        receivers: Collection[str],
        caller_names: Callable[[str], str | None],
        call: cst.Call,
        state: FlowState,
    ) -> None:
        """A callee leaves ``receivers`` (its own names, ``caller_names`` turns them into the
        caller's) in train mode: their eval periods, and their other names', end."""
        for receiver in receivers:
            model = caller_names(receiver)
            if model is None:
                continue
            for same in self._same_object(unwrapped(model, self._self_name), call, train=True):
                state.end_eval(same)

    def _models_a_loop_target_holds(self, call: cst.Call, receiver: str) -> list[str] | None:
        """``for net in [gen, disc]: net.train()``: the models the loop target ``receiver``
        takes in turn (:mod:`.loop_targets`), None when ``receiver`` is no loop target."""
        values = self.values
        twin = self.twins.of(self._top, call) if values is not None else None
        if values is None or twin is None or "." in receiver:
            return None
        function = values.function_of(twin)
        return None if function is None else models_a_loop_target_holds(twin, function)

    def _note_closure(self, name: str, node: cst.FunctionDef | cst.Lambda) -> None:
        """A nested function that ``name`` binds: if the function around it only ever calls
        it by that name, its body runs at those calls (``_closure``)."""
        parent = self._unit.node if self._unit is not None else None
        if not isinstance(parent, cst.FunctionDef) or self._class is not None:
            return
        only = self._only_called.get(id(parent))
        if only is None:
            only = self._only_called[id(parent)] = only_called_closures(parent)
        if name in only:
            self._called_closures[(id(parent), name)] = node
            self._closure_calls.setdefault(id(node), [])

    def _note_call_site(self, call: cst.Call, state: FlowState) -> None:
        for arg in call.args:
            self._note_escape(arg.value)
        if isinstance(call.func, cst.Name) and self._unit is not None:
            closure = self._called_closures.get((id(self._unit.node), call.func.value))
            if closure is not None:
                self._closure_calls[id(closure)].append((state.grad, dict(state.evals)))
        callee = self._local_function(call.func)
        if callee is not None:
            caller = (
                self._unit.info if self._unit is not None and state.grad is Grad.ENTRY else None
            )
            site = CallSite(state.grad, caller, self._eval_arguments(callee, call, state))
            callee.sites.append(site)
            if state.grad in (Grad.ENABLED, Grad.ENTRY):
                state.open_call_sites = state.open_call_sites | {site}

    def _mode_effects(self, call: cst.Call, state: FlowState) -> None:
        """NG004: a call of the module's function that trains a model carried in eval mode
        around the loop, or that leaves a model in eval mode (:mod:`.mode_summaries`)."""
        if self.modes is None:
            return
        if isinstance(call.func, cst.Name) and self._nested_mode_effects(call, state):
            return
        key = self._summary_key(call.func)
        if key is not None and self._calls_a_local(call):
            return
        caller_self = self._self_name
        twin = None
        owner_class = self._owner()
        if (
            key is None
            and owner_class is not None
            and caller_self is not None
            and isinstance(call.func, cst.Attribute)
            and dotted_name(call.func.value) == caller_self
        ):
            # ``self.train_epoch(loader)`` that only subclasses of the module define
            self._overrides(
                (owner_class.node.name.value, call.func.attr.value), call, caller_self, state
            )
            return
        if (
            key is None
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in self.modes.classes.method_names()
        ):
            # ``model.evaluate(loader)``, ``model = Net()``: the method of the module's class,
            # whose ``self`` is ``model``.
            twin = self.twins.of(self._top, call)
            owner = self.modes.instance_class(twin) if twin is not None else None
            if owner is None:
                return
            key, caller_self = (owner, call.func.attr.value), dotted_name(call.func.value)
        if key is None:
            return
        # ``run_epoch(model, loader, train=False)``: the arms its literals decide
        if twin is None and self.modes.branches_on_parameters(key):
            twin = self.twins.of(self._top, call)
        summary = self.modes.of_call(key, twin) if twin is not None else self.modes.of(*key)
        names = None
        if _has_mode_effects(summary):
            twin = twin or self.twins.of(self._top, call)
            names = self.modes.caller_names(key, twin, caller_self) if twin is not None else None
        self._summary_effects(call, summary, names, caller_self, state)
        self._overrides(key, call, caller_self, state)  # after: an override may restore

    def _nested_mode_effects(self, call: cst.Call, state: FlowState) -> bool:
        """``evaluate(val_loader)`` of a ``def evaluate`` nested in a function around it
        (``ModeSummaries.nested_callee``): the variables it reads are the caller's. False
        when ``call`` calls no such function."""
        assert self.modes is not None
        twin = self.twins.of(self._top, call)
        nested = self.modes.nested_callee(twin) if twin is not None else None
        if twin is None or nested is None:
            return False
        definition, enclosing = nested
        names = self.modes.nested_caller_names(definition, twin, self._self_name)
        summary = self.modes.of_nested(definition, enclosing, call=twin)
        self._summary_effects(call, summary, names, self._self_name, state)
        return True

    def _summary_effects(
        self,
        call: cst.Call,
        summary: ModeSummary,
        caller_names: Callable[[str], str | None] | None,
        caller_self: str | None,
        state: FlowState,
    ) -> None:
        """What a call of a summarised function does to the modes the flow tracks;
        ``caller_names`` maps its receivers onto the caller's names (None: the call's
        ``ast`` twin was not found, and no receiver can be named)."""
        if summary.steps:  # ``optimizer_step(loss, optimizer)``: its backward runs here
            state.mark_steps_followed()
        if caller_names is None or not _has_mode_effects(summary):
            return

        def names(receiver: str) -> str | None:
            model = caller_names(receiver)
            return unwrapped(model, self._self_name) if model is not None else None

        for receiver in summary.trains:
            model = names(receiver)
            periods = state.evals.get(model, frozenset()) if model is not None else frozenset()
            leading = self._validated_first(periods, state)
            if _begun_here(periods) - leading <= state.carried:  # not so on the loop's entry
                for period in (periods & state.carried) | leading:
                    if self._reportable_period(period) and not self._other_arm(period, call):
                        self._left_in_eval.append(
                            LeftInEval(period, call, self._top, same_iteration=period in leading)
                        )
        for receiver in summary.hands_back:  # ``loss = compute_loss(model, batch)``
            model = names(receiver)
            if model is not None:
                self._carried_step(call, model, state.evals.get(model, frozenset()), state)
        self._leave_train(summary.leaves_train, caller_names, call, state)
        for receiver in summary.leaves_eval:
            model = names(receiver)
            if model is None:
                continue
            # ``model = self.model`` before the call: ``model`` is left in eval mode as well.
            whole = is_whole_model(model, caller_self)
            for name in self._same_object(model, call):
                period = self._period(name, call, model)
                period.via_call = True
                period.whole = whole
                if (
                    self._loop_bodies
                    and receiver in summary.validates
                    and receiver not in summary.may_train
                ):
                    # a validation helper: it runs the model in eval mode and never
                    # switches it to train mode
                    period.validated_in = self._loop_bodies[-1]
                # NG001 keeps judging by the eval calls it saw: the helper's period joins them.
                state.set_periods(name, state.evals.get(name, frozenset()) | {period})
                state.carried = state.carried - {period}

    def _runs_own_method(self, call: cst.Call) -> bool:
        """``self.train(loader)`` calls the class's own ``train`` (``ModeSummaries``)."""
        owner = self._owner()
        if owner is None or self.modes is None or not isinstance(call.func, cst.Attribute):
            return False
        twin = self.twins.of(self._top, call)
        return twin is not None and self.modes.runs_own_method(
            twin, owner.node.name.value, self._self_name
        )

    def _same_object(self, name: str, call: cst.Call, train: bool = False) -> list[str]:
        """``name`` and the other names the function around ``call`` binds to the same
        object (``model = self.model``: ``ModeSummaries.aliases_at``), which a mode setter
        of either puts in the same mode; for ``train``, the models it keeps too
        (``ModeSummaries.train_reaches``)."""
        twin = self.twins.of(self._top, call) if self.modes is not None else None
        if twin is None:
            return [name]
        if train:
            return self.modes.train_reaches(twin, name)  # type: ignore[union-attr]
        return self.modes.same_object(twin, name)  # type: ignore[union-attr]

    def _validated_first(
        self, periods: frozenset[EvalPeriod], state: FlowState
    ) -> frozenset[EvalPeriod]:
        """NG004: the periods begun earlier in this iteration of a loop the step is in, by a
        call of a function that runs the model in eval mode and never puts it in train mode
        (``evaluate(model)`` at the top of each epoch, before ``train_one_epoch(model)``): a
        validation phase, not eval mode chosen for the loop, as a bare ``model.eval()`` or a
        helper that only freezes the model (``freeze(backbone)``) may choose it, nor a call
        of a toggle (``net_mode(train=True)``) that the summary, reading its branches in
        order, takes for an eval call."""
        return frozenset(
            p for p in _begun_here(periods) - state.carried if p.validated_in in self._loop_bodies
        )

    def _reportable_period(self, period: EvalPeriod) -> bool:
        """Begun in this function by an eval call of a whole model, or a call of a function
        of the module that leaves it in eval mode (NG004): not by loading a model."""
        start = period.start
        if period.inherited is not None:
            return False
        if period.via_call:
            return period.whole
        return (
            isinstance(start, cst.Call)
            and chain_of(start).mode is Mode.EVAL
            and is_whole_model(period.model, self._self_name)
        )

    def _other_arm(self, period: EvalPeriod, step: cst.Call) -> bool:
        """NG004: the eval call and the training step ``step`` sit in opposite arms of an
        ``if`` whose test no pass through the function changes (``if loader is None: ...
        else: ...`` on a parameter, ``FunctionValues.invariant``): every iteration takes the
        same arm, so the one's eval mode never reaches the other."""
        if not period.guards or self.values is None:
            return False
        twin = self.twins.of(self._top, step)
        function = self.values.function_of(twin) if twin is not None else None
        if twin is None or function is None:
            return False
        guards = self.values.guards(twin)
        return any(
            (test, not arm) in guards and function.invariant(test) for test, arm in period.guards
        )

    def _calls_a_local(self, call: cst.Call) -> bool:
        """``evaluate(model)`` where the function binds ``evaluate`` itself (a parameter, an
        assignment): not the module's function, nor the one it imports."""
        if not isinstance(call.func, cst.Name) or self.modes is None:
            return False
        twin = self.twins.of(self._top, call)
        return twin is not None and self.modes.calls_a_local(twin)

    def _summary_key(self, func: cst.BaseExpression) -> tuple[str | None, str] | None:
        """(class, name) of the module-level function (or function imported from a module
        beside this one), or method of the class being read called on ``self``, that
        ``func`` names."""
        if isinstance(func, cst.Name):
            function = self.module_scope.lookup(func.value)
            imported = self.modes is not None and self.modes.imported.imports(func.value)
            return (None, func.value) if function is not None or imported else None
        owner = self._owner()
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and owner is not None
            and func.value.value == self._self_name
        ):
            if func.attr.value in owner.methods:
                return (owner.node.name.value, func.attr.value)
            base = (
                self.modes.classes.inherited_from(owner.node.name.value, func.attr.value)
                if self.modes is not None
                else None
            )
            if base is not None:  # ``self.validate()`` of a base class of the module
                return (base, func.attr.value)
        if (
            isinstance(func, cst.Attribute)
            and owner is not None
            and self.modes is not None
            and _is_super(func.value, owner.node.name.value, self._self_name)
        ):  # ``super().validate(loader)``: the base class's method
            base = self.modes.classes.super_method(owner.node.name.value, func.attr.value)
            return (base, func.attr.value) if base is not None else None
        name = dotted_name(func)  # ``util.evaluate`` after ``import util``
        if name is not None and name.count(".") == 1 and self.modes is not None:
            return (None, name) if self.modes.imported.imports(name) else None
        return None

    def _eval_arguments(self, callee: FunctionInfo, call: cst.Call, state: FlowState) -> dict:
        """Parameter -> eval periods, for the eval-mode models a call hands to ``callee``."""
        through_self = not _is_static(callee.node) and (
            isinstance(call.func, cst.Attribute) or _is_constructor(callee.node)
        )
        arguments = {}
        for param, value in bound_arguments(callee, call, through_self):
            chain = chain_of(value)  # ``f(net.eval())`` hands over ``net`` in eval mode
            model = dotted_name(chain.base)
            if (
                chain.mode is Mode.TRAIN
                or chain.frozen
                or (model is not None and within_any(model, state.frozen))
            ):
                continue
            periods = (
                state.periods_of(model)
                if model is not None
                else self._eval_periods_of_value(param, value, state)
            )
            if periods:
                arguments[param] = periods
        return arguments

    def _note_escape(self, value: cst.BaseExpression) -> None:
        """A function passed or stored as a value is called by someone we cannot see."""
        if isinstance(value, (cst.Name, cst.Attribute)):
            callee = self._local_function(value)
            if callee is not None:
                callee.escapes = True

    def _local_function(self, func: cst.BaseExpression) -> FunctionInfo | None:
        """The function or method (``self.helper``) of this module that ``func`` names; for a
        class of this module (``Predictor(model)``), its ``__init__``."""
        if isinstance(func, cst.Name):
            function = self._scope.lookup(func.value)
            if function is not None:
                return function
            owner = self._scope.lookup_class(func.value)
            return owner.methods.get("__init__") if owner is not None else None
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and self._unit is not None
            and self._unit.class_info is not None
            and func.value.value == self._self_name
        ):
            return self._unit.class_info.methods.get(func.attr.value)
        return None

    def _graph_source(self, call: cst.Call, state: FlowState) -> None:
        if not self._models or state.grad not in (Grad.ENABLED, Grad.ENTRY):
            return
        model = _model_of(call, self._models)
        if model is None or within_any(model, state.frozen):
            return
        source = self.graph_sources.get(id(call))
        if source is None:
            function = self._unit.info if self._unit is not None else None
            source = self.graph_sources[id(call)] = GraphSource(
                call, model, self._top, function, state.inherited
            )
        source.certainly_enabled |= state.grad is Grad.ENABLED

    def _carried_step(
        self, call: cst.Call, model: str, periods: frozenset[EvalPeriod], state: FlowState
    ) -> None:
        """NG004: ``call`` (the model's forward, or a helper handing it back) may be the
        training step of a loop whose last iteration left ``model`` in eval mode: a step to
        judge once gradient code follows it (``_periods_left_in_eval``)."""
        leading = self._validated_first(periods, state)
        carried = frozenset(
            p
            for p in (periods & state.carried) | leading
            if self._reportable_period(p) and not self._other_arm(p, call)
        )
        if carried and _begun_here(periods) - leading <= state.carried:  # not so on entry
            step = CarriedStep(call, model, self._top, carried)
            state.carried_steps = state.carried_steps | {step}
            self._left_in_eval.extend(
                LeftInEval(p, call, self._top, step, same_iteration=p in leading) for p in carried
            )

    def _forward(self, call: cst.Call, state: FlowState) -> None:
        if state.grad not in (Grad.ENABLED, Grad.ENTRY):
            return
        func = call.func
        if isinstance(func, cst.Call):  # ``accelerator.unwrap_model(model)(x)``
            func = self._wrapped_model(func) or func
        runs_receiver = isinstance(func, cst.Attribute) and func.attr.value in FORWARD_METHODS
        model = dotted_name(func.value if runs_receiver else func)  # type: ignore[attr-defined]
        periods = state.periods_of(model) if model is not None else None
        if (
            periods is None
            and isinstance(func, cst.Attribute)
            and func.attr.value in WRAPPED_MODULE_ATTRIBUTES
        ):  # ``ddp.module(x)``
            model = dotted_name(func.value)
            periods = state.periods_of(model) if model is not None else None
        if periods is None or model is None or within_any(model, state.frozen):
            return
        self._carried_step(call, model, periods, state)
        periods = frozenset(p for p in periods if not p.via_call)
        if not periods:
            return
        candidate = self.candidates.get(id(call))
        if candidate is None:
            function = self._unit.info if self._unit is not None else None
            candidate = self.candidates[id(call)] = Candidate(
                call, model, self._top, function, state.inherited
            )
        candidate.periods.update(periods)
        if periods & state.carried:
            state.carried_forwards = state.carried_forwards | {candidate}
        candidate.certainly_enabled |= state.grad is Grad.ENABLED
        candidate.volatile |= self._volatile


def _runs_at_least_once(iterable: cst.BaseExpression) -> bool:
    """A loop over ``iterable`` runs its body at least once: a list or tuple written out,
    not empty, without ``*`` (``for net in [gen, disc]``), a ``range`` of literal bounds
    that is not empty (``range(3)``), or ``model.modules()``, which lists the model
    itself."""
    if isinstance(iterable, cst.Call):
        if isinstance(iterable.func, cst.Name) and iterable.func.value == "range":
            return _literal_range_not_empty(iterable)
        return (
            isinstance(iterable.func, cst.Attribute)
            and iterable.func.attr.value in SELF_LISTING_SUBMODULE_METHODS
        )
    return (
        isinstance(iterable, (cst.List, cst.Tuple))
        and bool(iterable.elements)
        and not any(isinstance(e, cst.StarredElement) for e in iterable.elements)
    )


def _literal_range_not_empty(call: cst.Call) -> bool:
    """``range(...)`` of literal integers yields a number; False where an argument is no
    literal (or is given by keyword, or starred)."""
    bounds = [
        _literal_int(arg.value) if arg.keyword is None and not arg.star else None
        for arg in call.args
    ]
    numbers = [b for b in bounds if b is not None]
    if not 1 <= len(bounds) <= 3 or len(numbers) < len(bounds):
        return False
    if len(numbers) == 3 and numbers[2] == 0:
        return False  # ``range(0, 3, 0)`` raises
    return bool(range(*numbers))  # no ``len``: it overflows past ``sys.maxsize``


def _literal_int(node: cst.BaseExpression) -> int | None:
    """``3``, ``-1``, ``1_000``; None for anything else."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal_int(node.expression)
        return None if inner is None else -inner
    if isinstance(node, cst.Integer):
        try:
            return node.evaluated_value
        except (ValueError, SyntaxError):  # one Python would not evaluate either
            return None
    return None


def _runs_at_least_once_ast(value: ast.AST) -> bool:
    """A list or tuple written out, not empty, without ``*`` (``_runs_at_least_once``)."""
    return (
        isinstance(value, (ast.List, ast.Tuple))
        and bool(value.elts)
        and not any(isinstance(e, ast.Starred) for e in value.elts)
    )


def _unnamed_receiver(base: cst.BaseExpression) -> bool:
    """A receiver that names no model: an element of a container, or what a function of
    the module or a lookup returns (not a class called to make a new model)."""
    if isinstance(base, cst.Subscript):
        return True
    if isinstance(base, cst.Call):
        callee = dotted_name(base.func)
        return callee is not None and not callee.rsplit(".", 1)[-1][:1].isupper()
    return False


def _training_test(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """``(model, True)`` for ``if model.training:``, ``(model, False)`` for ``if not
    model.training:``: on the arm where ``model.training`` holds, it is in train mode."""
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    if negated:
        test = test.expression  # type: ignore[attr-defined]
    if isinstance(test, cst.Attribute) and test.attr.value == MODE_FLAG_ATTRIBUTE:
        model = dotted_name(test.value)
        if model is not None:
            return model, not negated
    return None


def _has_mode_effects(summary: ModeSummary) -> bool:
    """Whether a call of the function summarised trains, hands back a forward of, or puts
    in a mode, a model its caller names."""
    return bool(summary.trains or summary.leaves_eval or summary.leaves_train or summary.hands_back)


def _begun_here(periods: frozenset[EvalPeriod]) -> frozenset[EvalPeriod]:
    """The periods begun in the function itself. When one of them reaches a training step
    without going around the loop's back edge, the model is in eval mode there from the
    first iteration: eval mode chosen for the whole loop, unless a validation helper of
    the same iteration chose it (``_validated_first``); NG004 reports only the phase that
    forgets to switch back."""
    return frozenset(p for p in periods if p.inherited is None)


def _model_of(call: cst.Call, models: frozenset[str]) -> str | None:
    """``model`` of ``model(x)`` or ``model.forward(x)``, if ``models`` has it (the same
    reading as ``value_readings.forward_receiver``)."""
    func = call.func
    name = dotted_name(func)
    if name is not None and name in models:
        return name
    if isinstance(func, cst.Attribute) and func.attr.value in FORWARD_METHODS:
        owner = dotted_name(func.value)
        if owner is not None and owner in models:
            return owner
    return None


def _may_store(method: ast.FunctionDef | ast.AsyncFunctionDef, attribute: str) -> bool:
    """``method`` stores or deletes an attribute called ``attribute``, or may, by name
    (``ast_names.sets_attributes_by_name``)."""
    return any(
        (
            isinstance(node, ast.Attribute)
            and node.attr == attribute
            and isinstance(node.ctx, (ast.Store, ast.Del))
        )
        or sets_attributes_by_name(node)
        for node in ast.walk(method)
    )


def _self_name(node: FunctionNode, owner: ClassInfo | None) -> str | None:
    """The first parameter of a method (usually ``self``), None for static methods."""
    if owner is None or not isinstance(node, cst.FunctionDef):
        return None
    if any(dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in node.decorators):
        return None
    params = (*node.params.posonly_params, *node.params.params)
    return params[0].name.value if params else None


def _is_eval_copy(expr: cst.BaseExpression) -> bool:
    """``model.to_torchscript()``, ``AutoModelForCausalLM.from_pretrained(...)``: a module in
    eval mode (for ``from_pretrained``, only when the class looks like a model's)."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
        return False
    owner = dotted_name(expr.func.value)
    return returns_eval_model(expr.func.attr.value, owner.rsplit(".", 1)[-1] if owner else None)


def _trains_each_of_an_attribute(node: cst.For) -> bool:
    """``for part in self.trainable: part.train()``: a loop over a list the analysis cannot
    see, read as holding any model its target is put in train mode through; read as holding
    some, so that it runs (a trainer's list of parts to train is not empty)."""
    if not isinstance(node.target, cst.Name) or not isinstance(node.iter, cst.Attribute):
        return False
    target = node.target.value
    for call in _calls_in(node.body):
        chain = chain_of(call)
        base = chain.base
        if chain.mode is Mode.TRAIN and isinstance(base, cst.Name) and base.value == target:
            return True
    return False


def _calls_in(root: cst.CSTNode) -> Iterator[cst.Call]:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            yield node
        stack.extend(child_nodes(node))


def _freezes_whole(statement: Statement, self_name: str) -> bool:
    """``self.requires_grad_(False)`` / ``self.freeze()`` or ``for p in self.parameters():
    p.requires_grad = False`` as a statement of ``__init__``."""
    if isinstance(statement, cst.For):
        return frozen_by_loop(statement) == self_name
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return any(
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and chain_of(small.value).frozen
        and dotted_name(chain_of(small.value).base) == self_name
        for small in statement.body
    )


def _submodule_owner(expr: cst.BaseExpression) -> str | None:
    """``model.layers`` for ``model.layers[0]``, ``model`` for ``next(model.children())`` or
    ``list(model.modules())[1]``: submodules share the model's mode."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    owner = dotted_name(expr)
    if owner is not None:
        return owner
    while (  # ``next(iter(model.children()))``
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value in SUBMODULE_PICKERS
        and len(expr.args) == 1
    ):
        expr = expr.args[0].value
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in SUBMODULE_METHODS
    ):
        return dotted_name(expr.func.value)
    return None


def _returns_model_first(value: cst.BaseExpression) -> bool:
    """``X.from_pretrained(..., output_loading_info=True)`` returns (model, loading info)."""
    base = chain_of(value).base
    return (
        isinstance(base, cst.Call)
        and _is_eval_copy(base)
        and any(
            arg.keyword is not None
            and arg.keyword.value == "output_loading_info"
            and literal_bool(arg.value) is True
            for arg in base.args
        )
    )


def _is_constructor(node: FunctionNode) -> bool:
    return isinstance(node, cst.FunctionDef) and node.name.value == "__init__"


def _is_super(node: cst.BaseExpression, owner: str, self_name: str | None) -> bool:
    """``super()``, or ``super(Owner, self)``, in a method of ``owner`` (as
    ``ast_names.is_super`` reads the stdlib tree)."""
    if not (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "super"
        and self_name is not None
        and all(arg.keyword is None and not arg.star for arg in node.args)
    ):
        return False
    if not node.args:
        return True
    return len(node.args) == 2 and [dotted_name(arg.value) for arg in node.args] == [
        owner,
        self_name,
    ]


def _is_static(node: FunctionNode) -> bool:
    return isinstance(node, cst.FunctionDef) and any(
        dotted_name(d.decorator) == "staticmethod" for d in node.decorators
    )


def _is_transparent(name: str, qualified: str | None) -> bool:
    return (
        name in TRANSPARENT_DECORATORS
        or qualified in TRANSPARENT_DECORATORS
        or name.endswith((".setter", ".getter", ".deleter"))
    )


def _is_unfreezing(call: cst.Call) -> bool:
    return (
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "requires_grad_"
        and requires_grad_argument(call) is True
    )


def _is_volatile_variable(call: cst.Call) -> bool:
    name = dotted_name(call.func)
    if name is None or name.rsplit(".", 1)[-1] != "Variable":
        return False
    return any(
        arg.keyword is not None
        and arg.keyword.value == "volatile"
        and literal_bool(arg.value) is True
        for arg in call.args
    )


def _parameter_names(params: cst.Parameters) -> Iterator[str]:
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        yield param.name.value
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star.name.value


@dataclass(eq=False)
class _LoopJumps:
    """The states a loop body's ``continue`` and ``break`` statements leave with."""

    continues: list[FlowState] = field(default_factory=list)
    breaks: list[FlowState] = field(default_factory=list)
    #: A ``for`` over ``range(stop)``: an ``if`` may be taken in its last iteration only.
    counting: CountingLoop | None = None
    #: Eval calls that only the last iteration makes: around the back edge, not made.
    final_starts: set[cst.CSTNode] = field(default_factory=set)

    def mark(self) -> tuple[int, int]:
        """Where the jumps of a block about to run will start."""
        return len(self.continues), len(self.breaks)

    def since(self, mark: tuple[int, int]) -> list[FlowState]:
        return [*self.continues[mark[0] :], *self.breaks[mark[1] :]]

    def drop_since(self, mark: tuple[int, int]) -> None:
        del self.continues[mark[0] :], self.breaks[mark[1] :]


def _forget_carried(entry: FlowState, state: FlowState) -> FlowState:
    """``state`` on leaving a loop entered in ``entry``: what was carried around that loop
    is carried no longer."""
    state.carried = entry.carried
    state.carried_forwards = entry.carried_forwards
    state.carried_steps = entry.carried_steps
    return state


def _join_all(state: FlowState, others: list[FlowState]) -> FlowState:
    for other in others:
        state = state.join(other)
    return state
