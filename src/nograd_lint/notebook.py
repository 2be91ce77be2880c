"""A Jupyter notebook as one Python module: its code cells in order, IPython lines masked
(``notebook_magics``), each cell preceded by a comment line naming it, and the way back
from a line of that module to a cell and a line in it.

One module, because a kernel runs the cells in one namespace: a model put in eval mode in
cell 3 and called in cell 5 is the same model. Cells whose cell magic makes them something
other than Python (``%%bash``, ``%%capture``), Markdown and raw cells are left out, as are
notebooks whose kernel is not Python (R, Julia), with the reason.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .notebook_json import NotebookError, RawNotebook, line_and_column, load, raw_offset
from .notebook_magics import MaskedCell, cell_magic, mask

#: The line before each cell in the module, by which the fix finds the cells again. After
#: the first it is a statement, so that the fix never wraps the end of one cell and the start
#: of the next in one ``with``; the first is a comment, as ``from __future__`` must come first.
FIRST_HEADER = "# nograd-lint: notebook cell {}\n"
HEADER = "...  # nograd-lint: notebook cell {}\n"

_HEADER = re.compile(r"(?:\.\.\.  )?# nograd-lint: notebook cell (\d+)\n")


def is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


@dataclass(frozen=True)
class Cell:
    """One analysed code cell: ``index`` counts every cell of the notebook from 0;
    ``start`` is the module line of its first line."""

    index: int
    text: str
    masked: MaskedCell
    start: int

    @property
    def number(self) -> int:
        """As people count cells, and as ruff prints them: from 1, Markdown cells included."""
        return self.index + 1

    @property
    def line_count(self) -> int:
        return len(_lines(self.text))


@dataclass(frozen=True)
class Place:
    """A position in a notebook: the cell (numbered from 1), the 1-based line and 0-based
    column in it, and the same place in the ``.ipynb`` file's own text when known."""

    cell: int
    line: int
    col: int
    file_line: int | None = None
    file_col: int | None = None


@dataclass(frozen=True)
class Notebook:
    #: The file, when the notebook was read from one (an editor sends cells, not a file).
    raw: RawNotebook | None
    cells: tuple[Cell, ...]
    module: str
    #: Why nothing of it is analysed (a kernel that is not Python), or None.
    skipped: str | None = None

    def cell_at(self, line: int) -> Cell | None:
        """The cell holding module line ``line`` (None for a header line)."""
        for cell in reversed(self.cells):
            if cell.start <= line:
                return cell if line < cell.start + max(cell.line_count, 1) else None
        return None

    def place(self, line: int, col: int) -> Place | None:
        cell = self.cell_at(line)
        if cell is None:
            return None
        in_cell = line - cell.start + 1
        file_line, file_col = self._in_file(cell, in_cell, col)
        return Place(cell.number, in_cell, col, file_line, file_col)

    def _in_file(self, cell: Cell, line: int, col: int) -> tuple[int | None, int | None]:
        """Where the cell's line ``line``, column ``col`` lies in the ``.ipynb`` text: the
        line a CI viewer shows, when the file stores ``source`` as one string per line (as
        Jupyter writes it) or as one string."""
        span = None if self.raw is None else self.raw.spans.get(cell.index)
        if self.raw is None or span is None:
            return None, None
        if span.is_list:
            lines = _source_list(self.raw.data["cells"][cell.index]["source"])
            if len(lines) != len(span.strings) or line > len(lines):
                return None, None
            quote, chars = span.strings[line - 1], col
            if any(_newlines(element) for element in lines):
                return None, None  # not one string per line: say the cell's first line only
        else:
            quote = span.strings[0]
            chars = sum(len(x) for x in _lines(cell.text)[: line - 1]) + col
        offset = raw_offset(self.raw.text, quote, chars)
        file_line, file_col = line_and_column(self.raw.text, offset)
        return file_line, file_col


def _newlines(element: str) -> int:
    return len(_lines(element)) - 1 if element else 0


def _lines(text: str) -> list[str]:
    """Physical lines as Python counts them (``\\n``, ``\\r\\n``, ``\\r``)."""
    return io.StringIO(text, newline="").readlines()


def _source_list(source: Any) -> list[str]:
    return source if isinstance(source, list) else [source]


def read_notebook(data: bytes) -> Notebook:
    """The notebook's code as one module; :class:`NotebookError` (one line) when the file
    is not an nbformat 4 notebook."""
    raw = load(data)
    cells = _cells(raw.data)
    language = _language(raw.data)
    if language is not None:
        return Notebook(raw, (), "", f"skipped: the notebook's language is {language}")
    code = []
    for index, cell in enumerate(cells):
        text = _code(cell, index)
        if text is not None:
            code.append((index, text))
    return Notebook(raw, *cells_module(code))


def cells_module(code: Iterable[tuple[int, str]]) -> tuple[tuple[Cell, ...], str]:
    """The analysed cells and their module, from the code cells' (index, text) in order;
    a cell whose cell magic makes it something other than Python is left out."""
    module: list[str] = []
    analysed: list[Cell] = []
    line = 1
    for index, text in code:
        if cell_magic(text) is not None:
            continue
        masked = mask(_lines(text), later=bool(analysed))
        module.append((HEADER if analysed else FIRST_HEADER).format(index + 1))
        ended = masked.text.endswith(("\n", "\r")) or not masked.text
        module.append(masked.text if ended else masked.text + "\n")
        analysed.append(Cell(index, text, masked, line + 1))
        line += 1 + len(_lines(text))
    return tuple(analysed), "".join(module)


def _cells(data: dict[str, Any]) -> list[Any]:
    cells = data.get("cells")
    if cells is None:
        version = data.get("nbformat")
        if "worksheets" in data or (isinstance(version, int) and version < 4):
            raise NotebookError(
                f"nbformat {version} notebooks are not supported; convert with "
                "'jupyter nbconvert --to notebook --inplace'"
            )
        raise NotebookError("not a notebook: no 'cells' list")
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: 'cells' is not a list")
    return cells


def _language(data: dict[str, Any]) -> str | None:
    """The kernel's language when it is known and not Python."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        value = section.get(field) if isinstance(section, dict) else None
        if isinstance(value, str) and value and value.lower() not in ("python", "python3"):
            return value
    return None


def _code(cell: Any, index: int) -> str | None:
    """A code cell's source as text; None for other cells."""
    if not isinstance(cell, dict):
        raise NotebookError(f"not a notebook: cell {index + 1} is not an object")
    if cell.get("cell_type") != "code":
        return None
    if _cell_language(cell) not in (None, "python"):
        return None  # a polyglot notebook's SQL or shell cell
    source = cell.get("source", "")
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    raise NotebookError(f"not a notebook: the source of cell {index + 1} is not text")


def _cell_language(cell: dict[str, Any]) -> str | None:
    """The language VS Code records for a cell of a polyglot notebook, if any."""
    metadata = cell.get("metadata")
    vscode = metadata.get("vscode") if isinstance(metadata, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else None
    return language if isinstance(language, str) else None


def split_module(text: str, notebook: Notebook) -> dict[int, str] | None:
    """The cells' text in a module derived from ``notebook.module`` (the fixed one), by cell
    index; None when a header line went missing or moved into a block. Lines before the
    first header (an import the fix added) belong to the first cell."""
    lines = _lines(text)
    found = [(i, _HEADER.fullmatch(line)) for i, line in enumerate(lines)]
    heads = [i for i, match in found if match is not None]
    numbers = [int(match.group(1)) for _, match in found if match is not None]
    if numbers != [c.number for c in notebook.cells]:
        return None
    parts: dict[int, str] = {}
    for position, (head, cell) in enumerate(zip(heads, notebook.cells)):
        stop = heads[position + 1] if position + 1 < len(heads) else len(lines)
        start = 0 if position == 0 else head
        body = lines[start:head] + lines[head + 1 : stop]
        joined = "".join(body)
        if not cell.masked.text.endswith(("\n", "\r")) and joined.endswith("\n"):
            joined = joined[:-1]  # the newline the module added after the cell's last line
        parts[cell.index] = joined
    return parts
