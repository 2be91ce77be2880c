"""Functions a module imports from a module beside it, read off that module's ``ast`` tree.

A training script often keeps its validation in a file of its own: ``from util import
get_accuracy`` in ``main.py``, next to ``util.py``, whose ``get_accuracy`` puts the model in
eval mode and never back (NG004). The mode summaries (:mod:`.mode_summaries`) read such a
function where it is defined. Only modules found beside the importing file are read: a
plain ``from util import f`` (or ``import util`` and a call of ``util.f``) resolved in its
folder (Python puts a script's folder first on its path), or a relative import of one dot
(``from .util import f``) resolved in its package, or the folder's own package named from
the folder above (``from quant.data_utils import f`` in ``quant/recon.py``, as a script run
from the repository's root imports it, when that folder is no package). Nothing is ever
run: each file is decoded and parsed as the analysed file is, and one that cannot be read,
is too large or does not parse is treated as if it were not there. Texts and function
names are kept per process, by path, size and modification time, so that a run over a
folder reads each file once; parsed trees only while one importing module is read
(``ModeSummaries``).

NG003 reads such a function too, for what it hands back (detached values: no graph of the
caller's), and asks more of the folder (:func:`any_text_beside`): whether a module beside
the file names one of its private helpers, which that module may import and call, or may
derive a class from one of its classes.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

from ..ast_names import binds_name, module_level, walk
from ..errors import SourceError
from ..lazy_pattern import LazyPattern
from ..source import decode, python_tree

#: Larger files are not read: no validation helper needs one, and a run must stay fast.
MAX_BYTES = 1 << 20
T = TypeVar("T")

#: Relative imports are read up to this many dots: ``from .engine import evaluate`` in a
#: package's training script; a library's modules (``from ..utils import deprecate``) import
#: from their package all over, and reading those cost more than all other checks.
MAX_LEVEL = 1
#: Texts (for the pre-filter's words) and function names kept per process.
TEXT_CACHE_SIZE = 512


class Sibling(NamedTuple):
    """A module read beside the importing file."""

    path: str
    text: str
    tree: ast.Module


def imported_names(tree: ast.Module) -> dict[str, tuple[int, str, str]]:
    """Local name -> (import level, module, name there) of the module-level ``from ...
    import`` statements with at most :data:`MAX_LEVEL` dots, without reading a file."""
    return {
        alias.asname or alias.name: (statement.level, statement.module or "", alias.name)
        for statement in module_level(tree)
        if isinstance(statement, ast.ImportFrom) and statement.level <= MAX_LEVEL
        for alias in statement.names
        if alias.name != "*"
    }


def star_imported_names(path: str | None, tree: ast.Module) -> dict[str, tuple[int, str, str]]:
    """Local name -> entry (as :func:`imported_names` writes it) of the functions that a
    module-level ``from util import *`` (at most :data:`MAX_LEVEL` dots) binds from a
    module beside ``path``: that module's top-level functions named in its ``__all__``
    when it lists them there, else those without a leading underscore, as Python binds
    them. A later star import of the same name wins, as it does at run time."""
    stars = sorted(_star_imports(tree), key=lambda s: (s.lineno, s.col_offset))
    folder = _folder(path) if stars else None
    found: dict[str, tuple[int, str, str]] = {}
    for statement in stars:
        if folder is None:
            break
        sibling = _module_file(folder, statement.module or "")
        for name in _star_exports.get(sibling, _read_star_exports) or ():
            found[name] = (statement.level, statement.module or "", name)
    return found


def _star_imports(tree: ast.Module) -> Iterator[ast.ImportFrom]:
    """The module-level ``from util import *`` statements of at most :data:`MAX_LEVEL` dots
    (``from . import *`` reads a package's ``__init__``, which is not read here)."""
    for statement in module_level(tree):
        if (
            isinstance(statement, ast.ImportFrom)
            and statement.module
            and statement.level <= MAX_LEVEL
            and any(alias.name == "*" for alias in statement.names)
        ):
            yield statement


def imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> module of the module-level ``import util`` (``import util as u``)
    statements: ``util.evaluate(model)`` calls a function of ``util.py`` when that module is
    beside the file. A dotted ``import pkg.util`` binds ``pkg``, a package, and is left out.
    ``from . import util`` and ``from pkg import util`` (one dot at most) may bind a module
    too: ``util`` and ``pkg.util``, which are modules when such a file is there."""
    return {local: module for local, (module, _) in _module_imports(tree).items()}


def _module_imports(tree: ast.Module) -> dict[str, tuple[str, ast.stmt]]:
    """:func:`imported_modules`, with the statement that binds each name."""
    found: dict[str, tuple[str, ast.stmt]] = {}
    for statement in module_level(tree):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if "." not in alias.name:
                    found[alias.asname or alias.name] = (alias.name, statement)
        elif isinstance(statement, ast.ImportFrom) and statement.level <= MAX_LEVEL:
            package = statement.module or ""
            for alias in statement.names:
                if alias.name != "*":
                    module = f"{package}.{alias.name}" if package else alias.name
                    found[alias.asname or alias.name] = (module, statement)
    return found


def modules_beside(path: str | None, tree: ast.Module) -> dict[str, str]:
    """:func:`imported_modules` less those not found beside ``path`` (``import torch``):
    only calls through the rest can be calls of a function read here."""
    folder = _folder(path)
    modules = _module_imports(tree)
    if folder is None or not modules:
        return {}
    beside = {
        local: module
        for local, (module, _) in modules.items()
        if _module_file(folder, module) is not None and not _rebound_by_package(folder, module)
    }
    if beside:  # ``util`` bound anywhere to something else (a parameter) may not be it
        for node in walk(tree):
            for local in [
                local
                for local, module in beside.items()
                if node is not modules[local][1]
                and (binds_name(node, local, module) or _patches(node, local))
            ]:
                del beside[local]
    return beside


def _patches(node: ast.AST, local: str) -> bool:
    """``util.evaluate = evaluate_keeping_mode``: the module's function replaced."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, (ast.Store, ast.Del))
        and isinstance(node.value, ast.Name)
        and node.value.id == local
    )


def _rebound_by_package(folder: str, module: str) -> bool:
    """``from engine import util`` finds ``util`` on the package first: its ``__init__.py``
    may bind the name to something else (``from . import util_v2 as util``). One that cannot
    be read counts as doing so."""
    package, _, last = module.rpartition(".")
    if package:
        init = _module_file(folder, package)
        if init is None or not init.endswith("__init__.py"):
            return True
    else:  # ``from . import util``, or ``import util``: this folder's own package, if any
        init = os.path.join(folder, "__init__.py")
        if "__init__.py" not in _listing(folder):
            return False
    text = read_text(init)
    if text is None:
        return True
    if last not in text:
        return False
    package_init = read_sibling(init)
    return package_init is None or any(
        binds_name(node, last) for node in ast.walk(package_init.tree)
    )


def function_file(path: str | None, import_: tuple[int, str, str]) -> str | None:
    """The file of the module beside ``path`` (the file the importing module was read from;
    None, or a name such as ``<stdin>``, reads nothing) whose top level defines the function
    that ``import_``, an entry of :func:`imported_names`, imports; None when there is none.
    The screens ask it of every name a file imports, so each module's function names are
    kept, one object, where a kept ``ast`` tree is tens of thousands that every full
    collection of the host's garbage collector would walk."""
    folder = _folder(path)
    sibling = None if folder is None else _module_file(folder, import_[1])
    names = _function_names.get(sibling, _read_function_names)
    return sibling if names is not None and import_[2] in names else None


def any_sibling_text(path: str | None, tree: ast.Module, test: Callable[[str], bool]) -> bool:
    """Whether ``test`` holds for the text of a module beside ``path`` that ``tree`` imports
    names from (read, not parsed): the pre-filter's words are looked for in them too. Each
    module's answer is kept while its file is unchanged: a folder's scripts import the same
    few helpers."""
    modules = {module for _, module, _ in imported_names(tree).values()}
    modules.update(imported_modules(tree).values())
    modules.update(statement.module or "" for statement in _star_imports(tree))
    return _any_module_text(path, modules, test)


def any_imported_text(path: str | None, source: str, test: Callable[[str], bool]) -> bool:
    """:func:`any_sibling_text` read off the text of the importing module, before it is
    parsed: every module an import statement there may name, a superset of those its tree
    would give (any ``from``/``import`` line, whatever the statement around it)."""
    if "import" not in source or _folder(path) is None:
        return False
    modules: set[str] = set()
    for match in _IMPORT_LINE.finditer(source):
        package, found = match["package"], _IDENTIFIER.findall(match["names"])
        if package is None:
            modules.update(found)  # ``import util, data as d`` (``d`` too: a superset)
        else:  # ``from util import f``, ``from pkg import util``, ``from . import util``
            base = package.lstrip(".")
            modules.add(base)
            modules.update(f"{base}.{name}" if base else name for name in found)
    return _any_module_text(path, modules, test)


#: ``from X import names`` (names in brackets or continued lines too) or ``import names``,
#: at a line's start or after a ``;``.
_IMPORT_LINE = LazyPattern(
    r"(?:^|;)[ \t]*(?:from[ \t]+(?P<package>\.?[\w.]*)[ \t]+import[ \t]*"
    r"|import[ \t]+)(?P<names>\([^)]*\)?|[^\n\\]*(?:\\\n[^\n\\]*)*)",
    re.MULTILINE,
)
_IDENTIFIER = LazyPattern(r"[A-Za-z_][\w.]*")


def _any_module_text(path: str | None, modules: set[str], test: Callable[[str], bool]) -> bool:
    folder = _folder(path)
    if folder is None:
        return False
    for module in modules:
        sibling = _module_file(folder, module)
        helper = read_text(sibling)
        if helper is None or sibling is None:
            continue
        known = _verdicts.get((sibling, test))
        if known is None or known[0] is not helper:
            known = (helper, test(helper))
            _remember(_verdicts, (sibling, test), known, TEXT_CACHE_SIZE)
        if known[1]:
            return True
    return False


def named_beside(path: str | None, name: str) -> bool:
    """Whether a module in the folder of ``path``, other than it, has ``name`` in its text
    (read, not parsed), or may have (:func:`any_text_beside`)."""
    return any_text_beside(path, lambda text: name in text)


def any_text_beside(path: str | None, test: Callable[[str], bool]) -> bool:
    """Whether ``test`` holds for the text of a module in the folder of ``path``, other
    than it, or may: a folder of more than :data:`MAX_NEIGHBOURS` modules, or a module
    there that cannot be read, answers True. False for a text with no file."""
    folder = _folder(path)
    if folder is None or path is None:
        return False
    itself = os.path.abspath(path)
    modules = sorted(entry for entry in _listing(folder) if entry.endswith(".py"))
    if len(modules) > MAX_NEIGHBOURS:
        return True
    for entry in modules:
        neighbour = os.path.join(folder, entry)
        if neighbour != itself:
            text = read_text(neighbour)
            if text is None or test(text):
                return True
    return False


#: :func:`any_text_beside` reads no folder of more modules than this.
MAX_NEIGHBOURS = 64


def _folder(path: str | None) -> str | None:
    if not path or path.startswith("<") or not os.path.isfile(path):
        return None
    return os.path.dirname(os.path.abspath(path))


def _module_file(folder: str, module: str) -> str | None:
    """The file ``from <module> import ...`` or ``from .<module> import ...`` names, seen
    from ``folder``; a module of the folder's own package, named from the folder above
    (``from quant.data_utils import f`` in ``quant/``), is found in the folder, and one
    the folder lacks is looked for in the folder above (``from utils.evaluate import f``
    in ``optim/``), unless that folder is a package. Looked
    up in the folders' listings, kept while a folder is unchanged: most imports of a file
    name installed packages, which one listing rules out."""
    if not module:
        return None  # ``from . import util``: a module, not a function
    *packages, last = module.split(".")
    parent = os.path.dirname(folder)
    first = packages[0] if packages else last
    if (
        packages
        and packages[0] == os.path.basename(folder)
        and packages[0] not in _listing(folder)
        and "__init__.py" not in _listing(parent)
    ):
        # ``from quant.data_utils import f`` in ``quant/``: the folder's own package, as a
        # script run from the folder above it imports it (unless that folder is a package
        # too, run from higher up, where another ``quant`` may come first)
        packages = packages[1:]
    elif (
        first not in _listing(folder)
        and first + ".py" not in _listing(folder)
        and parent != folder
        and (first in _listing(parent) or first + ".py" in _listing(parent))
        and "__init__.py" not in _listing(parent)
    ):
        # ``from utils.evaluate import f`` in ``optim/``, with ``utils/`` beside ``optim/``:
        # as a script run from the folder above (``python main.py``) imports it, on the
        # same condition
        folder = parent
    for package in packages:
        if package not in _listing(folder):
            return None
        folder = os.path.join(folder, package)
    names = _listing(folder)
    # A package comes before a module of the same name, as Python's finder looks.
    if last in names and "__init__.py" in _listing(os.path.join(folder, last)):
        return os.path.join(folder, last, "__init__.py")
    if last + ".py" in names:
        return os.path.join(folder, last + ".py")
    return None


#: folder -> (its modification time, the names in it).
_listings: OrderedDict[str, tuple[int, frozenset[str]]] = OrderedDict()


def _listing(folder: str) -> frozenset[str]:
    try:
        stamp = os.stat(folder).st_mtime_ns
        cached = _listings.get(folder)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        names = frozenset(os.listdir(folder))
    except (OSError, ValueError):
        return frozenset()
    _remember(_listings, folder, (stamp, names), TEXT_CACHE_SIZE)
    return names


def _read_function_names(path: str, size: int) -> frozenset[str] | None:
    sibling = _parse(path, size)  # not kept: only the names are
    if sibling is None:
        return None
    return frozenset(
        statement.name
        for statement in sibling.tree.body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
    )


def _read_star_exports(path: str, size: int) -> frozenset[str] | None:
    sibling = _parse(path, size)  # not kept: only the names are
    if sibling is None:
        return None
    functions = {
        statement.name
        for statement in sibling.tree.body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    listed = _listed_exports(sibling.tree)
    if listed is None:
        return frozenset(name for name in functions if not name.startswith("_"))
    return frozenset(functions & listed)


def _listed_exports(tree: ast.Module) -> set[str] | None:
    """The names of a literal ``__all__ = [...]`` (or tuple); None without one. An
    ``__all__`` built any other way counts as none: every public function is read."""
    listed: set[str] | None = None
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
            and isinstance(statement.value, (ast.List, ast.Tuple))
            and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str)
                for e in statement.value.elts
            )
        ):
            listed = {e.value for e in statement.value.elts}  # type: ignore[attr-defined]
        elif any(
            isinstance(node, ast.Name) and node.id == "__all__" and isinstance(node.ctx, ast.Store)
            for node in ast.walk(statement)
        ):
            return None
    return listed


#: (path, test) -> (the text it was asked of, the answer).
_verdicts: OrderedDict[tuple[str, Callable[[str], bool]], tuple[str, bool]] = OrderedDict()


def _stamp(path: str) -> tuple[int, int] | None:
    """Size and modification time of the regular file at ``path``; None for anything
    else: a FIFO or a device named like a module would block the read forever."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_size, status.st_mtime_ns)


def _remember(cache: OrderedDict[Any, Any], path: Any, entry: Any, size: int) -> None:
    cache[path] = entry
    while len(cache) > size:
        cache.popitem(last=False)


class _ByFile(Generic[T]):
    """Values read from files, kept while a file's size and modification time stay the
    same; the least recently used go first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[tuple[int, int], T | None]] = OrderedDict()

    def get(self, path: str | None, make: Callable[[str, int], T | None]) -> T | None:
        """The value for ``path``, made by ``make(path, size)`` unless kept; None when
        there is no such file."""
        stamp = _stamp(path) if path is not None else None
        if path is None or stamp is None:
            return None
        cached = self._entries.get(path)
        if cached is not None and cached[0] == stamp:
            self._entries.move_to_end(path)
            return cached[1]
        value = make(path, stamp[0])
        _remember(self._entries, path, (stamp, value), self.size)
        return value

    def clear(self) -> None:
        self._entries.clear()


_texts: _ByFile[str] = _ByFile(TEXT_CACHE_SIZE)
_function_names: _ByFile[frozenset[str]] = _ByFile(TEXT_CACHE_SIZE)
_star_exports: _ByFile[frozenset[str]] = _ByFile(TEXT_CACHE_SIZE)


def read_text(path: str | None) -> str | None:
    """The decoded text of the module at ``path``; None when it cannot be read."""
    return _texts.get(path, lambda path, size: _read(path) if size <= MAX_BYTES else None)


def read_sibling(path: str) -> Sibling | None:
    """The module at ``path``, parsed anew (its text is kept); None when it cannot be read
    or parsed. The caller keeps it for as long as it reads the importing module."""
    stamp = _stamp(path)
    return None if stamp is None else _parse(path, stamp[0])


def _parse(path: str, size: int) -> Sibling | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        return Sibling(path, text, python_tree(text, path))
    except (SourceError, RecursionError, MemoryError):
        return None


def _read(path: str) -> str | None:
    """The decoded text of the regular file at ``path``. Opened without blocking, and
    checked again once open: a FIFO put in its place since ``_stamp`` is not waited on."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None
            data = file.read(MAX_BYTES + 1)
        return decode(data) if len(data) <= MAX_BYTES else None
    except (OSError, SourceError, ValueError, MemoryError):
        return None
