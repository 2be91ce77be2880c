"""How much nograd-lint costs a flake8 run, and how it compares with its peers, on real code.

Usage (the venvs hold the tools that must not see our plugin; see docs/lint-speed.md):

    python -m benchmarks.lint_speed --corpus DIR [--corpus DIR ...] \\
        --flake8-without VENV/bin/flake8 [--torchfix BIN] [--torch-preflight BIN]

Every round runs every tool once on every corpus in a fresh shuffled order, so that other
users of a shared machine and CPU frequency drifts spread over all tools instead of landing
on one; the table shows medians over the rounds and the ratios of medians. The load average
is recorded before and after each round. Besides wall times it reports, per corpus, how many
files pass the text pre-filter and then the ``ast`` screen, and the in-process analysis time
per file that reaches LibCST (p50/p95). ``--single-file`` measures lint-on-save: ``flake8
FILE`` end to end with and without the plugin.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nograd_lint.prefilter import might_have_findings

RESULTS = Path(__file__).resolve().parent / "results"
HERE_BIN = Path(sys.executable).parent
#: The table's reference tool; every ratio is "this tool / reference" unless named otherwise.
FLAKE8, FLAKE8_NG, NG_J1, NG_J2, TORCHFIX, PREFLIGHT = (
    "flake8",
    "flake8 + nograd-lint",
    "nograd-lint -j1",
    "nograd-lint -j2",
    "torchfix -j1",
    "torch-preflight TG002 -j1",
)
SKIPPED_DIRS = {".git", ".hg", ".tox", ".nox", "__pycache__", ".eggs", "node_modules"}


@dataclass(frozen=True)
class Tool:
    name: str
    argv: tuple[str, ...]
    #: Peers are slow: they may run fewer rounds than our own tools.
    peer: bool = False

    def command(self, target: str) -> list[str]:
        return [*self.argv, target]


def tools_from(args: argparse.Namespace) -> list[Tool]:
    tools = [
        Tool(FLAKE8, (args.flake8_without, "--isolated")),
        Tool(FLAKE8_NG, (args.flake8_with, "--isolated")),
        Tool(NG_J1, (args.nograd_lint, "-j1")),
        Tool(NG_J2, (args.nograd_lint, "-j2")),
    ]
    if args.torchfix:
        tools.append(Tool(TORCHFIX, (args.torchfix, "-j", "1"), peer=True))
    if args.torch_preflight:
        tools.append(
            Tool(
                PREFLIGHT,
                (args.torch_preflight, "check", "--select", "TG002", "-j", "1", "-q"),
                peer=True,
            )
        )
    return tools


def compile_plugin(flake8_with: str) -> str:
    """Compile the plugin's modules to bytecode in the environment under test, as pip does
    when it installs a wheel. An editable install runs from the sources, and where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on the machines these figures come from) every
    run would compile them again, a cost no installed plugin pays (flake8 and LibCST come
    compiled)."""
    python = Path(flake8_with).parent / "python"
    script = "import compileall, nograd_lint, os; compileall.compile_dir(os.path.dirname(nograd_lint.__file__), quiet=1)"
    subprocess.run([str(python), "-c", script], check=True)
    return "nograd_lint compiled to bytecode before timing, as pip does on install"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(command: Sequence[str], cwd: Path, timeout: float) -> tuple[float, float]:
    """Wall and CPU seconds (all processes of the run) of one run; a traceback on stderr
    makes the measurement invalid. CPU time is what other users of a shared machine disturb
    least: it stays while wall time waits for a core."""
    cpu, start = _children_cpu(), time.perf_counter()
    result = subprocess.run(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if "Traceback" in result.stderr or result.returncode not in (0, 1, 2):
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}"
        )
    return elapsed, cpu


def python_files(root: Path) -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        found.extend(Path(directory, f) for f in sorted(files) if f.endswith(".py"))
    return found


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def pass_rates(root: Path) -> dict[str, Any]:
    """Files, how many pass the pre-filter and the screen, the CPU time of each over the
    whole corpus, and in-process analysis times."""
    from nograd_lint.api import check_source, might_be_relevant, screened_calls
    from nograd_lint.errors import SourceError

    files = python_files(root)
    prefiltered = screened = findings = 0
    prefilter_s = screen_s = 0.0
    analysis_ms: list[float] = []
    for path in files:
        source = path.read_bytes().decode("utf-8", errors="replace")
        start = time.process_time()
        passes = might_be_relevant(source, str(path))  # with the helpers beside it
        prefilter_s += time.process_time() - start
        if not passes:
            continue
        prefiltered += 1
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # flake8 reports E999 and never calls the plugin
        start = time.process_time()
        passes = screened_calls(tree, source, str(path)) != []  # every screen, as the plugin
        screen_s += time.process_time() - start
        if not passes:
            continue
        screened += 1
        start = time.perf_counter()
        with contextlib.suppress(SourceError):
            findings += len(check_source(source, str(path), noqa=False, tree=tree))
        analysis_ms.append((time.perf_counter() - start) * 1000)
    return {
        "files": len(files),
        "prefilter_pass": prefiltered,
        "screen_pass": screened,
        "prefilter_pass_rate": round(prefiltered / len(files), 4) if files else None,
        "screen_pass_rate": round(screened / len(files), 4) if files else None,
        "findings": findings,
        "prefilter_cpu_s": round(prefilter_s, 3),
        "screen_cpu_s": round(screen_s, 3),
        "analysis_ms_p50": percentile(analysis_ms, 0.5),
        "analysis_ms_p95": percentile(analysis_ms, 0.95),
        "analysis_ms_max": max(analysis_ms, default=None),
    }


Runs = dict[str, dict[str, list[tuple[float, float]]]]


def run_rounds(
    corpora: list[Path], tools: list[Tool], args: argparse.Namespace, rng: random.Random
) -> tuple[Runs, list[dict[str, Any]]]:
    """corpus -> tool -> [(wall, cpu)], and the load average around each round."""
    times: Runs = {c.name: {t.name: [] for t in tools} for c in corpora}
    peer_corpora = set(args.peer_corpora.split(",")) if args.peer_corpora else None
    loads = []
    for round_ in range(args.runs):
        jobs = [
            (c, t)
            for c in corpora
            for t in tools
            if not t.peer
            or (round_ < args.peer_runs and (peer_corpora is None or c.name in peer_corpora))
        ]
        rng.shuffle(jobs)
        before = os.getloadavg()
        for corpus, tool in jobs:
            times[corpus.name][tool.name].append(time_once(tool.command("."), corpus, args.timeout))
        loads.append(
            {
                "round": round_,
                "load_before": [round(x, 2) for x in before],
                "load_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
        print(
            f"round {round_ + 1}/{args.runs} done, load {loads[-1]['load_after']}", file=sys.stderr
        )
    return times, loads


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 3) if numerator and denominator else None


def _ratios(medians: dict[str, float]) -> dict[str, float | None]:
    return {
        "flake8_with_over_without": ratio(medians.get(FLAKE8_NG), medians.get(FLAKE8)),
        "flake8_over_nograd_lint_j1": ratio(medians.get(FLAKE8), medians.get(NG_J1)),
        "nograd_lint_j1_over_j2": ratio(medians.get(NG_J1), medians.get(NG_J2)),
        "torchfix_over_nograd_lint_j1": ratio(medians.get(TORCHFIX), medians.get(NG_J1)),
        "torch_preflight_over_nograd_lint_j1": ratio(medians.get(PREFLIGHT), medians.get(NG_J1)),
    }


def summarise(times: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    wall = {
        name: round(statistics.median(v[0] for v in values), 3)
        for name, values in times.items()
        if values
    }
    cpu = {
        name: round(statistics.median(v[1] for v in values), 3)
        for name, values in times.items()
        if values
    }
    return {
        "median_s": wall,
        "median_cpu_s": cpu,
        "runs": {
            name: [[round(w, 3), round(c, 3)] for w, c in values] for name, values in times.items()
        },
        "ratios": _ratios(wall),
        "cpu_ratios": _ratios(cpu),
    }


SYNTHETIC_BLOCK = """
def train_epoch_{i}(model, loader, optimizer, criterion, device):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def evaluate_{i}(model, loader, criterion, device):
    model.eval()
    correct = 0
    for inputs, targets in loader:
        outputs = model(inputs.to(device))
        correct += (outputs.argmax(1) == targets.to(device)).sum().item()
    return correct / len(loader.dataset)


def predict_{i}(model, batch):
    model.eval()
    with torch.no_grad():
        return model(batch).softmax(-1)
"""


def synthetic_training_script(lines: int = 2000) -> str:
    """A dense worst case: every block has an eval-then-forward finding and a guarded one."""
    parts = ["import torch\nfrom torch import nn\n"]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(SYNTHETIC_BLOCK.format(i=i))
        i += 1
    return "".join(parts)


#: Run in a fresh process with flake8 already imported: what the plugin adds to one file,
#: importing itself included, without the noise of two whole flake8 runs.
PLUGIN_COST = """
import ast, sys, time
import flake8.checker
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    lines = handle.readlines()
tree = ast.parse("".join(lines))
start = time.perf_counter()
from nograd_lint.flake8_plugin import NogradChecker
list(NogradChecker(tree, lines, path).run())
print(time.perf_counter() - start)
"""


#: Where a file's in-process time goes, in a fresh process that has flake8 imported:
#: ``import libcst``, the screens of every rule, pruning, LibCST's parse of the whole file and
#: of what pruning leaves, and all of ``check_source`` (which runs the screens, pruning and the
#: parse again, then NG003 and the analysis and the positions).
BREAKDOWN = """
import ast, json, sys, time
import flake8.checker
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    source = handle.read()
tree = ast.parse(source)
from nograd_lint.api import check_source, screened_calls
from nograd_lint.prune import pruned_source
def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - start) * 1000, result
ms = {"import_libcst": timed(__import__, "libcst")[0]}
ms["screen"], suspects = timed(screened_calls, tree, source, path)
ms["prune"], pruned = timed(pruned_source, tree, source, suspects or [])
import libcst
ms["libcst_parse"] = timed(libcst.parse_module, source)[0]
ms["libcst_parse_pruned"] = timed(libcst.parse_module, pruned or source)[0] if suspects else 0.0
ms["check_source"] = timed(lambda: check_source(source, path, noqa=False, tree=tree))[0]
print(json.dumps(ms))
"""


def breakdown_ms(path: Path, runs: int) -> dict[str, float]:
    """Medians of the ``BREAKDOWN`` steps over ``runs`` fresh processes."""
    samples = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", BREAKDOWN, str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return {step: round(statistics.median(s[step] for s in samples), 1) for step in samples[0]}


def plugin_ms(path: Path, runs: int) -> float:
    """Median milliseconds of importing the plugin and running it on ``path``."""
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", PLUGIN_COST, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(result.stdout) * 1000)
    return round(statistics.median(times), 1)


def shown_path(path: Path) -> str:
    """``path`` as the results show it: within its checkout (a folder named ``owner+name``),
    else its name alone, so that no folder of the measuring machine is recorded."""
    for index, part in enumerate(path.parts):
        if "+" in part:
            return "/".join(path.parts[index:])
    return path.name


def lint_on_save(
    files: list[Path], args: argparse.Namespace, rng: random.Random
) -> list[dict[str, Any]]:
    """``flake8 FILE`` with and without the plugin, interleaved; added milliseconds and ratio,
    and the plugin's own cost measured in process."""
    results = []
    for path in files:
        commands = {
            FLAKE8: [args.flake8_without, "--isolated", str(path)],
            FLAKE8_NG: [args.flake8_with, "--isolated", str(path)],
        }
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.save_runs):
            order = list(commands)
            rng.shuffle(order)
            for name in order:
                runs[name].append(time_once(commands[name], path.parent, args.timeout)[0])
        without, with_ = statistics.median(runs[FLAKE8]), statistics.median(runs[FLAKE8_NG])
        source = path.read_text(encoding="utf-8", errors="replace")
        results.append(
            {
                "file": shown_path(path),
                "lines": source.count("\n"),
                "has_eval": might_have_findings(source),
                "median_s": {FLAKE8: round(without, 4), FLAKE8_NG: round(with_, 4)},
                "added_ms": round((with_ - without) * 1000, 1),
                "ratio": ratio(with_, without),
                "plugin_in_process_ms": plugin_ms(path, args.save_runs),
                "breakdown_ms": breakdown_ms(path, args.save_runs),
            }
        )
    return results


def version_of(command: str, *flags: str) -> str:
    result = subprocess.run([command, *flags], capture_output=True, text=True, check=False)
    return " ".join((result.stdout or result.stderr).split())[:200]


def _speed_table(report: dict[str, Any], medians_key: str, ratios_key: str) -> list[str]:
    names = [FLAKE8, FLAKE8_NG, NG_J1, NG_J2, TORCHFIX, PREFLIGHT]
    lines = [
        "| code base | files | "
        + " | ".join(names)
        + " | with/without | flake8/ng -j1 | torchfix/ng | preflight/ng |",
        "|---" * (len(names) + 6) + "|",
    ]
    for name, corpus in report["corpora"].items():
        medians, ratios = corpus[medians_key], corpus[ratios_key]
        cells = [str(medians.get(n, "-")) for n in names]
        lines.append(
            f"| {name} | {corpus['pass_rates']['files']} | "
            + " | ".join(cells)
            + " | "
            + " | ".join(
                str(ratios[k] or "-")
                for k in (
                    "flake8_with_over_without",
                    "flake8_over_nograd_lint_j1",
                    "torchfix_over_nograd_lint_j1",
                    "torch_preflight_over_nograd_lint_j1",
                )
            )
            + " |"
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Lint speed",
        "",
        f"{report['machine']['cpus']} CPUs, Python {report['machine']['python']}; {report['runs']} rounds "
        f"({report['peer_runs']} with the peers), interleaved in a shuffled order; load average "
        f"{report['machine']['load_at_start']} at the start, {report['machine']['load_at_end']} at the end "
        "(per round in the JSON).",
        "",
        "## Wall seconds, medians",
        "",
        *_speed_table(report, "median_s", "ratios"),
        "",
        "## CPU seconds (user + system of all processes of a run), medians",
        "",
        *_speed_table(report, "median_cpu_s", "cpu_ratios"),
    ]
    lines += [
        "",
        "## Pre-filter and screen",
        "",
        "| code base | files | pass pre-filter | pass ast screen | pre-filter CPU s | screen CPU s "
        "| analysis ms p50 | p95 | max |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, corpus in report["corpora"].items():
        rates = corpus["pass_rates"]
        lines.append(
            f"| {name} | {rates['files']} | {rates['prefilter_pass']} ({100 * (rates['prefilter_pass_rate'] or 0):.1f}%) "
            f"| {rates['screen_pass']} ({100 * (rates['screen_pass_rate'] or 0):.1f}%) "
            f"| {rates.get('prefilter_cpu_s', '-')} | {rates.get('screen_cpu_s', '-')} "
            f"| {_ms(rates['analysis_ms_p50'])} | {_ms(rates['analysis_ms_p95'])} | {_ms(rates['analysis_ms_max'])} |"
        )
    if report.get("lint_on_save"):
        lines += [
            "",
            "## Lint on save: `flake8 FILE`, medians",
            "",
            "| file | lines | flake8 s | flake8 + nograd-lint s | added ms | ratio | plugin in process ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in report["lint_on_save"]:
            lines.append(
                f"| {Path(row['file']).name} | {row['lines']} | {row['median_s'][FLAKE8]} "
                f"| {row['median_s'][FLAKE8_NG]} | {row['added_ms']} | {row['ratio']} "
                f"| {row.get('plugin_in_process_ms', '-')} |"
            )
        lines += [
            "",
            "In process, ms (medians over fresh processes; `check_source` includes the screen, pruning "
            "and the parse of the pruned file, then the analysis and positions):",
            "",
            "| file | import libcst | screen | prune | LibCST parse, whole file | pruned | check_source |",
            "|---|---|---|---|---|---|---|",
        ]
        steps_shown = (
            "import_libcst",
            "screen",
            "prune",
            "libcst_parse",
            "libcst_parse_pruned",
            "check_source",
        )
        for row in report["lint_on_save"]:
            steps = row.get("breakdown_ms", {})
            lines.append(
                f"| {Path(row['file']).name} | "
                + " | ".join(str(steps.get(step, "-")) for step in steps_shown)
                + " |"
            )
    return "\n".join(lines) + "\n"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.lint_speed", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--corpus",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="a checkout of a real code base (repeatable); without any, only the "
        "lint-on-save files are measured and the last lint_speed.json is updated",
    )
    parser.add_argument(
        "--flake8-without",
        required=True,
        metavar="BIN",
        help="flake8 of an environment WITHOUT nograd-lint (same flake8 version)",
    )
    parser.add_argument(
        "--flake8-with",
        default=str(HERE_BIN / "flake8"),
        metavar="BIN",
        help="flake8 of an environment with nograd-lint and its dependencies only, so that "
        "the two flake8s differ by the plugin alone (default: this environment's)",
    )
    parser.add_argument("--nograd-lint", default=str(HERE_BIN / "nograd-lint"), metavar="BIN")
    parser.add_argument(
        "--torchfix", metavar="BIN", help="torchfix of its own environment (optional)"
    )
    parser.add_argument(
        "--torch-preflight", metavar="BIN", help="torch-preflight of its own environment (optional)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="rounds of our own tools and flake8 (default 5)"
    )
    parser.add_argument(
        "--peer-runs", type=int, default=3, help="rounds that include the peers (default 3)"
    )
    parser.add_argument(
        "--peer-corpora",
        metavar="NAMES",
        help="comma-separated corpus folder names the peers run on (default: all)",
    )
    parser.add_argument(
        "--single-file",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="a file for the lint-on-save measurement (repeatable)",
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="add a generated 2,000-line training script full of findings to --single-file",
    )
    parser.add_argument(
        "--save-runs", type=int, default=31, help="runs per tool of each lint-on-save file"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before one run counts as a hang"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where lint_speed.json and .md go"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rng = random.Random(args.seed)
    corpora = [c.resolve() for c in args.corpus]
    tools = tools_from(args)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "bytecode": compile_plugin(args.flake8_with),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if corpora:
        report: dict[str, Any] = {
            "machine": machine,
            "versions": {t.name: version_of(t.argv[0], "--version") for t in tools},
            "runs": args.runs,
            "peer_runs": min(args.peer_runs, args.runs),
            "corpora": {},
        }
        print("pre-filter pass rates...", file=sys.stderr)
        rates = {c.name: pass_rates(c) for c in corpora}
        times, loads = run_rounds(corpora, tools, args, rng)
        report["loads"] = loads
        for corpus in corpora:
            report["corpora"][corpus.name] = {
                "pass_rates": rates[corpus.name],
                **summarise(times[corpus.name]),
            }
    else:  # lint-on-save only: update the last full report
        report = json.loads((args.out / "lint_speed.json").read_text())
        report["lint_on_save_machine"] = machine
    with tempfile.TemporaryDirectory() as scratch:
        files = [f.resolve() for f in args.single_file]
        if args.synthetic:
            synthetic = Path(scratch, "synthetic_train.py")
            synthetic.write_text(synthetic_training_script())
            files.append(synthetic)
        report["lint_on_save"] = lint_on_save(files, args, rng)
    (report["lint_on_save_machine"] if not corpora else report["machine"])["load_at_end"] = [
        round(x, 2) for x in os.getloadavg()
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lint_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (args.out / "lint_speed.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
