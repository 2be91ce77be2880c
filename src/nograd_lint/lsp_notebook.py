"""Notebook documents (LSP 3.17) in the language server: the code cells of a notebook are
analysed as one module, as the command does, and each cell gets its own diagnostics, quick
fixes and fix-all.

pygls keeps each notebook and its cells' text documents in the workspace; this module keeps
the work of each notebook's current version, as the server does per buffer: a lint, shared by
every request for that version, and each fix computed once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.workspace import TextDocument

from . import lsp_jobs
from .findings import Finding
from .lsp_actions import FixKey, fix_key, planned_actions
from .lsp_convert import client_position, text_edits, to_diagnostics
from .source import physical_lines

if TYPE_CHECKING:
    from .lsp_server import NogradLanguageServer

T = TypeVar("T")

#: Cell index -> (its findings, lines counted in it; the cell of each related place).
CellResults = dict[int, list[tuple[Finding, tuple[int, ...]]]]

#: Which notebooks the server asks to be sent: any kind, with its Python cells.
SYNC_OPTIONS = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(
            notebook="*", cells=[types.NotebookCellLanguage(language="python")]
        )
    ],
    save=True,
)


@dataclass(eq=False)
class NotebookState:
    version: int
    timer: asyncio.TimerHandle | None = None
    lint: asyncio.Task[CellResults] | None = None
    fixes: dict[tuple[int, FixKey], asyncio.Task[dict[int, list] | None]] = field(
        default_factory=dict
    )

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        for task in (self.lint, *self.fixes.values()):
            if task is not None:
                task.cancel()


class Notebooks:
    """The open notebooks of one server."""

    def __init__(self, server: NogradLanguageServer) -> None:
        self.server = server
        self._states: dict[str, NotebookState] = {}

    # -- what is open ----------------------------------------------------------------------

    def _notebook(self, uri: str) -> types.NotebookDocument | None:
        return self.server.workspace.get_notebook_document(notebook_uri=uri)

    def notebook_of_cell(self, cell_uri: str) -> types.NotebookDocument | None:
        return self.server.workspace.get_notebook_document(cell_uri=cell_uri)

    def _code(self, notebook: types.NotebookDocument) -> list[tuple[int, TextDocument]]:
        """The code cells' documents, with their index among all cells."""
        found = []
        for index, cell in enumerate(notebook.cells):
            if cell.kind != types.NotebookCellKind.Code:
                continue
            document = self.server.workspace.text_documents.get(unquote(cell.document))
            if document is not None and document.language_id in (None, "python"):
                found.append((index, document))
        return found

    def _state(self, notebook: types.NotebookDocument, fresh: bool = False) -> NotebookState:
        key = unquote(notebook.uri)
        state = self._states.get(key)
        if fresh or state is None or state.version != notebook.version:
            if state is not None:
                state.stop()
            state = self._states[key] = NotebookState(notebook.version)
        return state

    # -- linting ---------------------------------------------------------------------------

    def changed(self, uri: str, delay_s: float = 0.0) -> None:
        notebook = self._notebook(uri)
        if notebook is None:
            return
        state = self._state(notebook, fresh=True)
        if delay_s > 0:
            state.timer = asyncio.get_running_loop().call_later(delay_s, self.lint_now, uri)
        else:
            self.lint_now(uri)

    def relint_all(self) -> None:
        for uri in list(self.server.workspace.notebook_documents):
            self.changed(uri)

    def saved(self, uri: str) -> None:
        notebook = self._notebook(uri)
        if notebook is not None and self._state(notebook).lint is None:
            self.lint_now(uri)

    def lint_now(self, uri: str) -> asyncio.Task[CellResults] | None:
        notebook = self._notebook(uri)
        if notebook is None:
            return None
        state = self._state(notebook)
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        if state.lint is None:
            state.lint = asyncio.ensure_future(self._lint(notebook, state))
        return state.lint

    async def _lint(self, notebook: types.NotebookDocument, state: NotebookState) -> CellResults:
        code = self._code(notebook)
        path = _path(notebook.uri)
        outcome = await self.server._in_worker(
            f"analysis of {notebook.uri}",
            lsp_jobs.lint_cells,
            [(index, document.source) for index, document in code],
            path,
            self.server.disabling_names(path),
            self.server.codes(path),
        )
        found, problem = outcome if outcome is not None else ((), None)
        if problem:
            self.server.log(types.MessageType.Warning, f"{notebook.uri}: {problem}")
        results: CellResults = {index: [] for index, _ in code}
        for index, finding, related_cells in found:
            results.setdefault(index, []).append((finding, related_cells))
        if self._states.get(unquote(notebook.uri)) is state:
            self._publish(notebook, code, results)
        return results

    def _publish(
        self,
        notebook: types.NotebookDocument,
        code: list[tuple[int, TextDocument]],
        results: CellResults,
    ) -> None:
        documents = dict(code)
        related = self.server._client_shows_related_information()
        for index, document in code:
            diagnostics = []
            for finding, cells in results.get(index, []):
                (diagnostic,) = to_diagnostics(document, [replace(finding, related=())])
                if related and finding.related:
                    diagnostic.related_information = _related(finding, cells, documents)
                diagnostics.append(diagnostic)
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=document.uri, version=document.version, diagnostics=diagnostics
                )
            )

    def forget(self, uri: str, cell_uris: Sequence[str]) -> None:
        state = self._states.pop(unquote(uri), None)
        if state is not None:
            state.stop()
        for cell_uri in cell_uris:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=cell_uri, diagnostics=[])
            )

    def stop_all(self) -> None:
        for state in self._states.values():
            state.stop()
        self._states.clear()

    # -- code actions ----------------------------------------------------------------------

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """A cell's quick fixes and fix-all (the fixes of that cell's findings)."""
        cell_uri = params.text_document.uri
        notebook = self.notebook_of_cell(cell_uri)
        document = self.server.document(cell_uri)
        if notebook is None or document is None:
            return []
        index = _cell_index(notebook, cell_uri)
        task = self.lint_now(notebook.uri)
        results = None if task is None else await _shielded(task)
        if results is None or index is None:
            return []
        findings = [finding for finding, _ in results.get(index, [])]
        actions = planned_actions(document.uri, document.version, findings, params)
        if self.server._client_resolves_edits():
            return actions
        resolved = await asyncio.gather(*(self.resolve(action) for action in actions))
        return [action for action in resolved if action.edit is not None]

    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        key = fix_key(action)
        if key is None:
            return action
        cell_uri, version, lines = key
        notebook = self.notebook_of_cell(cell_uri)
        document = self.server.document(cell_uri)
        if notebook is None or document is None or document.version != version:
            return action
        index = _cell_index(notebook, cell_uri)
        if index is None:
            return action
        state = self._state(notebook)
        task = state.fixes.get((index, lines))
        if task is None:
            task = state.fixes[index, lines] = asyncio.ensure_future(
                self._fix(notebook, index, lines)
            )
        hunks = await _shielded(task)
        if hunks:
            action.edit = self._edit(notebook, hunks)
        return action

    async def _fix(
        self, notebook: types.NotebookDocument, index: int, lines: FixKey
    ) -> dict[int, list] | None:
        code = self._code(notebook)
        path = _path(notebook.uri)
        return await self.server._in_worker(
            f"fix of {notebook.uri}",
            lsp_jobs.fix_cells,
            [(i, document.source) for i, document in code],
            path,
            index,
            lines,
            self.server.disabling_names(path),
            self.server.codes(path),
        )

    def _edit(
        self, notebook: types.NotebookDocument, hunks: dict[int, list]
    ) -> types.WorkspaceEdit:
        """The edits of every cell the fix changes (the cell, and the first code cell when
        the fix adds ``import torch``)."""
        documents = dict(self._code(notebook))
        edits = {index: text_edits(documents[index], h) for index, h in sorted(hunks.items())}
        if not self.server._client_takes_document_changes():
            return types.WorkspaceEdit(changes={documents[i].uri: e for i, e in edits.items()})
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=documents[index].uri, version=documents[index].version
                    ),
                    edits=list(cell_edits),
                )
                for index, cell_edits in edits.items()
            ]
        )


def _cell_index(notebook: types.NotebookDocument, cell_uri: str) -> int | None:
    wanted = unquote(cell_uri)
    for index, cell in enumerate(notebook.cells):
        if unquote(cell.document) == wanted:
            return index
    return None


def _path(uri: str) -> str | None:
    """The notebook's file, for its configuration; None for an unsaved one."""
    from pygls.uris import to_fs_path

    return to_fs_path(uri) if uri.startswith("file:") else None


def _related(
    finding: Finding, cells: tuple[int, ...], documents: dict[int, TextDocument]
) -> list[types.DiagnosticRelatedInformation] | None:
    """The places that explain a finding, each in its own cell's document."""
    found = []
    for place, index in zip(finding.related, cells):
        document = documents.get(index)
        if document is None:
            continue
        lines = physical_lines(document.source)
        found.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=document.uri,
                    range=types.Range(
                        start=client_position(document, lines, place.line - 1, place.col),
                        end=client_position(document, lines, place.end_line - 1, place.end_col),
                    ),
                ),
                message=place.message,
            )
        )
    return found or None


async def _shielded(task: asyncio.Task[T]) -> T | None:
    from .lsp_server import _shared  # the server imports this module

    return await _shared(task)
