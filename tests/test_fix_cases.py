"""The autofix over every case file: whatever it fixes must compile, lint clean at the fixed
sites, and stay put on a second run (the invariants that benchmarks/fix_at_scale.py checks on
real code bases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fix_at_scale import check_file
from tests.expectations import case_files

CASES = case_files()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fix_invariants_on_case_file(path: Path) -> None:
    outcome = check_file(path)
    assert outcome["status"] in ("fixed", "clean", "skipped"), outcome
    assert not outcome.get("problems"), outcome["problems"]
