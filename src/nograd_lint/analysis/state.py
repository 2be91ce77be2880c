"""The abstract state that flows through a function body: grad mode and eval-mode models."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

import libcst as cst

from ..ast_names import is_within, within_any
from .entry_grad import Grad
from .fates import Fate, Guards, contradicts

if TYPE_CHECKING:
    from .functions import ClassInfo


class PeriodSource(Protocol):
    """Where an eval period that a function body did not start itself comes from: class-
    or module-wide state (:class:`Inherited`), or the callers' arguments."""

    grad_intent: bool
    prepared: bool

    def holds(self, name: str) -> bool: ...

    def trains(self, name: str) -> bool: ...


@dataclass(frozen=True)
class Training:
    """The parameters a gradient call updates: those of ``models``, or of any model when
    that is not known (an optimizer handed in as a parameter)."""

    models: frozenset[str] | None

    def covers(self, model: str) -> bool:
        """Fine-tuning ``model.head`` needs ``model``'s graph, and training ``model`` that of
        ``model.encoder``."""
        if self.models is None:
            return True
        return within_any(model, self.models) or any(is_within(m, model) for m in self.models)


class CarriedForward(Protocol):
    """A forward call seen while its model's eval period was only carried around a loop."""

    periods: set[EvalPeriod]
    excused: set[EvalPeriod]


@dataclass(eq=False)
class CarriedStep:
    """A forward call of a model whose eval period reached it only around a loop's back
    edge: the training step of a loop whose validation left eval mode on (NG004), if
    gradient code follows it in the same iteration."""

    call: cst.Call
    model: str
    top: int
    periods: frozenset[EvalPeriod]
    #: Gradient code ran after it in the same pass over the loop body.
    followed: bool = False
    #: That gradient code trains its model's parameters.
    trained: bool = False
    #: An optimizer of unknown parameters stepped after it: it updates only those a
    #: backward reached, so the forward's output must reach one (not ``target(s).detach()``).
    stepped: bool = False


class OpenCallSite(Protocol):
    """A call of a local function whose result gradient code may still use."""

    feeds_gradients: bool


@dataclass(eq=False)
class EvalPeriod:
    """From ``model.eval()`` to the next ``train()``, rebinding or the end of the function.

    Gradient code in the period may need its forward calls' graphs, so candidates refer to
    periods and are judged at the end, with what :mod:`.values` says of their outputs.
    """

    model: str
    start: cst.CSTNode
    #: Gradient code ran in the period (``loss.backward()``, ``optimizer.step()``).
    grad_intent: bool = False
    #: An input was made to require grad in the period (``x.requires_grad_()``).
    prepared: bool = False
    #: A training step on this model's parameters ran in the period (``optimizer.step()``
    #: of an optimizer built on them, ``model.zero_grad()``).
    trained: bool = False
    #: For a period the function inherits (class-wide ``self.model``, a module-level model,
    #: an eval-mode argument): whether that holds is only known once the whole module is read.
    inherited: PeriodSource | None = None
    #: Index of the module's top-level statement that holds ``start`` (for positions).
    top: int = 0
    #: The ``if`` conditions the eval call runs under, within its function.
    guards: Guards = frozenset()
    #: Begun by a call of a function of the module that leaves the model in eval mode
    #: (``evaluate(model)``): NG004's business only; NG001 judges the callee's own calls.
    via_call: bool = False
    #: For ``via_call``: the model is a whole one as the call names it, read with the object
    #: whose method was called for ``self`` (``trainer.validate()`` leaves
    #: ``trainer.model`` in eval mode, as ``self.validate()`` leaves ``self.model``).
    whole: bool = False
    #: For ``via_call``: ``id`` of the body of the loop a validation helper began it in (it
    #: runs the model in eval mode and never puts it in train mode), else None.
    validated_in: int | None = None
    #: The name the eval call was given, where ``model`` is another name for that module
    #: (``fast = torch.compile(model)`` or ``model = self.model`` before it): what
    #: messages call the model put in eval mode.
    named: str | None = None

    @property
    def shown(self) -> str:
        """The model as the eval call names it."""
        return self.named or self.model

    def is_wasteful(self, fate: Fate | None = None) -> bool:
        """Whether a forward call made in this period wastes its graph. Without ``fate``
        (a caller's period, seen from the callee), any gradient code in the period counts.
        With it: the call's graph is needed if gradient code consumes its output, or trains
        this model; where its output is lost to the analysis (or thrown away, for what forward
        hooks keep of it), any gradient code in the period, or an input that requires grad,
        counts as today's rule did."""
        source = self.inherited
        trained = self.trained or (source is not None and source.trains(self.model))
        intent = self.grad_intent or trained or (source is not None and source.grad_intent)
        if fate is None:
            needed = intent
        elif contradicts(self.guards, fate.guards):
            return False  # the call runs only on the other arm of the ``if`` that set eval
        else:
            prepared = self.prepared or (source is not None and source.prepared)
            lost_to_gradients = intent or prepared or fate.input_requires_grad
            needed = (
                trained
                or fate.consumed_with(self.guards)
                or (
                    (lost_to_gradients or fate.graph_inspected) and (fate.escapes or fate.discarded)
                )
            )
        return not needed and (source is None or source.holds(self.model))


class Inherited:
    """Eval state a function body inherits: ``self.<attr>`` of its class, or module-level
    models. Periods are made on first use, one per function and name."""

    def __init__(
        self,
        start: cst.CSTNode,
        self_name: str | None,
        class_info: ClassInfo | None,
        module_evals: frozenset[str],
        module_holds: Callable[[str], bool],
    ) -> None:
        self.start = start
        self.self_name = self_name
        self.class_info = class_info
        self.module_evals = module_evals
        self._module_holds = module_holds
        self.grad_intent = False
        self.prepared = False
        self.trainings: list[Training] = []
        self._periods: dict[str, EvalPeriod] = {}

    def self_attribute(self, name: str) -> str | None:
        """``"model"`` for ``self.model`` in a method, else None."""
        if (
            self.self_name is not None
            and self.class_info is not None
            and name.startswith(self.self_name + ".")
        ):
            return name[len(self.self_name) + 1 :]
        return None

    def period(self, name: str) -> EvalPeriod | None:
        period = self._periods.get(name)
        if period is None:
            if self.self_attribute(name) is None and name not in self.module_evals:
                return None
            period = self._periods[name] = EvalPeriod(name, self.start, inherited=self)
        return period

    def holds(self, name: str) -> bool:
        attr = self.self_attribute(name)
        if attr is not None and self.class_info is not None:
            return self.class_info.is_eval(attr)
        return self._module_holds(name)

    def trains(self, name: str) -> bool:
        return any(training.covers(name) for training in self.trainings)

    def is_frozen(self, name: str) -> bool:
        attr = self.self_attribute(name)
        return attr is not None and self.class_info is not None and self.class_info.is_frozen(attr)


@dataclass
class FlowState:
    """What is known at one point of one function's (or the module's) flow."""

    grad: Grad = Grad.ENABLED
    #: Receiver text (``self.model``) -> the eval periods it may be in.
    evals: dict[str, frozenset[EvalPeriod]] = field(default_factory=dict)
    #: Receivers whose calls are never reported: their parameters do not require grad
    #: (``model.requires_grad_(False)``), or their forward needs its own graph.
    frozen: frozenset[str] = frozenset()
    #: False after ``return``/``raise``/``break``/``continue``: nothing flows from here.
    reachable: bool = True
    #: Periods that reach this point of a loop body only around the back edge.
    carried: frozenset[EvalPeriod] = frozenset()
    #: Names rebound or put in train mode on every path so far: they no longer inherit.
    killed: frozenset[str] = frozenset()
    inherited: Inherited | None = None
    #: Forward calls made under carried periods in this pass over the loop body.
    carried_forwards: frozenset[CarriedForward] = frozenset()
    #: Calls of local functions made with autograd on, earlier in this pass.
    open_call_sites: frozenset[OpenCallSite] = frozenset()
    #: Forward calls made under carried periods in this pass (NG004's training steps).
    carried_steps: frozenset[CarriedStep] = frozenset()

    def __post_init__(self) -> None:
        # Each prefix of a dotted key of ``evals`` -> those keys (``self`` -> ``self.net``,
        # ``self.net.enc``), so that ``clear`` finds a name's attributes without a scan of
        # every model: with thousands of models in one scope that scan was most of the time.
        # ``evals`` changes through the methods below; plain names may also be set directly.
        self._attributes: dict[str, set[str]] = {}
        for key in self.evals:
            if "." in key:
                self._index(key)

    def _index(self, key: str) -> None:
        head = key
        while "." in head:
            head = head.rsplit(".", 1)[0]
            self._attributes.setdefault(head, set()).add(key)

    def _unindex(self, key: str) -> None:
        head = key
        while "." in head:
            head = head.rsplit(".", 1)[0]
            keys = self._attributes.get(head)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._attributes[head]

    def copy(self) -> FlowState:
        return dataclasses.replace(self, evals=dict(self.evals))

    def same_as(self, other: FlowState) -> bool:
        """Equal for the analysis: a second pass over a loop body would find nothing new."""
        return (
            self.grad is other.grad
            and self.evals == other.evals
            and self.frozen == other.frozen
            and self.killed == other.killed
            and self.reachable == other.reachable
        )

    def join(self, other: FlowState) -> FlowState:
        """The state after two paths meet: a model *may* be in eval mode if either says so."""
        if not other.reachable:
            return self.copy()
        if not self.reachable:
            return other.copy()
        evals = dict(self.evals)
        for name, periods in other.evals.items():
            evals[name] = evals.get(name, frozenset()) | periods
        # A period carried in from the last iteration stays carried only on a path where it
        # is still on: ``if a: m.train() else: m.eval()`` ends it on one arm and begins it
        # afresh (the same call, the same period) on the other.
        return FlowState(
            self.grad.join(other.grad),
            evals,
            self.frozen & other.frozen,
            True,
            (self.carried & self.active_periods()) | (other.carried & other.active_periods()),
            self.killed & other.killed,
            self.inherited,
            self.carried_forwards | other.carried_forwards,
            self.open_call_sites | other.open_call_sites,
            self.carried_steps | other.carried_steps,
        )

    # -- eval-mode models ------------------------------------------------------------------

    def set_eval(self, model: str, period: EvalPeriod) -> None:
        self.set_periods(model, frozenset((period,)))
        if period in self.carried:
            self.carried = self.carried - {period}

    def set_periods(self, model: str, periods: frozenset[EvalPeriod]) -> None:
        self.end_eval(model)
        self.evals[model] = periods
        if "." in model:
            self._index(model)

    def clear(self, name: str) -> None:
        """``name`` was rebound: its attributes too (``self`` rebinds); a new object is
        neither in eval mode nor frozen."""
        self.end_eval(name)
        if self.frozen:
            self.frozen = frozenset(k for k in self.frozen if not is_within(k, name))

    def end_every_eval(self) -> None:
        """A ``train()`` of a model the flow cannot name: any period may have ended."""
        for name in list(self.evals):
            self.end_eval(name)

    def end_eval(self, name: str) -> None:
        """``name`` left eval mode (``train()``), or a new period replaces its own: its
        parameters stay as frozen as they were."""
        for key in (name, *self._attributes.get(name, ())):
            if self.evals.pop(key, None) is not None and "." in key:
                self._unindex(key)
        if self.inherited is not None and name not in self.killed:
            self.killed = self.killed | {name}

    def without_periods_begun_at(self, starts: Collection[cst.CSTNode]) -> FlowState:
        """A copy in which the periods begun by the calls ``starts`` never began (the
        state around a loop's back edge, for calls only its last iteration makes)."""
        if not starts:
            return self
        kept = self.copy()
        for model, periods in self.evals.items():
            rest = frozenset(p for p in periods if p.start not in starts)
            if rest == periods:
                continue
            if rest:
                kept.evals[model] = rest
            else:
                del kept.evals[model]
                if "." in model:
                    kept._unindex(model)
        return kept

    def periods_of(self, model: str) -> frozenset[EvalPeriod] | None:
        periods = self.evals.get(model)
        if periods is not None or self.inherited is None or within_any(model, self.killed):
            return periods
        period = self.inherited.period(model)
        return frozenset((period,)) if period is not None else None

    def active_periods(self) -> set[EvalPeriod]:
        return {period for periods in self.evals.values() for period in periods}

    def mark_steps_followed(self) -> None:
        """A call of a function of the module that runs gradient code
        (``optimizer_step(loss, optimizer)``): a forward call made under a carried period
        earlier in this iteration may be a training step, if its output reaches that
        function's backward (``ModuleValues`` reads whether it does). Periods gain no
        gradient intent: the function's own forward calls are judged by its own code."""
        for step in self.carried_steps:
            step.followed = True

    def mark_grad_intent(
        self,
        guards: Guards = frozenset(),
        training: Training | None = None,
        preparation: bool = False,
    ) -> None:
        """Gradient code here may need the forward calls of every period it falls in, except
        those only carried in from the previous loop iteration and those begun on the other
        arm of an ``if`` it is on; ``training`` says whose parameters it updates, and
        ``preparation`` that it only makes an input require grad.
        A forward call made under a carried period earlier in this iteration is excused: it
        is the training step of a loop whose test phase forgot to call ``train()`` again,
        and its graph is needed. Calls of local functions made earlier in this pass feed it:
        their bodies run for gradients too."""
        for period in self.active_periods():
            if period in self.carried or contradicts(period.guards, guards):
                continue
            if preparation:
                period.prepared = True
            else:
                period.grad_intent = True
            if training is not None and training.covers(period.model):
                period.trained = True
        if preparation:
            if self.inherited is not None:
                self.inherited.prepared = True
            return
        for forward in self.carried_forwards:
            forward.excused.update(forward.periods & self.carried)
        for step in self.carried_steps:
            step.followed = True
            if training is not None and training.models is None:
                step.stepped = True
            else:
                step.trained |= training is not None and training.covers(step.model)
        for site in self.open_call_sites:  # ``loss = self._logits(x).sum(); grad(loss, w)``
            site.feeds_gradients = True
        if self.inherited is not None:
            self.inherited.grad_intent = True
            if training is not None:
                self.inherited.trainings.append(training)
