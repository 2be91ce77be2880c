"""``--fix`` and ``--diff`` on real files: the fix is written through links to the file
itself, keeps what identifies the file, never overwrites what it did not read, refuses files
the user may not write, and reports every finding it could not fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nograd_lint.safe_write import WriteRefused, write_fixed
from tests.conftest import tool

OFFENDING = "import torch\n\nmodel.eval()\nout = model(x)\n"
FIXED = "import torch\n\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"


def _cli(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    # The wrap is an unsafe fix: these tests opt in, as users of --fix and --diff must.
    return subprocess.run(
        [tool("nograd-lint"), "--unsafe-fixes", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )


# -- links, metadata ---------------------------------------------------------------------------


def test_fix_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(OFFENDING)
    (tmp_path / "link.py").symlink_to("real.py")
    assert _cli("--fix", "link.py", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.py").is_symlink()
    assert real.read_text() == FIXED


def test_fix_of_a_directory_writes_through_file_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(OFFENDING)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside)
    result = _cli("--fix", ".", cwd=tree)
    assert result.returncode == 0, result.stderr
    assert (tree / "link.py").is_symlink()
    assert outside.read_text() == FIXED


def test_fix_keeps_a_hard_linked_file_one_file(tmp_path: Path) -> None:
    first = tmp_path / "first.py"
    first.write_text(OFFENDING)
    second = tmp_path / "second.py"
    os.link(first, second)
    inode = first.stat().st_ino
    assert _cli("--fix", "first.py", cwd=tmp_path).returncode == 0
    assert first.stat().st_ino == second.stat().st_ino == inode
    assert second.read_text() == FIXED


def test_fix_keeps_mode_and_extended_attributes(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_text(OFFENDING)
    target.chmod(0o640)
    try:
        os.setxattr(target, "user.origin", b"kept")
    except (AttributeError, OSError):
        pytest.skip("no user extended attributes here")
    assert _cli("--fix", "infer.py", cwd=tmp_path).returncode == 0
    assert target.read_text() == FIXED
    assert target.stat().st_mode & 0o7777 == 0o640
    assert os.getxattr(target, "user.origin") == b"kept"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_fix_run_by_root_keeps_owner_and_group(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_text(OFFENDING)
    os.chown(target, 4321, 4322)
    assert _cli("--fix", "infer.py", cwd=tmp_path).returncode == 0
    assert target.read_text() == FIXED
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4322)


def test_read_only_file_is_not_rewritten_and_keeps_its_findings(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_text(OFFENDING)
    target.chmod(0o444)
    result = _cli("--fix", "infer.py", cwd=tmp_path)
    assert target.read_text() == OFFENDING
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "infer.py: error: cannot write: not writable" in stderr
    assert "infer.py:4:7: NG001" in result.stdout.decode()
    assert "Fixed 0 NG001 sites in 0 files; 1 left." in stderr


def test_file_in_a_directory_without_write_access_is_fixed_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def no_temporary_files(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    target = tmp_path / "infer.py"
    target.write_text(OFFENDING)
    inode = target.stat().st_ino
    monkeypatch.setattr(tempfile, "mkstemp", no_temporary_files)
    write_fixed(str(target), FIXED.encode(), OFFENDING.encode())
    assert target.read_text() == FIXED
    assert target.stat().st_ino == inode


def test_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_text(OFFENDING + "# edited meanwhile\n")
    with pytest.raises(WriteRefused, match="changed"):
        write_fixed(str(target), FIXED.encode(), OFFENDING.encode())
    assert target.read_text() == OFFENDING + "# edited meanwhile\n"
    os.link(target, tmp_path / "other.py")  # the in-place path checks too
    with pytest.raises(WriteRefused, match="changed"):
        write_fixed(str(target), FIXED.encode(), OFFENDING.encode())
    assert target.read_text() == OFFENDING + "# edited meanwhile\n"


# -- refused fixes keep their findings --------------------------------------------------------


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python compiles PEP 695")
def test_syntax_this_python_cannot_compile_is_reported_and_left_alone(tmp_path: Path) -> None:
    source = OFFENDING + "type Vector = list[float]\n"
    (tmp_path / "new.py").write_text(source)
    result = _cli("--fix", "new.py", cwd=tmp_path)
    assert (tmp_path / "new.py").read_text() == source
    assert result.returncode == 2
    assert "new.py: error: syntax error at 5:" in result.stderr.decode()


# -- one file never stops the run -------------------------------------------------------------


def test_deep_files_do_not_stop_a_multi_file_fix(tmp_path: Path) -> None:
    tails = [
        "s = (\n" + "".join(f'    "line {i}"\n' for i in range(350)) + ")\n",
        "s = " + " + ".join(f"a{i}" for i in range(350)) + "\n",
    ]
    for index, tail in enumerate(tails * 2):
        (tmp_path / f"f{index}.py").write_text(OFFENDING + tail)
    result = _cli("--fix", "-j", "1", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert all((tmp_path / f"f{i}.py").read_text().startswith(FIXED) for i in range(4))


def test_an_unexpected_failure_is_one_line_for_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nograd_lint import fix, fix_files

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(fix, "fix_source", broken)
    outcome = fix_files.fix_file("x.py", "x.py", OFFENDING.encode(), "fix", "no_grad", ())
    assert outcome.error is not None and "RecursionError" in outcome.error
    assert "\n" not in outcome.error


# -- stdin keeps its encoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    "source, encoding",
    [
        ("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n" + OFFENDING, "latin-1"),
        ("# -*- coding: euc_jp -*-\nname = '\u65e5\u672c'\n" + OFFENDING, "euc_jp"),
        ("name = 'caf\xe9'\n" + OFFENDING, "utf-8-sig"),
    ],
    ids=["latin-1", "euc_jp", "bom"],
)
def test_stdin_filter_writes_the_source_encoding(
    tmp_path: Path, source: str, encoding: str
) -> None:
    result = _cli("--fix", "-", cwd=tmp_path, stdin=source.encode(encoding))
    assert result.returncode == 0, result.stderr
    expected = source.replace("out = model(x)\n", "with torch.no_grad():\n    out = model(x)\n")
    assert result.stdout == expected.encode(encoding)


def test_stdin_filter_without_findings_gives_back_the_bytes(tmp_path: Path) -> None:
    data = "# coding: latin-1\nname = 'caf\xe9'\n".encode("latin-1")
    result = _cli("--fix", "-", cwd=tmp_path, stdin=data)
    assert result.returncode == 0 and result.stdout == data


@pytest.mark.parametrize(
    "data",
    [
        b"import torch\ndef f(model, x):\n    model.eval()\n    return model(x\n",
        b"x = '\xff\xfe'\n",
        b"x = 1\x00\n",
    ],
    ids=["half-typed", "undecodable", "nul-byte"],
)
def test_stdin_filter_gives_back_a_source_it_cannot_fix(tmp_path: Path, data: bytes) -> None:
    # An editor replaces its buffer with the filter's stdout: an empty answer would empty it.
    result = _cli("--fix", "--unsafe-fixes", "-", cwd=tmp_path, stdin=data)
    assert result.returncode == 2
    assert result.stdout == data
    assert b"error" in result.stderr


# -- diffs that git applies ------------------------------------------------------------------

ODD_LINES = "".join(
    f"s{i} = 'a{c}b'  # {c}\n" for i, c in enumerate("\x0c\x1c\x1d\x1e\x85\u2028\u2029")
)


@pytest.mark.parametrize(
    "source",
    [
        "import torch\n" + ODD_LINES + "model.eval()\nout = model(x)\n" + ODD_LINES,
        "import torch\nmodel.eval()\nout = model(x)",
        "import torch\r\nmodel.eval()\r\nout = model(x)\r\n",
    ],
    ids=["odd_separators", "no_final_newline", "crlf"],
)
def test_diff_applies_with_git(tmp_path: Path, source: str) -> None:
    target = tmp_path / "infer.py"
    target.write_bytes(source.encode())
    result = _cli("--diff", "infer.py", cwd=tmp_path)
    assert result.returncode == 1
    patch = tmp_path / "fix.patch"
    patch.write_bytes(result.stdout)
    applied = subprocess.run(
        ["git", "apply", "--check", "-v", str(patch)], cwd=tmp_path, capture_output=True
    )
    assert applied.returncode == 0, applied.stderr
    subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True)
    fixed = _cli("--fix", "-", cwd=tmp_path, stdin=source.encode()).stdout
    assert target.read_bytes() == fixed


def test_diff_header_of_an_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_text(OFFENDING)
    elsewhere = tmp_path / "elsewhere"  # below the current directory the path is relative
    elsewhere.mkdir()
    result = _cli("--diff", str(target), cwd=elsewhere)
    header = f"--- a/{target.as_posix().lstrip('/')}\n+++ b/{target.as_posix().lstrip('/')}\n"
    assert result.stdout.decode().startswith(header)
    patch = tmp_path / "fix.patch"
    patch.write_bytes(result.stdout)
    applied = subprocess.run(["git", "apply", "--check", str(patch)], cwd="/", capture_output=True)
    assert applied.returncode == 0, applied.stderr


@pytest.mark.parametrize(
    "name", ["new\nline.py", "tab\tand\\slash.py", 'quote".py', "esc\x1b[31m.py"]
)
def test_diff_header_of_an_odd_name_is_quoted_as_git_quotes_it(tmp_path: Path, name: str) -> None:
    """Written raw, a newline would end the header and an escape reach the terminal."""
    (tmp_path / name).write_text(OFFENDING)
    result = _cli("--diff", name, cwd=tmp_path)
    header = result.stdout.decode().split("\n")[0]
    assert header.startswith('--- "a/') and "\x1b" not in header, header
    patch = tmp_path / "fix.patch"
    patch.write_bytes(result.stdout)
    subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / name).read_text() != OFFENDING


def test_two_names_of_one_file_fixed_in_parallel(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(OFFENDING)
    for index in range(8):
        (tmp_path / f"link{index}.py").symlink_to("real.py")
    result = _cli("--fix", "-j", "2", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert real.read_text() == FIXED
