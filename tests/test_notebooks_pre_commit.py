"""The pre-commit hooks on a repository holding a notebook, run by real pre-commit against
this checkout (its current commit); see ``test_pre_commit`` for the set-up."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.test_pre_commit import _git, _pre_commit, _project, pre_commit_home  # noqa: F401

pytestmark = [pytest.mark.network, pytest.mark.slow]

NOTEBOOK = Path(__file__).parent / "notebooks" / "cross_cell.ipynb"


def _with_notebook(tmp_path: Path, hook: str) -> Path:
    project = _project(tmp_path, hook)
    (project / "infer.py").unlink()
    shutil.copy(NOTEBOOK, project / "nb.ipynb")
    _git("add", "-A", ".", cwd=project)
    return project


def test_check_hook_reports_notebook_cells(tmp_path: Path, pre_commit_home: Path) -> None:  # noqa: F811
    result = _pre_commit(_with_notebook(tmp_path, "nograd-lint"), pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nb.ipynb:cell 5:1:10: NG001 forward pass" in result.stdout


def test_fix_hook_rewrites_the_notebook_then_passes(
    tmp_path: Path,
    pre_commit_home: Path,  # noqa: F811
) -> None:
    project = _with_notebook(tmp_path, "nograd-lint-fix")
    first = _pre_commit(project, pre_commit_home)
    assert first.returncode == 1 and "files were modified by this hook" in first.stdout
    cells = json.loads((project / "nb.ipynb").read_text())["cells"]
    assert cells[4]["source"][0] == "with torch.no_grad():\n"
    _git("add", ".", cwd=project)
    second = _pre_commit(project, pre_commit_home)
    assert second.returncode == 0, second.stdout + second.stderr
