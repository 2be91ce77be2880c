"""Writes a run's files: raw rows, summary CSV/JSON, and the headline as a Markdown table."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path

from .records import FIELDS, Row
from .summary import headline, summarize

SUMMARY_FIELDS = (
    "model",
    "pattern",
    "mode",
    "metric",
    "batch_size",
    "n",
    "median",
    "min",
    "max",
    "ratio_to_no_grad",
)
MIB = 2**20
KIB = 2**10

#: Below this share of grad's median, no_grad's median counts as zero in the headline: the
#: ratio would then exceed 100x and measure the denominator's noise (a few KiB of allocator
#: bookkeeping, a MiB of page-cache drift) rather than anything grad does.
NEGLIGIBLE_SHARE = 0.01


def _write_csv(path: Path, fields: Sequence[str], rows: Sequence[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def human(metric: str, value: float | None) -> str:
    """A value in the unit a reader expects: MiB, ms, J, mg."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"  # an en dash: no value
    if metric.endswith("bytes"):
        if not value:
            return "0"
        if abs(value) < MIB / 10:
            return f"{value / KIB:,.1f} KiB"
        return f"{value / MIB:,.1f} MiB"
    if metric.endswith("_s"):
        return f"{value * 1000:,.1f} ms"
    if "energy_j_per_batch" in metric:  # the total and its CPU, RAM and GPU parts
        return f"{value:.3g} J"
    return f"{value:.3g}"


def ratio_text(grad: float, no_grad: float) -> str:
    """grad's median over no_grad's, or why there is no meaningful ratio."""
    if no_grad == 0:
        return "n/a: 0 under no_grad"
    if no_grad < 0:
        return "n/a: below 0 under no_grad"
    if no_grad < NEGLIGIBLE_SHARE * abs(grad):
        return "n/a: ~0 under no_grad"
    return f"{grad / no_grad:.2f}x"


def machine(environment: dict) -> str:
    """One line naming what the figures were measured on, for titles and the headline."""
    device = str(environment.get("device", "cpu"))
    if device.startswith("cuda") and environment.get("gpu_model"):
        hardware = f"GPU {environment['gpu_model']}"
    else:
        cpus = environment.get("cpu_count")
        model = environment.get("cpu_model") or "CPU"
        hardware = f"CPU only: {cpus} logical CPUs, {model}" if cpus else f"CPU only: {model}"
    threads = environment.get("torch_threads")
    thread_text = f", {threads} torch thread{'s' if threads != 1 else ''}" if threads else ""
    return f"{hardware}, torch {environment.get('torch', '?')}{thread_text}"


def headline_markdown(lines: Sequence[dict], environment: dict | None = None) -> str:
    """The headline table, with the machine and the ratio rule under it."""
    table = [
        "| model (batch) | metric | grad | no_grad | inference_mode | grad / no_grad |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for line in lines:
        ratio = ratio_text(line["grad"], line["no_grad"])
        table.append(
            f"| {line['model']} ({line['batch_size']}) | {line['label']} | {human(line['metric'], line['grad'])} "
            f"| {human(line['metric'], line['no_grad'])} | {human(line['metric'], line['inference_mode'])} "
            f"| {ratio} |"
        )
    notes = [
        "",
        "Medians over batches (memory, time) or CodeCarbon rounds (energy); accumulate growth "
        "per batch is a least-squares slope over the run.",
    ]
    if environment:
        notes[-1] += f" Measured on {machine(environment)}."
    notes += [
        "",
        f"\"n/a: ~0 under no_grad\": no_grad's median is under {NEGLIGIBLE_SHARE:.0%} of grad's, "
        "where a ratio (over 100x) would measure the noise in no_grad's figure; read the grad "
        "column instead.",
    ]
    return "\n".join(table + notes) + "\n"


def read_raw(path: Path) -> list[Row]:
    """raw.csv back into rows with numbers where the run wrote numbers."""
    with path.open(newline="") as handle:
        rows: list[Row] = list(csv.DictReader(handle))
    for row in rows:
        row["iteration"] = int(row["iteration"])
        row["batch_size"] = int(row["batch_size"])
        text = str(row["value"])
        row["value"] = int(text) if text.lstrip("-").isdigit() else float(text)
    return rows


def write_results(out: Path, rows: Sequence[Row], environment: dict, raw: bool = True) -> dict:
    """raw.csv (unless `raw` is false: rebuilding from it), summary.csv, summary.json,
    headline.md and environment.json in `out`; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(rows)
    lines = headline(summary)
    if raw:
        _write_csv(out / "raw.csv", FIELDS, rows)
    _write_csv(out / "summary.csv", SUMMARY_FIELDS, summary)
    document = {"summary": summary, "headline": lines}
    (out / "summary.json").write_text(json.dumps(document, indent=1) + "\n")
    (out / "headline.md").write_text(headline_markdown(lines, environment))
    (out / "environment.json").write_text(json.dumps(environment, indent=1) + "\n")
    return document
