"""The functions a module imports from the modules beside it, as NG004's summaries read them.

``from evaluate import evaluate`` in a training script: the helper that leaves the model in
eval mode is in another file of the folder (:mod:`.sibling_modules` finds which). That
module is read when a call first needs it, only a few modules deep, like calls, and its
summaries are shared by every module read for the first one (``ModuleValues.beside``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..ast_names import last_name
from .class_hierarchy import FunctionNode
from .sibling_modules import (
    function_file,
    imported_names,
    modules_beside,
    read_sibling,
    star_imported_names,
)
from .values import ModuleValues, top_level_names

if TYPE_CHECKING:
    from .mode_summaries import ModeSummaries


class ImportedHelpers:
    """The names a module imports that may be functions of a module beside it."""

    def __init__(
        self,
        values: ModuleValues,
        defined: set[str],
        beside: dict[str, ModeSummaries | None],
        read: Callable[[ModuleValues], ModeSummaries] | None,
    ) -> None:
        """``defined``: the module's own functions, which no import rebinds for a call;
        ``beside``: the summaries of the modules read so far, by path, shared;
        ``read``: summarises a module beside this one (None: read too many modules deep)."""
        self.values = values
        self._beside = beside
        self._read = read
        #: ``from ... import`` names: local name -> how it is imported.
        self._importable = {
            local: entry
            for local, entry in imported_names(values.tree).items()
            if local not in defined
        }
        # ``from util import *``: a name it binds, unless the module binds it some other way
        # (a definition or assignment of its own, which the star import would not undo).
        star = star_imported_names(values.path, values.tree)
        if star:
            bound = {name for statement in values.tree.body for name in top_level_names(statement)}
            for local, entry in star.items():
                if local not in bound:
                    self._importable.setdefault(local, entry)
        #: ``util`` of ``import util``: ``util.evaluate`` may be a function of ``util.py``
        #: (``modules_beside``, read on first need: it looks at the folder).
        self._modules_beside: dict[str, str] | None = None
        self._functions: dict[str, tuple[ModeSummaries, str, FunctionNode] | None] = {}
        self._files: dict[str, tuple[str, str] | None] = {}

    def function(self, name: str) -> tuple[ModeSummaries, str, FunctionNode] | None:
        """The summaries of the module beside this one that ``name`` is imported from, the
        function's name there and its definition; None for any other name."""
        if name not in self._functions:
            found = None
            imported = self._file(name)
            if imported is not None:
                path, there = imported
                other = self._summaries_beside(path)
                definition = None if other is None else other.definitions.get((None, there))
                if other is not None and definition is not None:  # None: changed meanwhile
                    found = (other, there, definition)
            self._functions[name] = found
        return self._functions[name]

    def definition(self, name: str) -> tuple[ModuleValues, FunctionNode] | None:
        """The value facts of the module beside this one that ``name`` is imported from,
        and the function's definition there; None for any other name, or one read too many
        modules deep."""
        found = self.function(name)
        return None if found is None else (found[0].values, found[2])

    def imports(self, name: str) -> bool:
        """Whether ``name`` is a function imported from a module beside this one."""
        return self._file(name) is not None

    def names(self) -> set[str]:
        """The names imported with ``from ... import``: each may be such a function."""
        return set(self._importable)

    def callee_name(self, func: ast.expr) -> str | None:
        """How a call names the function it may call, for ``ModeSummaries.keys_named``:
        the last name (``self.evaluate`` for a method of the module), but ``util.evaluate``
        whole when ``util`` is a module the module imports (``import util``)."""
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self._modules()
        ):
            return f"{func.value.id}.{func.attr}"
        return last_name(func)

    def _file(self, name: str) -> tuple[str, str] | None:
        """The file of the module beside this one that ``name`` is a function of, and its
        name there, read without keeping that module's tree; None for any other name."""
        if name not in self._files:
            entry = self._entry(name)
            path = None
            if entry is not None and self._read is not None:
                path = function_file(self.values.path, entry)
            self._files[name] = None if path is None or entry is None else (path, entry[2])
        return self._files[name]

    def _summaries_beside(self, path: str) -> ModeSummaries | None:
        if path not in self._beside:
            module = read_sibling(path)
            self._beside[path] = (
                None
                if module is None or self._read is None
                else self._read(ModuleValues(module.tree, path=path))
            )
        return self._beside[path]

    def _entry(self, name: str) -> tuple[int, str, str] | None:
        """How ``name`` (``evaluate``, or ``util.evaluate``) may be imported from a module
        beside this one, as :func:`.sibling_modules.imported_names` writes it."""
        entry = self._importable.get(name)
        if entry is None and "." in name:
            head, _, function = name.partition(".")
            module = self._modules().get(head)
            if module is not None and "." not in function:
                entry = (0, module, function)
        return entry

    def _modules(self) -> dict[str, str]:
        if self._modules_beside is None:
            self._modules_beside = modules_beside(self.values.path, self.values.tree)
        return self._modules_beside
