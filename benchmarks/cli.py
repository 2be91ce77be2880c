"""`python -m benchmarks`: memory, time and energy of eval-mode inference with and without no_grad.

`python -m benchmarks kept-graph --out DIR`: what a loop keeps alive when it stores a value
that carries its autograd graph (NG002), against `.item()` and `.detach()`.

`python -m benchmarks retained-graph --out DIR`: what `loss.backward(retain_graph=True)` keeps
alive in a training loop (NG003), with and without a reference to the loss.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from .config import FULL_PHASES, FULL_PLANS, QUICK_PHASES, QUICK_PLAN, plan_for
from .energy import batches_for, measure_energy, power_sources, start_tracker
from .environment import describe, load_average
from .memory_runs import run_all
from .memory_worker import PATTERNS, RunSpec
from .models import MODELS
from .modes import MODES
from .plots import plot_all
from .records import Row
from .report import read_raw, write_results
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


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each default, except for flags (off unless given) and where the help already says
    what happens without the option (the defaults that --quick changes, or "every model")."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.nargs == 0 or action.default is None or "default" in (action.help or ""):
            return action.help or ""
        return super()._get_help_string(action) or ""


def _per_model(attribute: str) -> str:
    figures = ", ".join(f"{name} {getattr(plan, attribute)}" for name, plan in FULL_PLANS.items())
    return f"default: {figures}; --quick: {getattr(QUICK_PLAN, attribute)}"


def _phase(attribute: str) -> str:
    return (
        f"default: {getattr(FULL_PHASES, attribute)}; --quick: {getattr(QUICK_PHASES, attribute)}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=_HelpFormatter
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the CSV, JSON, Markdown and PNG results (required)",
    )
    parser.add_argument(
        "--from-raw",
        action="store_true",
        help="measure nothing: rebuild summary, headline and plots from the raw.csv and "
        "environment.json already in --out",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        default="auto",
        help="auto: cuda when available, else cpu",
    )
    parser.add_argument(
        "--models",
        type=lambda text: _names(text, list(MODELS)),
        metavar="NAME[,NAME...]",
        help=f"comma-separated, from: {', '.join(MODELS)} (default: all; --quick: "
        f"{', '.join(QUICK_MODELS)})",
    )
    parser.add_argument(
        "--modes",
        type=lambda text: _names(text, list(MODES)),
        default=list(MODES),
        metavar="MODE[,MODE...]",
        help=f"comma-separated, from: {', '.join(MODES)} (default: all three)",
    )
    parser.add_argument(
        "--pattern",
        choices=(*PATTERNS, "both"),
        default="both",
        help="overwrite: outputs = model(x); accumulate: preds.append(model(x))",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help=f"samples per batch, for every model ({_per_model('batch_size')})",
    )
    parser.add_argument(
        "--batches",
        type=int,
        metavar="N",
        help=f"measured batches per memory run ({_per_model('batches')})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help=f"interleaved CodeCarbon rounds, 0 skips energy ({_phase('energy_rounds')})",
    )
    parser.add_argument(
        "--timing-repeats",
        type=int,
        metavar="N",
        help=f"timed batches per mode ({_phase('timing_repeats')})",
    )
    parser.add_argument(
        "--energy-seconds",
        type=float,
        metavar="S",
        help=f"target length of one CodeCarbon task ({_phase('energy_task_seconds')})",
    )
    parser.add_argument(
        "--country",
        default="FRA",
        metavar="ISO",
        help="ISO 3166 alpha-3 code of the carbon intensity CodeCarbon applies offline",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="torch threads, the same in every phase (1 keeps shared machines stable)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="memory workers running at once (default: 1; --quick: 2)",
    )
    parser.add_argument(
        "--mmap-threshold",
        type=int,
        default=65536,
        metavar="BYTES",
        help="MALLOC_MMAP_THRESHOLD_ of the memory workers; 0 leaves glibc's dynamic threshold",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed of the interleaved mode orders"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny configuration that runs in seconds (small_cnn, batch 8, 4 batches)",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


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
    plot_all(rows, args.out, environment)
    progress(f"results in {args.out}")
    return document


def rebuild(out: Path) -> dict:
    """Summary, headline and plots again from a run's raw.csv, e.g. after a change to them."""
    try:
        rows = read_raw(out / "raw.csv")
        environment = json.loads((out / "environment.json").read_text())
    except (OSError, ValueError, KeyError) as error:
        sys.exit(f"--from-raw: cannot read the run in {out}: {error}")
    document = write_results(out, rows, environment, raw=False)
    plot_all(rows, out, environment)
    return document


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["kept-graph"]:  # NG002's measurement: benchmarks/kept_graph.py
        from .kept_graph import main as kept_graph

        return kept_graph(argv[1:])
    if argv[:1] == ["retained-graph"]:  # NG003's measurement: benchmarks/retained_graph.py
        from .retained_graph import main as retained_graph

        return retained_graph(argv[1:])
    args = parse_args(argv)
    if args.from_raw:
        rebuild(args.out)
    else:
        run(args)
    return 0
