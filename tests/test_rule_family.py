"""nograd-lint as a family of rules: the registry, selection in the command and its
configuration, flake8's own selection, SARIF metadata, ``# noqa`` for NG002, the per-rule
fix summary."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest

from nograd_lint import check_source
from nograd_lint.findings import NG002, Finding, detached, ng002_message
from nograd_lint.formatters import FileResult, format_sarif, format_statistics
from nograd_lint.noqa import without_suppressed
from nograd_lint.rules import RULES
from tests.conftest import tool
from tests.test_cli_options import OFFENDING, run


def test_every_rule_has_its_metadata_and_its_page() -> None:
    assert list(RULES) == sorted(RULES)
    for code, rule in RULES.items():
        assert rule.code == code and code.startswith("NG")
        assert rule.name and rule.summary and rule.explanation and rule.fix and rule.messages
        assert rule.url.endswith(f"/rule_docs/{code}.md")
        page = rule.documentation()
        assert page.startswith(f"# {code}: ")
        for section in ("## What it does", "## Why is this bad?", "## Fix safety", "## Options"):
            assert section in page


def test_ng002_has_two_messages_that_say_which_cost() -> None:
    without = ng002_message("total_loss", "loss", after_backward=False)
    after = ng002_message("total_loss", "loss", after_backward=True)
    assert without != after
    for message in (without, after):
        assert "'loss'" in message and "'total_loss'" in message
        assert "'loss.detach()'" in message and "'.item()'" in message
        assert "\n" not in message
    assert "saved activation" in without and "chain of graph nodes" in after


@pytest.mark.parametrize(
    ("call", "shown", "flag"),
    [
        ("loss.backward(retain_graph=True)", "loss.backward(retain_graph=True)", "True"),
        ("loss.backward(retain_graph=RETAIN)", "loss.backward(retain_graph=RETAIN)", "RETAIN"),
        (
            "accelerator.backward(loss, retain_graph=True)",
            "accelerator.backward(..., retain_graph=True)",
            "True",
        ),
        (
            "torch.autograd.backward(tensors=[loss], retain_graph=True)",
            "torch.autograd.backward(..., retain_graph=True)",
            "True",
        ),
    ],
)
def test_ng003_message_quotes_the_call_and_the_flag_as_written(
    call: str, shown: str, flag: str
) -> None:
    source = (
        "import torch\nRETAIN = True\n\n\n"
        f"def step(model, x, accelerator):\n    loss = model(x).sum()\n    {call}\n"
    )
    (finding,) = check_source(source)
    assert finding.code == "NG003"
    assert finding.message.startswith(f"'{shown}' keeps the graph's saved tensors")
    assert finding.message.endswith(f"; remove retain_graph={flag}")


def test_ng002_message_parenthesises_and_shortens() -> None:
    message = ng002_message("total", "a +\n    b", after_backward=False)
    assert "'a + b'" in message and "'(a + b).detach()'" in message
    long = ng002_message("preds", "model(" + "x" * 100 + ")", after_backward=True)
    assert "x...x" in long and "xxx).detach()'" in long and len(long) < 300
    assert detached("preds[-1]") == "preds[-1].detach()"
    assert detached("x * 2") == "(x * 2).detach()"


@pytest.mark.parametrize(
    ("stored", "suggested"),
    [
        ("(out, y)", "(out.detach(), y.detach())"),
        ("(out,)", "(out.detach(),)"),
        ("[F.cross_entropy(model(x), y)]", "[F.cross_entropy(model(x), y).detach()]"),
        ('{"logits": out, "step": 1}', '{"logits": out.detach(), "step": 1}'),
        ("(*outs, y + 1)", "(*outs, (y + 1).detach())"),
        ("{**seen, 'x': x}", "({**seen, 'x': x}).detach()"),
        ("(name, v.item(), out.detach().cpu())", "(name.detach(), v.item(), out.detach().cpu())"),
    ],
)
def test_ng002_suggests_valid_code_for_a_container_written_out(stored: str, suggested: str) -> None:
    # A tuple has no ``.detach()``: the message names its elements, detached, instead.
    assert detached(stored) == suggested
    ast.parse(detached(stored), mode="eval")


# -- the command ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        ((), True),
        (("--select", "NG"), True),
        (("--select", "NG00"), True),
        (("--select", "NG002"), False),
        (("--ignore", "NG001"), False),
        (("--select", "NG002", "--extend-select", "NG001"), True),
        (("--select", "NG001,NG002", "--ignore", "NG"), True),  # the most specific wins
        (("--select", "NG", "--ignore", "NG00"), False),
        (("--ignore", "NG", "--select", "NG001"), True),  # the most specific wins
    ],
)
def test_command_line_selection(tmp_path: Path, options: tuple[str, ...], reported: bool) -> None:
    (tmp_path / "infer.py").write_text(OFFENDING)
    result = run(*options, "infer.py", cwd=tmp_path)
    assert result.returncode == (1 if reported else 0), result.stderr
    assert ("NG001" in result.stdout) is reported


@pytest.mark.parametrize("bad", ["NG9", "E501", "ng001"])
def test_unknown_code_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / "infer.py").write_text(OFFENDING)
    result = run("--select", bad, "infer.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"nograd-lint: error: unknown rule code or prefix '{bad}'")
    assert result.stderr.count("\n") == 1


def test_configuration_selects_per_directory_and_the_command_line_goes_over_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nograd-lint]\nignore = ["NG001"]\n')
    (tmp_path / "quiet.py").write_text(OFFENDING)
    loud = tmp_path / "loud"
    loud.mkdir()
    (loud / "pyproject.toml").write_text('[tool.nograd-lint]\nselect = ["NG"]\n')
    (loud / "infer.py").write_text(OFFENDING)
    result = run(".", cwd=tmp_path)
    assert result.returncode == 1
    assert "loud/infer.py:4:7: NG001" in result.stdout and "quiet.py" not in result.stdout
    both = run("--extend-select", "NG001", ".", cwd=tmp_path)
    assert "quiet.py:4:7: NG001" in both.stdout
    neither = run("--select", "NG002", ".", cwd=tmp_path)
    assert (neither.returncode, neither.stdout) == (0, "")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('select = ["NG7"]', "unknown rule code or prefix 'NG7'"),
        ('extend-select = "NG001"', "extend-select must be a list of strings"),
        ("ignore = [1]", "ignore must be a list of strings"),
    ],
)
def test_a_bad_selection_in_the_configuration_is_an_error(
    tmp_path: Path, table: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.nograd-lint]\n{table}\n")
    (tmp_path / "infer.py").write_text(OFFENDING)
    result = run("infer.py", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_fixes_respect_the_selection(tmp_path: Path) -> None:
    (tmp_path / "infer.py").write_text(OFFENDING)
    result = run("--fix", "--unsafe-fixes", "--ignore", "NG001", "infer.py", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "infer.py").read_text() == OFFENDING


def test_rule_ng002_prints_its_page(tmp_path: Path) -> None:
    result = run("rule", "NG002", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == RULES["NG002"].documentation()
    listing = run("rule", cwd=tmp_path).stdout.splitlines()
    assert [line.split()[0] for line in listing] == list(RULES)


# -- outputs --------------------------------------------------------------------------------


def _ng002(line: int = 2) -> Finding:
    message = ng002_message("total", "loss", after_backward=True)
    return Finding(line, 13, NG002, message, "total", line, 17)


def test_sarif_lists_every_rule_and_indexes_each_result() -> None:
    result = FileResult("train.py", [_ng002()])
    sarif = json.loads(format_sarif([result]))
    run_ = sarif["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert rules[1]["name"] == "graph-kept-across-iterations"
    assert rules[1]["helpUri"].endswith("/rule_docs/NG002.md")
    (reported,) = run_["results"]
    assert (reported["ruleId"], reported["ruleIndex"]) == ("NG002", 1)


def test_statistics_name_each_rule() -> None:
    text = format_statistics([FileResult("a.py", [_ng002(2), _ng002(3)])])
    assert text == "2\tNG002\tgraph-kept-across-iterations\n"


def test_noqa_suppresses_ng002_by_code_and_by_prefix() -> None:
    source = "for x in xs:\n    total += loss  # noqa: {}\n"
    for code, kept in (("NG002", 0), ("NG0", 0), ("NG", 0), ("NG001", 1)):
        text = source.format(code)
        assert len(without_suppressed([_ng002()], text, "t.py")) == kept, code


# -- flake8 ---------------------------------------------------------------------------------


def _flake8(tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    (tmp_path / "infer.py").write_text(OFFENDING)
    return subprocess.run(
        [tool("flake8"), "--isolated", *options, "infer.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        (("--select", "NG"), True),
        (("--select", "NG00"), True),
        (("--select", "NG001"), True),
        (("--select", "NG002"), False),
        (("--select", "E", "--extend-select", "NG001"), True),
        (("--select", "NG", "--ignore", "NG001"), False),
    ],
)
def test_flake8_selects_by_its_own_options(
    tmp_path: Path, options: tuple[str, ...], reported: bool
) -> None:
    result = _flake8(tmp_path, *options)
    assert ("NG001" in result.stdout) is reported, result.stdout + result.stderr


def test_notebooks_follow_the_selection_in_the_report_and_the_fix(tmp_path: Path) -> None:
    notebook = tmp_path / "nb.ipynb"
    original = (Path(__file__).parent / "notebooks" / "cross_cell.ipynb").read_bytes()
    notebook.write_bytes(original)
    assert "NG001" in run("nb.ipynb", cwd=tmp_path).stdout
    quiet = run("--ignore", "NG001", "nb.ipynb", cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout) == (0, "")
    fixed = run("--fix", "--unsafe-fixes", "--ignore", "NG001", "nb.ipynb", cwd=tmp_path)
    assert fixed.returncode == 0
    assert notebook.read_bytes() == original


def test_a_rule_off_by_default_is_in_flake8s_default_ignore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nograd_lint import flake8_plugin

    class Parser:
        def __init__(self) -> None:
            self.ignored: list[str] = []

        def extend_default_ignore(self, codes: list[str]) -> None:
            self.ignored += codes

        def add_option(self, *args: object, **kwargs: object) -> None:
            pass

    parser = Parser()
    flake8_plugin.NogradChecker.add_options(parser)
    assert parser.ignored == []  # every rule is on by default today
    off = {**RULES, "NG002": RULES["NG002"]._replace(default_enabled=False)}
    monkeypatch.setattr(flake8_plugin, "RULES", off)
    flake8_plugin.NogradChecker.add_options(parser)
    assert parser.ignored == ["NG002"]


def test_the_fix_summary_counts_per_rule() -> None:
    from nograd_lint.cli import _sites

    one = FileResult("a.py", fixed=2, fixed_codes=("NG001", "NG001"))
    both = FileResult("b.py", fixed=1, fixed_codes=("NG002",))
    assert _sites([one], 2) == "2 NG001 sites"
    assert _sites([one, both], 3) == "3 sites (2 NG001, 1 NG002)"
    assert _sites([FileResult("c.py", [_ng002()])], 0) == "0 NG002 sites"
    assert _sites([], 0) == "0 sites"


def test_the_notebook_quick_fix_fixes_only_the_selected_rules() -> None:
    from nograd_lint.lsp_jobs import fix_cells

    cells = [(0, "import torch\nmodel.eval()\n"), (1, "out = model(x)\n")]
    assert fix_cells(cells, None, 1, None, ()) is not None
    assert fix_cells(cells, None, 1, None, (), codes={"NG001"}) is not None
    assert fix_cells(cells, None, 1, None, (), codes={"NG002"}) is None


def test_recurrent_state_is_told_to_detach_the_state() -> None:
    """``out, h = model(x, h)``: ``.detach()`` on the call would be a tuple's."""
    source = (
        "import torch\n\n\n"
        "def run(model, chunks):\n"
        "    model.eval()\n"
        "    h = torch.zeros(1, 8)\n"
        "    for x in chunks:\n"
        "        out, h = model(x, h)\n"
        "    return out.sum().item()\n"
    )
    from nograd_lint import check_source

    [finding] = [f for f in check_source(source) if f.code == "NG002"]
    assert "'h = h.detach()'" in finding.message
    assert "model(x, h).detach()" not in finding.message
