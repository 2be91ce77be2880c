"""IPython syntax in a code cell, made into Python that neither fails to parse nor moves
anything: each line magic, shell escape or help query becomes an ``...`` statement on the
same line, at the same indent (a block holding only a magic stays a block), marked so that
the autofix can put the original back. The rest of every line keeps its columns.

A line counts as a magic only where a statement can start: a ``%`` or ``!`` that continues
a bracketed expression or a string is Python, and stays. IPython's automagic runs a line
magic written without its ``%`` (``pip install kornia``, ``matplotlib inline``, ``cd ..``)
in a cell of that one line, when the line is no Python: such a cell is masked too (in a
longer cell IPython reads the line as Python, as we do). So are the ``from __future__``
imports that open a cell after the first, one line each: IPython compiles each cell on its
own, where they are legal, but in the module of all cells they are not at the top.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

#: Ends every masked line; no one writes it by hand.
MARK = "  # nograd-lint: masked IPython line"

_LINE_MAGIC = re.compile(r"(?P<indent>[ \t]*)(?:%|!(?!=)|\?)")
_HELP = re.compile(r"(?P<indent>[ \t]*)[A-Za-z_*][\w.*]*(?:\(\))?\s*\?{1,2}\s*$")
#: Line magics that IPython's automagic (on by default) runs without a ``%``.
_AUTOMAGIC = re.compile(
    r"[ \t]*(?:pip|conda|mamba|matplotlib|load_ext|reload_ext|autoreload|cd"
    r"|pylab|xmode|bookmark|pushd|popd)"
    r"[ \t]+[\w\-./~'\"$]"  # an argument: not ``=``, a bracket or an operator
)
_FUTURE = re.compile(r"from[ \t]+__future__[ \t]+import[^(\\;]*$")
_ASSIGNED = re.compile(
    r"(?P<indent>[ \t]*)(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)[%!](?!=)"
)


@dataclass(frozen=True)
class MaskedCell:
    """``text`` with IPython lines masked; ``lines`` are their 1-based numbers, and
    ``originals`` their text, in order."""

    text: str
    lines: tuple[int, ...]
    originals: tuple[str, ...]


def cell_magic(text: str) -> str | None:
    """The cell magic (``%%capture``) that makes a whole cell something other than Python."""
    for line in text.splitlines():
        if line.strip():
            stripped = line.strip()
            return stripped.split()[0] if stripped.startswith("%%") else None
    return None


def mask(lines: list[str], later: bool = False) -> MaskedCell:
    """Mask the IPython lines of a cell given as physical lines (ends kept); ``later``: the
    cell is not the notebook's first, and the ``from __future__`` imports it opens with go
    too (``_whole_lines``)."""
    whole = _whole_lines(lines, later)
    out: list[str] = []
    masked: list[int] = []
    originals: list[str] = []
    continued: str | None = None  # the indent of a magic that goes on past a backslash
    # Where the tokenizer's state is fresh: a line that starts a statement at column 0 closes
    # every bracket, string and block before it, so the lines from there on tell as much as
    # the whole cell (a cell of a thousand magics is read once, not a thousand times).
    fresh = 0
    # The closing quotes of a string the lines so far leave open: a line without them is
    # still inside it (a LaTeX docstring of ``%`` lines), with no need to read it again.
    inside: str | None = None
    for number, line in enumerate(lines, 1):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        replacement = None
        if inside is not None and inside in line:
            inside = None  # it may close here: read again when it matters
        if number in whole:
            replacement = _indent(body) + "..."
        elif continued is not None:
            replacement = continued + "..."
        elif _may_be_magic(body) and inside is None:
            starts, inside = _statement_state(out[fresh:])
            if starts:
                replacement = _masked(body)
                if not body[:1].isspace():
                    fresh = len(out)
        if replacement is None:
            out.append(line)
            continue
        out.append(replacement + MARK + end)
        masked.append(number)
        originals.append(line)
        if not body.endswith("\\"):
            continued = None
        elif continued is None:
            continued = _indent(body)
    return MaskedCell("".join(out), tuple(masked), tuple(originals))


def _indent(body: str) -> str:
    return body[: len(body) - len(body.lstrip(" \t"))]


def _whole_lines(lines: list[str], later: bool) -> set[int]:
    """The lines masked whatever comes before them: the line of a one-line cell that
    automagic runs (``pip install kornia``), and, in a ``later`` cell, the one-line future
    imports at column 0 that open it (below blank lines and comments only)."""
    if len(lines) == 1 and _AUTOMAGIC.match(lines[0]) and not _parses(lines[0].strip()):
        return {1}
    found: set[int] = set()
    for number, line in enumerate(lines if later else (), 1):
        stripped = line.strip()
        if _FUTURE.match(line.rstrip("\r\n")):
            found.add(number)
        elif stripped and not stripped.startswith("#"):
            break
    return found


def _may_be_magic(body: str) -> bool:
    return bool(_LINE_MAGIC.match(body) or _HELP.match(body) or _ASSIGNED.match(body))


def _masked(body: str) -> str | None:
    assigned = _ASSIGNED.match(body)
    if assigned:
        return assigned.group("indent") + assigned.group("target").rstrip() + " ..."
    if _LINE_MAGIC.match(body) or _HELP.match(body):
        return _indent(body) + "..."
    return None


def _parses(statement: str) -> bool:
    try:
        ast.parse(statement)
    except (SyntaxError, ValueError):
        return False
    return True


def _statement_state(previous: list[str]) -> tuple[bool, str | None]:
    """Whether the lines so far end outside any bracket, string or backslash continuation;
    and the quotes that close the string they leave open, if that is what they do."""
    if not previous:
        return True, None
    text = "".join(previous)
    if not text.endswith(("\n", "\r")):
        text += "\n"
    try:
        for _ in tokenize.generate_tokens(io.StringIO(text).readline):
            pass
    except tokenize.TokenError as error:
        # An open bracket, string or continuation reaches this line.
        return False, _closing_quotes(previous, error)
    except (SyntaxError, ValueError):
        return True, None  # bad indentation and the like: Python's own check will say so
    return True, None


def _closing_quotes(previous: list[str], error: tokenize.TokenError) -> str | None:
    """The quotes that end the string ``error`` says is left open (``'EOF in multi-line
    string', (row, col)``), read off where it starts; None for anything else."""
    message, where = (*error.args, None, None)[:2]
    if message != "EOF in multi-line string" or not isinstance(where, tuple):
        return None
    row, col = where
    if not 1 <= row <= len(previous):
        return None
    opening = previous[row - 1][col:].lstrip("rRbBuUfF")
    for quotes in ('"""', "'''", '"', "'"):
        if opening.startswith(quotes):
            return quotes
    return None


def unmask(text: str, cell: MaskedCell) -> str | None:
    """``text`` (the cell after a fix) with its masked lines given back, or None if the fix
    moved or re-indented one of them (putting the magic back would then be a guess)."""
    lines = io.StringIO(text, newline="").readlines()
    marked = [i for i, line in enumerate(lines) if line.rstrip("\r\n").endswith(MARK)]
    if len(marked) != len(cell.originals):
        return None
    before = io.StringIO(cell.text, newline="").readlines()
    for position, original, number in zip(marked, cell.originals, cell.lines):
        if lines[position] != before[number - 1]:
            return None
        lines[position] = original
    return "".join(lines)
