"""Command-line behaviour not covered by the case files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import tool

EVAL_COPIES = {
    "pretrained.py": 'from transformers import AutoModel\nm = AutoModel.from_pretrained("x")\ny = m(z)\n',
    "scripted.py": "def export(lit, x):\n    scripted = lit.to_torchscript()\n    return scripted(x)\n",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_files_whose_only_eval_source_is_a_copy_reach_the_analysis(
    tmp_path: Path, jobs: str
) -> None:
    # Enough files for -j 2 to start workers: the byte screen runs before them.
    for index in range(6):
        for name, source in EVAL_COPIES.items():
            (tmp_path / f"{index}_{name}").write_text(source)
    result = subprocess.run(
        [tool("nograd-lint"), "-j", jobs, "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.count("NG001") == 12
