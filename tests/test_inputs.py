"""Each input is read once, whole and within a cap: pipes, FIFOs, device files, huge files."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nograd_lint import cli
from nograd_lint.inputs import MAX_SOURCE_BYTES, read_input
from tests.conftest import tool

FLAGGED = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval()\nmodel(x)\n"

needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")


def _limited_memory() -> None:
    """Before the cap, reading /dev/zero ran until memory ran out: keep such a run small."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("nograd-lint"), *args],
        capture_output=True,
        timeout=60,
        preexec_fn=_limited_memory,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


@needs_posix
def test_a_pipe_named_dev_stdin_is_read_once(tmp_path: Path) -> None:
    result = _run("/dev/stdin", input=FLAGGED.encode(), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("/dev/stdin:4:1: NG001")


@needs_posix
@pytest.mark.skipif(shutil.which("bash") is None, reason="process substitution needs bash")
def test_process_substitution_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(FLAGGED)
    result = subprocess.run(
        ["bash", "-c", f"'{tool('nograd-lint')}' <(cat bad.py)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert ":4:1: NG001" in result.stdout


@needs_posix
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_files_are_refused_not_read(device: str, tmp_path: Path) -> None:
    result = _run(device, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == f"{device}: error: cannot read: not a regular file or a pipe\n"


@needs_posix
def test_device_file_as_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = _run("--config", "/dev/zero", "ok.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "nograd-lint: error: /dev/zero: cannot read: not a regular file or a pipe\n"
    )


@needs_posix
def test_endless_stdin_stops_at_the_cap(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zeros:
        result = _run("-", stdin=zeros, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == "stdin: error: cannot read: larger than 64 MiB\n"


def test_a_file_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.py"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)  # sparse: nothing written
    with pytest.raises(OSError, match="larger than 64 MiB"):
        read_input(str(huge))
    result = _run("huge.py", cwd=tmp_path)
    assert (result.returncode, result.stderr.decode()) == (
        2,
        "huge.py: error: cannot read: larger than 64 MiB\n",
    )


@needs_posix
def test_a_fifo_in_a_directory_is_skipped_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(FLAGGED)
    os.mkfifo(tmp_path / "waiting.py")
    result = _run(".", cwd=tmp_path)  # before: blocked forever opening the FIFO
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("bad.py:4:1: NG001")
    assert result.stderr == b""


@needs_posix
def test_a_fifo_named_explicitly_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "named.py"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [tool("nograd-lint"), str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    fifo.write_text(FLAGGED)  # opens once the reader has, as a shell pipeline would
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert out.decode().startswith(f"{fifo}:4:1: NG001")


def test_an_unlistable_directory_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process, as the test may run as root, for whom no directory is unreadable."""
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "bad.py").write_text(FLAGGED)
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["-j", "1", "."]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "locked: error: cannot read: Permission denied\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_directory_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "bad.py").write_text(FLAGGED)
    locked.chmod(0)
    try:
        result = _run(".", cwd=tmp_path)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2
    assert result.stderr.decode() == "locked: error: cannot read: Permission denied\n"
