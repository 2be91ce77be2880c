"""The screen's test for NG004, on the stdlib ``ast`` tree: can a loop carry eval mode
around its back edge to a training step?

NG004 needs, inside one loop, a call that begins an eval period (an eval call, or a call of
a function of the module that leaves a model in eval mode) and a training step: gradient
code in the loop itself (after a forward call of the model), or a call of a function of the
module that trains a model in the mode it finds. What begins a period and what trains are
read by the analysis's own code (:mod:`.analysis.mode_summaries`), so this screen restates
nothing; it only looks more widely: the outermost loop stands for every loop inside it, a
call is matched to every function or method with its last name, and the order of the calls
in the loop does not matter. A module without such a loop cannot hold an NG004 finding, and
is left to the cheaper screens of the other rules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .analysis.catalog import Mode
from .analysis.mode_summaries import ModeSummaries, mode_call
from .analysis.values import ModuleValues

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def may_carry_eval_around_loop(tree: ast.Module, values: ModuleValues | None = None) -> bool:
    """False only when no loop of the module can carry eval mode to a training step."""
    summaries: ModeSummaries | None = None
    defined: set[str] | None = None
    for loop in _outermost_loops(tree):
        if summaries is None:
            summaries = ModeSummaries(values or ModuleValues(tree))
            defined = {name for _, name in summaries.definitions}
        assert defined is not None
        begins = trains = False
        named: list[str] = []
        others: list[ast.Call] = []
        for call in (node for node in ast.walk(loop) if isinstance(node, ast.Call)):
            mode = mode_call(call)
            if mode is not None:
                begins |= mode[1] is Mode.EVAL
                continue
            others.append(call)
            name = _last_name(call.func)
            if name is not None and name in defined:
                named.append(name)
        if not begins and not named:
            continue  # nothing in this loop can begin a period
        trains = any(summaries.gradient_code(call) for call in others)
        for name in named:  # summaries only when the loop's own calls do not decide
            if begins and trains:
                break
            for summary in summaries.named(name):
                begins |= bool(summary.leaves_eval)
                trains |= bool(summary.trains)
        if begins and trains:
            return True
    return False


def _outermost_loops(tree: ast.Module) -> Iterator[ast.stmt]:
    """Loops are statements: only statement bodies are walked, not expressions."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _LOOPS):
            yield node
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt):
                    stack.append(child)
                else:  # an except handler or a match case: its body
                    stack.extend(getattr(child, "body", ()))


def _last_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
