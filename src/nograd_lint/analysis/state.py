"""The abstract state that flows through a function body: grad mode and eval-mode models."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

import libcst as cst

from .nodes import is_within


class Grad(Enum):
    """Autograd's grad mode at a point of the flow."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    #: Disabled on some path, or decided at run time: not reported (precision first).
    MAYBE = "maybe"

    def join(self, other: "Grad") -> "Grad":
        return self if self is other else Grad.MAYBE


@dataclass(eq=False)
class EvalPeriod:
    """From ``model.eval()`` to the next ``train()``, rebinding or the end of the function.

    Code that clearly needs gradients anywhere in the period (``loss.backward()``) makes its
    forward calls legitimate, so candidates refer to periods and are judged at the end.
    """

    model: str
    start: cst.CSTNode
    grad_intent: bool = False


@dataclass
class FlowState:
    """What is known at one point of one function's (or the module's) flow."""

    grad: Grad = Grad.ENABLED
    #: Receiver text (``self.model``) -> the eval periods it may be in.
    evals: dict[str, frozenset[EvalPeriod]] = field(default_factory=dict)
    #: Receivers whose parameters do not require grad (``model.requires_grad_(False)``).
    frozen: frozenset[str] = frozenset()
    #: False after ``return``/``raise``/``break``/``continue``: nothing flows from here.
    reachable: bool = True
    #: Periods that reach this point of a loop body only around the back edge.
    carried: frozenset[EvalPeriod] = frozenset()

    def copy(self) -> "FlowState":
        return FlowState(self.grad, dict(self.evals), self.frozen, self.reachable, self.carried)

    def same_as(self, other: "FlowState") -> bool:
        """Equal for the analysis: a second pass over a loop body would find nothing new."""
        return (
            self.grad is other.grad
            and self.evals == other.evals
            and self.frozen == other.frozen
            and self.reachable == other.reachable
        )

    def join(self, other: "FlowState") -> "FlowState":
        """The state after two paths meet: a model *may* be in eval mode if either says so."""
        if not other.reachable:
            return self.copy()
        if not self.reachable:
            return other.copy()
        evals = dict(self.evals)
        for name, periods in other.evals.items():
            evals[name] = evals.get(name, frozenset()) | periods
        return FlowState(
            self.grad.join(other.grad), evals, self.frozen & other.frozen, True,
            self.carried | other.carried,
        )

    # -- eval-mode models ------------------------------------------------------------------

    def set_eval(self, model: str, period: EvalPeriod) -> None:
        self.clear(model)
        self.evals[model] = frozenset((period,))
        self.carried = self.carried - {period}

    def clear(self, name: str) -> None:
        """``name`` left eval mode or was rebound: so were its attributes (``self`` rebinds)."""
        for key in [k for k in self.evals if is_within(k, name)]:
            del self.evals[key]
        if self.frozen:
            self.frozen = frozenset(k for k in self.frozen if not is_within(k, name))

    def periods_of(self, model: str) -> Optional[frozenset[EvalPeriod]]:
        return self.evals.get(model)

    def active_periods(self) -> set[EvalPeriod]:
        return {period for periods in self.evals.values() for period in periods}
