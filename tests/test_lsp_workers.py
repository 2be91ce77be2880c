"""``nograd-lint lsp`` under load: slow and crashing analyses, superseded versions, and code
actions that editors ask for at every cursor move.

The analysis is patched at interpreter start (in the server and its worker processes) so that
a buffer marked ``# slow`` takes minutes and one marked ``# crash`` kills its process; every
other buffer is analysed as installed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp_client import LspClient, LspError, env_running_first
from tests.test_lsp import (
    BUFFER,
    BUFFER_RANGES,
    change,
    code_action_params,
    code_actions,
    ranges,
    start_server,
)

pytest.importorskip("pygls", reason="pygls is in the lsp and test extras")

SMALL = "def f(model, x):\n    model.eval()\n    return model(x)\n"

PATCH = """
import os, signal, time
from nograd_lint import api, fix
real_check_source, real_fix_source = api.check_source, fix.fix_source

def check_source(text, *args, **kwargs):
    if "# slow" in text:
        time.sleep(300)
    if "# crash" in text:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_check_source(text, *args, **kwargs)

def fix_source(text, *args, **kwargs):
    with open(FIX_LOG, "a") as log:
        log.write(repr(sorted(kwargs.get("lines") or [])) + "\\n")
    if "# lengthy fix" in text:
        time.sleep(3)
    return real_fix_source(text, *args, **kwargs)

api.check_source, fix.fix_source = check_source, fix_source
"""


@pytest.fixture
def fix_log(tmp_path: Path) -> Path:
    return tmp_path / "fix-calls.log"


@pytest.fixture
def server(tmp_path: Path, subprocess_env: dict, fix_log: Path) -> Iterator[LspClient]:
    code = f"FIX_LOG = {str(fix_log)!r}\n{PATCH}"
    env = env_running_first(subprocess_env, tmp_path / "startup", code)
    with start_server(tmp_path, env) as client:
        client.initialize(tmp_path)
        yield client


def uri_of(tmp_path: Path, name: str) -> str:
    return (tmp_path / name).as_uri()


def save(client: LspClient, uri: str) -> None:
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})


def published_versions(client: LspClient, uri: str) -> list:
    return [
        p.get("version")
        for p in client.received("textDocument/publishDiagnostics")
        if p["uri"] == uri
    ]


def test_a_small_buffer_never_waits_for_a_slow_one(server: LspClient, tmp_path: Path) -> None:
    slow, small = uri_of(tmp_path, "slow.py"), uri_of(tmp_path, "small.py")
    server.open(slow, "# slow\n" + BUFFER)
    server.open(small, SMALL)
    assert ranges(server.wait_for_diagnostics(small, timeout_s=20)) == [(2, 11, 2, 19)]


def test_new_versions_stop_the_analysis_of_old_ones(server: LspClient, tmp_path: Path) -> None:
    # Five slow versions in a row, each saved so that it is analysed at once: were the
    # superseded analyses left running, they would hold every worker and the rest would wait.
    large, small = uri_of(tmp_path, "large.py"), uri_of(tmp_path, "small.py")
    server.open(large, "# slow\n" + BUFFER)
    for version in range(2, 6):
        change(server, large, version, {"text": f"# slow {version}\n" + BUFFER})
        save(server, large)
    server.open(small, SMALL)
    assert ranges(server.wait_for_diagnostics(small, timeout_s=20)) == [(2, 11, 2, 19)]
    change(server, large, 6, {"text": BUFFER})
    save(server, large)
    params = server.wait_for_diagnostics(large, lambda p: p.get("version") == 6, timeout_s=20)
    assert ranges(params) == BUFFER_RANGES
    assert published_versions(server, large) == [6]  # nothing for the superseded versions


@pytest.mark.skipif(sys.platform == "win32", reason="kills the worker with SIGKILL")
def test_a_crashing_analysis_takes_down_its_worker_only(server: LspClient, tmp_path: Path) -> None:
    crash, other = uri_of(tmp_path, "crash.py"), uri_of(tmp_path, "other.py")
    server.open(crash, "# crash\n" + BUFFER)
    assert server.wait_for_diagnostics(crash, timeout_s=20)["diagnostics"] == []
    log = server.wait_for_notification("window/logMessage", lambda p: "crash.py" in p["message"])
    assert log["type"] == 2 and "analysis process ended" in log["message"]
    server.open(other, SMALL)
    assert ranges(server.wait_for_diagnostics(other, timeout_s=20)) == [(2, 11, 2, 19)]
    change(server, crash, 2, {"text": BUFFER})
    save(server, crash)
    params = server.wait_for_diagnostics(crash, lambda p: p.get("version") == 2, timeout_s=20)
    assert ranges(params) == BUFFER_RANGES
    assert server.returncode is None


def test_each_fix_is_computed_once_per_version(
    server: LspClient, tmp_path: Path, fix_log: Path
) -> None:
    # An editor without codeAction/resolve needs the edits in every reply, at every cursor move.
    uri = uri_of(tmp_path, "evaluate.py")
    server.open(uri, BUFFER)
    diagnostics = server.wait_for_diagnostics(uri)["diagnostics"]
    for _ in range(3):
        [quick_fix, fix_all] = code_actions(server, uri, diagnostics[1:])
        assert "edit" in quick_fix and "edit" in fix_all
    assert sorted(fix_log.read_text().splitlines()) == ["[14]", "[]"]  # predict(), everything
    code_actions(server, uri, diagnostics[:1])
    assert sorted(fix_log.read_text().splitlines()) == ["[14]", "[6]", "[]"]

    change(server, uri, 2, {"text": BUFFER + "\n"})
    server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2)
    code_actions(server, uri, diagnostics[:1])
    assert sorted(fix_log.read_text().splitlines()) == ["[14]", "[6]", "[6]", "[]", "[]"]


def test_a_cancelled_code_action_leaves_its_fix_running_for_the_next(
    server: LspClient, tmp_path: Path, fix_log: Path
) -> None:
    # Editors cancel the request of the previous cursor position and ask again: the fix that
    # request started is for the same version, so it goes on and the next request reuses it.
    uri = uri_of(tmp_path, "evaluate.py")
    text = "# lengthy fix\n" + BUFFER
    server.open(uri, text)
    diagnostics = server.wait_for_diagnostics(uri)["diagnostics"]
    first = server.send_request("textDocument/codeAction", code_action_params(uri, diagnostics[1:]))
    time.sleep(0.5)
    server.notify("$/cancelRequest", {"id": first})
    with pytest.raises(LspError, match="-32800"):  # RequestCancelled
        server.reply(first)
    [quick_fix, fix_all] = server.request(
        "textDocument/codeAction", code_action_params(uri, diagnostics[1:])
    )
    assert "edit" in quick_fix and "edit" in fix_all
    assert sorted(fix_log.read_text().splitlines()) == ["[15]", "[]"]  # each computed once


def test_a_code_action_does_not_wait_for_the_debounce(tmp_path: Path, subprocess_env: dict) -> None:
    # The lint of the current version starts at once when a code action needs its findings.
    uri = uri_of(tmp_path, "evaluate.py")
    with start_server(tmp_path, subprocess_env, debounce_ms=60_000) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        diagnostics = client.wait_for_diagnostics(uri)["diagnostics"]
        change(client, uri, 2, {"text": "\n" + BUFFER})
        moved = [
            {**d, "range": {k: {**v, "line": v["line"] + 1} for k, v in d["range"].items()}}
            for d in diagnostics
        ]
        actions = code_actions(client, uri, moved[1:])
        assert [a["kind"] for a in actions] == ["quickfix", "source.fixAll.nograd-lint"]
        params = client.wait_for_diagnostics(uri, lambda p: p.get("version") == 2, timeout_s=10)
        assert ranges(params) == [(a + 1, b, c + 1, d) for a, b, c, d in BUFFER_RANGES]
