"""What the language server's worker processes run: linting and fixing one buffer.

Kept apart from the server so that a worker imports the analysis and not pygls; every
argument and result crosses a process boundary, so they are plain picklable values.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from .api import check_source
from .errors import InternalError, SourceError
from .findings import Finding
from .fix import fix_source
from .line_diff import Hunk, changed_lines
from .source import physical_lines


@dataclass(frozen=True)
class LintOutcome:
    """The findings of one version of a buffer; ``problem`` says why there are none when
    the analysis failed on valid code (a bug of ours, for the editor's log)."""

    findings: tuple[Finding, ...] = ()
    problem: str | None = None


def lint(
    text: str,
    path: str | None,
    disabling_names: Collection[str],
    codes: Collection[str] | None = None,
) -> LintOutcome:
    """Findings (of the rules of ``codes``, if given), or none for a buffer that does not
    parse (mid-edit, most of the time)."""
    try:
        findings = check_source(text, path or "<buffer>", disabling_names=disabling_names)
    except InternalError as error:
        return LintOutcome(problem=str(error))
    except SourceError:
        return LintOutcome()
    return LintOutcome(tuple(f for f in findings if codes is None or f.code in codes))


def fix_hunks(
    text: str,
    path: str | None,
    lines: Collection[int] | None,
    disabling_names: Collection[str],
    codes: Collection[str] | None = None,
) -> list[Hunk] | None:
    """The lines that fixing the buffer's findings changes (only those starting on
    ``lines``, if given; of the rules of ``codes``, if given), or None when nothing can be
    fixed. The comparison of the two texts is done here too, so that the server never
    spends the time."""
    try:
        result = fix_source(
            text,
            path or "<buffer>",
            lines=lines,
            disabling_names=disabling_names,
            codes=codes,
        )
    except SourceError:
        return None
    if not result.changed:
        return None
    return changed_lines(physical_lines(text), physical_lines(result.text))


#: A notebook's finding: the cell it is in (its index among all cells), the finding with lines
#: counted in that cell, and the cell of each of its related places.
CellFinding = tuple[int, Finding, tuple[int, ...]]


def lint_cells(
    code: Sequence[tuple[int, str]],
    path: str | None,
    disabling_names: Collection[str],
    codes: Collection[str] | None = None,
) -> tuple[tuple[CellFinding, ...], str | None]:
    """A notebook's findings from its code cells' (index, text), the cells analysed as one
    module; and the problem, as :func:`lint` gives it."""
    from .notebook import Notebook, cells_module

    notebook = Notebook(None, *cells_module(code))
    outcome = lint(notebook.module, path, disabling_names, codes)
    found = []
    for finding in outcome.findings:
        place = notebook.cell_at(finding.line)
        if place is None:
            continue
        related = [(notebook.cell_at(r.line), r) for r in finding.related]
        kept = [(cell, r) for cell, r in related if cell is not None]
        local = replace(
            finding,
            line=finding.line - place.start + 1,
            end_line=finding.end_line - place.start + 1,
            related=tuple(
                replace(r, line=r.line - c.start + 1, end_line=r.end_line - c.start + 1)
                for c, r in kept
            ),
        )
        found.append((place.index, local, tuple(c.index for c, _ in kept)))
    return tuple(found), outcome.problem


def fix_cells(
    code: Sequence[tuple[int, str]],
    path: str | None,
    cell: int,
    lines: Collection[int] | None,
    disabling_names: Collection[str],
    codes: Collection[str] | None = None,
) -> dict[int, list[Hunk]] | None:
    """The changes, per cell index, of the fix of the findings in cell ``cell`` (only those
    starting on ``lines`` of it, if given); None when nothing can be fixed."""
    from .notebook import Notebook, cells_module
    from .notebook_fix import fix_cells_text

    notebook = Notebook(None, *cells_module(code))
    try:
        changed = fix_cells_text(
            notebook, path or "<notebook>", cell, lines, disabling_names, codes=codes
        )
    except SourceError:
        return None
    texts = dict(code)
    hunks = {
        index: changed_lines(physical_lines(texts[index]), physical_lines(text))
        for index, text in changed.items()
    }
    return hunks or None
