"""The standalone command: ``nograd-lint [PATH ...]``."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Collection, Optional, Sequence

from ._version import __version__
from .config import ConfigError, find_pyproject, load_settings, split_names
from .files import DEFAULT_EXCLUDES, discover
from .findings import SourceError
from .formatters import FORMATTERS, FileResult

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
        epilog="Exit status: 0 no findings, 1 findings reported, 2 usage error or a file that "
        "could not be read or parsed. Suppress one line with '# noqa: NG001'.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files or directories to lint (default: .); '-' reads stdin")
    parser.add_argument("--format", choices=sorted(FORMATTERS), default="text",
                        help="output format (default: text)")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERNS",
                        help="comma-separated glob patterns of files or directories to skip, "
                        "added to the defaults (.git, virtual environments, build, node_modules, ...)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="files linted in parallel (default: number of CPUs)")
    parser.add_argument("--disabling-names", default="", metavar="NAMES",
                        help="comma-separated names of project decorators or context managers "
                        "that disable autograd (added to [tool.nograd-lint] disabling-names)")
    parser.add_argument("--config", metavar="PYPROJECT",
                        help="read [tool.nograd-lint] from this file (default: the nearest "
                        "pyproject.toml above the current directory)")
    parser.add_argument("--stdin-display-name", default="stdin", metavar="NAME",
                        help="the file name to show for '-' (default: stdin)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def _unreadable(path: str, error: OSError) -> FileResult:
    return FileResult(path, error=f"cannot read: {error.strerror or error}")


def _worth_parsing(data: bytes) -> bool:
    # The pre-filter on raw bytes spares decoding, and the worker processes, most files.
    return b".eval(" in data or b".train(" in data


def lint_file(
    path: str, display_name: Optional[str] = None, disabling_names: Collection[str] = ()
) -> FileResult:
    """Lint one file (or stdin for ``-``); never raises for bad input."""
    shown = display_name or path
    try:
        data = _read(path)
    except OSError as error:
        return _unreadable(shown, error)
    return lint_bytes(data, shown, disabling_names)


def lint_bytes(data: bytes, path: str, disabling_names: Collection[str] = ()) -> FileResult:
    if not _worth_parsing(data):
        return FileResult(path)
    from .api import check_source

    try:
        return FileResult(path, check_source(data, path, disabling_names=disabling_names))
    except SourceError as error:
        return FileResult(path, error=str(error))


def _lint_paths(paths: list[str], jobs: int, disabling_names: Collection[str]) -> list[FileResult]:
    lint = functools.partial(lint_file, display_name=None, disabling_names=disabling_names)
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
            data = _read(path)
        except OSError as error:
            settled.append(_unreadable(path, error))
            continue
        if _worth_parsing(data):
            worth.append(path)
    return worth, settled


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        print("nograd-lint: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = load_settings(Path(args.config) if args.config else find_pyproject(Path.cwd()))
    except ConfigError as error:
        print(f"nograd-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    disabling_names = settings.disabling_names | split_names(args.disabling_names)
    excludes = [*DEFAULT_EXCLUDES, *settings.exclude, *(p for e in args.exclude for p in split_names(e))]

    paths = list(discover(args.paths, excludes))
    results: list[FileResult] = []
    files = [p for p in paths if p != "-"]
    worth, settled = _candidates(files)
    by_path = {r.path: r for r in settled}
    by_path.update((r.path, r) for r in _lint_paths(worth, args.jobs, disabling_names))
    for path in paths:
        if path == "-":
            results.append(lint_file("-", args.stdin_display_name, disabling_names))
        elif path in by_path:
            results.append(by_path[path])

    output = FORMATTERS[args.format](results)
    sys.stdout.write(output)
    for result in results:
        if result.error is not None:
            print(f"{result.path}: error: {result.error}", file=sys.stderr)
    if any(r.error is not None for r in results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(r.findings for r in results) else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
