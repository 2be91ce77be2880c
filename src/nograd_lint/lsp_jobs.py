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


def fixed_text(
    text: str, path: str | None, lines: Collection[int] | None, disabling_names: Collection[str]
) -> str | None:
    """The buffer with its NG001 findings wrapped (only those starting on ``lines``, if given),
    or None when nothing can be fixed."""
    try:
        result = fix_source(text, path or "<buffer>", lines=lines, disabling_names=disabling_names)
    except SourceError:
        return None
    return result.text if result.changed else None
