"""The models a loop's target takes in turn, for a ``train()`` called on it (NG004).

``for net in [gen, disc]: net.train()`` puts ``gen`` and ``disc`` back in train mode;
``for m in model.modules(): m.train()`` puts ``model`` back; ``for m in self.trainable:
m.train()`` may put any model back, since the list is filled where the loop cannot see. The
flow pass of a loop body and the summary of a helper both ask here, so that the two read
such a loop alike. Whether the loop runs at all is each reader's own question: a summary
reads every loop's body as run (it reads no branches); the flow reads a loop as run when
what it runs over is written out, or is an attribute whose body puts the target in train
mode (a trainer's list of parts to train is not empty).
"""

from __future__ import annotations

import ast
from typing import cast

from ..ast_names import dotted_name
from .catalog import SUBMODULE_METHODS
from .function_values import FunctionValues


def models_iterated(iterable: ast.expr) -> list[str] | None:
    """The models a loop over ``iterable`` takes: the names of a list or tuple written out,
    the model whose submodules ``model.modules()`` lists; None when it cannot say."""
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        names = [dotted_name(element) for element in iterable.elts]
        return None if None in names else cast("list[str]", names)
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Attribute)
        and iterable.func.attr in SUBMODULE_METHODS
    ):
        owner = dotted_name(iterable.func.value)
        return None if owner is None else [owner]
    return None


def models_a_loop_target_holds(call: ast.Call, function: FunctionValues) -> list[str] | None:
    """For ``target.train()`` (``call``) where every binding of ``target`` that reaches the
    call is a loop's (or comprehension's) target: the models it takes in turn, an empty
    list when any model may be among them; None when ``target`` is no such name."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if not isinstance(receiver, ast.Name):
        return None
    iterables = function.iterables()
    reaching = [cast(ast.expr, function.bindings[i].value) for i in function.reaching(receiver)]
    if not reaching or any(id(value) not in iterables for value in reaching):
        return None
    models: list[str] = []
    for iterable in reaching:
        held = models_iterated(iterable)
        if held is None:
            return []
        models.extend(held)
    return models
