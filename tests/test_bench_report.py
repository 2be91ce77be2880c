"""The benchmark's reporting: the headline's ratio rule, the figures' labels, --help, --from-raw.

These read rows built here or the committed results; nothing is measured.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks.records import record
from benchmarks.report import headline_markdown, human, ratio_text, read_raw, write_results

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "cpu"
MIB = 2**20
ENVIRONMENT = {
    "device": "cpu",
    "cpu_model": "Example CPU",
    "cpu_count": 2,
    "torch": "2.13.0+cpu",
    "torch_threads": 1,
    "codecarbon": {
        "codecarbon_version": "3.3.2",
        "hardware": ["RAM()", "CPU(Cpu Load)"],
        "cpu_power_mode": "cpu_load",
        "cpu_tdp_w": 8,
        "detected_hardware": {"gpu_count": 0},
    },
}


def test_a_ratio_against_zero_or_near_zero_is_not_printed() -> None:
    assert ratio_text(84 * MIB, 0) == "n/a: 0 under no_grad"
    assert ratio_text(144 * MIB, 7.6 * 1024) == "n/a: ~0 under no_grad"
    assert ratio_text(100.0, 0.99) == "n/a: ~0 under no_grad"
    assert ratio_text(100.0, 1.0) == "100.00x"
    assert ratio_text(98.5, 2.0) == "49.25x"
    assert ratio_text(19.7, 21.0) == "0.94x"
    assert ratio_text(5.0, -1.0) == "n/a: below 0 under no_grad"


@pytest.mark.parametrize(
    ("results", "machine"),
    [
        (RESULTS, "2 logical CPUs, Intel(R) Xeon(R) Processor, torch 2.13.0+cpu"),
        (RESULTS.parent / "cuda", "GPU NVIDIA H200, torch 2.11.0+cu130"),
    ],
    ids=["cpu", "cuda"],
)
def test_the_committed_headline_prints_no_ratio_over_100x(results: Path, machine: str) -> None:
    document = json.loads((results / "summary.json").read_text())
    environment = json.loads((results / "environment.json").read_text())
    table = headline_markdown(document["headline"], environment)
    ratios = [float(ratio) for ratio in re.findall(r"\| ([0-9.]+)x \|", table)]
    assert ratios and max(ratios) <= 100
    assert "n/a: ~0 under no_grad" in table
    assert "19540" not in table
    assert machine in table
    assert table == (results / "headline.md").read_text(), "headline.md is out of date"


def test_the_cuda_headline_shows_what_grows_on_the_gpu() -> None:
    """On CUDA the kept graphs grow GPU memory, not the host's: the headline must show that
    growth, and the GPU part of the energy, which a CPU run (all zeros) leaves out."""
    cuda = {
        line["label"]: line
        for line in json.loads((RESULTS.parent / "cuda" / "summary.json").read_text())["headline"]
        if line["model"] == "small_cnn"
    }
    growth = cuda["accumulate: CUDA peak allocated growth per batch"]
    assert growth["grad"] == pytest.approx(87.1 * MIB, rel=0.01)  # saved graph + input
    assert growth["no_grad"] < 0.001 * growth["grad"]
    assert cuda["of which GPU (NVML)"]["grad"] > 0
    cpu = {line["label"] for line in json.loads((RESULTS / "summary.json").read_text())["headline"]}
    assert not {label for label in cpu if "CUDA" in label or "GPU" in label}
    assert human("gpu_energy_j_per_batch", 0.568) == "0.568 J"


def test_small_byte_counts_print_in_kib() -> None:
    assert human("graph_bytes", 7.6 * 1024) == "7.6 KiB"
    assert human("graph_bytes", 84.1 * MIB) == "84.1 MiB"
    assert human("graph_bytes", 0) == "0"


def _rows() -> list[dict]:
    """A tiny run: 3 batches per memory series, 3 timings and 2 energy rounds per mode."""
    rows = []
    for mode, graph, extra in (
        ("grad", 8 * MIB, 16 * MIB),
        ("no_grad", 0, 0),
        ("inference_mode", 0, 0),
    ):
        for pattern in ("overwrite", "accumulate"):
            rows.append(record("memory", "mlp", mode, pattern, 0, 4, "rss_bytes_before", 260 * MIB))
            for batch in (1, 2, 3):
                grow = batch * graph if pattern == "accumulate" else 0
                values = {
                    "graph_bytes": graph,
                    "peak_rss_bytes": 264 * MIB + extra,
                    "peak_rss_over_start_bytes": 4 * MIB + extra,
                    "rss_bytes": 262 * MIB + grow,
                    "malloc_in_use_bytes": 100 * MIB + grow,
                }
                for metric, value in values.items():
                    rows.append(record("memory", "mlp", mode, pattern, batch, 4, metric, value))
        for repeat in (1, 2, 3):
            rows.append(
                record(
                    "time", "mlp", mode, "overwrite", repeat, 4, "time_per_batch_s", 0.01 * repeat
                )
            )
        for round_ in (1, 2):
            for metric, value in (
                ("energy_j_per_batch", 0.3 * round_),
                ("ram_energy_j_per_batch", 0.25 * round_),
                ("ram_power_w", 10.0),
            ):
                rows.append(record("energy", "mlp", mode, "overwrite", round_, 4, metric, value))
    return rows


def test_raw_rows_read_back_as_written(tmp_path: Path) -> None:
    rows = _rows()
    write_results(tmp_path, rows, ENVIRONMENT)
    assert read_raw(tmp_path / "raw.csv") == rows


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict:
    pytest.importorskip("matplotlib", reason="matplotlib is in the bench extra")
    from benchmarks import plots

    saved = {}

    def keep(figure, path: Path, title_inches: float) -> Path:
        saved[path.stem] = figure
        return path

    monkeypatch.setattr(plots, "_save", keep)
    plots.plot_all(_rows(), tmp_path, ENVIRONMENT)
    yield saved
    plots.plt.close("all")


def _texts(figure) -> str:
    parts = [text.get_text() for text in figure.texts]
    parts += [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    if figure._suptitle is not None:
        parts.append(figure._suptitle.get_text())
    parts += [axis.get_title() for axis in figure.axes]
    return "\n".join(parts)


def test_every_figure_names_its_loop_batch_and_machine(figures: dict) -> None:
    assert set(figures) == {
        "memory_per_iteration",
        "accumulate_growth",
        "time_per_batch",
        "energy_per_batch",
    }
    loops = {
        "memory_per_iteration": "outputs = model(x)",
        "accumulate_growth": "preds.append(model(x))",
        "time_per_batch": "outputs = model(x)",
        "energy_per_batch": "outputs = model(x)",
    }
    for name, figure in figures.items():
        text = _texts(figure)
        assert loops[name] in " ".join(figure._suptitle.get_text().split()), name
        assert "CPU only: 2 logical CPUs, Example CPU, torch 2.13.0+cpu, 1 torch thread" in text, (
            name
        )
        assert "mlp, batch 4" in text, name


def test_axes_start_at_zero_and_batches_are_integers(figures: dict) -> None:
    for name, figure in figures.items():
        for axis in figure.axes:
            assert axis.get_ylim()[0] == 0, (name, axis.get_title())
    for name in ("memory_per_iteration", "accumulate_growth"):
        for axis in figures[name].axes:
            ticks = [tick for tick in axis.get_xticks() if 1 <= tick <= 3]
            assert ticks and all(float(tick).is_integer() for tick in ticks), axis.get_title()


def test_coinciding_modes_are_named_and_no_band_is_unlabelled(figures: dict) -> None:
    for name in ("memory_per_iteration", "accumulate_growth"):
        figure = figures[name]
        assert "inference_mode (same as no_grad" in _texts(figure)
        for axis in figure.axes:
            assert not axis.collections, "a shaded band the legend does not explain"
        styles = {line.get_marker() for line in figure.axes[0].get_lines()}
        assert {"o", "s", "x"} <= styles


def test_bar_plots_say_what_bars_and_whiskers_are(figures: dict) -> None:
    for name in ("time_per_batch", "energy_per_batch"):
        text = _texts(figures[name])
        assert "bar: median" in text and "whiskers: min-max" in text, name


def test_the_energy_figure_says_what_codecarbon_can_see(figures: dict) -> None:
    text = " ".join(_texts(figures["energy_per_batch"]).split())
    assert "CodeCarbon 3.3.2 on this machine" in text
    assert "estimated, not metered (no RAPL counters): TDP 8 W" in text
    assert "RAM power is a constant 10 W" in text and "blind to the bytes in use" in text
    assert "GPU: none." in text
    assert "of which RAM" in text


def test_help_shows_every_default_and_the_accepted_values(capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("torch", reason="the benchmarks need torch (the bench extra)")
    from benchmarks.cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    options = text.split(" options: ", 1)[1]
    for action in parser._actions:
        if action.dest == "help" or action.nargs == 0:
            continue  # flags are off unless given
        flag = action.option_strings[-1]
        entry = options.split(f" {flag} ", 1)[1].split(" --", 1)[0]
        assert "default" in entry or "required" in entry, flag
    assert "{cpu,cuda,auto}" in text and "{overwrite,accumulate,both}" in text
    assert "small_cnn, resnet_half, transformer, mlp" in text
    assert "grad, no_grad, inference_mode" in text
    assert "(default: small_cnn 256, resnet_half 64, transformer 16, mlp 256; --quick: 8)" in text
    assert "(default: 15; --quick: 3)" in text


def test_from_raw_rebuilds_without_measuring(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the benchmarks need torch (the bench extra)")
    pytest.importorskip("matplotlib", reason="matplotlib is in the bench extra")
    from benchmarks.cli import main

    write_results(tmp_path, _rows(), ENVIRONMENT)
    raw = (tmp_path / "raw.csv").read_bytes()
    (tmp_path / "headline.md").unlink()
    assert main(["--from-raw", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "raw.csv").read_bytes() == raw
    assert (
        "| mlp (4) | saved-graph bytes per batch | 8.0 MiB | 0 | 0 | n/a: 0 under no_grad |"
        in (tmp_path / "headline.md").read_text()
    )
    assert {path.name for path in tmp_path.glob("*.png")} == {
        "memory_per_iteration.png",
        "accumulate_growth.png",
        "time_per_batch.png",
        "energy_per_batch.png",
    }


def test_from_raw_without_a_run_is_one_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the benchmarks need torch (the bench extra)")
    from benchmarks.cli import main

    with pytest.raises(SystemExit, match="--from-raw: cannot read the run in"):
        main(["--from-raw", "--out", str(tmp_path)])
