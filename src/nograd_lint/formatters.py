"""Output formats of the standalone command. Each turns results into text for stdout."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Optional

from .findings import Finding


@dataclass
class FileResult:
    """What linting one file gave: findings, or the one-line reason it could not be linted."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: Optional[str] = None


def format_text(results: list[FileResult]) -> str:
    """``path:line:col: NG001 message``, columns 1-based as flake8 prints them."""
    return "".join(
        f"{r.path}:{f.line}:{f.col + 1}: {f.code} {f.message}\n" for r in results for f in r.findings
    )


def format_json(results: list[FileResult]) -> str:
    """A JSON list with one object per finding; see docs/cli.md for the schema."""
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


FORMATTERS: dict[str, Callable[[list[FileResult]], str]] = {
    "text": format_text,
    "json": format_json,
}
