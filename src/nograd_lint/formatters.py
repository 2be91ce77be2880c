"""Output formats of the standalone command. Each turns results into text for stdout.

File names reach the output as the file system gave them; each format makes them safe for its
reader: text quotes odd names (:func:`quote_name`), GitHub escapes them as its workflow
commands require, JSON carries valid Unicode only, SARIF percent-encodes the raw bytes.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Callable
from urllib.parse import quote_from_bytes

from ._version import __version__
from .cli_output import BOLD, CYAN, RED, RESET, one_line, quote_name, readable
from .findings import Finding, Related
from .rules import RULES
from .source import decode, physical_lines

if TYPE_CHECKING:
    from .fix import Skipped


@dataclass
class FileResult:
    """What linting (or fixing) one file gave: findings left, or the one-line reason it could
    not be linted; with ``--fix``/``--diff`` also what was fixed, what was not, and how many
    unsafe fixes were withheld; ``lines`` holds the source lines findings start on."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    fixed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    diff: str = ""
    fixed_bytes: bytes | None = None
    unsafe_fixes: int = 0
    lines: dict[int, str] = field(default_factory=dict)


def with_lines(result: FileResult, data: bytes | str) -> FileResult:
    """Keep the lines findings start on, for ``--show-source``: the file may be gone, or
    stdin, by the time the report is printed."""
    if result.findings:
        lines = physical_lines(decode(data) if isinstance(data, bytes) else data)
        result.lines = {f.line: lines[f.line - 1] for f in result.findings if f.line <= len(lines)}
    return result


def format_text(
    results: list[FileResult], *, show_source: bool = False, color: bool = False
) -> str:
    """``path:line:col: NG001 message``, columns 1-based as flake8 prints them; with
    ``show_source`` the line and a caret under the column follow, as in flake8."""

    def style(text: str, ansi: str) -> str:
        return f"{ansi}{text}{RESET}" if color else text

    out = []
    for r in results:
        path = style(quote_name(r.path), BOLD)
        for f in r.findings:
            where = (
                f"{path}{style(':', CYAN)}{f.line}{style(':', CYAN)}{f.col + 1}{style(':', CYAN)}"
            )
            out.append(f"{where} {style(f.code, RED)} {one_line(f.message)}\n")
            line = r.lines.get(f.line)
            if show_source and line is not None:
                out.append(_source_with_caret(line, f.col, style))
    return "".join(out)


def _source_with_caret(line: str, col: int, style: Callable[[str, str], str]) -> str:
    """The physical line, then a caret under column ``col``; the indent copies the line's
    tabs so that the caret lines up however a terminal expands them."""
    text = line.rstrip("\r\n")
    before = one_line(text[:col], keep="\t")  # as wide as it is printed
    if before.lstrip().startswith("::"):  # inside a string: GitHub would run it as a command
        before = before.replace(":", "\\x3a", 1)
    indent = "".join(c if c == "\t" else " " for c in before)
    after = one_line(text[col:], keep="\t")
    return f"{before}{after}\n{indent}{style('^', RED)}\n"


def format_statistics(results: list[FileResult]) -> str:
    """Counts per code, most frequent first, as ``ruff --statistics`` prints them."""
    counts = _counts(results)
    width = len(str(max(counts.values(), default=0)))
    return "".join(
        f"{count:>{width}}\t{code}\t{RULES[code].name}\n" for code, count in counts.items()
    )


def format_statistics_json(results: list[FileResult]) -> str:
    items = [
        {"code": code, "name": RULES[code].name, "count": count}
        for code, count in _counts(results).items()
    ]
    return json.dumps(items, indent=2) + "\n"


def _counts(results: list[FileResult]) -> dict[str, int]:
    counter = Counter(f.code for r in results for f in r.findings)
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def format_json(results: list[FileResult]) -> str:
    """A JSON list with one object per finding; the schema is in the README. ``related``
    lists the places that put the model in eval mode. Bytes of a file name that are not
    UTF-8 show as U+FFFD, so the output is always valid JSON text."""
    items = [
        {
            "path": readable(r.path),
            "line": f.line,
            "column": f.col + 1,
            "end_line": f.end_line,
            "end_column": f.end_col + 1,
            "code": f.code,
            "message": f.message,
            "model": f.model,
            "related": [
                {
                    "line": related.line,
                    "column": related.col + 1,
                    "end_line": related.end_line,
                    "end_column": related.end_col + 1,
                    "message": related.message,
                }
                for related in f.related
            ],
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
        path = _github_escape(readable(r.path), prop=True)
        if r.error is not None:
            lines.append(f"::error file={path},title=nograd-lint::{_github_escape(r.error)}")
        for f in r.findings:
            lines.append(
                f"::warning file={path},line={f.line},col={f.col + 1},endLine={f.end_line},"
                f"endColumn={f.end_col + 1},title={f.code}::{_github_escape(f.code + ' ' + f.message)}"
            )
    return "".join(line + "\n" for line in lines)


def _artifact(path: str) -> dict:
    """A URI reference of the file's raw bytes: relative ones against ``%SRCROOT%`` (the
    directory the command ran in), absolute ones as ``file://`` URIs."""
    raw = os.fsencode(PurePath(path).as_posix())
    if os.path.isabs(path):
        return {"uri": "file://" + ("" if raw.startswith(b"/") else "/") + quote_from_bytes(raw)}
    return {"uri": quote_from_bytes(raw), "uriBaseId": "%SRCROOT%"}


def _region(span: Finding | Related) -> dict:
    return {
        "startLine": span.line,
        "startColumn": span.col + 1,
        "endLine": span.end_line,
        "endColumn": span.end_col + 1,
    }


def _sarif_result(path: str, finding: Finding, codes: list[str]) -> dict:
    artifact = _artifact(path)
    result: dict = {
        "ruleId": finding.code,
        "ruleIndex": codes.index(finding.code),
        "level": "warning",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": _region(finding),
                },
            }
        ],
    }
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": index,
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": _region(r),
                },
                "message": {"text": r.message},
            }
            for index, r in enumerate(finding.related)
        ]
    return result


def _sarif_rule(code: str) -> dict:
    rule = RULES[code]
    help_text = f"{rule.explanation}\n\n{rule.fix}"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["performance", "pytorch", "memory"]},
    }


def format_sarif(results: list[FileResult]) -> str:
    """SARIF 2.1.0, as GitHub code scanning and other CI dashboards ingest it."""
    codes = list(RULES)
    sarif_results = [_sarif_result(r.path, f, codes) for r in results for f in r.findings]
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
