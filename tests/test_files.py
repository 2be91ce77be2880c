"""Which files a run lints: exclusion as ruff and flake8 spell it, and the same files as the
flake8 plugin sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nograd_lint.files import DEFAULT_EXCLUDES, Excludes, Rules, discover
from tests.conftest import tool

FLAGGED = "import torch\nmodel = torch.nn.Linear(1, 1)\nmodel.eval()\nmodel(x)\n"

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


def _write(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(FLAGGED)


def _flagged(*args: str, cwd: Path) -> tuple[int, list[str], str]:
    """Exit status, the files with findings (as printed, sorted), and stderr."""
    result = subprocess.run(
        [tool("nograd-lint"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    files = sorted({line.split(":", 1)[0] for line in result.stdout.splitlines()})
    return result.returncode, files, result.stderr


def _flake8_flagged(cwd: Path) -> list[str]:
    result = subprocess.run(
        [tool("flake8"), "--isolated", "--select=NG", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    # flake8 prints ``./x.py``; nograd-lint prints paths as ruff does, without ``./``.
    return sorted({line.split(":", 1)[0].removeprefix("./") for line in result.stdout.splitlines()})


def test_defaults_are_flake8s() -> None:
    from flake8.defaults import EXCLUDE

    assert DEFAULT_EXCLUDES == EXCLUDE


@pytest.fixture
def mixed_tree(tmp_path: Path) -> Path:
    """Directories flake8 walks (build, dist, venv without pyvenv.cfg, at any depth) and
    those it skips, with broken and looping symlinks and a symlinked directory."""
    _write(
        tmp_path,
        "top.py",
        "pkg/build/generated.py",
        "pkg/dist/mod.py",
        "dist/wheel.py",
        "venv/not_a_real_venv.py",
        "node_modules/gyp.py",
        ".git/hooks/hook.py",
        "__pycache__/cached.py",
        ".tox/py39/env.py",
        "thing.egg/mod.py",
        "sub/deep/leaf.py",
    )
    if sys.platform != "win32":
        (tmp_path / "broken.py").symlink_to("missing.py")
        (tmp_path / "loop_a.py").symlink_to("loop_b.py")
        (tmp_path / "loop_b.py").symlink_to("loop_a.py")
        (tmp_path / "linked_dir").symlink_to("sub", target_is_directory=True)
    return tmp_path


def test_the_command_and_flake8_lint_the_same_files(mixed_tree: Path) -> None:
    status, files, stderr = _flagged(".", cwd=mixed_tree)
    assert (status, stderr) == (1, "")
    assert files == _flake8_flagged(mixed_tree)
    assert files == [
        "dist/wheel.py",
        "node_modules/gyp.py",
        "pkg/build/generated.py",
        "pkg/dist/mod.py",
        "sub/deep/leaf.py",
        "top.py",
        "venv/not_a_real_venv.py",
    ]


def test_a_virtual_environment_is_never_walked(tmp_path: Path) -> None:
    """Where the command skips what flake8 lints: a directory holding pyvenv.cfg."""
    _write(tmp_path, "app.py", "env/lib/site.py", "deeper/.venv/lib/site.py")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "deeper" / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert _flagged(".", cwd=tmp_path)[:2] == (1, ["app.py"])


@needs_symlinks
def test_broken_and_looping_symlinks_named_explicitly_are_errors(mixed_tree: Path) -> None:
    status, files, stderr = _flagged("broken.py", "loop_a.py", "top.py", cwd=mixed_tree)
    assert (status, files) == (2, ["top.py"])
    assert stderr.splitlines() == [
        "broken.py: error: cannot read: No such file or directory",
        "loop_a.py: error: cannot read: Too many levels of symbolic links",
    ]


@needs_symlinks
def test_a_file_and_its_symlink_are_linted_once(tmp_path: Path) -> None:
    _write(tmp_path, "pkg/real.py")
    (tmp_path / "pkg" / "alias.py").symlink_to("real.py")  # sorts first
    (tmp_path / "outside.py").symlink_to(tmp_path / "pkg" / "real.py")
    assert _flagged(".", cwd=tmp_path)[:2] == (1, ["pkg/real.py"])
    assert _flagged("pkg/alias.py", "pkg/real.py", cwd=tmp_path)[:2] == (1, ["pkg/real.py"])
    assert _flagged("pkg/alias.py", cwd=tmp_path)[:2] == (1, ["pkg/alias.py"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(tmp_path, "app.py", "legacy/old.py", "legacy/sub/older.py", "pkg/legacy/kept.py")
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\nexclude = ["legacy/*"]\n')
    return tmp_path


KEPT = ["app.py", "pkg/legacy/kept.py"]


@pytest.mark.parametrize("args", [[], ["."]])
def test_exclude_is_relative_to_the_pyproject(project: Path, args: list[str]) -> None:
    status, files, _ = _flagged(*args, cwd=project)
    assert (status, files) == (1, list(KEPT))


def test_exclude_holds_when_run_from_a_subdirectory(project: Path) -> None:
    assert _flagged(cwd=project / "legacy")[:2] == (0, [])
    # Paths print relative to the current directory, as ruff prints them.
    assert _flagged("..", cwd=project / "pkg")[:2] == (1, ["../app.py", "legacy/kept.py"])


def test_named_files_are_linted_unless_force_exclude(project: Path) -> None:
    """pre-commit names every file: only --force-exclude keeps the configuration's word."""
    assert _flagged("legacy/old.py", cwd=project)[:2] == (1, ["legacy/old.py"])
    assert _flagged("--force-exclude", "legacy/old.py", "app.py", cwd=project)[:2] == (
        1,
        ["app.py"],
    )
    assert _flagged("--force-exclude", "legacy", cwd=project)[:2] == (0, [])
    (project / "pyproject.toml").write_text(
        '[tool.nograd-lint]\nexclude = ["legacy/*"]\nforce-exclude = true\n'
    )
    assert _flagged("legacy/sub/older.py", cwd=project)[:2] == (0, [])


def test_force_exclude_applies_to_stdin_by_its_display_name(project: Path) -> None:
    """An editor or hook that pipes an excluded file gets ruff's answer: nothing to report,
    and from the filter the source unchanged."""

    def run(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            [tool("nograd-lint"), *args],
            cwd=project,
            input=FLAGGED,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode, result.stdout

    named = ("--force-exclude", "--stdin-display-name", "legacy/old.py", "-")
    assert run(*named) == (0, "")
    assert run("--fix", "--unsafe-fixes", *named) == (0, FLAGGED)
    status, report = run(*named[:3], "app.py", "-")
    assert (status, sorted({line.split(":")[0] for line in report.splitlines()})) == (
        1,
        ["app.py"],
    )
    assert run("--stdin-display-name", "legacy/old.py", "-")[0] == 1


def test_force_exclude_matches_parent_directories_by_name(tmp_path: Path) -> None:
    _write(tmp_path, "gen/proto/a_pb2.py", "src/b.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nograd-lint]\nextend-exclude = ["gen"]\nforce-exclude = true\n'
    )
    assert _flagged("gen/proto/a_pb2.py", "src/b.py", cwd=tmp_path)[:2] == (1, ["src/b.py"])


def test_command_line_exclude_is_relative_to_the_cwd(project: Path) -> None:
    pkg = project / "pkg"
    assert _flagged("--exclude", "legacy", cwd=pkg)[:2] == (0, [])
    # The command line's exclude replaces the configured one.
    assert _flagged("--exclude", "pkg/legacy", ".", cwd=project)[:2] == (
        1,
        ["app.py", "legacy/old.py", "legacy/sub/older.py"],
    )


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    _write(tmp_path, "app.py", "thing.egg/mod.py", "scratch/tmp.py")
    assert _flagged(".", cwd=tmp_path)[1] == ["app.py", "scratch/tmp.py"]
    assert _flagged("--extend-exclude", "scratch", cwd=tmp_path)[1] == ["app.py"]
    assert _flagged("--exclude", "scratch", cwd=tmp_path)[1] == ["app.py", "thing.egg/mod.py"]
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\nextend-exclude = ["*.py"]\n')
    assert _flagged(".", cwd=tmp_path)[:2] == (0, [])


def test_nested_projects_keep_their_own_configuration(tmp_path: Path) -> None:
    _write(tmp_path, "app.py", "vendor/lib/thing.py", "vendor/lib/tests/test_thing.py")
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\nexclude = ["app.py"]\n')
    (tmp_path / "vendor" / "lib" / "pyproject.toml").write_text(
        '[tool.nograd-lint]\nexclude = ["tests"]\n'
    )
    (tmp_path / "vendor" / "pyproject.toml").write_text("[tool.black]\n")  # not ours
    assert _flagged(".", cwd=tmp_path)[:2] == (1, ["vendor/lib/thing.py"])


def test_nested_project_disabling_names(tmp_path: Path) -> None:
    wrapped = "from util import quiet\nmodel.eval()\nwith quiet():\n    model(x)\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.py").write_text(wrapped)
    (tmp_path / "b" / "x.py").write_text(wrapped)
    (tmp_path / "a" / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["util.quiet"]\n'
    )
    assert _flagged(".", cwd=tmp_path)[:2] == (1, ["b/x.py"])
    override = tmp_path / "a" / "pyproject.toml"
    assert _flagged("--config", str(override), ".", cwd=tmp_path)[:2] == (0, [])


def test_discover_in_process_keeps_its_plain_patterns_form(tmp_path: Path) -> None:
    """Scripts (benchmarks, corpus runs) call discover with plain patterns."""
    _write(tmp_path, "a.py", "skip/b.py", "keep/c.py")
    found = list(discover([str(tmp_path)], ["skip"]))
    assert found == [str(tmp_path / "a.py"), str(tmp_path / "keep" / "c.py")]
    rules = Rules((Excludes(("keep/*",), str(tmp_path)),))
    assert list(discover([str(tmp_path)], rules)) == [
        str(tmp_path / "a.py"),
        str(tmp_path / "skip" / "b.py"),
    ]
