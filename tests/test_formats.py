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


# -- why a model counts as in eval mode --------------------------------------------------------

EXPLAINED = """\
from transformers import AutoModel


class Predictor:
    def __init__(self, model):
        self.model = model
        self.model.eval()

    def __call__(self, x):
        return self.model(x)


net = Net().eval()


def serve(batch):
    return net(batch)


def run_test(m, x):
    return m(x)


other = Net()
other.eval()
run_test(other, 1)
lm = AutoModel.from_pretrained("x")
y = lm(z)
"""


def test_findings_say_where_the_model_was_put_in_eval_mode() -> None:
    from nograd_lint import check_source
    from nograd_lint.findings import Related

    related = {f.model: f.related for f in check_source(EXPLAINED)}
    assert related == {
        "self.model": (
            Related(
                7,
                8,
                7,
                25,
                "'self.model' is put in eval mode here, and no method of the class puts it "
                "back in train mode",
            ),
        ),
        "net": (
            Related(
                13,
                6,
                13,
                18,
                "'net' is put in eval mode here at module level, and nothing in the module "
                "puts it back in train mode",
            ),
        ),
        "m": (
            Related(
                25,
                0,
                25,
                12,
                "'other' is put in eval mode here; every caller passes parameter 'm' a model "
                "in eval mode",
            ),
        ),
        "lm": (
            Related(
                27,
                5,
                27,
                35,
                "'lm' is loaded here by from_pretrained(), which returns a model in eval mode",
            ),
        ),
    }


def test_sarif_and_json_carry_the_related_locations(tmp_path: Path) -> None:
    (tmp_path / "explained.py").write_text(EXPLAINED)
    sarif = subprocess.run(
        [tool("nograd-lint"), "--format", "sarif", "explained.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    log = json.loads(sarif.stdout)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    first = log["runs"][0]["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    (related,) = first["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "explained.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 9, "endLine": 7, "endColumn": 26},
    }
    assert related["message"]["text"].startswith("'self.model' is put in eval mode here")

    as_json = subprocess.run(
        [tool("nograd-lint"), "--format", "json", "explained.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    loader = json.loads(as_json.stdout)[-1]
    assert loader["model"] == "lm"
    assert loader["related"] == [
        {
            "line": 27,
            "column": 6,
            "end_line": 27,
            "end_column": 36,
            "message": "'lm' is loaded here by from_pretrained(), which returns a model in "
            "eval mode",
        }
    ]
