"""``nograd-lint lsp`` over stdio, driven with real LSP messages as an editor sends them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nograd_lint import check_source
from tests.conftest import tool
from tests.lsp_client import LspClient, apply_text_edits, env_running_first

pytest.importorskip("pygls", reason="pygls is in the lsp extra and the test dependency group")

RULE_URL = "https://github.com/nograd-lint/nograd-lint/blob/main/src/nograd_lint/rule_docs/NG001.md"

BUFFER = """import torch


def evaluate(model, batch):
    model.eval()
    logits = model(
        batch,
    )
    return logits.argmax(-1)


def predict(model, x):
    model.eval()
    return model(x)
"""
#: (start line, start character, end line, end character), 0-based as in LSP.
BUFFER_RANGES = [(5, 13, 7, 5), (13, 11, 13, 19)]


def start_server(cwd: Path, env: dict, debounce_ms: int = 300) -> LspClient:
    """``nograd-lint lsp``, started as an editor starts it."""
    return LspClient([tool("nograd-lint"), "lsp", f"--debounce-ms={debounce_ms}"], cwd=cwd, env=env)


@pytest.fixture
def server(tmp_path: Path, subprocess_env: dict) -> Iterator[LspClient]:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path)
        yield client


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return (tmp_path / "evaluate.py").as_uri()


def ranges(params: dict) -> list[tuple[int, int, int, int]]:
    return [
        (
            d["range"]["start"]["line"],
            d["range"]["start"]["character"],
            d["range"]["end"]["line"],
            d["range"]["end"]["character"],
        )
        for d in params["diagnostics"]
    ]


def change(client: LspClient, uri: str, version: int, *content_changes: dict) -> None:
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": version}, "contentChanges": list(content_changes)},
    )


def versions_published(client: LspClient, uri: str) -> list:
    return [
        p.get("version")
        for p in client.received("textDocument/publishDiagnostics")
        if p["uri"] == uri
    ]


# -- diagnostics -------------------------------------------------------------------------------


def test_initialize_advertises_sync_and_code_actions(tmp_path: Path, subprocess_env: dict) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        capabilities = client.initialize(tmp_path)
    assert capabilities["textDocumentSync"]["openClose"] is True
    assert capabilities["textDocumentSync"]["change"] == 1  # full: see the form feed test
    assert capabilities["textDocumentSync"]["save"]
    assert capabilities["codeActionProvider"]["codeActionKinds"] == [
        "quickfix",
        "source.fixAll.nograd-lint",
    ]


def test_open_publishes_ng001_with_exact_ranges(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    params = server.wait_for_diagnostics(uri)
    assert params["version"] == 1
    assert ranges(params) == BUFFER_RANGES
    first = params["diagnostics"][0]
    assert first["source"] == "nograd-lint" and first["code"] == "NG001"
    assert first["codeDescription"] == {"href": RULE_URL}
    assert first["severity"] == 2  # warning
    assert first["message"].startswith(
        "forward pass of eval-mode model 'model' runs with autograd enabled"
    )


def test_columns_are_utf16_code_units(server: LspClient, uri: str) -> None:
    # The emoji is one character to Python and two UTF-16 units to the editor.
    server.open(uri, "def f(model, x):\n    model.eval()\n    s = '😋'; return model(x)\n")
    assert ranges(server.wait_for_diagnostics(uri)) == [(2, 21, 2, 29)]


def test_columns_follow_a_negotiated_utf32_encoding(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        capabilities = client.initialize(
            tmp_path, capabilities={"general": {"positionEncodings": ["utf-32"]}}
        )
        assert capabilities["positionEncoding"] == "utf-32"
        client.open(uri, "def f(model, x):\n    model.eval()\n    s = '😋'; return model(x)\n")
        assert ranges(client.wait_for_diagnostics(uri)) == [(2, 20, 2, 28)]


def test_change_moves_the_diagnostics(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    server.wait_for_diagnostics(uri)
    change(server, uri, 2, {"text": '"""Evaluation."""\n\n' + BUFFER})
    params = server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2)
    assert ranges(params) == [(a + 2, b, c + 2, d) for a, b, c, d in BUFFER_RANGES]


def test_form_feed_lines_stay_in_step_with_the_editor(server: LspClient, uri: str) -> None:
    # Python and LSP end lines at \n, \r\n and \r only; a form feed is inside a line.
    source = "x = 1  # page\x0c break\ndef f(model, x):\n    model.eval()\n    return model(x)\n"
    server.open(uri, source)
    assert ranges(server.wait_for_diagnostics(uri)) == [(3, 11, 3, 19)]
    change(server, uri, 2, {"text": source.replace("    return", "    z = model(x); return")})
    assert ranges(server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2)) == [
        (3, 8, 3, 16),
        (3, 25, 3, 33),
    ]


def test_fixing_the_code_by_hand_clears_its_diagnostic(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    server.wait_for_diagnostics(uri)
    fixed = BUFFER.replace(
        "    return model(x)", "    with torch.no_grad():\n        return model(x)"
    )
    change(server, uri, 2, {"text": fixed})
    assert (
        ranges(server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2))
        == BUFFER_RANGES[:1]
    )


def test_typing_bursts_are_debounced_to_one_lint(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    # A long debounce, so that a busy test machine cannot stretch the burst past it.
    with start_server(tmp_path, subprocess_env, debounce_ms=1500) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        client.wait_for_diagnostics(uri)
        for version in range(2, 7):  # five keystrokes
            change(client, uri, version, {"text": "#" * (version - 1) + BUFFER})
            time.sleep(0.02)
        params = client.wait_for_diagnostics(uri, lambda p: p.get("version") == 6)
        assert ranges(params) == BUFFER_RANGES
        time.sleep(0.5)
        assert versions_published(client, uri) == [1, 6]


def test_save_lints_at_once_without_waiting_for_the_debounce(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    with start_server(tmp_path, subprocess_env, debounce_ms=60_000) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        client.wait_for_diagnostics(uri)
        change(client, uri, 2, {"text": BUFFER.replace("return model(x)", "return x")})
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        params = client.wait_for_diagnostics(uri, lambda p: p.get("version") == 2, timeout_s=10)
        assert ranges(params) == BUFFER_RANGES[:1]


def test_saving_an_already_linted_buffer_does_not_lint_again(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    server.wait_for_diagnostics(uri)
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    time.sleep(0.5)
    assert versions_published(server, uri) == [1]


def test_syntax_error_gives_no_diagnostics_and_the_server_goes_on(
    server: LspClient, uri: str
) -> None:
    server.open(uri, BUFFER)
    server.wait_for_diagnostics(uri)
    change(server, uri, 2, {"text": BUFFER.replace("argmax(-1)", "argmax(-1")})
    assert server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2)["diagnostics"] == []
    change(server, uri, 3, {"text": BUFFER})
    assert (
        ranges(server.wait_for_diagnostics(uri, lambda p: p.get("version") == 3)) == BUFFER_RANGES
    )
    assert server.returncode is None


def test_an_analysis_bug_is_logged_and_the_server_goes_on(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    # The server as installed, except that the analysis fails on buffers that say "boom".
    code = """
from nograd_lint import api
from nograd_lint.errors import InternalError
real_check_source = api.check_source
def check_source(text, *args, **kwargs):
    if "boom" in text:
        raise InternalError("internal error, please report: RuntimeError: boom")
    return real_check_source(text, *args, **kwargs)
api.check_source = check_source
"""
    env = env_running_first(subprocess_env, tmp_path / "startup", code)
    with start_server(tmp_path, env) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER + "# boom\n")
        assert client.wait_for_diagnostics(uri)["diagnostics"] == []
        log = client.wait_for_notification("window/logMessage", lambda p: "boom" in p["message"])
        assert log["type"] == 2 and "internal error, please report" in log["message"]
        change(client, uri, 2, {"text": BUFFER})
        assert (
            ranges(client.wait_for_diagnostics(uri, lambda p: p.get("version") == 2))
            == BUFFER_RANGES
        )


def test_close_clears_the_diagnostics(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    server.wait_for_diagnostics(uri)
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert server.wait_for_diagnostics(uri)["diagnostics"] == []


def test_project_no_grad_wrappers_from_pyproject(tmp_path: Path, server: LspClient) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["quiet_mode"]\n'
    )
    uri = (tmp_path / "quiet.py").as_uri()
    server.open(
        uri, "def f(model, x):\n    model.eval()\n    with quiet_mode():\n        return model(x)\n"
    )
    assert server.wait_for_diagnostics(uri)["diagnostics"] == []


def test_wrappers_from_initialization_options(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path, initialization_options={"disablingNames": ["quiet_mode"]})
        client.open(
            uri,
            "def f(model, x):\n    model.eval()\n    with quiet_mode():\n        return model(x)\n",
        )
        assert client.wait_for_diagnostics(uri)["diagnostics"] == []


@pytest.mark.parametrize(
    "settings",
    [
        {"nograd-lint": {"disablingNames": ["quiet_mode"]}},
        {"disablingNames": ["quiet_mode"]},
    ],
    ids=["nested", "flat"],
)
def test_changed_settings_relint_open_buffers(server: LspClient, uri: str, settings: dict) -> None:
    server.open(
        uri, "def f(model, x):\n    model.eval()\n    with quiet_mode():\n        return model(x)\n"
    )
    assert len(server.wait_for_diagnostics(uri)["diagnostics"]) == 1
    server.notify("workspace/didChangeConfiguration", {"settings": settings})
    assert server.wait_for_diagnostics(uri)["diagnostics"] == []
    server.notify(
        "workspace/didChangeConfiguration",
        {"settings": {"nograd-lint": {"disablingNames": "oops"}}},
    )
    assert len(server.wait_for_diagnostics(uri)["diagnostics"]) == 1


# -- start-up ----------------------------------------------------------------------------------


def test_python_m_starts_the_same_server(subprocess_env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nograd_lint.lsp", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env,
        check=True,
    )
    assert result.stdout.startswith("nograd-lint lsp ")


def test_the_linter_never_imports_pygls(subprocess_env: dict) -> None:
    code = (
        "import sys, nograd_lint, nograd_lint.lsp, nograd_lint.flake8_plugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env,
        check=True,
    )
    assert result.stdout == "[]\n"


# -- code actions ------------------------------------------------------------------------------


def code_actions(
    client: LspClient,
    uri: str,
    diagnostics: list,
    only: list | None = None,
    lines: tuple[int, int] | None = None,
) -> list:
    """What an editor asks for at the cursor: the diagnostics there, and which kinds it wants."""
    params = code_action_params(uri, diagnostics, only, lines)
    return client.request("textDocument/codeAction", params) or []


def code_action_params(
    uri: str,
    diagnostics: list,
    only: list | None = None,
    lines: tuple[int, int] | None = None,
) -> dict:
    """A codeAction request over ``lines`` (0-based, first and last), by default those of the
    first diagnostic."""
    first, last = lines or (
        diagnostics[0]["range"]["start"]["line"],
        diagnostics[0]["range"]["end"]["line"],
    )
    context: dict = {"diagnostics": diagnostics}
    if only is not None:
        context["only"] = only
    return {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": first, "character": 0}, "end": {"line": last, "character": 0}},
        "context": context,
    }


def edits_of(action: dict, uri: str) -> list:
    assert set(action["edit"]) == {"changes"}, action["edit"]
    return action["edit"]["changes"][uri]


def test_quick_fix_wraps_the_call_and_relints_clean(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    diagnostics = server.wait_for_diagnostics(uri)["diagnostics"]
    [quick_fix, fix_all] = code_actions(server, uri, diagnostics[:1])
    assert quick_fix["title"] == "Wrap in `with torch.no_grad():` (unsafe: outputs lose gradients)"
    assert quick_fix["kind"] == "quickfix" and quick_fix["isPreferred"] is True
    assert quick_fix["diagnostics"] == diagnostics[:1]
    fixed = apply_text_edits(BUFFER, edits_of(quick_fix, uri))
    assert (
        "    with torch.no_grad():\n        logits = model(\n            batch,\n        )\n"
        in fixed
    )
    assert [(f.line, f.col) for f in check_source(fixed)] == [(15, 11)]  # only predict() is left

    assert fix_all["kind"] == "source.fixAll.nograd-lint"
    assert fix_all["title"] == (
        "Wrap every NG001 call in `with torch.no_grad():` (unsafe: outputs lose gradients)"
    )
    assert check_source(apply_text_edits(BUFFER, edits_of(fix_all, uri))) == []


def test_quick_fix_adds_the_missing_import(server: LspClient, uri: str) -> None:
    source = '"""Inference."""\n\n\ndef predict(model, x):\n    model.eval()\n    return model(x)\n'
    server.open(uri, source)
    diagnostics = server.wait_for_diagnostics(uri)["diagnostics"]
    [quick_fix, _] = code_actions(server, uri, diagnostics)
    fixed = apply_text_edits(source, edits_of(quick_fix, uri))
    assert fixed.startswith('"""Inference."""\n') and "\nimport torch\n" in fixed
    assert "    with torch.no_grad():\n        return model(x)\n" in fixed
    assert check_source(fixed) == []


def test_fix_all_on_request_keeps_crlf_and_wide_characters(server: LspClient, uri: str) -> None:
    source = BUFFER.replace("def predict", "# 😋 ünïcode\ndef predict").replace("\n", "\r\n")
    server.open(uri, source)
    diagnostics = server.wait_for_diagnostics(uri)["diagnostics"]
    [fix_all] = code_actions(server, uri, [], only=["source.fixAll"], lines=(0, 0))
    fixed = apply_text_edits(source, edits_of(fix_all, uri))
    assert check_source(fixed) == [] and len(diagnostics) == 2
    assert "\n" not in fixed.replace("\r\n", "") and "# 😋 ünïcode\r\n" in fixed


def test_no_actions_away_from_findings_or_for_other_kinds(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    diagnostics = server.wait_for_diagnostics(uri)["diagnostics"]
    assert code_actions(server, uri, [], lines=(0, 2)) == []
    assert code_actions(server, uri, diagnostics, only=["refactor"]) == []


def test_edits_wait_for_resolve_when_the_client_resolves(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    # The lightbulb asks at every cursor move; the fix is computed for the action picked.
    resolve = {"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path, capabilities=resolve)
        client.open(uri, BUFFER)
        diagnostics = client.wait_for_diagnostics(uri)["diagnostics"]
        [quick_fix, fix_all] = code_actions(client, uri, diagnostics[1:])
        assert "edit" not in quick_fix and "edit" not in fix_all
        resolved = client.request("codeAction/resolve", quick_fix)
        fixed = apply_text_edits(BUFFER, edits_of(resolved, uri))
        assert [f.line for f in check_source(fixed)] == [6]  # only evaluate() is left

        change(client, uri, 2, {"text": BUFFER + "\n"})
        assert "edit" not in client.request("codeAction/resolve", fix_all)  # stale: no edit


def test_versioned_edit_when_the_client_supports_document_changes(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(
            tmp_path, capabilities={"workspace": {"workspaceEdit": {"documentChanges": True}}}
        )
        client.open(uri, BUFFER, version=7)
        diagnostics = client.wait_for_diagnostics(uri)["diagnostics"]
        [quick_fix] = code_actions(client, uri, diagnostics[1:], only=["quickfix"])
    [document_edit] = quick_fix["edit"]["documentChanges"]
    assert document_edit["textDocument"] == {"uri": uri, "version": 7}
    fixed = apply_text_edits(BUFFER, document_edit["edits"])
    assert [f.line for f in check_source(fixed)] == [6]  # only evaluate() is left
