"""A worker process that dies (a crash in native parser code) costs its own file only."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from nograd_lint import cli
from nograd_lint.formatters import FileResult

OFFENDING = b"import torch\nmodel.eval()\nout = model(x)\n"


def _dies_on_crash_marker(path: str, job: cli.Job, display_name=None, data=None) -> FileResult:
    if data is not None and b"CRASH" in data:
        os._exit(139)  # as a segfault ends a worker: no exception, no result
    return _real_lint_file(path, job, display_name, data)


_real_lint_file = cli.lint_file


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the crashing stand-in reaches workers only when they are forked",
)
def test_a_worker_that_dies_loses_only_its_own_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "lint_file", _dies_on_crash_marker)
    tasks = [(f"f{i}.py", cli.Job(), OFFENDING) for i in range(12)]
    tasks[5] = ("crash.py", cli.Job(), b"CRASH\n" + OFFENDING)
    results = cli._lint_paths(tasks, jobs=2)
    assert [r.path for r in results] == [path for path, _, _ in tasks]
    crashed = results[5]
    assert crashed.error is not None and "crashed" in crashed.error
    others = results[:5] + results[6:]
    assert all(r.error is None and len(r.findings) == 1 for r in others)
