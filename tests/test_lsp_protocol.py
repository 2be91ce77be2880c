"""``nograd-lint lsp`` where editors and the protocol get awkward: URIs with percent-escapes,
requests after ``shutdown``, ``exit`` out of order, code actions for buffers never opened."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp_client import LspClient, LspError, apply_text_edits
from tests.test_lsp import (
    BUFFER,
    BUFFER_RANGES,
    change,
    code_action_params,
    code_actions,
    edits_of,
    ranges,
    start_server,
)

pytest.importorskip("pygls", reason="pygls is in the lsp and test extras")


@pytest.fixture
def server(tmp_path: Path, subprocess_env: dict) -> Iterator[LspClient]:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path)
        yield client


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return (tmp_path / "evaluate.py").as_uri()


@pytest.mark.parametrize(
    "uri",
    [
        "file:///tmp/my%20project/evaluate.py",  # a space
        "file:///tmp/caf%C3%A9/evaluate.py",  # a non-ASCII character, as UTF-8 bytes
        "file:///C%3A/Users/me/evaluate.py",  # every Windows path, as VS Code writes it
        "file:///c%3A/Users/me/My%20Models/%E6%A8%A1%E5%9E%8B.py",
    ],
    ids=["space", "non-ascii", "windows-drive", "windows-all"],
)
def test_percent_escaped_uris_get_diagnostics_and_fixes(server: LspClient, uri: str) -> None:
    server.open(uri, BUFFER)
    params = server.wait_for_diagnostics(uri)
    assert params["version"] == 1 and ranges(params) == BUFFER_RANGES

    change(server, uri, 2, {"text": '"""Evaluation."""\n\n' + BUFFER})
    params = server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2)
    assert ranges(params) == [(a + 2, b, c + 2, d) for a, b, c, d in BUFFER_RANGES]

    change(server, uri, 3, {"text": BUFFER})
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    params = server.wait_for_diagnostics(uri, lambda p: p.get("version") == 3, timeout_s=10)
    assert ranges(params) == BUFFER_RANGES

    [quick_fix, _] = code_actions(server, uri, params["diagnostics"][1:])
    fixed = apply_text_edits(BUFFER, edits_of(quick_fix, uri))
    assert "    with torch.no_grad():\n        return model(x)\n" in fixed

    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert server.wait_for_diagnostics(uri)["diagnostics"] == []


def test_code_action_for_a_buffer_never_opened_is_null(server: LspClient, tmp_path: Path) -> None:
    uri = (tmp_path / "never_opened.py").as_uri()
    assert code_actions(server, uri, [], lines=(0, 3)) == []  # the client helper maps null to []
    assert (
        server.request("textDocument/codeAction", code_action_params(uri, [], lines=(0, 0))) is None
    )
    assert "Traceback" not in server.stderr


@pytest.mark.parametrize(
    "method, params",
    [
        ("textDocument/codeAction", "negative line"),
        ("textDocument/codeAction", {}),
        ("codeAction/resolve", {}),
    ],
)
def test_a_request_whose_params_cannot_be_read_gets_invalid_params(
    server: LspClient, uri: str, method: str, params: object
) -> None:
    """pygls drops it: the editor would wait for the reply forever."""
    if params == "negative line":
        params = code_action_params(uri, [], lines=(0, 0))
        params["range"]["start"]["line"] = -1  # type: ignore[index]
    server.open(uri, BUFFER)
    with pytest.raises(LspError, match="'code': -32602"):
        server.request(method, params, timeout_s=10)
    assert server.wait_for_diagnostics(uri)["version"] == 1
    assert (
        server.request("textDocument/codeAction", code_action_params(uri, [], lines=(0, 0))) == []
    )
    assert "Traceback" not in server.stderr


def test_requests_after_shutdown_get_invalid_request(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        client.wait_for_diagnostics(uri)
        assert client.request("shutdown", None) is None
        with pytest.raises(LspError, match="'code': -32600"):
            client.request(
                "textDocument/codeAction", code_action_params(uri, [], lines=(0, 0)), timeout_s=10
            )
        client.notify("exit", None)
        assert wait_for_exit(client) == 0


def test_exit_without_shutdown_exits_1(tmp_path: Path, subprocess_env: dict, uri: str) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        client.wait_for_diagnostics(uri)
        client.notify("exit", None)
        assert wait_for_exit(client) == 1


def test_exit_after_shutdown_exits_0_and_leaves_no_worker(
    tmp_path: Path, subprocess_env: dict, uri: str
) -> None:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        client.wait_for_diagnostics(uri)
        workers = children_of(client.pid)
        assert workers  # the analysis runs in worker processes
        client.request("shutdown", None)
        client.notify("exit", None)
        assert wait_for_exit(client) == 0
    deadline = time.monotonic() + 10  # a killed process takes a moment to go
    while [pid for pid in workers if running(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if running(pid)]


def wait_for_exit(client: LspClient, timeout_s: float = 20) -> int:
    try:
        return client.wait(timeout_s)
    except subprocess.TimeoutExpired:
        raise AssertionError("the server did not exit") from None


def children_of(pid: int) -> list[int]:
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to list processes")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("this kernel does not list child processes in /proc")
    return [int(child) for child in children.read_text().split()]


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
