"""``--fix`` and ``--diff`` on notebooks: only the changed cells' ``source`` changes, the
file keeps its JSON style, the result is valid nbformat and lints clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from nograd_lint.cli import main

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).parent / "notebooks"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def _copy(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copy(NOTEBOOKS / name, tmp_path / name))


def _without_sources(data: Any) -> Any:
    cells = [{k: v for k, v in c.items() if k != "source"} for c in data["cells"]]
    return {**data, "cells": cells}


def _sources(data: Any) -> list[str]:
    return [
        c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in data["cells"]
    ]


def test_fix_round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "cross_cell.ipynb", monkeypatch)
    before = json.loads(path.read_text())
    status, out, err = _run(capsys, "--fix", "--unsafe-fixes", path.name)
    assert status == 0, out + err
    assert "Fixed 3 NG001 sites in 1 file; 0 left." in err
    after = json.loads(path.read_text())
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))
    assert _without_sources(after) == _without_sources(before)
    changed = [i + 1 for i, (a, b) in enumerate(zip(_sources(before), _sources(after))) if a != b]
    assert changed == [5, 6, 7]
    assert _sources(after)[4] == (
        "with torch.no_grad():\n    scores = model(x)  # expect: NG001\nprint(scores)"
    )
    # Jupyter's own style is kept: indent 1, sorted keys, characters as they are, a last newline.
    assert (
        path.read_text() == json.dumps(after, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )
    fixed = path.read_bytes()
    assert _run(capsys, path.name)[0] == 0
    assert _run(capsys, "--fix", "--unsafe-fixes", path.name)[0] == 0
    assert path.read_bytes() == fixed


def test_fix_keeps_another_json_style_byte_for_byte(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook = {
        "nbformat_minor": 5,
        "nbformat": 4,
        "metadata": {"zeta": 1, "alpha": "ü"},
        "cells": [
            {
                "source": ["import torch\n", "m = torch.nn.Linear(1, 1).eval()\n"],
                "outputs": [],
                "metadata": {},
                "execution_count": 3,
                "cell_type": "code",
                "id": "b",
            },
            {
                "source": ["# café ☕\n", "y = m(torch.ones(1))"],
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["é\n"]}],
                "metadata": {"tags": ["x"]},
                "execution_count": 4,
                "cell_type": "code",
                "id": "a",
            },
        ],
    }
    Path("style.ipynb").write_text(json.dumps(notebook, indent=2, ensure_ascii=True))
    assert _run(capsys, "--fix", "--unsafe-fixes", "style.ipynb")[0] == 0
    notebook["cells"][1]["source"] = [  # type: ignore[index]
        "# café ☕\n",
        "with torch.no_grad():\n",
        "    y = m(torch.ones(1))",
    ]
    assert Path("style.ipynb").read_text() == json.dumps(notebook, indent=2, ensure_ascii=True)


def test_string_source_stays_a_string(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "string_source.ipynb", monkeypatch)
    assert _run(capsys, "--fix", "--unsafe-fixes", path.name)[0] == 0
    source = json.loads(path.read_text())["cells"][2]["source"]
    assert (
        source == "with torch.no_grad():\n    scores = model(x)  # expect: NG001\nprint(scores)\n"
    )


def test_diff_shows_each_cell_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "cross_cell.ipynb", monkeypatch)
    before = path.read_bytes()
    status, out, _ = _run(capsys, "--diff", "--unsafe-fixes", path.name)
    assert status == 1
    assert [line for line in out.splitlines() if line.startswith("---")] == [
        "--- a/cross_cell.ipynb:cell 5",
        "--- a/cross_cell.ipynb:cell 6",
        "--- a/cross_cell.ipynb:cell 7",
    ]
    assert "+with torch.no_grad():\n+    after = model(x)  # expect: NG001\n" in out
    assert path.read_bytes() == before


def test_unsafe_fixes_are_held_back_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "cross_cell.ipynb", monkeypatch)
    before = path.read_bytes()
    status, out, err = _run(capsys, "--fix", path.name)
    assert status == 1 and out.count("NG001") == 3
    assert "3 unsafe fixes not applied" in err
    assert path.read_bytes() == before


def test_a_cell_whose_magic_the_fix_would_move_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "fix_refused.ipynb", monkeypatch)
    before = json.loads(path.read_text())
    status, out, err = _run(capsys, "--fix", "--unsafe-fixes", path.name)
    assert status == 1
    assert out.startswith("fix_refused.ipynb:cell 2:1:4: NG001")
    assert (
        "fix_refused.ipynb:cell 2:1:4: NG001 not fixed: the fix would move an IPython line" in err
    )
    after = json.loads(path.read_text())
    assert _sources(after)[1] == _sources(before)[1]
    assert _sources(after)[2] == "with torch.no_grad():\n    z = model(x)  # expect: NG001"
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def test_magics_outside_the_fix_are_given_back(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "magics.ipynb", monkeypatch)
    before = _sources(json.loads(path.read_text()))
    assert _run(capsys, "--fix", "--unsafe-fixes", path.name)[0] == 0
    after = _sources(json.loads(path.read_text()))
    assert after[4].splitlines()[:4] == [
        "for step in range(2):",
        "    !echo $step",
        "    with torch.no_grad():",
        "        out = model(x)  # expect: NG001",
    ]
    assert after[5] == (
        "%env CUDA_VISIBLE_DEVICES=0\nwith torch.no_grad():\n    y = model(x)  # expect: NG001\n"
        "%pip install \\\n    numpy"
    )
    assert after[6] == "pip install kornia"
    assert after[7] == (
        "from __future__ import division\nwith torch.no_grad():\n"
        "    z = model(x) / 2  # expect: NG001"
    )
    assert after[:4] == before[:4]
    assert _run(capsys, path.name)[0] == 0


def test_fix_filter_on_stdin_gives_the_notebook_back(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    data = (NOTEBOOKS / "cross_cell.ipynb").read_bytes()
    stdin = io.TextIOWrapper(io.BytesIO(data))
    monkeypatch.setattr(sys, "stdin", stdin)
    status, out, _ = _run(
        capsys, "--fix", "--unsafe-fixes", "--stdin-display-name", "nb.ipynb", "-"
    )
    assert status == 0
    fixed = json.loads(out)
    assert "with torch.no_grad():\n" in fixed["cells"][4]["source"]
    nbformat.validate(nbformat.reads(out, as_version=4))


def test_fix_keeps_a_byte_order_mark_and_crlf_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook: dict[str, Any] = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "a",
                "metadata": {},
                "outputs": [],
                "source": ["import torch\n", "m = torch.nn.Linear(1, 1).eval()\n", "y = m(x)"],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }

    def written(data: dict[str, Any]) -> bytes:
        text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()

    Path("crlf.ipynb").write_bytes(written(notebook))
    assert _run(capsys, "--fix", "--unsafe-fixes", "crlf.ipynb")[0] == 0
    notebook["cells"][0]["source"][2:] = ["with torch.no_grad():\n", "    y = m(x)"]
    assert Path("crlf.ipynb").read_bytes() == written(notebook)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_the_lines_the_fix_writes_end_as_the_cells_do(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    newline: str,
) -> None:
    """A cell whose source ends its lines in ``\\r\\n`` (or ``\\r``) keeps one style, as a
    ``.py`` file does."""
    monkeypatch.chdir(tmp_path)
    source = "import torch\nmodel.eval()\nout = model(x)\n".replace("\n", newline)
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {"cells": [{**cell, "source": source}], "metadata": {}, "nbformat": 4}
    Path("cell.ipynb").write_text(json.dumps({**notebook, "nbformat_minor": 5}))
    assert _run(capsys, "--fix", "--unsafe-fixes", "cell.ipynb")[0] == 0
    fixed = json.loads(Path("cell.ipynb").read_text())["cells"][0]["source"]
    expected = "import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"
    assert fixed == expected.replace("\n", newline)
