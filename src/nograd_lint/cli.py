"""The standalone command: ``nograd-lint [PATH ...]``."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .cli_options import parse_options
from .cli_output import (
    OutputError,
    display_path,
    one_line,
    quote_name,
    wants_color,
    write_stdout,
)
from .config import ConfigError, Settings, settings_for_run, split_names
from .errors import SourceError
from .files import discover, force_excluded, project_rules
from .formatters import (
    FORMATTERS,
    FileResult,
    format_statistics,
    format_statistics_json,
    format_text,
    with_lines,
)
from .inputs import read_input
from .notebook import is_notebook
from .prefilter import might_have_findings_in_bytes
from .rules import RULES
from .selection import DEFAULT, Layer, SelectionError, enabled_codes, split_codes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: As shells report a command that SIGINT ended: 128 + the signal's number.
EXIT_INTERRUPTED = 130

#: Below this many candidate files, starting worker processes costs more than it saves.
_MIN_FILES_PER_WORKER = 4


@dataclass(frozen=True)
class Job:
    """What to do with each file; picklable, as worker processes receive it."""

    disabling_names: frozenset[str] = frozenset()
    mode: str = "check"  # "check", "fix" or "diff"
    context: str = "no_grad"
    unsafe_fixes: bool = False
    #: The rules that run (``--select`` and friends over ``[tool.nograd-lint]``).
    codes: frozenset[str] = DEFAULT


def _unreadable(path: str, error: OSError) -> FileResult:
    return FileResult(path, error=f"cannot read: {error.strerror or error}")


def lint_file(
    path: str, job: Job = Job(), display_name: str | None = None, data: bytes | None = None
) -> FileResult:
    """Lint (or fix) one file, or stdin for ``-``, given its bytes if already read (a pipe
    can be read only once); never raises for bad input."""
    shown = display_name or path
    try:
        data = read_input(path) if data is None else data
    except OSError as error:
        return _unreadable(shown, error)
    try:
        if is_notebook(shown):
            return _selected(_notebook(path, shown, data, job), job.codes)
        if job.mode != "check":
            return _fix_file(path, shown, data, job)
        from .api import check_source  # Python's syntax check of every file, then the pre-filter

        findings = check_source(data, shown, disabling_names=job.disabling_names)
        return with_lines(_selected(FileResult(shown, findings), job.codes), data)
    except SourceError as error:
        return FileResult(shown, error=str(error))


def _selected(result: FileResult, codes: frozenset[str]) -> FileResult:
    """The result without the findings of rules that were not selected."""
    result.findings = [f for f in result.findings if f.code in codes]
    return result


def _fix_file(path: str, shown: str, data: bytes, job: Job) -> FileResult:
    from .fix_files import fix_file  # Python's syntax check of every file, as in check mode

    return fix_file(
        path,
        shown,
        data,
        job.mode,
        job.context,
        job.disabling_names,
        job.unsafe_fixes,
        job.codes,
    )


def _notebook(path: str, shown: str, data: bytes, job: Job) -> FileResult:
    if job.mode != "check":
        from .notebook_fix import fix_notebook

        return fix_notebook(
            path,
            shown,
            data,
            job.mode,
            job.context,
            job.disabling_names,
            job.unsafe_fixes,
            job.codes,
        )
    from .notebook_lint import lint_notebook

    return lint_notebook(data, shown, job.disabling_names)


def _lint_task(task: tuple[str, Job, bytes | None]) -> FileResult:
    path, job, data = task
    return lint_file(path, job, data=data)


def _lint_paths(tasks: list[tuple[str, Job, bytes | None]], jobs: int) -> list[FileResult]:
    if jobs <= 1 or len(tasks) < 2 * _MIN_FILES_PER_WORKER:
        return [_lint_task(t) for t in tasks]
    workers = min(jobs, len(tasks) // _MIN_FILES_PER_WORKER)
    pool = ProcessPoolExecutor(max_workers=workers)
    interrupted = False
    try:
        # map() keeps input order, so the output equals that of -j 1.
        chunks = max(1, len(tasks) // (workers * 8))
        return list(pool.map(_lint_task, tasks, chunksize=chunks))
    except BrokenProcessPool:
        pass
    except KeyboardInterrupt:
        # Files not yet started are left alone; each one being fixed is written whole or
        # not at all (``safe_write``).
        interrupted = True
        raise
    finally:
        pool.shutdown(cancel_futures=interrupted)
    return _lint_isolated(tasks)


def _lint_isolated(tasks: list[tuple[str, Job, bytes | None]]) -> list[FileResult]:
    """After a worker died (a crash in native code: no exception to catch), every file again,
    one at a time in a worker of its own, so that only the file that kills it is lost. A
    file the first pool already fixed is recognised as such when written again."""
    results: list[FileResult] = []
    pool: ProcessPoolExecutor | None = None
    try:
        for task in tasks:
            pool = pool or ProcessPoolExecutor(max_workers=1)
            try:
                results.append(pool.submit(_lint_task, task).result())
            except BrokenProcessPool:
                pool.shutdown()
                pool = None
                results.append(FileResult(task[0], error=_WORKER_DIED))
    finally:
        if pool is not None:
            pool.shutdown()
    return results


_WORKER_DIED = "the analysis crashed on this file (its worker process died); please report it"


def _candidates(paths: list[str]) -> tuple[list[tuple[str, bytes | None]], list[FileResult]]:
    """The files for the workers, with the bytes they need passed on (a pipe can be read
    only once), and those settled here because they cannot be read."""
    worth, settled = [], []
    for path in paths:
        try:
            data = read_input(path)
        except OSError as error:
            settled.append(_unreadable(path, error))
            continue
        # Every file needs at least Python's syntax check (flake8's E999), in a worker; only
        # the bytes of candidates, and of inputs that cannot be read twice, travel with it.
        keep = might_have_findings_in_bytes(data) or not os.path.isfile(path)
        worth.append((path, data if keep else None))
    return worth, settled


def _report_fixes(results: list[FileResult], mode: str) -> None:
    """What --fix/--diff did, on stderr so that stdout stays the report (or the diff)."""
    for result in results:
        wheres = result.skipped_where or [
            result.where(s.finding.line, s.finding.col) for s in result.skipped
        ]
        for skip, where in zip(result.skipped, wheres):
            print(
                f"{quote_name(result.path)}:{where}: "
                f"{skip.finding.code} not fixed: {one_line(skip.reason)}",
                file=sys.stderr,
            )
    sites = sum(r.fixed for r in results)
    files = sum(1 for r in results if r.fixed)
    left = sum(len(r.findings) for r in results)
    verb = "Fixed" if mode == "fix" else "Would fix"
    print(
        f"nograd-lint: {verb} {_sites(results, sites)} in {files} "
        f"file{'s' * (files != 1)}; {left} left.",
        file=sys.stderr,
    )
    held = sum(r.unsafe_fixes for r in results)
    if held:
        print(
            f"nograd-lint: {held} unsafe fix{'es' * (held != 1)} not applied; use "
            f"--unsafe-fixes to apply {'them' if held != 1 else 'it'} (see Fix safety in "
            f"{_rule_commands(results)}).",
            file=sys.stderr,
        )


def _rule_commands(results: list[FileResult]) -> str:
    """``'nograd-lint rule NG001'`` for each rule with a fix among the findings of
    ``results`` (NG004 has none: its page says nothing about fix safety)."""
    codes = sorted({f.code for r in results for f in r.findings if _has_fix(f.code)})
    codes = codes or ["NG001"]
    return " or ".join(f"'nograd-lint rule {code}'" for code in codes)


def _has_fix(code: str) -> bool:
    rule = RULES.get(code)
    return rule is not None and rule.autofix


def _sites(results: list[FileResult], sites: int) -> str:
    """``3 NG001 sites`` for one rule, ``3 sites (2 NG001, 1 NG002)`` for several."""
    counts = Counter(code for r in results for code in r.fixed_codes)
    plural = "s" * (sites != 1)
    if not sites:  # "0 NG001 sites" when what is left is of one rule with a fix
        counts = Counter({f.code: 0 for r in results for f in r.findings if _has_fix(f.code)})
    if sum(counts.values()) != sites or not counts:
        return f"{sites} site{plural}"
    if len(counts) == 1:
        return f"{sites} {next(iter(counts))} site{plural}"
    each = ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
    return f"{sites} site{plural} ({each})"


def main(argv: Sequence[str] | None = None) -> int:
    """The command; every failure to write stdout ends in one line and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lsp"]:  # a file called "lsp" is still reachable as ./lsp
        from .lsp import main as serve

        return serve(argv[1:])
    try:
        if argv[:1] == ["rule"]:  # likewise ./rule
            from .cli_rule import main as explain

            return explain(argv[1:])
        return _lint(argv)
    except OutputError as error:
        if not error.closed and sys.stderr is not None:
            print(f"nograd-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        if sys.stderr is not None:
            print("nograd-lint: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _lint(argv: list[str]) -> int:
    options = parse_options(argv)
    try:
        options.selection = Layer(
            select=split_codes(options.select) if options.select is not None else None,
            extend_select=split_codes(options.extend_select),
            ignore=split_codes(options.ignore),
        )
    except SelectionError as error:
        print(f"nograd-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        plan = _plan(options)
    except ConfigError as error:  # its message may name a directory holding a newline
        print(f"nograd-lint: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    if not plan.paths and not plan.unlistable and options.quiet == 0:
        print("nograd-lint: warning: no Python files found", file=sys.stderr)
    jobs = [job for _, job, _ in plan.tasks]
    if plan.stdin_job is not None:
        jobs.append(plan.stdin_job)
    if jobs and not any(job.codes for job in jobs) and options.quiet == 0:
        # ``--select ''`` (an unset variable in a script), or an ``ignore`` over the
        # configuration's ``select``: a silent exit 0 would read as "all clear".
        print("nograd-lint: warning: no rules selected; nothing is checked", file=sys.stderr)
    results = _run(plan, options)
    _print_results(results, options)
    return _exit_status(results, options)


@dataclass
class _Plan:
    """What a run will lint, settled before any file is analysed: the paths in output order,
    the tasks for the workers, and the inputs already decided (unreadable or unlistable)."""

    paths: list[str]
    tasks: list[tuple[str, Job, bytes | None]]
    settled: list[FileResult]
    unlistable: list[FileResult]
    stdin_job: Job | None
    stdin_excluded: bool


def _job_factory(
    options: argparse.Namespace, settings: Callable[[str], Settings]
) -> Callable[[str], Job]:
    """The job of each file: the configuration of its directory, overridden by the command
    line."""
    names = split_names(options.disabling_names)

    def job_for(path: str) -> Job:
        configured = settings(os.path.dirname(os.path.abspath(path)))
        unsafe = configured.unsafe_fixes if options.unsafe_fixes is None else options.unsafe_fixes
        codes = enabled_codes([configured.selection, options.selection])
        return Job(
            frozenset(configured.disabling_names | names),
            options.mode,
            options.fix_with,
            unsafe,
            codes,
        )

    return job_for


def _patterns(values: list[str]) -> list[str]:
    return [p for value in values for p in split_names(value)]


def _plan(options: argparse.Namespace) -> _Plan:
    """Find the files and read them once. Raises ``ConfigError`` for an unusable config."""
    settings = settings_for_run(Path(options.config) if options.config else None)
    job_for = _job_factory(options, settings)
    rules = project_rules(
        settings,
        _patterns(options.exclude) if options.exclude else None,
        _patterns(options.extend_exclude),
        options.force_exclude,
    )
    unlistable: list[FileResult] = []
    paths = list(discover(options.paths, rules, lambda p, e: unlistable.append(_unreadable(p, e))))
    worth, settled = _candidates([p for p in paths if p != "-"])
    stdin_job = job_for(options.stdin_display_name) if "-" in paths else None
    return _Plan(
        paths,
        [(path, job_for(path), data) for path, data in worth],
        settled,
        unlistable,
        stdin_job,
        stdin_job is not None and force_excluded(options.stdin_display_name, rules),
    )


def _run(plan: _Plan, options: argparse.Namespace) -> list[FileResult]:
    """Every result in the order of ``plan.paths`` (stdin in its place), then the
    directories that could not be listed."""
    by_path = {r.path: r for r in plan.settled}
    by_path.update((r.path, r) for r in _lint_paths(plan.tasks, options.jobs))
    results: list[FileResult] = []
    for path in plan.paths:
        result = _stdin_result(plan, options) if path == "-" else by_path.get(path)
        if result is not None:
            results.append(result)
    results.extend(plan.unlistable)
    for result in results:
        result.path = display_path(result.path)
    return results


def _stdin_result(plan: _Plan, options: argparse.Namespace) -> FileResult | None:
    if plan.stdin_excluded:
        return _excluded_stdin(options)
    if plan.stdin_job is None:
        return None
    if not options.filter:
        return lint_file("-", plan.stdin_job, options.stdin_display_name)
    try:
        data = read_input("-")
    except OSError as error:
        return _unreadable(options.stdin_display_name, error)
    result = lint_file("-", plan.stdin_job, options.stdin_display_name, data)
    if result.fixed_bytes is None:
        # A source that cannot be fixed (half typed in an editor, undecodable) goes back as
        # it came: an empty answer would empty the buffer the filter runs on.
        result.fixed_bytes = data
    return result


def _excluded_stdin(options: argparse.Namespace) -> FileResult | None:
    """ruff's answer for stdin whose display name is excluded under --force-exclude: nothing
    to report, and from the filter the source unchanged (an empty answer would empty the
    editor's buffer)."""
    if not options.filter:
        return None
    try:
        data = read_input("-")
    except OSError as error:
        return _unreadable(options.stdin_display_name, error)
    return FileResult(options.stdin_display_name, fixed_bytes=data)


def _print_results(results: list[FileResult], options: argparse.Namespace) -> None:
    """The report (or diff, or fixed stdin) on stdout; errors and summaries on stderr."""
    if options.quiet < 2 or options.filter:  # the filter's stdout is the source, not a report
        write_stdout(_report(results, options))
    for result in results:
        if result.error is not None:
            print(f"{quote_name(result.path)}: error: {one_line(result.error)}", file=sys.stderr)
        elif result.notice is not None and options.quiet == 0:
            print(f"{quote_name(result.path)}: {one_line(result.notice)}", file=sys.stderr)
    if options.mode != "check" and options.quiet == 0:
        _report_fixes(results, options.mode)


def _report(results: list[FileResult], options: argparse.Namespace) -> str | bytes:
    if options.mode == "diff":
        return "".join(r.diff for r in results)
    if options.filter:
        # On error the source goes back unchanged, and the exit status says so.
        return results[0].fixed_bytes or b""
    if options.statistics:
        statistics = format_statistics_json if options.format == "json" else format_statistics
        return statistics(results)
    if options.format == "text":
        color = wants_color(options.color, sys.stdout)
        return format_text(results, show_source=options.show_source, color=color)
    return FORMATTERS[options.format](results)


def _exit_status(results: list[FileResult], options: argparse.Namespace) -> int:
    """What stdout shows decides: with --diff a diff, otherwise findings (see --help)."""
    if any(r.error is not None for r in results):
        return EXIT_ERROR
    if options.mode == "diff":
        found = any(r.diff for r in results)
    else:
        found = any(r.findings for r in results)
    return EXIT_FINDINGS if found and not options.exit_zero else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
