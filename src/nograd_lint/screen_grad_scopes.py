"""Where the screens, on the stdlib ``ast`` tree, recognise a scope of torch's own that
disables grad (``torch.no_grad()``, ``torch.inference_mode()``), and when it surely holds.

The facts come from the catalog (``GRAD_MODE_FACTORIES`` read through ``grad_effect``,
``GRAD_ENABLING_NAMES``), as the analysis reads them on LibCST's tree
(:mod:`.analysis.grad_scopes`). A screen may rule out a call inside such a scope only when
the scope is surely torch's and surely holds: below a module-level ``import torch``, in a
file that never rebinds ``torch`` and never spells anything that could switch grad back on.
A nested ``def``, lambda, class or comprehension runs under its own rules and is never
covered by the scope around it.
"""

from __future__ import annotations

import ast
import re
import unicodedata

from .analysis.catalog import (
    GRAD_DECORATORS_REACH_COROUTINES,
    GRAD_ENABLING_NAMES,
    GRAD_ENABLING_NAMES_WITH_ARGUMENT,
    GRAD_MODE_FACTORIES,
    GradEffect,
    grad_effect,
)
from .ast_names import (
    binds_torch,
    call_args,
    dotted_name,
    module_level,
    same_scope_nodes,
    walk,
)
from .lazy_pattern import LazyPattern


def _shortest(names: frozenset[str]) -> list[str]:
    """The names none of the others is part of: ``set_grad_enabled`` stands for
    ``_set_grad_enabled`` too, since the patterns have no left boundary."""
    return sorted(n for n in names if not any(o != n and o in n for o in names))


#: Any spelling that could switch grad back on (``catalog.GRAD_ENABLING_NAMES``): a name that
#: enables however it is written (``enable_grad``, not ``enable_gradient_checkpointing``), or
#: one that enables only given an argument (``inference_mode(False)``) anywhere but in an
#: empty call: an argument may follow a closing bracket, ``(torch.inference_mode)(False)``,
#: or an alias, ``from torch import inference_mode as im``. The words first, as substrings:
#: a regular expression that starts with a group is tried at every position of the file.
_ENABLING_WORDS = _shortest(GRAD_ENABLING_NAMES | GRAD_ENABLING_NAMES_WITH_ARGUMENT)
_GRAD_ENABLING = LazyPattern(
    "|".join(
        [rf"{re.escape(name)}(?!\w)" for name in _shortest(GRAD_ENABLING_NAMES)]
        + [
            rf"{re.escape(name)}(?!\w)(?!\s*\(\s*\))"
            for name in _shortest(GRAD_ENABLING_NAMES_WITH_ARGUMENT)
        ]
    )
)


def may_enable_grad(source: str) -> bool:
    """Whether ``source`` spells anything that could switch grad back on: then no
    ``torch.no_grad()`` scope in it surely holds."""
    return any(word in source for word in _ENABLING_WORDS) and bool(_GRAD_ENABLING.search(source))


def is_torch_no_grad(node: ast.expr, bare: bool = False) -> bool:
    """A scope of torch's own, written out from ``torch``, that disables grad
    (``catalog.grad_effect``): ``torch.no_grad()``, ``torch.inference_mode()``
    (``bare``: or without a call, as decorators may be written). Whether ``torch`` is torch
    there is decided by the caller."""
    call = node if isinstance(node, ast.Call) else None
    if call is None and not bare:
        return False
    target = call.func if call is not None else node
    if not isinstance(target, ast.Attribute):
        return False
    name = dotted_name(target)
    entry = GRAD_MODE_FACTORIES.get(name) if name is not None and name[:6] == "torch." else None
    return (
        entry is not None
        and grad_effect(entry, call_args(call) if call is not None else None) is GradEffect.DISABLE
    )


def decorated_no_grad(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Torch's decorator (``is_torch_no_grad``) disables grad in the body of ``node``: not
    in an ``async def``'s, which runs when awaited (``GRAD_DECORATORS_REACH_COROUTINES``)."""
    if isinstance(node, ast.AsyncFunctionDef) and not GRAD_DECORATORS_REACH_COROUTINES:
        return False
    return any(is_torch_no_grad(d, bare=True) for d in node.decorator_list)


def torch_import_line(tree: ast.Module) -> int | None:
    """The line of the first module-level ``import torch`` (below it, ``torch.no_grad`` is
    torch's unless something else binds the name: ``binds_torch``)."""
    return min((s.lineno for s in module_level(tree) if _imports_torch(s)), default=None)


def _imports_torch(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Import) and any(
        a.name == "torch" and a.asname is None for a in statement.names
    )


def names_as_written(source: str) -> bool:
    """Whether every name in ``source`` reads the same in the stdlib ``ast``, which
    normalises identifiers (NFKC: ``no_grad`` written with a full-width letter is
    ``no_grad``), as in LibCST, which keeps them as written: only then may a screen rule out
    a call by a name. Only a character that can be part of a name can make one read
    differently: a docstring's ``…`` or ``½`` cannot."""
    if source.isascii() or unicodedata.is_normalized("NFKC", source):
        return True
    suspects = {c for c in set(source) if not c.isascii() and _may_change_a_name(c)}
    if not suspects:
        return True
    for found in _NON_ASCII.finditer(source):
        if found.group() in suspects:
            run = _name_run(source, found.start())
            if not unicodedata.is_normalized("NFKC", run):
                return False
    return True


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _name_run(source: str, index: int) -> str:
    """The characters around ``index`` that can all stand in a name: a name that holds
    ``source[index]`` is within them."""
    start = end = index
    while start > 0 and _in_name(source[start - 1]):
        start -= 1
    while end + 1 < len(source) and _in_name(source[end + 1]):
        end += 1
    return source[start : end + 1]


def _in_name(char: str) -> bool:
    return ("a" + char).isidentifier()


def _may_change_a_name(char: str) -> bool:
    """``char`` may stand in a name and change under NFKC, alone or with its neighbours:
    a mark (composed with the letter before it) or a Hangul jamo (composed into a
    syllable) may, where each character alone is already normal."""
    if not _in_name(char):
        return False
    return (
        not unicodedata.is_normalized("NFKC", char)
        or unicodedata.category(char)[0] == "M"
        or any(low <= ord(char) <= high for low, high in _JAMO)
    )


#: The blocks of Hangul jamo, which compose into syllables.
_JAMO = ((0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))


def trusts_scopes(source: str) -> bool:
    """Whether a ``torch.no_grad()`` scope in ``source`` surely holds, as far as its text
    tells: nothing in it could switch grad back on, and its names read as written. The
    caller still needs the scope to be torch's (``torch_import_line``, ``binds_torch``)."""
    return bool(source) and not may_enable_grad(source) and names_as_written(source)


def trusted_after(tree: ast.Module, source: str) -> int | None:
    """The line below which a ``torch.no_grad()`` scope of ``tree`` surely holds (that of
    its first module-level ``import torch``); None when none surely does. Walks the whole
    tree for a rebinding of ``torch``: for a screen that asks rarely (NG001's screen reads
    the same facts in its own walk)."""
    if not trusts_scopes(source):
        return None
    line = torch_import_line(tree)
    if line is None or any(binds_torch(node) for node in walk(tree)):
        return None
    return line


def calls_under_no_grad(node: ast.AST, after: int) -> set[int]:
    """``id`` of each call of ``node`` that runs inside a ``with`` of a torch scope that
    disables grad below line ``after`` (``trusted_after``), in the same scope as the
    ``with``."""
    found: set[int] = set()
    for current in walk(node):
        if (
            isinstance(current, ast.With)
            and current.lineno > after
            and any(is_torch_no_grad(item.context_expr) for item in current.items)
        ):
            found.update(id(n) for n in same_scope_nodes(current.body) if isinstance(n, ast.Call))
    return found
