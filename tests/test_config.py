"""Project-specific no-grad wrappers, configured for flake8 and for the standalone command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import tool

SOURCE = """import torch
from project.utils import quiet_mode


@quiet_mode
def decorated(model, x):
    model.eval()
    return model(x)


def managed(model, x):
    model.eval()
    with quiet_mode():
        return model(x)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "infer.py").write_text(SOURCE)
    return tmp_path


def _lines(output: str) -> list[str]:
    return [
        line.split(": NG001")[0].rsplit(":", 2)[-2]
        for line in output.splitlines()
        if "NG001" in line
    ]


def test_unknown_wrapper_is_reported_by_default(project: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert _lines(result.stdout) == ["8", "14"], result.stdout + result.stderr


def test_cli_option(project: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), "--disabling-names", "other, quiet_mode", "infer.py"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_pyproject_table(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["project.utils.quiet_mode"]\n'
    )
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_pyproject_errors_are_one_line(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.nograd-lint]\ndisabling-name = ['x']\n")
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith("unknown key(s) in [tool.nograd-lint]: disabling-name")


def test_flake8_option_from_its_config(project: Path) -> None:
    command = [tool("flake8"), "--select=NG", "infer.py"]
    reported = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert _lines(reported.stdout) == ["8", "14"], reported.stdout + reported.stderr
    (project / "setup.cfg").write_text("[flake8]\nnograd-disabling-names = quiet_mode\n")
    quiet = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout) == (0, ""), quiet.stderr


def test_flake8_option_on_the_command_line(project: Path) -> None:
    result = subprocess.run(
        [
            tool("flake8"),
            "--isolated",
            "--select=NG",
            "--nograd-disabling-names=quiet_mode",
            "infer.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
