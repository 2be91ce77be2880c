"""A liberal finder of calls that may leave a model in eval mode, independent of the linter.

NG004 reports the call that leaves a model in eval mode when a training step on that model
runs next along a loop's back edge. Recall only means something if the sites it is measured
on were not chosen by the linter, so this finder knows nothing about loops, training steps,
models or data flow: in every module that trains something somewhere (it calls
``.backward(...)`` or ``.step(...)``), it lists each ``X.eval()`` / ``X.train(False)`` /
``X.train(mode=False)`` call, and each call of a function or method defined in the same
module whose body, or the body of a same-module function it calls, contains one. Functions
are matched by name only (``evaluate(...)``, ``self.validate()``, ``trainer.test(...)`` all
match a ``def`` of that name anywhere in the module; ``X.train()`` and ``X.train(True)`` are
taken for ``nn.Module.train`` and never count as helper calls), so the list is deliberately
too long.
The command also lists calls of such functions that a module imports by name from another
file of the same checkout (``from utils import evaluate``), and counts a module as training
when it calls a function imported that way that calls ``.backward(...)`` or ``.step(...)``
(``from solver import train, test``); a linter that reads one file at a time cannot see
those, so they are worth measuring separately. Humans then label each site
by reading the code.

Each site is ``(line, col, model)``; ``line`` is 1-based and ``col`` 0-based, in characters,
where the call expression starts: the ``m`` of ``model.eval()``, the ``e`` of
``evaluate(model, loader)``, the ``s`` of ``self.validate()``. ``model`` is the receiver as
written (``model``, ``self.net``); for a helper call, the receiver of the first eval call in
the helper, with a parameter replaced by the argument given at the call site
(``evaluate(net, loader)`` with ``def evaluate(model, loader): model.eval()`` gives ``net``).

Usage: ``python ng004_candidates.py DIR [DIR...]`` writes CSV rows
``repo,path,line,col,model`` for every ``.py`` file under each checkout ``DIR`` (the
repository name is the directory's name).
"""

from __future__ import annotations

import ast
import csv
import os
import sys
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
TRAINING_METHODS = {"backward", "step"}


@dataclass(frozen=True, order=True)
class Site:
    """One call that may leave a model in eval mode; ``col`` is where the call starts."""

    line: int
    col: int
    model: str


def _text(source: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(source, node) or ""
    return " ".join(segment.split())


def _called_name(call: ast.Call) -> str | None:
    """``f`` for ``f(...)``, ``obj.a.f(...)``; None for anything else."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_eval_call(call: ast.Call) -> bool:
    """``X.eval()``, ``X.train(False)`` or ``X.train(mode=False)`` on any receiver."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "eval":
        return not call.args and not call.keywords
    if func.attr != "train":
        return False
    given = list(call.args) + [k.value for k in call.keywords if k.arg == "mode"]
    return (
        len(given) == 1
        and isinstance(given[0], ast.Constant)
        and given[0].value is False
        and len(call.args) + len(call.keywords) == 1
    )


def sets_train_mode(call: ast.Call) -> bool:
    """``X.train()`` / ``X.train(True)``: ``nn.Module.train``, never a helper call, even in a
    module that defines a ``train`` function reaching eval."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "train" or call.keywords:
        return False
    return not call.args or (
        len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value is True
    )


def trains_somewhere(tree: ast.AST) -> bool:
    """The module calls ``.backward(...)`` or ``.step(...)`` somewhere."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in TRAINING_METHODS
        for node in ast.walk(tree)
    )


def _calls_any(tree: ast.AST, names: Collection[str]) -> bool:
    return bool(names) and any(
        isinstance(node, ast.Call) and _called_name(node) in names for node in ast.walk(tree)
    )


def _own_calls(function: FunctionNode) -> Iterator[ast.Call]:
    """Calls in the function's body, nested functions and classes included (liberal)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            yield node


def _parameters(function: FunctionNode) -> list[str]:
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args]


@dataclass(frozen=True)
class Helper:
    """A function that reaches an eval call: its parameters, and the receiver in their terms."""

    parameters: tuple[str, ...]
    receiver: str

    def model_at(self, call: ast.Call, source: str) -> str:
        """The receiver with a leading parameter replaced by the call's matching argument."""
        root, dot, rest = self.receiver.partition(".")
        params = list(self.parameters)
        if root not in params:
            return self.receiver
        index = params.index(root)
        if params[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
            if index == 0:
                return _text(source, call.func.value) + dot + rest
            index -= 1
        for keyword in call.keywords:
            if keyword.arg == root:
                return _text(source, keyword.value) + dot + rest
        if index < len(call.args) and not isinstance(call.args[index], ast.Starred):
            return _text(source, call.args[index]) + dot + rest
        return self.receiver


def module_helpers(
    tree: ast.AST, source: str, imported: Mapping[str, Helper] | None = None
) -> dict[str, Helper]:
    """The module's functions, by name, whose body or a known callee calls eval.

    Known callees are the module's own functions and the ``imported`` helpers, which are
    returned too unless a function of the module has the same name.
    """
    functions: dict[str, list[FunctionNode]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(node.name, []).append(node)
    helpers = {k: v for k, v in (imported or {}).items() if k not in functions}
    for name, defs in functions.items():
        for function in defs:
            first = next((c for c in _own_calls(function) if is_eval_call(c)), None)
            if first is not None and name not in helpers:
                assert isinstance(first.func, ast.Attribute)
                receiver = _text(source, first.func.value)
                helpers[name] = Helper(tuple(_parameters(function)), receiver)
    changed = True
    while changed:  # a fixed point: a function reaches eval through a helper that does
        changed = False
        for name, defs in functions.items():
            if name in helpers:
                continue
            for function in defs:
                inner = next(
                    (
                        c
                        for c in _own_calls(function)
                        if _called_name(c) in helpers and not sets_train_mode(c)
                    ),
                    None,
                )
                if inner is not None:
                    inner_helper = helpers[_called_name(inner) or ""]
                    receiver = inner_helper.model_at(inner, source)
                    helpers[name] = Helper(tuple(_parameters(function)), receiver)
                    changed = True
                    break
    return helpers


def parse(source: str) -> ast.Module:
    """``ast.parse`` without the warnings third-party code triggers (invalid escapes...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _char_col(source_lines: list[str], line: int, byte_col: int) -> int:
    """``ast`` gives UTF-8 byte offsets; labels count characters."""
    text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


def candidate_sites(
    source: str,
    imported: Mapping[str, Helper] | None = None,
    imported_trainers: Collection[str] = (),
) -> list[Site]:
    """Every call in ``source`` that may leave a model in eval mode (see the module doc).

    ``imported`` adds helpers defined in other modules of the same code base, by the name
    this module calls them with (see ``CodeBase.imported_helpers``); a module that calls one
    of ``imported_trainers`` (functions of the code base that train) trains too.
    """
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return []
    if not trains_somewhere(tree) and not _calls_any(tree, imported_trainers):
        return []
    helpers = module_helpers(tree, source, imported)
    lines = source.splitlines()
    sites: set[Site] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        col = _char_col(lines, node.lineno, node.col_offset)
        if is_eval_call(node):
            assert isinstance(node.func, ast.Attribute)
            sites.add(Site(node.lineno, col, _text(source, node.func.value)))
            continue
        name = _called_name(node)
        if name is not None and name in helpers and not sets_train_mode(node):
            sites.add(Site(node.lineno, col, helpers[name].model_at(node, source)))
    return sorted(sites)


def _module_files(checkout: str, files: list[str], path: str, node: ast.ImportFrom) -> list[str]:
    """Files of the checkout an import may name: relative imports exactly, absolute ones by
    path suffix (scripts put various folders on ``sys.path``); ``files`` are relative."""
    parts = (node.module or "").split(".") if node.module else []
    if node.level:
        base = os.path.dirname(path)
        for _ in range(node.level - 1):
            base = os.path.dirname(base)
        stem = os.path.join(base, *parts) if parts else base
        found = [stem + ".py", os.path.join(stem, "__init__.py")]
        return [f for f in found if os.path.isfile(os.path.join(checkout, f))]
    if not parts:
        return []
    suffixes = (os.path.join(*parts) + ".py", os.path.join(*parts, "__init__.py"))
    return [f for f in files if any(f == x or f.endswith(os.sep + x) for x in suffixes)]


class CodeBase:
    """One checkout: each file's own helpers, to resolve ``from module import helper``."""

    def __init__(self, checkout: str) -> None:
        self.checkout = checkout
        self.files = [os.path.relpath(f, checkout) for f in python_files(checkout)]
        # file -> (its helpers reaching eval, its functions that call backward/step)
        self._parsed: dict[str, tuple[dict[str, Helper], set[str]]] = {}

    def _of(self, relative: str) -> tuple[dict[str, Helper], set[str]]:
        if relative not in self._parsed:
            self._parsed[relative] = ({}, set())
            source = read_source(os.path.join(self.checkout, relative))
            try:
                tree = parse(source)
            except (SyntaxError, ValueError):
                return self._parsed[relative]
            trainers = {
                node.name
                for node in ast.walk(tree)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and trains_somewhere(node)
            }
            self._parsed[relative] = (module_helpers(tree, source), trainers)
        return self._parsed[relative]

    def _imported(self, relative: str, source: str, which: int) -> dict[str, object]:
        """Names this file imports from other files of the checkout, with what they are."""
        try:
            tree = parse(source)
        except (SyntaxError, ValueError):
            return {}
        found: dict[str, object] = {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            for module_file in _module_files(self.checkout, self.files, relative, node):
                if module_file == relative:
                    continue
                defined = self._of(module_file)[which]
                names = defined if isinstance(defined, dict) else {n: n for n in defined}
                for alias in node.names:
                    if alias.name == "*":
                        for name, value in names.items():
                            found.setdefault(name, value)
                    elif alias.name in names:
                        found.setdefault(alias.asname or alias.name, names[alias.name])
        return found

    def imported_helpers(self, relative: str, source: str) -> dict[str, Helper]:
        """Helpers another file of the checkout defines, by the name this file imports."""
        return {
            name: helper
            for name, helper in self._imported(relative, source, 0).items()
            if isinstance(helper, Helper)
        }

    def imported_trainers(self, relative: str, source: str) -> set[str]:
        """Functions of other files of the checkout that train, by the name imported here."""
        return set(self._imported(relative, source, 1))


def read_source(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


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
        code_base = CodeBase(checkout)
        for path in python_files(checkout):
            source = read_source(path)
            relative = os.path.relpath(path, checkout)
            if "import" in source:
                imported = code_base.imported_helpers(relative, source)
                trainers = code_base.imported_trainers(relative, source)
            else:
                imported, trainers = {}, set()
            for site in candidate_sites(source, imported, trainers):
                writer.writerow([repo, relative, site.line, site.col, site.model])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
