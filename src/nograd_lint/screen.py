"""A screen on the stdlib ``ast`` tree, which flake8 has already parsed for free.

It runs before LibCST is imported and must never reject a file that has a finding, so it
asks only what every NG001 finding needs (see ``analysis.eval_mode.mode_set_by`` and
``ModuleAnalysis._forward``): a call that can put a module in eval mode, and some other
call whose callee is a name, an attribute or a call (the forward call). Anything it cannot
rule out passes.
"""

from __future__ import annotations

import ast
from typing import Optional


def _is_truthy_literal(node: ast.expr) -> bool:
    """A literal that LibCST's ``literal_bool`` reads as true: ``train(True)``, ``train(1)``."""
    return isinstance(node, ast.Constant) and type(node.value) in (bool, int) and bool(node.value)


def _mode_argument(call: ast.Call) -> Optional[ast.expr]:
    """The one argument of ``x.train(arg)`` / ``x.train(mode=arg)``, else None."""
    if len(call.args) + len(call.keywords) != 1:
        return None
    if call.args:
        return None if isinstance(call.args[0], ast.Starred) else call.args[0]
    keyword = call.keywords[0]
    return keyword.value if keyword.arg == "mode" else None


def _sets_mode(call: ast.Call) -> bool:
    """``x.eval()``, ``x.train()`` or ``x.train(mode)``: never a forward call."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in ("eval", "train"):
        return False
    if not call.args and not call.keywords:
        return True
    return func.attr == "train" and _mode_argument(call) is not None


def _may_set_eval(call: ast.Call) -> bool:
    """``x.eval()``, or ``x.train(arg)`` whose argument is not a true literal."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "eval":
        return not call.args and not call.keywords
    if func.attr != "train":
        return False
    argument = _mode_argument(call)
    return argument is not None and not _is_truthy_literal(argument)


def _may_forward(call: ast.Call) -> bool:
    """A call the analysis may take for a model's forward pass."""
    return isinstance(call.func, (ast.Name, ast.Attribute, ast.Call)) and not _sets_mode(call)


def might_have_findings_in_tree(tree: ast.AST) -> bool:
    """False only when ``tree`` certainly holds no NG001 finding."""
    sets_eval = forwards = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            sets_eval = sets_eval or _may_set_eval(node)
            forwards = forwards or _may_forward(node)
            if sets_eval and forwards:
                return True
    return False
