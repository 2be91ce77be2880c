"""Inline expectations in case files: ``outputs = model(x)  # expect: NG001``.

Every line without a marker is expected to be silent. The marker is written out in full
so that ``# noqa: NG001`` (which means the opposite) can never be mistaken for it.

A marker may also name the column where the finding starts, 1-based as flake8 prints it
(the ``Finding.col`` of the API plus one): ``loss = crit(model(x), y)  # expect: NG001:13``.
A line with several findings lists one code per finding, separated by commas:
``# expect: NG001:12, NG001:23``. A code without a column matches a finding of that code at
any column of its line, so a column is worth writing where the line holds more than one call.
A marker that does not parse raises ``MarkerError`` instead of quietly expecting nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"

#: Where a marker starts. The missing-colon spelling is caught too, as a malformed marker.
_MARKER_START = re.compile(r"#\s*expect(?::|\s+NG)")
_MARKER = re.compile(r"#\s*expect:(?P<items>.*)$")
_ITEM = re.compile(r"(?P<code>NG\d{3})(?::(?P<column>[1-9]\d*))?")


class MarkerError(ValueError):
    """An ``# expect:`` marker that does not follow the grammar above."""


@dataclass(frozen=True)
class Expected:
    """One finding a case file expects; ``column`` is 1-based, ``None`` for any column."""

    line: int
    code: str
    column: int | None = None


@dataclass(frozen=True)
class Found:
    """One finding a front end reported, with its column 1-based as flake8 prints it."""

    line: int
    code: str
    column: int


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


def parse_marker(text: str) -> list[tuple[str, int | None]]:
    """The (code, column) pairs a line's marker expects; empty when the line has none."""
    start = _MARKER_START.search(text)
    if not start:
        return []
    marker = _MARKER.match(text, start.start())
    items = marker.group("items").split(",") if marker else [""]
    matches = [_ITEM.fullmatch(item.strip()) for item in items]
    if not all(matches):
        raise MarkerError(
            f"malformed marker {text[start.start() :]!r}: write '# expect: NG001' or "
            "'# expect: NG001:COLUMN' (1-based), several separated by commas"
        )
    return [
        (match["code"], int(match["column"]) if match["column"] else None)
        for match in matches
        if match
    ]


def expectations(path: Path) -> list[Expected]:
    """Every finding the case file expects, in line order."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            pairs = parse_marker(line)
        except MarkerError as error:
            raise MarkerError(f"{path}:{number}: {error}") from None
        found.extend(Expected(number, code, column) for code, column in pairs)
    return found


def expected(path: Path) -> Counter:
    """(line, code) -> how many findings the case file expects there, columns aside."""
    return Counter((e.line, e.code) for e in expectations(path))


def mismatches(path: Path, found: Iterable[Found]) -> str:
    """Empty when ``found`` is what the markers of ``path`` expect; otherwise one entry per
    line that differs, with what was expected, what was found and the line's text."""
    wanted: dict[int, list[Expected]] = {}
    for item in expectations(path):
        wanted.setdefault(item.line, []).append(item)
    got: dict[int, list[Found]] = {}
    for finding in found:
        got.setdefault(finding.line, []).append(finding)
    lines = path.read_text(encoding="utf-8").splitlines()
    report = []
    for number in sorted(set(wanted) | set(got)):
        expected_here, found_here = wanted.get(number, []), got.get(number, [])
        if _same(expected_here, found_here):
            continue
        text = lines[number - 1].strip() if 0 < number <= len(lines) else "<past the end>"
        report.append(
            f"{_shown(path)}:{number}: expected {_listing(expected_here)}; found {_listing(found_here)}"
            f"\n    {text}"
        )
    if not report:
        return ""
    header = f"{len(report)} line(s) differ from their # expect: markers (CODE:COLUMN, 1-based):"
    return "\n".join([header, *report])


def _shown(path: Path) -> str:
    """The path from the repository root when it is inside it, shorter to read in a report."""
    try:
        return str(path.resolve().relative_to(CASES_DIR.parent.parent))
    except ValueError:
        return str(path)


def _same(wanted: list[Expected], found: list[Found]) -> bool:
    """Whether the findings of one line satisfy its expectations, one finding each.

    Expectations with a column claim their findings first; those without one then take any
    that are left of their code, so the order of a marker's items never matters.
    """
    left = Counter((f.code, f.column) for f in found)
    anywhere: Counter = Counter()
    for item in wanted:
        if item.column is None:
            anywhere[item.code] += 1
        elif left[(item.code, item.column)]:
            left[(item.code, item.column)] -= 1
        else:
            return False
    remaining = Counter(code for (code, _), count in left.items() for _ in range(count))
    return remaining == anywhere


def _listing(items: list[Expected] | list[Found]) -> str:
    if not items:
        return "nothing"
    return ", ".join(
        item.code if item.column is None else f"{item.code}:{item.column}"
        for item in sorted(items, key=lambda i: (i.code, i.column or 0))
    )
