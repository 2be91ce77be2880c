"""The autofix over every case file: whatever it fixes must compile, lint clean at the fixed
sites, and stay put on a second run (the invariants that benchmarks/fix_at_scale.py checks on
real code bases); and it may only add ``with`` lines, ``import torch`` and indentation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from benchmarks.fix_at_scale import check_file
from nograd_lint.fix import fix_source
from tests.expectations import case_files

CASES = case_files()
PAIRS = sorted((Path(__file__).parent / "fixes").glob("*.in.py"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fix_invariants_on_case_file(path: Path) -> None:
    outcome = check_file(path)
    assert outcome["status"] in ("fixed", "clean", "skipped"), outcome
    assert not outcome.get("problems"), outcome["problems"]


def _strings(text: str) -> list[str]:
    return sorted(
        repr(node.value)
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
    )


ADDED = re.compile(r"^[ \t\f]*(with [\w.]+\(\):|import torch)$")


@pytest.mark.parametrize(
    "path", CASES + PAIRS, ids=[p.stem for p in CASES] + [p.name for p in PAIRS]
)
def test_fix_adds_only_with_lines_imports_and_indentation(path: Path) -> None:
    """NG001's wrap (NG002's ``.detach()`` has tests of its own in ``test_fix_ng002``)."""
    original = path.read_text(encoding="utf-8")
    fixed = fix_source(original, str(path), codes=("NG001",)).text

    def without_added(text: str) -> str:
        kept = (line for line in text.splitlines() if not ADDED.match(line))
        return re.sub(r"\s", "", "".join(kept))

    assert without_added(fixed) == without_added(original)
    assert _strings(fixed) == _strings(original)  # no string literal gained indentation
