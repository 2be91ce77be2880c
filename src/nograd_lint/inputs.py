"""Reading one input (a file, a pipe, or stdin as ``-``) once, whole, and within a size cap.

A pipe can be read only once, so every reader of a run's bytes must share the one read; and
a device file (``/dev/zero``) never ends, so only regular files and pipes named explicitly
are read at all.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import BinaryIO

#: No Python source is this large (the largest generated modules are a few MiB), and holding
#: one in memory, decoded, stays affordable.
MAX_SOURCE_BYTES = 64 * 1024 * 1024
#: A ``pyproject.toml`` is a few KiB.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class InputError(OSError):
    """An input refused before or while reading it; the message is one line."""


def read_input(path: str, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of ``path`` (stdin for ``-``): a regular file, or a pipe (``<(...)``,
    ``/dev/stdin``), read once. Raises :class:`OSError` for anything else or beyond ``limit``
    bytes, without reading more than ``limit + 1`` bytes."""
    if path == "-":
        if sys.stdin is None:  # started with stdin closed (``<&-``)
            raise InputError("stdin is closed")
        return _read_capped(sys.stdin.buffer, limit)
    # Refuse devices before opening them: opening some has effects of its own.
    _check_kind(os.stat(path).st_mode)
    with open(path, "rb") as handle:
        status = os.fstat(handle.fileno())
        _check_kind(status.st_mode)  # the path may have been replaced since
        if stat.S_ISREG(status.st_mode) and status.st_size > limit:
            raise InputError(_too_large(limit))
        return _read_capped(handle, limit)


def _check_kind(mode: int) -> None:
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise InputError("not a regular file or a pipe")


def _read_capped(handle: BinaryIO, limit: int) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(_too_large(limit))
    return data


def _too_large(limit: int) -> str:
    return f"larger than {limit // (1024 * 1024)} MiB"
