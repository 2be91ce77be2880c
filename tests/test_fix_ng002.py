"""NG002's fix: the stored value gets ``.detach()``; NG001's wrap goes first.

The analysis of NG002 is tested with its own case files; here the findings are made by hand
(``detach_edits``) or by a stand-in analysis that reports the stores of a few plain shapes,
so that the fix's own behaviour is what is tested.
"""

from __future__ import annotations

import ast
import re

import pytest

from nograd_lint import fix
from nograd_lint.api import check_source as real_check_source
from nograd_lint.findings import NG002, Finding, ng002_message
from nograd_lint.fix_detach import ALREADY, NOT_LOCATED, apply, detach_edits
from nograd_lint.source import physical_lines

_STORE = re.compile(
    r"^(?P<lead>\s*)(?:(?P<acc>\w+) \+= (?P<v1>.+?)|(?P<list>\w+)\.append\((?P<v2>.+)\))\s*(#.*)?$"
)


def _fake_ng002(text: str) -> list[Finding]:
    """NG002 for ``x += value`` and ``xs.append(value)`` lines, unless the value is detached
    or the line sits in a ``with torch.no_grad():`` block: enough for the fix's tests."""
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        match = _STORE.match(line)
        if match is None:
            continue
        value = match["v1"] or match["v2"]
        target = match["acc"] or match["list"]
        if value.endswith(".detach()") or _under_no_grad(lines, number, len(match["lead"])):
            continue
        col = match.start("v1") if match["v1"] else match.start("v2")
        message = ng002_message(target, value, after_backward=False)
        found.append(Finding(number, col, NG002, message, target, number, col + len(value)))
    return found


def _under_no_grad(lines: list[str], number: int, indent: int) -> bool:
    for line in reversed(lines[: number - 1]):
        lead = len(line) - len(line.lstrip())
        if line.strip() and lead < indent:
            return line.strip() == "with torch.no_grad():"
    return False


@pytest.fixture
def with_ng002(monkeypatch: pytest.MonkeyPatch) -> None:
    def check_source(source, filename="<stdin>", **options):  # type: ignore[no-untyped-def]
        findings = real_check_source(source, filename, **options)
        text = source if isinstance(source, str) else source.decode()
        seen = {(f.line, f.col, f.code) for f in findings}
        extra = [f for f in _fake_ng002(text) if (f.line, f.col, f.code) not in seen]
        return sorted(findings + extra)  # the real analysis reports some of them itself

    monkeypatch.setattr(fix, "check_source", check_source)


TRAIN = """\
import torch

total = 0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    total += loss
"""


def test_accumulator_is_detached_and_the_fix_is_idempotent(with_ng002: None) -> None:
    result = fix.fix_source(TRAIN)
    assert result.text == TRAIN.replace("total += loss", "total += loss.detach()")
    assert [f.code for f in result.fixed] == [NG002]
    assert result.fixed[0].line == 7 and result.remaining == []
    again = fix.fix_source(result.text)
    assert (again.text, again.fixed, again.skipped) == (result.text, [], [])


@pytest.mark.parametrize(
    ("store", "fixed"),
    [
        ("total += a + b", "total += (a + b).detach()"),
        ("total += -loss", "total += (-loss).detach()"),
        ("total += out[0]", "total += out[0].detach()"),
        ("total += self.loss", "total += self.loss.detach()"),
        ("preds.append(net(x))", "preds.append(net(x).detach())"),
        ("total += (a + b)", "total += (a + b).detach()"),
        ("total += x if c else y", "total += (x if c else y).detach()"),
    ],
)
def test_parentheses_only_where_detach_would_bind_to_a_part(
    with_ng002: None, store: str, fixed: str
) -> None:
    source = f"for x in xs:\n    {store}  # keep\n"
    result = fix.fix_source(source)
    assert result.text == f"for x in xs:\n    {fixed}  # keep\n"
    ast.parse(result.text)


def test_tuple_value_is_refused_with_the_reason(with_ng002: None) -> None:
    source = "for x in xs:\n    outs.append((a, b))\n"
    result = fix.fix_source(source)
    assert result.text == source and not result.fixed
    assert [s.reason for s in result.skipped] == [
        "the stored value is a tuple, not one tensor: detach its tensors by hand"
    ]
    assert [f.code for f in result.remaining] == [NG002]


EVAL_APPEND = """\
import torch

model.eval()
preds = []
for x in loader:
    preds.append(model(x))
"""


def test_the_ng001_wrap_goes_first_and_makes_the_ng002_detach_moot(with_ng002: None) -> None:
    before = fix.check_source(EVAL_APPEND)
    assert sorted(f.code for f in before) == ["NG001", "NG002"]
    result = fix.fix_source(EVAL_APPEND)
    assert ".detach()" not in result.text
    assert "    with torch.no_grad():\n        preds.append(model(x))\n" in result.text
    assert sorted(f.code for f in result.fixed) == ["NG001", "NG002"]
    assert sorted(result.fixed) == sorted(before)  # at the original's positions
    assert result.remaining == []


def test_ng002_outside_the_wrapped_statement_is_still_detached(with_ng002: None) -> None:
    source = EVAL_APPEND.replace(
        "    preds.append(model(x))\n", "    out = model(x)\n    total += loss\n"
    )
    result = fix.fix_source(source)
    assert "    with torch.no_grad():\n        out = model(x)\n    total += loss.detach()\n" in (
        result.text
    )
    assert sorted(f.code for f in result.fixed) == ["NG001", "NG002"]
    assert [f.line for f in result.fixed if f.code == NG002] == [7]  # the original's line


def test_selected_codes_only(with_ng002: None) -> None:
    only_ng001 = fix.fix_source(TRAIN, codes={"NG001"})
    assert only_ng001.text == TRAIN and only_ng001.remaining == []
    only_ng002 = fix.fix_source(EVAL_APPEND, codes={"NG002"})
    assert "preds.append(model(x).detach())" in only_ng002.text
    assert "no_grad" not in only_ng002.text


def test_lines_limit_the_detach_to_the_findings_starting_there(with_ng002: None) -> None:
    source = "for x in xs:\n    a += x\n    b += x\n"
    result = fix.fix_source(source, lines={3})
    assert result.text == "for x in xs:\n    a += x\n    b += x.detach()\n"
    assert [f.line for f in result.remaining] == [2]


# -- the edit itself, from hand-made findings ---------------------------------------------


def _finding(line: int, col: int, end_col: int, end_line: int | None = None) -> Finding:
    return Finding(line, col, NG002, "m", "total", end_line or line, end_col)


def _edit(source: str, *findings: Finding) -> tuple[str, list[str]]:
    lines = physical_lines(source)
    insertions, _, refused = detach_edits(ast.parse(source), lines, findings)
    return apply(lines, insertions), [reason for _, reason in refused]


def test_columns_count_code_points() -> None:
    source = "for x in xs:\n    tötäl['é'] += lössé  # ü\n"
    col = source.splitlines()[1].index("lössé")
    text, refused = _edit(source, _finding(2, col, col + 5))
    assert text == "for x in xs:\n    tötäl['é'] += lössé.detach()  # ü\n"
    assert refused == []


def test_a_span_that_takes_in_the_parentheses_gets_one_detach() -> None:
    source = "total += ( a + b )\n"
    text, _ = _edit(source, _finding(1, 9, 18))
    assert text == "total += ( a + b ).detach()\n"


def test_multi_line_value_is_parenthesised_across_its_lines() -> None:
    source = "preds.append(a +\n             b)\n"
    text, _ = _edit(source, _finding(1, 13, 14, end_line=2))
    assert text == "preds.append((a +\n             b).detach())\n"
    ast.parse(text)


def test_two_findings_on_one_value_detach_it_once() -> None:
    source = "total = other = loss\n"
    text, _ = _edit(source, _finding(1, 16, 20), _finding(1, 16, 20))
    assert text == "total = other = loss.detach()\n"


@pytest.mark.parametrize(
    ("source", "span", "reason"),
    [
        ("total += loss.detach()\n", (9, 22), ALREADY),
        ("total += loss\n", (3, 7), NOT_LOCATED),
        (
            "preds.append(*outs)\n",
            (13, 18),
            "the stored value is unpacked (*value); detach its tensors by hand",
        ),
        (
            "preds.append([a, b])\n",
            (13, 19),
            "the stored value is a list, not one tensor: detach its tensors by hand",
        ),
        (
            "out, hidden = model(x, hidden)\n",
            (14, 30),
            "the stored value is unpacked into several names; detach its tensors by hand",
        ),
        (  # ``(loss if not warmup else 0).detach()`` fails on the 0
            "total += loss if not warmup else 0\n",
            (9, 34),
            "the stored value is chosen at run time (an 'if' expression), and one choice is a"
            " constant, which has no .detach(): detach the tensor by hand",
        ),
        (
            "total += loss or 0\n",
            (9, 18),
            "the stored value is chosen at run time ('and'/'or'), and one choice is a constant,"
            " which has no .detach(): detach the tensor by hand",
        ),
        (
            "total += loss.item\n",
            (9, 18),
            "the stored value is the method 'item' itself, not what calling it returns",
        ),
    ],
)
def test_refusals(source: str, span: tuple[int, int], reason: str) -> None:
    text, refused = _edit(source, _finding(1, *span))
    assert (text, refused) == (source, [reason])


WINDOW_HANDED_ON = """\
import torch
import torch.nn.functional as F


def train(model: torch.nn.Module, loader):
    kept = []
    window = []
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        window.append(loss)
        kept.extend(window)
        window.clear()
    return len(kept)
"""


PAIRS_KEPT = WINDOW_HANDED_ON.replace(
    "        window.append(loss)\n        kept.extend(window)\n        window.clear()\n",
    "        pair = (loss, loss * 2)\n        kept.append(pair)\n",
)
STATS_KEPT = WINDOW_HANDED_ON.replace(
    "        window.append(loss)\n        kept.extend(window)\n        window.clear()\n",
    "        stats = {}\n        stats['loss'] = loss\n        kept.append(stats)\n",
)


@pytest.mark.parametrize(
    ("source", "line", "kind"),
    [(WINDOW_HANDED_ON, 12, "list"), (PAIRS_KEPT, 12, "tuple"), (STATS_KEPT, 13, "dict")],
)
def test_a_name_holding_a_container_is_refused_not_detached(
    source: str, line: int, kind: str
) -> None:
    # ``kept.extend(window.detach())`` would raise AttributeError: a list has no detach.
    findings = real_check_source(source)
    assert [(f.code, f.line) for f in findings] == [(NG002, line)]
    assert f"is a {kind} whose elements hold their autograd graphs" in findings[0].message
    result = fix.fix_source(source)
    assert result.text == source and not result.fixed
    assert [s.reason for s in result.skipped] == [
        f"the stored value is a {kind}, not one tensor: detach its tensors by hand"
    ]
