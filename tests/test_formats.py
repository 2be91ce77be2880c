"""The CI formats: SARIF 2.1.0 (validated against the official OASIS schema) and GitHub
workflow annotations."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import tool

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
SOURCE = "import torch\n\nnet = Net().eval()\nlogits = net(\n    x,\n)\n"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    (tmp_path / "pkg" / "infer.py").write_text(SOURCE)
    (tmp_path / "pkg" / "broken.py").write_text("net.eval(\n")
    return subprocess.run(
        [tool("nograd-lint"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def sarif(tmp_path: Path) -> dict:
    result = _run(tmp_path, "--format", "sarif", "pkg")
    assert result.returncode == 2  # broken.py could not be parsed
    return json.loads(result.stdout)


def test_sarif_is_valid_against_the_official_schema(sarif: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(sarif)


def test_sarif_carries_rule_metadata_and_regions(sarif: dict) -> None:
    run = sarif["runs"][0]
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["id"] == "NG001"
    assert rule["helpUri"].endswith("src/nograd_lint/rule_docs/NG001.md")
    assert "torch.no_grad()" in rule["help"]["text"]
    (result,) = run["results"]
    assert result["ruleId"] == "NG001" and result["level"] == "warning"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "pkg/infer.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 4, "startColumn": 10, "endLine": 6, "endColumn": 2}


def test_sarif_reports_unparsable_files_as_notifications(sarif: dict) -> None:
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("syntax error")


def test_github_annotations(tmp_path: Path) -> None:
    result = _run(tmp_path, "--format", "github", "pkg")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::error file=pkg/broken.py,title=nograd-lint::syntax error")
    assert lines[1].startswith(
        "::warning file=pkg/infer.py,line=4,col=10,endLine=6,endColumn=2,title=NG001::"
        "NG001 forward pass of eval-mode model 'net'"
    )


def test_github_escapes_workflow_command_syntax() -> None:
    from nograd_lint.findings import Finding
    from nograd_lint.formatters import FileResult, format_github

    finding = Finding(1, 0, "NG001", "50% of\nit", "m", 1, 4)
    (line,) = format_github([FileResult("a,b:c.py", [finding])]).splitlines()
    assert line.startswith("::warning file=a%2Cb%3Ac.py,line=1,")
    assert line.endswith("::NG001 50%25 of%0Ait")
