"""Jupyter notebooks in the command: cells as one module, IPython lines masked, positions
named by cell, every output format, and every form of bad notebook."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from nograd_lint.cli import lint_file, main
from nograd_lint.notebook_magics import MARK, cell_magic, mask

NOTEBOOKS = Path(__file__).parent / "notebooks"
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
_MARKER = re.compile(r"#\s*expect:\s*NG001")


def _cases() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p.name != "kernel_r.ipynb")


def _expected(path: Path) -> Counter:
    """(cell, line) of every ``# expect: NG001`` marker in a code cell."""
    counts: Counter = Counter()
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for number, line in enumerate(source.splitlines(), 1):
            if _MARKER.search(line):
                counts[(index + 1, number)] += 1
    return counts


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.name)
def test_case_notebooks_report_exactly_their_markers(path: Path) -> None:
    result = lint_file(str(path))
    assert result.error is None, result.error
    found: Counter = Counter()
    for finding in result.findings:
        place = result.place(finding.line, finding.col)
        assert place is not None
        found[(place.cell, place.line)] += 1
    assert found == _expected(path)
    assert found, "every case notebook has findings"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_text_names_the_cell_as_ruff_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(NOTEBOOKS)
    status, out, _ = _run(capsys, "--show-source", "cross_cell.ipynb")
    assert status == 1
    assert out.splitlines()[:3] == [
        "cross_cell.ipynb:cell 5:1:10: NG001 forward pass of eval-mode model 'model' runs "
        "with autograd enabled; wrap it in torch.no_grad() or torch.inference_mode()",
        "scores = model(x)  # expect: NG001",
        "         ^",
    ]


def test_json_gives_the_cell_and_lines_in_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(NOTEBOOKS)
    _, out, _ = _run(capsys, "--format", "json", "cross_cell.ipynb")
    first = json.loads(out)[0]
    assert (first["cell"], first["line"], first["column"]) == (5, 1, 10)
    assert (first["end_line"], first["end_column"]) == (1, 18)
    assert [(r["cell"], r["line"], r["column"]) for r in first["related"]] == [(3, 1, 1)]


def test_json_cell_is_null_for_python_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.py").write_text("m.eval()\ny = m(x)\n")
    _, out, _ = _run(capsys, "--format", "json", "a.py")
    assert json.loads(out)[0]["cell"] is None


def _file_line(path: Path, line: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_github_annotates_the_line_of_the_ipynb_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(NOTEBOOKS)
    _, out, _ = _run(capsys, "--format", "github", "cross_cell.ipynb")
    first = out.splitlines()[0]
    found = re.match(r"::warning file=cross_cell.ipynb,line=(\d+),col=(\d+),title=NG001::", first)
    assert found, first
    text = _file_line(NOTEBOOKS / "cross_cell.ipynb", int(found.group(1)))
    assert text[int(found.group(2)) - 1 :].startswith("model(x)")
    assert "::cell 5:1:10: NG001 forward pass" in first


@pytest.mark.parametrize("name", ["cross_cell.ipynb", "string_source.ipynb"])
def test_sarif_region_is_in_the_ipynb_file_and_valid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    monkeypatch.chdir(NOTEBOOKS)
    _, out, _ = _run(capsys, "--format", "sarif", name)
    log = json.loads(out)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    location = log["runs"][0]["results"][0]["locations"][0]
    region = location["physicalLocation"]["region"]
    line = _file_line(NOTEBOOKS / name, region["startLine"])
    assert line[region["startColumn"] - 1 :].startswith("model(x)")
    assert location["properties"]["notebookCell"] in (3, 5)
    assert location["properties"]["cellLine"] == 1


def test_string_source_is_valid_nbformat_and_read() -> None:
    result = lint_file(str(NOTEBOOKS / "string_source.ipynb"))
    assert result.error is None and len(result.findings) == 1


def test_notebooks_are_found_in_directories_and_can_be_excluded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nb.ipynb").write_bytes((NOTEBOOKS / "cross_cell.ipynb").read_bytes())
    monkeypatch.chdir(tmp_path)
    status, out, _ = _run(capsys, ".")
    assert status == 1 and out.count("sub/nb.ipynb:cell ") == 3
    status, out, _ = _run(capsys, "--extend-exclude", "*.ipynb", ".")
    assert status == 0 and out == ""
    Path("pyproject.toml").write_text('[tool.nograd-lint]\nextend-exclude = ["*.ipynb"]\n')
    status, out, _ = _run(capsys, ".")
    assert status == 0 and out == ""


def test_non_python_kernel_is_skipped_with_the_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(NOTEBOOKS)
    status, out, err = _run(capsys, "kernel_r.ipynb")
    assert (status, out) == (0, "")
    assert err == "kernel_r.ipynb: skipped: the notebook's language is R\n"
    assert _run(capsys, "-q", "kernel_r.ipynb")[2] == ""


BAD = {
    "invalid_json.ipynb": "not a notebook: invalid JSON at 2:1: Expecting value",
    "no_cells.ipynb": "not a notebook: no 'cells' list",
    "nbformat3.ipynb": "nbformat 3 notebooks are not supported; convert with",
    "source_not_text.ipynb": "not a notebook: the source of cell 1 is not text",
    "cell_not_object.ipynb": "not a notebook: cell 1 is not an object",
    "not_an_object.ipynb": "not a notebook: the JSON is not an object",
    "not_utf8.ipynb": "not a notebook: not UTF-8",
    "syntax_error.ipynb": "syntax error at cell 1:1:5: '(' was never closed",
    "number_too_long.ipynb": "not a notebook: Exceeds the limit (4300 digits)",
}


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("mode", [[], ["--fix", "--unsafe-fixes"], ["--diff"]])
def test_bad_notebooks_give_one_error_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    mode: list[str],
) -> None:
    if name == "syntax_error.ipynb":
        import sys

        if sys.version_info < (3, 10):
            pytest.skip("older Pythons word this syntax error differently")
    monkeypatch.chdir(NOTEBOOKS / "bad")
    before = Path(name).read_bytes()
    status, out, err = _run(capsys, *mode, name)
    assert (status, out) == (2, "")
    assert err.startswith(f"{name}: error: {BAD[name]}")
    assert err.count("\n") - err.count("nograd-lint: ") == 1, err
    assert Path(name).read_bytes() == before


def test_every_bad_notebook_has_a_case() -> None:
    assert sorted(p.name for p in (NOTEBOOKS / "bad").glob("*.ipynb")) == sorted(BAD)


# Masking IPython lines.


def _masked(text: str) -> str:
    return mask(text.splitlines(keepends=True)).text


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "!pip install torch",
        "files = !ls",
        "a, b = %time f()",
        "model?",
        "??torch.nn.Linear",
        "torch.*Tensor?",
        "%pip install \\",
    ],
)
def test_ipython_lines_become_ellipsis_on_the_same_line(line: str) -> None:
    masked = _masked(f"x = 1\n    {line}\ny = 2\n")
    lines = masked.splitlines()
    assert len(lines) == 3 and lines[0] == "x = 1" and lines[2].startswith(("y = 2", "    ..."))
    assert lines[1].startswith("    ") and lines[1].endswith(MARK)
    compile("if True:\n" + lines[1], "<masked>", "exec")


@pytest.mark.parametrize(
    "text",
    [
        "ratio = (step\n         % 2)\n",
        "s = '''\n%d items\n!not a shell escape\n'''\n",
        "x = a \\\n    % b\n",
        "if a != b:\n    pass\n",
        "y = 1  # why?\n",
        'doc = r"""\n%d items\n% a LaTeX comment\n"""\n',
        "s = '''x\n%d\n'''  # closed\nt = '''\n%still in a string\n'''\n",
        "s = 'a\\\n%d'\n",
        # names of automagics used as Python
        "cd = 3\npip.main(['install', 'x'])\nconfig = Config(\n    a=1,\n)\n",
        "pip if ok else None\n",
        "cd -= lr * (\n    2)\n",
        "pip install kornia\nimport kornia\n",  # IPython's automagic wants a cell of one line
        "from __future__ import annotations\n",  # the first cell's: a real one
    ],
)
def test_python_that_looks_like_ipython_is_kept(text: str) -> None:
    assert _masked(text) == text


@pytest.mark.parametrize(
    "cell",
    ["pip install kornia==0.7", "conda install -c conda-forge numpy\n", "matplotlib inline"],
)
def test_a_cell_of_one_automagic_line_is_masked(cell: str) -> None:
    # IPython runs ``%pip install ...`` for it.
    masked = _masked(cell)
    assert masked.startswith("...") and masked.rstrip("\n").endswith(MARK)
    assert masked.endswith("\n") == cell.endswith("\n")


def test_a_later_cell_future_import_is_masked() -> None:
    # IPython compiles each cell alone, so the import is legal in any cell; in the module
    # of all cells only the first may hold it.
    text = "from __future__ import division\nx = 1 / 2\n"
    assert mask(text.splitlines(keepends=True), later=True).text == (f"...{MARK}\nx = 1 / 2\n")
    for kept in (
        "from __future__ import (\n    division,\n)\n",  # not one line
        "from __future__ import division; import torch\n",  # more than the import
        "import os\nfrom __future__ import division\n",  # not at the top: an error there too
        "if x:\n    from __future__ import division\n",
    ):
        assert mask(kept.splitlines(keepends=True), later=True).text == kept
    after_a_comment = "# set up\n\nfrom __future__ import division\n"
    assert mask(after_a_comment.splitlines(keepends=True), later=True).text == (
        f"# set up\n\n...{MARK}\n"
    )


def test_magics_after_a_string_closes_are_masked_again() -> None:
    text = 's = """\n%in the string\n"""\n%time f()\nt = """\n%again in one\n"""\n!ls\n'
    lines = _masked(text).splitlines()
    assert [n for n, line in enumerate(lines, 1) if line.endswith(MARK)] == [4, 8]


def test_a_cell_of_many_magics_masks_each_of_them() -> None:
    text = "import torch\n" + "%time f()\n    \n" * 500 + "if x:\n    !ls\n"
    lines = _masked(text).splitlines()
    assert sum(line.endswith(MARK) for line in lines) == 501


def test_a_continued_magic_is_masked_whole() -> None:
    assert _masked("%pip install \\\n    numpy\nx = 1\n") == (f"...{MARK}\n...{MARK}\nx = 1\n")


def test_cell_magics_are_recognised() -> None:
    assert cell_magic("\n%%capture\ny = m(x)\n") == "%%capture"
    assert cell_magic("y = m(x)\n%%capture\n") is None


@pytest.mark.skipif(
    __import__("sys").version_info < (3, 10), reason="older Pythons word it differently"
)
def test_a_block_opened_in_one_cell_and_filled_in_the_next_is_placed_in_cells(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error falls on the line between the cells: given at the start of the next one,
    and the line Python names as a cell's line too."""
    monkeypatch.chdir(tmp_path)
    sources = ["import torch\nmodel.eval()\nwith torch.no_grad():\n", "    out = model(x)\n"]
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    cells = [{**cell, "source": source} for source in sources]
    Path("split.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    status, out, err = _run(capsys, "split.ipynb")
    assert (status, out) == (2, "")
    assert err == (
        "split.ipynb: error: syntax error at cell 2:1:1: "
        "expected an indented block after 'with' statement on cell 1:3\n"
    )
