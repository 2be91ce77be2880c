"""Memory of one (model, mode, pattern) run, meant to run alone in a fresh process.

A fresh process per run keeps one mode's leftovers (allocator caches, freed-but-kept heap)
out of the next mode's numbers. Run as `python -m benchmarks.memory_worker '<RunSpec JSON>'`;
it prints the rows as one JSON line.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import torch

from .cpu_memory import current_rss_bytes, malloc_in_use_bytes, peak_rss_bytes, reset_peak_rss
from .gpu_memory import cuda_memory, reset_cuda_peak
from .graph_bytes import SavedGraphMeter
from .models import build_eval_model, random_batch
from .modes import mode_context
from .records import Row, record

PATTERNS = ("overwrite", "accumulate")


@dataclass(frozen=True)
class RunSpec:
    model: str
    mode: str
    pattern: str
    batch_size: int
    batches: int
    device: str
    threads: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def _rows(
    spec: RunSpec, iteration: int, values: Mapping[str, int | None], suffix: str = ""
) -> list[Row]:
    """One memory row per measured value (None: not available here)."""
    return [
        record(
            "memory",
            spec.model,
            spec.mode,
            spec.pattern,
            iteration,
            spec.batch_size,
            name + suffix,
            value,
        )
        for name, value in values.items()
        if value is not None
    ]


def _cpu_rows(spec: RunSpec, iteration: int, rss_before: int = 0) -> list[Row]:
    """Current RSS and malloc in-use bytes; after a batch (iteration > 0) also its peak RSS."""
    values = {"rss_bytes": current_rss_bytes(), "malloc_in_use_bytes": malloc_in_use_bytes()}
    if iteration:
        values["peak_rss_bytes"] = peak_rss_bytes()
        values["peak_rss_over_start_bytes"] = values["peak_rss_bytes"] - rss_before
    return _rows(spec, iteration, values, "" if iteration else "_before")


def measure_memory(spec: RunSpec) -> list[Row]:
    """Per batch: saved-graph bytes, peak and current RSS, malloc in-use bytes, CUDA peak.

    `overwrite` is the usual inference loop (`outputs = model(x)`: the previous graph is freed
    only once the new forward has finished); `accumulate` keeps every output
    (`preds.append(model(x))`).
    """
    torch.set_num_threads(spec.threads)
    device = torch.device(spec.device)
    model = build_eval_model(spec.model, device)
    frozen = [*model.parameters(), *model.buffers()]
    with mode_context(spec.mode):
        model(random_batch(spec.model, spec.batch_size, device))  # warm-up: kernels, thread pools
    gc.collect()

    rss_before = current_rss_bytes()
    rows = _cpu_rows(spec, 0)
    held, outputs = [], None
    for iteration in range(1, spec.batches + 1):
        reset_peak_rss()
        if device.type == "cuda":
            reset_cuda_peak(device)
        batch = random_batch(spec.model, spec.batch_size, device)
        with mode_context(spec.mode), SavedGraphMeter([*frozen, batch]) as meter:
            if spec.pattern == "accumulate":
                held.append(model(batch))
            else:
                outputs = model(batch)
        values = {"graph_bytes": meter.saved_bytes, "input_bytes": batch.nbytes}
        if device.type == "cuda":
            values.update(cuda_memory(device))
        rows += _rows(spec, iteration, values)
        rows += _cpu_rows(spec, iteration, rss_before)
        del batch
    del outputs, held
    return rows


def main(argv: list[str]) -> None:
    spec = RunSpec(**json.loads(argv[0]))
    print(json.dumps(measure_memory(spec)))


if __name__ == "__main__":
    main(sys.argv[1:])
