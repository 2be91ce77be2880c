"""Writing a fixed file without losing anything the user had.

The fix writes through symbolic links to the file itself. It replaces the file by renaming a
complete copy over it (so an interrupted run never leaves half a file) only when the copy
can be made indistinguishable from the original: one name (a hard-linked file must keep its
inode, or its other names keep the old text), the same mode, owner, group and extended
attributes (ACLs and security labels are extended attributes). Otherwise, for example in a
directory the user may not write, it rewrites the file in place. Either way it first checks
that the file still holds exactly the bytes that were analysed, and it refuses a file whose
permissions say it is not to be written, even when run as root.
"""

from __future__ import annotations

import os
import stat
import tempfile

CHANGED = "changed on disk while it was being fixed; not written"


class WriteRefused(Exception):
    """Nothing was written; the message says why in a few words."""


class _CannotReplace(Exception):
    """A renamed copy could not match the original: write in place instead."""


def write_fixed(path: str, data: bytes, expected: bytes) -> None:
    """Replace the content of the file at ``path`` (links followed), which must still be
    ``expected``, by ``data``."""
    real = os.path.realpath(path)
    try:
        status = os.stat(real)
    except OSError as error:
        raise WriteRefused(f"cannot write: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        raise WriteRefused("cannot write: not a regular file")
    if not status.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise WriteRefused("cannot write: not writable")
    try:
        with open(real, "rb") as handle:
            current = handle.read()
        if current == data:
            return  # another name of the same file (a link) was fixed first
        if current != expected:
            raise WriteRefused(CHANGED)
        if status.st_nlink == 1:
            try:
                _replace(real, data, expected, status)
                return
            except _CannotReplace:
                pass
        _write_in_place(real, data, expected)
    except OSError as error:
        raise WriteRefused(f"cannot write: {error.strerror or error}") from None


def _replace(real: str, data: bytes, expected: bytes, status: os.stat_result) -> None:
    try:
        handle, temporary = tempfile.mkstemp(
            dir=os.path.dirname(real), prefix=".nograd-lint-", suffix=".tmp"
        )
    except OSError:
        raise _CannotReplace from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            _copy_identity(real, out.fileno(), status)
        _check_unchanged(real, expected, status)
        os.replace(temporary, real)
    except BaseException:
        os.unlink(temporary)
        raise


def _copy_identity(real: str, handle: int, status: os.stat_result) -> None:
    """Owner, group, mode and extended attributes of ``real`` onto the open copy."""
    copy = os.fstat(handle)
    try:
        if (copy.st_uid, copy.st_gid) != (status.st_uid, status.st_gid):
            os.fchown(handle, status.st_uid, status.st_gid)
        os.fchmod(handle, stat.S_IMODE(status.st_mode))
    except (OSError, AttributeError):
        raise _CannotReplace from None
    if not hasattr(os, "listxattr"):
        raise _CannotReplace  # attributes this platform's os module cannot copy
    try:
        for name in os.listxattr(real):
            os.setxattr(handle, name, os.getxattr(real, name))
    except OSError:
        raise _CannotReplace from None


def _check_unchanged(real: str, expected: bytes, status: os.stat_result) -> None:
    now = os.stat(real)
    same = (now.st_ino, now.st_size, now.st_mtime_ns) == (
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
    )
    if not same:
        raise WriteRefused(CHANGED)
    with open(real, "rb") as handle:
        if handle.read() != expected:
            raise WriteRefused(CHANGED)


def _write_in_place(real: str, data: bytes, expected: bytes) -> None:
    """Same inode, so links and every attribute stay; on a failed write the old bytes are
    put back."""
    with open(real, "r+b") as handle:
        if handle.read() != expected:
            raise WriteRefused(CHANGED)
        try:
            handle.seek(0)
            handle.write(data)
            handle.truncate()
            handle.flush()
        except OSError:
            handle.seek(0)
            handle.write(expected)
            handle.truncate()
            raise
