"""A notebook's JSON with the place in the file of every code cell's ``source``.

The stdlib ``json`` module reads nbformat 4 completely; ``nbformat`` would add a runtime
dependency (and its schema validation, jsonschema) for nothing the linter needs, and it
rewrites a file in its own style. Knowing where each ``source`` lies in the text lets the
autofix replace exactly those characters, so that everything else (outputs, metadata, key
order, indentation, escaping, the last newline) stays byte for byte; and lets CI formats
point at the line of the ``.ipynb`` file that holds a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import SourceError

_WHITESPACE = " \t\n\r"


class NotebookError(SourceError):
    """Not a notebook this tool can read; ``str()`` is one line."""


@dataclass(frozen=True)
class SourceSpan:
    """Where one cell's ``source`` value lies in the file: ``start``/``end`` offsets of the
    whole value, and the offset of each of its strings' opening quote (one for a string
    ``source``, one per element for a list)."""

    start: int
    end: int
    strings: tuple[int, ...]
    is_list: bool


@dataclass(frozen=True)
class RawNotebook:
    text: str
    data: dict[str, Any]
    #: By cell index, for cells whose ``source`` could be located.
    spans: dict[int, SourceSpan]
    #: Whether the file starts with a UTF-8 byte order mark (not part of ``text``).
    bom: bool = False


def load(data: bytes) -> RawNotebook:
    """Decode and parse; :class:`NotebookError` for anything that is not a JSON object."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotebookError(f"not a notebook: not UTF-8 ({error.reason})") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"not a notebook: invalid JSON at {error.lineno}:{error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise NotebookError("not a notebook: JSON nested too deeply") from None
    except ValueError as error:  # a number too long to convert (Python's digit limit)
        raise NotebookError(f"not a notebook: {error}") from None
    if not isinstance(parsed, dict):
        raise NotebookError("not a notebook: the JSON is not an object")
    try:
        spans = _source_spans(text, 0)
    except (ValueError, IndexError, RecursionError):
        spans = {}  # only for positions in the file and the fix; the cells are still read
    return RawNotebook(text, parsed, spans, data.startswith(b"\xef\xbb\xbf"))


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


_DECODER = json.JSONDecoder()


def _value_end(text: str, at: int) -> int:
    return _DECODER.raw_decode(text, at)[1]


def _members(text: str, at: int) -> list[tuple[str, int]]:
    """The keys of the object starting at ``at`` and where each value starts."""
    assert text[at] == "{"
    found: list[tuple[str, int]] = []
    at = _skip(text, at + 1)
    if text[at] == "}":
        return found
    while True:
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        at = _skip(text, at + 1)  # the colon
        found.append((key, at))
        at = _skip(text, _value_end(text, at))
        if text[at] == "}":
            return found
        at = _skip(text, at + 1)  # the comma


def _elements(text: str, at: int) -> tuple[list[int], int]:
    """Where each element of the array starting at ``at`` starts, and where the array ends."""
    assert text[at] == "["
    starts: list[int] = []
    at = _skip(text, at + 1)
    if text[at] == "]":
        return starts, at + 1
    while True:
        starts.append(at)
        at = _skip(text, _value_end(text, at))
        if text[at] == "]":
            return starts, at + 1
        at = _skip(text, at + 1)


def _source_spans(text: str, start: int) -> dict[int, SourceSpan]:
    top = _skip(text, start)
    cells_at = dict(_members(text, top)).get("cells")
    if cells_at is None or text[cells_at] != "[":
        return {}
    spans = {}
    for index, cell_at in enumerate(_elements(text, cells_at)[0]):
        if text[cell_at] != "{":
            continue
        source_at = dict(_members(text, cell_at)).get("source")
        if source_at is None:
            continue
        if text[source_at] == "[":
            strings, end = _elements(text, source_at)
            spans[index] = SourceSpan(source_at, end, tuple(strings), True)
        elif text[source_at] == '"':
            end = _value_end(text, source_at)
            spans[index] = SourceSpan(source_at, end, (source_at,), False)
    return spans


def raw_offset(text: str, quote: int, chars: int) -> int:
    """The offset in ``text`` of the character ``chars`` code points into the JSON string
    whose opening quote is at ``quote``, counting escapes as the characters they stand for."""
    at, seen = quote + 1, 0
    while seen < chars and at < len(text) and text[at] != '"':
        if text[at] != "\\":
            at += 1
        elif text[at + 1] != "u":
            at += 2
        else:
            high = int(text[at + 2 : at + 6], 16)
            at += 6
            if 0xD800 <= high < 0xDC00 and text[at : at + 2] == "\\u":
                at += 6  # a surrogate pair is one code point
        seen += 1
    return at


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and 0-based column of ``offset`` in ``text``, lines ended by ``\\n``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start
