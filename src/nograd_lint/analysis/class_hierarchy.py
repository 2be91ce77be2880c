"""The module's functions and classes by name, and how its classes derive from one another.

``self.validate()`` in a ``Trainer`` may run the method of a base class of the module
(``class Trainer(BaseTrainer)``), or, where the base's method is an empty hook, a
subclass's; a ``self`` of one class may hold the attributes its relatives set. Only the
bases the module names by a plain name are followed: another module's classes are not read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Union

from ..ast_names import FUNCTIONS, dotted_name, is_super, module_class, self_parameter

#: A definition a call may run.
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


class ClassHierarchy:
    """The functions and methods the module defines at its top level, and its classes' bases."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        #: (class name or None, function name) -> definition.
        self.definitions: dict[tuple[str | None, str], FunctionNode] = {}
        for statement in tree.body:
            if isinstance(statement, FUNCTIONS):
                self.definitions[(None, statement.name)] = statement
            elif isinstance(statement, ast.ClassDef):
                for member in statement.body:
                    if isinstance(member, FUNCTIONS):
                        self.definitions[(statement.name, member.name)] = member
        self._bases: dict[str, list[str]] | None = None
        #: (class, method) -> ``overrides``: asked at every ``self.method()`` read.
        self._overrides: dict[tuple[str, str], list[str]] = {}
        self._method_names: frozenset[str] | None = None

    def plain_class(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """A class of the module whose bases are all plain classes of the module (or
        ``object``): it cannot be an ``nn.Module``, whatever an unknown base would be."""
        statement = module_class(self.tree, name)
        if statement is None or statement.keywords or name in seen:
            return False
        return all(
            isinstance(base, ast.Name)
            and (base.id == "object" or self.plain_class(base.id, seen | {name}))
            for base in statement.bases
        )

    def inherited_from(self, owner: str, name: str) -> str | None:
        """The class of the module that ``owner`` inherits method ``name`` from, through
        the bases it names (``class Trainer(BaseTrainer)``), when ``owner`` does not define
        it itself."""
        return next(
            (base for base in self.ancestors(owner) if (base, name) in self.definitions), None
        )

    def super_method(self, owner: str, name: str) -> str | None:
        """The class whose method ``name`` a ``super().name()`` in a method of ``owner``
        runs: the nearest base of the module that defines it, where no class of the module
        that is, derives from or is a base of ``owner`` names more than one base (with
        several, the object's method order may put another class, a mixin's sibling,
        next; with one each, the bases form a chain)."""
        family = [
            owner,
            *self.ancestors(owner),
            *(c for c in self.bases() if owner in self.ancestors(c)),
        ]
        for member in family:
            statement = module_class(self.tree, member)
            if statement is None or len(statement.bases) > 1:
                return None
        return self.inherited_from(owner, name)

    def hook_overrides(self, owner: str, name: str) -> list[str]:
        """The classes of the module that derive from ``owner`` and define method ``name``
        again, when ``owner``'s does nothing (``pass``, ``...``, a docstring, ``raise
        NotImplementedError``), or neither ``owner`` nor a base of the module defines it:
        a hook for subclasses, so ``self.on_epoch_start()`` or ``self.train_epoch(loader)``
        in the base class's loop runs one of theirs. A base method that does something makes
        a class that is used as it is too."""
        defined = self.definitions.get((owner, name))
        if defined is None:
            base = self.inherited_from(owner, name)
            defined = self.definitions[(base, name)] if base is not None else None
            if defined is None and owner not in self.bases():
                return []  # a class in a function, or none: no subclasses to read
        if defined is not None and not _does_nothing(defined):
            return []
        return self.overrides(owner, name)

    def overrides(self, owner: str, name: str) -> list[str]:
        """The classes of the module that derive from ``owner`` and define method ``name``
        again: an object of one runs theirs where ``owner``'s code calls ``self.name()``."""
        key = (owner, name)
        if key not in self._overrides:
            self._overrides[key] = [
                subclass
                for subclass in self.bases()
                if (subclass, name) in self.definitions and owner in self.ancestors(subclass)
            ]
        return self._overrides[key]

    def provider(self, owner: str, name: str) -> str | None:
        """The class of the module whose method ``name`` an object of ``owner`` runs."""
        return owner if (owner, name) in self.definitions else self.inherited_from(owner, name)

    def runs_method_of(self, owner: str, name: str, base: str) -> bool:
        """Whether an object of ``owner`` runs ``base``'s method ``name``: it inherits it,
        or the override it runs hands on to it (``def fit(self, loader):
        super().fit(loader)``), a few classes up."""
        seen: set[str] = set()
        provider = self.provider(owner, name)
        while provider is not None and provider not in seen:
            if provider == base:
                return True
            seen.add(provider)
            definition = self.definitions[(provider, name)]
            if not _calls_super(definition, name):
                return False
            provider = self.inherited_from(provider, name)
        return False

    def bases(self) -> dict[str, list[str]]:
        """Class of the module -> the bases it names."""
        if self._bases is None:
            self._bases = {
                statement.name: [b.id for b in statement.bases if isinstance(b, ast.Name)]
                for statement in self.tree.body
                if isinstance(statement, ast.ClassDef)
            }
        return self._bases

    def ancestors(self, owner: str) -> Iterator[str]:
        """The classes of the module ``owner`` derives from, nearest first."""
        bases = self.bases()
        seen = {owner}
        queue = list(bases.get(owner, ()))
        while queue:
            base = queue.pop(0)
            if base in seen or base not in bases:
                continue
            seen.add(base)
            yield base
            queue.extend(bases[base])

    def descendants(self, owner: str) -> set[str]:
        """The classes of the module that derive from ``owner``."""
        return {c for c in self.bases() if owner in self.ancestors(c)}

    def related(self, owner: str) -> set[str]:
        """``owner``, and the classes of the module it derives from or that derive from
        it: the methods ``self`` may run, the attributes it may have."""
        return {owner, *self.ancestors(owner), *self.descendants(owner)}

    def method_names(self) -> frozenset[str]:
        """The names of the methods of the module's classes."""
        if self._method_names is None:
            self._method_names = frozenset(
                name for owner, name in self.definitions if owner is not None
            )
        return self._method_names


def _calls_super(definition: FunctionNode, name: str) -> bool:
    """The method calls ``super().name(...)`` (or ``super(Cls, self).name(...)``)."""
    self_name = self_parameter(definition)
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and is_super(node.func.value, None, self_name)
        for node in ast.walk(definition)
    )


def _does_nothing(definition: ast.AST | None) -> bool:
    """A method whose body is ``pass``, ``...``, a docstring or ``raise NotImplementedError``."""
    if not isinstance(definition, FUNCTIONS):
        return False
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        or (isinstance(statement, ast.Raise) and _raises_not_implemented(statement.exc))
        for statement in definition.body
    )


def _raises_not_implemented(exception: ast.expr | None) -> bool:
    if isinstance(exception, ast.Call):
        exception = exception.func
    return exception is not None and dotted_name(exception) == "NotImplementedError"
