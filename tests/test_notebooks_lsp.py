"""Notebook documents (LSP 3.17) in ``nograd-lint lsp``: the cells analysed as one module,
diagnostics per cell, quick fixes per cell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp_client import LspClient, apply_text_edits
from tests.test_lsp import start_server

pytest.importorskip("pygls", reason="pygls is in the lsp extra and the test dependency group")

#: What VS Code declares; servers announce notebook sync only to such clients.
NOTEBOOK_CLIENT = {"notebookDocument": {"synchronization": {"executionSummarySupport": False}}}

CELLS = [
    (2, "import torch\nmodel = torch.nn.Linear(2, 2)\nx = torch.ones(2)\n"),
    (1, "# A markdown cell: model(x)"),
    (2, "%matplotlib inline\nmodel.eval()\n"),
    (2, "with torch.no_grad():\n    safe = model(x)\nout = model(x)\nprint(out)"),
]


@pytest.fixture
def client(tmp_path: Path, subprocess_env: dict) -> Iterator[LspClient]:
    with start_server(tmp_path, subprocess_env) as server:
        capabilities = server.initialize(tmp_path, capabilities=NOTEBOOK_CLIENT)
        assert capabilities["notebookDocumentSync"]["notebookSelector"][0]["cells"] == [
            {"language": "python"}
        ]
        yield server


def _cell_uri(notebook: str, index: int) -> str:
    return f"vscode-notebook-cell:{notebook[len('file:') :]}#cell{index}"


def _open(client: LspClient, notebook: str, cells: list[tuple[int, str]], version: int = 1) -> None:
    client.notify(
        "notebookDocument/didOpen",
        {
            "notebookDocument": {
                "uri": notebook,
                "notebookType": "jupyter-notebook",
                "version": version,
                "cells": [
                    {"kind": kind, "document": _cell_uri(notebook, i)}
                    for i, (kind, _) in enumerate(cells)
                ],
            },
            "cellTextDocuments": [
                {
                    "uri": _cell_uri(notebook, i),
                    "languageId": "python" if kind == 2 else "markdown",
                    "version": 1,
                    "text": text,
                }
                for i, (kind, text) in enumerate(cells)
            ],
        },
    )


def test_diagnostics_per_cell_with_the_eval_in_another_cell(
    client: LspClient, tmp_path: Path
) -> None:
    notebook = (tmp_path / "nb.ipynb").as_uri()
    _open(client, notebook, CELLS)
    # Every code cell gets its diagnostics (waiting consumes earlier ones: in cell order).
    assert client.wait_for_diagnostics(_cell_uri(notebook, 0))["diagnostics"] == []
    assert client.wait_for_diagnostics(_cell_uri(notebook, 2))["diagnostics"] == []
    last = client.wait_for_diagnostics(_cell_uri(notebook, 3))
    [diagnostic] = last["diagnostics"]
    assert diagnostic["range"] == {
        "start": {"line": 2, "character": 6},
        "end": {"line": 2, "character": 14},
    }
    published = client.received("textDocument/publishDiagnostics")
    assert all(p["uri"] != _cell_uri(notebook, 1) for p in published)  # a markdown cell


def test_related_information_points_into_the_eval_cell(
    tmp_path: Path, subprocess_env: dict
) -> None:
    related = {"textDocument": {"publishDiagnostics": {"relatedInformation": True}}}
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path, capabilities={**NOTEBOOK_CLIENT, **related})
        notebook = (tmp_path / "nb.ipynb").as_uri()
        _open(client, notebook, CELLS)
        cell = _cell_uri(notebook, 3)
        [diagnostic] = client.wait_for_diagnostics(cell)["diagnostics"]
        [place] = diagnostic["relatedInformation"]
        assert place["location"] == {
            "uri": _cell_uri(notebook, 2),
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 12}},
        }


def test_a_change_in_one_cell_updates_another(client: LspClient, tmp_path: Path) -> None:
    notebook = (tmp_path / "nb.ipynb").as_uri()
    _open(client, notebook, CELLS)
    client.wait_for_diagnostics(_cell_uri(notebook, 3), lambda p: bool(p["diagnostics"]))
    client.notify(
        "notebookDocument/didChange",
        {
            "notebookDocument": {"uri": notebook, "version": 2},
            "change": {
                "cells": {
                    "textContent": [
                        {
                            "document": {"uri": _cell_uri(notebook, 2), "version": 2},
                            "changes": [{"text": "%matplotlib inline\nmodel.train()\n"}],
                        }
                    ]
                }
            },
        },
    )
    cleared = client.wait_for_diagnostics(_cell_uri(notebook, 3), lambda p: not p["diagnostics"])
    assert cleared["diagnostics"] == []


def test_quick_fix_edits_the_cell(client: LspClient, tmp_path: Path) -> None:
    notebook = (tmp_path / "nb.ipynb").as_uri()
    _open(client, notebook, CELLS)
    cell = _cell_uri(notebook, 3)
    diagnostics = client.wait_for_diagnostics(cell, lambda p: bool(p["diagnostics"]))["diagnostics"]
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": cell},
            "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}},
            "context": {"diagnostics": diagnostics},
        },
    )
    quick_fix = next(a for a in actions if a["kind"] == "quickfix")
    assert set(quick_fix["edit"]["changes"]) == {cell}
    fixed = apply_text_edits(CELLS[3][1], quick_fix["edit"]["changes"][cell])
    assert fixed == (
        "with torch.no_grad():\n    safe = model(x)\nwith torch.no_grad():\n"
        "    out = model(x)\nprint(out)"
    )
