"""The command's options as ruff and flake8 users spell them, and fix safety."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import tool

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

OFFENDING = "import torch\n\nmodel.eval()\nout = model(x)\n"
FIXED = "import torch\n\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"
TWO = "import torch\n\nmodel.eval()\na = model(x)\n\tb = 1\n"


def run(
    *args: str, cwd: Path, stdin: str = "", env: dict | None = None
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [tool("nograd-lint"), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**environment, **(env or {})},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "infer.py").write_text(OFFENDING)
    (tmp_path / "more.py").write_text(OFFENDING + "y = model(z)\n")
    return tmp_path


# -- exit status and verbosity -------------------------------------------------------------


def test_exit_zero_reports_findings_and_exits_0(project: Path) -> None:
    result = run("--exit-zero", "infer.py", cwd=project)
    assert result.returncode == 0
    assert "infer.py:4:7: NG001" in result.stdout


def test_exit_zero_still_exits_2_on_errors(project: Path) -> None:
    (project / "broken.py").write_text("model.eval(\n")
    assert run("--exit-zero", "broken.py", cwd=project).returncode == 2


def test_quiet_keeps_findings_and_drops_summaries(project: Path) -> None:
    loud = run("--fix", "infer.py", cwd=project)
    assert "not applied" in loud.stderr
    quiet = run("-q", "--fix", "infer.py", cwd=project)
    assert quiet.returncode == 1
    assert "infer.py:4:7: NG001" in quiet.stdout
    assert quiet.stderr == ""


def test_double_quiet_prints_errors_only(project: Path) -> None:
    (project / "broken.py").write_text("model.eval(\n")
    findings_only = run("-qq", "infer.py", cwd=project)
    assert (findings_only.returncode, findings_only.stdout, findings_only.stderr) == (1, "", "")
    error = run("-qq", "broken.py", cwd=project)
    assert error.returncode == 2 and "broken.py: error: syntax error" in error.stderr


def test_warns_when_no_python_file_was_found(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("model.eval()\n")
    result = run(".", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == "nograd-lint: warning: no Python files found\n"
    assert run("-q", ".", cwd=tmp_path).stderr == ""


@pytest.mark.parametrize(
    ("args", "warned"),
    [
        (["--select="], True),  # an empty variable in a script
        (["--ignore=NG"], True),
        (["--select=", "--extend-select=NG002"], False),
        (["--select=NG002"], False),
    ],
)
def test_warns_when_the_command_line_selects_no_rule(
    project: Path, args: list[str], warned: bool
) -> None:
    (project / "pyproject.toml").write_text('[tool.nograd-lint]\nextend-select = ["NG001"]\n')
    result = run(*args, "infer.py", cwd=project)
    assert result.returncode == 0 and result.stdout == ""
    warning = "nograd-lint: warning: no rules selected; nothing is checked\n"
    assert result.stderr == (warning if warned else "")
    assert run("-q", *args, "infer.py", cwd=project).stderr == ""


def test_warns_when_the_command_line_deselects_what_the_configuration_selected(
    project: Path,
) -> None:
    (project / "pyproject.toml").write_text('[tool.nograd-lint]\nselect = ["NG001"]\n')
    result = run("--ignore=NG001", "infer.py", cwd=project)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "nograd-lint: warning: no rules selected; nothing is checked\n"


# -- statistics and source -----------------------------------------------------------------


def test_statistics_count_per_code(project: Path) -> None:
    result = run("--statistics", ".", cwd=project)
    assert result.returncode == 1
    assert result.stdout == "3\tNG001\teval-mode-forward-with-grad\n"


def test_statistics_as_json(project: Path) -> None:
    result = run("--statistics", "--format", "json", ".", cwd=project)
    assert json.loads(result.stdout) == [
        {"code": "NG001", "name": "eval-mode-forward-with-grad", "count": 3}
    ]


def test_statistics_of_a_clean_tree_is_empty(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = run("--statistics", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_show_source_prints_the_line_and_a_caret(tmp_path: Path) -> None:
    (tmp_path / "tabbed.py").write_text("model.eval()\nif x:\n\tout = model(x)\n")
    result = run("--show-source", "tabbed.py", cwd=tmp_path)
    assert result.stdout.splitlines()[1:] == ["\tout = model(x)", "\t      ^"]
    assert result.stdout.splitlines()[0].startswith("tabbed.py:3:8: NG001")


def test_show_source_on_stdin_and_after_a_fix_that_was_held_back(project: Path) -> None:
    piped = run("--show-source", "-", cwd=project, stdin=OFFENDING)
    assert piped.stdout.splitlines()[1:] == ["out = model(x)", "      ^"]
    fixing = run("--show-source", "--fix", "infer.py", cwd=project)
    assert fixing.stdout.splitlines()[1:] == ["out = model(x)", "      ^"]


# -- colour --------------------------------------------------------------------------------


def test_no_colour_in_a_pipe_by_default(project: Path) -> None:
    assert "\033[" not in run("infer.py", cwd=project).stdout


def test_color_always_colours_and_never_does_not(project: Path) -> None:
    coloured = run("--color", "always", "--show-source", "infer.py", cwd=project).stdout
    assert coloured.startswith("\033[1minfer.py\033[0m")
    assert "\033[1;31mNG001\033[0m" in coloured
    assert "\033[" not in run("--color", "never", "infer.py", cwd=project).stdout


def test_force_color_colours_a_pipe_and_no_color_wins(project: Path) -> None:
    forced = run("infer.py", cwd=project, env={"FORCE_COLOR": "1"}).stdout
    assert "\033[1;31mNG001" in forced
    both = run("infer.py", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\033[" not in both


def test_no_color_is_honoured_on_a_terminal(project: Path) -> None:
    # A pseudo-terminal: auto colours it unless NO_COLOR is set.
    pty = pytest.importorskip("pty")

    def on_terminal(env: dict) -> bytes:
        leader, follower = pty.openpty()
        environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
        process = subprocess.Popen(
            [tool("nograd-lint"), "infer.py"],
            cwd=project,
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env={**environment, "TERM": "xterm", **env},
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO once the child has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
        os.close(leader)
        return b"".join(chunks)

    assert b"\033[1;31mNG001" in on_terminal({})
    assert b"\033[" not in on_terminal({"NO_COLOR": "1"})


# -- jobs and usage errors -----------------------------------------------------------------


def test_jobs_auto(project: Path) -> None:
    result = run("-j", "auto", ".", cwd=project)
    assert result.returncode == 1 and result.stdout.count("NG001") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fix-with", "inference_mode", "infer.py"], "--fix-with needs --fix or --diff"),
        (["-j", "0", "infer.py"], "must be at least 1"),
        (["-j", "many", "infer.py"], "expected 'auto' or a number"),
        (["--diff", "--format", "json", "infer.py"], "--format cannot be used with --diff"),
        (["--diff", "--statistics", "infer.py"], "--statistics cannot be used with --diff"),
        (["--fix", "--format", "json", "-"], "--format cannot be used with --fix -"),
        (["--statistics", "--format", "sarif", "."], "text and json formats only"),
        (["--show-source", "--format", "json", "."], "--show-source applies to the text"),
        (["-", "-"], "'-' (stdin) can be given once only"),
        (["--fix", "-", "infer.py"], "give '-' alone"),
    ],
)
def test_usage_errors_exit_2(project: Path, args: list[str], message: str) -> None:
    before = (project / "infer.py").read_text()
    result = run(*args, cwd=project, stdin=OFFENDING)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert (project / "infer.py").read_text() == before


# -- fix safety ----------------------------------------------------------------------------


def test_plain_fix_applies_no_unsafe_fix_and_says_so(project: Path) -> None:
    result = run("--fix", "infer.py", "more.py", cwd=project)
    assert result.returncode == 1
    assert (project / "infer.py").read_text() == OFFENDING
    assert "nograd-lint: Fixed 0 NG001 sites in 0 files; 3 left." in result.stderr
    assert "3 unsafe fixes not applied; use --unsafe-fixes to apply them" in result.stderr
    assert result.stdout.count("NG001") == 3


def test_fix_summary_leaves_out_a_rule_without_a_fix(project: Path) -> None:
    # NG004 has no automatic fix: the summary counts no NG004 site and sends nobody to its
    # page for fix safety.
    shutil.copy(EXAMPLES / "validate_each_epoch.py", project / "epochs.py")
    result = run("--fix", "infer.py", "epochs.py", cwd=project)
    assert "Fixed 0 NG001 sites in 0 files; 2 left." in result.stderr
    assert "1 unsafe fix not applied" in result.stderr
    assert "NG004" not in result.stderr


def test_unsafe_fixes_applies(project: Path) -> None:
    result = run("--fix", "--unsafe-fixes", "infer.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "infer.py").read_text() == FIXED
    assert "Fixed 1 NG001 site in 1 file; 0 left." in result.stderr
    assert "not applied" not in result.stderr


def test_unsafe_fixes_from_the_configuration_and_overridden(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.nograd-lint]\nunsafe-fixes = true\n")
    held = run("--fix", "--no-unsafe-fixes", "infer.py", cwd=project)
    assert held.returncode == 1 and (project / "infer.py").read_text() == OFFENDING
    assert run("--fix", "infer.py", cwd=project).returncode == 0
    assert (project / "infer.py").read_text() == FIXED


def test_unsafe_fixes_key_must_be_a_boolean(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.nograd-lint]\nunsafe-fixes = "yes"\n')
    result = run("infer.py", cwd=project)
    assert result.returncode == 2
    assert "unsafe-fixes must be true or false" in result.stderr


def test_diff_shows_only_what_fix_would_apply(project: Path) -> None:
    held = run("--diff", "infer.py", cwd=project)
    assert (held.returncode, held.stdout) == (0, "")
    assert "1 unsafe fix not applied" in held.stderr
    shown = run("--diff", "--unsafe-fixes", "infer.py", cwd=project)
    assert shown.returncode == 1
    assert "+with torch.no_grad():\n" in shown.stdout


def test_stdin_filter_passes_the_source_through_without_unsafe_fixes(project: Path) -> None:
    held = run("--fix", "-", cwd=project, stdin=OFFENDING)
    assert (held.returncode, held.stdout) == (1, OFFENDING)
    assert "1 unsafe fix not applied" in held.stderr
    applied = run("--fix", "--unsafe-fixes", "-", cwd=project, stdin=OFFENDING)
    assert (applied.returncode, applied.stdout) == (0, FIXED)


@pytest.mark.parametrize("quiet", ["-q", "-qq"])
def test_stdin_filter_gives_the_source_back_however_quiet(project: Path, quiet: str) -> None:
    """The filter's stdout is the buffer, not a report: an editor replacing its buffer with
    an empty output would lose the user's code."""
    applied = run(quiet, "--fix", "--unsafe-fixes", "-", cwd=project, stdin=OFFENDING)
    assert (applied.returncode, applied.stdout, applied.stderr) == (0, FIXED, "")
    held = run(quiet, "--fix", "-", cwd=project, stdin=OFFENDING)
    assert (held.returncode, held.stdout, held.stderr) == (1, OFFENDING, "")


# -- rule documentation --------------------------------------------------------------------


def test_rule_prints_the_documentation(tmp_path: Path) -> None:
    result = run("rule", "NG001", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("# NG001: forward pass of an eval-mode model")
    assert "## Fix safety" in result.stdout
    assert run("rule", "ng001", cwd=tmp_path).stdout == result.stdout
    every = run("rule", "--all", cwd=tmp_path).stdout
    assert every.startswith(result.stdout)
    assert "\n# NG002: " in every


def test_rule_without_code_lists_the_rules(tmp_path: Path) -> None:
    result = run("rule", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("NG001  eval-mode-forward-with-grad: ")


def test_unknown_rule_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run("rule", "E501", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == "nograd-lint: error: unknown rule 'E501' (known: NG001, NG002, NG003, NG004)\n"
    )


def test_rule_documentation_ships_in_the_package() -> None:
    from nograd_lint.rules import RULES

    for rule in RULES.values():
        assert rule.documentation().startswith(f"# {rule.code}:")
