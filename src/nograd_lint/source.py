"""Turning bytes into source text and text into a LibCST module, with one-line errors; and
the stdlib ``ast`` and line numbering of the same text, as Python sees them."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from typing import TYPE_CHECKING

from .findings import SourceError

if TYPE_CHECKING:
    import libcst as cst


def decode(data: bytes | str) -> str:
    """Decode as Python does: a PEP 263 coding cookie or a BOM, else UTF-8."""
    if isinstance(data, str):
        return data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceError(f"cannot decode: {error}") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"cannot decode as {encoding}: {error}") from None


def parse_python(text: str) -> ast.Module | None:
    """The stdlib ``ast`` (a tenth of LibCST's parse), for the screen and for positions; None
    when this Python cannot parse it (LibCST's parse then says why). The user's own warnings
    (invalid escapes warn at parse time since 3.12) are not ours to print."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def physical_lines(text: str) -> list[str]:
    """Lines as Python and LSP number them: ended by ``\n``, ``\r\n`` or ``\r`` only, not
    by the form feeds and other separators that ``str.splitlines`` also breaks at."""
    return io.StringIO(text, newline="").readlines()


#: CPython's own limit on nested brackets (the tokenizer's MAXLEVEL): deeper code never runs.
MAX_BRACKET_DEPTH = 200

#: Comments and string literals (whose brackets do not count), and brackets.
_BRACKET_TOKENS = re.compile(
    r"""
      \#[^\n]*
    | [rRbBuUfF]{0,3}
      (?: \"\"\" (?:[^"\\]|\\.|"(?!""))* \"\"\"
        | ''' (?:[^'\\]|\\.|'(?!''))* '''
        | " (?:[^"\\\n]|\\.)* "
        | ' (?:[^'\\\n]|\\.)* '
      )
    | [()\[\]{}]
    """,
    re.S | re.X,
)


def bracket_depth(text: str) -> int:
    """The deepest nesting of brackets, where a run of opening parentheses with only blanks
    between them counts once: LibCST parses ``((((x))))`` in linear time, but ``f(f(f(x)))``,
    ``[[[x]]]`` or ``a + (a + (...))`` in time and memory quadratic in their depth."""
    depth = deepest = 0
    counted: list[bool] = []  # per open bracket: did it add a level?
    previous_end, previous = -1, ""
    for match in _BRACKET_TOKENS.finditer(text):
        token = match.group()
        if token in ("(", "[", "{"):
            adds = not (
                token == "(" and previous == "(" and not text[previous_end : match.start()].strip()
            )
            counted.append(adds)
            depth += adds
            deepest = max(deepest, depth)
        elif token in (")", "]", "}") and counted:
            depth -= counted.pop()
        previous_end, previous = match.end(), token
    return deepest


def parse(text: str, *, python_parsed: bool = False) -> cst.Module:
    """Parse with LibCST (imported here, so files the pre-filter rejects never pay for it).

    ``python_parsed``: the stdlib ``ast`` accepted ``text``, so its tokenizer has already
    refused more than :data:`MAX_BRACKET_DEPTH` nested brackets.
    """
    depth = 0 if python_parsed else bracket_depth(text)
    if depth > MAX_BRACKET_DEPTH:
        raise SourceError(
            f"brackets nested {depth} deep, more than the {MAX_BRACKET_DEPTH} that Python accepts"
        )
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        message = str(error.message).splitlines()[0] if error.message else "invalid syntax"
        raise SourceError(
            f"syntax error at {error.raw_line}:{error.raw_column + 1}: {message}"
        ) from None
    except RecursionError:
        raise SourceError("too deeply nested to analyse") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        first = str(error).splitlines()[0] if str(error) else ""
        raise SourceError(f"cannot parse: {type(error).__name__}: {first}") from None
