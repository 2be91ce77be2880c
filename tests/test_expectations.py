"""The ``# expect:`` markers of the case files: their grammar and how findings are held to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.expectations import (
    Expected,
    Found,
    MarkerError,
    expectations,
    expected,
    mismatches,
    parse_marker,
)


@pytest.mark.parametrize(
    "line, pairs",
    [
        ("out = model(x)", []),
        ("out = model(x)  # noqa: NG001", []),
        ("out = model(x)  # expected to stay silent", []),
        ("out = model(x)  # expect: NG001", [("NG001", None)]),
        ("out = model(x)  # expect: NG001:7", [("NG001", 7)]),
        ("out = model(x)  #expect:NG001:17", [("NG001", 17)]),
        ("a, b = m(x), n(x)  # expect: NG001:8, NG001:14", [("NG001", 8), ("NG001", 14)]),
        ("a, b = m(x), n(x)  # expect: NG001 ,NG002:14  ", [("NG001", None), ("NG002", 14)]),
        ("e = model(x)  # noqa: E501  # expect: NG001:5", [("NG001", 5)]),
    ],
)
def test_parse_marker(line: str, pairs: list) -> None:
    assert parse_marker(line) == pairs


@pytest.mark.parametrize(
    "line",
    [
        "model(x)  # expect:",
        "model(x)  # expect: NG1",
        "model(x)  # expect: ng001",
        "model(x)  # expect: NG001:0",
        "model(x)  # expect: NG001:07",
        "model(x)  # expect: NG001:x",
        "model(x)  # expect: NG001:",
        "model(x)  # expect: NG001 NG001",
        "model(x)  # expect: NG001,",
        "model(x)  # expect: NG001, because the model is in eval mode",
        "model(x)  # expect NG001",
    ],
)
def test_malformed_marker_raises(line: str) -> None:
    with pytest.raises(MarkerError, match="malformed marker '# expect"):
        parse_marker(line)


def _case(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.py"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_malformed_marker_in_a_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = _case(tmp_path, "model.eval()\nmodel(x)  # expect: NG001:0\n")
    with pytest.raises(MarkerError, match=r"case\.py:2: malformed marker"):
        expectations(path)


def test_expectations_and_the_column_blind_count(tmp_path: Path) -> None:
    path = _case(tmp_path, "a = 1\nb, c = m(x), n(x)  # expect: NG001:8, NG001\n")
    assert expectations(path) == [Expected(2, "NG001", 8), Expected(2, "NG001", None)]
    assert expected(path) == {(2, "NG001"): 2}


LINE = "b, c = m(x), n(x)"


@pytest.mark.parametrize(
    "marker, found",
    [
        ("NG001:8", [Found(1, "NG001", 8)]),
        ("NG001", [Found(1, "NG001", 14)]),
        ("NG001:8, NG001:14", [Found(1, "NG001", 14), Found(1, "NG001", 8)]),
        ("NG001:14, NG001:8", [Found(1, "NG001", 8), Found(1, "NG001", 14)]),
        # The column-less code takes whichever finding the named column leaves over.
        ("NG001, NG001:8", [Found(1, "NG001", 8), Found(1, "NG001", 14)]),
        ("NG001:14, NG001", [Found(1, "NG001", 14), Found(1, "NG001", 8)]),
    ],
)
def test_findings_that_match(tmp_path: Path, marker: str, found: list[Found]) -> None:
    path = _case(tmp_path, f"{LINE}  # expect: {marker}\n")
    assert mismatches(path, found) == ""


@pytest.mark.parametrize(
    "marker, found, complaint",
    [
        ("NG001:8", [Found(1, "NG001", 14)], "expected NG001:8; found NG001:14"),
        ("NG001:8", [], "expected NG001:8; found nothing"),
        ("NG001", [], "expected NG001; found nothing"),
        ("NG001:8", [Found(1, "NG002", 8)], "expected NG001:8; found NG002:8"),
        (
            "NG001:8",
            [Found(1, "NG001", 8), Found(1, "NG001", 14)],
            "expected NG001:8; found NG001:8, NG001:14",
        ),
        (
            "NG001:8, NG001:8",
            [Found(1, "NG001", 8), Found(1, "NG001", 14)],
            "expected NG001:8, NG001:8; found NG001:8, NG001:14",
        ),
        ("NG001, NG001", [Found(1, "NG001", 8)], "expected NG001, NG001; found NG001:8"),
    ],
)
def test_findings_that_differ_are_reported_with_the_line(
    tmp_path: Path, marker: str, found: list[Found], complaint: str
) -> None:
    path = _case(tmp_path, f"{LINE}  # expect: {marker}\n")
    report = mismatches(path, found)
    assert f"case.py:1: {complaint}\n    {LINE}  # expect: {marker}" in report
    assert report.startswith("1 line(s) differ")


def test_a_finding_on_a_silent_line_is_reported(tmp_path: Path) -> None:
    path = _case(tmp_path, "model.eval()\nout = model(x)\n")
    report = mismatches(path, [Found(2, "NG001", 7)])
    assert "case.py:2: expected nothing; found NG001:7\n    out = model(x)" in report
