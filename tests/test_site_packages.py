"""Does not crash on site code: a bounded sample of the test environment's ``site-packages``.

Installed packages (torch, hypothesis, libcst, pygments, ...) are large, varied, real Python.
Files that the pre-filter passes cost a LibCST parse each, so the sample takes every
n-th of those under 60 kB, spread over all packages, plus the first files of the tree; it runs in
seconds. ``benchmarks/crash_free.py`` is the unbounded version over whole code bases.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from nograd_lint import SourceError, check_source
from nograd_lint.errors import InternalError
from nograd_lint.prefilter import might_have_findings

ANALYSED_FILES = 40
OTHER_FILES = 200
#: Larger files cost over a second each; crash_free.py covers them.
MAX_BYTES = 60_000


def _sample() -> list[Path]:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob("*.py") if p.stat().st_size <= MAX_BYTES)
    analysed = [p for p in files if might_have_findings(p.read_bytes().decode("utf-8", "replace"))]
    stride = max(1, len(analysed) // ANALYSED_FILES)
    passed = set(analysed)
    return analysed[::stride][:ANALYSED_FILES] + [p for p in files if p not in passed][:OTHER_FILES]


SAMPLE = _sample()


def test_the_sample_reaches_the_analysis() -> None:
    assert len(SAMPLE) >= ANALYSED_FILES


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: "/".join(p.parts[-2:]))
def test_site_code_is_analysed_or_refused_in_one_line(path: Path) -> None:
    try:
        findings = check_source(path.read_bytes(), str(path))
    except InternalError as error:
        pytest.fail(str(error))
    except SourceError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert all(
        f.line >= 1 and f.col >= 0 and (f.end_line, f.end_col) >= (f.line, f.col) for f in findings
    )
