"""NG001 in python-lsp-server (pylsp), the language server behind Neovim, Helix and Emacs setups.

pylsp's flake8 plugin runs ``flake8 -`` on the buffer and turns each output line into a
diagnostic. This test starts the real pylsp over stdio, enables that plugin as an editor's
configuration would, and reads the diagnostics it publishes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import tool
from tests.lsp_client import LspClient

pytest.importorskip("pylsp", reason="python-lsp-server is in the test dependency group")

BUFFER = """import torch


def evaluate(model, batch):
    model.eval()
    logits = model(batch)
    return logits.argmax(-1)
"""


def pylsp_settings() -> dict:
    """What an editor sends: flake8 on (with this environment's flake8), the overlapping linters off."""
    return {
        "pylsp": {
            "plugins": {
                "flake8": {"enabled": True, "executable": tool("flake8")},
                "pycodestyle": {"enabled": False},
                "pyflakes": {"enabled": False},
                "mccabe": {"enabled": False},
            }
        }
    }


def ng001(params: dict) -> list[dict]:
    return [d for d in params["diagnostics"] if d.get("code") == "NG001"]


@pytest.fixture
def pylsp(tmp_path: Path, subprocess_env: dict):
    with LspClient([tool("pylsp")], cwd=tmp_path, env=subprocess_env) as client:
        client.initialize(tmp_path, initialization_options=pylsp_settings())
        client.notify("workspace/didChangeConfiguration", {"settings": pylsp_settings()})
        yield client


def test_pylsp_publishes_ng001_on_open(pylsp: LspClient, tmp_path: Path) -> None:
    uri = (tmp_path / "evaluate.py").as_uri()
    pylsp.open(uri, BUFFER)
    params = pylsp.wait_for_diagnostics(uri, lambda params: bool(ng001(params)))
    [diagnostic] = ng001(params)
    assert diagnostic["source"] == "flake8"
    assert diagnostic["message"].startswith("NG001 forward pass of eval-mode model 'model'")
    # flake8 prints only a start; pylsp ends the range at the end of that line.
    line = BUFFER.splitlines(keepends=True)[5]
    assert diagnostic["range"] == {
        "start": {"line": 5, "character": line.index("model(batch)")},
        "end": {"line": 5, "character": len(line)},
    }


def test_pylsp_clears_ng001_once_the_buffer_is_fixed(pylsp: LspClient, tmp_path: Path) -> None:
    uri = (tmp_path / "evaluate.py").as_uri()
    pylsp.open(uri, BUFFER)
    pylsp.wait_for_diagnostics(uri, lambda params: bool(ng001(params)))
    fixed = BUFFER.replace(
        "    logits = model(batch)", "    with torch.no_grad():\n        logits = model(batch)"
    )
    pylsp.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]},
    )
    pylsp.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    params = pylsp.wait_for_diagnostics(uri, lambda params: params.get("version") == 2)
    assert ng001(params) == []
