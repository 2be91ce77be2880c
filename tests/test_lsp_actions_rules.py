"""The language server's code actions name the fix of the rules they apply to."""

from __future__ import annotations

import pytest

pytest.importorskip("pygls", reason="pygls is in the lsp and test extras")

from lsprotocol import types

from nograd_lint.findings import Finding
from nograd_lint.lsp_actions import (
    DETACH_TITLE,
    FIX_ALL_BOTH_TITLE,
    FIX_ALL_NG002_TITLE,
    QUICK_FIX_TITLE,
    planned_actions,
)


def _finding(line: int, code: str) -> Finding:
    return Finding(line, 4, code, "m", "x", line, 9)


def _titles(findings: list[Finding], line: int) -> list[str]:
    position = types.Position(line - 1, 0)
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier("file:///a.py"),
        range=types.Range(position, position),
        context=types.CodeActionContext(diagnostics=[]),
    )
    return [a.title for a in planned_actions("file:///a.py", 1, findings, params)]


def test_an_ng002_line_offers_the_detach() -> None:
    assert _titles([_finding(3, "NG002")], 3) == [DETACH_TITLE, FIX_ALL_NG002_TITLE]


def test_a_line_with_both_rules_offers_the_wrap_which_fixes_both() -> None:
    findings = [_finding(3, "NG001"), _finding(3, "NG002"), _finding(5, "NG002")]
    assert _titles(findings, 3) == [QUICK_FIX_TITLE, FIX_ALL_BOTH_TITLE]
    assert _titles(findings, 5)[0] == DETACH_TITLE
