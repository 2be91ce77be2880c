"""Draws from ``torch.distributions`` objects, which carry no graph.

An RL rollout keeps its actions (``actions.append(dist.sample())``) where ``dist`` is built
on the policy's output: ``Distribution.sample()`` runs under ``no_grad``, so the list keeps
numbers, not the policy's graph. Only a distribution the code visibly builds from
``torch.distributions`` counts: a policy that returns its own distribution object may
define ``sample`` as it likes (a reparameterised draw keeps the graph).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .catalog import DISTRIBUTIONS_PACKAGE, DRAWING_METHODS

if TYPE_CHECKING:  # the flow of values reads draws as it goes
    from .function_values import FunctionValues
    from .values import ModuleValues


def draws_from_a_distribution(
    call: ast.Call, function: FunctionValues, values: ModuleValues
) -> bool:
    """``call`` is ``dist.sample()`` (``catalog.DRAWING_METHODS``) of a distribution built
    inline (``Categorical(logits=out).sample()``) or bound, every time the function binds
    the name, to one (``dist = Normal(mu, std)``)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in DRAWING_METHODS):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Name):
        return function.always_bound_to(receiver.id, lambda value: _builds(value, values))
    return _builds(receiver, values)


def _builds(node: ast.AST | None, values: ModuleValues) -> bool:
    """``node`` calls a class of ``torch.distributions`` (as the module imports it)."""
    if not isinstance(node, ast.Call):
        return False
    qualified = values.qualified(node.func) or ""
    return qualified.startswith(DISTRIBUTIONS_PACKAGE + ".")
