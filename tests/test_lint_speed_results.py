"""The committed lint-speed results: what they record about the files they time."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.lint_speed import shown_path

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "lint_speed.json"


def test_a_timed_file_is_shown_within_its_checkout() -> None:
    assert shown_path(Path("/srv/corpora/pytorch+examples/dcgan/main.py")) == (
        "pytorch+examples/dcgan/main.py"
    )
    assert shown_path(Path("/tmp/tmpabc/synthetic_train.py")) == "synthetic_train.py"


def test_the_committed_results_name_no_folder_of_the_measuring_machine() -> None:
    files = [row["file"] for row in json.loads(RESULTS.read_text())["lint_on_save"]]
    assert files and not any(name.startswith("/") for name in files)
