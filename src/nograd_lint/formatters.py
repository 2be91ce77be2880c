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
    from .notebook import Place


@dataclass
class FileResult:
    """What linting (or fixing) one file gave: findings left, or the one-line reason it could
    not be linted; with ``--fix``/``--diff`` also what was fixed, what was not, and how many
    unsafe fixes were withheld; ``lines`` holds the source lines findings start on."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    fixed: int = 0
    #: The code of each fixed finding, for the summary's count per rule.
    fixed_codes: tuple[str, ...] = ()
    skipped: list[Skipped] = field(default_factory=list)
    diff: str = ""
    fixed_bytes: bytes | None = None
    unsafe_fixes: int = 0
    lines: dict[int, str] = field(default_factory=dict)
    #: A notebook's: where each finding's (and related place's) module line and column lie
    #: in its cells; empty for a Python file.
    places: dict[tuple[int, int], Place] = field(default_factory=dict)
    #: A notebook's: where each of ``skipped`` lies, as ``cell N:L:C``.
    skipped_where: list[str] = field(default_factory=list)
    #: Why the file was left alone without an error (a notebook in R), for stderr.
    notice: str | None = None

    def place(self, line: int, col: int) -> Place | None:
        return self.places.get((line, col))

    def where(self, line: int, col: int) -> str:
        """``line:col`` (col 1-based) as the text report prints it; in a notebook,
        ``cell N:line:col`` with the line counted in the cell, as ruff prints it."""
        place = self.place(line, col)
        if place is None:
            return f"{line}:{col + 1}"
        return f"cell {place.cell}:{place.line}:{place.col + 1}"


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
            where = style(":", CYAN).join([path, *r.where(f.line, f.col).split(":"), ""])
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
    lists the places that put the model in eval mode. In a notebook ``cell`` is the cell's
    number (from 1, every cell counted) and lines count from the cell's first line; it is
    null for a Python file. Bytes of a file name that are not UTF-8 show as U+FFFD, so the
    output is always valid JSON text."""
    items = [
        {
            "path": readable(r.path),
            **_json_span(r, f),
            "code": f.code,
            "message": f.message,
            "model": f.model,
            "related": [
                {**_json_span(r, related, cell_key=bool(r.places)), "message": related.message}
                for related in f.related
            ],
        }
        for r in results
        for f in r.findings
    ]
    return json.dumps(items, indent=2) + "\n"


def _json_span(result: FileResult, span: Finding | Related, cell_key: bool = True) -> dict:
    """Where ``span`` is. Every finding has ``cell``; a related place has it in a notebook
    only (``cell_key``)."""
    start = result.place(span.line, span.col)
    end = result.place(span.end_line, span.end_col)
    if start is None or end is None:
        return {
            **({"cell": None} if cell_key else {}),
            "line": span.line,
            "column": span.col + 1,
            "end_line": span.end_line,
            "end_column": span.end_col + 1,
        }
    return {
        "cell": start.cell,
        "line": start.line,
        "column": start.col + 1,
        "end_line": end.line,
        "end_column": end.col + 1,
    }


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
            where, text = _github_place(r, f), f"{f.code} {f.message}"
            if r.place(f.line, f.col) is not None:
                text = f"{r.where(f.line, f.col)}: {text}"
            lines.append(f"::warning file={path},{where}title={f.code}::{_github_escape(text)}")
    return "".join(line + "\n" for line in lines)


def _github_place(result: FileResult, finding: Finding) -> str:
    """The annotation's position; in a notebook, the line of the ``.ipynb`` file that holds
    the call (where GitHub shows it on a pull request's diff), the cell in the message."""
    place = result.place(finding.line, finding.col)
    if place is None:
        return (
            f"line={finding.line},col={finding.col + 1},endLine={finding.end_line},"
            f"endColumn={finding.end_col + 1},"
        )
    if place.file_line is None or place.file_col is None:
        return ""
    return f"line={place.file_line},col={place.file_col + 1},"


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


def _sarif_location(result: FileResult, span: Finding | Related) -> dict:
    """A physical location; in a notebook its region is in the ``.ipynb`` file's own text
    (the line that holds the call, which a viewer can open), and the cell, line and column
    in the cell are in its properties."""
    artifact = _artifact(result.path)
    start = result.place(span.line, span.col)
    if start is None:
        return {"physicalLocation": {"artifactLocation": artifact, "region": _region(span)}}
    location: dict = {"physicalLocation": {"artifactLocation": artifact}}
    if start.file_line is not None and start.file_col is not None:
        region = {"startLine": start.file_line, "startColumn": start.file_col + 1}
        end = result.place(span.end_line, span.end_col)
        if end is not None and end.file_line is not None and end.file_col is not None:
            region.update(endLine=end.file_line, endColumn=end.file_col + 1)
        location["physicalLocation"]["region"] = region
    location["properties"] = {
        "notebookCell": start.cell,
        "cellLine": start.line,
        "cellColumn": start.col + 1,
    }
    return location


def _sarif_result(result: FileResult, finding: Finding, codes: list[str]) -> dict:
    text = finding.message
    if result.place(finding.line, finding.col) is not None:
        text = f"{result.where(finding.line, finding.col)}: {text}"
    sarif: dict = {
        "ruleId": finding.code,
        "ruleIndex": codes.index(finding.code),
        "level": "warning",
        "message": {"text": text},
        "locations": [_sarif_location(result, finding)],
    }
    if finding.related:
        sarif["relatedLocations"] = [
            {"id": index, **_sarif_location(result, r), "message": {"text": r.message}}
            for index, r in enumerate(finding.related)
        ]
    return sarif


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
    sarif_results = [_sarif_result(r, f, codes) for r in results for f in r.findings]
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
