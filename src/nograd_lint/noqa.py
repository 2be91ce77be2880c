"""``# noqa`` for the standalone command, decided exactly as flake8 decides it.

flake8 looks for the comment on every physical line of the logical line that holds the
report, and matches codes by prefix; we reuse its regex and its matcher.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence

from flake8.violation import Violation

from .findings import Finding


def _logical_line_text(lines: Sequence[str]) -> dict[int, str]:
    """Line number -> the text of the whole logical line it belongs to (flake8's mapping)."""
    mapping: dict[int, str] = {}
    start, end = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            start, end = min(start, token.start[0]), max(end, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[start - 1 : end])
                mapping.update(dict.fromkeys(range(start, end + 1), joined))
                start, end = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


def without_suppressed(findings: list[Finding], source: str, filename: str) -> list[Finding]:
    if not findings or "noqa" not in source.lower():
        return findings
    lines = source.splitlines(keepends=True)
    logical = _logical_line_text(lines)
    kept = []
    for finding in findings:
        text = logical.get(finding.line) or (
            lines[finding.line - 1] if finding.line <= len(lines) else ""
        )
        violation = Violation(
            finding.code, filename, finding.line, finding.col + 1, finding.message, text
        )
        if not violation.is_inline_ignored(disable_noqa=False):
            kept.append(finding)
    return kept
