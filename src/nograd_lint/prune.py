"""The source LibCST needs to see: top-level definitions that cannot matter become stubs.

LibCST's parse costs about ten times the stdlib's, and a long training script spends most of
its lines where the screen found nothing: argument parsing, datasets, the training step. A
top-level ``def`` or ``class`` is parsed as a stub (its decorators and header, then ``...``)
when its body holds none of the screen's suspect calls and cannot change how the analysis
reads a body that does. A body keeps itself whole when it

- mentions a definition kept whole, or one that module-level code defines (``if c: def f``):
  a call there is a call site, which decides the callee's grad mode and what its
  parameters receive (``functions``); so callers are kept up to the module level, which is
  always kept;
- is used as a decorator or context manager (``grad_scopes`` reads a local wrapper's body);
- imports a name that code kept whole uses (the import table is the module's, filled as
  code is read: a class body's with the module's code, a function's after it), or a package
  that decides ``ImportTable.is_other_framework``;
- calls ``x.train(...)`` (a mode setter that may mean train mode) on a name module-level
  code uses (``flow._module_trained``);
- binds the name ``torch`` (``flow.bind`` forgets the import).

The stub keeps what the analysis reads of a definition without its body: the name it binds
where it binds it, decorators, bases and parameters. Top-level statements keep their number
and order, so positions read off the original ``ast`` tree by top-level index still hold.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .analysis.catalog import (
    FREEZING_METHODS,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_CONSUMING_METHODS,
    MODE_SETTERS,
    OTHER_FRAMEWORKS,
    REQUIRES_GRAD_FLAG,
    Mode,
)
from .ast_names import FUNCTIONS, NAMED_BINDINGS, binds_torch, inner_nodes, last_name
from .source import physical_lines

_DEFINITIONS = (*FUNCTIONS, ast.ClassDef)
#: Calls by which a class's body decides what its instances are (``flow._frozen_instance``).
_INSTANCE_FACTS = (
    FREEZING_METHODS
    | GRAPH_CONSUMING_METHODS
    | {name.rsplit(".", 1)[-1] for name in GRAPH_CONSUMING_FUNCTIONS}
)
#: Nodes that may bind ``torch`` (``binds_torch``) or import something.
_BINDERS = frozenset(
    {*_DEFINITIONS, *NAMED_BINDINGS, ast.arg, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal}
)
#: Packages whose import can flip ``is_other_framework``.
_FRAMEWORKS = OTHER_FRAMEWORKS | {"torch"}
#: Mode setters that may put a module in train mode (``catalog.mode_set``): ``x.train()``.
_TRAIN_SETTERS = frozenset(
    setter.method
    for setter in MODE_SETTERS
    if setter.default is Mode.TRAIN or setter.flag is not None
)


@dataclass(eq=False)
class _Reads:
    """What one top-level statement reads and binds that can matter to other bodies."""

    mentions: set[str] = field(default_factory=set)  # every name it uses or binds
    #: Names mentioned inside functions and lambdas: read after every top-level body has run.
    late_mentions: set[str] = field(default_factory=set)
    imported: set[str] = field(default_factory=set)  # names its imports bind
    packages: set[str] = field(default_factory=set)  # top-level packages it imports
    trained: set[str] = field(default_factory=set)  # first names of ``x.train(...)`` receivers
    wrappers: set[str] = field(default_factory=set)  # names in decorators and ``with`` items
    defined: set[str] = field(default_factory=set)  # names of the definitions nested in it
    keeps_itself: bool = False
    #: It freezes parameters or differentiates: a class doing so makes its instances
    #: never reported (``flow._frozen_instance``), which the analysis reads in its body.
    sets_instance_facts: bool = False

    def read(self, node: ast.AST, suspects: set[int]) -> None:
        stack: list[tuple[ast.AST, bool]] = [(node, False)]
        while stack:
            node, late = stack.pop()
            kind = type(node)
            if kind is ast.Name:  # the commonest node, with nothing below it worth a visit
                self.mentions.add(node.id)  # type: ignore[attr-defined]
                if late:
                    self.late_mentions.add(node.id)  # type: ignore[attr-defined]
                self.keeps_itself |= node.id == "torch" and binds_torch(node)  # type: ignore[attr-defined]
                continue
            if kind is ast.Call:
                self._call(node, suspects)  # type: ignore[arg-type]
            elif kind in _BINDERS:
                if kind is ast.Import or kind is ast.ImportFrom:
                    self._import(node)  # type: ignore[arg-type]
                elif kind in _DEFINITIONS:
                    self.wrappers.update(_names(node.decorator_list))  # type: ignore[attr-defined]
                    self.defined.add(node.name)  # type: ignore[attr-defined]
                    late = late or kind is not ast.ClassDef
                self.keeps_itself |= binds_torch(node)
            elif kind is ast.With or kind is ast.AsyncWith:
                self.wrappers.update(_names(item.context_expr for item in node.items))  # type: ignore[attr-defined]
            elif kind is ast.Lambda:
                late = True
            elif kind is ast.Attribute and node.attr == REQUIRES_GRAD_FLAG:  # type: ignore[attr-defined]
                self.sets_instance_facts = True  # ``p.requires_grad = False`` in a loop
            stack.extend((child, late) for child in inner_nodes(node))

    def _call(self, call: ast.Call, suspects: set[int]) -> None:
        if id(call) in suspects:
            self.keeps_itself = True
        func = call.func
        if last_name(func) in _INSTANCE_FACTS:
            self.sets_instance_facts = True
        if isinstance(func, ast.Attribute) and func.attr in _TRAIN_SETTERS:
            root = _first_name(func.value)
            if root is not None:
                self.trained.add(root)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.imported.add(alias.asname or alias.name.split(".", 1)[0])
        if isinstance(node, ast.Import):
            self.packages.update(alias.name.split(".", 1)[0] for alias in node.names)
        elif node.module and not node.level:
            self.packages.add(node.module.split(".", 1)[0])


def _names(expressions: Iterable[ast.AST]) -> set[str]:
    return {n.id for expr in expressions for n in ast.walk(expr) if isinstance(n, ast.Name)}


def _first_name(expr: ast.AST) -> str | None:
    """``model`` in ``model.to(dev)``, ``self.nets[0]``."""
    while True:
        if isinstance(expr, ast.Name):
            return expr.id
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        else:
            return None


def kept_definitions(tree: ast.Module, suspects: Iterable[ast.Call]) -> set[int]:
    """Indices of the top-level definitions of ``tree`` that the analysis must read whole."""
    suspect_ids = {id(call) for call in suspects}
    reads = []
    for statement in tree.body:
        statement_reads = _Reads()
        statement_reads.read(statement, suspect_ids)
        reads.append(statement_reads)
    definitions = {
        i for i, statement in enumerate(tree.body) if isinstance(statement, _DEFINITIONS)
    }
    module_level = [reads[i] for i in range(len(tree.body)) if i not in definitions]
    module_names = set().union(*(r.mentions for r in module_level))
    wrappers = set().union(*(r.wrappers for r in reads))
    frameworks_matter = any(r.packages & OTHER_FRAMEWORKS for r in reads)

    kept = {
        index
        for index in definitions
        if reads[index].keeps_itself
        or (isinstance(tree.body[index], ast.ClassDef) and reads[index].sets_instance_facts)
        or tree.body[index].name in wrappers  # type: ignore[attr-defined]
        or reads[index].trained & module_names
        or (frameworks_matter and reads[index].packages & _FRAMEWORKS)
        # A class body's imports run with the module's code, a function's after it.
        or (isinstance(tree.body[index], ast.ClassDef) and reads[index].imported & module_names)
    }
    # Then callers of kept definitions, and definitions whose imports kept code reads, as a
    # worklist: a chain of 10,000 functions calling each other must not cost 10,000 sweeps.
    callers: dict[str, list[int]] = defaultdict(list)
    importers: dict[str, list[int]] = defaultdict(list)
    for index in definitions:
        for name in reads[index].mentions:
            callers[name].append(index)
        for name in reads[index].imported:
            importers[name].append(index)
    work = list(kept)

    def keep(indices: Iterable[int]) -> None:
        for index in indices:
            if index not in kept:
                kept.add(index)
                work.append(index)

    used: set[str] = set()

    def use(names: Iterable[str]) -> None:
        for name in names:
            if name not in used:
                used.add(name)
                keep(importers.get(name, ()))

    use(set().union(*(r.late_mentions for r in module_level)))
    # Module-level code is always whole, and so is a function it defines (``if c: def f``):
    # its callers decide its grad mode as they would a kept definition's.
    for module_reads in module_level:
        for name in module_reads.defined:
            keep(callers.get(name, ()))
    while work:
        index = work.pop()
        keep(callers.get(tree.body[index].name, ()))  # type: ignore[attr-defined]
        use(reads[index].mentions)
    return kept


def pruned_source(tree: ast.Module, text: str, suspects: Iterable[ast.Call]) -> str | None:
    """``text`` with the bodies of the top-level definitions the analysis need not read
    replaced by ``...``, or None when every body must stay."""
    return stubbed(tree, text, kept_definitions(tree, suspects))


def stubbed(tree: ast.Module, text: str, kept: set[int]) -> str | None:
    """``text`` with the body of every top-level definition not in ``kept`` (indices into
    ``tree.body``) replaced by ``...``, or None when there is none to replace."""
    lines = physical_lines(text)
    stubs = []
    for index, statement in enumerate(tree.body):
        if index in kept or not isinstance(statement, _DEFINITIONS):
            continue
        first = statement.body[0]
        start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", ())])
        if start <= statement.lineno:
            continue  # ``def f(): return 1``: nothing to gain
        line = lines[start - 1]
        indent = line[: len(line) - len(line.lstrip(" \t\f"))]
        ending = line[len(line.rstrip("\r\n")) :] or "\n"
        stubs.append((start, statement.end_lineno or statement.lineno, f"{indent}...{ending}"))
    if not stubs:
        return None
    parts, done = [], 0
    for first, last, stub in stubs:
        parts.extend(lines[done : first - 1])
        parts.append(stub)
        done = last
    parts.extend(lines[done:])
    return "".join(parts)
