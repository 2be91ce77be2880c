"""A liberal finder of stores in loops that may outlive the iteration, independent of the linter.

NG002 reports a value that carries an autograd graph and is kept past the loop iteration that
made it. Recall only means something if the sites it is measured on were not chosen by the
linter, so this finder knows nothing about grad modes, models or data flow: inside every
``for``/``while`` loop and every comprehension bound to something, it lists each store whose
target was not bound in that loop before the store, and leaves out only stored values that
obviously cannot carry a graph (literals, strings, ``.item()``, ``float()``, comparisons...).
Humans then label each site by reading the code.

Each site is ``(line, col, target, expression)``; ``line`` is 1-based and ``col`` 0-based,
where the stored expression starts: ``loss`` in ``total += loss``, ``out`` in
``outs.append(out)``, the right-hand side in ``total = total + loss`` and in tuple
re-assignments (``out, hidden = model(x, hidden)``, ``vals[t], logp[t] = f(x)``), the element
in ``outs = [model(x) for x in xs]``.

Usage: ``python ng002_candidates.py DIR [DIR...]`` writes CSV rows
``repo,path,line,col,target,expression`` for every ``.py`` file under each checkout ``DIR``
(the repository name is the directory's name).
"""

from __future__ import annotations

import ast
import csv
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

Loop = Union[ast.For, ast.AsyncFor, ast.While]
CONTAINER_METHODS = {"append", "extend", "insert", "add", "appendleft"}
SCALAR_CALLS = {"float", "int", "len", "str", "bool", "round", "repr", "format", "isinstance"}
SCALAR_METHODS = {"item", "tolist", "numpy", "format", "join", "split", "strip", "keys"}


@dataclass(frozen=True, order=True)
class Site:
    """One store in a loop; ``col`` is where the stored expression starts."""

    line: int
    col: int
    target: str
    expression: str


def _text(source: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(source, node) or ""
    return " ".join(segment.split())


def _root_name(node: ast.AST) -> str | None:
    """``x`` for ``x``, ``x.a.b``, ``x[k].a``; None for anything else."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def is_trivial(node: ast.AST) -> bool:
    """True for values that obviously carry no autograd graph."""
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Compare)):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(is_trivial(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return is_trivial(node.operand)
    if isinstance(node, ast.BinOp):
        return is_trivial(node.left) and is_trivial(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in SCALAR_CALLS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in SCALAR_METHODS:
            return True
    return False


def _bound_names(target: ast.AST) -> Iterator[str]:
    """Names a plain binding target (re)binds: ``a``, ``a, (b, *c)``; not ``a.x`` / ``a[k]``."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _bound_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _bindings(loop: Loop) -> list[tuple[int, int, str]]:
    """(line, col, name) of every plain binding inside ``loop``, its own target included."""
    found: list[tuple[int, int, str]] = []
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        found += [(loop.lineno, loop.col_offset, n) for n in _bound_names(loop.target)]
    for node in ast.walk(loop):
        if node is loop or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif (
            isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None
        ) or isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            targets = [node.target]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            targets = [node.optional_vars]
        for target in targets:
            line = getattr(node, "lineno", getattr(target, "lineno", 0))
            col = getattr(node, "col_offset", getattr(target, "col_offset", 0))
            found += [(line, col, n) for n in _bound_names(target)]
    return found


class _Finder(ast.NodeVisitor):
    def __init__(self, source: str) -> None:
        self.source = source
        self.loops: list[Loop] = []
        self.loop_bindings: dict[int, list[tuple[int, int, str]]] = {}
        self.globals: list[set[str]] = [set()]
        self.sites: set[Site] = set()

    # scopes -----------------------------------------------------------------------------
    def _scope(self, node: ast.AST) -> None:
        outer = self.loops
        self.loops = []
        self.globals.append(set())
        self.generic_visit(node)
        self.globals.pop()
        self.loops = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scope

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.globals[-1].update(node.names)

    visit_Nonlocal = visit_Global  # type: ignore[assignment]

    def _loop(self, node: Loop) -> None:
        self.loop_bindings[id(node)] = _bindings(node)
        # The header runs once per iteration too, but stores live in the body.
        self.loops.append(node)
        for stmt in node.body + node.orelse:
            self.visit(stmt)
        self.loops.pop()
        if isinstance(node, ast.While):
            self.visit(node.test)
        else:
            self.visit(node.iter)

    visit_For = visit_AsyncFor = visit_While = _loop

    # stores -------------------------------------------------------------------------------
    def _outlives(self, target: ast.AST, at: ast.AST) -> bool:
        """The target's root was not (re)bound in the innermost loop before this store."""
        if not self.loops:
            return False
        root = _root_name(target)
        if root is None:
            return True  # f().x = e, (a or b).x = e: unknown, keep
        if root == "self" or root in self.globals[-1]:
            return True
        loop = self.loops[-1]
        line, col = at.lineno, at.col_offset  # type: ignore[attr-defined]
        return not any(
            (bl, bc) < (line, col) for bl, bc, name in self.loop_bindings[id(loop)] if name == root
        )

    def _add(self, target: ast.AST, value: ast.AST) -> None:
        if is_trivial(value):
            return
        line, col = value.lineno, value.col_offset  # type: ignore[attr-defined]
        self.sites.add(Site(line, col, _text(self.source, target), _text(self.source, value)))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self._outlives(node.target, node):
            self._add(node.target, node.value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assign(target, node.value, node)
        self._comprehension_store(node.targets[0], node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value, node)
            self._comprehension_store(node.target, node.value)
        self.generic_visit(node)

    def _assign(self, target: ast.AST, value: ast.AST, node: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            # ``values[t], probs[t] = f(x)`` and ``out, hidden = model(x, hidden)``: one site
            # for the statement, at the value.
            read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            kept = [e for e in target.elts if isinstance(e, (ast.Attribute, ast.Subscript))]
            kept += [
                e
                for e in target.elts
                if isinstance(e, ast.Name) and (e.id in self.globals[-1] or e.id in read)
            ]
            if any(self._outlives(e, node) for e in kept):
                self._add(target, value)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            if self._outlives(target, node):
                self._add(target, value)
        elif isinstance(target, ast.Name):
            reads_itself = any(
                isinstance(n, ast.Name) and n.id == target.id and isinstance(n.ctx, ast.Load)
                for n in ast.walk(value)
            )
            is_global = target.id in self.globals[-1]
            if (reads_itself or is_global) and self._outlives(target, node):
                self._add(target, value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CONTAINER_METHODS and node.args:
            value = node.args[-1] if func.attr == "insert" else node.args[0]
            if self._outlives(func.value, node):
                self._add(func.value, value)
            if func.attr in ("append", "add", "insert"):
                self._comprehension_store(func.value, value)
        self.generic_visit(node)

    def _comprehension_store(self, target: ast.AST, value: ast.AST) -> None:
        """A comprehension whose result is kept: each element outlives its iteration."""
        if isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            self._add(target, value.elt)
        elif isinstance(value, ast.DictComp):
            self._add(target, value.value)


def candidate_sites(source: str) -> list[Site]:
    """The sites of one file, sorted; empty for files that do not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    finder = _Finder(source)
    finder.visit(tree)
    return sorted(finder.sites)


def python_files(root: str) -> Iterator[str]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def main(argv: list[str]) -> int:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["repo", "path", "line", "col", "target", "expression"])
    for checkout in argv:
        repo = os.path.basename(os.path.normpath(checkout))
        for path in python_files(checkout):
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    source = handle.read()
            except OSError:
                continue
            relative = os.path.relpath(path, checkout)
            for site in candidate_sites(source):
                writer.writerow([repo, relative, site.line, site.col, site.target, site.expression])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
