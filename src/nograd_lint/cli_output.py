"""How the command writes: paths as users and CI read them, names that cannot break a line or
forge a workflow command, colour only where wanted, and stdout that may be full or closed."""

from __future__ import annotations

import os
import sys
from typing import TextIO

#: ANSI styles of the text format.
BOLD, RED, CYAN, RESET = "\033[1m", "\033[1;31m", "\033[36m", "\033[0m"

_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class OutputError(Exception):
    """Stdout could not take the report (a full disk, a closed pipe); ``closed`` tells the
    two apart, as a reader that went away deliberately (``| head``) deserves no message."""

    def __init__(self, message: str, *, closed: bool = False) -> None:
        super().__init__(message)
        self.closed = closed


def display_path(path: str) -> str:
    """The path as ruff prints it: relative to the current directory when it lies below it,
    normalised (no ``./``, no doubled slashes); GitHub attaches annotations only to such
    paths. An empty path stays empty: it names no file, not the current directory."""
    if not path:
        return path
    normal = os.path.normpath(path)
    cwd = os.getcwd()
    absolute = os.path.normpath(os.path.join(cwd, normal))  # keeps an absolute path
    try:
        inside = os.path.commonpath([cwd, absolute]) == cwd and absolute != cwd
    except ValueError:  # another drive on Windows
        inside = False
    return os.path.relpath(absolute, cwd) if inside else normal


def _needs_quotes(name: str) -> bool:
    # A line starting with "::" is a workflow command to GitHub Actions, which trims first.
    return (
        not name or not name.isprintable() or name.lstrip().startswith("::") or name.startswith("'")
    )


def quote_name(name: str) -> str:
    """``name`` unchanged when it is plain, else in single quotes with Python-style escapes:
    a newline cannot split a report line, a leading ``::`` cannot reach the start of one, and
    bytes that are not valid in the file system's encoding show as ``\\xNN``."""
    if not _needs_quotes(name):
        return name
    return "'" + "".join(_escape(char) for char in name) + "'"


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if char.isprintable():
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def one_line(text: str, *, keep: str = "") -> str:
    """Text that stays on one line whatever it quotes; characters in ``keep`` stay as they
    are (a source line keeps its tabs)."""
    if text.isprintable():
        return text
    return "".join(c if c in keep or c.isprintable() else _escape(c) for c in text)


def readable(name: str) -> str:
    """A name as valid Unicode, undecodable bytes shown as U+FFFD (for JSON, as ruff does)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return name


def wants_color(choice: str, stream: TextIO) -> bool:
    """``--color``: ``auto`` colours a terminal unless ``NO_COLOR`` is set (no-color.org);
    ``FORCE_COLOR`` colours even a pipe, as CI logs that render ANSI ask."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def write_stdout(text: str | bytes) -> None:
    """Write and flush, encoding what stdout's encoding cannot carry as backslash escapes
    (bytes, as the ``--fix -`` filter gives back in the source's own encoding, go out as
    they are); raises :class:`OutputError` instead of leaving a traceback."""
    if not text:
        return
    stream = sys.stdout
    if stream is None:  # started with stdout closed (``>&-``)
        raise OutputError("cannot write output: stdout is closed")
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text-only stream, as tests substitute
            stream.write(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        else:
            stream.flush()
            if isinstance(text, str):
                text = text.encode(stream.encoding or "utf-8", "backslashreplace")
            buffer.write(text)
        stream.flush()
    except BrokenPipeError:
        _discard_stdout()
        raise OutputError("stdout closed", closed=True) from None
    except OSError as error:
        _discard_stdout()
        raise OutputError(f"cannot write output: {error.strerror or error}") from None


def _discard_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's final flush of what is
    still buffered does not fail a second time with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
