"""``--fix`` and ``--diff`` for a notebook: the fix of its module, given back to the cells it
changed. Only those cells' ``source`` values are rewritten in the file's text; outputs,
execution counts, metadata, ids, key order, indentation and escaping stay byte for byte.

A cell whose IPython lines (``%time``, ``!pip``) the fix would move into a ``with`` block,
or whose fix would take a cell boundary along, is refused with the reason: putting such a
line back would be a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from . import fix
from .findings import Finding
from .fix_files import all_safe
from .fix_output import unified_diff
from .formatters import FileResult
from .notebook import Cell, Notebook, read_notebook, split_module
from .notebook_json import NotebookError, SourceSpan
from .notebook_lint import check_notebook, located
from .notebook_magics import unmask
from .safe_write import WriteRefused, write_fixed

MOVES_A_MAGIC = "the fix would move an IPython line (magic or shell escape) of this cell"
MOVES_A_BOUNDARY = "the fix would reach across a cell boundary"


def fix_notebook(
    path: str,
    shown: str,
    data: bytes,
    mode: str,
    context: str,
    disabling_names: Collection[str],
    unsafe_fixes: bool = True,
    codes: Collection[str] | None = None,
) -> FileResult:
    """As :func:`fix_files.fix_file`, for a notebook; ``path`` ``-`` is stdin."""
    notebook = read_notebook(data)
    if notebook.skipped is not None:
        return FileResult(shown, notice=notebook.skipped, fixed_bytes=data if path == "-" else None)
    findings = check_notebook(notebook, shown, disabling_names)
    findings = [f for f in findings if codes is None or f.code in codes]
    result, cells, refused = _fix_cells(notebook, shown, findings, context, disabling_names, codes)
    skipped = result.skipped + refused
    if result.changed and not unsafe_fixes and not all_safe(result.fixed):
        held = FileResult(shown, findings, skipped=skipped, unsafe_fixes=len(result.fixed))
        held.fixed_bytes = data if path == "-" else None
        return _with_skips(located(held, notebook), notebook, skipped)
    if not result.changed:
        unchanged = FileResult(shown, findings, skipped=skipped)
        unchanged.fixed_bytes = data if path == "-" else None
        return _with_skips(located(unchanged, notebook), notebook, skipped)
    new_bytes = _encoded(rewritten(notebook, cells), notebook)
    fixed_notebook = read_notebook(new_bytes)
    remaining = check_notebook(fixed_notebook, shown, disabling_names)
    outcome = FileResult(shown, remaining, fixed=len(result.fixed), skipped=skipped)
    outcome.fixed_codes = tuple(f.code for f in result.fixed)
    _with_skips(located(outcome, fixed_notebook), notebook, skipped)
    if path == "-":
        outcome.fixed_bytes = new_bytes
    elif mode == "fix":
        try:
            write_fixed(path, new_bytes, data)
        except WriteRefused as error:
            unfixed = FileResult(shown, findings, error=str(error), skipped=skipped)
            return _with_skips(located(unfixed, notebook), notebook, skipped)
    if mode == "diff":
        outcome.diff = _diff(notebook, cells, shown)
    return outcome


def _fix_cells(
    notebook: Notebook,
    shown: str,
    findings: list[Finding],
    context: str,
    disabling_names: Collection[str],
    codes: Collection[str] | None = None,
) -> tuple[fix.FixResult, dict[int, str], list[fix.Skipped]]:
    """The fix, the new text of each cell it changed (by cell index, IPython lines given
    back) and the findings refused because of their cell; refused cells are left out of the
    fix, and it is made again without them."""
    refused: list[fix.Skipped] = []
    excluded: set[int] = set()
    while True:
        lines = {f.line for f in findings if _cell_index(notebook, f) not in excluded}
        result = fix.fix_source(
            notebook.module,
            shown,
            context=context,
            lines=lines,
            disabling_names=disabling_names,
            codes=codes,
        )
        if not result.changed:
            return result, {}, refused
        parts = split_module(result.text, notebook)
        if parts is None:
            bad = {_cell_index(notebook, f) for f in result.fixed}
            reason = MOVES_A_BOUNDARY
        else:
            cells, bad = _unmasked(notebook, parts)
            reason = MOVES_A_MAGIC
            if not bad:
                return result, cells, refused
        bad -= excluded
        if not bad:  # cannot happen: a cell refused once is not fixed again
            return fix.FixResult(notebook.module, remaining=findings), {}, refused
        refused += [fix.Skipped(f, reason) for f in findings if _cell_index(notebook, f) in bad]
        excluded |= bad


def fix_cells_text(
    notebook: Notebook,
    shown: str,
    cell: int,
    lines: Collection[int] | None,
    disabling_names: Collection[str],
    context: str = "no_grad",
    codes: Collection[str] | None = None,
) -> dict[int, str]:
    """The new text of each cell that fixing the findings of cell ``cell`` changes (only
    those starting on ``lines`` of it, counted in the cell, if given); the editor's quick fix.
    Raises :class:`SourceError` for code that cannot be analysed."""
    findings = [
        f
        for f in check_notebook(notebook, shown, disabling_names)
        if _cell_index(notebook, f) == cell
        and (lines is None or _line_in_cell(notebook, f) in lines)
        and (codes is None or f.code in codes)
    ]
    if not findings:
        return {}
    return _fix_cells(notebook, shown, findings, context, disabling_names, codes)[1]


def _line_in_cell(notebook: Notebook, finding: Finding) -> int:
    cell = notebook.cell_at(finding.line)
    return finding.line if cell is None else finding.line - cell.start + 1


def _cell_index(notebook: Notebook, finding: Finding) -> int:
    cell = notebook.cell_at(finding.line)
    return -1 if cell is None else cell.index


def _unmasked(notebook: Notebook, parts: dict[int, str]) -> tuple[dict[int, str], set[int]]:
    """The changed cells with their IPython lines back, and the cells where that failed."""
    cells: dict[int, str] = {}
    bad: set[int] = set()
    for cell in notebook.cells:
        text = parts[cell.index]
        if text == cell.masked.text:
            continue
        restored = unmask(text, cell.masked)
        if restored is None:
            bad.add(cell.index)
        else:
            cells[cell.index] = _in_its_newlines(restored, cell.text)
    return cells, bad


def _in_its_newlines(text: str, original: str) -> str:
    """``text`` with the lines the fix wrote ending as every line of the cell ``original``
    did (``\\r\\n``, or ``\\r`` alone), as a ``.py`` file keeps its style; a cell of mixed
    endings is left as the fix wrote it."""
    bare = original.replace("\r\n", "")
    if "\r\n" in original and "\n" not in bare and "\r" not in bare:
        return re.sub(r"(?<!\r)\n", "\r\n", text)
    if "\r" in original and "\n" not in original:
        return text.replace("\n", "\r")
    return text


def _with_skips(result: FileResult, notebook: Notebook, skipped: list[fix.Skipped]) -> FileResult:
    wheres = []
    for skip in skipped:
        place = notebook.place(skip.finding.line, skip.finding.col)
        line, col = (
            (skip.finding.line, skip.finding.col) if place is None else (place.line, place.col)
        )
        prefix = "" if place is None else f"cell {place.cell}:"
        wheres.append(f"{prefix}{line}:{col + 1}")
    result.skipped = skipped
    result.skipped_where = wheres
    return result


def rewritten(notebook: Notebook, cells: dict[int, str]) -> str:
    """The file's text with the ``source`` of each cell in ``cells`` replaced, in the style
    the file already uses."""
    assert notebook.raw is not None, "a notebook read from a file"
    text = notebook.raw.text
    ascii_only = _escapes_non_ascii(text)
    pieces: list[str] = []
    at = 0
    for index in sorted(cells):
        span = notebook.raw.spans.get(index)
        if span is None:
            raise NotebookError(f"cannot fix: the source of cell {index + 1} was not located")
        pieces += [text[at : span.start], _source_json(text, span, cells[index], ascii_only)]
        at = span.end
    pieces.append(text[at:])
    return "".join(pieces)


def _encoded(text: str, notebook: Notebook) -> bytes:
    bom = notebook.raw is not None and notebook.raw.bom
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


#: A ``\\uXXXX`` escape of a character beyond ASCII (an odd number of backslashes before it).
_NON_ASCII_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u(?!00[0-7])[0-9a-fA-F]{4}")


def _escapes_non_ascii(text: str) -> bool:
    """Whether the file writes characters beyond ASCII as ``\\uXXXX`` (``ensure_ascii``);
    Jupyter writes them as they are."""
    return text.isascii() and _NON_ASCII_ESCAPE.search(text) is not None


def _source_json(text: str, span: SourceSpan, source: str, ascii_only: bool) -> str:
    if not span.is_list:
        return json.dumps(source, ensure_ascii=ascii_only)
    strings = [json.dumps(line, ensure_ascii=ascii_only) for line in source.splitlines(True)]
    if not strings:
        return "[]"
    if not span.strings or "\n" not in text[span.start : span.strings[0]]:
        return "[" + ", ".join(strings) + "]"
    first = span.strings[0]
    newline = "\r\n" if "\r\n" in text[span.start : span.end] else "\n"
    indent = text[text.rfind("\n", 0, first) + 1 : first]
    closing = text[text.rfind("\n", 0, span.end - 1) + 1 : span.end - 1]
    items = ("," + newline).join(indent + s for s in strings)
    return "[" + newline + items + newline + closing + "]"


def _diff(notebook: Notebook, cells: dict[int, str], shown: str) -> str:
    """One diff per changed cell, named ``path:cell N`` as ruff names them."""
    by_index: dict[int, Cell] = {c.index: c for c in notebook.cells}
    return "".join(
        unified_diff(by_index[index].text, cells[index], f"{shown}:cell {index + 1}")
        for index in sorted(cells)
    )
