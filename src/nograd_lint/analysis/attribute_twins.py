"""Attributes of a class that name one object: ``self.net`` and ``self.model`` after
``self.net = self.model``, ``self.model = self.net = model``, or under
``@property def net(self): return self.model``.

A ``train()`` on either puts the object in train mode. The twins are read for ending eval
periods only: a twin wrongly taken for one (an attribute rebound later) ends a period
early, which can only hide a finding, and the screens, which never read them, stay sound.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from ..ast_names import FUNCTIONS, dotted_name, is_within, self_parameter

#: Decorators that make a method read like an attribute.
_PROPERTIES = frozenset({"property", "cached_property", "functools.cached_property"})

Twins = dict[str, frozenset[str]]


def attribute_twins(classes: Iterable[ast.ClassDef]) -> Twins:
    """Attribute (dotted after ``self``) -> the other attributes naming the same object,
    over ``classes`` (a class and the module's classes it derives from), transitively."""
    linked: dict[str, set[str]] = {}
    for cls in classes:
        for first, second in _same_object_pairs(cls):
            linked.setdefault(first, set()).add(second)
            linked.setdefault(second, set()).add(first)
    twins: Twins = {}
    for start in linked:
        if start in twins:
            continue
        group, queue = {start}, [start]
        while queue:
            for other in linked[queue.pop()] - group:
                group.add(other)
                queue.append(other)
        for member in group:
            twins[member] = frozenset(group - {member})
    return twins


def twin_names(name: str, self_name: str | None, twins: Twins) -> Iterator[str]:
    """The other names of the object ``name`` (``self.net.module`` for ``self.model.module``
    when ``net`` and ``model`` are twins)."""
    if self_name is None or not twins or not name.startswith(self_name + "."):
        return
    attribute = name[len(self_name) + 1 :]
    for known, others in twins.items():
        if is_within(attribute, known):
            tail = attribute[len(known) :]
            for other in others:
                yield f"{self_name}.{other}{tail}"


def _same_object_pairs(cls: ast.ClassDef) -> Iterator[tuple[str, str]]:
    for member in cls.body:
        if not isinstance(member, FUNCTIONS):
            continue
        me = self_parameter(member)
        if me is None:
            continue
        if any(dotted_name(d) in _PROPERTIES for d in member.decorator_list):
            returned = _returned_attribute(member, me)
            if returned is not None:
                yield member.name, returned
            continue
        for node in ast.walk(member):
            if not isinstance(node, ast.Assign):
                continue
            attributes = [_attribute_of(t, me) for t in (*node.targets, node.value)]
            named = [a for a in attributes if a is not None]
            for other in named[1:]:
                first = named[0]
                # ``self.model = self.model.module``: the name moves to the inner module.
                if not (is_within(first, other) or is_within(other, first)):
                    yield first, other


def _returned_attribute(method: ast.FunctionDef | ast.AsyncFunctionDef, me: str) -> str | None:
    """``model`` of a property whose body is ``return self.model`` (a docstring aside)."""
    body = method.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return _attribute_of(body[0].value, me)
    return None


def _attribute_of(node: ast.expr, me: str) -> str | None:
    """``model.module`` of ``self.model.module``; None for anything but such a chain."""
    name = dotted_name(node)
    return name[len(me) + 1 :] if name is not None and name.startswith(me + ".") else None
