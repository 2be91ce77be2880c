"""What becomes of a forward call's output, as :mod:`.values` tells the screen and the flow
(:class:`Fate`), and a graph kept across loop iterations (:class:`Kept`, NG002)."""

from __future__ import annotations

import ast
from collections.abc import Hashable
from functools import cached_property
from typing import Callable, NamedTuple

#: The ``if`` conditions a node runs under within its function: (the test's
#: ``value_readings.condition_key``, whether it is the true arm).
Guards = frozenset[tuple[Hashable, bool]]
NO_GUARDS: Guards = frozenset()


def contradicts(one: Guards, other: Guards) -> bool:
    """The two cannot hold in one pass: one arm of an ``if`` against the other arm."""
    smaller, larger = (one, other) if len(one) <= len(other) else (other, one)
    return any((test, not arm) in larger for test, arm in smaller)


class Fate:
    """What becomes of one forward call's output. Each part is worked out when first asked
    for: a call in a function without gradient code needs none of them."""

    def __init__(
        self,
        guards: Guards,
        consumers: Callable[[], tuple[Guards, ...]],
        escapes: Callable[[], bool],
        input_requires_grad: Callable[[], bool],
        graph_inspected: Callable[[], bool],
        discarded: bool = False,
    ) -> None:
        #: The conditions the call itself runs under.
        self.guards = guards
        #: The call is a statement of its own (``model(img)``): whatever its graph is for, it
        #: reaches it through forward hooks, which the analysis does not follow.
        self.discarded = discarded
        self._consumers, self._escapes = consumers, escapes
        self._input_requires_grad, self._graph_inspected = input_requires_grad, graph_inspected

    @cached_property
    def consumers(self) -> tuple[Guards, ...]:
        """The conditions of each gradient call that differentiates its graph."""
        return self._consumers()

    @cached_property
    def escapes(self) -> bool:
        """A value carrying its graph leaves what the analysis can see."""
        return self._escapes()

    @cached_property
    def input_requires_grad(self) -> bool:
        """One of its inputs requires grad."""
        return self._input_requires_grad()

    @cached_property
    def graph_inspected(self) -> bool:
        """The function (or a hook nested in it) reads ``grad_fn``: it inspects graphs."""
        return self._graph_inspected()

    def consumed_with(self, guards: Guards) -> bool:
        """Some consumer can run in a pass that also holds ``guards``."""
        return any(not contradicts(consumer, guards) for consumer in self.consumers)

    def surely_consumed(self) -> bool:
        """A consumer runs whenever the call itself can: whatever eval period reaches the
        call, that consumer can run with it (what the screen may rely on)."""
        return any(consumer <= self.guards for consumer in self.consumers)


#: The fate of a call :mod:`.values` cannot place: lost to the analysis, consumed by nobody known.
UNKNOWN = Fate(NO_GUARDS, tuple, lambda: True, lambda: False, lambda: False)


class Kept(NamedTuple):
    """A value carrying a forward call's graph, stored in a loop where it outlives the
    iteration, and never differentiated after: NG002."""

    #: The stored expression (``loss`` in ``total += loss``).
    value: ast.expr
    #: What it is stored in (``total``, ``preds``, ``self.outputs``).
    target: str
    #: A backward pass over the graph ran in the loop: its saved tensors are freed, but its
    #: nodes still pile up.
    after_backward: bool
    #: Recurrent state fed back to the next iteration's forward (``out, h = model(x, h)``):
    #: the fix is to detach the state, not the call's result.
    fed_back: bool = False
    #: The kind of Python container the stored name holds (``list`` of ``by_step[i] =
    #: losses``): its elements are to be detached, it has no ``.detach()`` itself.
    container: str | None = None
