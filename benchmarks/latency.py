"""Editor latency: how long NG001 takes on a 300-line and a 2,000-line training script.

Run from the repository root: ``python -m benchmarks.latency`` (``--quick`` for a smoke run).
Measured, each as p50/p95 (and the minimum) over runs interleaved round by round:

- ``check_source``: the analysis in-process, warm (what our language server pays per lint);
- ``nograd-lint lsp``, edit and save to diagnostics: a ``didChange`` and ``didSave`` sent to
  the real server over stdio until it publishes that version's diagnostics (saving skips the
  debounce; edits without a save wait for it, 300 ms, on top);
- ``flake8 FILE`` end to end, a new process each time (what the flake8 editor route pays);
- the same ``flake8`` without the plugin, from a separate environment with the same flake8,
  pycodestyle and pyflakes but no nograd-lint, so the difference is the plugin's cost.

The scripts are generated from a template, so every run measures the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from benchmarks.lint_speed import compile_plugin
from nograd_lint import check_source
from tests.lsp_client import LspClient

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: A virtual environment with flake8 and its default plugins but not nograd-lint.
FLAKE8_ALONE_VENV = Path(os.environ.get("NOGRAD_FLAKE8_ALONE_VENV", "/work/scratch/venv-flake8"))
SIZES = (300, 2000)

HEADER = '''"""Train and evaluate an image classifier (generated for the latency benchmark)."""
import argparse
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader


class Classifier(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(64, classes)

    def forward(self, images):
        return self.head(self.features(images).flatten(1))
'''

#: One stage of the script: a training epoch, two evaluations (eval, then forward) and a
#: helper. ``{i}`` numbers the stage; ``{validation_loop}`` is one of the loops below.
STAGE = '''

def train_epoch_{i}(model, loader: DataLoader, optimizer, device) -> float:
    """One epoch of stage {i}; returns the mean loss."""
    model.train()
    total, batches = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / max(batches, 1)


def validate_{i}(model, loader: DataLoader, device) -> float:
    """Accuracy of stage {i}."""
    model.eval()
    correct = 0
{validation_loop}    return correct / len(loader.dataset)


def test_{i}(model, loader: DataLoader, device) -> float:
    """The same measurement done right."""
    model.eval()
    losses = []
    with torch.no_grad():
        for images, labels in loader:
            losses.append(F.cross_entropy(model(images.to(device)), labels.to(device)).item())
    return sum(losses) / max(len(losses), 1)


def schedule_{i}(epoch: int, base: float = 0.1) -> float:
    return base * 0.5 * (1 + math.cos(math.pi * epoch / {epochs}))
'''

#: The validation loop of a stage that forgets no_grad (NG001), and of one that does not.
FLAGGED_LOOP = """    for images, labels in loader:
        logits = model(images.to(device))
        correct += (logits.argmax(-1) == labels.to(device)).sum().item()
"""
CORRECT_LOOP = """    with torch.no_grad():
        for images, labels in loader:
            logits = model(images.to(device))
            correct += (logits.argmax(-1) == labels.to(device)).sum().item()
"""

#: (name, one stage in how many forgets no_grad): a typical script and a worst case.
DENSITIES = (("typical", 10), ("dense", 1))

FOOTER = """

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    model = Classifier()
    print(args.epochs, sum(p.numel() for p in model.parameters()))


if __name__ == "__main__":
    main()
"""


def training_script(lines: int, flagged_every: int = 1) -> str:
    """A deterministic training script of exactly ``lines`` lines in which stages 0,
    ``flagged_every``, 2 * ``flagged_every``... forget no_grad."""

    def stage(i: int) -> str:
        loop = FLAGGED_LOOP if i % flagged_every == 0 else CORRECT_LOOP
        return STAGE.format(i=i, epochs=10 + i, validation_loop=loop)

    stages, text = 0, HEADER + FOOTER
    while True:
        candidate = HEADER + "".join(stage(i) for i in range(stages + 1)) + FOOTER
        if candidate.count("\n") > lines:
            break
        stages, text = stages + 1, candidate
    padding = lines - text.count("\n")
    return text + "# end of generated script\n" * padding


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (linear interpolation between the samples), and the
    minimum, which a busy machine inflates least."""
    ordered = sorted(samples)
    p95 = (
        statistics.quantiles(ordered, n=20, method="inclusive")[18]
        if len(ordered) > 1
        else ordered[0]
    )
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "runs": len(ordered),
    }


def interleaved(probes: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per run of each probe. Each round runs every probe once, so that load from
    elsewhere on the machine falls on all of them alike rather than on whichever ran then."""
    for probe in probes.values():
        probe()  # warm-up: imports, caches, the server's first analysis
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(rounds):
        for name, probe in probes.items():
            start = time.perf_counter()
            probe()
            samples[name].append(time.perf_counter() - start)
    return samples


def flake8_run(flake8: Path, path: Path) -> Callable[[], None]:
    """``flake8 --isolated FILE`` as an editor or pre-commit starts it: a new process each time."""

    def run() -> None:
        subprocess.run(
            [str(flake8), "--isolated", path.name],
            cwd=path.parent,
            capture_output=True,
            timeout=120,
            check=False,
        )

    return run


def lsp_edit_and_save(client: LspClient, uri: str, text: str) -> Callable[[], None]:
    """An edit (a comment line added at the top; the server takes whole buffers) and its
    ``didSave``, until the server publishes the edited version's diagnostics (saving skips
    the debounce; an unedited buffer is not linted again)."""
    versions = iter(range(2, sys.maxsize))

    def edit_and_save() -> None:
        version = next(versions)
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": f"# edit {version}\n" + text}],
            },
        )
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        client.wait_for_diagnostics(uri, lambda params: params.get("version") == version)

    return edit_and_save


def measure(lines: int, density: str, directory: Path, rounds: int) -> dict:
    text = training_script(lines, dict(DENSITIES)[density])
    path = directory / f"train_{lines}_{density}.py"
    path.write_text(text)
    alone = FLAKE8_ALONE_VENV / "bin" / "flake8"
    server = [str(Path(sys.executable).parent / "nograd-lint"), "lsp"]
    with LspClient(server, cwd=directory, timeout_s=60) as client:
        client.initialize(directory)
        client.open(path.as_uri(), text)
        client.wait_for_diagnostics(path.as_uri())
        probes = {
            "check_source": lambda: check_source(text, str(path)),
            "lsp_edit_and_save": lsp_edit_and_save(client, path.as_uri(), text),
            "flake8_with_plugin": flake8_run(Path(sys.executable).parent / "flake8", path),
        }
        if alone.exists():
            probes["flake8_without_plugin"] = flake8_run(alone, path)
        samples = interleaved(probes, rounds)
    row: dict = {
        "lines": lines,
        "density": density,
        "ng001_findings": len(check_source(text, str(path))),
        "flake8_without_plugin": None,
    }
    row.update((name, percentiles(times)) for name, times in samples.items())
    return row


def environment() -> dict:
    def version(command: list[str]) -> str | None:
        try:
            return (
                subprocess.run(command, capture_output=True, text=True, timeout=60)
                .stdout.split("\n")[0]
                .strip()
            )
        except OSError:
            return None

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    return {
        "python": platform.python_version(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "flake8": version([str(Path(sys.executable).parent / "flake8"), "--version"]),
        "flake8_without_plugin": version([str(FLAKE8_ALONE_VENV / "bin" / "flake8"), "--version"]),
        "commit": version(["git", "rev-parse", "--short", "HEAD"]),
        "bytecode": compile_plugin(str(Path(sys.executable).parent / "flake8")),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def markdown(results: dict) -> str:
    columns = [
        ("check_source", "`check_source` in-process"),
        ("lsp_edit_and_save", "`nograd-lint lsp` edit + save → diagnostics"),
        ("flake8_with_plugin", "`flake8 FILE` with NG001"),
        ("flake8_without_plugin", "`flake8 FILE` without the plugin"),
    ]
    rows = [
        "| Script | " + " | ".join(title for _, title in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for row in results["rows"]:
        cells = [
            f"{row[key]['p50_ms']:.0f} / {row[key]['p95_ms']:.0f} ms (min {row[key]['min_ms']:.0f})"
            if row[key]
            else "n/a"
            for key, _ in columns
        ]
        rows.append(
            f"| {row['lines']:,} lines, {row['density']} ({row['ng001_findings']} NG001) | "
            + " | ".join(cells)
            + " |"
        )
    env = results["environment"]
    return "\n".join(
        [
            "# Editor latency: p50 / p95 (minimum)",
            "",
            *rows,
            "",
            f"{env['cpus']} CPUs ({env['cpu']}; 1-minute load average {env['load_average_at_start'][0]} at the start, "
            f"{env['load_average_at_end'][0]} at the end), "
            f"Python {env['python']}, commit {env['commit']}; "
            f"{results['rounds']} interleaved runs of each measurement per script; "
            f"{env.get('bytecode', 'nograd_lint run from its sources')}. "
            "Generated by `python -m benchmarks.latency`.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=30, help="runs of each measurement per script (default: 30)"
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds, results not written")
    options = parser.parse_args(argv)
    rounds = 3 if options.quick else options.rounds
    started = environment()
    with tempfile.TemporaryDirectory() as directory:
        rows = [
            measure(lines, density, Path(directory), rounds)
            for lines in SIZES
            for density, _ in DENSITIES
        ]
    started["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    results = {"environment": started, "rounds": rounds, "rows": rows}
    report = markdown(results)
    print(report)
    if not options.quick:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "latency.json").write_text(json.dumps(results, indent=2) + "\n")
        (RESULTS_DIR / "latency.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
