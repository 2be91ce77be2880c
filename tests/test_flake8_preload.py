"""The flake8 plugin imports LibCST before flake8 forks its workers only for large runs:
never for one file (an editor saving), stdin, one job, or workers that are not forked."""

from __future__ import annotations

import argparse
import multiprocessing
from pathlib import Path

import pytest

from nograd_lint import flake8_plugin


class Jobs:
    def __init__(self, text: str) -> None:
        self.is_auto = text == "auto"
        self.n_jobs = -1 if self.is_auto else int(text)


def options(filenames: list[str], jobs: str = "2") -> argparse.Namespace:
    return argparse.Namespace(filenames=filenames, jobs=Jobs(jobs))


@pytest.fixture(autouse=True)
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda: "fork")
    monkeypatch.setattr(flake8_plugin.os, "cpu_count", lambda: 2)


def test_a_directory_with_two_jobs_is_large(tmp_path: Path) -> None:
    assert flake8_plugin._forks_for_many_files(options([str(tmp_path)]))
    assert flake8_plugin._forks_for_many_files(options([str(tmp_path)], "auto"))


def test_many_files_are_large(tmp_path: Path) -> None:
    files = [str(tmp_path / f"m{i}.py") for i in range(flake8_plugin._MANY_FILES)]
    assert flake8_plugin._forks_for_many_files(options(files))
    assert not flake8_plugin._forks_for_many_files(options(files[:3]))


@pytest.mark.parametrize(
    ("filenames", "jobs"),
    [(["train.py"], "2"), (["-"], "2"), (["."], "1")],
    ids=["one file", "stdin", "one job"],
)
def test_small_runs_never_import_early(filenames: list[str], jobs: str) -> None:
    assert not flake8_plugin._forks_for_many_files(options(filenames, jobs))


def test_workers_that_are_not_forked_import_for_themselves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda: "spawn")
    assert not flake8_plugin._forks_for_many_files(options([str(tmp_path)]))
