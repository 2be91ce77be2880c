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
        return f"{value / MIB:,.1f} MiB" if value else "0"
    if metric.endswith("_s"):
        return f"{value * 1000:,.1f} ms"
    if metric.startswith("energy_j"):
        return f"{value:.3g} J"
    return f"{value:.3g}"


def headline_markdown(lines: Sequence[dict]) -> str:
    table = [
        "| model (batch) | metric | grad | no_grad | inference_mode | grad / no_grad |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for line in lines:
        ratio = line["grad_over_no_grad"]
        ratio_text = f"{ratio:.2f}x" if ratio is not None else "no_grad: exactly 0"
        table.append(
            f"| {line['model']} ({line['batch_size']}) | {line['label']} | {human(line['metric'], line['grad'])} "
            f"| {human(line['metric'], line['no_grad'])} | {human(line['metric'], line['inference_mode'])} "
            f"| {ratio_text} |"
        )
    return "\n".join(table) + "\n"


def write_results(out: Path, rows: Sequence[Row], environment: dict) -> dict:
    """raw.csv, summary.csv, summary.json, headline.md and environment.json in `out`; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(rows)
    lines = headline(summary)
    _write_csv(out / "raw.csv", FIELDS, rows)
    _write_csv(out / "summary.csv", SUMMARY_FIELDS, summary)
    document = {"summary": summary, "headline": lines}
    (out / "summary.json").write_text(json.dumps(document, indent=1) + "\n")
    (out / "headline.md").write_text(headline_markdown(lines))
    (out / "environment.json").write_text(json.dumps(environment, indent=1) + "\n")
    return document
