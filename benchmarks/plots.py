"""The figures: memory per batch with its min-max band (as in the seed), accumulate growth,
time and energy per mode with their spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .records import Row

MIB = 2**20
COLORS = {"grad": "tab:red", "no_grad": "tab:blue", "inference_mode": "tab:green"}


def _select(rows: Sequence[Row], **criteria: str) -> list[Row]:
    return [row for row in rows if all(row[key] == value for key, value in criteria.items())]


def _models(rows: Sequence[Row]) -> list[str]:
    return sorted({row["model"] for row in rows})


def _modes(rows: Sequence[Row]) -> list[str]:
    present = {row["mode"] for row in rows}
    return [mode for mode in COLORS if mode in present]


def _grid(rows_count: int, models: Sequence[str], height: float = 3.0):
    figure, axes = plt.subplots(
        rows_count, len(models), figsize=(4.2 * len(models), height * rows_count), squeeze=False
    )
    return figure, axes


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _line_with_band(axis, series: Sequence[Row], mode: str, scale: float) -> None:
    series = sorted(series, key=lambda row: row["iteration"])
    xs = [row["iteration"] for row in series]
    ys = [row["value"] / scale for row in series]
    axis.plot(xs, ys, marker=".", color=COLORS[mode], label=mode)
    axis.fill_between(xs, min(ys), max(ys), color=COLORS[mode], alpha=0.15)


def plot_memory_per_iteration(rows: Sequence[Row], path: Path) -> Path:
    """Overwrite loop: peak RSS and saved-graph bytes per batch, shaded from min to max."""
    memory = _select(rows, phase="memory", pattern="overwrite")
    models = _models(memory)
    metrics = [("peak_rss_bytes", "peak RSS (MiB)"), ("graph_bytes", "saved graph (MiB)")]
    if _select(memory, metric="cuda_peak_allocated_bytes"):
        metrics.append(("cuda_peak_allocated_bytes", "CUDA peak allocated (MiB)"))
    figure, axes = _grid(len(metrics), models)
    for column, model in enumerate(models):
        for row_index, (metric, label) in enumerate(metrics):
            axis = axes[row_index][column]
            for mode in _modes(memory):
                _line_with_band(
                    axis, _select(memory, model=model, mode=mode, metric=metric), mode, MIB
                )
            axis.set_title(f"{model}: {label}", fontsize=9)
            axis.set_xlabel("batch")
        axes[0][column].legend(fontsize=7)
    return _save(figure, path)


def plot_accumulate_growth(rows: Sequence[Row], path: Path) -> Path:
    """Accumulate loop: malloc in-use bytes (solid) and RSS (dashed) after each batch."""
    memory = _select(rows, phase="memory", pattern="accumulate")
    models = _models(memory)
    figure, axes = _grid(1, models)
    for column, model in enumerate(models):
        axis = axes[0][column]
        for mode in _modes(memory):
            for metric, style in (("malloc_in_use_bytes", "-"), ("rss_bytes", "--")):
                series = sorted(
                    _select(memory, model=model, mode=mode, metric=metric),
                    key=lambda r: r["iteration"],
                )
                axis.plot(
                    [r["iteration"] for r in series],
                    [r["value"] / MIB for r in series],
                    style,
                    color=COLORS[mode],
                    label=f"{mode} ({metric.split('_')[0]})",
                )
        axis.set_title(f"{model}: memory held, preds.append(model(x))", fontsize=9)
        axis.set_xlabel("batch")
        axis.set_ylabel("MiB")
        axis.legend(fontsize=6)
    return _save(figure, path)


def plot_spread(
    rows: Sequence[Row], phase: str, metric: str, label: str, scale: float, path: Path
) -> Path:
    """Median per mode (bar), min-max (error bar) and every measurement (dots)."""
    selected = _select(rows, phase=phase, metric=metric)
    models = _models(selected)
    figure, axes = _grid(1, models)
    for column, model in enumerate(models):
        axis = axes[0][column]
        for position, mode in enumerate(_modes(selected)):
            values = [row["value"] / scale for row in _select(selected, model=model, mode=mode)]
            median = statistics.median(values)
            axis.bar(position, median, color=COLORS[mode], alpha=0.5)
            axis.errorbar(
                position,
                median,
                yerr=[[median - min(values)], [max(values) - median]],
                color="black",
                capsize=4,
            )
            axis.scatter([position] * len(values), values, color=COLORS[mode], s=8, zorder=3)
        axis.set_xticks(range(len(_modes(selected))), _modes(selected), fontsize=8)
        axis.set_title(f"{model}: {label}", fontsize=9)
    return _save(figure, path)


def plot_all(rows: Sequence[Row], out: Path) -> dict[str, Path]:
    """Every figure the rows allow, as PNG files in `out`."""
    plots = {}
    if _select(rows, phase="memory", pattern="overwrite"):
        plots["memory"] = plot_memory_per_iteration(rows, out / "memory_per_iteration.png")
    if _select(rows, phase="memory", pattern="accumulate"):
        plots["accumulate"] = plot_accumulate_growth(rows, out / "accumulate_growth.png")
    if _select(rows, phase="time"):
        plots["time"] = plot_spread(
            rows,
            "time",
            "time_per_batch_s",
            "time per batch (ms)",
            1e-3,
            out / "time_per_batch.png",
        )
    if _select(rows, phase="energy"):
        plots["energy"] = plot_spread(
            rows,
            "energy",
            "energy_j_per_batch",
            "CodeCarbon energy per batch (J)",
            1.0,
            out / "energy_per_batch.png",
        )
    return plots
