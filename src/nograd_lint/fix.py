"""The autofix: wrap each NG001 statement in ``with torch.no_grad():``, then detach each
NG002 stored value (``fix_ng002``), then remove each needless NG003 ``retain_graph=True``
(``fix_ng003``).

The fix is *unsafe* in ruff's sense: an output produced under ``no_grad`` can no longer be
back-propagated through, which changes behaviour if later code needs its gradient. It is
therefore only applied on request (``--fix``), and every result is compiled and re-linted
before anyone writes it. A finding it cannot fix safely is left alone, with the reason, and
stays a finding.

Where to wrap is read off the stdlib ``ast`` (``fix_targets``), what may not be wrapped is
decided by ``fix_safety`` and ``fix_imports``, and the edit is made on the text
(``fix_text``), so that everything the fix does not wrap is kept byte for byte.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Callable

from .api import check_source
from .errors import SourceError
from .findings import NG001, NG002, NG003, Finding
from .fix_imports import Spelling, import_line, is_docstring, spelling
from .fix_safety import SUSPENDS, suspends
from .fix_targets import Group, Locator, in_a_function_in_another, nested_in_another
from .fix_text import indent_unit, wrap
from .source import decode, physical_lines, python_tree

#: What ``--fix-with`` accepts: the torch context manager the fix wraps statements in.
CONTEXTS = ("no_grad", "inference_mode")


class FixError(SourceError):
    """Kept for callers that catch it; :func:`fix_source` reports a fix that would not
    compile as refusals (:class:`Skipped`) instead, so that no finding is lost."""


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
    codes: Collection[str] | None = None,
) -> FixResult:
    """Fix the findings of ``source`` (only those starting on ``lines`` if given; only
    those of ``codes`` if given, the others neither fixed nor reported): NG001's statements
    wrapped in ``with torch.<context>():``, then NG002's stored values detached. Raises
    :class:`SourceError` for input that cannot be decoded or analysed.

    The wrap goes first, because it can make NG002 moot: a value computed under ``no_grad``
    carries no graph (``preds.append(model(x))`` with an eval-mode ``model``). The NG002
    findings that the re-lint of the wrapped text no longer reports count as fixed by the
    wrap; the others are detached in the wrapped text, which is then re-linted again."""
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, not {context!r}")
    text = decode(source)

    def lint(text: str, tree: ast.Module | None = None) -> list[Finding]:
        found = check_source(text, filename, tree=tree, disabling_names=disabling_names)
        return found if codes is None else [f for f in found if f.code in codes]

    try:
        tree = python_tree(text, filename)
    except SourceError:  # the check raises the same error, or has nothing to find
        return FixResult(text, remaining=lint(text))
    findings = lint(text, tree)
    result = _wrap_pass(text, filename, tree, findings, lines, context, lint)
    if any(f.code == NG002 for f in findings):
        from .fix_ng002 import detach_pass

        result = detach_pass(result, findings, filename, lines, lint)
    if any(f.code == NG003 for f in findings):
        from .fix_ng003 import retain_pass

        result = retain_pass(result, findings, filename, lines, lint)
    return result


def _wrap_pass(
    text: str,
    filename: str,
    tree: ast.Module,
    findings: list[Finding],
    lines: Collection[int] | None,
    context: str,
    lint: Callable[[str], list[Finding]],
) -> FixResult:
    """The NG001 wrap of ``findings`` (only those starting on ``lines`` if given)."""
    selected = [f for f in findings if f.code == NG001 and (lines is None or f.line in lines)]
    if not selected:
        return FixResult(text, remaining=findings)

    source_lines = physical_lines(text)
    torch = spelling(tree, context, source_lines)
    runs, fixed, skipped = _plan(tree, source_lines, selected, torch)
    if not runs:
        return FixResult(text, skipped=skipped, remaining=findings)
    new_text = wrap(
        source_lines,
        runs,
        torch.call,
        indent_unit(tree, source_lines),
        import_line(tree) if torch.needs_import else None,
    )
    reason = relint_problem(new_text, filename, lint)
    if isinstance(reason, list):
        return FixResult(new_text, fixed, skipped, reason)
    return FixResult(
        text, skipped=skipped + [Skipped(f, reason) for f in fixed], remaining=findings
    )


def relinted(
    before: FixResult,
    new_text: str,
    originals: list[Finding],
    skipped: list[Skipped],
    filename: str,
    lint: Callable[[str], list[Finding]],
) -> FixResult:
    """A later pass's result: ``new_text`` with the ``originals`` it fixes added to what
    ``before`` fixed, or, if the text cannot be used, ``before`` with them refused."""
    outcome = relint_problem(new_text, filename, lint)
    if isinstance(outcome, list):
        return FixResult(new_text, before.fixed + originals, skipped, outcome)
    return FixResult(
        before.text,
        before.fixed,
        skipped + [Skipped(f, outcome) for f in originals],
        before.remaining,
    )


def relint_problem(
    new_text: str, filename: str, lint: Callable[[str], list[Finding]]
) -> list[Finding] | str:
    """The findings of a fixed text, or why it cannot be used (it would not compile, or
    could not be analysed again)."""
    problem = _compile_problem(new_text, filename)
    if problem is not None:
        return f"the fixed code would not compile ({problem})"
    try:
        return lint(new_text)
    except SourceError as error:
        return f"the fixed code could not be analysed again ({error})"


def _plan(
    tree: ast.Module, lines: list[str], findings: Sequence[Finding], torch: Spelling
) -> tuple[list[list[Group]], list[Finding], list[Skipped]]:
    """Runs of neighbouring groups to wrap together, the findings they fix, and those
    refused."""
    locator = Locator(tree, lines, findings)
    groups: dict[tuple[int, str, int], Group] = {}
    finding_groups: list[tuple[Finding, Group]] = []
    skipped: list[Skipped] = []
    for finding in findings:
        call = locator.call_of(finding)
        located = "the call could not be located" if call is None else locator.statement_of(call)
        group = located if isinstance(located, str) else locator.group_of(located)
        if not isinstance(group, str):
            group = groups.get(group.key, group)
            reason = _refusal(group, torch)
            if reason is None:
                groups[group.key] = group
                finding_groups.append((finding, group))
                continue
            group = reason
        skipped.append(Skipped(finding, group))
    wrapped = {id(s) for g in groups.values() for s in g.statements}
    later = {key for key, g in groups.items() if in_a_function_in_another(g, wrapped, locator)}
    outermost = {
        key: g
        for key, g in groups.items()
        if key not in later and not nested_in_another(g, wrapped, locator)
    }
    fixed = [f for f, g in finding_groups if g.key not in later]
    skipped += [Skipped(f, IN_A_FUNCTION) for f, g in finding_groups if g.key in later]
    return _runs(list(outermost.values())), fixed, skipped


IN_A_FUNCTION = (
    "the call is in a function defined inside a statement wrapped here; run the fix again"
)


DOCSTRING = "the statement shares its line with a docstring, which must stay first"

_DOCUMENTED = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _refusal(group: Group, torch: Spelling) -> str | None:
    if suspends(group.statements):
        return SUSPENDS
    if _holds_a_docstring(group):
        return DOCSTRING
    return torch.refusal_for(group.first_line)


def _holds_a_docstring(group: Group) -> bool:
    """Whether the group starts with a docstring (``'Doc.'; out = model(x)`` on one line):
    inside the ``with`` it would be a plain string, and ``__doc__`` None."""
    return (
        isinstance(group.owner, _DOCUMENTED)
        and group.field == "body"
        and group.start == 0
        and is_docstring(group.statements[0])
    )


def _runs(groups: list[Group]) -> list[list[Group]]:
    """Groups that follow each other in one block, merged into one ``with``."""
    runs: list[list[Group]] = []
    for group in sorted(groups, key=lambda g: g.first_line):
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and previous.owner is group.owner
            and previous.field == group.field
            and previous.stop == group.start
            and not group.suite
        ):
            runs[-1].append(group)
        else:
            runs.append([group])
    return runs


def _compile_problem(text: str, filename: str) -> str | None:
    """Why Python will not compile ``text``, if it will not. The original always compiles
    here: :func:`check_source` raises for one that does not, whenever it has findings."""
    try:
        with warnings.catch_warnings():  # the user's own warnings are not ours to print
            warnings.simplefilter("ignore")
            compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as error:  # its str() holds the file name, which the report has
        return f"{error.msg}, line {error.lineno}"
    except ValueError as error:
        return str(error)
    except (RecursionError, MemoryError) as error:
        return type(error).__name__
    return None
