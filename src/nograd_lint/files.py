"""Which files a run lints: explicit files always, ``*.py`` under directories otherwise."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    name = os.path.basename(os.path.normpath(path))
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(path, p) for p in patterns)


def _is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def discover(paths: Iterable[str], excludes: Sequence[str] = DEFAULT_EXCLUDES) -> Iterator[str]:
    """Yield files to lint, in a stable order (sorted within each directory)."""
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            yield path  # a missing file is reported by the reader, not silently dropped
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(
                d
                for d in dirs
                if not _excluded(os.path.join(root, d), excludes)
                and not _is_virtualenv(os.path.join(root, d))
            )
            for name in sorted(files):
                full = os.path.join(root, name)
                if name.endswith(".py") and not _excluded(full, excludes):
                    yield full
