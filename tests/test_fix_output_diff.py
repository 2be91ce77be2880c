"""What ``--diff`` prints (nograd_lint.fix_output.unified_diff): a patch that turns the
file into its fixed text, hunks as ``diff -u`` writes them, in time linear in the file."""

from __future__ import annotations

import difflib
import re
import time

from hypothesis import given
from hypothesis import strategies as st

from nograd_lint.fix_output import unified_diff

# Few distinct lines, so that repeats (the hard case for a diff) are the rule; "c" has no
# newline, as a file's last line may not.
LINES = st.lists(st.sampled_from(["a\n", "b\n", "\n", "    return x\n", "def f():\n", "c"]))
HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n")


def patched(old: str, patch: str) -> str:
    """``old`` with ``patch`` applied, checking every count and context line as ``patch``
    would."""
    lines = old.splitlines(keepends=True) if old else []
    body: list[str] = []
    for line in patch.splitlines(keepends=True):
        if line == "\\ No newline at end of file\n":
            body[-1] = body[-1][:-1]  # the line before it ends the file without one
        else:
            body.append(line)
    assert body[:2] == ["--- a/f.py\n", "+++ b/f.py\n"]
    result: list[str] = []
    position = 0
    index = 2
    while index < len(body):
        match = HUNK.fullmatch(body[index])
        assert match, body[index]
        start, length = int(match[1]), int(match[2] or 1)
        start = start - 1 if length else start
        assert start >= position
        result += lines[position:start]
        position = start
        index += 1
        removed = added = 0
        while index < len(body) and not body[index].startswith("@@"):
            sign, text = body[index][0], body[index][1:]
            if sign in " -":
                assert lines[position] == text
                position += 1
                removed += 1
            if sign in " +":
                result.append(text)
                added += 1
            index += 1
        assert removed == length and added == int(match[4] or 1)
    return "".join(result + lines[position:])


def _joined(lines: list[str]) -> str:
    """Lines as read back from a patch, where only the last may lack its newline."""
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines[:-1]) + (
        lines[-1] if lines else ""
    )


@given(LINES, LINES)
def test_the_patch_turns_the_file_into_its_fixed_text(old: list[str], new: list[str]) -> None:
    before, after = _joined(old), _joined(new)
    patch = unified_diff(before, after, "f.py")
    assert (patch == "") == (before == after)
    if patch:
        assert patched(before, patch) == after


def test_a_fix_is_shown_as_diff_u_shows_it() -> None:
    """Where the lines changed are plain, the hunks are ``difflib``'s to the byte."""
    before = "".join(
        f"def f{i}(model, x):\n    model.eval()\n    return model(x)\n\n" for i in range(9)
    )
    after = before.replace(
        "def f2(model, x):\n    model.eval()\n    return model(x)\n",
        "def f2(model, x):\n    model.eval()\n    with torch.no_grad():\n        return model(x)\n",
    ).replace("def f7(model, x):\n    model.eval()\n", "def f7(model, x):\n    model.train()\n")
    expected = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), "a/f.py", "b/f.py"
        )
    )
    assert expected.count("@@ -") == 2
    assert unified_diff(before, after, "f.py") == expected


def test_thousands_of_fixes_take_linear_time() -> None:
    """``difflib`` took 10 s for 4,000 wrapped calls: its matching is quadratic in the
    lines that repeat (``return``, blank lines) and every fixed function repeats them."""
    unit = "def predict_{i}(model, x):\n    model.eval()\n{body}    return y\n\n\n"
    plain, wrapped = "    y = model(x)\n", "    with torch.no_grad():\n        y = model(x)\n"
    before = "".join(unit.format(i=i, body=plain) for i in range(20_000))
    after = "".join(unit.format(i=i, body=wrapped) for i in range(20_000))
    started = time.perf_counter()
    patch = unified_diff(before, after, "f.py")
    assert time.perf_counter() - started < 10
    assert patch.count("\n+        y = model(x)\n") == 20_000
    assert patched(before, patch) == after
