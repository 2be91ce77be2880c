"""Inline expectations in case files: ``outputs = model(x)  # expect: NG001``.

Every line without a marker is expected to be silent. The marker is written out in full
so that ``# noqa: NG001`` (which means the opposite) can never be mistaken for it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
_MARKER = re.compile(r"#\s*expect:\s*(?P<codes>NG\d{3}(?:\s*,\s*NG\d{3})*)")


def case_files() -> list[Path]:
    """The case files in syntax the running Python accepts.

    flake8, the command and the autofix parse with the running interpreter, which refuses
    newer syntax (``match`` before 3.10) as any Python of that version would.
    """
    return sorted(path for path in CASES_DIR.glob("*.py") if _compiles(path))


def _compiles(path: Path) -> bool:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def expected(path: Path) -> Counter:
    """(line, code) -> how many findings the case file expects there."""
    counts: Counter = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MARKER.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group("codes")):
                counts[(number, code)] += 1
    return counts
