"""Which rules run: ``select``, ``extend-select`` and ``ignore``, with ruff's semantics.

Codes and prefixes (``NG``, ``NG00``, ``NG002``) are read in layers, the configuration
first and the command line over it. A layer's ``select`` replaces what the layers before it
enabled; ``extend-select`` adds to it; ``ignore`` removes. Within a layer, the most specific
prefix that matches a rule decides for it (``select = ["NG002"]`` with ``ignore = ["NG"]``
keeps NG002), and ``ignore`` wins a tie, so a layer never depends on the order of its lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .rules import RULES


class SelectionError(ValueError):
    """An unknown code or prefix; the message is one line and names the known codes."""


@dataclass(frozen=True)
class Layer:
    """One source of selection: ``select`` None means "keep what the layers before chose"."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for prefixes in (self.select or (), self.extend_select, self.ignore):
            checked(prefixes)


DEFAULT = frozenset(code for code, rule in RULES.items() if rule.default_enabled)


def checked(prefixes: Iterable[str]) -> tuple[str, ...]:
    """``prefixes``, each the prefix of at least one rule's code; raises
    :class:`SelectionError` otherwise (a typo must not silently select nothing)."""
    kept = []
    for prefix in prefixes:
        if not prefix or not any(code.startswith(prefix) for code in RULES):
            known = ", ".join(RULES)
            raise SelectionError(
                f"unknown rule code or prefix {prefix!r} (known rules: {known}; a prefix such "
                "as NG or NG00 selects every rule it starts)"
            )
        kept.append(prefix)
    return tuple(kept)


def enabled_codes(layers: Sequence[Layer]) -> frozenset[str]:
    """The codes the layers leave enabled, starting from the rules enabled by default."""
    enabled = set(DEFAULT)
    for layer in layers:
        chosen = set() if layer.select is not None else set(enabled)
        selecting = (*(layer.select or ()), *layer.extend_select)
        for code in RULES:
            decision = _most_specific(code, selecting, layer.ignore)
            if decision is True:
                chosen.add(code)
            elif decision is False:
                chosen.discard(code)
        enabled = chosen
    return frozenset(enabled)


def _most_specific(code: str, selecting: Sequence[str], ignoring: Sequence[str]) -> bool | None:
    """True (selected), False (ignored) or None (the layer says nothing about ``code``)."""
    selected = max((len(p) for p in selecting if code.startswith(p)), default=-1)
    ignored = max((len(p) for p in ignoring if code.startswith(p)), default=-1)
    if selected < 0 and ignored < 0:
        return None
    return selected > ignored


def split_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Comma-separated codes of repeated options (``--select NG001,NG002 --select NG003``)."""
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())
