"""The route every flake8 editor integration takes: the unsaved buffer on stdin.

VS Code's flake8 extension, pylsp, ALE and flycheck run ``flake8 - --stdin-display-name=PATH``;
these tests run that exact command line against the real flake8 with our plugin installed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import tool

TIMEOUT_S = 60

BUFFER = """import torch


def evaluate(model, batch):
    model.eval()
    logits = model(batch)
    return logits.argmax(-1)
"""


def run_flake8_on_stdin(
    source: str, cwd: Path, env: dict, *extra: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("flake8"), "-", "--stdin-display-name=src/path.py", "--select=E999,NG", *extra],
        input=source.encode(),
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_stdin_buffer_reports_ng001_at_the_call(tmp_path: Path, subprocess_env: dict) -> None:
    result = run_flake8_on_stdin(BUFFER, tmp_path, subprocess_env)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("src/path.py:6:14: NG001 forward pass of eval-mode model 'model'")
    assert result.returncode == 1
    assert result.stderr == b""


def test_stdin_buffer_with_crlf_and_wide_characters(tmp_path: Path, subprocess_env: dict) -> None:
    # Windows editors send CRLF; columns count characters, as the editor shows them.
    source = BUFFER.replace("    logits = model", "    s = 'é'; logits = model").replace(
        "\n", "\r\n"
    )
    result = run_flake8_on_stdin(source, tmp_path, subprocess_env)
    assert result.stdout.decode().splitlines()[0].startswith("src/path.py:6:23: NG001")


def test_noqa_in_the_buffer_is_honoured(tmp_path: Path, subprocess_env: dict) -> None:
    source = BUFFER.replace("model(batch)", "model(batch)  # noqa: NG001")
    result = run_flake8_on_stdin(source, tmp_path, subprocess_env)
    assert result.stdout == b"" and result.returncode == 0


def test_per_file_ignores_match_the_display_name(tmp_path: Path, subprocess_env: dict) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nper-file-ignores =\n    src/path.py: NG001\n")
    assert run_flake8_on_stdin(BUFFER, tmp_path, subprocess_env).stdout == b""
    other = subprocess.run(
        [tool("flake8"), "-", "--stdin-display-name=src/other.py", "--select=NG"],
        input=BUFFER.encode(),
        cwd=tmp_path,
        env=subprocess_env,
        capture_output=True,
        timeout=TIMEOUT_S,
    )
    assert other.stdout.decode().startswith("src/other.py:6:14: NG001")


def test_half_typed_buffer_gives_e999_without_traceback(
    tmp_path: Path, subprocess_env: dict
) -> None:
    # Lint-as-you-type sees broken code all the time: flake8 must report E999 and nothing else.
    source = BUFFER.replace("return logits.argmax(-1)", "return logits.argmax(-1")
    result = run_flake8_on_stdin(source, tmp_path, subprocess_env)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1 and ": E999 SyntaxError:" in lines[0], lines
    assert lines[0].startswith("src/path.py:7:")
    assert result.stderr == b""
    assert result.returncode == 1
