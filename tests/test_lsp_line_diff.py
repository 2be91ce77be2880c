"""The line comparison behind the language server's fix edits and `--diff` (nograd_lint.line_diff)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from nograd_lint.line_diff import changed_lines

# Few distinct lines, so that repeats (the hard case for a diff) are the rule.
LINES = st.lists(st.sampled_from(["a\n", "b\n", "\n", "    return x\n", "def f():\n", "c"]))


def applied(old: list[str], hunks: list) -> list[str]:
    result, position = [], 0
    for start, end, new_lines in hunks:
        assert position <= start <= end <= len(old)
        result += old[position:start] + new_lines
        position = end
    return result + old[position:]


@given(LINES, LINES)
def test_hunks_turn_old_into_new(old: list[str], new: list[str]) -> None:
    assert applied(old, changed_lines(old, new)) == new


@given(LINES)
def test_no_hunk_for_equal_texts(lines: list[str]) -> None:
    assert changed_lines(lines, list(lines)) == []


def script(functions: int, wrapped: bool) -> list[str]:
    """Functions whose lines repeat everywhere but for the ``def`` line, as fixed code does."""
    lines = []
    for index in range(functions):
        lines += [f"def predict_{index}(model, x):\n", "    model.eval()\n"]
        if wrapped:
            lines += ["    with torch.no_grad():\n", "        y = model(x)\n"]
        else:
            lines += ["    y = model(x)\n"]
        lines += ["    return y\n", "\n"]
    return lines


def test_one_small_hunk_per_wrapped_statement_in_linear_time() -> None:
    old, new = script(20_000, wrapped=False), script(20_000, wrapped=True)  # 100,000 lines
    started = time.perf_counter()
    hunks = changed_lines(old, new)
    seconds = time.perf_counter() - started
    assert applied(old, hunks) == new
    assert hunks[:2] == [
        (2, 3, ["    with torch.no_grad():\n", "        y = model(x)\n"]),
        (7, 8, ["    with torch.no_grad():\n", "        y = model(x)\n"]),
    ]
    assert len(hunks) == 20_000
    assert seconds < 10  # difflib.SequenceMatcher: 51 s for 5,000 lines of such code
