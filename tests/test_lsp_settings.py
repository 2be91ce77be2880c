"""``nograd-lint lsp`` and its configuration: per-file discovery, broken files, the log file."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import tool
from tests.lsp_client import LspClient
from tests.test_lsp import BUFFER, BUFFER_RANGES, change, ranges, start_server

pytest.importorskip("pygls", reason="pygls is in the lsp and test extras")

QUIET = "def f(model, x):\n    model.eval()\n    with {name}():\n        return model(x)\n"


@pytest.fixture
def server(tmp_path: Path, subprocess_env: dict) -> Iterator[LspClient]:
    with start_server(tmp_path, subprocess_env) as client:
        client.initialize(tmp_path)
        yield client


def finding_count(client: LspClient, path: Path, text: str) -> int:
    uri = path.as_uri()
    client.open(uri, text)
    return len(client.wait_for_diagnostics(uri)["diagnostics"])


def project(directory: Path, pyproject: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(pyproject)
    return directory


def test_each_file_gets_the_configuration_nearest_to_it(server: LspClient, tmp_path: Path) -> None:
    outer = project(tmp_path, '[tool.nograd-lint]\ndisabling-names = ["quiet_a"]\n')
    inner = project(tmp_path / "inner", '[tool.nograd-lint]\ndisabling-names = ["quiet_b"]\n')
    assert finding_count(server, outer / "a.py", QUIET.format(name="quiet_a")) == 0
    assert finding_count(server, inner / "b.py", QUIET.format(name="quiet_b")) == 0
    assert finding_count(server, inner / "c.py", QUIET.format(name="quiet_a")) == 1


def test_a_pyproject_without_our_table_is_passed_over(server: LspClient, tmp_path: Path) -> None:
    project(tmp_path, '[tool.nograd-lint]\ndisabling-names = ["quiet_a"]\n')
    package = project(tmp_path / "package", '[project]\nname = "package"\n')
    assert finding_count(server, package / "a.py", QUIET.format(name="quiet_a")) == 0


@pytest.mark.parametrize(
    "pyproject",
    [
        b"tool = 5\n",
        b"[tool]\nnograd-lint = 5\n",
        b"[[tool.nograd-lint]]\n",
        b'[tool.nograd-lint]\ndisabling-names = ["caf\xe9"]\n',  # latin-1, not UTF-8
        b'[tool.nograd-lint]\nunknown-key = ["x"]\n',
    ],
    ids=["tool-is-int", "table-is-int", "array-of-tables", "not-utf8", "unknown-key"],
)
def test_a_broken_configuration_is_shown_once_and_linting_goes_on(
    server: LspClient, tmp_path: Path, pyproject: bytes
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(pyproject)
    uri = (tmp_path / "evaluate.py").as_uri()
    server.open(uri, BUFFER)
    assert ranges(server.wait_for_diagnostics(uri)) == BUFFER_RANGES  # the default settings
    shown = server.wait_for_notification("window/showMessage")
    assert shown["type"] == 2 and shown["message"].startswith("nograd-lint: ")
    assert shown["message"].endswith("(linting with the default settings)")
    assert "\n" not in shown["message"]
    logged = server.wait_for_notification(
        "window/logMessage", lambda p: p["message"] == shown["message"]
    )
    assert logged["type"] == 2

    change(server, uri, 2, {"text": "\n" + BUFFER})
    server.wait_for_diagnostics(uri, lambda p: p.get("version") == 2)
    assert len(server.received("window/showMessage")) == 1  # not again at every lint
    assert "Traceback" not in server.stderr


def test_log_file_gets_the_server_log(tmp_path: Path, subprocess_env: dict) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    log = tmp_path / "logs" / "nograd-lint.log"
    log.parent.mkdir()
    uri = (tmp_path / "evaluate.py").as_uri()
    command = [tool("nograd-lint"), "lsp", f"--log-file={log}"]
    with LspClient(command, cwd=tmp_path, env=subprocess_env) as client:
        client.initialize(tmp_path)
        client.open(uri, BUFFER)
        client.wait_for_diagnostics(uri)
        client.wait_for_notification("window/showMessage")
    text = log.read_text(encoding="utf-8")
    [warning] = [line for line in text.splitlines() if " WARNING nograd_lint.lsp_server: " in line]
    assert warning.endswith("(linting with the default settings)")
    assert "INFO pygls" in text  # the protocol library's own log, at the default level
    assert client.returncode == 0


def test_log_file_that_cannot_be_written_is_one_line(tmp_path: Path, subprocess_env: dict) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), "lsp", f"--log-file={tmp_path / 'missing' / 'x.log'}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("nograd-lint lsp: cannot write the log file: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('ignore = ["NG001"]', 0),
        ('select = ["NG002"]', 0),
        ('select = ["NG00"]', 1),
        ('select = ["NG001"], ignore = ["NG"]', 1),
    ],
)
def test_the_configuration_selects_the_rules(
    server: LspClient, tmp_path: Path, table: str, expected: int
) -> None:
    lines = table.replace(", ", "\n")
    directory = project(tmp_path / "p", f"[tool.nograd-lint]\n{lines}\n")
    assert finding_count(server, directory / "a.py", QUIET.format(name="open")) == expected


def test_an_unknown_code_in_the_selection_is_shown_and_linting_goes_on(
    server: LspClient, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\nselect = ["NG9"]\n')
    uri = (tmp_path / "evaluate.py").as_uri()
    server.open(uri, BUFFER)
    assert ranges(server.wait_for_diagnostics(uri)) == BUFFER_RANGES
    shown = server.wait_for_notification("window/showMessage")
    assert "unknown rule code or prefix 'NG9'" in shown["message"]
