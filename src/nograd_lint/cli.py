"""The standalone command: ``nograd-lint [PATH ...]``."""

from __future__ import annotations

import argparse
import difflib
import functools
import io
import os
import sys
import tempfile
import tokenize
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ._version import __version__
from .config import ConfigError, find_pyproject, load_settings, split_names
from .files import DEFAULT_EXCLUDES, discover
from .findings import SourceError
from .formatters import FORMATTERS, FileResult
from .source import decode

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

#: Below this many candidate files, starting worker processes costs more than it saves.
_MIN_FILES_PER_WORKER = 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nograd-lint",
        description=(
            "Report NG001: a PyTorch model put in eval mode (model.eval()) and then called "
            "while autograd is enabled, outside torch.no_grad() / torch.inference_mode(). "
            "Such a call records the autograd graph for a backward pass that never comes."
        ),
        epilog="Exit status: 0 no findings (with --fix: none left), 1 findings reported (with "
        "--diff: changes to make), 2 usage error or a file that could not be read, parsed or "
        "fixed. Suppress one line with '# noqa: NG001'. 'nograd-lint lsp' starts the language "
        "server (extra 'lsp').",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="files or directories to lint (default: .); '-' reads stdin",
    )
    parser.add_argument(
        "--format",
        choices=sorted(FORMATTERS),
        default="text",
        help="output format: text, json, github (workflow annotations) or "
        "sarif (code scanning) (default: text)",
    )
    fixing = parser.add_mutually_exclusive_group()
    fixing.add_argument(
        "--fix",
        action="store_true",
        help="wrap flagged statements in 'with torch.no_grad():' in place (unsafe "
        "if later code needs gradients through those outputs; review the change)",
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff instead of writing them",
    )
    parser.add_argument(
        "--fix-with",
        choices=["no_grad", "inference_mode"],
        default="no_grad",
        help="the context manager --fix and --diff wrap with (default: no_grad; "
        "tensors made under inference_mode can never join autograd later)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERNS",
        help="comma-separated glob patterns of files or directories to skip, "
        "added to the defaults (.git, virtual environments, build, node_modules, ...)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="files linted in parallel (default: number of CPUs)",
    )
    parser.add_argument(
        "--disabling-names",
        default="",
        metavar="NAMES",
        help="comma-separated names of project decorators or context managers "
        "that disable autograd (added to [tool.nograd-lint] disabling-names)",
    )
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="read [tool.nograd-lint] from this file (default: the nearest "
        "pyproject.toml above the current directory)",
    )
    parser.add_argument(
        "--stdin-display-name",
        default="stdin",
        metavar="NAME",
        help="the file name to show for '-' (default: stdin)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


@dataclass(frozen=True)
class Job:
    """What to do with each file; picklable, as worker processes receive it."""

    disabling_names: frozenset[str] = frozenset()
    mode: str = "check"  # "check", "fix" or "diff"
    context: str = "no_grad"


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def _unreadable(path: str, error: OSError) -> FileResult:
    return FileResult(path, error=f"cannot read: {error.strerror or error}")


def lint_file(path: str, job: Job = Job(), display_name: str | None = None) -> FileResult:
    """Lint (or fix) one file, or stdin for ``-``; never raises for bad input."""
    shown = display_name or path
    try:
        data = _read(path)
    except OSError as error:
        return _unreadable(shown, error)
    try:
        if job.mode != "check":
            return _fix_file(path, shown, data, job)
        from .api import check_source  # Python's syntax check of every file, then the pre-filter

        return FileResult(shown, check_source(data, shown, disabling_names=job.disabling_names))
    except SourceError as error:
        return FileResult(shown, error=str(error))


def _fix_file(path: str, shown: str, data: bytes, job: Job) -> FileResult:
    from .fix import fix_source

    original = decode(data)
    result = fix_source(original, shown, context=job.context, disabling_names=job.disabling_names)
    outcome = FileResult(shown, result.remaining, fixed=len(result.fixed), skipped=result.skipped)
    if path == "-":
        outcome.fixed_text = result.text
    elif result.changed and job.mode == "fix":
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        try:
            _write_atomically(path, result.text.encode(encoding))
        except OSError as error:
            return FileResult(shown, error=f"cannot write: {error.strerror or error}")
    if result.changed and job.mode == "diff":
        outcome.diff = "".join(
            difflib.unified_diff(
                original.splitlines(keepends=True),
                result.text.splitlines(keepends=True),
                f"a/{Path(shown).as_posix()}",
                f"b/{Path(shown).as_posix()}",
            )
        )
    return outcome


def _write_atomically(path: str, data: bytes) -> None:
    """Replace the file in one step, keeping its permissions: an interrupted run never
    leaves half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".nograd-lint-", suffix=".py")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _lint_paths(paths: list[str], jobs: int, job: Job) -> list[FileResult]:
    lint = functools.partial(lint_file, job=job)
    if jobs <= 1 or len(paths) < 2 * _MIN_FILES_PER_WORKER:
        return [lint(p) for p in paths]
    workers = min(jobs, len(paths) // _MIN_FILES_PER_WORKER)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # map() keeps input order, so the output equals that of -j 1.
        return list(pool.map(lint, paths, chunksize=max(1, len(paths) // (workers * 8))))


def _candidates(paths: list[str]) -> tuple[list[str], list[FileResult]]:
    """Split files into those worth a worker and those settled by reading them here."""
    worth, settled = [], []
    for path in paths:
        try:
            _read(path)
        except OSError as error:
            settled.append(_unreadable(path, error))
            continue
        worth.append(path)  # each needs at least Python's syntax check, as flake8's E999
    return worth, settled


def _report_fixes(results: list[FileResult], mode: str) -> None:
    """What --fix/--diff did, on stderr so that stdout stays the report (or the diff)."""
    for result in results:
        for skip in result.skipped:
            print(
                f"{result.path}:{skip.finding.line}:{skip.finding.col + 1}: {skip.finding.code} "
                f"not fixed: {skip.reason}",
                file=sys.stderr,
            )
    sites = sum(r.fixed for r in results)
    files = sum(1 for r in results if r.fixed)
    left = sum(len(r.findings) for r in results)
    verb = "Fixed" if mode == "fix" else "Would fix"
    print(
        f"nograd-lint: {verb} {sites} NG001 site{'s' * (sites != 1)} in {files} "
        f"file{'s' * (files != 1)}; {left} left.",
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lsp"]:  # a file called "lsp" is still reachable as ./lsp
        from .lsp import main as serve

        return serve(argv[1:])
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        print("nograd-lint: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = load_settings(Path(args.config) if args.config else find_pyproject(Path.cwd()))
    except ConfigError as error:
        print(f"nograd-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    mode = "fix" if args.fix else "diff" if args.diff else "check"
    job = Job(
        frozenset(settings.disabling_names | split_names(args.disabling_names)), mode, args.fix_with
    )
    excludes = [
        *DEFAULT_EXCLUDES,
        *settings.exclude,
        *(p for e in args.exclude for p in split_names(e)),
    ]

    paths = list(discover(args.paths, excludes))
    results: list[FileResult] = []
    files = [p for p in paths if p != "-"]
    worth, settled = _candidates(files)
    by_path = {r.path: r for r in settled}
    by_path.update((r.path, r) for r in _lint_paths(worth, args.jobs, job))
    for path in paths:
        if path == "-":
            results.append(lint_file("-", job, args.stdin_display_name))
        elif path in by_path:
            results.append(by_path[path])

    if mode == "diff":
        sys.stdout.write("".join(r.diff for r in results))
    elif mode == "fix" and paths == ["-"]:
        # A filter, as editors use it; on error stdout stays empty and the exit status says so.
        sys.stdout.write(results[0].fixed_text or "")
    else:
        sys.stdout.write(FORMATTERS[args.format](results))
    for result in results:
        if result.error is not None:
            print(f"{result.path}: error: {result.error}", file=sys.stderr)
    if mode != "check":
        _report_fixes(results, mode)
    if any(r.error is not None for r in results):
        return EXIT_ERROR
    if mode == "diff" and any(r.diff for r in results):
        return EXIT_FINDINGS
    return EXIT_FINDINGS if any(r.findings for r in results) else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
