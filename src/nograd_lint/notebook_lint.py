"""Linting a notebook: the analysis of its cells as one module (``notebook``), with every
position given back as a cell and a line in it."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from .errors import SourceError
from .findings import Finding, Related
from .formatters import FileResult, with_lines
from .notebook import Notebook, Place, read_notebook

_POSITION = re.compile(r"^(syntax error at )(\d+):(\d+)")


def lint_notebook(data: bytes, shown: str, disabling_names: Collection[str] = ()) -> FileResult:
    """Raises :class:`SourceError` (one line, positions in cells) for a notebook that cannot
    be read or whose code Python would not compile."""
    notebook = read_notebook(data)
    if notebook.skipped is not None:
        return FileResult(shown, notice=notebook.skipped)
    findings = check_notebook(notebook, shown, disabling_names)
    return located(FileResult(shown, findings), notebook)


def check_notebook(
    notebook: Notebook, shown: str, disabling_names: Collection[str] = ()
) -> list[Finding]:
    from .api import check_source

    try:
        return check_source(notebook.module, shown, disabling_names=disabling_names)
    except SourceError as error:
        raise type(error)(in_cells(str(error), notebook)) from None


def in_cells(message: str, notebook: Notebook) -> str:
    """Python's ``syntax error at 12:5: ...`` with the line given as a cell's, and so the
    lines its text names (``after 'with' statement on line 4``). An error on the line
    between two cells (a block that one cell opens and the next was to fill) is given at
    the start of the cell after it."""
    found = _POSITION.match(message)
    if found is None:
        return message
    line, col = int(found.group(2)), int(found.group(3)) - 1
    place = notebook.place(line, col) or notebook.place(line + 1, 0)
    if place is None:
        return message
    where = f"cell {place.cell}:{place.line}:{place.col + 1}"
    return (
        found.group(1)
        + where
        + _ON_LINE.sub(lambda m: _cell_line(m, notebook), message[found.end() :])
    )


_ON_LINE = re.compile(r"\bon line (\d+)\b")


def _cell_line(found: re.Match[str], notebook: Notebook) -> str:
    place = notebook.place(int(found.group(1)), 0)
    return found.group(0) if place is None else f"on cell {place.cell}:{place.line}"


def located(result: FileResult, notebook: Notebook) -> FileResult:
    """``result`` with its findings' places in cells, and their lines for --show-source."""
    result.places = places(notebook, result.findings)
    return with_lines(result, notebook.module)


def places(notebook: Notebook, findings: Iterable[Finding]) -> dict[tuple[int, int], Place]:
    spans: list[Finding | Related] = []
    for finding in findings:
        spans += [finding, *finding.related]
    found = {}
    for span in spans:
        for line, col in ((span.line, span.col), (span.end_line, span.end_col)):
            place = notebook.place(line, col)
            if place is not None:
                found[line, col] = place
    return found
