"""Settings shared by both front ends, and ``[tool.nograd-lint]`` in ``pyproject.toml``.

flake8 users set the same through flake8's own configuration (``nograd-disabling-names``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the linter depends on libcst and flake8 only
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None


@dataclass(frozen=True)
class Settings:
    #: Extra names of decorators and context managers that disable autograd.
    disabling_names: frozenset[str] = frozenset()
    #: Extra exclude patterns for the standalone command.
    exclude: tuple[str, ...] = ()
    #: Let ``--fix``/``--diff`` apply fixes that may change behaviour (``unsafe-fixes``).
    unsafe_fixes: bool = False


class ConfigError(Exception):
    """A ``[tool.nograd-lint]`` table that cannot be used; the message is one line."""


def split_names(value: str) -> frozenset[str]:
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def find_pyproject(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(pyproject: Path | None) -> Settings:
    """Read ``[tool.nograd-lint]`` (keys ``disabling-names`` and ``exclude``, lists of strings)."""
    if pyproject is None:
        return Settings()
    if tomllib is None:
        print(
            f"nograd-lint: {pyproject}: ignored (reading TOML needs Python 3.11+ or tomli)",
            file=sys.stderr,
        )
        return Settings()
    try:
        with open(pyproject, "rb") as handle:
            table: Any = tomllib.load(handle).get("tool", {}).get("nograd-lint", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: {error}") from None
    unknown = set(table) - {"disabling-names", "exclude", "unsafe-fixes"}
    if unknown:
        raise ConfigError(
            f"{pyproject}: unknown key(s) in [tool.nograd-lint]: {', '.join(sorted(unknown))}"
        )
    return Settings(
        disabling_names=frozenset(_strings(table, "disabling-names", pyproject)),
        exclude=tuple(_strings(table, "exclude", pyproject)),
        unsafe_fixes=_boolean(table, "unsafe-fixes", pyproject),
    )


def _boolean(table: dict, key: str, path: Path) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: [tool.nograd-lint] {key} must be true or false")
    return value


def _strings(table: dict, key: str, path: Path) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [tool.nograd-lint] {key} must be a list of strings")
    return value
