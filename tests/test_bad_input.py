"""Bad input never crashes: one clear line per file, other files and other checks go on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nograd_lint import SourceError, check_source
from tests.conftest import tool

FLAGGED = "import os\nmodel.eval()\nmodel(x)\n"

BAD_INPUTS = {
    "syntax_error": (b"model.eval()\ndef broken(:\n    model(x)\n", "syntax error at"),
    "nul_byte": (b"model.eval()\nmodel(x)\x00\n", "syntax error at"),
    "undecodable": (b"model.eval()\nname = '\xff\xfe'\n", "cannot decode as utf-8"),
    "bad_coding_cookie": (b"# -*- coding: no-such-codec -*-\nmodel.eval()\n", "cannot decode"),
    "deep_blocks": (
        b"model.eval()\n"
        + b"".join(b"    " * i + b"if x:\n" for i in range(300))
        + b"    " * 300
        + b"model(x)\n",
        "syntax error at",  # LibCST's tokenizer refuses more than 100 indentation levels
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_api_raises_one_line_source_error(name: str) -> None:
    data, message = BAD_INPUTS[name]
    with pytest.raises(SourceError) as info:
        check_source(data, name)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_empty_and_blank_files_are_clean() -> None:
    assert check_source(b"") == []
    assert check_source("\n\n") == []
    assert check_source("model.eval()\n") == []


def test_deeply_nested_expression_is_analysed() -> None:
    source = "model.eval()\ny = " + "(" * 1000 + "model(x)" + ")" * 1000 + "\n"
    findings = check_source(source)
    assert [(f.line, f.col) for f in findings] == [(2, 1004)]


def test_huge_generated_file_is_analysed() -> None:
    body = "".join(
        f"def f{i}(model, x):\n    model.eval()\n    return model(x) + {i}\n" for i in range(6700)
    )
    assert body.count("\n") > 20_000
    findings = check_source(body)
    assert len(findings) == 6700
    assert findings[0].line == 3 and findings[-1].line == 3 * 6700


def test_bom_and_coding_cookie_are_honoured() -> None:
    assert len(check_source("\ufeff".encode("utf-8") + FLAGGED.encode())) == 1
    latin = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n" + FLAGGED
    assert len(check_source(latin.encode("latin-1"))) == 1


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, (data, _) in BAD_INPUTS.items():
        (tmp_path / f"{name}.py").write_bytes(data)
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "flagged.py").write_text(FLAGGED)
    return tmp_path


def test_cli_reports_each_bad_file_on_one_line_and_goes_on(tree: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), str(tree)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{tree / 'flagged.py'}:3:1: NG001 " + result.stdout.split(" NG001 ", 1)[1].strip()
    ]
    errors = result.stderr.splitlines()
    assert sorted(Path(line.split(": error: ")[0]).stem for line in errors) == sorted(BAD_INPUTS)
    assert "Traceback" not in result.stderr


def test_cli_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), str(tmp_path / "nope.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"{tmp_path / 'nope.py'}: error: cannot read: No such file or directory"
    )


@pytest.mark.skipif(
    "sys.version_info < (3, 11)",
    reason="flake8 itself crashes on the NUL byte: compile() raises ValueError before 3.11",
)
def test_flake8_keeps_running_its_other_checks(tree: Path) -> None:
    result = subprocess.run(
        [tool("flake8"), "--isolated", "--select=E999,F401,NG", str(tree)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "flagged.py:1:1: F401 'os' imported but unused" in result.stdout
    assert "flagged.py:3:1: NG001" in result.stdout
    assert "syntax_error.py:2:13: E999 SyntaxError" in result.stdout


def test_a_bug_in_the_analysis_is_one_line_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    from nograd_lint.analysis import flow
    from nograd_lint.findings import InternalError

    def broken(self, call, state):
        raise KeyError("boom")

    monkeypatch.setattr(flow.ModuleAnalysis, "_forward", broken)
    with pytest.raises(InternalError, match=r"^internal error, please report: KeyError: 'boom'$"):
        check_source(FLAGGED)
