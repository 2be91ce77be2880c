"""The grad mode a function body runs in when its call sites decide it.

A function whose every call site in the module runs with autograd disabled (directly, or
through callers that are themselves only called that way) or is followed by gradient code
that differentiates its result runs with autograd disabled. The flow pass records call
sites as it goes (``analysis.functions.FunctionInfo``) and NG001's screen on the stdlib
``ast`` tree records those it is sure of (``screen_call_sites``); both settle them here, so
the two cannot disagree on the rule. Nothing here needs LibCST.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import EvalPeriod


class Grad(Enum):
    """Autograd's grad mode at a point of the flow."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    #: Disabled on some path, or decided at run time: not reported (precision first).
    MAYBE = "maybe"
    #: Whatever it was when the function was called: settled later from its call sites.
    ENTRY = "entry"

    def join(self, other: Grad) -> Grad:
        if self is other:
            return self
        if {self, other} == {Grad.ENTRY, Grad.ENABLED}:
            # Reported exactly when ENTRY turns out ENABLED, whichever path was taken.
            return Grad.ENTRY
        return Grad.MAYBE


@dataclass(eq=False)
class CallSite:
    grad: Grad
    #: The function the call is in, when ``grad`` is that function's ``ENTRY`` mode.
    caller: CalledFunction | None
    #: Parameter name -> the eval periods of the model passed to it, for eval-mode arguments.
    arguments: dict[str, frozenset[EvalPeriod]] = field(default_factory=dict)
    #: Gradient code follows the call in the same pass: the caller differentiates its result.
    feeds_gradients: bool = False


@dataclass(eq=False)
class CalledFunction:
    """A function, as far as its call sites decide its grad mode (the analysis's
    ``functions.FunctionInfo`` adds its node)."""

    #: Set when decorators, framework hooks or the enclosing code decide the grad mode;
    #: None when the call sites decide it.
    fixed_grad: Grad | None = None
    sites: list[CallSite] = field(default_factory=list)
    #: Passed around as a value (``map(f, xs)``, ``Thread(target=f)``): callers unknown.
    escapes: bool = False
    resolved: Grad = Grad.ENABLED

    def entry_grad(self) -> Grad:
        return self.fixed_grad if self.fixed_grad is not None else Grad.ENTRY


def _protected(site: CallSite) -> bool:
    if site.grad in (Grad.DISABLED, Grad.MAYBE) or site.feeds_gradients:
        return True
    return (
        site.grad is Grad.ENTRY
        and site.caller is not None
        and site.caller.resolved in (Grad.DISABLED, Grad.MAYBE)
    )


def resolve_entry_grad(functions: Sequence[CalledFunction]) -> None:
    """Greatest fixpoint: start from "disabled" for every function with only known call
    sites, and switch to "enabled" any that has one unprotected site, until nothing moves."""
    open_ = []
    for info in functions:
        if info.fixed_grad is not None:
            info.resolved = info.fixed_grad
        elif info.sites and not info.escapes:
            info.resolved = Grad.DISABLED
            open_.append(info)
        else:
            info.resolved = Grad.ENABLED
    # A worklist, not sweeps until nothing moves: a function switching to "enabled" can only
    # unprotect the functions it calls, and sweeping made a chain of n functions cost n^2.
    callees: dict[int, list[CalledFunction]] = {}
    for info in open_:
        for site in info.sites:
            if site.caller is not None:
                callees.setdefault(id(site.caller), []).append(info)
    work = list(open_)
    while work:
        info = work.pop()
        if info.resolved is Grad.DISABLED and not all(_protected(site) for site in info.sites):
            info.resolved = Grad.ENABLED
            work.extend(callees.get(id(info), ()))
