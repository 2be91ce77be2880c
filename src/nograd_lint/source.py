"""Turning bytes into source text and text into a LibCST module, with one-line errors."""

from __future__ import annotations

import io
import tokenize
from typing import TYPE_CHECKING, Union

from .findings import SourceError

if TYPE_CHECKING:
    import libcst as cst


def decode(data: Union[bytes, str]) -> str:
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


def parse(text: str) -> "cst.Module":
    """Parse with LibCST (imported here, so files the pre-filter rejects never pay for it)."""
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        message = str(error.message).splitlines()[0] if error.message else "invalid syntax"
        raise SourceError(f"syntax error at {error.raw_line}:{error.raw_column + 1}: {message}") from None
    except RecursionError:
        raise SourceError("too deeply nested to analyse") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: B036 - the native parser can panic (BaseException)
        first = str(error).splitlines()[0] if str(error) else ""
        raise SourceError(f"cannot parse: {type(error).__name__}: {first}") from None
