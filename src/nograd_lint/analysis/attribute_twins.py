"""Attributes of a class that name one object: ``self.net`` and ``self.model`` after
``self.net = self.model``, ``self.model = self.net = model``, ``self.model = model`` and
``self.net = model`` in one method, or under ``@property def net(self): return self.model``
(also ``return self.model.module if ddp else self.model``: one model).

A ``train()`` on either puts the object in train mode. The twins are read for ending eval
periods only: a twin wrongly taken for one ends a period early, which can only hide a
finding, and the screens, which never read them, stay sound. Attributes bound by
assignment are twins only while nothing binds either again: each is assigned in one
method of the classes read, the one that makes them twins (``self.model = new_model()`` in
``reset()`` would leave ``self.net`` naming the old model).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from ..ast_names import FUNCTIONS, dotted_name, is_within, self_parameter
from .catalog import PROPERTY_DECORATORS, unwrapped

Twins = dict[str, frozenset[str]]


def attribute_twins(classes: Iterable[ast.ClassDef]) -> Twins:
    """Attribute (dotted after ``self``) -> the other attributes naming the same object,
    over ``classes`` (a class, and the module's classes it derives from or that derive from
    it), transitively."""
    classes = list(classes)
    assigned: dict[str, set[int]] = {}  # attribute -> the methods that assign it
    for cls in classes:
        for method in _methods(cls):
            me = self_parameter(method)
            for node in ast.walk(method) if me is not None else ():
                for target in _assigned_targets(node):
                    attribute = _attribute_of(target, me)  # type: ignore[arg-type]
                    if attribute is not None:
                        assigned.setdefault(attribute, set()).add(id(method))
    linked: dict[str, set[str]] = {}
    for cls in classes:
        for first, second, maker in _same_object_pairs(cls):
            if maker is not None and not all(
                assigned.get(a, set()) <= {maker} for a in (first, second)
            ):
                continue  # rebound elsewhere: they may part
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
    """The other names of the object ``name`` (``self.net.head`` for ``self.model.head``
    when ``net`` and ``model`` are twins), each as the model whose mode it sets
    (``self.model`` for a twin ``self.model.module``)."""
    if self_name is None or not twins or not name.startswith(self_name + "."):
        return
    attribute = name[len(self_name) + 1 :]
    for known, others in twins.items():
        if is_within(attribute, known):
            tail = attribute[len(known) :]
            for other in others:
                yield unwrapped(f"{self_name}.{other}{tail}", self_name)


def _methods(cls: ast.ClassDef) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    return (member for member in cls.body if isinstance(member, FUNCTIONS))


def _assigned_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets = []
        for target in node.targets:
            targets.extend(target.elts if isinstance(target, ast.Tuple) else [target])
        return targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def _same_object_pairs(cls: ast.ClassDef) -> Iterator[tuple[str, str, int | None]]:
    """(attribute, attribute, ``id`` of the method that makes them twins; None for a
    property, which always returns its attribute)."""
    for member in _methods(cls):
        me = self_parameter(member)
        if me is None:
            continue
        if any(dotted_name(d) in PROPERTY_DECORATORS for d in member.decorator_list):
            returned = _returned_attribute(member, me)
            if returned is not None:
                yield member.name, returned, None
            continue
        given = _parameters_kept_as_given(member)
        by_name: dict[str, list[str]] = {}  # parameter -> attributes assigned it
        for node in ast.walk(member):
            if not isinstance(node, ast.Assign):
                continue
            for group in _assigned_groups(node):
                named = [_attribute_of(n, me) for n in group]
                attributes = [a for a in named if a is not None]
                names = [n.id for n in group if isinstance(n, ast.Name) and n.id in given]
                for name in names:
                    by_name.setdefault(name, []).extend(attributes)
                for other in attributes[1:]:
                    yield from _pair(attributes[0], other, id(member))
        for attributes in by_name.values():
            for other in attributes[1:]:
                yield from _pair(attributes[0], other, id(member))


def _pair(first: str, second: str, method: int) -> Iterator[tuple[str, str, int]]:
    # ``self.model = self.model.module``: the name moves to the inner module.
    if not (is_within(first, second) or is_within(second, first)):
        yield first, second, method


def _assigned_groups(assign: ast.Assign) -> Iterator[list[ast.expr]]:
    """The expressions an assignment makes one object: every target with the value
    (``self.a = self.b = model``), or, element by element, a tuple of targets with a tuple
    value of the same length (``self.a, self.b = model, model``)."""
    value = assign.value
    if (
        isinstance(value, ast.Tuple)
        and assign.targets
        and all(isinstance(t, ast.Tuple) and len(t.elts) == len(value.elts) for t in assign.targets)
    ):
        for index, element in enumerate(value.elts):
            yield [t.elts[index] for t in assign.targets if isinstance(t, ast.Tuple)] + [element]
        return
    yield [*assign.targets, value]


def _parameters_kept_as_given(method: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters the method never binds again: two attributes assigned one of them hold
    the same object."""
    arguments = method.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    for node in ast.walk(method):
        if isinstance(node, ast.Name) and type(node.ctx) is not ast.Load:
            names.discard(node.id)
    return names


def _returned_attribute(method: ast.FunctionDef | ast.AsyncFunctionDef, me: str) -> str | None:
    """``model`` of a property whose body is ``return self.model`` (a docstring aside), or
    ``return self.model.module if wrapped else self.model`` (one model)."""
    body = method.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not (len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None):
        return None
    value = body[0].value
    if isinstance(value, ast.IfExp):
        arms = {_attribute_of(arm, me) for arm in (value.body, value.orelse)}
        models = {unwrapped(arm) for arm in arms if arm is not None}
        return models.pop() if None not in arms and len(models) == 1 else None
    return _attribute_of(value, me)


def _attribute_of(node: ast.expr, me: str) -> str | None:
    """``model.module`` of ``self.model.module``; None for anything but such a chain."""
    name = dotted_name(node)
    return name[len(me) + 1 :] if name is not None and name.startswith(me + ".") else None
