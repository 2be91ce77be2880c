"""The language server behind ``nograd-lint lsp`` (pygls): diagnostics and quick fixes.

Buffers are linted on open at once, after edits once the user pauses (the debounce), so
typing never queues one analysis per keystroke, and on save at once unless that version was
linted already. Every analysis runs in a worker process (:mod:`.lsp_workers`): a small buffer
never waits behind a large one, and a new version of a buffer stops the work still running
for the old one. Work is kept per version: a code action reuses the lint of the version it is
for (starting it at once if it is only waiting for the debounce), and each fix is computed
once per version however often the editor asks, since editors ask at every cursor move.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCRequest
from pygls.workspace import TextDocument

from . import lsp_jobs
from ._version import __version__
from .config import ConfigError, Settings, settings_for
from .findings import Finding
from .lsp_actions import FIX_ALL_KIND, FixKey, fix_key, planned_actions
from .lsp_convert import SERVER_NAME, text_edits, to_diagnostics, workspace_edit
from .lsp_notebook import SYNC_OPTIONS, Notebooks
from .lsp_workers import JobFailed, WorkerDied, WorkerPool
from .selection import DEFAULT, enabled_codes

T = TypeVar("T")

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class BufferState:
    """The work for one version of one open buffer: a pending debounce, the lint, the fixes."""

    version: int | None
    timer: asyncio.TimerHandle | None = None
    lint: asyncio.Task[tuple[Finding, ...]] | None = None
    fixes: dict[FixKey, asyncio.Task[list[types.TextEdit] | None]] = field(default_factory=dict)

    def stop(self) -> None:
        """A newer version or the buffer's close: none of this work is wanted any more."""
        if self.timer is not None:
            self.timer.cancel()
        for task in (self.lint, *self.fixes.values()):
            if task is not None:
                task.cancel()


class NogradProtocol(LanguageServerProtocol):
    """pygls's protocol, answering requests after ``shutdown`` with InvalidRequest, and
    requests whose params cannot be read (a negative position) with InvalidParams, as the
    specification asks: pygls drops both, and the editor waits for a reply forever."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            logger.warning("%s: cannot read its params: %s", data.get("method"), error)
            request_id = data.get("id") if "method" in data else None
            if not isinstance(request_id, (int, str)) or isinstance(request_id, bool):
                raise  # a notification, or a reply: no one waits for an answer
            self._send_response(request_id, error=error.to_response_error())
            return _ANSWERED

    def handle_message(self, message: Any) -> None:
        if message is _ANSWERED:
            return
        if (
            self._shutdown
            and isinstance(message, RPCRequest)
            and getattr(message, "method", None) != types.EXIT
        ):
            error = JsonRpcInvalidRequest(f"{message.method}: the server has been shut down")
            self._send_response(message.id, error=error.to_response_error())
            return
        super().handle_message(message)


#: A request already answered with an error while it was read: nothing more to do.
_ANSWERED = object()


def _without_the_traceback(record: logging.LogRecord) -> bool:
    """pygls logs a page of traceback for every message it cannot read; the one line
    ``NogradProtocol.structure_message`` logs says what the editor sent wrong."""
    return not str(record.msg).startswith("Unable to deserialize message")


logging.getLogger("pygls.protocol.json_rpc").addFilter(_without_the_traceback)


class NogradLanguageServer(LanguageServer):
    """Keeps the work of each open buffer's current version (:class:`BufferState`)."""

    def __init__(self, debounce_s: float, workers: WorkerPool) -> None:
        # Full sync: pygls applies incremental edits on str.splitlines() lines, which also break
        # at \f and \u2028, so after such a line its copy of the buffer would drift from the editor's.
        super().__init__(
            SERVER_NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
            notebook_document_sync=SYNC_OPTIONS,
            protocol_cls=NogradProtocol,
        )
        self.notebooks = Notebooks(self)
        self.debounce_s = debounce_s
        self.workers = workers
        self.extra_disabling_names: frozenset[str] = frozenset()
        self.shut_down = False
        self.exit_code: int | None = None
        self._buffers: dict[str, BufferState] = {}
        self._config_problems: dict[str, str] = {}

    # -- open buffers ----------------------------------------------------------------------

    def document(self, uri: str) -> TextDocument | None:
        """The open buffer at ``uri``, or None. pygls files buffers under their URI with
        percent-escapes decoded (``file:///C%3A/x.py`` as ``file:///C:/x.py``)."""
        documents = self.workspace.text_documents
        return documents.get(uri) or documents.get(unquote(uri))

    def buffer_changed(self, uri: str, delay_s: float = 0.0) -> None:
        """A new version, or new settings: stop the old work and lint after ``delay_s``."""
        current = self._current(uri, fresh=True)
        if current is None:
            return
        _, state = current
        if delay_s > 0:
            state.timer = asyncio.get_running_loop().call_later(delay_s, self.lint_now, uri)
        else:
            self.lint_now(uri)

    def relint_all(self) -> None:
        """The settings changed: the diagnostics of every open buffer may be stale."""
        for document in list(self.workspace.text_documents.values()):
            if self.notebooks.notebook_of_cell(document.uri) is None:  # cells: by notebook
                self.buffer_changed(document.uri)
        self.notebooks.relint_all()

    def forget(self, uri: str) -> None:
        """The buffer closed: nothing running, nothing shown."""
        state = self._buffers.pop(unquote(uri), None)
        if state is not None:
            state.stop()
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def stop_all(self) -> None:
        for state in self._buffers.values():
            state.stop()
        self._buffers.clear()
        self.notebooks.stop_all()
        self.workers.close()

    def is_linted(self, uri: str) -> bool:
        """Whether the lint of the buffer as it is now has started (or is done)."""
        current = self._current(uri)
        return current is not None and current[1].lint is not None

    def _current(self, uri: str, fresh: bool = False) -> tuple[TextDocument, BufferState] | None:
        """The buffer and the state of its current version (a new one if ``fresh``)."""
        document = self.document(uri)
        if document is None:
            return None
        key = unquote(uri)
        state = self._buffers.get(key)
        if fresh or state is None or state.version != document.version:
            if state is not None:
                state.stop()
            state = self._buffers[key] = BufferState(document.version)
        return document, state

    # -- linting ---------------------------------------------------------------------------

    def lint_now(self, uri: str) -> asyncio.Task[tuple[Finding, ...]] | None:
        """The lint of the buffer's current version, started now if it was waiting."""
        current = self._current(uri)
        if current is None:
            return None
        document, state = current
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        if state.lint is None:
            state.lint = asyncio.ensure_future(self._lint(document, state))
        return state.lint

    async def findings(self, uri: str) -> tuple[Finding, ...] | None:
        """The findings of the buffer as it is now; None if it changed or closed meanwhile."""
        task = self.lint_now(uri)
        return None if task is None else await _shared(task)

    async def _lint(self, document: TextDocument, state: BufferState) -> tuple[Finding, ...]:
        text, path = document.source, document.path
        outcome = await self._in_worker(
            f"analysis of {path}",
            lsp_jobs.lint,
            text,
            path,
            self.disabling_names(path),
            self.codes(path),
        )
        if outcome is None:
            outcome = lsp_jobs.LintOutcome()
        elif outcome.problem:
            self.log(types.MessageType.Warning, f"{path}: {outcome.problem}")
        if self._buffers.get(unquote(document.uri)) is state:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=document.uri,
                    version=state.version,
                    diagnostics=to_diagnostics(
                        document, outcome.findings, self._client_shows_related_information()
                    ),
                )
            )
        return outcome.findings

    # -- fixing ----------------------------------------------------------------------------

    async def fix_edits(
        self, uri: str, version: int | None, lines: FixKey
    ) -> list[types.TextEdit] | None:
        """The edits of one fix of version ``version``, computed once per version; None when
        nothing can be fixed or the buffer is no longer at that version."""
        current = self._current(uri)
        if current is None or current[0].version != version:
            return None
        document, state = current
        task = state.fixes.get(lines)
        if task is None:
            task = state.fixes[lines] = asyncio.ensure_future(self._fix(document, lines))
        return await _shared(task)

    async def _fix(self, document: TextDocument, lines: FixKey) -> list[types.TextEdit] | None:
        text, path = document.source, document.path
        hunks = await self._in_worker(
            f"fix of {path}",
            lsp_jobs.fix_hunks,
            text,
            path,
            lines,
            self.disabling_names(path),
            self.codes(path),
        )
        return None if hunks is None else text_edits(document, hunks)

    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        """Fill in the edit of one of our actions, if its buffer is still at its version."""
        key = fix_key(action)
        if key is None:
            return action
        if self.notebooks.notebook_of_cell(key[0]) is not None:
            return await self.notebooks.resolve(action)
        uri, version, lines = key
        edits = await self.fix_edits(uri, version, lines)
        document = self.document(uri)
        if edits and document is not None and document.version == version:
            action.edit = workspace_edit(document, edits, self._client_takes_document_changes())
        return action

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        """The actions at a range; their edits too when the client cannot resolve them later.
        None for a buffer that is not open."""
        uri = params.text_document.uri
        if self.notebooks.notebook_of_cell(uri) is not None:
            return await self.notebooks.code_actions(params)
        document = self.document(uri)
        if document is None:
            return None
        version = document.version
        findings = await self.findings(uri)
        if findings is None:
            return []  # the buffer changed meanwhile: the editor asks again
        actions = planned_actions(document.uri, version, findings, params)
        if self._client_resolves_edits():
            return actions
        resolved = await asyncio.gather(*(self.resolve(action) for action in actions))
        return [action for action in resolved if action.edit is not None]  # unfixable: none

    async def _in_worker(self, what: str, function: Callable[..., T], *args: Any) -> T | None:
        try:
            return await self.workers.run(function, *args)
        except (WorkerDied, JobFailed) as error:
            self.log(types.MessageType.Warning, f"{what} failed: {error}")
            return None

    # -- settings --------------------------------------------------------------------------

    def disabling_names(self, path: str | None) -> frozenset[str]:
        """The editor's ``disablingNames`` plus ``[tool.nograd-lint]`` of the file's project,
        found as the command finds it for the same file. A configuration that cannot be read
        is reported once per file, and linting goes on with the defaults."""
        settings = self._settings(path)
        names = self.extra_disabling_names
        return names if settings is None else names | settings.disabling_names

    def codes(self, path: str | None) -> frozenset[str]:
        """The rules ``[tool.nograd-lint]`` of the file's project selects (``select``,
        ``extend-select``, ``ignore``); the default rules when it cannot be read."""
        settings = self._settings(path)
        return DEFAULT if settings is None else enabled_codes([settings.selection])

    def _settings(self, path: str | None) -> Settings | None:
        if not path:
            return None
        try:
            settings = settings_for(Path(path))
        except Exception as error:  # a broken file must not stop the lint: see the docstring
            problem = (
                str(error)
                if isinstance(error, ConfigError)
                else f"configuration for {path} unreadable: {type(error).__name__}: {error}"
            )
            if self._config_problems.get(path) != problem:
                self._config_problems[path] = problem
                message = f"{problem} (linting with the default settings)"
                self.window_show_message(
                    types.ShowMessageParams(
                        type=types.MessageType.Warning, message=f"nograd-lint: {message}"
                    )
                )
                self.log(types.MessageType.Warning, message)
            return None
        self._config_problems.pop(path, None)
        return settings

    # -- the client ------------------------------------------------------------------------

    def log(self, kind: types.MessageType, message: str) -> None:
        """Show ``message`` in the editor's log, and in the log file if there is one."""
        logger.log(logging.ERROR if kind == types.MessageType.Error else logging.WARNING, message)
        self.window_log_message(
            types.LogMessageParams(type=kind, message=f"nograd-lint: {message}")
        )

    def _client_resolves_edits(self) -> bool:
        """Whether the client fetches an action's edit only once it is chosen."""
        text_document = self.client_capabilities.text_document
        support = (
            text_document
            and text_document.code_action
            and text_document.code_action.resolve_support
        )
        return bool(support and "edit" in support.properties)

    def _client_takes_document_changes(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(
            workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes
        )

    def _client_shows_related_information(self) -> bool:
        text_document = self.client_capabilities.text_document
        return bool(
            text_document
            and text_document.publish_diagnostics
            and text_document.publish_diagnostics.related_information
        )


async def _shared(task: Awaitable[T]) -> T | None:
    """The result of work that several requests share; None if it was stopped because its
    buffer changed. A request the client cancels does not stop it: the editor asks again at
    the next cursor move, and that request reuses it."""
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if isinstance(task, asyncio.Future) and task.cancelled():
            return None
        raise


def _disabling_names_in(settings: object) -> frozenset[str]:
    """``disablingNames`` of initialization options or settings; anything malformed is none."""
    names = settings.get("disablingNames", []) if isinstance(settings, dict) else []
    return (
        frozenset(name for name in names if isinstance(name, str))
        if isinstance(names, list)
        else frozenset()
    )


def default_worker_count() -> int:
    """Two at least, so that one large buffer never holds up the others; four at most."""
    return max(2, min(4, os.cpu_count() or 1))


def create_server(debounce_s: float = 0.3, workers: int | None = None) -> NogradLanguageServer:
    """A server with NG001's features registered; ``start_io()`` runs it, and
    ``server.exit_code`` is then the process's exit status."""
    server = NogradLanguageServer(debounce_s, WorkerPool(workers or default_worker_count()))

    @server.feature(types.INITIALIZE)
    def initialize(ls: NogradLanguageServer, params: types.InitializeParams) -> None:
        ls.extra_disabling_names = _disabling_names_in(params.initialization_options)
        ls.workers.warm()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: NogradLanguageServer, *args: object) -> None:
        ls.shut_down = True
        ls.stop_all()

    @server.feature(types.EXIT)
    def exit_(ls: NogradLanguageServer, *args: object) -> None:
        ls.exit_code = 0 if ls.shut_down else 1  # the specification's statuses
        ls.stop_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: NogradLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SERVER_NAME), dict):
            settings = settings[SERVER_NAME]  # ``{"nograd-lint": {...}}``, as most editors nest it
        names = _disabling_names_in(settings)
        if names != ls.extra_disabling_names:
            ls.extra_disabling_names = names
            ls.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NogradLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.buffer_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NogradLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.buffer_changed(params.text_document.uri, ls.debounce_s)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NogradLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if not ls.is_linted(params.text_document.uri):
            ls.lint_now(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NogradLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(
        ls: NogradLanguageServer, params: types.DidOpenNotebookDocumentParams
    ) -> None:
        ls.notebooks.changed(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(
        ls: NogradLanguageServer, params: types.DidChangeNotebookDocumentParams
    ) -> None:
        ls.notebooks.changed(params.notebook_document.uri, ls.debounce_s)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(
        ls: NogradLanguageServer, params: types.DidSaveNotebookDocumentParams
    ) -> None:
        ls.notebooks.saved(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(
        ls: NogradLanguageServer, params: types.DidCloseNotebookDocumentParams
    ) -> None:
        ls.notebooks.forget(
            params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents]
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True
        ),
    )
    async def code_action(
        ls: NogradLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return await ls.code_actions(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(
        ls: NogradLanguageServer, action: types.CodeAction
    ) -> types.CodeAction:
        return await ls.resolve(action)

    return server
