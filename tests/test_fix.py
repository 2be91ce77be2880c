"""The autofix: ``tests/fixes/NAME.in.py`` must become ``NAME.out.py``, with LF, CRLF and CR
newlines; fixing is idempotent and the fixed code lints clean where it was fixed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nograd_lint import check_source
from nograd_lint.errors import SourceError
from nograd_lint.fix import FixError, fix_source
from tests.conftest import tool

FIXES_DIR = Path(__file__).parent / "fixes"
PAIRS = sorted(FIXES_DIR.glob("*.in.py"))


def _context(source: str) -> str:
    first = source.splitlines()[0] if source else ""
    return first.split(":", 1)[1].strip() if first.startswith("# fix-with:") else "no_grad"


def _pair(path: Path, newline: str) -> tuple[str, str]:
    before = path.read_text(encoding="utf-8")
    after = path.with_name(path.name.replace(".in.py", ".out.py")).read_text(encoding="utf-8")
    return before.replace("\n", newline), after.replace("\n", newline)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("path", PAIRS, ids=[p.name[: -len(".in.py")] for p in PAIRS])
def test_fix_pair(path: Path, newline: str) -> None:
    before, after = _pair(path, newline)
    result = fix_source(before, str(path), context=_context(before))
    assert result.text == after
    compile(result.text, str(path), "exec")
    # Idempotent: a second pass changes nothing and fixes nothing.
    again = fix_source(result.text, str(path), context=_context(before))
    assert again.text == result.text and not again.fixed
    # Round trip: what is left after fixing is exactly what the fix refused.
    assert len(check_source(result.text)) == len(result.skipped) == len(result.remaining)


def test_refusals_say_why() -> None:
    source = (FIXES_DIR / "not_fixable.in.py").read_text(encoding="utf-8")
    reasons = sorted(s.reason for s in fix_source(source).skipped)
    assert [r.split(",")[0].split(" (")[0] for r in reasons] == [
        "the call is inside a generator expression",
        "the call is inside a lambda",
        "the statement suspends",
    ]


def test_lines_restricts_the_fix() -> None:
    source = "model.eval()\na = model(x)\nb = model(y)\n"
    result = fix_source(source, lines={3})
    assert [f.line for f in result.fixed] == [3]
    assert (
        result.text
        == "import torch\nmodel.eval()\na = model(x)\nwith torch.no_grad():\n    b = model(y)\n"
    )


def test_bad_input_raises_source_error_not_fix_error() -> None:
    with pytest.raises(SourceError) as raised:
        fix_source("model.eval(\n")
    assert not isinstance(raised.value, FixError)


def test_unknown_context_is_refused() -> None:
    with pytest.raises(ValueError):
        fix_source("model.eval()\nmodel(x)\n", context="enable_grad")


# -- the command line -------------------------------------------------------------------------

OFFENDING = "import torch\n\nmodel.eval()\nout = model(x)\n"


def _cli(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    # The wrap is an unsafe fix: these tests opt in, as users of --fix and --diff must.
    return subprocess.run(
        [tool("nograd-lint"), "--unsafe-fixes", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_cli_fix_writes_in_place_and_exits_clean(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_bytes(OFFENDING.encode())
    target.chmod(0o754)
    result = _cli("--fix", "infer.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Fixed 1 NG001 site in 1 file; 0 left." in result.stderr
    assert (
        target.read_text()
        == "import torch\n\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"
    )
    assert target.stat().st_mode & 0o777 == 0o754
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    assert _cli("--fix", "infer.py", cwd=tmp_path).returncode == 0
    assert target.read_text().count("no_grad") == 1


def test_cli_fix_exit_1_when_findings_remain(tmp_path: Path) -> None:
    (tmp_path / "lazy.py").write_text("model.eval()\nscore = lambda v: model(v)\n")
    result = _cli("--fix", "lazy.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "lazy.py:2:19: NG001 not fixed: the call is inside a lambda" in result.stderr
    assert "lazy.py:2:19: NG001 forward pass" in result.stdout


def test_cli_diff_does_not_write(tmp_path: Path) -> None:
    target = tmp_path / "infer.py"
    target.write_text(OFFENDING)
    result = _cli("--diff", "infer.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/infer.py\n+++ b/infer.py\n")
    assert "+with torch.no_grad():\n+    out = model(x)\n" in result.stdout
    assert target.read_text() == OFFENDING


def test_cli_fix_keeps_encoding_and_crlf(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\r\nmodel.eval()\r\nname = 'caf\xe9'\r\nout = model(x)\r\n"
    target = tmp_path / "legacy.py"
    target.write_bytes(source.encode("latin-1"))
    assert _cli("--fix", "legacy.py", cwd=tmp_path).returncode == 0
    fixed = target.read_bytes()
    assert fixed.decode("latin-1").endswith("with torch.no_grad():\r\n    out = model(x)\r\n")
    assert b"caf\xe9" in fixed


def test_cli_fix_stdin_is_a_filter(tmp_path: Path) -> None:
    result = _cli("--fix", "-", cwd=tmp_path, stdin=OFFENDING)
    assert result.returncode == 0
    assert (
        result.stdout == "import torch\n\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)\n"
    )
    broken = _cli("--fix", "-", cwd=tmp_path, stdin="model.eval(\n")
    assert broken.returncode == 2 and broken.stdout == "model.eval(\n"  # given back as it came


def test_cli_fix_leaves_unparsable_files_alone(tmp_path: Path) -> None:
    target = tmp_path / "broken.py"
    target.write_text("model.eval()\nout = model(x\n")
    result = _cli("--fix", "broken.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("broken.py: error: syntax error")
    assert target.read_text() == "model.eval()\nout = model(x\n"


def test_cli_prints_no_warnings_of_the_users_code(tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_text(
        'import re\nmodel.eval()\nr = re.compile("\\d")\nx = 1 is 1\ny = model(x)\n'
    )
    for args in (["odd.py"], ["--diff", "odd.py"]):
        result = _cli(*args, cwd=tmp_path)
        assert "Warning" not in result.stderr, result.stderr


def test_a_function_inside_a_wrapped_statement_is_not_counted_as_fixed() -> None:
    """A def's body runs when it is called, not where it is written: the with around an
    enclosing statement does not cover it. Its finding stays, with the reason, and a second
    pass wraps it."""
    source = (
        "import torch\nmodel.eval()\n"
        "for t in model(xs):\n"
        "    def callback():\n"
        "        return model(t)\n"
        "    hooks.append(callback)\n"
    )
    first = fix_source(source)
    assert [f.line for f in first.fixed] == [3]
    assert [(s.finding.line, s.reason.split(";")[0]) for s in first.skipped] == [
        (5, "the call is in a function defined inside a statement wrapped here")
    ]
    assert len(first.remaining) == 1
    second = fix_source(first.text)
    assert len(second.fixed) == 1 and second.remaining == []
    assert (
        "        def callback():\n"
        "            with torch.no_grad():\n"
        "                return model(t)\n"
    ) in second.text


@pytest.mark.parametrize(
    "source",
    [
        'import torch\nmodel.eval()\ndef f():\n    """Doc."""; return model(1)\n',
        'import torch\nmodel.eval()\nclass C:\n    """Doc."""; y = model(1)\n',
    ],
    ids=["function", "class"],
)
def test_a_docstring_sharing_the_line_is_not_moved_into_the_with(source: str) -> None:
    """Inside the with it would no longer be the docstring: ``__doc__`` would become None."""
    result = fix_source(source)
    assert result.text == source and not result.fixed
    assert [s.reason for s in result.skipped] == [
        "the statement shares its line with a docstring, which must stay first"
    ]
