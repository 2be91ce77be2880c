"""Why a reported model counts as in eval mode: the calls that put it there.

A finding names the forward call; when the eval call is elsewhere (in ``__init__`` for
class-wide state, at module level, in the caller that passed the model, or a loader such as
``from_pretrained`` that returns a model in eval mode) a user needs to see where, and why
it still holds. Only reported candidates are explained, so this costs nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from .catalog import EVAL_COPY_METHODS, PRETRAINED_LOADERS
from .eval_mode import Mode, chain_of
from .functions import ParameterSource
from .state import EvalPeriod, Inherited

if TYPE_CHECKING:
    from .flow import Candidate

#: More places than this would bury the finding; the first ones in the file are kept.
MAX_ORIGINS = 3


@dataclass(frozen=True)
class Origin:
    """A call that put the model in eval mode: its node, the top-level statement that holds
    it (for positions), and what to tell the user about it."""

    node: cst.CSTNode
    top: int
    message: str


def origins(
    candidate: Candidate, module_periods: Mapping[str, frozenset[EvalPeriod]]
) -> list[Origin]:
    """The eval calls behind a reported candidate, first in the file first."""
    found: dict[int, Origin] = {}
    for period in candidate.wasteful_periods():
        for origin in _of_period(candidate.model, period, module_periods):
            found.setdefault(id(origin.node), origin)
    return sorted(found.values(), key=lambda origin: origin.top)[:MAX_ORIGINS]


def _of_period(
    model: str, period: EvalPeriod, module_periods: Mapping[str, frozenset[EvalPeriod]]
) -> Iterator[Origin]:
    source = period.inherited
    if source is None:
        yield Origin(period.start, period.top, _how(period))
    elif isinstance(source, Inherited):
        attr = source.self_attribute(model)
        if attr is not None and source.class_info is not None:
            start = source.class_info.eval_origins.get(attr)
            if start is not None:
                why = ", and no method of the class puts it back in train mode"
                yield Origin(start.start, start.top, _how(start) + why)
            return
        for start in module_periods.get(model, ()):
            if start.inherited is None:
                why = " at module level, and nothing in the module puts it back in train mode"
                yield Origin(start.start, start.top, _how(start) + why)
    elif isinstance(source, ParameterSource):
        for site in source.info.sites:
            for start in site.arguments.get(model, ()):
                if start.inherited is None and start.is_wasteful():
                    why = f"; every caller passes parameter '{model}' a model in eval mode"
                    yield Origin(start.start, start.top, _how(start) + why)


def _how(period: EvalPeriod) -> str:
    """What the call that starts ``period`` does, in words."""
    model = period.shown
    start = period.start
    if isinstance(start, cst.BaseExpression):
        chain = chain_of(start)
        base = chain.base
        if (
            chain.mode is not Mode.EVAL
            and isinstance(base, cst.Call)
            and isinstance(base.func, cst.Attribute)
        ):
            method = base.func.attr.value
            if method in PRETRAINED_LOADERS:
                return f"'{model}' is loaded here by {method}(), which returns a model in eval mode"
            if method in EVAL_COPY_METHODS:
                return f"'{model}' is made here by {method}(), which returns a copy in eval mode"
    return f"'{model}' is put in eval mode here"
