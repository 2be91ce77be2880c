"""The committed lint-speed results: what they record about the files they time."""

from __future__ import annotations

import csv
import json
import statistics
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


RUNS = RESULTS.with_name("lint_speed_runs.csv")
DOC = RESULTS.parent.parent.parent / "docs" / "lint-speed.md"
#: Column of ``lint_speed_runs.csv`` -> its code base in the committed JSON and the docs.
CODE_BASES = {
    "pytorch_examples": ("pytorch+examples", "pytorch/examples", 1.25),
    "pytorch_image_models": ("huggingface+pytorch-image-models", "pytorch-image-models", 1.10),
    "lightning": ("Lightning-AI+pytorch-lightning", "PyTorch Lightning", 1.10),
    "diffusers": ("huggingface+diffusers", "diffusers", 1.10),
}


def _runs() -> list[dict[str, str]]:
    with RUNS.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_last_recorded_run_is_the_committed_one() -> None:
    corpora = json.loads(RESULTS.read_text())["corpora"]
    last = _runs()[-1]
    for column, (corpus, _, _) in CODE_BASES.items():
        ratio = corpora[corpus]["cpu_ratios"]["flake8_with_over_without"]
        assert float(last[column]) == ratio


def test_the_docs_summary_of_runs_is_what_the_recorded_runs_give() -> None:
    runs = _runs()
    doc = DOC.read_text(encoding="utf-8")
    for column, (_, shown, target) in CODE_BASES.items():
        ratios = [float(run[column]) for run in runs]
        within = sum(ratio <= target for ratio in ratios)
        row = (
            f"| {shown} | {min(ratios):.3f} | {statistics.median(ratios):.3f} | "
            f"{max(ratios):.3f} | {target:.2f} | {within} of {len(ratios)} |"
        )
        assert row in doc, row
