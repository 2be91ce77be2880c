"""flake8 users reach notebooks through nbQA: ``nbqa flake8 nb.ipynb --select=NG``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from nograd_lint.cli import lint_file
from tests.conftest import tool

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).parent / "notebooks"


def test_nbqa_flake8_maps_findings_to_cells_and_lines() -> None:
    pytest.importorskip("nbqa")
    result = subprocess.run(
        [tool("nbqa"), "flake8", "cross_cell.ipynb", "--select=NG"],
        cwd=NOTEBOOKS,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    reported = re.findall(r"^cross_cell\.ipynb:cell_(\d+):(\d+):(\d+): NG001 ", result.stdout, re.M)
    # nbQA counts code cells only; the command counts every cell, as ruff and editors do.
    notebook = lint_file(str(NOTEBOOKS / "cross_cell.ipynb"))
    code_cells = [2, 3, 5, 6, 7, 8]
    ours = []
    for finding in notebook.findings:
        place = notebook.place(finding.line, finding.col)
        assert place is not None
        ours.append((str(code_cells.index(place.cell) + 1), str(place.line), str(place.col + 1)))
    assert reported == ours == [("3", "1", "10"), ("4", "3", "15"), ("5", "1", "9")]
