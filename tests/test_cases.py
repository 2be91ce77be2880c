"""Every case file, through the API, through real flake8, and through the command line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from nograd_lint import check_source
from tests.conftest import tool
from tests.expectations import Found, case_files, expectations, expected, mismatches

CASES = case_files()
IDS = [p.stem for p in CASES]


def _check(path: Path, found: list[Found]) -> None:
    report = mismatches(path, found)
    if report:
        pytest.fail(report, pytrace=False)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_api(path: Path) -> None:
    findings = check_source(path.read_text(encoding="utf-8"), str(path))
    _check(path, [Found(f.line, f.code, f.col + 1) for f in findings])


@pytest.fixture(scope="module")
def flake8_output() -> dict[str, list[Found]]:
    result = subprocess.run(
        [tool("flake8"), "--isolated", "--select=NG", *map(str, CASES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    per_file: dict[str, list[Found]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>NG\d+) ", line)
        assert match, line
        finding = Found(int(match["line"]), match["code"], int(match["col"]))
        per_file.setdefault(Path(match["path"]).name, []).append(finding)
    return per_file


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_flake8(path: Path, flake8_output: dict[str, list[Found]]) -> None:
    _check(path, flake8_output.get(path.name, []))


@pytest.fixture(scope="module")
def cli_json() -> tuple[int, dict[str, list[Found]]]:
    result = subprocess.run(
        [tool("nograd-lint"), "--format", "json", *map(str, CASES)],
        capture_output=True,
        text=True,
        check=False,
    )
    per_file: dict[str, list[Found]] = {}
    for item in json.loads(result.stdout):
        finding = Found(item["line"], item["code"], item["column"])
        per_file.setdefault(Path(item["path"]).name, []).append(finding)
    return result.returncode, per_file


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_cli(path: Path, cli_json: tuple[int, dict[str, list[Found]]]) -> None:
    _check(path, cli_json[1].get(path.name, []))


def test_cli_exit_code_over_all_cases(cli_json: tuple[int, dict[str, list[Found]]]) -> None:
    assert cli_json[0] == 1  # the case files hold findings


def test_case_files_exist_and_carry_expectations() -> None:
    assert len(CASES) >= 9
    assert sum(sum(expected(p).values()) for p in CASES) >= 20
    # Columns are checked on real findings, not only in the parser's own tests.
    assert sum(1 for p in CASES for e in expectations(p) if e.column) >= 30
