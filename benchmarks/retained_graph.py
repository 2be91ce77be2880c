"""NG003's cost: what ``loss.backward(retain_graph=True)`` keeps alive when no second backward
needs the graph, with and without a reference that outlives the iteration.

Usage: ``python -m benchmarks retained-graph --out benchmarks/results/retained_graph
[--iterations N] [--batch-size N] [--timing-rounds N]``.

A backward pass frees the tensors the forward saved for it; ``retain_graph=True`` keeps them
for as long as the graph lives. What that costs depends on how long the graph lives:

- **a reference kept across iterations** (``losses.append(loss)``, ``total_loss += loss``):
  every iteration's saved tensors stay, one whole graph per iteration, for the whole run;
- **no reference** (``total_loss += loss.item()``): the graph dies when ``loss`` is rebound by
  the next iteration, so the flag costs one graph, held from the backward until then, on top
  of the next forward's own;
- **recurrent state carried without** ``detach()``: the next backward goes through the
  previous graph, so the flag is needed there (NG003 stays silent); measured next to
  truncated backpropagation (``hidden = hidden.detach()``, plain backward) for scale.

Each loop is also measured with a plain ``loss.backward()``. Per iteration, exactly:

- **saved bytes kept**: bytes of the tensors saved by this and earlier iterations' forwards
  that are still alive once the loop has rebound its names (the next ``loss``), i.e. what the
  loop keeps past the iteration;
- **saved bytes held after the step**: everything saved and still alive at the end of the
  iteration body (after the backward, the optimizer step and the store), kept until the
  next iteration rebinds ``loss``;
- **saved bytes at the peak**: right after the next forward and loss are computed, before
  ``loss`` is rebound (the previous iteration's graph, if retained, is still alive then);
- **graph nodes** reachable from what the loop keeps (``grad_fn.next_functions``).

Saved bytes come from a ``saved_tensors_hooks`` pack hook that wraps each saved tensor in a
weakly referenced holder tagged with its iteration; autograd drops the holder when it frees
the tensor. Unique storages are summed, parameters and buffers left out (they live anyway),
the input batch kept in (the graph keeps it alive). Process RSS is recorded for scale, and
the time per iteration is measured in a separate fresh process without the hook (whose
Python call per saved tensor would distort it), the fastest of ``--timing-rounds`` runs. Every case runs in fresh processes, so that
one case's memory cannot hide another's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import statistics
import time
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

from .kept_graph import _reachable_nodes

#: name -> (model, backward call, store statement run after the backward, optimizer step)
CASES = {
    "retain_append": ("cnn", "loss.backward(retain_graph=True)", "losses.append(loss)", "each"),
    "plain_append": ("cnn", "loss.backward()", "losses.append(loss)", "each"),
    "retain_sum": ("cnn", "loss.backward(retain_graph=True)", "total_loss += loss", "each"),
    "plain_sum": ("cnn", "loss.backward()", "total_loss += loss", "each"),
    "retain_item": ("cnn", "loss.backward(retain_graph=True)", "total_loss += loss.item()", "each"),
    "plain_item": ("cnn", "loss.backward()", "total_loss += loss.item()", "each"),
    # Backpropagation through the whole sequence: the next backward goes through the previous
    # chunks' graphs, so the flag is needed; an optimizer step between the backward passes
    # changes parameters those graphs saved, and autograd refuses the next backward.
    "recurrent_retain_step": (
        "recurrent",
        "loss.backward(retain_graph=True)",
        "total_loss += loss.item()",
        "each",
    ),
    "recurrent_retain": (
        "recurrent",
        "loss.backward(retain_graph=True)",
        "total_loss += loss.item()",
        "end",
    ),
    # Truncated backpropagation: the carried state is detached, a plain backward suffices.
    "recurrent_detach": (
        "recurrent",
        "loss.backward()",
        "total_loss += loss.item(); hidden = hidden.detach()",
        "each",
    ),
}
#: the optimizer steps after each iteration's backward, or once after the loop
STEPS = {"each": "after each backward", "end": "once, after the loop"}
HIDDEN = 128


@dataclass(frozen=True)
class Case:
    name: str
    model: str  # "cnn" or "recurrent"
    backward: str  # the backward call as the loop runs it
    store: str  # the statement after the backward
    step: str  # a key of STEPS
    iterations: int
    batch_size: int
    seed: int = 0


@dataclass(frozen=True)
class Outcome:
    name: str
    model: str
    backward: str
    store: str
    step: str
    kept_bytes: list[int]  # saved bytes alive past each iteration
    held_bytes: list[int]  # saved bytes alive at the end of each iteration body
    peak_bytes: list[int]  # saved bytes alive after each forward, the previous loss still bound
    nodes: list[int]  # graph nodes reachable from what the loop keeps past each iteration
    rss_bytes: list[int]  # process RSS after each iteration
    rss_before: int
    seconds: list[float]  # time of each iteration, in a separate process without the hook
    error: str | None = None  # what stopped the loop early, with its iteration

    def per_iteration(self, series: Sequence[float]) -> float:
        """Growth per iteration: the median of the differences after the first iteration
        (exact series grow by the same amount each time; RSS is smoothed that way)."""
        steps = [b - a for a, b in zip(series[1:], series[2:])] or [0]
        return float(statistics.median(steps))


def _modules(kind: str) -> tuple[Any, Any]:  # (model, criterion)
    import torch
    from torch import nn

    from .models import SmallCNN

    torch.manual_seed(0)
    if kind == "cnn":
        return SmallCNN(), nn.CrossEntropyLoss()
    # The CNN's features feed a GRU cell whose hidden state the loop carries to the next batch.
    cnn = SmallCNN()
    model = nn.ModuleDict(
        {
            "features": nn.Sequential(cnn.features, nn.Flatten(), nn.Linear(64 * 8 * 8, HIDDEN)),
            "cell": nn.GRUCell(HIDDEN, HIDDEN),
            "head": nn.Linear(HIDDEN, 10),
        }
    )
    return model, nn.CrossEntropyLoss()


class _SavedTensors:
    """The tensors autograd saved and still holds, each tagged with the iteration it was saved
    in: a pack hook wraps it in a weakly referenced holder that dies with autograd's copy."""

    class Held:
        __slots__ = ("__weakref__", "iteration", "tensor", "version")

        def __init__(self, tensor: Any, iteration: int, version: int) -> None:
            self.tensor = tensor
            self.iteration = iteration
            self.version = version

    def __init__(self, excluded: set[int]) -> None:
        self.iteration = 0
        self._excluded = excluded
        self._holders: weakref.WeakSet = weakref.WeakSet()

    def pack(self, tensor: Any) -> Held:
        # An alias shares the storage (copies nothing) and the version counter.
        held = self.Held(tensor.detach(), self.iteration, tensor._version)
        self._holders.add(held)
        return held

    @staticmethod
    def unpack(held: Held) -> Any:
        # Autograd skips its own in-place check for tensors packed by a hook: done here, so
        # that a loop that fails without the hook fails with it too.
        if held.tensor._version != held.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by "
                "an inplace operation (seen by the counting hook)"
            )
        return held.tensor

    def bytes(self, up_to: int | None = None) -> int:
        """Unique storages alive, saved in iterations ``<= up_to`` (every one when None)."""
        storages = {}
        for held in list(self._holders):
            if up_to is not None and held.iteration > up_to:
                continue
            storage = held.tensor.untyped_storage()
            if storage.data_ptr() not in self._excluded:
                storages[storage.data_ptr()] = storage.nbytes()
        return sum(storages.values())


def _inputs(case: Case) -> list[tuple[Any, Any]]:
    import torch

    generator = torch.Generator().manual_seed(case.seed)
    return [
        (
            torch.randn(case.batch_size, 3, 32, 32, generator=generator),
            torch.randint(0, 10, (case.batch_size,), generator=generator),
        )
        for _ in range(case.iterations)
    ]


def _run_case(case: Case, measured: bool = True) -> Outcome:
    """One training loop in this process (a fresh one: see :func:`measure`). With
    ``measured``, saved bytes, nodes and RSS after every iteration; without, only the time
    of each iteration, with no hook installed."""
    import contextlib

    import psutil
    import torch

    torch.set_num_threads(1)
    model, criterion = _modules(case.model)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    excluded = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    saved = _SavedTensors(excluded)
    inputs = _inputs(case)
    process = psutil.Process()
    backward = compile(case.backward, "<backward>", "exec")
    store = compile(case.store, "<store>", "exec")
    scope: dict = {"losses": [], "total_loss": 0.0}
    if case.model == "recurrent":
        scope["hidden"] = torch.zeros(case.batch_size, HIDDEN)
    kept, held, peak, nodes, rss, seconds = [], [], [], [], [], []

    def forward(x: Any, y: Any) -> Any:
        if case.model == "cnn":
            return criterion(model(x), y)
        scope["hidden"] = model["cell"](model["features"](x), scope["hidden"])
        return criterion(model["head"](scope["hidden"]), y)

    def kept_values() -> list:
        return [scope["total_loss"], *scope["losses"], scope.get("hidden")]

    rss_before = process.memory_info().rss
    hooks = (
        torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack)
        if measured
        else contextlib.nullcontext()
    )
    error = None
    with hooks:
        if case.step == "end":
            optimizer.zero_grad()
        for iteration, (x, y) in enumerate(inputs):
            start = time.perf_counter()
            saved.iteration = iteration
            fresh = forward(x, y)  # the previous iteration's `loss` is still bound here
            if measured:
                peak.append(saved.bytes())
            scope["loss"] = fresh  # rebound: the previous graph dies unless kept
            del fresh
            if measured and iteration:
                kept.append(saved.bytes(up_to=iteration - 1))
            try:
                if case.step == "each":
                    optimizer.zero_grad()
                exec(backward, scope)
            except RuntimeError as failure:
                message = str(failure).split(" Hint:")[0].strip()
                error = f"iteration {iteration + 1}: {message}"
                break
            if case.step == "each":
                optimizer.step()
            exec(store, scope)
            seconds.append(time.perf_counter() - start)
            if measured:
                held.append(saved.bytes())
                nodes.append(_reachable_nodes(kept_values()))
                rss.append(process.memory_info().rss)
        if case.step == "end" and error is None:
            optimizer.step()
        scope.pop("loss", None)  # what the last iteration keeps once its names are gone
        if measured and error is None:
            kept.append(saved.bytes())
    return Outcome(
        case.name,
        case.model,
        case.backward,
        case.store,
        case.step,
        kept,
        held,
        peak,
        nodes,
        rss,
        rss_before,
        seconds if not measured else [],
        error,
    )


def cases(iterations: int, batch_size: int) -> list[Case]:
    return [
        Case(name, model, backward, store, step, iterations, batch_size)
        for name, (model, backward, store, step) in CASES.items()
    ]


def _in_fresh_process(function: Callable[..., Outcome], *args: object) -> Outcome:
    context = multiprocessing.get_context("spawn")  # nothing inherited from this process
    with context.Pool(1) as pool:
        return pool.apply(function, args)


def measure(iterations: int, batch_size: int, rounds: int) -> list[Outcome]:
    """Every case in a fresh process with the hook; then ``rounds`` timed runs of each case
    without it, each in a fresh process, the cases taking turns so that the other users of
    a shared machine slow them alike. Each iteration's fastest time is kept: others only
    ever add time."""
    every = cases(iterations, batch_size)
    measured = [_in_fresh_process(_run_case, case, True) for case in every]
    timed = [[_in_fresh_process(_run_case, case, False) for case in every] for _ in range(rounds)]
    outcomes = []
    for index, outcome in enumerate(measured):
        runs = [round_[index] for round_ in timed]
        fastest = [min(times) for times in zip(*(run.seconds for run in runs))]
        error = runs[0].error or outcome.error  # autograd's own words, when it has them
        outcomes.append(replace(outcome, seconds=fastest, error=error))
    return outcomes


def _mib(value: float) -> str:
    return f"{value / 2**20:.2f} MiB"


def _ms(seconds: Sequence[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f} ms" if seconds else "-"


def table(outcomes: Sequence[Outcome], iterations: int, batch_size: int) -> str:
    lines = [
        f"NG003 benchmark: training loops, small CNN (3x32x32 inputs; the recurrent cases feed "
        f"a GRU cell of {HIDDEN} whose state is carried across batches), batch {batch_size}, "
        f"{iterations} iterations, torch CPU, 1 thread. Saved bytes and nodes are exact "
        "(saved bytes: unique storages, parameters left out, input batch kept in); growth per "
        "iteration is the median step; *held* is the most held between a backward and the "
        "next forward, *peak* the most alive right after a forward, the previous `loss` "
        "still bound; RSS is the process as the OS sees it; times are per iteration "
        "(forward, backward, optimizer step), each the fastest of separate runs without the "
        "counting hook, on a shared 2-vCPU VM.",
        "",
        "| case | backward | store | optimizer step | saved bytes kept / iteration "
        f"| kept after {iterations} iterations | held | peak | graph nodes kept after "
        f"{iterations} | RSS after {iterations} | time / iteration (median; last) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    failures = []
    for o in outcomes:
        head = f"| {o.name} | `{o.backward}` | `{o.store}` | {STEPS[o.step]} "
        if o.error:
            failures.append(f"- {o.name}: stops at {o.error}")
            lines.append(head + "| fails, see below |" + " - |" * 6)
            continue
        lines.append(
            head + f"| {_mib(o.per_iteration(o.kept_bytes))} | {_mib(o.kept_bytes[-1])} "
            f"| {_mib(max(o.held_bytes))} | {_mib(max(o.peak_bytes))} | {o.nodes[-1]} "
            f"| {_mib(o.rss_bytes[-1])} | {_ms(o.seconds)}; {_ms(o.seconds[-1:])} |"
        )
    return "\n".join([*lines, "", *failures] if failures else lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks retained-graph",
        description="NG003: saved bytes a training loop keeps alive with "
        "loss.backward(retain_graph=True) against a plain loss.backward(), with and without "
        "a reference to the loss kept across iterations.",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--iterations", type=int, default=20, metavar="N")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N")
    parser.add_argument(
        "--timing-rounds",
        type=int,
        default=3,
        metavar="N",
        help="timed runs of each loop; each iteration's fastest time is reported",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    if options.iterations < 3 or options.batch_size < 1 or options.timing_rounds < 1:
        build_parser().error(
            "--iterations must be at least 3, --batch-size and --timing-rounds at least 1"
        )
    import torch

    from .environment import load_average

    load_before = load_average()
    outcomes = measure(options.iterations, options.batch_size, options.timing_rounds)
    options.out.mkdir(parents=True, exist_ok=True)
    record = {
        "environment": {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "threads": 1,
            "load_average_before": load_before,
            "load_average_after": load_average(),
        },
        "iterations": options.iterations,
        "batch_size": options.batch_size,
        "timing_rounds": options.timing_rounds,
        "model": "small_cnn",
        "cases": [
            {
                **asdict(o),
                "kept_bytes_per_iteration": o.per_iteration(o.kept_bytes),
                "nodes_per_iteration": o.per_iteration(o.nodes),
                "rss_bytes_per_iteration": o.per_iteration(o.rss_bytes),
                "median_seconds": statistics.median(o.seconds) if o.seconds else None,
            }
            for o in outcomes
        ],
    }
    (options.out / "retained_graph.json").write_text(json.dumps(record, indent=1) + "\n")
    text = table(outcomes, options.iterations, options.batch_size)
    (options.out / "retained_graph.md").write_text(text)
    print(text, end="")
    return 0
