"""The pre-commit hooks, run by real pre-commit against this checkout (its current commit).

pre-commit builds the hook's own virtual environment from this repository, which needs the
package index: the test is marked ``network`` (``-m "not network"`` skips it offline).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, tool

pytestmark = [pytest.mark.network, pytest.mark.slow]

OFFENDING = "import torch\n\n\ndef predict(model, x):\n    model.eval()\n    return model(x)\n"


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _project(tmp_path: Path, hook: str) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("needs this project as a git checkout")
    rev = _git("rev-parse", "HEAD", cwd=ROOT).strip()
    _git("init", "-q", cwd=tmp_path)
    (tmp_path / "infer.py").write_text(OFFENDING)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {rev}\n  hooks:\n  - id: {hook}\n"
    )
    _git("add", ".", cwd=tmp_path)
    return tmp_path


def _pre_commit(project: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [tool("pre-commit"), "run", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_check_hook_fails_on_the_pattern(tmp_path: Path, pre_commit_home: Path) -> None:
    result = _pre_commit(_project(tmp_path, "nograd-lint"), pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "infer.py:6:12: NG001 forward pass of eval-mode model 'model'" in result.stdout


def test_fix_hook_rewrites_then_passes(tmp_path: Path, pre_commit_home: Path) -> None:
    project = _project(tmp_path, "nograd-lint-fix")
    first = _pre_commit(project, pre_commit_home)
    assert first.returncode == 1 and "files were modified by this hook" in first.stdout
    assert (
        (project / "infer.py")
        .read_text()
        .endswith("    model.eval()\n    with torch.no_grad():\n        return model(x)\n")
    )
    _git("add", ".", cwd=project)
    second = _pre_commit(project, pre_commit_home)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout


def test_fix_hook_keeps_the_configured_exclusion(tmp_path: Path, pre_commit_home: Path) -> None:
    """pre-commit names every file; --force-exclude in the hook keeps ``exclude``'s word."""
    project = _project(tmp_path, "nograd-lint-fix")
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(OFFENDING)
    (project / "pyproject.toml").write_text('[tool.nograd-lint]\nextend-exclude = ["legacy"]\n')
    _git("add", ".", cwd=project)
    _pre_commit(project, pre_commit_home)
    assert (project / "legacy" / "old.py").read_text() == OFFENDING
    assert "with torch.no_grad():" in (project / "infer.py").read_text()
