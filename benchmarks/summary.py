"""From raw rows to medians, spreads, accumulate growth and grad/no_grad ratios."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence

from .records import Row

# On CUDA the kept graphs live in GPU memory, so the host figures stay flat and the CUDA peak
# allocated during each batch is what grows.
GROWTH_METRICS = ("malloc_in_use_bytes", "rss_bytes", "cuda_peak_allocated_bytes")


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys over xs."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread if spread else 0.0


def _series(rows: Sequence[Row]) -> dict[tuple[str, str, str, str], list[Row]]:
    groups: dict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row["model"], row["pattern"], row["mode"], row["metric"])].append(row)
    return groups


def growth_rows(rows: Sequence[Row]) -> list[Row]:
    """Accumulate pattern: bytes added per batch (fitted slope), in all (last batch minus before), at the end."""
    groups = _series(rows)
    derived = []
    for (model, pattern, mode, metric), series in groups.items():
        if pattern != "accumulate" or metric not in GROWTH_METRICS:
            continue
        series = sorted(series, key=lambda row: row["iteration"])
        before = groups.get((model, pattern, mode, metric + "_before"))
        values = {
            "growth_per_batch_" + metric: slope(
                [r["iteration"] for r in series], [r["value"] for r in series]
            ),
            "final_" + metric: series[-1]["value"],
        }
        if before:
            values["growth_total_" + metric] = series[-1]["value"] - before[0]["value"]
        for name, value in values.items():
            derived.append(
                {
                    **series[-1],
                    "phase": "derived",
                    "iteration": len(series),
                    "metric": name,
                    "value": value,
                }
            )
    return derived


def _ratio(numerator: float, denominator: float | None) -> float | None:
    return numerator / denominator if denominator else None


def summarize(rows: Sequence[Row]) -> list[dict]:
    """Median, min and max per model/pattern/mode/metric, with the median's ratio to no_grad's."""
    groups = _series([*rows, *growth_rows(rows)])
    medians = {key: statistics.median(r["value"] for r in series) for key, series in groups.items()}
    summary = []
    for key in sorted(groups):
        model, pattern, mode, metric = key
        values = [r["value"] for r in groups[key]]
        summary.append(
            {
                "model": model,
                "pattern": pattern,
                "mode": mode,
                "metric": metric,
                "batch_size": groups[key][0]["batch_size"],
                "n": len(values),
                "median": medians[key],
                "min": min(values),
                "max": max(values),
                "ratio_to_no_grad": _ratio(
                    medians[key], medians.get((model, pattern, "no_grad", metric))
                ),
            }
        )
    return summary


HEADLINE_METRICS = {
    ("overwrite", "graph_bytes"): "saved-graph bytes per batch",
    ("overwrite", "peak_rss_bytes"): "peak RSS per batch",
    ("overwrite", "peak_rss_over_start_bytes"): "peak RSS above the pre-loop RSS",
    ("overwrite", "cuda_peak_allocated_bytes"): "CUDA peak allocated per batch",
    (
        "accumulate",
        "growth_per_batch_malloc_in_use_bytes",
    ): "accumulate: malloc in-use growth per batch",
    ("accumulate", "growth_total_rss_bytes"): "accumulate: RSS growth over the run",
    ("accumulate", "final_rss_bytes"): "accumulate: RSS after the last batch",
    (
        "accumulate",
        "growth_per_batch_cuda_peak_allocated_bytes",
    ): "accumulate: CUDA peak allocated growth per batch",
    (
        "accumulate",
        "final_cuda_peak_allocated_bytes",
    ): "accumulate: CUDA peak allocated, last batch",
    ("overwrite", "time_per_batch_s"): "time per batch",
    ("overwrite", "energy_j_per_batch"): "CodeCarbon energy per batch",
    ("overwrite", "gpu_energy_j_per_batch"): "of which GPU (NVML)",
}


def headline(summary: Sequence[dict]) -> list[dict]:
    """grad vs no_grad (and inference_mode) medians for the metrics the docs quote."""
    index = {(s["model"], s["pattern"], s["mode"], s["metric"]): s for s in summary}
    lines = []
    for model in sorted({s["model"] for s in summary}):
        for (pattern, metric), label in HEADLINE_METRICS.items():
            grad = index.get((model, pattern, "grad", metric))
            no_grad = index.get((model, pattern, "no_grad", metric))
            if not grad or not no_grad:
                continue
            if not grad["median"] and not no_grad["median"]:
                continue  # nothing measured here, e.g. GPU energy on a machine without one
            inference = index.get((model, pattern, "inference_mode", metric))
            lines.append(
                {
                    "model": model,
                    "pattern": pattern,
                    "metric": metric,
                    "label": label,
                    "batch_size": grad["batch_size"],
                    "grad": grad["median"],
                    "no_grad": no_grad["median"],
                    "inference_mode": inference["median"] if inference else None,
                    "grad_over_no_grad": grad["ratio_to_no_grad"],
                }
            )
    return lines
