"""What the command prints under hostile conditions: odd file names, non-UTF-8 names, a full
or closed stdout, and exit statuses that match what was printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import tool

OFFENDING = "import torch\n\nmodel.eval()\nout = model(x)\n"
MESSAGE = "NG001 forward pass of eval-mode model 'model'"

needs_posix_names = pytest.mark.skipif(
    sys.platform == "win32", reason="file names with newlines or undecodable bytes"
)


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("nograd-lint"), *args],
        cwd=cwd,
        capture_output=True,
        check=False,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


# -- names that could break a line or forge a workflow command -------------------------------


@needs_posix_names
def test_a_newline_in_a_file_name_does_not_split_a_finding_line(tmp_path: Path) -> None:
    (tmp_path / "x\ny.py").write_text(OFFENDING)
    result = run(".", cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("'x\\ny.py':4:7: " + MESSAGE)


@needs_posix_names
def test_a_file_name_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    (tmp_path / "::error file=x::y.py").write_text(OFFENDING)
    (tmp_path / "  ::warning::z.py").write_text(OFFENDING)
    for args in (["."], ["--show-source", "."], ["--fix", "."]):
        result = run(*args, cwd=tmp_path)
        for line in (result.stdout + result.stderr).decode().splitlines():
            assert not line.lstrip().startswith("::"), (args, line)
    text = run(".", cwd=tmp_path).stdout.decode()
    assert "'::error file=x::y.py':4:7: " + MESSAGE in text


def test_a_source_line_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    """--show-source prints a line that may begin inside a string literal: the code under
    review must not write workflow commands into a CI log."""
    (tmp_path / "pr.py").write_text(
        'import torch\nmodel.eval()\nout = ("""\n  ::error::forged""", model(x))\n'
    )
    result = run("--show-source", "pr.py", cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 1 and len(lines) == 3, lines
    assert not any(line.lstrip().startswith("::") for line in lines), lines
    # The caret still sits under the call.
    assert lines[1].index("model(x)") == lines[2].index("^")


@needs_posix_names
def test_stderr_lines_cannot_be_split_by_a_name(tmp_path: Path) -> None:
    """Reasons and errors on stderr stay on their line whatever the file or directory names
    they mention: a CI log runs a line starting with '::' as a workflow command."""
    # The fix is refused here because the added import would follow a continuation line.
    (tmp_path / "g\n::error::h.py").write_text(
        '"""d""" \\\n\nmodel = Net()\nmodel.eval()\ny = model(1)\n'
    )
    (tmp_path / "p\n::error::q").mkdir()
    (tmp_path / "p\n::error::q" / "pyproject.toml").write_text("[tool.nograd-lint\n")
    (tmp_path / "p\n::error::q" / "r.py").write_text(OFFENDING)
    for args in (["--fix", "--unsafe-fixes", "g\n::error::h.py"], ["p\n::error::q"]):
        result = run(*args, cwd=tmp_path)
        assert result.returncode in (1, 2), result
        lines = result.stderr.decode().splitlines()
        assert lines and not any(line.lstrip().startswith("::") for line in lines), lines


@needs_posix_names
def test_the_github_format_escapes_a_newline_in_a_name(tmp_path: Path) -> None:
    (tmp_path / "x\ny.py").write_text(OFFENDING)
    result = run("--format", "github", ".", cwd=tmp_path)
    (line,) = result.stdout.decode().splitlines()
    assert line.startswith("::warning file=x%0Ay.py,line=4,")


# -- names that are not UTF-8 -----------------------------------------------------------------


@pytest.fixture
def latin1_named(tmp_path: Path) -> Path:
    if sys.platform == "win32" or os.fsencode("\udce9") != b"\xe9":
        pytest.skip("needs a file system that takes any bytes as a name")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "w") as handle:
        handle.write(OFFENDING)
    return tmp_path


STRICT_UTF8 = {"PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}


def test_text_output_of_a_non_utf8_name_under_a_strict_stdout(latin1_named: Path) -> None:
    result = run(".", cwd=latin1_named, env=STRICT_UTF8)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode("utf-8").startswith("'caf\\xe9.py':4:7: " + MESSAGE)


def test_github_output_of_a_non_utf8_name_under_a_strict_stdout(latin1_named: Path) -> None:
    result = run("--format", "github", ".", cwd=latin1_named, env=STRICT_UTF8)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode("utf-8").startswith("::warning file=caf\ufffd.py,line=4,")


def test_json_output_of_a_non_utf8_name_is_valid_unicode(latin1_named: Path) -> None:
    result = run("--format", "json", ".", cwd=latin1_named, env=STRICT_UTF8)
    assert result.returncode == 1, result.stderr
    (item,) = json.loads(result.stdout.decode("utf-8"))
    item["path"].encode("utf-8")  # no lone surrogate
    assert item["path"] == "caf\ufffd.py"


def test_sarif_output_of_a_non_utf8_name_percent_encodes_its_bytes(latin1_named: Path) -> None:
    result = run("--format", "sarif", ".", cwd=latin1_named)
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)["runs"][0]["results"]
    artifact = finding["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "caf%E9.py", "uriBaseId": "%SRCROOT%"}


def test_a_non_ascii_name_under_an_ascii_stdout(tmp_path: Path) -> None:
    (tmp_path / "café.py").write_text(OFFENDING)
    result = run(".", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"})
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode("ascii").startswith("caf\\xe9.py:4:7: ")


# -- stdout that cannot take the report -------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [[], ["--format", "sarif"], ["--diff", "--unsafe-fixes"]])
def test_a_full_stdout_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "infer.py").write_text(OFFENDING)
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [tool("nograd-lint"), *args, "infer.py"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "nograd-lint: error: cannot write output: No space left on device\n" in result.stderr


def test_a_closed_stdout_gives_no_traceback(tmp_path: Path) -> None:
    # More than a pipe buffer of findings, so that writing must meet the closed pipe.
    (tmp_path / "many.py").write_text("model.eval()\n" + "out = model(x)\n" * 2000)
    process = subprocess.Popen(
        [tool("nograd-lint"), "many.py"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 2
    assert stderr == ""


# -- exit status follows what is printed ------------------------------------------------------


def test_diff_exits_0_when_no_finding_can_be_fixed(tmp_path: Path) -> None:
    (tmp_path / "lazy.py").write_text("model.eval()\nscore = lambda v: model(v)\n")
    result = run("--diff", "--unsafe-fixes", "lazy.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"")
    assert b"not fixed: the call is inside a lambda" in result.stderr


def test_diff_exits_1_when_it_prints_a_diff(tmp_path: Path) -> None:
    (tmp_path / "infer.py").write_text(OFFENDING)
    result = run("--diff", "--unsafe-fixes", "infer.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(b"--- a/infer.py\n")


def test_the_exit_status_rule_is_in_the_help(tmp_path: Path) -> None:
    help_text = run("--help", cwd=tmp_path).stdout.decode()
    assert "with --diff: a diff was printed" in help_text
    assert "--exit-zero turns 1 into 0; errors still exit 2" in help_text


# -- stdin under --fix ------------------------------------------------------------------------


def test_fix_refuses_stdin_mixed_with_files(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text(OFFENDING)
    result = subprocess.run(
        [tool("nograd-lint"), "--fix", "--unsafe-fixes", "-", "other.py"],
        cwd=tmp_path,
        input=OFFENDING,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "give '-' alone" in result.stderr
    assert (tmp_path / "other.py").read_text() == OFFENDING


def test_stdin_twice_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), "-", "-"],
        cwd=tmp_path,
        input=OFFENDING,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert "'-' (stdin) can be given once only" in result.stderr


# -- paths as CI tools expect them ------------------------------------------------------------


@pytest.mark.parametrize("form", ["text", "github", "json", "sarif"])
def test_paths_are_relative_and_normalised_in_every_format(tmp_path: Path, form: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.py").write_text(OFFENDING)
    for target in (".", "./src", str(tmp_path), "src//./"):
        output = run("--format", form, target, cwd=tmp_path).stdout.decode()
        assert "src/x.py" in output, (target, output)
        assert "./src" not in output and "//" not in output.replace("://", "")
        assert str(tmp_path) not in output


def test_diff_paths_are_relative_as_in_the_report(tmp_path: Path) -> None:
    """A diff of an absolute path below the current directory applies there with git apply
    (as ruff's does), like the report, which prints the same file relative."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.py").write_text(OFFENDING)
    for target in (str(tmp_path), str(tmp_path / "src" / "x.py"), "./src"):
        output = run("--diff", "--unsafe-fixes", target, cwd=tmp_path).stdout.decode()
        assert output.startswith("--- a/src/x.py\n+++ b/src/x.py\n"), (target, output)
