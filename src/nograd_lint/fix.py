"""The autofix: wrap each flagged statement in ``with torch.no_grad():``.

The fix is *unsafe* in ruff's sense: an output produced under ``no_grad`` can no longer be
back-propagated through, which changes behaviour if later code needs its gradient. It is
therefore only applied on request (``--fix``), and every result is re-parsed and re-linted
before anyone writes it.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import cast

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from .analysis.imports import ImportTable
from .api import check_source
from .findings import Finding, SourceError
from .source import decode, parse

#: What ``--fix-with`` accepts: the torch context manager the fix wraps statements in.
CONTEXTS = ("no_grad", "inference_mode")

_WRAPPABLE_COMPOUNDS = (cst.For, cst.While, cst.If, cst.With, cst.Match)
_NOT_WRAPPABLE = {
    cst.FunctionDef: "the call is in a function header (decorator or default)",
    cst.ClassDef: "the call is in a class header",
}


class FixError(SourceError):
    """The fixed code would not parse; nothing is written."""


@dataclass(frozen=True)
class Skipped:
    """A finding the fix leaves alone, and why."""

    finding: Finding
    reason: str


@dataclass
class FixResult:
    """``text`` is the fixed source (the input itself when nothing changed); ``fixed`` the
    findings it wrapped, at their original positions; ``skipped`` those it could not;
    ``remaining`` what linting ``text`` still reports."""

    text: str
    fixed: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def fix_source(
    source: str | bytes,
    filename: str = "<stdin>",
    *,
    context: str = "no_grad",
    lines: Collection[int] | None = None,
    disabling_names: Collection[str] = (),
) -> FixResult:
    """Wrap the statements of NG001 findings (only those starting on ``lines`` if given) in
    ``with torch.<context>():``. Raises :class:`SourceError` for bad input and
    :class:`FixError` if the result would not parse."""
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, not {context!r}")
    text = decode(source)
    findings = check_source(text, filename, disabling_names=disabling_names)
    selected = [f for f in findings if lines is None or f.line in lines]
    if not selected:
        return FixResult(text, remaining=findings)

    wrapper = MetadataWrapper(parse(text), unsafe_skip_copy=True)
    targets, skipped = _locate(wrapper, selected)
    if not targets:
        return FixResult(text, skipped=skipped, remaining=findings)

    module = wrapper.module
    call, needs_import = _context_call(module, context)
    fixed_module = module.visit(_Wrapper(set(targets), call))
    if needs_import:
        fixed_module = _with_torch_import(fixed_module)
    new_text = fixed_module.code
    try:
        cst.parse_module(new_text)
        with warnings.catch_warnings():  # the user's own warnings are not ours to print
            warnings.simplefilter("ignore")
            compile(new_text, filename, "exec", dont_inherit=True)
    except (cst.ParserSyntaxError, SyntaxError, ValueError) as error:
        raise FixError(f"fix not applied: the result would not parse ({error})") from None
    fixed = [f for f in selected if f not in {s.finding for s in skipped}]
    return FixResult(
        new_text, fixed, skipped, check_source(new_text, filename, disabling_names=disabling_names)
    )


# -- where each finding's statement is ---------------------------------------------------


def _locate(
    wrapper: MetadataWrapper, findings: Sequence[Finding]
) -> tuple[dict[int, cst.CSTNode], list[Skipped]]:
    """Map findings to the statements to wrap (``id`` -> node), outermost wins."""
    positions = wrapper.resolve(PositionProvider)
    parents = wrapper.resolve(ParentNodeProvider)
    calls = _calls_by_span(wrapper.module, positions)
    candidates: dict[int, tuple[cst.CSTNode, CodeRange]] = {}
    skipped: list[Skipped] = []
    for finding in findings:
        call = calls.get((finding.line, finding.col, finding.end_line, finding.end_col))
        located = (
            _statement_of(call, parents) if call is not None else "the call could not be located"
        )
        if isinstance(located, str):
            skipped.append(Skipped(finding, located))
        else:
            candidates[id(located)] = (located, positions[located])
    # A statement inside another one being wrapped is covered by the outer ``with``.
    targets = {
        key: node
        for key, (node, span) in candidates.items()
        if not any(
            other is not node and _contains(o_span, span) for other, o_span in candidates.values()
        )
    }
    return targets, skipped


def _statement_of(call: cst.Call, parents) -> cst.CSTNode | str:
    """The smallest statement holding the finding's call, or why there is none to wrap."""
    node: cst.CSTNode = call
    child: cst.CSTNode = call
    while not isinstance(node, cst.Module):
        parent = parents[node]
        if isinstance(node, cst.Lambda):
            return "the call is inside a lambda, which runs later"
        if isinstance(node, cst.GeneratorExp) and not isinstance(parent, cst.Arg):
            return "the call is inside a generator expression, which runs later"
        if isinstance(node, (cst.Yield, cst.Await)):
            return "the statement suspends (yield/await) and no_grad would leak to other code"
        if isinstance(node, cst.SimpleStatementLine):
            return (
                node
                if isinstance(parents[node], (cst.IndentedBlock, cst.Module))
                else "unsupported block"
            )
        if isinstance(node, cst.SimpleStatementSuite):
            return node  # ``if cond: out = model(x)`` becomes an indented block
        if isinstance(node, tuple(_NOT_WRAPPABLE)):
            return _NOT_WRAPPABLE[type(node)]
        if isinstance(node, _WRAPPABLE_COMPOUNDS) and child is not node.body:
            if isinstance(node, cst.If) and isinstance(parent, cst.If) and parent.orelse is node:
                return "the call is in an elif condition"
            if child is getattr(node, "orelse", None):
                return "unsupported block"
            return node
        if (
            isinstance(node, (cst.ExceptHandler, cst.MatchCase, cst.Else, cst.Finally))
            and child is not node.body
        ):
            return "the call is in a clause header that cannot be wrapped"
        child, node = node, parent
    return "no statement to wrap"


def _calls_by_span(module: cst.Module, positions) -> dict[tuple[int, int, int, int], cst.Call]:
    """Every call by (line, col, end_line, end_col), the coordinates findings carry."""
    calls = {}
    for node, span in positions.items():
        if isinstance(node, cst.Call):
            calls[(span.start.line, span.start.column, span.end.line, span.end.column)] = node
    return calls


def _contains(outer: CodeRange, inner: CodeRange) -> bool:
    return (
        (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column)
        and (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)
        and outer != inner
    )


# -- the rewrite ---------------------------------------------------------------------------


class _Wrapper(cst.CSTTransformer):
    """Wraps target statements, merging neighbours of one block into one ``with``."""

    def __init__(self, targets: set[int], call: cst.Call) -> None:
        super().__init__()
        self.targets = targets
        self.call = call

    def _with(
        self, body: Sequence[cst.BaseStatement], leading: Sequence[cst.EmptyLine]
    ) -> cst.With:
        return cst.With(
            items=[cst.WithItem(self.call)],
            body=cst.IndentedBlock(body=list(body)),
            leading_lines=list(leading),
        )

    def _wrap_runs(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list:
        result: list[cst.BaseStatement] = []
        run: list[cst.BaseStatement] = []
        for before, after in zip(original, updated):
            if id(before) in self.targets:
                run.append(after)
                continue
            if run:
                result.append(self._close(run))
                run = []
            result.append(after)
        if run:
            result.append(self._close(run))
        return result

    def _close(self, run: list[cst.BaseStatement]) -> cst.With:
        # Every statement LibCST parses is one of these two; both carry ``leading_lines``.
        first, *rest = cast("list[cst.SimpleStatementLine | cst.BaseCompoundStatement]", run)
        # Comments and blank lines above the first statement stay above the ``with``; blank
        # lines between moved statements must not gain the deeper indentation as whitespace.
        rest = [
            s.with_changes(leading_lines=[_unindented_if_blank(e) for e in s.leading_lines])
            for s in rest
        ]
        return self._with([first.with_changes(leading_lines=[]), *rest], first.leading_lines)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(
            body=self._wrap_runs(original_node.body, updated_node.body)
        )

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(
            body=self._wrap_runs(original_node.body, updated_node.body)
        )

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite | cst.IndentedBlock:
        if id(original_node) not in self.targets:
            return updated_node
        line = cst.SimpleStatementLine(
            body=updated_node.body, trailing_whitespace=updated_node.trailing_whitespace
        )
        return cst.IndentedBlock(body=[self._with([line], [])])


def _unindented_if_blank(line: cst.EmptyLine) -> cst.EmptyLine:
    return line.with_changes(indent=False) if line.comment is None else line


# -- which spelling of torch.no_grad to use ------------------------------------------------


def _context_call(module: cst.Module, context: str) -> tuple[cst.Call, bool]:
    """``torch.no_grad()`` spelled with the module's own top-level imports (``no_grad()``,
    ``T.no_grad()``); True if ``import torch`` must be added."""
    imports = ImportTable(assume_torch=False)
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    imports.add(small)
    for qualified in (
        f"torch.{context}",
        f"torch.autograd.{context}",
        f"torch.autograd.grad_mode.{context}",
    ):
        local = imports.local_name(qualified)
        if local is not None:
            return cst.Call(cst.Name(local)), False
    torch_name = imports.local_name("torch")
    return cst.Call(
        cst.Attribute(cst.Name(torch_name or "torch"), cst.Name(context))
    ), torch_name is None


def _with_torch_import(module: cst.Module) -> cst.Module:
    """Add ``import torch`` after the docstring and ``from __future__`` imports."""
    body = list(module.body)
    index = 0
    if body and _is_docstring(body[0]):
        index = 1
    while index < len(body) and _is_future_import(body[index]):
        index += 1
    statement = cst.SimpleStatementLine(
        body=[cst.Import(names=[cst.ImportAlias(cst.Name("torch"))])]
    )
    body.insert(index, statement)
    return module.with_changes(body=body)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_future_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(s, cst.ImportFrom)
        and s.module is not None
        and get_full_name_for_node(s.module) == "__future__"
        for s in statement.body
    )
