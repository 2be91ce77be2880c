"""The fix changes only the lines it wraps: form feeds, CR-only newlines and the rest of the
file come back byte for byte; files too deep for LibCST's metadata are fixed too."""

from __future__ import annotations

import sys

import pytest

from nograd_lint import check_source
from nograd_lint.errors import SourceError
from nograd_lint.fix import fix_source

WRAPPED = "with torch.no_grad():\n    out = model(x)\n"


def test_form_feed_at_the_start_of_an_untouched_line_is_kept() -> None:
    source = "import torch\nmodel.eval()\n\x0cy = 1\nout = model(x)\n"
    assert fix_source(source).text == "import torch\nmodel.eval()\n\x0cy = 1\n" + WRAPPED


def test_form_feed_before_the_flagged_statement() -> None:
    source = "import torch\nmodel.eval()\n\x0cout = model(x)\n"
    result = fix_source(source)
    assert len(result.fixed) == 1, result.skipped
    compile(result.text, "<fixed>", "exec")
    assert not check_source(result.text)
    assert result.text.startswith("import torch\nmodel.eval()\n")


def test_form_feed_inside_the_flagged_call() -> None:
    source = "import torch\nmodel.eval()\nout = \x0cmodel(x)\n"
    result = fix_source(source)
    assert (
        result.text == "import torch\nmodel.eval()\nwith torch.no_grad():\n    out = \x0cmodel(x)\n"
    )


def test_cr_only_file_keeps_every_cr() -> None:
    source = "import torch\rmodel.eval()\rout = model(x)\r"
    result = fix_source(source)
    assert result.text == "import torch\rmodel.eval()\rwith torch.no_grad():\r    out = model(x)\r"


def test_no_final_newline() -> None:
    source = "import torch\nmodel.eval()\nout = model(x)"
    assert (
        fix_source(source).text
        == "import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model(x)"
    )


def test_multiline_string_content_is_not_indented() -> None:
    source = "import torch\nmodel.eval()\nout = model(\"\"\"a\n  b\nc\"\"\", '''\nd''')\n"
    result = fix_source(source)
    assert result.text == (
        'import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model("""a\n  b\nc""", '
        "'''\nd''')\n"
    )


def test_tab_indented_file_gets_tabs() -> None:
    source = "import torch\ndef f(model, x):\n\tmodel.eval()\n\tif x:\n\t\tout = model(x)\n"
    assert fix_source(source).text == (
        "import torch\ndef f(model, x):\n\tmodel.eval()\n\tif x:\n\t\twith torch.no_grad():\n"
        "\t\t\tout = model(x)\n"
    )


DEEP = {
    "concatenated_strings": "s = (\n" + "".join(f'    "line {i}"\n' for i in range(350)) + ")\n",
    "long_sum": "s = " + " + ".join(f"a{i}" for i in range(350)) + "\n",
}


@pytest.mark.parametrize("tail", DEEP.values(), ids=list(DEEP))
def test_deep_but_valid_files_are_fixed(tail: str) -> None:
    source = "import torch\nmodel.eval()\nout = model(1)\n" + tail
    result = fix_source(source)
    assert (
        result.text
        == "import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model(1)\n" + tail
    )


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python compiles PEP 695")
def test_original_this_python_cannot_compile_is_an_error() -> None:
    source = "import torch\nmodel.eval()\nout = model(x)\ntype Vector = list[float]\n"
    with pytest.raises(SourceError, match="syntax error at 4:"):
        fix_source(source)


def test_suite_after_a_multi_line_header() -> None:
    source = "import torch\nmodel.eval()\nif (a and\n        b): out = model(x)\n"
    assert fix_source(source).text == (
        "import torch\nmodel.eval()\nif (a and\n        b):\n    with torch.no_grad():\n"
        "        out = model(x)\n"
    )


def test_comment_ending_a_wrapped_block_moves_with_it() -> None:
    source = (
        "import torch\ndef f(model, xs):\n    model.eval()\n    for t in model(xs):\n"
        "        print(t)\n\n        # last\n\n    return 1\n"
    )
    assert fix_source(source).text == (
        "import torch\ndef f(model, xs):\n    model.eval()\n    with torch.no_grad():\n"
        "        for t in model(xs):\n            print(t)\n\n            # last\n\n    return 1\n"
    )


def test_match_statement_with_the_call_in_its_subject() -> None:
    if sys.version_info < (3, 10):
        pytest.skip("match needs Python 3.10")
    source = "import torch\nmodel.eval()\nmatch model(x):\n    case 1:\n        pass\n"
    assert fix_source(source).text == (
        "import torch\nmodel.eval()\nwith torch.no_grad():\n    match model(x):\n"
        "        case 1:\n            pass\n"
    )


def test_code_only_the_compiler_refuses_is_an_error() -> None:
    """``ast`` accepts ``return`` outside a function; the compiler, and so the check, do not."""
    source = "import torch\nmodel.eval()\nout = model(x)\nreturn out\n"
    with pytest.raises(SourceError, match="'return' outside function"):
        fix_source(source)
