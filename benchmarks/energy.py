"""Energy and emissions per batch with CodeCarbon, offline, modes interleaved over rounds.

What CodeCarbon measures decides what these numbers can show: with RAPL it reads the CPU's
energy counters; without (virtual machines), it multiplies the process's CPU load by a TDP
(a load model), and RAM power is modelled from installed memory, not from what is used. The
power sources are therefore recorded next to the numbers.
"""

from __future__ import annotations

import logging
import math
import random
import warnings
from collections.abc import Sequence
from typing import Any

import torch

from .models import build_eval_model, random_batch
from .records import Row, record
from .timing import run_batches

JOULES_PER_KWH = 3.6e6


def start_tracker(country_iso_code: str) -> Any:
    """A started OfflineEmissionsTracker: no network, no file, only errors logged."""
    from codecarbon import OfflineEmissionsTracker

    logging.getLogger("codecarbon").setLevel(logging.ERROR)  # importing codecarbon sets INFO
    with warnings.catch_warnings():
        # CodeCarbon 3 deprecates save_to_file (output_methods replaces it); 2.x only knows save_to_file.
        warnings.simplefilter("ignore", DeprecationWarning)
        tracker = OfflineEmissionsTracker(
            country_iso_code=country_iso_code,
            tracking_mode="process",
            save_to_file=False,
            log_level="error",
            measure_power_secs=3600,  # tasks take their own measurements
        )
    tracker.start()
    return tracker


def power_sources(tracker: Any) -> dict[str, Any]:
    """How this tracker gets its power figures (e.g. 'CPU(Cpu Load)', 'RAM()', 'GPU(...)')."""
    import codecarbon

    hardware = getattr(tracker, "_hardware", [])
    sources: dict[str, Any] = {
        "codecarbon_version": codecarbon.__version__,
        "tracking_mode": "process",
        "country_iso_code": getattr(tracker, "_country_iso_code", None),
        "hardware": [repr(unit) for unit in hardware],
    }
    for unit in hardware:
        if type(unit).__name__ == "CPU":
            sources["cpu_power_mode"] = getattr(unit, "_mode", None)
            sources["cpu_tdp_w"] = getattr(unit, "_tdp", None)
            sources["cpu_tdp_is_generic"] = getattr(unit, "_is_generic_tdp", None)
    try:
        sources["detected_hardware"] = tracker.get_detected_hardware()
    except Exception as error:  # informative only; never fail a run over it
        sources["detected_hardware"] = f"unavailable: {error}"
    return sources


def batches_for(seconds: float, seconds_per_batch: float) -> int:
    """How many batches make a task of about `seconds` (CodeCarbon needs time to see a load)."""
    return max(1, math.ceil(seconds / max(seconds_per_batch, 1e-9)))


def measure_energy(
    tracker: Any,
    model_name: str,
    modes: Sequence[str],
    batch_size: int,
    batches_per_task: int,
    rounds: int,
    device: torch.device,
    rng: random.Random,
) -> list[Row]:
    """Per round and mode, one CodeCarbon task of `batches_per_task` batches, reported per batch."""
    model = build_eval_model(model_name, device)
    batch = random_batch(model_name, batch_size, device)
    for mode in modes:
        run_batches(model, batch, mode, 1)
    rows = []
    for round_index in range(1, rounds + 1):
        for mode in rng.sample(list(modes), len(modes)):
            tracker.start_task(f"{model_name}-{mode}-{round_index}")
            run_batches(model, batch, mode, batches_per_task)
            data = tracker.stop_task()
            values = {
                "energy_j_per_batch": data.energy_consumed * JOULES_PER_KWH / batches_per_task,
                "emissions_g_per_batch": data.emissions * 1000 / batches_per_task,
                "cpu_energy_j_per_batch": data.cpu_energy * JOULES_PER_KWH / batches_per_task,
                "ram_energy_j_per_batch": data.ram_energy * JOULES_PER_KWH / batches_per_task,
                "gpu_energy_j_per_batch": data.gpu_energy * JOULES_PER_KWH / batches_per_task,
                "cpu_power_w": data.cpu_power,
                "ram_power_w": data.ram_power,
                "task_duration_s": data.duration,
                "task_batches": batches_per_task,
            }
            rows += [
                record(
                    "energy",
                    model_name,
                    mode,
                    "overwrite",
                    round_index,
                    batch_size,
                    name,
                    float(value),
                )
                for name, value in values.items()
            ]
    return rows
