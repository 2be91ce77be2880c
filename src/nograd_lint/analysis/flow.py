"""One pass over a module's statements in execution order, with explicit state.

Statements are interpreted (``if`` branches run on copies of the state and are joined,
loop bodies run twice so that state carried around the back edge is seen); expressions are
scanned without recursion for the calls that matter. Function bodies are analysed after the
code that defines them, with the state they can see.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence, Union

import libcst as cst

from .catalog import FORWARD_METHODS, GradEffect
from .eval_mode import Mode, chain_mode, mode_set_by
from .grad_scopes import context_effect, setter_effect
from .imports import ImportTable
from .nodes import dotted_name
from .state import EvalPeriod, FlowState, Grad

Statement = Union[cst.BaseStatement, cst.BaseSmallStatement]

_GRAD_OF_EFFECT = {
    GradEffect.DISABLE: Grad.DISABLED,
    GradEffect.ENABLE: Grad.ENABLED,
    GradEffect.DYNAMIC: Grad.MAYBE,
}


@dataclass(eq=False)
class Candidate:
    """A forward call of a model that may be in eval mode, with autograd enabled."""

    call: cst.Call
    model: str
    #: Index of the module's top-level statement that holds the call (for positions).
    top: int
    periods: set[EvalPeriod] = field(default_factory=set)

    def is_wasteful(self) -> bool:
        return any(not period.grad_intent for period in self.periods)


@dataclass
class PendingFunction:
    """A function body to analyse once the code around it has been."""

    node: Union[cst.FunctionDef, cst.Lambda]
    top: int
    grad: Grad
    #: The eval state of the enclosing function where it was defined; None for functions
    #: and methods defined at module level, which run whenever they are called.
    closure: Optional[dict[str, frozenset[EvalPeriod]]]

    def merge(self, other: "PendingFunction") -> None:
        """The same definition reached again (a loop's second pass): either state may hold."""
        self.grad = self.grad.join(other.grad)
        if self.closure is not None and other.closure is not None:
            for name, periods in other.closure.items():
                self.closure[name] = self.closure.get(name, frozenset()) | periods


#: Loops nested deeper than this get one pass over their body: a second pass at every level
#: would cost 2**depth.
MAX_LOOP_PASSES_DEPTH = 6


class ModuleAnalysis:
    """Analyses one parsed module; :attr:`candidates` holds what may be reported."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.imports = ImportTable()
        self.candidates: dict[int, Candidate] = {}
        self._periods: dict[tuple[str, int], EvalPeriod] = {}
        self._pending: dict[int, PendingFunction] = {}
        self._in_function = False
        self._loop_depth = 0
        self._top = 0  # the top-level statement being analysed
        self._statement_handlers = self._build_statement_handlers()

    # -- entry point ---------------------------------------------------------------------

    def run(self) -> list[Candidate]:
        top = FlowState()
        for self._top, statement in enumerate(self.module.body):
            top = self.run_block((statement,), top)
            if not top.reachable:
                break
        # A module-level ``torch.set_grad_enabled(False)`` holds when its functions are called.
        function_grad = Grad.ENABLED if top.grad is Grad.ENABLED else Grad.MAYBE
        for pending in self._pending.values():
            if pending.grad is Grad.ENABLED:
                pending.grad = function_grad
        self._in_function = True
        while self._pending:
            pending = self._pending.pop(next(iter(self._pending)))
            self._analyse_function(pending)
        return [c for c in self.candidates.values() if c.is_wasteful()]

    def _defer(self, pending: PendingFunction) -> None:
        known = self._pending.get(id(pending.node))
        if known is None:
            self._pending[id(pending.node)] = pending
        else:
            known.merge(pending)

    def _analyse_function(self, pending: PendingFunction) -> None:
        self._top = pending.top
        evals = dict(pending.closure) if pending.closure is not None else {}
        state = FlowState(grad=pending.grad, evals=evals)
        node = pending.node
        for param in _parameter_names(node.params):
            state.clear(param)
        if isinstance(node, cst.Lambda):
            self.scan(node.body, state)
        else:  # an indented block, or ``def f(): return model(x)`` on one line
            self.run_block(node.body.body, state)

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
            cst.Break: self._stop,
            cst.Continue: self._stop,
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

    def _simple_line(self, line: Union[cst.SimpleStatementLine, cst.SimpleStatementSuite], state):
        return self.run_block(line.body, state)

    def _expr(self, node: cst.Expr, state: FlowState) -> FlowState:
        self.scan(node.value, state)
        return state

    def _assign(self, node: cst.Assign, state: FlowState) -> FlowState:
        self.scan(node.value, state)
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
        state.reachable = False
        return state

    def _raise(self, node: cst.Raise, state: FlowState) -> FlowState:
        self._scan_children(node, state)
        state.reachable = False
        return state

    def _stop(self, node: cst.CSTNode, state: FlowState) -> FlowState:
        state.reachable = False
        return state

    def _del(self, node: cst.Del, state: FlowState) -> FlowState:
        self.bind(node.target, None, state)
        return state

    def _import(self, node: Union[cst.Import, cst.ImportFrom], state: FlowState) -> FlowState:
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
        taken = self.run_block(node.body.body, state.copy())
        orelse = node.orelse
        if orelse is None:
            return taken.join(state)
        if isinstance(orelse, cst.If):
            other = self._if(orelse, state.copy())
        else:
            other = self.run_block(orelse.body.body, state.copy())
        return taken.join(other)

    def _loop(self, body: Sequence[Statement], state: FlowState, header: Callable[[FlowState], None]):
        """Run a loop body twice: the second pass sees what the first leaves for the next
        iteration. Eval periods that only reach the top of the body around the back edge are
        *carried*: gradient code early in the body belongs to the previous phase
        (train-then-validate), not to them."""
        entry = state
        first = entry.copy()
        header(first)
        self._loop_depth += 1
        try:
            after = self.run_block(body, first)
            looped = entry.join(after)
            if not looped.same_as(entry) and self._loop_depth <= MAX_LOOP_PASSES_DEPTH:
                looped.carried = frozenset(looped.active_periods() - entry.active_periods())
                header(looped)
                after = self.run_block(body, looped)
        finally:
            self._loop_depth -= 1
        exit_state = entry.join(after)
        exit_state.carried = entry.carried
        return exit_state

    def _for(self, node: cst.For, state: FlowState) -> FlowState:
        self.scan(node.iter, state)

        def header(s: FlowState) -> None:
            self.bind(node.target, None, s)

        after = self._loop(node.body.body, state, header)
        if node.orelse is not None:
            after = self.run_block(node.orelse.body.body, after)
        return after

    def _while(self, node: cst.While, state: FlowState) -> FlowState:
        self.scan(node.test, state)
        after = self._loop(node.body.body, state, lambda s: self.scan(node.test, s))
        if node.orelse is not None:
            after = self.run_block(node.orelse.body.body, after)
        return after

    def _with(self, node: cst.With, state: FlowState) -> FlowState:
        outer_grad = state.grad
        inner_grad = outer_grad
        for item in node.items:
            effect = context_effect(item.item, self.imports)
            if effect is not None:
                inner_grad = _GRAD_OF_EFFECT[effect]
            else:
                self.scan(item.item, state)
            if item.asname is not None:
                self.bind(item.asname.name, None, state)
        state.grad = inner_grad
        state = self.run_block(node.body.body, state)
        if state.reachable:
            state.grad = outer_grad
        return state

    def _try(self, node: Union[cst.Try, cst.TryStar], state: FlowState) -> FlowState:
        before = state.copy()
        after_body = self.run_block(node.body.body, state)
        # An exception may leave from anywhere in the body.
        raised = before.join(after_body)
        raised.reachable = True
        ends = []
        if node.orelse is not None:
            ends.append(self.run_block(node.orelse.body.body, after_body))
        else:
            ends.append(after_body)
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
        grad = state.grad
        for decorator in node.decorators:
            effect = context_effect(decorator.decorator, self.imports)
            if effect is not None:
                grad = _GRAD_OF_EFFECT[effect]
            else:
                self.scan(decorator.decorator, state)
        closure = dict(state.evals) if self._in_function else None
        self._defer(PendingFunction(node, self._top, grad, closure))
        state.clear(node.name.value)
        return state

    def _class_def(self, node: cst.ClassDef, state: FlowState) -> FlowState:
        for decorator in node.decorators:
            self.scan(decorator.decorator, state)
        for arg in node.bases:
            self.scan(arg.value, state)
        # The class body runs now, in its own namespace, which its methods cannot see.
        body_state = FlowState(grad=state.grad, evals=dict(state.evals))
        self.run_block(node.body.body, body_state)
        state.clear(node.name.value)
        return state

    # -- bindings ------------------------------------------------------------------------

    def bind(
        self,
        target: cst.BaseExpression,
        value: Optional[cst.BaseExpression],
        state: FlowState,
    ) -> None:
        """``target = value``: an eval chain makes the target an eval-mode model; anything
        else ends whatever the target's old value was."""
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, None, state)
            return
        if isinstance(target, cst.StarredElement):
            self.bind(target.value, None, state)
            return
        name = dotted_name(target)
        if name is None:
            return
        if name == "torch":
            self.imports.forget(name)
        mode, base = chain_mode(value) if value is not None else (None, None)
        # ``net = model`` or ``model = model.to(device)``: the same module, the same periods.
        source = dotted_name(base) if mode is None and base is not None else None
        kept = state.periods_of(source) if source is not None else None
        state.clear(name)
        if mode is Mode.EVAL:
            state.set_eval(name, self._period(name, value))
        elif kept is not None:
            state.evals[name] = kept

    def _period(self, model: str, start: cst.CSTNode) -> EvalPeriod:
        """The same eval call starts the same period on every pass over a loop body."""
        key = (model, id(start))
        period = self._periods.get(key)
        if period is None:
            period = self._periods[key] = EvalPeriod(model, start)
        return period

    # -- expressions ---------------------------------------------------------------------

    def scan(self, expr: cst.CSTNode, state: FlowState) -> None:
        """Visit the calls in ``expr`` in evaluation order (a call after its callee and
        arguments, so ``model.eval().train()`` ends in train mode), without recursion, so
        that a 1,000-deep expression costs no Python stack."""
        stack: list[tuple[cst.CSTNode, bool]] = [(expr, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                self._call(node, state)  # only calls are pushed back
                continue
            if isinstance(node, cst.Lambda):
                # Runs later, with the state it closes over; usually right away (``key=``).
                self._defer(PendingFunction(node, self._top, state.grad, dict(state.evals)))
                continue
            if isinstance(node, cst.NamedExpr):
                self.scan(node.value, state)
                self.bind(node.target, node.value, state)
                continue
            if isinstance(node, cst.Call):
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(_children(node))))

    def _scan_children(self, node: cst.CSTNode, state: FlowState) -> None:
        for child in _children(node):
            self.scan(child, state)

    def _call(self, call: cst.Call, state: FlowState) -> None:
        effect = setter_effect(call, self.imports)
        if effect is not None:
            state.grad = _GRAD_OF_EFFECT[effect]
            return
        mode, base = chain_mode(call)
        if mode is not None:
            receiver = dotted_name(base)
            if receiver is not None:
                if mode is Mode.EVAL:
                    state.set_eval(receiver, self._period(receiver, call))
                else:
                    state.clear(receiver)
            return
        self._forward(call, state)

    def _forward(self, call: cst.Call, state: FlowState) -> None:
        func = call.func
        model = dotted_name(func)
        periods = state.periods_of(model) if model is not None else None
        if periods is None and isinstance(func, cst.Attribute) and func.attr.value in FORWARD_METHODS:
            model = dotted_name(func.value)
            periods = state.periods_of(model) if model is not None else None
        if periods is None or model is None:
            return
        if state.grad is not Grad.ENABLED or model in state.frozen:
            return
        candidate = self.candidates.get(id(call))
        if candidate is None:
            candidate = self.candidates[id(call)] = Candidate(call, model, self._top)
        candidate.periods.update(periods)


def _parameter_names(params: cst.Parameters) -> Iterator[str]:
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        yield param.name.value
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star.name.value


# -- generic traversal of expression children ------------------------------------------------

_SKIPPED_TYPES = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.Name,
    cst.BaseNumber,
    cst.SimpleString,
)
_SKIPPED_FIELDS = frozenset({"lpar", "rpar", "header", "footer", "leading_lines", "lines_after_decorators"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that can contain calls, in source order."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(
            f.name
            for f in dataclasses.fields(node)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if not isinstance(value, _SKIPPED_TYPES):
                yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIPPED_TYPES):
                    yield item
