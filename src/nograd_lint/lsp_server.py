"""The language server behind ``nograd-lint lsp`` (pygls): diagnostics and quick fixes.

Buffers are linted on open at once, after edits once the user pauses (the debounce), so
typing never queues one analysis per keystroke, and on save at once unless that version was
linted already. Analyses run one at a time off the event loop; a result for a buffer that
changed or closed meanwhile is dropped.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from ._version import __version__
from .api import check_source
from .config import ConfigError, settings_for
from .findings import Finding, InternalError, SourceError
from .fix import fix_source
from .rules import RULES
from .source import physical_lines

SERVER_NAME = "nograd-lint"
QUICK_FIX_TITLE = "Wrap in torch.no_grad()"
FIX_ALL_TITLE = "Wrap every NG001 call in torch.no_grad()"
#: Sub-kind so editors can ask for ours alone ("source.fixAll.nograd-lint" on save in VS Code).
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SERVER_NAME}"


T = TypeVar("T")


@dataclass(frozen=True)
class LintResult:
    """What one analysis of one version of a buffer found."""

    version: int | None
    findings: tuple[Finding, ...]


class NogradLanguageServer(LanguageServer):
    """Keeps, per open buffer, the pending debounced lint and the latest result."""

    def __init__(self, debounce_s: float) -> None:
        # Full sync: pygls applies incremental edits on str.splitlines() lines, which also break
        # at \f and \u2028, so after such a line its copy of the buffer would drift from the editor's.
        super().__init__(
            SERVER_NAME, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full
        )
        self.debounce_s = debounce_s
        self.extra_disabling_names: frozenset[str] = frozenset()
        self._pending: dict[str, asyncio.Task] = {}
        self._results: dict[str, LintResult] = {}
        # One worker: bursts of edits never analyse in parallel, and an analysis that is still
        # queued when its buffer changes again is cancelled before it starts.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._analysis_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nograd-lint")

    # -- scheduling ------------------------------------------------------------------------

    def schedule_lint(self, uri: str, delay_s: float = 0.0) -> None:
        """Lint ``uri`` after ``delay_s``, replacing any lint still pending for it."""
        self.cancel_lint(uri)
        self._pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay_s))

    def cancel_lint(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    async def off_the_loop(self, function: Callable[..., T], *args: object) -> T:
        """Run an analysis in the analysis thread, so that messages keep flowing meanwhile."""
        self._loop = asyncio.get_running_loop()
        return await self._loop.run_in_executor(self._analysis_pool, function, *args)

    def relint_all(self) -> None:
        """The settings changed: the diagnostics of every open buffer may be stale."""
        for uri in list(self.workspace.text_documents):
            self._results.pop(uri, None)
            self.schedule_lint(uri)

    def forget(self, uri: str) -> None:
        """The buffer closed: nothing pending, nothing shown."""
        self.cancel_lint(uri)
        self._results.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    async def _lint_later(self, uri: str, delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return
        version, text, path = document.version, document.source, document.path
        try:
            findings = await self.off_the_loop(lint_text, text, path, self.disabling_names(path))
        except InternalError as error:
            self.log(types.MessageType.Warning, f"{path}: {error}")
            findings = []
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # edited or closed while analysing: a newer lint is already scheduled
        self._pending.pop(uri, None)
        self._results[uri] = LintResult(version, tuple(findings))
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=version, diagnostics=to_diagnostics(current, findings)
            )
        )

    # -- analysis --------------------------------------------------------------------------

    def disabling_names(self, path: str | None) -> frozenset[str]:
        """The editor's ``disablingNames`` plus ``[tool.nograd-lint]`` of the buffer's project."""
        names = self.extra_disabling_names
        if path:
            try:
                names |= settings_for(Path(path)).disabling_names
            except ConfigError as error:
                self.log(types.MessageType.Warning, str(error))
        return names

    def is_current(self, uri: str) -> bool:
        """Whether the diagnostics shown are those of the buffer as it is now."""
        document = self.workspace.text_documents.get(uri)
        result = self._results.get(uri)
        return document is not None and result is not None and result.version == document.version

    def current_findings(self, document: TextDocument) -> tuple[Finding, ...]:
        result = self._results.get(document.uri)
        if result is None or result.version != document.version:
            try:
                findings = lint_text(
                    document.source, document.path, self.disabling_names(document.path)
                )
            except InternalError:
                findings = []
            result = LintResult(document.version, tuple(findings))
        return result.findings

    def fixed_text(self, document: TextDocument, lines: set[int] | None = None) -> str | None:
        """The buffer with NG001 fixed (only at findings starting on ``lines``, if given)."""
        try:
            result = fix_source(
                document.source,
                document.path or "<buffer>",
                lines=lines,
                disabling_names=self.disabling_names(document.path),
            )
        except SourceError:
            return None
        return result.text if result.changed else None

    def log(self, kind: types.MessageType, message: str) -> None:
        """Show ``message`` in the editor's log; sent from the event loop even when called
        from the analysis thread, so that two writers never interleave on stdout."""
        params = types.LogMessageParams(type=kind, message=f"nograd-lint: {message}")
        if self._loop is None:
            self.window_log_message(params)
        else:
            self._loop.call_soon_threadsafe(self.window_log_message, params)


def lint_text(text: str, path: str | None, disabling_names: frozenset[str]) -> list[Finding]:
    """Findings, or none for a buffer that does not parse (mid-edit, most of the time); a bug
    of ours (:class:`InternalError`) is raised for the caller to report."""
    try:
        return check_source(text, path or "<buffer>", disabling_names=disabling_names)
    except InternalError:
        raise
    except SourceError:
        return []


# -- conversions between findings, text and LSP ---------------------------------------------


def client_position(
    document: TextDocument, lines: Sequence[str], line: int, column: int
) -> types.Position:
    """An LSP position from a 0-based line and a column counted in characters."""
    if line >= len(lines):
        return types.Position(line=line, character=0)
    return document.position_codec.position_to_client_units(
        lines, types.Position(line=line, character=column)
    )


def to_diagnostics(document: TextDocument, findings: Sequence[Finding]) -> list[types.Diagnostic]:
    lines = physical_lines(document.source)
    return [
        types.Diagnostic(
            range=types.Range(
                start=client_position(document, lines, finding.line - 1, finding.col),
                end=client_position(document, lines, finding.end_line - 1, finding.end_col),
            ),
            message=finding.message,
            severity=types.DiagnosticSeverity.Warning,
            code=finding.code,
            code_description=types.CodeDescription(href=RULES[finding.code].url),
            source=SERVER_NAME,
        )
        for finding in findings
    ]


def _line_start(document: TextDocument, lines: Sequence[str], index: int) -> types.Position:
    """Where line ``index`` starts; past a last line without a newline, the end of that line."""
    if index >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        return client_position(document, lines, len(lines) - 1, len(lines[-1]))
    return types.Position(line=index, character=0)


def text_edits(document: TextDocument, new_text: str) -> list[types.TextEdit]:
    """Whole-line edits turning the buffer into ``new_text``: small, so cursors and folds stay."""
    old, new = physical_lines(document.source), physical_lines(new_text)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        types.TextEdit(
            range=types.Range(
                start=_line_start(document, old, i1), end=_line_start(document, old, i2)
            ),
            new_text="".join(new[j1:j2]),
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def workspace_edit(
    server: NogradLanguageServer, document: TextDocument, new_text: str
) -> types.WorkspaceEdit:
    """Versioned document changes when the client takes them (a stale edit is then refused)."""
    edits = text_edits(document, new_text)
    capabilities = server.client_capabilities.workspace
    if (
        capabilities
        and capabilities.workspace_edit
        and capabilities.workspace_edit.document_changes
    ):
        identifier = types.OptionalVersionedTextDocumentIdentifier(
            uri=document.uri, version=document.version
        )
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=edits)]
        )
    return types.WorkspaceEdit(changes={document.uri: edits})


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for "source" or "source.fixAll" includes ours."""
    return only is None or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)


def _offers_resolve(server: NogradLanguageServer) -> bool:
    """Whether the client fetches an action's edit only once it is chosen (codeAction/resolve)."""
    text_document = server.client_capabilities.text_document
    support = (
        text_document and text_document.code_action and text_document.code_action.resolve_support
    )
    return bool(support and "edit" in support.properties)


def code_actions(
    server: NogradLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """A quick fix per flagged line in the range, and fix-all there or when asked for by kind.

    Editors ask at every cursor move, so when the client can resolve actions later the edits,
    each a fix of the whole buffer, are computed only for the action the user picks."""
    document = server.workspace.get_text_document(params.text_document.uri)
    first, last = params.range.start.line + 1, params.range.end.line + 1
    lines = sorted(
        {
            f.line
            for f in server.current_findings(document)
            if f.line <= last and f.end_line >= first
        }
    )
    only = (
        [str(getattr(kind, "value", kind)) for kind in params.context.only]
        if params.context.only
        else None
    )
    actions = []
    if _wanted(types.CodeActionKind.QuickFix.value, only):
        actions += [
            types.CodeAction(
                title=QUICK_FIX_TITLE,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[
                    d
                    for d in params.context.diagnostics
                    if d.source == SERVER_NAME and d.range.start.line == line - 1
                ]
                or None,
                is_preferred=True,
                data={"uri": document.uri, "version": document.version, "line": line},
            )
            for line in lines
        ]
    if (
        (lines or only is not None)
        and _wanted(FIX_ALL_KIND, only)
        and server.current_findings(document)
    ):
        actions.append(
            types.CodeAction(
                title=FIX_ALL_TITLE,
                kind=FIX_ALL_KIND,
                data={"uri": document.uri, "version": document.version},
            )
        )
    if _offers_resolve(server):
        return actions
    resolved = [resolve_code_action(server, action) for action in actions]
    return [action for action in resolved if action.edit is not None]  # unfixable: no action


def resolve_code_action(server: NogradLanguageServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in the edit of one of our actions, if its buffer is still the version it was for."""
    data = action.data if isinstance(action.data, dict) else {}
    document = server.workspace.text_documents.get(data.get("uri", ""))
    if document is None or document.version != data.get("version"):
        return action
    line = data.get("line")
    new_text = server.fixed_text(document, lines=None if line is None else {line})
    if new_text is not None:
        action.edit = workspace_edit(server, document, new_text)
    return action


# -- the server ------------------------------------------------------------------------------


def _disabling_names_in(settings: object) -> frozenset[str]:
    """``disablingNames`` of initialization options or settings; anything malformed is none."""
    names = settings.get("disablingNames", []) if isinstance(settings, dict) else []
    return (
        frozenset(name for name in names if isinstance(name, str))
        if isinstance(names, list)
        else frozenset()
    )


def create_server(debounce_s: float = 0.3) -> NogradLanguageServer:
    """A server with NG001's features registered; ``start_io()`` runs it."""
    server = NogradLanguageServer(debounce_s)

    @server.feature(types.INITIALIZE)
    def initialize(ls: NogradLanguageServer, params: types.InitializeParams) -> None:
        ls.extra_disabling_names = _disabling_names_in(params.initialization_options)

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
        ls.schedule_lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NogradLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule_lint(params.text_document.uri, ls.debounce_s)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NogradLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if not ls.is_current(params.text_document.uri):
            ls.schedule_lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NogradLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True
        ),
    )
    async def code_action(
        ls: NogradLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        return await ls.off_the_loop(code_actions, ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(
        ls: NogradLanguageServer, action: types.CodeAction
    ) -> types.CodeAction:
        return await ls.off_the_loop(resolve_code_action, ls, action)

    return server
