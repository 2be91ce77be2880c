"""What the language server's worker processes run: linting and fixing one buffer.

Kept apart from the server so that a worker imports the analysis and not pygls; every
argument and result crosses a process boundary, so they are plain picklable values.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .api import check_source
from .findings import Finding, InternalError, SourceError
from .fix import fix_source
from .line_diff import Hunk, changed_lines
from .source import physical_lines


@dataclass(frozen=True)
class LintOutcome:
    """The findings of one version of a buffer; ``problem`` says why there are none when
    the analysis failed on valid code (a bug of ours, for the editor's log)."""

    findings: tuple[Finding, ...] = ()
    problem: str | None = None


def lint(text: str, path: str | None, disabling_names: Collection[str]) -> LintOutcome:
    """Findings, or none for a buffer that does not parse (mid-edit, most of the time)."""
    try:
        findings = check_source(text, path or "<buffer>", disabling_names=disabling_names)
    except InternalError as error:
        return LintOutcome(problem=str(error))
    except SourceError:
        return LintOutcome()
    return LintOutcome(tuple(findings))


def fix_hunks(
    text: str, path: str | None, lines: Collection[int] | None, disabling_names: Collection[str]
) -> list[Hunk] | None:
    """The lines that wrapping the buffer's NG001 findings changes (only those starting on
    ``lines``, if given), or None when nothing can be fixed. The comparison of the two texts
    is done here too, so that the server never spends the time."""
    try:
        result = fix_source(text, path or "<buffer>", lines=lines, disabling_names=disabling_names)
    except SourceError:
        return None
    if not result.changed:
        return None
    return changed_lines(physical_lines(text), physical_lines(result.text))
