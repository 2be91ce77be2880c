"""What ``--diff`` prints and what ``--fix -`` writes back."""

from __future__ import annotations

import difflib
import io
import tokenize
from pathlib import PurePath

_NO_NEWLINE = "\n\\ No newline at end of file\n"


def unified_diff(before: str, after: str, path: str) -> str:
    """A patch that ``git apply`` and ``patch -p1`` accept: lines end at ``\\n`` as those
    tools count them (not at the form feeds and separators ``str.splitlines`` also breaks
    at), a last line without a newline is marked, and an absolute path is not given a
    doubled slash after ``a/``."""
    name = PurePath(path).as_posix().lstrip("/")
    lines = difflib.unified_diff(_lines(before), _lines(after), f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + _NO_NEWLINE for line in lines)


def _lines(text: str) -> list[str]:
    return io.StringIO(text, newline="\n").readlines()


def encoded_like(text: str, original: bytes) -> bytes:
    """``text`` in the encoding ``original`` declares (coding cookie), with its BOM if it
    had one: a filter must give back what it was given."""
    encoding = tokenize.detect_encoding(io.BytesIO(original).readline)[0]
    return text.encode(encoding)
