"""NG002's cost: what a value that still carries its autograd graph keeps alive when a loop
stores it past its iteration, against the same loop storing ``.item()`` or ``.detach()``.

Usage: ``python -m benchmarks kept-graph --out benchmarks/results/kept_graph [--iterations N]
[--batch-size N]``.

Two situations, because their costs differ:

- ``without_backward``: an evaluation loop outside ``no_grad`` (no backward ever runs): the
  stored loss or output keeps every tensor its graph saved, iteration after iteration;
- ``after_backward``: a training loop (``loss.backward(); optimizer.step()``): the backward
  frees the saved tensors, but the stored value still holds the chain of graph nodes, which
  grows every iteration.

Each store is measured as written (``total += loss``, ``losses.append(loss)``,
``preds.append(out)``) and with the fixes (``.item()``, ``.detach()``). Per iteration, after
the store:

- **graph nodes kept alive**, exact: the nodes reachable from what the loop keeps, walking
  ``grad_fn.next_functions``;
- **saved bytes kept alive**, exact: a ``saved_tensors_hooks`` pack hook wraps each saved
  tensor in a weakly referenced holder, which autograd drops when it frees the tensor; the
  live holders' unique storages are summed, parameters and buffers left out (they live
  anyway), the input batch kept in (the graph keeps it alive);
- **process memory (RSS)**, as the operating system sees it: allocator-dependent, for scale.

Every case runs in a fresh process, so that one case's memory cannot hide another's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import statistics
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

SITUATIONS = ("without_backward", "after_backward")
#: store -> (the store as written, the fixes measured against it)
STORES = {
    "sum_loss": (
        "total_loss += loss",
        ("total_loss += loss.item()", "total_loss += loss.detach()"),
    ),
    "append_loss": (
        "losses.append(loss)",
        ("losses.append(loss.item())", "losses.append(loss.detach())"),
    ),
    "append_output": ("preds.append(out)", ("preds.append(out.detach())",)),
}


@dataclass(frozen=True)
class Case:
    situation: str
    store: str
    code: str  # the store statement as the loop runs it
    iterations: int
    batch_size: int
    seed: int = 0


@dataclass(frozen=True)
class Outcome:
    situation: str
    store: str
    code: str
    nodes: list[int]  # graph nodes kept alive after each iteration
    saved_bytes: list[int]  # saved-tensor bytes kept alive after each iteration
    rss_bytes: list[int]  # process RSS after each iteration
    rss_before: int

    def per_iteration(self, series: Sequence[int]) -> float:
        """Growth per iteration: the median of the differences after the first iteration
        (exact series grow by the same amount each time; RSS is smoothed that way)."""
        steps = [b - a for a, b in zip(series[1:], series[2:])] or [0]
        return float(statistics.median(steps))


def _model():
    import torch
    from torch import nn

    from .models import SmallCNN

    torch.manual_seed(0)
    return SmallCNN(), nn.CrossEntropyLoss()


def _run_case(case: Case) -> Outcome:
    """One loop in this process (a fresh one: see :func:`measure`)."""
    import psutil
    import torch

    torch.set_num_threads(1)
    model, criterion = _model()
    excluded = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    holders: weakref.WeakSet = weakref.WeakSet()

    class Held:
        __slots__ = ("__weakref__", "tensor")

        def __init__(self, tensor: torch.Tensor) -> None:
            self.tensor = tensor

    def pack(tensor: torch.Tensor) -> Held:
        held = Held(tensor.detach())  # an alias: shares the storage, copies nothing
        holders.add(held)
        return held

    def unpack(held: Held) -> torch.Tensor:
        return held.tensor

    def kept_bytes() -> int:
        storages = {}
        for held in list(holders):
            storage = held.tensor.untyped_storage()
            if storage.data_ptr() not in excluded:
                storages[storage.data_ptr()] = storage.nbytes()
        return sum(storages.values())

    generator = torch.Generator().manual_seed(case.seed)
    inputs = [
        (
            torch.randn(case.batch_size, 3, 32, 32, generator=generator),
            torch.randint(0, 10, (case.batch_size,), generator=generator),
        )
        for _ in range(case.iterations)
    ]
    training = case.situation == "after_backward"
    model.train(training)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01) if training else None
    process = psutil.Process()
    total_loss: object = 0.0
    losses: list = []
    preds: list = []
    nodes, saved, rss = [], [], []
    scope = {"losses": losses, "preds": preds}
    statement = compile(case.code, "<store>", "exec")
    rss_before = process.memory_info().rss
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        for x, y in inputs:
            out = model(x)
            loss = criterion(out, y)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            scope.update(total_loss=total_loss, loss=loss, out=out)
            exec(statement, scope)
            total_loss = scope["total_loss"]
            del out, loss
            scope.pop("loss"), scope.pop("out")
            kept = [total_loss, *losses, *preds]
            nodes.append(_reachable_nodes(kept))
            saved.append(kept_bytes())
            rss.append(process.memory_info().rss)
    return Outcome(case.situation, case.store, case.code, nodes, saved, rss, rss_before)


def _reachable_nodes(values: Sequence[object]) -> int:
    """Graph nodes reachable from the ``grad_fn`` of ``values``, each counted once."""
    seen: set = set()
    stack = [getattr(v, "grad_fn", None) for v in values]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


def cases(iterations: int, batch_size: int) -> list[Case]:
    every = []
    for situation in SITUATIONS:
        for store, (as_written, fixes) in STORES.items():
            for code in (as_written, *fixes):
                every.append(Case(situation, store, code, iterations, batch_size))
    return every


def measure(iterations: int, batch_size: int) -> list[Outcome]:
    """Every case, each in a fresh process (spawned: nothing inherited from this one)."""
    context = multiprocessing.get_context("spawn")
    outcomes = []
    for case in cases(iterations, batch_size):
        with context.Pool(1) as pool:
            outcomes.append(pool.apply(_run_case, (case,)))
    return outcomes


def _mib(value: float) -> str:
    return f"{value / 2**20:.2f} MiB"


def table(outcomes: Sequence[Outcome], iterations: int, batch_size: int) -> str:
    lines = [
        f"NG002 benchmark: small CNN (3x32x32 inputs), batch {batch_size}, {iterations} "
        "iterations, torch CPU, 1 thread. Growth per iteration (median step); nodes and saved "
        "bytes are exact, RSS is the process as the OS sees it.",
        "",
        "| situation | store | graph nodes kept / iteration | saved bytes kept / iteration "
        f"| kept after {iterations} iterations | RSS / iteration |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.situation.replace('_', ' ')} | `{o.code}` | {o.per_iteration(o.nodes):g} "
            f"| {_mib(o.per_iteration(o.saved_bytes))} | {o.nodes[-1]} nodes, "
            f"{_mib(o.saved_bytes[-1])} | {_mib(o.per_iteration(o.rss_bytes))} |"
        )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks kept-graph",
        description="NG002: graph nodes and saved bytes a loop keeps alive when it stores a "
        "value that carries its autograd graph, against .item() and .detach().",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--iterations", type=int, default=20, metavar="N")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    if options.iterations < 3 or options.batch_size < 1:
        build_parser().error("--iterations must be at least 3 and --batch-size at least 1")
    import torch

    outcomes = measure(options.iterations, options.batch_size)
    options.out.mkdir(parents=True, exist_ok=True)
    record = {
        "environment": {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "threads": 1,
        },
        "iterations": options.iterations,
        "batch_size": options.batch_size,
        "model": "small_cnn",
        "cases": [
            {
                **asdict(o),
                "nodes_per_iteration": o.per_iteration(o.nodes),
                "saved_bytes_per_iteration": o.per_iteration(o.saved_bytes),
                "rss_bytes_per_iteration": o.per_iteration(o.rss_bytes),
            }
            for o in outcomes
        ],
    }
    (options.out / "kept_graph.json").write_text(json.dumps(record, indent=1) + "\n")
    text = table(outcomes, options.iterations, options.batch_size)
    (options.out / "kept_graph.md").write_text(text)
    print(text, end="")
    return 0
