"""A liberal finder of ``retain_graph=True`` sites, independent of the linter.

NG003 reports a ``retain_graph=True`` that nothing needs: no later gradient call goes through
the graph it keeps alive. Recall only means something if the sites it is measured on were not
chosen by the linter, so this finder knows nothing about data flow, losses or loops: it lists
every ``retain_graph`` keyword that is the constant ``True``, or a name bound exactly once in
its scope to the constant ``True``, given to a gradient call:

- ``X.backward(...)`` with any receiver (a loss, ``accelerator``, ``scaler.scale(loss)``...),
  and Lightning's ``X.manual_backward(...)``, which hands its keywords to ``backward``;
- ``torch.autograd.grad(...)`` / ``torch.autograd.backward(...)``, through any name the module
  gives ``torch.autograd`` (``import torch.autograd as ag``, ``from torch import autograd``),
  and ``grad`` / ``backward`` imported from ``torch.autograd`` under any alias.

Humans then label each site by reading the code. A name counts as bound once when the
innermost scope that binds it (a function, else the module) binds it in exactly one place, by
``name = True``; parameters, loop targets, ``with ... as``, imports and augmented assignments
are bindings too, so a parameter defaulting to ``True`` is not a site (its value comes from
the caller).

Each site is ``(line, col, model)``: ``line`` is 1-based and ``col`` 0-based, where the keyword
name ``retain_graph`` starts; ``model`` is the receiver as written (``loss`` in
``loss.backward``), or ``autograd.grad`` / ``autograd.backward`` for the function forms.

Usage: ``python ng003_candidates.py DIR [DIR...]`` writes CSV rows ``repo,path,line,col,model``
for every ``.py`` file under each checkout ``DIR`` (the repository name is the directory's
name).
"""

from __future__ import annotations

import ast
import csv
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional, Union

Scope = Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]
Bindings = dict[str, list[Optional[ast.AST]]]
FUNCTION_FORMS = ("grad", "backward")


@dataclass(frozen=True, order=True)
class Site:
    """One ``retain_graph`` keyword; ``col`` is where the keyword name starts."""

    line: int
    col: int
    model: str


def _text(source: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(source, node) or ""
    return " ".join(segment.split())


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Imports:
    """The names a module gives ``torch.autograd`` and its ``grad``/``backward`` functions."""

    def __init__(self, tree: ast.Module) -> None:
        self.autograd_modules = {"torch.autograd", "autograd"}
        self.functions: dict[str, str] = {}  # local name -> "grad" / "backward"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "torch.autograd" and alias.asname:
                        self.autograd_modules.add(alias.asname)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module == "torch" and alias.name == "autograd":
                        self.autograd_modules.add(local)
                    elif node.module == "torch.autograd" and alias.name in FUNCTION_FORMS:
                        self.functions[local] = alias.name

    def function_form(self, func: ast.AST) -> str | None:
        """``autograd.grad`` / ``autograd.backward`` when ``func`` names one of them."""
        if isinstance(func, ast.Name) and func.id in self.functions:
            return "autograd." + self.functions[func.id]
        if isinstance(func, ast.Attribute) and func.attr in FUNCTION_FORMS:
            owner = _dotted(func.value)
            if owner is not None and owner in self.autograd_modules:
                return "autograd." + func.attr
        return None


def _binding_names(target: ast.AST) -> Iterator[ast.Name]:
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _binding_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _binding_names(target.value)


def _own_nodes(scope: Scope) -> Iterator[ast.AST]:
    """The nodes of a scope, not those of the functions and classes nested in it."""
    stack: list[ast.AST] = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            # Their defaults and decorators run in this scope; their bodies do not.
            if isinstance(node, ast.ClassDef):
                stack.extend(node.decorator_list + node.bases)
                continue
            if not isinstance(node, ast.Lambda):
                stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _bindings(scope: Scope) -> Bindings:
    """Each name the scope binds -> the values bound (None where the value is not one node)."""
    found: Bindings = {}

    def bind(name: str, value: ast.AST | None) -> None:
        found.setdefault(name, []).append(value)

    if not isinstance(scope, ast.Module):
        args = scope.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        for parameter in every:
            if parameter is not None:
                bind(parameter.arg, None)
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                single = isinstance(target, ast.Name)
                for name in _binding_names(target):
                    bind(name.id, node.value if single else None)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            plain = isinstance(node, (ast.AnnAssign, ast.NamedExpr))
            for name in _binding_names(node.target):
                bind(name.id, node.value if plain else None)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            for name in _binding_names(node.target):
                bind(name.id, None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for name in _binding_names(node.optional_vars):
                bind(name.id, None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bind((alias.asname or alias.name).split(".")[0], None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name, None)
        elif isinstance(node, ast.ExceptHandler):
            bind(node.name or "", None)
    return found


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


#: Methods that run a backward of their receiver or argument and take ``retain_graph``:
#: ``loss.backward()``, ``accelerator.backward(loss)``, Lightning's ``manual_backward(loss)``.
BACKWARDS = ("backward", "manual_backward")


def _site(call: ast.Call, imports: _Imports, scopes: list[Bindings], source: str) -> Site | None:
    model = imports.function_form(call.func)
    if model is None and isinstance(call.func, ast.Attribute) and call.func.attr in BACKWARDS:
        model = _text(source, call.func.value)
    if model is None:
        return None
    for keyword in call.keywords:
        if keyword.arg == "retain_graph" and _is_true_here(keyword.value, scopes):
            return Site(keyword.lineno, keyword.col_offset, model)
    return None


def _is_true_here(value: ast.AST, scopes: list[Bindings]) -> bool:
    """``True``, or a name that the innermost scope binding it binds once, to ``True``."""
    if _is_true(value):
        return True
    if not isinstance(value, ast.Name):
        return False
    for scope in reversed(scopes):
        if value.id in scope:
            values = scope[value.id]
            return len(values) == 1 and _is_true(values[0])
    return False


def candidate_sites(source: str) -> list[Site]:
    """The sites of one file, sorted; empty for files that do not parse."""
    if "retain_graph" not in source:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    imports = _Imports(tree)
    sites: set[Site] = set()
    # An explicit stack: generated code nests deeper than the interpreter's recursion limit.
    stack: list[tuple[ast.AST, list[Bindings]]] = [(tree, [_bindings(tree)])]
    while stack:
        node, scopes = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            scopes = [*scopes, _bindings(node)]
        elif isinstance(node, ast.Call):
            site = _site(node, imports, scopes, source)
            if site is not None:
                sites.add(site)
        stack.extend((child, scopes) for child in ast.iter_child_nodes(node))
    return sorted(sites)


def python_files(root: str) -> Iterator[str]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def main(argv: list[str]) -> int:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["repo", "path", "line", "col", "model"])
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
                writer.writerow([repo, relative, site.line, site.col, site.model])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
