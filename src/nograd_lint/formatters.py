"""Output formats of the standalone command. Each turns results into text for stdout."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import quote

from ._version import __version__
from .findings import Finding
from .rules import RULES

if TYPE_CHECKING:
    from .fix import Skipped


@dataclass
class FileResult:
    """What linting (or fixing) one file gave: findings left, or the one-line reason it could
    not be linted; with ``--fix``/``--diff`` also what was fixed and what was not."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    fixed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    diff: str = ""
    fixed_bytes: bytes | None = None


def format_text(results: list[FileResult]) -> str:
    """``path:line:col: NG001 message``, columns 1-based as flake8 prints them."""
    return "".join(
        f"{r.path}:{f.line}:{f.col + 1}: {f.code} {f.message}\n"
        for r in results
        for f in r.findings
    )


def format_json(results: list[FileResult]) -> str:
    """A JSON list with one object per finding; the schema is in the README."""
    items = [
        {
            "path": r.path,
            "line": f.line,
            "column": f.col + 1,
            "end_line": f.end_line,
            "end_column": f.end_col + 1,
            "code": f.code,
            "message": f.message,
            "model": f.model,
        }
        for r in results
        for f in r.findings
    ]
    return json.dumps(items, indent=2) + "\n"


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def format_github(results: list[FileResult]) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on the PR diff."""
    lines = []
    for r in results:
        path = _github_escape(r.path, prop=True)
        if r.error is not None:
            lines.append(f"::error file={path},title=nograd-lint::{_github_escape(r.error)}")
        for f in r.findings:
            lines.append(
                f"::warning file={path},line={f.line},col={f.col + 1},endLine={f.end_line},"
                f"endColumn={f.end_col + 1},title={f.code}::{_github_escape(f.code + ' ' + f.message)}"
            )
    return "".join(line + "\n" for line in lines)


def _artifact(path: str) -> dict:
    posix = Path(path).as_posix()
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(posix), "uriBaseId": "%SRCROOT%"}


def _sarif_rule(code: str) -> dict:
    rule = RULES[code]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": f"{rule.explanation}\n\n{rule.fix}",
            "markdown": f"{rule.explanation}\n\n{rule.fix}",
        },
        "helpUri": rule.url,
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["performance", "pytorch", "memory"]},
    }


def format_sarif(results: list[FileResult]) -> str:
    """SARIF 2.1.0, as GitHub code scanning and other CI dashboards ingest it."""
    codes = list(RULES)
    sarif_results = [
        {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": "warning",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(r.path),
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.col + 1,
                            "endLine": f.end_line,
                            "endColumn": f.end_col + 1,
                        },
                    },
                }
            ],
        }
        for r in results
        for f in r.findings
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": r.error},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(r.path)}}],
        }
        for r in results
        if r.error is not None
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nograd-lint",
                        "version": __version__,
                        "informationUri": "https://github.com/nograd-lint/nograd-lint",
                        "rules": [_sarif_rule(code) for code in codes],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                # LibCST columns count code points, not the UTF-16 units SARIF assumes by default.
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


FORMATTERS: dict[str, Callable[[list[FileResult]], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
}
