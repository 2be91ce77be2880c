"""Every case file, through the API, through real flake8, and through the command line."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from nograd_lint import check_source
from tests.conftest import tool
from tests.expectations import case_files, expected

CASES = case_files()
IDS = [p.stem for p in CASES]


def _describe(found: Counter, wanted: Counter) -> str:
    missing = sorted((wanted - found).elements())
    extra = sorted((found - wanted).elements())
    return f"missing (line, code): {missing}; unexpected: {extra}"


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_api(path: Path) -> None:
    findings = check_source(path.read_text(encoding="utf-8"), str(path))
    found = Counter((f.line, f.code) for f in findings)
    wanted = expected(path)
    assert found == wanted, _describe(found, wanted)


@pytest.fixture(scope="module")
def flake8_output() -> dict[str, Counter]:
    result = subprocess.run(
        [tool("flake8"), "--isolated", "--select=NG", *map(str, CASES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    per_file: dict[str, Counter] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>NG\d+) ", line)
        assert match, line
        per_file.setdefault(Path(match["path"]).name, Counter())[
            (int(match["line"]), match["code"])
        ] += 1
    return per_file


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_flake8(path: Path, flake8_output: dict[str, Counter]) -> None:
    found = flake8_output.get(path.name, Counter())
    wanted = expected(path)
    assert found == wanted, _describe(found, wanted)


@pytest.fixture(scope="module")
def cli_json() -> tuple[int, dict[str, Counter]]:
    result = subprocess.run(
        [tool("nograd-lint"), "--format", "json", *map(str, CASES)],
        capture_output=True,
        text=True,
        check=False,
    )
    per_file: dict[str, Counter] = {}
    for item in json.loads(result.stdout):
        per_file.setdefault(Path(item["path"]).name, Counter())[(item["line"], item["code"])] += 1
    return result.returncode, per_file


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_cli(path: Path, cli_json: tuple[int, dict[str, Counter]]) -> None:
    found = cli_json[1].get(path.name, Counter())
    wanted = expected(path)
    assert found == wanted, _describe(found, wanted)


def test_cli_exit_code_over_all_cases(cli_json: tuple[int, dict[str, Counter]]) -> None:
    assert cli_json[0] == 1  # the case files hold findings


def test_case_files_exist_and_carry_expectations() -> None:
    assert len(CASES) >= 9
    assert sum(sum(expected(p).values()) for p in CASES) >= 20
