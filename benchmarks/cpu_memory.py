"""Process memory on the CPU side: peak RSS per iteration and the allocator's in-use bytes.

Linux lets a process reset its own RSS high-water mark (writing "5" to /proc/self/clear_refs),
so each iteration gets its own peak from VmHWM. Elsewhere psutil only gives the current RSS,
which is what the fallback reports. glibc's mallinfo2 counts bytes handed out by malloc,
including mmap-ed chunks, independently of what the kernel has paged in.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

import psutil

_CLEAR_REFS = "/proc/self/clear_refs"
_STATUS = "/proc/self/status"


def _status_bytes(field: str) -> int | None:
    try:
        with open(_STATUS) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except OSError:
        return None
    return None


def can_reset_peak_rss() -> bool:
    """Whether per-iteration RSS peaks are real peaks (Linux clear_refs) rather than samples."""
    return os.access(_CLEAR_REFS, os.W_OK) and _status_bytes("VmHWM") is not None


def reset_peak_rss() -> None:
    """Resets the RSS high-water mark to the current RSS (no-op where unsupported)."""
    if can_reset_peak_rss():
        with open(_CLEAR_REFS, "w") as clear_refs:
            clear_refs.write("5")


def peak_rss_bytes() -> int:
    """RSS high-water mark since the last reset; the current RSS where there is none."""
    if can_reset_peak_rss():
        return _status_bytes("VmHWM") or 0
    return current_rss_bytes()


def current_rss_bytes() -> int:
    return psutil.Process().memory_info().rss


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _load_mallinfo2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        function = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    return function


_mallinfo2 = _load_mallinfo2()


def malloc_in_use_bytes() -> int | None:
    """Bytes currently allocated through malloc (arena + mmap-ed chunks); None without glibc >= 2.33."""
    if _mallinfo2 is None:
        return None
    info = _mallinfo2()
    return info.uordblks + info.hblkhd
