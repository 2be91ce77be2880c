"""Smoke test of the benchmarks package: a tiny CPU run, its files, and the memory facts it must show.

Time and energy are measured and reported, never asserted to favour a mode.
"""

from __future__ import annotations

import csv
import json
import math
import statistics

import pytest

# The linter's own tests need no torch (`make test TORCH=`); these need the bench group.
NEEDS = "the benchmarks need torch and the bench dependency group (make test installs both)"
torch = pytest.importorskip("torch", reason=NEEDS)
pytest.importorskip("codecarbon", reason=NEEDS)
pytest.importorskip("matplotlib", reason=NEEDS)
pytest.importorskip("psutil", reason=NEEDS)

from benchmarks.cli import main  # noqa: E402
from benchmarks.graph_bytes import saved_graph_bytes  # noqa: E402
from benchmarks.memory_worker import RunSpec, measure_memory  # noqa: E402
from benchmarks.models import build_eval_model, random_batch  # noqa: E402
from benchmarks.records import FIELDS  # noqa: E402
from benchmarks.report import SUMMARY_FIELDS  # noqa: E402
from benchmarks.summary import slope  # noqa: E402

BATCH = 8
PLOTS = (
    "memory_per_iteration.png",
    "accumulate_growth.png",
    "time_per_batch.png",
    "energy_per_batch.png",
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    threads = torch.get_num_threads()
    try:
        # Two modes keep the run to four worker processes; inference_mode is checked in-process below.
        main(
            [
                "--quick",
                "--out",
                str(out),
                "--device",
                "cpu",
                "--modes",
                "grad,no_grad",
                "--batch-size",
                str(BATCH),
                "--batches",
                "4",
                "--jobs",
                "4",
                "--rounds",
                "1",
                "--timing-repeats",
                "2",
                "--energy-seconds",
                "0.2",
            ]
        )
    finally:
        torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="module")
def raw(run_dir):
    with (run_dir / "raw.csv").open() as handle:
        return [
            {**row, "value": float(row["value"]), "iteration": int(row["iteration"])}
            for row in csv.DictReader(handle)
        ]


def _values(raw, **criteria):
    return [
        row["value"] for row in raw if all(row[key] == value for key, value in criteria.items())
    ]


def test_output_files_have_their_schema(run_dir):
    with (run_dir / "raw.csv").open() as handle:
        assert tuple(csv.DictReader(handle).fieldnames) == FIELDS
    with (run_dir / "summary.csv").open() as handle:
        assert tuple(csv.DictReader(handle).fieldnames) == SUMMARY_FIELDS
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["summary"] and summary["headline"]
    assert set(summary["summary"][0]) == set(SUMMARY_FIELDS)
    environment = json.loads((run_dir / "environment.json").read_text())
    for key in (
        "torch",
        "cpu_model",
        "torch_threads",
        "allocator",
        "load_average_start",
        "codecarbon",
        "config",
    ):
        assert key in environment
    assert environment["allocator"]["MALLOC_MMAP_THRESHOLD_ (memory workers)"] == 65536
    assert environment["codecarbon"]["hardware"], "the power sources CodeCarbon used are recorded"
    for name in PLOTS:
        assert (run_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_grad_graph_bytes_are_per_sample_bytes_times_batch(raw):
    model = build_eval_model("small_cnn", torch.device("cpu"))
    per_sample = saved_graph_bytes(model, random_batch("small_cnn", 1, torch.device("cpu")))
    measured = _values(raw, mode="grad", metric="graph_bytes")
    assert per_sample > 0 and measured
    for value in measured:
        assert value == pytest.approx(per_sample * BATCH, rel=0.01)


def test_no_graph_is_saved_under_no_grad(raw):
    measured = _values(raw, mode="no_grad", metric="graph_bytes")
    assert measured and all(value == 0 for value in measured)


@pytest.mark.parametrize("pattern", ["overwrite", "accumulate"])
def test_no_graph_is_saved_under_inference_mode(pattern):
    threads = torch.get_num_threads()
    try:
        rows = measure_memory(RunSpec("small_cnn", "inference_mode", pattern, BATCH, 3, "cpu", 1))
    finally:
        torch.set_num_threads(threads)
    measured = [row["value"] for row in rows if row["metric"] == "graph_bytes"]
    assert len(measured) == 3 and all(value == 0 for value in measured)


def test_accumulate_grows_by_saved_graph_plus_input(raw):
    rows = sorted(
        (
            row
            for row in raw
            if row["mode"] == "grad"
            and row["pattern"] == "accumulate"
            and row["metric"] == "malloc_in_use_bytes"
        ),
        key=lambda row: row["iteration"],
    )
    growth = slope([row["iteration"] for row in rows], [row["value"] for row in rows])
    expected = statistics.median(
        _values(raw, mode="grad", pattern="accumulate", metric="graph_bytes")
    ) + statistics.median(_values(raw, mode="grad", pattern="accumulate", metric="input_bytes"))
    assert growth == pytest.approx(expected, rel=0.05)


def test_codecarbon_runs_offline_with_finite_positive_energy(raw, run_dir):
    environment = json.loads((run_dir / "environment.json").read_text())
    assert environment["codecarbon"]["country_iso_code"] == "FRA"
    for mode in ("grad", "no_grad"):
        energies = _values(raw, phase="energy", mode=mode, metric="energy_j_per_batch")
        assert energies and all(math.isfinite(value) and value > 0 for value in energies)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("mode", ["grad", "no_grad"])
def test_cuda_memory_is_measured(mode):
    rows = measure_memory(RunSpec("small_cnn", mode, "overwrite", BATCH, 2, "cuda", 1))
    metrics = {row["metric"]: row["value"] for row in rows if row["iteration"] == 2}
    assert metrics["cuda_peak_allocated_bytes"] > 0
    assert metrics["cuda_reserved_bytes"] >= metrics["cuda_peak_allocated_bytes"]
    assert (metrics["graph_bytes"] > 0) == (mode == "grad")
