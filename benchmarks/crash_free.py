"""Crash-free on real code: the flake8 plugin and the standalone command over whole code bases.

Usage:

    python -m benchmarks.crash_free --corpus DIR [--corpus DIR ...] [-j N]

For every ``.py`` file of every corpus (only ``.git`` and ``__pycache__`` skipped):

* ``flake8 --select=NG,E999`` and ``nograd-lint --format json`` run on the same explicit file
  lists; neither may print a traceback or an internal error, and on every file that Python's
  own parser accepts (no E999) their findings must be identical;
* every file also goes through the analysis in process with the text pre-filter off, so the
  analysis sees all the code, not only the few percent that mention ``.eval(``: each file must
  be analysed or refused with a one-line :class:`SourceError`, never raise anything else.

The summary (counts, every disagreement, examples of refusals, the slowest files) goes to
``benchmarks/results/crash_free.json``; the exit status is 1 if anything crashed or disagreed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
HERE_BIN = Path(sys.executable).parent
SKIPPED_DIRS = {".git", "__pycache__"}
#: Explicit paths per command: well under the kernel's limit on arguments.
CHUNK = 400
FLAKE8_FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s|%(text)s"
EXAMPLES = 10

Key = tuple[str, int, int, str]  # path, line, 1-based column, code


def python_files(root: Path) -> list[str]:
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        found.extend(str(Path(directory, f)) for f in sorted(files) if f.endswith(".py"))
    return found


def chunks(items: list[str], size: int = CHUNK) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def crash_lines(stderr: str) -> list[str]:
    """Lines that mean something went wrong inside a tool, not in the linted file."""
    return [line for line in stderr.splitlines() if "Traceback" in line or "internal error" in line]


def run_flake8(flake8: str, files: list[str], jobs: int) -> dict[str, Any]:
    """flake8 runs every installed plugin whatever ``--select`` says, and stops the whole run
    when one fails: a file that makes another plugin (pyflakes) fail is set aside, noted, and
    the rest of its chunk run again."""
    findings: set[Key] = set()
    syntax_errors: dict[str, str] = {}
    crashes: list[str] = []
    other_plugin_failures: list[str] = []
    pending = chunks(files)
    while pending:
        part = pending.pop()
        result = subprocess.run(
            [
                flake8,
                "--isolated",
                "--select=NG,E999",
                f"--format={FLAKE8_FORMAT}",
                f"--jobs={jobs}",
                *part,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        failed = _failed_plugin(result.stdout + result.stderr)
        if failed is not None and "nograd-lint" not in failed[1] and failed[0] in part:
            other_plugin_failures.append(f"{failed[0]}: {failed[1]}")
            pending.append([p for p in part if p != failed[0]])
            continue
        crashes += crash_lines(result.stderr)
        if result.returncode not in (0, 1):
            crashes.append(
                f"flake8 exited {result.returncode}: {(result.stdout + result.stderr).strip()[-500:]}"
            )
        for line in result.stdout.splitlines():
            fields = line.split("|", 4)
            if len(fields) != 5 or not fields[1].isdigit():
                continue  # the rest of a message that spans lines
            path, row, col, code, text = fields
            if code == "E999":
                syntax_errors[path] = text
            else:
                findings.add((path, int(row), int(col), code))
    return {
        "findings": findings,
        "syntax_errors": syntax_errors,
        "crashes": crashes,
        "other_plugin_failures": other_plugin_failures,
    }


def _failed_plugin(output: str) -> tuple[str, str] | None:
    """(path, message) of flake8's 'PATH: "plugin[X]" failed during execution due to ...'."""
    for line in output.splitlines():
        if "failed during execution" in line and ': "' in line:
            path, message = line.split(': "', 1)
            return path, '"' + message
    return None


def run_cli(nograd_lint: str, files: list[str], jobs: int) -> dict[str, Any]:
    findings: set[Key] = set()
    errors: dict[str, str] = {}
    crashes: list[str] = []
    for part in chunks(files):
        result = subprocess.run(
            [nograd_lint, "--format", "json", f"-j{jobs}", *part],
            capture_output=True,
            text=True,
            check=False,
        )
        crashes += crash_lines(result.stderr)
        if result.returncode not in (0, 1, 2):
            crashes.append(
                f"nograd-lint exited {result.returncode}: {result.stderr.strip()[-500:]}"
            )
        for line in result.stderr.splitlines():
            if ": error: " in line:
                path, message = line.split(": error: ", 1)
                errors[path] = message
        try:
            items = json.loads(result.stdout or "[]")
        except json.JSONDecodeError:
            crashes.append(f"nograd-lint printed no JSON: {result.stdout[:300]!r}")
            continue
        findings.update((i["path"], i["line"], i["column"], i["code"]) for i in items)
    return {"findings": findings, "errors": errors, "crashes": crashes}


def analyse_everything(path: str) -> tuple[str, str, str, float]:
    """(path, outcome, detail, seconds) with the pre-filter off; outcome is ``findings``,
    ``clean``, ``refused`` (one-line SourceError) or ``crash``."""
    from nograd_lint.api import check_source
    from nograd_lint.errors import InternalError, SourceError

    start = time.perf_counter()
    try:
        with open(path, "rb") as handle:
            found = check_source(handle.read(), path, prefilter=False)
        outcome, detail = ("findings" if found else "clean"), str(len(found))
    except InternalError as error:
        outcome, detail = "crash", str(error)
    except SourceError as error:
        outcome, detail = (
            ("refused", str(error)) if "\n" not in str(error) else ("crash", repr(str(error)))
        )
    except BaseException as error:
        outcome, detail = (
            "crash",
            "".join(traceback.format_exception_only(type(error), error)).strip(),
        )
    return path, outcome, detail, time.perf_counter() - start


def deep_run(files: list[str], jobs: int) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(analyse_everything, files, chunksize=16))
    outcomes = Counter(row[1] for row in rows)
    refusals = Counter(_reason(row[2]) for row in rows if row[1] == "refused")
    return {
        "outcomes": dict(outcomes),
        "refusal_reasons": dict(refusals.most_common()),
        "refused_examples": [f"{p}: {d}" for p, o, d, _ in rows if o == "refused"][:EXAMPLES],
        "crashes": [f"{p}: {d}" for p, o, d, _ in rows if o == "crash"],
        "slowest": [(p, round(s, 2)) for p, _, _, s in sorted(rows, key=lambda r: -r[3])[:5]],
        "seconds_total": round(sum(row[3] for row in rows), 1),
    }


def _reason(message: str) -> str:
    """``syntax error at 3:7: ...`` -> ``syntax error``: refusals grouped by kind."""
    return message.split(" at ", 1)[0].split(":", 1)[0]


def compare(flake8: dict[str, Any], cli: dict[str, Any]) -> dict[str, Any]:
    """Findings on files Python's parser accepts must be identical; the rest is reported."""
    parsed_by_python = lambda key: key[0] not in flake8["syntax_errors"]  # noqa: E731
    cli_on_parsed = {k for k in cli["findings"] if parsed_by_python(k)}
    only_flake8 = sorted(flake8["findings"] - cli_on_parsed)
    only_cli = sorted(cli_on_parsed - flake8["findings"])
    cli_refused_python_parsed = sorted(p for p in cli["errors"] if p not in flake8["syntax_errors"])
    return {
        "identical": not only_flake8 and not only_cli,
        "only_flake8": [":".join(map(str, k)) for k in only_flake8],
        "only_cli": [":".join(map(str, k)) for k in only_cli],
        "findings_on_files_python_cannot_parse": len(cli["findings"]) - len(cli_on_parsed),
        "refused_by_cli_parsed_by_python": [
            f"{p}: {cli['errors'][p]}" for p in cli_refused_python_parsed
        ],
    }


def check_corpus(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    files = python_files(root)
    print(f"{root.name}: {len(files)} files", file=sys.stderr)
    started = time.perf_counter()
    flake8 = run_flake8(args.flake8, files, args.jobs)
    cli = run_cli(args.nograd_lint, files, args.jobs)
    deep = deep_run(files, args.jobs) if args.deep else None
    agreement = compare(flake8, cli)
    return {
        "files": len(files),
        "flake8": {
            "findings": len(flake8["findings"]),
            "syntax_errors_e999": len(flake8["syntax_errors"]),
            "other_plugin_failures": flake8["other_plugin_failures"],
            "syntax_error_examples": [
                f"{p}: {m}" for p, m in list(flake8["syntax_errors"].items())[:EXAMPLES]
            ],
            "crashes": flake8["crashes"],
        },
        "cli": {
            "findings": len(cli["findings"]),
            "files_refused": len(cli["errors"]),
            "refused_examples": [f"{p}: {m}" for p, m in list(cli["errors"].items())[:EXAMPLES]],
            "crashes": cli["crashes"],
        },
        "agreement": agreement,
        "analysis_without_prefilter": deep,
        "seconds": round(time.perf_counter() - started, 1),
    }


def failures(corpus: dict[str, Any]) -> int:
    deep = corpus["analysis_without_prefilter"] or {"crashes": []}
    return (
        len(corpus["flake8"]["crashes"])
        + len(corpus["cli"]["crashes"])
        + len(deep["crashes"])
        + len(corpus["agreement"]["only_flake8"])
        + len(corpus["agreement"]["only_cli"])
    )


def write_summary(corpora: dict[str, Any], out: Path) -> dict[str, Any]:
    summary = {
        "corpora": len(corpora),
        "files": sum(c["files"] for c in corpora.values()),
        "failures": sum(failures(c) for c in corpora.values()),
        "per_corpus": corpora,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.crash_free", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--corpus", action="append", default=[], type=Path, metavar="DIR", required=True
    )
    parser.add_argument(
        "--flake8",
        default=str(HERE_BIN / "flake8"),
        metavar="BIN",
        help="flake8 of an environment with nograd-lint installed",
    )
    parser.add_argument("--nograd-lint", default=str(HERE_BIN / "nograd-lint"), metavar="BIN")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--no-deep",
        dest="deep",
        action="store_false",
        help="skip the in-process analysis of every file with the pre-filter off",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "crash_free.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    corpora: dict[str, Any] = {}
    for root in args.corpus:
        corpora[root.resolve().name] = check_corpus(root.resolve(), args)
        summary = write_summary(corpora, args.out)  # a run stopped half-way keeps what it measured
    for name, corpus in corpora.items():
        deep = corpus["analysis_without_prefilter"] or {}
        print(
            f"{name}: {corpus['files']} files, E999 {corpus['flake8']['syntax_errors_e999']}, "
            f"findings flake8 {corpus['flake8']['findings']} / cli {corpus['cli']['findings']}, "
            f"identical {corpus['agreement']['identical']}, deep {deep.get('outcomes')}, "
            f"failures {failures(corpus)}"
        )
    print(
        f"{summary['files']} files in {summary['corpora']} code bases, {summary['failures']} failures"
    )
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
