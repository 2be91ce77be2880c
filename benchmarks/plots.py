"""The figures, each readable without the docs: its title names the loop, the batch sizes and
the machine, memory axes start at zero, and every mark it draws is in its legend."""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .records import Row
from .report import machine

MIB = 2**20
COLORS = {"grad": "tab:red", "no_grad": "tab:blue", "inference_mode": "tab:green"}
#: no_grad and inference_mode often give the same figure: a hollow square under a cross,
#: on dashed and dotted lines, keeps both visible where they coincide.
LINE_STYLES = {
    "grad": {"marker": "o", "linestyle": "-", "markersize": 3.5},
    "no_grad": {"marker": "s", "linestyle": "--", "markersize": 5, "fillstyle": "none"},
    "inference_mode": {"marker": "x", "linestyle": ":", "markersize": 4},
}
#: Two modes whose series differ by less than this share of the panel's largest value are
#: drawn over each other; the legend then says so.
COINCIDE_SHARE = 0.01
#: Narrower figures (one model) would clip the title, the legend and the caption.
MIN_WIDTH_INCHES = 10.0
#: Characters per inch of figure width, for wrapping the caption (8 pt) and the title (11 pt).
CAPTION_CHARS_PER_INCH = 13
TITLE_CHARS_PER_INCH = 9


def _select(rows: Sequence[Row], **criteria: str) -> list[Row]:
    return [row for row in rows if all(row[key] == value for key, value in criteria.items())]


def _models(rows: Sequence[Row]) -> list[str]:
    """In the order the run measured them (small to large workloads in the default suite)."""
    return list(dict.fromkeys(str(row["model"]) for row in rows))


def _modes(rows: Sequence[Row]) -> list[str]:
    present = {row["mode"] for row in rows}
    return [mode for mode in COLORS if mode in present]


def _batch_size(rows: Sequence[Row], model: str) -> int:
    return int(_select(rows, model=model)[0]["batch_size"])


def _series(rows: Sequence[Row], **criteria: str) -> tuple[list[int], list[float]]:
    selected = sorted(_select(rows, **criteria), key=lambda row: row["iteration"])
    return [int(row["iteration"]) for row in selected], [float(row["value"]) for row in selected]


#: Inches above the panels (title, machine, legend) and below them (the caption).
HEADER_INCHES = 0.4  # room for a two-line title; a longer one takes it from the panels
FOOTER_INCHES = 0.85


def _figure(rows_count: int, columns: int, height: float):
    figure, axes = plt.subplots(
        rows_count,
        columns,
        figsize=(
            max(4.3 * columns, MIN_WIDTH_INCHES),
            height * rows_count + HEADER_INCHES + FOOTER_INCHES,
        ),
        squeeze=False,
    )
    return figure, axes


def _caption(figure, text: str) -> None:
    figure.text(
        0.5,
        0.15 / figure.get_figheight(),
        textwrap.fill(text, int(figure.get_figwidth() * CAPTION_CHARS_PER_INCH)),
        fontsize=8,
        ha="center",
        va="bottom",
    )


def _title(figure, what: str, environment: dict | None) -> float:
    """The figure's title and, under it, the machine; returns the inches it takes."""
    lines = textwrap.wrap(what, int(figure.get_figwidth() * TITLE_CHARS_PER_INCH))
    if environment:
        lines.append(machine(environment))
    figure.suptitle("\n".join(lines), fontsize=11, y=1 - 0.08 / figure.get_figheight())
    return 0.08 + 0.2 * len(lines)


def _legend(figure, handles: Sequence, columns: int, title_inches: float) -> None:
    """Under the title, above the panels, where it hides no data."""
    figure.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - (title_inches + 0.07) / figure.get_figheight()),
        ncol=columns,
        fontsize=8,
        frameon=False,
    )


def _save(figure, path: Path, title_inches: float) -> Path:
    height = figure.get_figheight()
    top = title_inches - 0.08  # the panels' own titles go under the legend
    figure.tight_layout(rect=(0, FOOTER_INCHES / height, 1, 1 - top / height))
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _coincide(rows: Sequence[Row], panels: Sequence[dict[str, str]]) -> bool:
    """Whether inference_mode's series equals no_grad's in every panel, at the plot's scale."""
    compared = False
    for criteria in panels:
        _, no_grad = _series(rows, mode="no_grad", **criteria)
        _, inference = _series(rows, mode="inference_mode", **criteria)
        if not no_grad or len(no_grad) != len(inference):
            return False
        scale = max(abs(value) for value in _series(rows, **criteria)[1]) or 1.0
        if any(abs(a - b) > COINCIDE_SHARE * scale for a, b in zip(no_grad, inference)):
            return False
        compared = True
    return compared


def _mode_legend(
    figure, modes: Sequence[str], coincide: bool, title_inches: float, extra: Sequence = ()
) -> None:
    handles = []
    for mode in modes:
        label = mode
        if mode == "inference_mode" and coincide:
            label = "inference_mode (same as no_grad: the crosses sit in the squares)"
        handles.append(Line2D([], [], color=COLORS[mode], label=label, **LINE_STYLES[mode]))
    _legend(figure, [*handles, *extra], len(handles) + len(extra), title_inches)


def _mib(value: float) -> str:
    return f"{value / MIB:,.1f}" if value else "0"


def _lines(
    axis, rows: Sequence[Row], modes: Sequence[str], last: bool = False, **criteria: str
) -> str:
    """One line per mode; returns their medians (or last values) as text for the panel's
    title, since a 2 % gap is hard to see on an axis from zero."""
    figures = []
    for mode in modes:
        xs, ys = _series(rows, mode=mode, **criteria)
        axis.plot(xs, [y / MIB for y in ys], color=COLORS[mode], **LINE_STYLES[mode])
        if ys:
            figures.append(f"{mode} {_mib(ys[-1] if last else statistics.median(ys))}")
    axis.set_ylim(bottom=0)
    axis.set_xlabel("batch", fontsize=8)
    axis.set_ylabel("MiB", fontsize=8)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.tick_params(labelsize=8)
    return ("last batch, MiB: " if last else "median MiB: ") + ", ".join(figures)


def plot_memory_per_iteration(
    rows: Sequence[Row], path: Path, environment: dict | None = None
) -> Path:
    """Overwrite loop: peak RSS and saved-graph bytes of every batch, from zero."""
    memory = _select(rows, phase="memory", pattern="overwrite")
    models, modes = _models(memory), _modes(memory)
    metrics = [
        ("peak_rss_bytes", "peak RSS of the process"),
        ("peak_rss_over_start_bytes", "peak RSS above the RSS before the loop"),
        ("graph_bytes", "saved autograd graph"),
    ]
    if _select(memory, metric="cuda_peak_allocated_bytes"):
        metrics.append(("cuda_peak_allocated_bytes", "CUDA peak allocated"))
    figure, axes = _figure(len(metrics), len(models), 2.6)
    for column, model in enumerate(models):
        for row_index, (metric, label) in enumerate(metrics):
            axis = axes[row_index][column]
            medians = _lines(axis, memory, modes, model=model, metric=metric)
            if metric == "peak_rss_bytes":
                before = [
                    float(row["value"])
                    for row in _select(memory, model=model, metric="rss_bytes_before")
                ]
                if before:
                    axis.axhline(statistics.median(before) / MIB, color="grey", linewidth=1)
            axis.set_title(
                f"{model}, batch {_batch_size(memory, model)}: {label}\n{medians}", fontsize=8
            )
    coincide = _coincide(
        memory, [{"model": m, "metric": metric} for m in models for metric, _ in metrics]
    )
    baseline = Line2D([], [], color="grey", linewidth=1, label="RSS before the loop")
    title = _title(
        figure,
        "Overwrite loop, outputs = model(x): memory of each batch, eval-mode models",
        environment,
    )
    _mode_legend(figure, modes, coincide, title, [baseline])
    _caption(
        figure,
        "Each point is one batch; each model and mode ran in a fresh process. Peak RSS is the "
        "process's high-water mark during that batch; most of it is the torch libraries and the "
        "model (grey line: RSS before the loop), the same in every mode; the middle row leaves "
        "it out. Saved graph: bytes autograd kept for a backward pass, exactly 0 under no_grad "
        "and inference_mode. From the second batch on, grad's peak holds two graphs: the "
        "previous output's and the new one.",
    )
    return _save(figure, path, title)


def plot_accumulate_growth(
    rows: Sequence[Row], path: Path, environment: dict | None = None
) -> Path:
    """Accumulate loop: RSS and malloc in-use bytes after each batch, from zero; on CUDA also
    the CUDA peak allocated during each batch, since the kept graphs live in GPU memory."""
    memory = _select(rows, phase="memory", pattern="accumulate")
    models, modes = _models(memory), _modes(memory)
    metrics = [("rss_bytes", "RSS after the batch"), ("malloc_in_use_bytes", "malloc in use")]
    on_cuda = bool(_select(memory, metric="cuda_peak_allocated_bytes"))
    if on_cuda:
        metrics.insert(0, ("cuda_peak_allocated_bytes", "CUDA peak allocated"))
    figure, axes = _figure(len(metrics), len(models), 2.6)
    for column, model in enumerate(models):
        for row_index, (metric, label) in enumerate(metrics):
            axis = axes[row_index][column]
            figures = _lines(axis, memory, modes, last=True, model=model, metric=metric)
            axis.set_title(
                f"{model}, batch {_batch_size(memory, model)}: {label}\n{figures}", fontsize=8
            )
    coincide = _coincide(
        memory, [{"model": m, "metric": metric} for m in models for metric, _ in metrics]
    )
    title = _title(
        figure,
        "Accumulate loop, preds.append(model(x)): memory held after each batch, eval-mode models",
        environment,
    )
    _mode_legend(figure, modes, coincide, title)
    _caption(
        figure,
        "Each point is one batch; each model and mode ran in a fresh process. Under grad every "
        "kept output pins its autograd graph and the input it saved, so memory grows by that "
        "much per batch; under no_grad and inference_mode it grows only by the outputs. "
        + (
            "On CUDA those tensors are in GPU memory: the CUDA row grows, while the host's RSS "
            "and malloc rows only gain the small autograd node objects. "
            if on_cuda
            else ""
        )
        + "malloc in use: glibc's count of allocated bytes, without the libraries' code.",
    )
    return _save(figure, path, title)


def _spread_legend(what: str) -> list:
    return [
        Patch(facecolor="lightgrey", label="bar: median"),
        Line2D([], [], color="black", marker="_", markersize=8, label="whiskers: min-max"),
        Line2D([], [], color="grey", marker=".", linestyle="", label=f"dots: each {what}"),
    ]


def _bars(axis, selected: Sequence[Row], model: str, scale: float) -> dict[str, float]:
    """Median bar, min-max whiskers and every value per mode; returns the medians."""
    medians = {}
    modes = _modes(selected)
    for position, mode in enumerate(modes):
        values = [float(row["value"]) / scale for row in _select(selected, model=model, mode=mode)]
        median = statistics.median(values)
        medians[mode] = median
        axis.bar(position, median, color=COLORS[mode], alpha=0.45)
        axis.errorbar(
            position,
            median,
            yerr=[[median - min(values)], [max(values) - median]],
            color="black",
            capsize=5,
        )
        axis.scatter([position] * len(values), values, color=COLORS[mode], s=9, zorder=3)
    axis.set_xticks(range(len(modes)), modes, fontsize=8)
    axis.set_ylim(bottom=0)
    axis.tick_params(labelsize=8)
    return medians


def plot_time(rows: Sequence[Row], path: Path, environment: dict | None = None) -> Path:
    """Time per batch per mode: median, min-max and every timed batch."""
    selected = _select(rows, phase="time", metric="time_per_batch_s")
    models = _models(selected)
    figure, axes = _figure(1, len(models), 2.8)
    repeats = len(_select(selected, model=models[0], mode="grad")) if models else 0
    for column, model in enumerate(models):
        axis = axes[0][column]
        _bars(axis, selected, model, 1e-3)
        axis.set_ylabel("ms per batch", fontsize=8)
        axis.set_title(f"{model}, batch {_batch_size(selected, model)}", fontsize=9)
    title = _title(
        figure,
        "Time per batch, overwrite loop outputs = model(x), eval-mode models "
        "(bar: median, whiskers: min-max)",
        environment,
    )
    _legend(figure, _spread_legend("timed batch"), 3, title)
    _caption(
        figure,
        f"{repeats} timed batches per mode, interleaved in a new random order each round after a "
        "warm-up, all in one process. Wall-clock time: other load on the machine widens the "
        "spread.",
    )
    return _save(figure, path, title)


def codecarbon_caption(environment: dict | None, ram_watts: float | None) -> str:
    """What CodeCarbon measured and what it estimated, from the power sources the run recorded."""
    tracker = (environment or {}).get("codecarbon") or {}
    hardware = " ".join(tracker.get("hardware", []))
    parts = [f"CodeCarbon {tracker.get('codecarbon_version', '')}".rstrip() + " on this machine:"]
    if "Cpu Load" in hardware or tracker.get("cpu_power_mode") == "cpu_load":
        tdp = tracker.get("cpu_tdp_w")
        parts.append(
            "CPU power is estimated, not metered (no RAPL counters): "
            f"TDP{f' {tdp} W' if tdp else ''} \u00d7 the process's CPU load, so the CPU part "
            "follows CPU time and cannot see frequency or memory traffic."
        )
    elif "RAPL" in hardware.upper():
        parts.append("CPU energy from RAPL counters (the whole package, not only this process).")
    if "RAM" in hardware:
        watts = f" {ram_watts:g} W" if ram_watts else ""
        parts.append(
            f"RAM power is a constant{watts} derived from the installed memory, blind to the bytes "
            "in use: the memory grad holds costs nothing here, and the RAM part follows wall time."
        )
    gpus = (tracker.get("detected_hardware") or {}).get("gpu_count")
    parts.append("GPU: none." if not gpus else "GPU: power read from NVML (a real measurement).")
    return " ".join(parts)


def plot_energy(rows: Sequence[Row], path: Path, environment: dict | None = None) -> Path:
    """CodeCarbon energy per batch per mode, with the RAM part hatched and the caveats below."""
    energy = _select(rows, phase="energy")
    selected = _select(energy, metric="energy_j_per_batch")
    models = _models(selected)
    figure, axes = _figure(1, len(models), 2.8)
    rounds = len(_select(selected, model=models[0], mode="grad")) if models else 0
    ram_rows = _select(energy, metric="ram_energy_j_per_batch")
    for column, model in enumerate(models):
        axis = axes[0][column]
        medians = _bars(axis, selected, model, 1.0)
        for position, mode in enumerate(_modes(selected)):
            ram = [float(row["value"]) for row in _select(ram_rows, model=model, mode=mode)]
            if ram:
                axis.bar(
                    position,
                    min(statistics.median(ram), medians[mode]),
                    fill=False,
                    hatch="///",
                    edgecolor="dimgrey",
                    linewidth=0,
                )
        axis.set_ylabel("J per batch", fontsize=8)
        axis.set_title(f"{model}, batch {_batch_size(selected, model)}", fontsize=9)
    ram_watts = [float(row["value"]) for row in _select(energy, metric="ram_power_w")]
    extra = [
        Patch(
            fill=False,
            hatch="///",
            edgecolor="dimgrey",
            label="of which RAM (median; constant power \u00d7 time)",
        )
    ]
    title = _title(
        figure,
        "CodeCarbon energy per batch, overwrite loop outputs = model(x), eval-mode models "
        "(bar: median, whiskers: min-max)",
        environment,
    )
    _legend(figure, [*_spread_legend("round"), *(extra if ram_rows else [])], 4, title)
    _caption(
        figure,
        f"{rounds} rounds per mode, modes interleaved in a new random order each round, each "
        "task a few seconds of batches. "
        + codecarbon_caption(environment, statistics.median(ram_watts) if ram_watts else None),
    )
    return _save(figure, path, title)


def plot_all(rows: Sequence[Row], out: Path, environment: dict | None = None) -> dict[str, Path]:
    """Every figure the rows allow, as PNG files in `out`."""
    plots = {}
    if _select(rows, phase="memory", pattern="overwrite"):
        plots["memory"] = plot_memory_per_iteration(
            rows, out / "memory_per_iteration.png", environment
        )
    if _select(rows, phase="memory", pattern="accumulate"):
        plots["accumulate"] = plot_accumulate_growth(
            rows, out / "accumulate_growth.png", environment
        )
    if _select(rows, phase="time"):
        plots["time"] = plot_time(rows, out / "time_per_batch.png", environment)
    if _select(rows, phase="energy", metric="energy_j_per_batch"):
        plots["energy"] = plot_energy(rows, out / "energy_per_batch.png", environment)
    return plots
