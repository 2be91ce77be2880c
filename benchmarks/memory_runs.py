"""Runs each memory measurement in its own fresh process with a controlled malloc.

glibc's dynamic mmap threshold drifts upward as large blocks are freed, after which freed
activations stay in the heap and RSS peaks depend on history. A fixed MALLOC_MMAP_THRESHOLD_
makes every large tensor its own mmap, returned to the kernel on free, so the peaks repeat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from .memory_worker import RunSpec
from .records import Row

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def worker_environment(mmap_threshold: int | None) -> dict[str, str]:
    """The environment of a worker: ours, with the malloc setting fixed (or removed when None)."""
    env = dict(os.environ)
    env.pop("MALLOC_MMAP_THRESHOLD_", None)
    if mmap_threshold is not None:
        env["MALLOC_MMAP_THRESHOLD_"] = str(mmap_threshold)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def run_in_fresh_process(spec: RunSpec, mmap_threshold: int | None) -> list[Row]:
    command = [sys.executable, "-m", "benchmarks.memory_worker", spec.to_json()]
    done = subprocess.run(
        command, env=worker_environment(mmap_threshold), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory worker failed for {spec}:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def run_all(
    specs: Iterable[RunSpec], mmap_threshold: int | None, jobs: int, progress: Callable[[str], None]
) -> list[Row]:
    """All specs, `jobs` processes at a time (memory is per process, so they do not disturb each other)."""
    specs = list(specs)
    rows: list[Row] = []

    def one(spec: RunSpec) -> list[Row]:
        result = run_in_fresh_process(spec, mmap_threshold)
        progress(
            f"memory {spec.model} {spec.mode} {spec.pattern}: {spec.batches} batches of {spec.batch_size}"
        )
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(one, specs):
            rows += result
    return rows
