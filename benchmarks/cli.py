"""`python -m benchmarks`: memory, time and energy of eval-mode inference with and without no_grad."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from .config import FULL_PHASES, QUICK_PHASES, plan_for
from .energy import batches_for, measure_energy, power_sources, start_tracker
from .environment import describe, load_average
from .memory_runs import run_all
from .memory_worker import PATTERNS, RunSpec
from .models import MODELS
from .modes import MODES
from .plots import plot_all
from .records import Row
from .report import write_results
from .timing import time_modes

QUICK_MODELS = ("small_cnn",)


def _names(text: str, known: Sequence[str]) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown: {', '.join(unknown)} (known: {', '.join(known)})"
        )
    return names


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for CSV, JSON and PNG results"
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        default="auto",
        help="auto: cuda when available (default: %(default)s)",
    )
    parser.add_argument(
        "--models",
        type=lambda text: _names(text, list(MODELS)),
        help=f"comma-separated, from {', '.join(MODELS)} (default: all; --quick: small_cnn)",
    )
    parser.add_argument(
        "--modes",
        type=lambda text: _names(text, list(MODES)),
        default=list(MODES),
        help="comma-separated (default: all three)",
    )
    parser.add_argument("--pattern", choices=(*PATTERNS, "both"), default="both")
    parser.add_argument("--batch-size", type=int, help="override every model's batch size")
    parser.add_argument(
        "--batches", type=int, help="override every model's number of measured batches"
    )
    parser.add_argument("--rounds", type=int, help="interleaved CodeCarbon rounds (0: skip energy)")
    parser.add_argument("--timing-repeats", type=int, help="timed batches per mode")
    parser.add_argument("--energy-seconds", type=float, help="target length of one CodeCarbon task")
    parser.add_argument(
        "--country", default="FRA", help="ISO code for CodeCarbon's offline carbon intensity"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads, fixed for every phase (default 1: stable on shared machines)",
    )
    parser.add_argument(
        "--jobs", type=int, help="memory workers run at once (default 1; --quick: 2)"
    )
    parser.add_argument(
        "--mmap-threshold",
        type=int,
        default=65536,
        help="MALLOC_MMAP_THRESHOLD_ for memory workers; 0 leaves glibc's dynamic threshold",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the mode orders")
    parser.add_argument(
        "--quick", action="store_true", help="tiny configuration that runs in seconds"
    )
    return parser.parse_args(argv)


def pick_device(choice: str) -> torch.device:
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: CUDA is not available")
    return torch.device(choice)


class Progress:
    """Timestamped progress lines on stderr."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        print(
            f"[bench {time.monotonic() - self.start:6.1f}s] {message}", file=sys.stderr, flush=True
        )


def run(args: argparse.Namespace) -> dict:
    """Memory in fresh processes, then time and energy in this one; writes results and plots."""
    progress = Progress()
    device = pick_device(args.device)
    torch.set_num_threads(args.threads)
    models = args.models or (list(QUICK_MODELS) if args.quick else list(MODELS))
    phases = QUICK_PHASES if args.quick else FULL_PHASES
    plans = {model: plan_for(model, args.quick, args.batch_size, args.batches) for model in models}
    patterns = PATTERNS if args.pattern == "both" else (args.pattern,)
    mmap_threshold = args.mmap_threshold or None
    environment = describe(device, args.threads, mmap_threshold)
    rng = random.Random(args.seed)

    specs = [
        RunSpec(
            model,
            mode,
            pattern,
            plans[model].batch_size,
            plans[model].batches,
            str(device),
            args.threads,
        )
        for model in models
        for pattern in patterns
        for mode in args.modes
    ]
    progress(f"memory: {len(specs)} runs, each in a fresh process")
    rows: list[Row] = run_all(
        specs, mmap_threshold, args.jobs or (2 if args.quick else 1), progress
    )

    repeats = args.timing_repeats or phases.timing_repeats
    seconds_per_batch = {}
    for model in models:
        timed = time_modes(
            model, args.modes, plans[model].batch_size, repeats, phases.timing_warmup, device, rng
        )
        rows += timed
        seconds_per_batch[model] = statistics.median(row["value"] for row in timed)
        progress(f"time {model}: {repeats} interleaved batches per mode")

    rounds = phases.energy_rounds if args.rounds is None else args.rounds
    if rounds:
        tracker = start_tracker(args.country)
        environment["codecarbon"] = power_sources(tracker)
        try:
            for model in models:
                count = batches_for(
                    args.energy_seconds or phases.energy_task_seconds, seconds_per_batch[model]
                )
                rows += measure_energy(
                    tracker, model, args.modes, plans[model].batch_size, count, rounds, device, rng
                )
                progress(f"energy {model}: {rounds} interleaved rounds of {count} batches per mode")
        finally:
            tracker.stop()

    environment["load_average_end"] = load_average()
    environment["config"] = {
        "models": {model: vars(plan) for model, plan in plans.items()},
        "modes": args.modes,
        "patterns": list(patterns),
        "timing_repeats": repeats,
        "energy_rounds": rounds,
        "quick": args.quick,
        "seed": args.seed,
        "elapsed_s": round(time.monotonic() - progress.start, 1),
    }
    document = write_results(args.out, rows, environment)
    plot_all(rows, args.out)
    progress(f"results in {args.out}")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    run(parse_args(argv))
    return 0
