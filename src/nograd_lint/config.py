"""Settings shared by both front ends, and ``[tool.nograd-lint]`` in ``pyproject.toml``.

Each file takes its settings from the nearest ``pyproject.toml`` above it that has a
``[tool.nograd-lint]`` table (ruff's rule: a ``pyproject.toml`` without the table belongs to
some other tool and is passed over), so the command and the language server agree whatever
the current directory. flake8 users set the same through flake8's own configuration
(``nograd-disabling-names``).
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .inputs import MAX_CONFIG_BYTES, read_input
from .selection import Layer, SelectionError

#: No selection of its own: the default rules, or what the command line selects.
DEFAULT_LAYER = Layer()

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the linter depends on libcst and flake8 only
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

TABLE = "tool.nograd-lint"


@dataclass(frozen=True)
class Settings:
    #: Extra names of decorators and context managers that disable autograd.
    disabling_names: frozenset[str] = frozenset()
    #: Exclude patterns that replace the defaults (None: the defaults), relative to ``root``.
    exclude: tuple[str, ...] | None = None
    #: Exclude patterns added to ``exclude`` (or to the defaults), relative to ``root``.
    extend_exclude: tuple[str, ...] = ()
    #: Apply the exclusion to files named on the command line too (pre-commit names them).
    force_exclude: bool = False
    #: Let ``--fix``/``--diff`` apply fixes that may change behaviour (``unsafe-fixes``).
    unsafe_fixes: bool = False
    #: ``select``, ``extend-select`` and ``ignore``: the rules this directory runs, before
    #: the command line's own selection.
    selection: Layer = DEFAULT_LAYER
    #: The directory of the ``pyproject.toml`` read, which relative patterns start from;
    #: None when no file was read.
    root: Path | None = None


class ConfigError(Exception):
    """A ``[tool.nograd-lint]`` table that cannot be used; the message is one line."""


def split_names(value: str) -> frozenset[str]:
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def settings_for(path: Path, override: Path | None = None) -> Settings:
    """The settings for the file (or stdin named) ``path``: those of ``override`` when given
    (``--config``), else of the nearest ``pyproject.toml`` above ``path`` with a
    ``[tool.nograd-lint]`` table, else the defaults.

    Each ``pyproject.toml`` is parsed once while it stays unchanged on disk, so a long-running
    language server sees edits to it and a run over many files does not parse it again.
    Raises :class:`ConfigError` for a file that cannot be read or used.
    """
    if override is not None:
        return load_settings(override)
    start = Path(os.path.abspath(path)).parent
    for candidate in (start, *start.parents):
        settings = _settings_in(candidate / "pyproject.toml", required=False)
        if settings is not None:
            return settings
    return Settings()


def settings_for_run(override: Path | None = None) -> Callable[[str], Settings]:
    """:func:`settings_for` the files in an absolute directory path, for one run of the command:
    each directory is looked at once, where the language server looks again on every lint."""
    known: dict[str, Settings] = {}

    def settings(directory: str) -> Settings:
        if override is not None:
            return load_settings(override)
        chain = []
        current = directory
        while current not in known:
            chain.append(current)
            own = _settings_in(Path(current, "pyproject.toml"), required=False)
            if own is not None:
                found = own
                break
            parent = os.path.dirname(current)
            if parent == current:
                found = Settings()
                break
            current = parent
        else:
            found = known[current]
        known.update(dict.fromkeys(chain, found))
        return found

    return settings


def load_settings(pyproject: Path | None) -> Settings:
    """Read ``[tool.nograd-lint]`` of one file; the defaults when there is no file or table."""
    if pyproject is None:
        return Settings()
    return _settings_in(Path(os.path.abspath(pyproject)), required=True) or Settings(
        root=Path(os.path.abspath(pyproject)).parent
    )


#: Parsed files, by path, with the (size, mtime, inode) they were parsed at.
_parsed: dict[Path, tuple[tuple[int, int, int], Settings | None]] = {}


def _settings_in(pyproject: Path, *, required: bool) -> Settings | None:
    """The settings of one ``pyproject.toml``; None when it has no table (or, unless
    ``required``, when it does not exist or is a directory)."""
    try:
        status = os.stat(pyproject)
    except OSError as error:
        # Looked for, not named: a folder we may not enter (``PermissionError``) hides no
        # config we could use, and its files give their own "cannot read" lines.
        passed_over = (FileNotFoundError, NotADirectoryError, PermissionError)
        if required or not isinstance(error, passed_over):
            raise ConfigError(f"{pyproject}: cannot read: {error.strerror or error}") from None
        return None
    if not required and stat.S_ISDIR(status.st_mode):
        return None
    pipe = required and stat.S_ISFIFO(status.st_mode)  # ``--config <(...)``, read only once
    if not pipe and not stat.S_ISREG(status.st_mode):
        kind = "a regular file or a pipe" if required else "a regular file"
        raise ConfigError(f"{pyproject}: cannot read: not {kind}")
    signature = (0, 0, 0) if pipe else (status.st_size, status.st_mtime_ns, status.st_ino)
    cached = _parsed.get(pyproject)
    if cached is not None and cached[0] == signature:
        return cached[1]
    settings = _parse(pyproject)
    _parsed[pyproject] = (signature, settings)
    return settings


def _parse(pyproject: Path) -> Settings | None:
    try:
        data = read_input(str(pyproject), MAX_CONFIG_BYTES)
    except OSError as error:
        raise ConfigError(f"{pyproject}: cannot read: {error.strerror or error}") from None
    if tomllib is None:
        if TABLE.encode() in data or b"nograd-lint" in data:
            print(
                f"nograd-lint: {pyproject}: ignored (reading TOML needs Python 3.11+ or tomli)",
                file=sys.stderr,
            )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{pyproject}: not UTF-8 (TOML files must be): byte {error.start} "
            f"is {data[error.start : error.start + 1]!r}"
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{pyproject}: {error}") from None
    except RecursionError:
        raise ConfigError(f"{pyproject}: nested too deeply to read") from None
    except ValueError as error:  # a number too long to convert (Python's digit limit)
        raise ConfigError(f"{pyproject}: {error}") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject}: 'tool' must be a table, not {_kind(tool)}")
    if "nograd-lint" not in tool:
        return None
    table = tool["nograd-lint"]
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [{TABLE}] must be a table, not {_kind(table)}")
    return _settings(table, pyproject)


def _settings(table: dict[str, Any], pyproject: Path) -> Settings:
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{pyproject}: unknown key(s) in [{TABLE}]: {', '.join(sorted(unknown))}")
    exclude = table.get("exclude")
    select = table.get("select")
    try:
        selection = Layer(
            select=None if select is None else tuple(_strings(table, "select", pyproject)),
            extend_select=tuple(_strings(table, "extend-select", pyproject)),
            ignore=tuple(_strings(table, "ignore", pyproject)),
        )
    except SelectionError as error:
        raise ConfigError(f"{pyproject}: [{TABLE}] {error}") from None
    return Settings(
        disabling_names=frozenset(_strings(table, "disabling-names", pyproject)),
        exclude=None if exclude is None else tuple(_strings(table, "exclude", pyproject)),
        extend_exclude=tuple(_strings(table, "extend-exclude", pyproject)),
        force_exclude=_boolean(table, "force-exclude", pyproject),
        unsafe_fixes=_boolean(table, "unsafe-fixes", pyproject),
        selection=selection,
        root=pyproject.parent,
    )


_KEYS = frozenset(
    {
        "disabling-names",
        "exclude",
        "extend-exclude",
        "extend-select",
        "force-exclude",
        "ignore",
        "select",
        "unsafe-fixes",
    }
)


def _strings(table: dict[str, Any], key: str, path: Path) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [{TABLE}] {key} must be a list of strings")
    return value


def _boolean(table: dict[str, Any], key: str, path: Path) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: [{TABLE}] {key} must be true or false")
    return value


def _kind(value: object) -> str:
    """How TOML spells the type of ``value``, for messages."""
    if isinstance(value, list):
        return "an array of tables" if value and isinstance(value[0], dict) else "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a date or time"
