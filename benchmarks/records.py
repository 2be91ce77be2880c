"""One measured value per row: the raw CSV's schema, shared by every phase."""

from __future__ import annotations

from typing import Union

FIELDS = ("phase", "model", "mode", "pattern", "iteration", "batch_size", "metric", "value")

Row = dict[str, Union[str, int, float]]


def record(
    phase: str,
    model: str,
    mode: str,
    pattern: str,
    iteration: int,
    batch_size: int,
    metric: str,
    value: float,
) -> Row:
    """A raw row; `iteration` is the batch index (memory, time) or the round (energy)."""
    return dict(zip(FIELDS, (phase, model, mode, pattern, iteration, batch_size, metric, value)))
