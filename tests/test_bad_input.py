"""Bad input never crashes: one clear line per file, other files and other checks go on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nograd_lint import SourceError, check_source
from tests.conftest import tool

FLAGGED = "import os\nmodel.eval()\nmodel(x)\n"

#: Expect the message and position of this Python's own compiler (see ``_pythons_own``).
PYTHONS_OWN = "<python's own>"

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
        "syntax error at 102:1: too many levels of indentation",  # Python allows 100
    ),
    "parentheses_1000_closed": (
        b"model.eval()\ny = " + b"(" * 1000 + b"model(x)" + b")" * 1000 + b"\n",
        "too many nested parentheses",
    ),
    "return_at_module_level": (b"model.eval()\nmodel(x)\nreturn 1\n", "'return' outside function"),
    "nonlocal_at_module_level": (b"model.eval()\nmodel(x)\nnonlocal x\n", "nonlocal declaration"),
    "python2_except": (
        b"model.eval()\nmodel(x)\ntry:\n    pass\nexcept E, e:\n    pass\n",
        PYTHONS_OWN,  # 3.10+: "multiple exception types must be parenthesized" at 5:8
    ),
    # No trigger word at all: the pre-filter must not hide the error.
    "syntax_error_without_eval": (
        b"def broken(:\n    pass\n",
        "syntax error at 1:12: invalid syntax",
    ),
    "unterminated_string": (
        b"model.eval()\nmodel(x)\ns = 'abc\n",
        PYTHONS_OWN,  # 3.10+: "unterminated string literal" at 3:5
    ),
    # Python reads no UTF-16 source, BOM or not; no byte of it spells ``eval``.
    "utf_16": ("model.eval()\nmodel(x)\n".encode("utf-16"), "cannot decode"),
}


def _pythons_own(data: bytes) -> str:
    """The message and position this Python's compiler gives, as flake8's E999 prints them:
    the wording changes between versions, the rule (use Python's own) does not."""
    try:
        compile(data, "<bad>", "exec")
    except SyntaxError as error:
        return f"syntax error at {error.lineno}:{error.offset}: {error.msg}"
    raise AssertionError("this Python compiles it")


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_api_raises_one_line_source_error(name: str) -> None:
    data, message = BAD_INPUTS[name]
    if message is PYTHONS_OWN:
        message = _pythons_own(data)
    with pytest.raises(SourceError) as info:
        check_source(data, name)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_lone_surrogate_is_named_where_it_is() -> None:
    # A notebook's JSON can spell one (``"\\ud800"``); Python cannot compile it.
    with pytest.raises(SourceError, match=r"^syntax error at 2:10: lone surrogate U\+D800$"):
        check_source("model.eval()\ny = 1  # \ud800\n")


def test_empty_and_blank_files_are_clean() -> None:
    assert check_source(b"") == []
    assert check_source("\n\n") == []
    assert check_source("model.eval()\n") == []


def test_nesting_at_pythons_limit_is_analysed() -> None:
    source = "model.eval()\ny = " + "(" * 199 + "model(x)" + ")" * 199 + "\n"
    findings = check_source(source)
    assert [(f.line, f.col) for f in findings] == [(2, 203)]


def test_pythons_syntax_error_is_reported_even_with_a_tree_given() -> None:
    """flake8 hands over its tree only for source Python parsed: the semantic errors that
    only the compiler finds (``return`` outside a function) still refuse findings."""
    import ast

    source = "model.eval()\nmodel(x)\nreturn 1\n"
    with pytest.raises(SourceError, match="'return' outside function"):
        check_source(source, tree=ast.parse(source))


#: Each crashed the interpreter inside LibCST's native parser (exit 139): Python's parser
#: refuses the first (more than 200 nested brackets), accepts the second.
CRASHERS = {
    "parentheses_1400": "model.eval()\nmodel(x)\ny = " + "(" * 1400 + "\n",
    "and_chain_20000": "model.eval()\nmodel(x)\ny = a" + " and a" * 20_000 + "\n",
}


def test_too_deep_for_libcst_never_takes_the_process_down() -> None:
    child = (
        "import sys\nfrom nograd_lint import SourceError, check_source\n"
        "try:\n    print(len(check_source(sys.stdin.read())))\n"
        "except SourceError as error:\n    print('refused:', error)\n"
    )
    for source in CRASHERS.values():
        result = subprocess.run(
            [sys.executable, "-c", child],
            input=source,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (source[:40], result.returncode, result.stderr[-2000:])
        output = result.stdout.strip()
        assert output == "1" or output.startswith("refused: "), output


def test_huge_generated_file_is_analysed() -> None:
    body = "".join(
        f"def f{i}(model, x):\n    model.eval()\n    return model(x) + {i}\n" for i in range(6700)
    )
    assert body.count("\n") > 20_000
    findings = check_source(body)
    assert len(findings) == 6700
    assert findings[0].line == 3 and findings[-1].line == 3 * 6700


def test_a_source_that_hides_its_eval_call_in_utf_7_is_analysed(tmp_path: Path) -> None:
    """Python reads ``# coding: utf-7``; the bytes of ``.eval(`` appear nowhere in the file."""
    data = b"# coding: utf-7\nmodel+AC4AZQB2AGEAbAAo-)\nmodel(x)\n"
    assert data.decode("utf-7").splitlines()[1] == "model.eval()"
    assert [f.line for f in check_source(data)] == [3]
    path = tmp_path / "hidden.py"
    path.write_bytes(data)
    result = subprocess.run(
        [tool("nograd-lint"), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result
    assert result.stdout.startswith(f"{path}:3:1: NG001 ")


def test_the_byte_screen_reads_bytes_in_the_encoding_python_would() -> None:
    from nograd_lint.prefilter import might_have_findings_in_bytes

    assert might_have_findings_in_bytes(b"# coding: utf-7\nmodel+AC4AZQB2AGEAbAAo-)\n")
    assert not might_have_findings_in_bytes(b"# coding: utf-7\nx +AD0- 1\n")
    assert not might_have_findings_in_bytes(b"# coding: latin-1\nx = 1\n")
    assert might_have_findings_in_bytes("x".encode("utf-16"))  # undecodable: let it say so


def test_bom_and_coding_cookie_are_honoured() -> None:
    assert len(check_source("\ufeff".encode("utf-8") + FLAGGED.encode())) == 1
    assert len(check_source("\ufeff" + FLAGGED)) == 1  # text with the BOM still in it
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


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_goes_on_past_a_file_too_deep_for_libcst(tmp_path: Path, jobs: str) -> None:
    """Under ``-j 2`` the crash broke the process pool and lost every file's findings."""
    for name, source in CRASHERS.items():
        (tmp_path / f"{name}.py").write_text(source)
    for i in range(40):  # enough files for worker processes
        (tmp_path / f"flagged_{i:02}.py").write_text(FLAGGED)
    result = subprocess.run(
        [tool("nograd-lint"), "-j", jobs, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (1, 2), result.returncode
    assert len(result.stdout.splitlines()) == 40 + ("and_chain" in result.stdout) * 1
    assert f"{tmp_path / 'parentheses_1400.py'}: error: syntax error at 3:" in result.stderr


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


def test_an_empty_path_is_named_as_given(tmp_path: Path) -> None:
    result = subprocess.run(
        [tool("nograd-lint"), ""], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "'': error: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("args", "closed", "message"),
    [
        (["flagged.py"], "stdout", "nograd-lint: error: cannot write output: stdout is closed"),
        (["-"], "stdin", "stdin: error: cannot read: stdin is closed"),
    ],
)
def test_a_closed_standard_stream_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], closed: str, message: str
) -> None:
    (tmp_path / "flagged.py").write_text("import torch\nmodel.eval()\nmodel(x)\n")
    stream = 1 if closed == "stdout" else 0
    script = f"import os, subprocess, sys; os.close({stream}); sys.exit(subprocess.call({[tool('nograd-lint'), *args]!r}))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=closed == "stdin",
        cwd=tmp_path,
        stderr=subprocess.PIPE if closed == "stdout" else None,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == message


#: Python compiles it; LibCST's parser refuses a form feed that starts a block's line.
LIBCST_REFUSES = (
    "import torch\n\n\ndef f(model, x):\n    model.eval()\n    if x:\n\x0c        y = model(x)\n"
)


def test_code_only_libcst_refuses_is_said_so_by_both_interfaces(tmp_path: Path) -> None:
    compile(LIBCST_REFUSES, "<ff>", "exec")
    path = tmp_path / "ff.py"
    path.write_text(LIBCST_REFUSES)
    cli = subprocess.run(
        [tool("nograd-lint"), str(path)], capture_output=True, text=True, check=False
    )
    assert cli.returncode == 2
    assert "LibCST's parser rejects this code, which Python accepts" in cli.stderr
    plugin = subprocess.run(
        [tool("flake8"), "--isolated", "--select=E999,NG", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plugin.stdout == ""  # no E999: Python accepts it
    assert "nograd-lint: cannot analyse: LibCST's parser rejects this code" in plugin.stderr


def test_interrupted_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nograd_lint import cli

    def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_lint", interrupted)
    assert cli.main(["x.py"]) == 130
    assert capsys.readouterr().err == "nograd-lint: interrupted\n"


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


def test_a_number_too_long_for_repr_is_analysed() -> None:
    """Python compiles an integer of any length but will not write one of more than 4,300
    digits: the readings that compare expressions by their text must not need to."""
    huge = "0x" + "f" * 4000
    source = (
        "def step(model, x, opt):\n"
        "    loss = model(x).sum()\n"
        f"    if x == {huge}:\n"
        f"        stats = {{}}\n"
        f"        stats[{huge}] = loss\n"
        "    loss.backward(retain_graph=True)\n"
        "    opt.step()\n"
    )
    assert [(f.line, f.code) for f in check_source(source)] == [(6, "NG003")]


@pytest.mark.parametrize("reading", ["needless_retains", "graph_keeping_calls"])
def test_a_bug_in_any_reading_is_one_line_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, reading: str
) -> None:
    """NG003's reading and the screens run before the analysis: a bug there too is this
    file's one error line, which flake8 prints while its other checks go on."""
    from nograd_lint.analysis import retained_graphs, values
    from nograd_lint.errors import InternalError

    def broken(*args: object) -> None:
        raise ValueError("boom")

    if reading == "needless_retains":
        monkeypatch.setattr(retained_graphs, "needless_retains", broken)
        source = "def f(loss):\n    loss.backward(retain_graph=True)\n"
    else:
        monkeypatch.setattr(values.ModuleValues, "graph_keeping_calls", broken)
        source = "def f(model, xs):\n    model.train()\n    for x in xs:\n        print(model(x))\n"
    with pytest.raises(InternalError, match=r"^internal error, please report: ValueError: boom$"):
        check_source(source)


def test_a_bug_in_the_analysis_is_one_line_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    from nograd_lint.analysis import flow
    from nograd_lint.errors import InternalError

    def broken(self, call, state):
        raise KeyError("boom")

    monkeypatch.setattr(flow.ModuleAnalysis, "_forward", broken)
    with pytest.raises(InternalError, match=r"^internal error, please report: KeyError: 'boom'$"):
        check_source(FLAGGED)


@pytest.mark.parametrize(
    "source",
    [
        "y = " + "-" * 990 + "x\n",  # one level per character
        "y = " + "-" * 997 + "x\n",
        "y = " + "-" * 1000 + "x\n",
        "def f():\n    if a:\n        y = " + "not " * 300 + "x\n",
        "y = a" + " or a" * 400 + "\n",
        "y = f(\n" + "    a.b.c(x)[0],\n" * 300 + ")\n",
        "class C:\n    @d("
        + "-" * 500
        + "x)\n    def f(self, a="
        + "~" * 400
        + "b):\n        pass\n",
    ],
)
def test_nesting_is_measured_exactly_up_to_the_limit(source: str) -> None:
    """Only statements long enough to nest past the limit are walked node by node; the
    others are bounded by their length, which must never hide a deeper nesting."""
    import ast

    from nograd_lint.source import MAX_NESTING, _subtree_depth, nesting_depth

    tree = ast.parse(source)
    exact = _subtree_depth(tree)
    measured = nesting_depth(tree, source)
    assert (measured > MAX_NESTING) == (exact > MAX_NESTING), (exact, measured)
    if exact > MAX_NESTING:
        assert measured == exact


@pytest.mark.parametrize("link", ["-", "not ", ".b", "[0]", "()", " and a"])
def test_chains_past_the_nesting_limit_are_refused_in_one_line(link: str) -> None:
    if link in (".b", "[0]", "()"):
        source = "model.eval()\nmodel(x)\ny = a" + link * 1100 + "\n"
    else:
        source = (
            "model.eval()\nmodel(x)\ny = " + ("a" if link == " and a" else "") + link * 1100 + "b\n"
        )
    # Python's compiler refuses some of them first, in its own words.
    with pytest.raises(
        SourceError,
        match=r"^(nested \d+ levels deep, more than the 1000 |too deeply nested for Python)",
    ):
        check_source(source)
