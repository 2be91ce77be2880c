"""Between findings and fixed text on one side and LSP diagnostics and edits on the other."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import TextDocument

from .findings import Finding, Related
from .line_diff import Hunk
from .rules import RULES
from .source import physical_lines

SERVER_NAME = "nograd-lint"


def client_position(
    document: TextDocument, lines: Sequence[str], line: int, column: int
) -> types.Position:
    """An LSP position from a 0-based line and a column counted in characters."""
    if line >= len(lines):
        return types.Position(line=line, character=0)
    return document.position_codec.position_to_client_units(
        lines, types.Position(line=line, character=column)
    )


def _range(document: TextDocument, lines: Sequence[str], span: Finding | Related) -> types.Range:
    """The range of a finding or of a place related to it (1-based lines, columns in
    characters) in the client's units."""
    return types.Range(
        start=client_position(document, lines, span.line - 1, span.col),
        end=client_position(document, lines, span.end_line - 1, span.end_col),
    )


def to_diagnostics(
    document: TextDocument, findings: Sequence[Finding], related_information: bool = False
) -> list[types.Diagnostic]:
    """One diagnostic per finding; with ``related_information`` (when the client shows it),
    the places that explain a finding, such as where its model was put in eval mode."""
    lines = physical_lines(document.source)
    return [
        types.Diagnostic(
            range=_range(document, lines, finding),
            message=finding.message,
            severity=types.DiagnosticSeverity.Warning,
            code=finding.code,
            code_description=types.CodeDescription(href=RULES[finding.code].url),
            source=SERVER_NAME,
            related_information=_related(document, lines, finding) if related_information else None,
        )
        for finding in findings
    ]


def _related(
    document: TextDocument, lines: Sequence[str], finding: Finding
) -> list[types.DiagnosticRelatedInformation] | None:
    return [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=document.uri, range=_range(document, lines, place)),
            message=place.message,
        )
        for place in finding.related
    ] or None


def _line_start(document: TextDocument, lines: Sequence[str], index: int) -> types.Position:
    """Where line ``index`` starts; past a last line without a newline, the end of that line."""
    if index >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        return client_position(document, lines, len(lines) - 1, len(lines[-1]))
    return types.Position(line=index, character=0)


def text_edits(document: TextDocument, hunks: Sequence[Hunk]) -> list[types.TextEdit]:
    """Whole-line edits from the hunks of a fix: small, so that cursors and folds stay."""
    old = physical_lines(document.source)
    return [
        types.TextEdit(
            range=types.Range(
                start=_line_start(document, old, start), end=_line_start(document, old, end)
            ),
            new_text="".join(new_lines),
        )
        for start, end, new_lines in hunks
    ]


def workspace_edit(
    document: TextDocument, edits: list[types.TextEdit], versioned: bool
) -> types.WorkspaceEdit:
    """Versioned document changes when the client takes them (a stale edit is then refused)."""
    if versioned:
        identifier = types.OptionalVersionedTextDocumentIdentifier(
            uri=document.uri, version=document.version
        )
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=edits)]
        )
    return types.WorkspaceEdit(changes={document.uri: edits})
