"""What the numbers depend on: versions, hardware, threads, allocator, machine load."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

from .cpu_memory import can_reset_peak_rss, malloc_in_use_bytes


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list | None:
    """1, 5 and 15 minute load averages: other users of a shared machine show up here."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def describe(device: torch.device, threads: int, mmap_threshold: int | None) -> dict[str, Any]:
    """The environment of this run (the CodeCarbon and load entries are added by the caller)."""
    cuda = torch.cuda.is_available()
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cuda_available": cuda,
        "device": str(device),
        "gpu_model": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": threads,
        "torch_interop_threads": torch.get_num_interop_threads(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "allocator": {
            "libc": " ".join(platform.libc_ver()),
            "MALLOC_MMAP_THRESHOLD_ (memory workers)": mmap_threshold,
            "mallinfo2_available": malloc_in_use_bytes() is not None,
            "peak_rss_reset_by_clear_refs": can_reset_peak_rss(),
        },
        "load_average_start": load_average(),
    }
