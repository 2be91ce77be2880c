"""Which files a run lints: files named on the command line, and ``*.py`` and Jupyter
notebooks (``*.ipynb``, as ruff finds them; ``--extend-exclude '*.ipynb'`` leaves them out)
under directories.

The defaults follow flake8's (``flake8 --help``), so that the command and the flake8 plugin
see the same files; on top of them, a directory holding ``pyvenv.cfg`` (a virtual
environment) is never walked. Patterns match as in ruff and flake8: by the name of a file or
directory at any depth, or, taken relative to the directory they were configured in (that
of the ``pyproject.toml``, or the current one for the command line), by its whole path.
Named files are linted even when a pattern matches them, unless ``force_exclude``.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Callable

from .config import Settings

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".svn",
    "CVS",
    ".bzr",
    ".hg",
    ".git",
    "__pycache__",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg",
)


#: What a directory walk lints.
LINTED_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Excludes:
    """Glob patterns and the directory that their relative paths start from (``""``: the
    current directory)."""

    patterns: tuple[str, ...]
    root: str = ""

    @functools.cached_property
    def _by_name(self) -> re.Pattern[str] | None:
        return _compile(p for p in self.patterns if not _has_separator(p))

    @functools.cached_property
    def _by_path(self) -> re.Pattern[str] | None:
        root = os.path.abspath(self.root or os.curdir)
        return _compile(
            os.path.normpath(os.path.join(root, p)) for p in self.patterns if _has_separator(p)
        )

    def matches(self, path: str) -> bool:
        """Whether the absolute, normalised ``path`` (a file or directory) is excluded: a
        pattern without a separator matches names, one with a separator whole paths."""
        by_name, by_path = self._by_name, self._by_path
        return (by_name is not None and by_name.match(os.path.basename(path)) is not None) or (
            by_path is not None and by_path.match(path) is not None
        )


def _has_separator(pattern: str) -> bool:
    return "/" in pattern or os.sep in pattern


def _compile(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One expression for all of ``patterns``, as ``fnmatch`` reads them (``*`` also
    matches a separator), and case-blind where file names are (Windows)."""
    translated = [fnmatch.translate(os.path.normcase(p)) for p in patterns]
    if not translated:
        return None
    return re.compile("|".join(translated), re.IGNORECASE if os.name == "nt" else 0)


@dataclass(frozen=True)
class Rules:
    """What is excluded in one directory."""

    excludes: tuple[Excludes, ...] = (Excludes(DEFAULT_EXCLUDES),)
    #: Apply ``excludes`` to paths named explicitly too.
    force_exclude: bool = False
    #: The project's directory: above it, a named path's parents are not matched.
    root: str | None = None

    def excluded(self, path: str) -> bool:
        return any(e.matches(path) for e in self.excludes)


#: The rules for the entries of an absolute directory path.
RulesFor = Callable[[str], Rules]


def project_rules(
    settings: Callable[[str], Settings],
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
) -> RulesFor:
    """Rules per directory from the ``settings`` of that directory (``settings_for_run``),
    where the command line's ``exclude`` replaces the configured one and its
    ``extend_exclude`` adds to both. Raises ``ConfigError`` for an unusable config."""
    cwd = os.getcwd()
    made: dict[Settings, Rules] = {}

    def rules_for(directory: str) -> Rules:
        configured = settings(directory)
        if configured not in made:
            made[configured] = rules_from(configured, exclude, extend_exclude, force_exclude, cwd)
        return made[configured]

    return rules_for


def rules_from(
    settings: Settings,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
    cwd: str = "",
) -> Rules:
    root = str(settings.root) if settings.root is not None else cwd
    if exclude is not None:
        base = Excludes(tuple(exclude), cwd)
    elif settings.exclude is not None:
        base = Excludes(settings.exclude, root)
    else:
        base = Excludes(DEFAULT_EXCLUDES, cwd)
    return Rules(
        (
            base,
            Excludes(settings.extend_exclude, root),
            Excludes(tuple(extend_exclude), cwd),
        ),
        force_exclude or settings.force_exclude,
        str(settings.root) if settings.root is not None else None,
    )


def discover(
    paths: Iterable[str],
    rules: Rules | RulesFor | Sequence[str] = Rules(),
    on_error: Callable[[str, OSError], None] | None = None,
) -> Iterator[str]:
    """Yield files to lint, in a stable order (sorted within each directory), each real
    file once: a symlink is dropped when its target is linted under another name.

    ``rules``: one set for every directory, a function of the directory, or plain patterns.
    Directories that cannot be listed go to ``on_error``; broken or looping symlinks and
    files that are no regular files (a FIFO would block the run) are skipped in walks.
    """
    rules_for = _as_function(rules)
    found: list[_Found] = []
    for path in paths:
        if path == "-":
            found.append(_Found(path))
            continue
        if force_excluded(path, rules_for):
            continue
        if os.path.isdir(path):
            found.extend(_walk(path, rules_for, on_error))
        else:
            found.append(_named(path))
    yield from _each_real_file_once(found)


@dataclass(frozen=True)
class _Found:
    path: str
    identity: tuple[int, int] | None = None  # (device, inode)
    link: bool = False


def _as_function(rules: Rules | RulesFor | Sequence[str]) -> RulesFor:
    if isinstance(rules, Rules):
        same = rules
        return lambda _directory: same
    if callable(rules):
        return functools.cache(rules)
    fixed = Rules((Excludes(tuple(rules)),))
    return lambda _directory: fixed


def _named(path: str) -> _Found:
    """A path named explicitly: always linted (the reader reports what it cannot read)."""
    try:
        status = os.stat(path)
    except OSError:
        return _Found(path)
    return _Found(path, (status.st_dev, status.st_ino), os.path.islink(path))


def force_excluded(path: str, rules: RulesFor) -> bool:
    """Whether ``force_exclude`` drops the file named ``path``; for stdin, ``path`` is its
    display name, which is how an editor or hook says which file the bytes belong to."""
    absolute = os.path.abspath(path)
    return _force_excluded(absolute, rules(os.path.dirname(absolute)))


def _force_excluded(path: str, rules: Rules) -> bool:
    """Whether ``force_exclude`` drops the named ``path``: it, or a directory between it and
    the project's root (or the current directory), is excluded."""
    if not rules.force_exclude:
        return False
    stop = next(
        (top for top in (rules.root, os.getcwd()) if top and _is_within(path, top)),
        os.path.dirname(path),
    )
    current = path
    while current != stop and _is_within(current, stop):
        if rules.excluded(current) or (current != path and _is_virtualenv(current)):
            return True
        current = os.path.dirname(current)
    return False


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def _walk(
    top: str, rules_for: RulesFor, on_error: Callable[[str, OSError], None] | None
) -> Iterator[_Found]:
    """Depth first, each directory's files before its subdirectories (as ``os.walk``);
    symlinks to directories are not followed (as flake8 and ruff)."""
    pending = [top]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            if on_error is not None:
                on_error(directory, error)
            continue
        absolute = os.path.abspath(directory)
        rules = rules_for(absolute)
        subdirectories = []
        for entry in entries:
            full = os.path.join(absolute, entry.name)
            if _is_directory(entry):
                if not rules.excluded(full) and not _is_virtualenv(full):
                    subdirectories.append(entry.path)
            elif entry.name.endswith(LINTED_SUFFIXES) and not rules.excluded(full):
                try:
                    status = os.stat(entry.path)
                except OSError as error:
                    if not entry.is_symlink() and on_error is not None:
                        on_error(entry.path, error)
                    continue  # a broken or looping symlink is no file to lint
                if stat.S_ISREG(status.st_mode):  # a FIFO would block the run
                    yield _Found(entry.path, (status.st_dev, status.st_ino), entry.is_symlink())
        pending.extend(reversed(subdirectories))


def _is_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _each_real_file_once(found: list[_Found]) -> Iterator[str]:
    """Drop later names of a file already found, and symlinks to a file found by its own
    name, so that no file is linted, or fixed, twice in one run."""
    direct = {f.identity for f in found if f.identity is not None and not f.link}
    seen: set[tuple[int, int]] = set()
    for item in found:
        if item.identity is not None:
            if item.identity in seen or (item.link and item.identity in direct):
                continue
            seen.add(item.identity)
        yield item.path
