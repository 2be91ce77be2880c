"""Wall time per batch, the modes interleaved in one process.

Interleaving in a shuffled order, after a warm-up of every mode, spreads slow drifts (other
users of the machine, CPU frequency, allocator state) over all modes instead of one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import torch

from .models import build_eval_model, random_batch
from .modes import mode_context
from .records import Row, record


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_batches(model: torch.nn.Module, batch: torch.Tensor, mode: str, count: int) -> None:
    """`count` forward calls in `mode`, each output dropped before the next (the overwrite loop)."""
    for _ in range(count):
        with mode_context(mode):
            outputs = model(batch)
        del outputs
    _synchronize(batch.device)


def time_modes(
    model_name: str,
    modes: Sequence[str],
    batch_size: int,
    repeats: int,
    warmup: int,
    device: torch.device,
    rng: random.Random,
) -> list[Row]:
    """`repeats` timed batches per mode; each repeat runs every mode once, in a fresh shuffled order."""
    model = build_eval_model(model_name, device)
    batch = random_batch(model_name, batch_size, device)
    for mode in modes:
        run_batches(model, batch, mode, warmup)
    rows = []
    for repeat in range(1, repeats + 1):
        for mode in rng.sample(list(modes), len(modes)):
            start = time.perf_counter()
            run_batches(model, batch, mode, 1)
            elapsed = time.perf_counter() - start
            rows.append(
                record(
                    "time",
                    model_name,
                    mode,
                    "overwrite",
                    repeat,
                    batch_size,
                    "time_per_batch_s",
                    elapsed,
                )
            )
    return rows
