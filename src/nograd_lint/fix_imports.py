"""How the fix spells ``torch.no_grad()``, and whether it may add ``import torch``.

An added or reused name must mean torch wherever the fix uses it, and must be bound before
the wrapped statement runs. The spelling is therefore taken only from a top-level,
unconditional import that no other binding of the same name contradicts (a parameter, an
assignment, ``import numpy as torch``); ``import torch`` is added only when the name
``torch`` is bound nowhere in the module, since adding it where torch is imported
conditionally (``try``/``if is_torch_available()``) or lazily would make torch a hard
requirement of the module.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .analysis.catalog import GRAD_MODE_FACTORIES
from .fix_targets import span

CONDITIONAL = (
    "torch is imported only conditionally or inside a function here; an unconditional "
    "import would make it required"
)
NOT_TORCH = "the name torch is bound to something other than torch here"


@dataclass(frozen=True)
class Spelling:
    """``call``: the context manager call to write, e.g. ``T.no_grad()``. ``bound_after``: the
    last line of the import that binds it (0 when the fix adds ``import torch`` itself);
    statements above it cannot use it. ``refusal``: why no spelling can be used at all."""

    call: str
    needs_import: bool = False
    bound_after: int = 0
    refusal: str | None = None

    def refusal_for(self, first_line: int) -> str | None:
        """Why a statement starting on ``first_line`` cannot be wrapped, if it cannot."""
        if self.refusal is not None:
            return self.refusal
        if first_line <= self.bound_after:
            return "torch is imported only after this statement"
        return None


@dataclass(frozen=True)
class _Binding:
    qualified: str | None  # the module or object an import binds; None for anything else
    top_level: bool  # an import directly in the module body, run unconditionally
    end_line: int


def spelling(tree: ast.Module, context: str, lines: Sequence[str]) -> Spelling:
    """The spelling of ``torch.<context>()`` that the module's own imports allow
    (``lines``: the source's, to look for other bindings only where the names occur)."""
    names = {"torch"} | {
        alias.asname or alias.name.split(".")[0]
        for statement in tree.body
        if isinstance(statement, (ast.Import, ast.ImportFrom))
        for alias in statement.names
    }
    bindings = _bindings(_statements_mentioning(tree, names, lines), names)
    for qualified in (*_factories(context), "torch"):
        for name, found in bindings.items():
            first = next((b for b in found if b.top_level and b.qualified == qualified), None)
            if first is None or any(b.qualified != qualified for b in found):
                continue
            call = f"{name}.{context}()" if qualified == "torch" else f"{name}()"
            return Spelling(call, bound_after=first.end_line)
    torch = bindings.get("torch", [])
    if not torch:
        return Spelling(f"torch.{context}()", needs_import=True)
    if any(b.qualified == "torch" and not b.top_level for b in torch):
        return Spelling(f"torch.{context}()", refusal=CONDITIONAL)
    return Spelling(f"torch.{context}()", refusal=NOT_TORCH)


def _factories(context: str) -> list[str]:
    """The qualified names torch exports ``context`` under, in the catalog's order
    (``torch.no_grad`` first)."""
    return [q for q in GRAD_MODE_FACTORIES if q.rpartition(".")[2] == context]


def _statements_mentioning(
    tree: ast.Module, names: set[str], lines: Sequence[str]
) -> list[ast.stmt]:
    """The top-level statements whose text holds one of ``names``: every binding of a name
    spells it (all of them when the text is not ASCII, as identifiers are normalised)."""
    text = "".join(lines)
    if not text.isascii():
        return tree.body
    alternatives = "|".join(sorted(map(re.escape, names)))
    pattern = re.compile(rf"\b(?:{alternatives})\b")
    starts = list(itertools.accumulate((len(line) for line in lines), initial=0))
    hits = sorted({bisect.bisect_right(starts, m.start()) for m in pattern.finditer(text)})
    chosen = []
    for statement in tree.body:
        first, last = span(statement)
        index = bisect.bisect_left(hits, first)
        if index < len(hits) and hits[index] <= last:
            chosen.append(statement)
    return chosen


def _bindings(statements: Sequence[ast.stmt], names: set[str]) -> dict[str, list[_Binding]]:
    """Every binding of ``names`` in ``statements``, in any scope: a name rebound inside a
    function changes what a wrapped statement in that function would see."""
    top = {id(s) for s in statements}
    found: dict[str, list[_Binding]] = {}

    def bind(name: str, qualified: str | None, node: ast.AST, top_level: bool = False) -> None:
        if name not in names:
            return
        end: int = getattr(node, "end_lineno", None) or getattr(node, "lineno", None) or 0
        found.setdefault(name, []).append(_Binding(qualified, top_level, end))

    for node in (n for statement in statements for n in ast.walk(statement)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bind(alias.asname, alias.name, node, id(node) in top)
                else:
                    head = alias.name.split(".")[0]
                    bind(head, head, node, id(node) in top)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    continue
                qualified = (
                    f"{node.module}.{alias.name}" if node.module and not node.level else None
                )
                bind(alias.asname or alias.name, qualified, node, id(node) in top)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bind(node.id, None, node)
        elif isinstance(node, ast.arg):
            bind(node.arg, None, node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name, None, node)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                bind(name, None, node)
        else:
            for attribute in ("name", "rest"):  # except ... as e; match captures
                value = getattr(node, attribute, None)
                if isinstance(value, str) and not isinstance(node, ast.alias):
                    bind(value, None, node)
    return found


def import_line(tree: ast.Module) -> int:
    """The line ``import torch`` goes on (1-based): after the docstring and the
    ``from __future__`` imports, else before the first statement (below header comments)."""
    body = tree.body
    index = 0
    if body and is_docstring(body[0]):
        index = 1
    while index < len(body) and _is_future_import(body[index]):
        index += 1
    if index:
        return (body[index - 1].end_lineno or body[index - 1].lineno) + 1
    return span(body[0])[0]


def is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_future_import(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
