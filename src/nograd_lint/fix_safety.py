"""Statements the fix must not wrap because they suspend.

Grad mode is thread-local state. A generator suspended inside ``with torch.no_grad():`` leaves
gradients off in whatever code consumes it (a training loop), and every coroutine that runs
during an ``await`` inside the block sees them off too. So a statement is wrapped only if
nothing in it, header or body, can suspend: code in nested functions and lambdas runs later,
in its own frame, and does not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

SUSPENDS = "the statement suspends (yield/await) and no_grad would leak to other code"

_SUSPENDING = (ast.Yield, ast.YieldFrom, ast.Await, ast.AsyncFor, ast.AsyncWith)
_RUNS_LATER = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def suspends(statements: Iterable[ast.AST]) -> bool:
    """Whether running ``statements`` may suspend their frame (iterative: no recursion
    limit on deep expressions)."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, _SUSPENDING):
            return True
        if isinstance(node, ast.comprehension) and node.is_async:
            return True
        for child in ast.iter_child_nodes(node):
            stack.extend(_run_now(child) if isinstance(child, _RUNS_LATER) else (child,))
    return False


def _run_now(function: ast.AST) -> list[ast.AST]:
    """The parts of a ``def`` or ``lambda`` evaluated where it is written: decorators and
    default values."""
    arguments = function.args  # type: ignore[attr-defined]
    return [
        *getattr(function, "decorator_list", ()),
        *arguments.defaults,
        *(d for d in arguments.kw_defaults if d is not None),
    ]
