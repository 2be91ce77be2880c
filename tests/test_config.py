"""Project-specific no-grad wrappers, configured for flake8 and for the standalone command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nograd_lint.config import ConfigError, Settings, settings_for
from tests.conftest import tool

SOURCE = """import torch
from project.utils import quiet_mode


@quiet_mode
def decorated(model, x):
    model.eval()
    return model(x)


def managed(model, x):
    model.eval()
    with quiet_mode():
        return model(x)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "infer.py").write_text(SOURCE)
    return tmp_path


def _lines(output: str) -> list[str]:
    return [
        line.split(": NG001")[0].rsplit(":", 2)[-2]
        for line in output.splitlines()
        if "NG001" in line
    ]


def test_unknown_wrapper_is_reported_by_default(project: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert _lines(result.stdout) == ["8", "14"], result.stdout + result.stderr


def test_cli_option(project: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), "--disabling-names", "other, quiet_mode", "infer.py"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_pyproject_table(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["project.utils.quiet_mode"]\n'
    )
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_pyproject_errors_are_one_line(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.nograd-lint]\ndisabling-name = ['x']\n")
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith("unknown key(s) in [tool.nograd-lint]: disabling-name")


def test_flake8_option_from_its_config(project: Path) -> None:
    command = [tool("flake8"), "--select=NG", "infer.py"]
    reported = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert _lines(reported.stdout) == ["8", "14"], reported.stdout + reported.stderr
    (project / "setup.cfg").write_text("[flake8]\nnograd-disabling-names = quiet_mode\n")
    quiet = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout) == (0, ""), quiet.stderr


def test_flake8_option_on_the_command_line(project: Path) -> None:
    result = subprocess.run(
        [
            tool("flake8"),
            "--isolated",
            "--select=NG",
            "--nograd-disabling-names=quiet_mode",
            "infer.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


BAD_CONFIGS = {
    "not_utf8": (b"[tool.nograd-lint]\n# caf\xe9\n", "not UTF-8"),
    "table_is_a_number": (b"[tool]\nnograd-lint = 5\n", "[tool.nograd-lint] must be a table"),
    "table_is_a_string": (b'[tool]\nnograd-lint = "x"\n', "[tool.nograd-lint] must be a table"),
    "array_of_tables": (b"[[tool.nograd-lint]]\n", "must be a table, not an array of tables"),
    "tool_is_a_number": (b"tool = 5\n", "'tool' must be a table, not a number"),
    "invalid_toml": (b"[tool.nograd-lint\n", "Expected ']'"),
    "names_not_a_list": (
        b'[tool.nograd-lint]\ndisabling-names = "quiet_mode"\n',
        "disabling-names must be a list of strings",
    ),
    "force_exclude_not_a_bool": (
        b'[tool.nograd-lint]\nforce-exclude = "yes"\n',
        "force-exclude must be true or false",
    ),
    "nested_too_deeply": (b"a = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "pyproject.toml"),
    # past Python's limit on the digits it converts, in any tool's table
    "number_too_long": (b"[tool.other]\nx = 1" + b"0" * 5000 + b"\n", "(4300 digits)"),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_files_are_one_line_and_exit_2(project: Path, name: str) -> None:
    data, message = BAD_CONFIGS[name]
    (project / "pyproject.toml").write_bytes(data)
    result = subprocess.run(
        [tool("nograd-lint"), "infer.py"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"nograd-lint: error: {project / 'pyproject.toml'}: ")
    assert message in line


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_files_raise_config_error(tmp_path: Path, name: str) -> None:
    """What the language server catches, to tell the editor and lint with the defaults."""
    (tmp_path / "pyproject.toml").write_bytes(BAD_CONFIGS[name][0])
    with pytest.raises(ConfigError) as info:
        settings_for(tmp_path / "infer.py")
    assert "\n" not in str(info.value)


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\ndisabling-names = ["outer"]\n')
    inner = tmp_path / "inner"
    (inner / "pkg").mkdir(parents=True)
    (inner / "pyproject.toml").write_text('[tool.nograd-lint]\ndisabling-names = ["inner"]\n')
    assert settings_for(inner / "pkg" / "x.py").disabling_names == {"inner"}
    assert settings_for(inner / "pkg" / "x.py").root == inner
    assert settings_for(tmp_path / "x.py").disabling_names == {"outer"}


def test_a_folder_that_may_not_be_entered_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its files cannot be read either (each gives its own line): no reason to stop the
    run. Simulated, as root enters any folder."""
    import os

    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\ndisabling-names = ["outer"]\n')
    locked = tmp_path / "locked"
    locked.mkdir()
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(locked) + os.sep):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    assert settings_for(locked / "x.py").disabling_names == {"outer"}
    with pytest.raises(ConfigError, match="Permission denied"):
        settings_for(tmp_path / "x.py", override=locked / "pyproject.toml")


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\ndisabling-names = ["outer"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.black]\nline-length = 99\n")
    settings = settings_for(tmp_path / "sub" / "x.py")
    assert (settings.disabling_names, settings.root) == ({"outer"}, tmp_path)


def test_config_override_applies_to_every_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\ndisabling-names = ["near"]\n')
    chosen = tmp_path / "elsewhere" / "custom.toml"
    chosen.parent.mkdir()
    chosen.write_text('[tool.nograd-lint]\ndisabling-names = ["chosen"]\n')
    settings = settings_for(tmp_path / "x.py", override=chosen)
    assert (settings.disabling_names, settings.root) == ({"chosen"}, chosen.parent)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert settings_for(tmp_path / "x.py", override=empty).disabling_names == frozenset()
    with pytest.raises(ConfigError, match="cannot read"):
        settings_for(tmp_path / "x.py", override=tmp_path / "missing.toml")


def test_an_edited_pyproject_is_read_again(tmp_path: Path) -> None:
    """The language server runs for hours: a cached table must follow the file."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.nograd-lint]\ndisabling-names = ["a"]\n')
    assert settings_for(tmp_path / "x.py").disabling_names == {"a"}
    pyproject.write_text('[tool.nograd-lint]\ndisabling-names = ["b", "c"]\n')
    assert settings_for(tmp_path / "x.py").disabling_names == {"b", "c"}
    pyproject.unlink()
    assert settings_for(tmp_path / "x.py") == Settings()


def test_command_reads_the_config_above_each_file_not_above_the_cwd(project: Path) -> None:
    """Run from elsewhere (as an editor or pre-commit may), the file's project still counts."""
    (project / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["project.utils.quiet_mode"]\n'
    )
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text("[tool.nograd-lint]\n")
    result = subprocess.run(
        [tool("nograd-lint"), str(project / "infer.py")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_language_server_passes_over_a_pyproject_without_the_table(
    tmp_path: Path, subprocess_env: dict
) -> None:
    """The server and the command take the same configuration for a file."""
    pytest.importorskip("pygls", reason="pygls is in the lsp and test extras")
    from tests.lsp_client import LspClient

    (tmp_path / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["project.utils.quiet_mode"]\n'
    )
    package = tmp_path / "package"
    package.mkdir()
    (package / "pyproject.toml").write_text("[tool.black]\nline-length = 99\n")
    (package / "infer.py").write_text(SOURCE)
    command = subprocess.run(
        [tool("nograd-lint"), "package/infer.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (command.returncode, command.stdout, command.stderr) == (0, "", "")
    with LspClient([tool("nograd-lint"), "lsp"], cwd=tmp_path, env=subprocess_env) as client:
        client.initialize(tmp_path)
        uri = (package / "infer.py").as_uri()
        client.open(uri, SOURCE)
        assert client.wait_for_diagnostics(uri)["diagnostics"] == []


def test_stdin_takes_the_configuration_of_its_display_name(project: Path) -> None:
    """Editors pipe a buffer with its file name: the file's project configures it."""
    package = project / "package"
    package.mkdir()
    (package / "pyproject.toml").write_text(
        '[tool.nograd-lint]\ndisabling-names = ["project.utils.quiet_mode"]\n'
    )
    command = [tool("nograd-lint"), "-", "--stdin-display-name"]
    inside = subprocess.run(
        [*command, "package/infer.py"], cwd=project, input=SOURCE, capture_output=True, text=True
    )
    assert (inside.returncode, inside.stdout, inside.stderr) == (0, "", "")
    outside = subprocess.run(
        [*command, "infer.py"], cwd=project, input=SOURCE, capture_output=True, text=True
    )
    assert _lines(outside.stdout) == ["8", "14"], outside.stderr
