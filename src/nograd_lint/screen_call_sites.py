"""Where NG001's screen finds functions that only run with autograd off because of who
calls them: ``encode_prompt`` of a pipeline, called only from its ``@torch.no_grad()``
``__call__``.

The analysis decides the grad mode of an undecorated function from its call sites in the
module (``analysis.entry_grad.resolve_entry_grad``): a function that has call sites, is
never passed around as a value, and whose every site runs with autograd off, or inside
such a function, runs with autograd off, and no forward call in its own body is a finding.
This module answers the same question on the stdlib ``ast`` tree, and hands the call sites
it finds to the same fixpoint. It may only answer "off" where the analysis surely does:

- *Which functions.* A function defined at module level, or a method defined in the body
  of a class defined at module level, without decorators, other than ``__init__``, whose
  name nothing else in the module defines or binds (``def``, ``class``, an import, a
  parameter, a ``global``), and not inside a loop of module-level code (the flow may run
  such a ``def`` twice, and give the calls to the second). A method named like a step of
  a mode chain (``train``, ``freeze``, ``to``: the flow reads those calls as mode setters)
  is not one either. Every other function gets "not known".
- *Every mention is a call the analysis takes for a site.* Each time the name is written,
  it is called: a function by its name, a method as ``self.<name>(...)`` from a method of
  the same class, where ``self`` is that method's first parameter, in an expression the
  flow scans as it runs: a statement's value, an ``if`` or ``while`` test, a loop's
  iterable, a ``with`` item. Anything else, an attribute of another object, the name read
  as a value, passed, stored, called in a target, an annotation, a decorator, a default,
  a ``raise``, a lambda, a comprehension or an f-string, and the function is "not known":
  the analysis may see a caller there that we do not, or miss one we count.
- *Every call is protected.* Inside a ``torch.no_grad()`` scope that surely holds
  (:mod:`.screen_grad_scopes`, as for NG001's own forward calls), or directly in the body of
  a function found "off" itself: the sites go to the analysis's own fixpoint
  (:mod:`.analysis.entry_grad`), where any other site counts as one with autograd on.
- *At least one call surely counts.* The analysis records a call site only where its flow
  reaches: one call must stand in a function or method body, in statements that no earlier
  ``return``, ``raise``, ``break`` or ``continue`` (or a compound statement that holds one)
  may cut off; otherwise the analysis could see no site at all, and take the function for
  an entry point, whose grad mode is on.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .analysis.catalog import GRAD_MODE_SETTERS, MODULE_RETURNING_METHODS
from .analysis.entry_grad import CalledFunction, CallSite, Grad, resolve_entry_grad
from .ast_names import (
    FUNCTIONS,
    JUMPS,
    NAMED_BINDINGS,
    NESTED_SCOPES,
    dotted_name,
    inner_nodes,
    jumps_within,
)
from .screen_grad_scopes import decorated_no_grad, is_torch_no_grad

#: Nodes that bind a name given as a string: ``name``, or a mapping pattern's ``**rest``.
_NAMED_BINDINGS = (*NAMED_BINDINGS, *((ast.MatchMapping,) if hasattr(ast, "MatchMapping") else ()))
#: Expressions whose calls may run apart from the code around them (a lambda, a
#: comprehension), or that we do not trust the analysis to visit as it runs (an f-string).
_APART = (*NESTED_SCOPES, ast.JoinedStr)
#: Statements whose value alone the flow scans.
_VALUED = (ast.Assign, ast.AugAssign, ast.AnnAssign)
#: Method names the flow may take for a step of a mode chain (``eval_mode.chain_of`` follows
#: the module-returning methods, the mode setters and freezers among them), or for a
#: grad-mode setter: it reads such a call without recording a call site.
_CHAINED = MODULE_RETURNING_METHODS | {name.rsplit(".", 1)[-1] for name in GRAD_MODE_SETTERS}
#: Statements whose ways out we do not follow: one that holds a jump may cut off the rest.
_BRANCHING = tuple(
    getattr(ast, name)
    for name in ("For", "AsyncFor", "While", "Try", "TryStar", "Match")
    if hasattr(ast, name)
)


@dataclass(eq=False)
class _Unit:
    """A function body the walk is in: the module's own code is ``None`` instead."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    #: The module-level class the function is a method of, if it is one.
    owner: ast.ClassDef | None
    #: Its first parameter, for a method that is neither static nor a class method.
    self_name: str | None
    #: Defined where the analysis surely reaches it, as a method or module-level function.
    analysed: bool


@dataclass(eq=False)
class _Mention:
    """A name written somewhere: as a name (``f``) or an attribute (``x.f``)."""

    node: ast.AST
    unit: _Unit | None
    #: The call it is the callee of, if it is one.
    call: ast.Call | None
    #: Inside a grad-disabling scope of torch's that surely holds.
    guarded: bool
    #: Inside a lambda, comprehension or f-string of its unit (``_APART``).
    nested: bool
    #: The statement holding it surely runs when its unit does.
    sure: bool


@dataclass
class _Walk:
    trusted_after: int
    mentions: dict[str, list[_Mention]] = field(default_factory=dict)
    #: Names bound other than by one plain ``def`` (more ``def``s, classes, imports...).
    bound: dict[str, int] = field(default_factory=dict)
    candidates: dict[str, _Unit] = field(default_factory=dict)
    #: Per function, the nodes of its lambdas, comprehensions and f-strings.
    nested_nodes: dict[int, set[int]] = field(default_factory=dict)
    #: Classes defined in module-level code that surely runs, once.
    top_classes: set[int] = field(default_factory=set)
    #: How many loops of module-level code (or of a class body) the walk is in.
    module_loops: int = 0

    def bind(self, name: str) -> None:
        self.bound[name] = self.bound.get(name, 0) + 1

    def mention(self, name: str, mention: _Mention) -> None:
        self.mentions.setdefault(name, []).append(mention)

    # -- statements --------------------------------------------------------------------

    def block(
        self,
        statements: Sequence[ast.stmt],
        unit: _Unit | None,
        owner: ast.ClassDef | None,
        guarded: bool,
        sure: bool,
    ) -> None:
        for statement in statements:
            self.statement(statement, unit, owner, guarded, sure)
            if sure and _may_cut_off(statement):
                sure = False

    def statement(
        self,
        node: ast.stmt,
        unit: _Unit | None,
        owner: ast.ClassDef | None,
        guarded: bool,
        sure: bool,
    ) -> None:
        if isinstance(node, FUNCTIONS):
            self.function(node, unit, owner, guarded, sure)
            return
        if isinstance(node, ast.ClassDef):
            self.bind(node.name)
            self.apart([*node.decorator_list, *node.bases, *node.keywords], unit)
            if unit is None and owner is None and sure and not self.module_loops:
                self.top_classes.add(id(node))
            # A class's body runs now, as the code around it; its methods are units.
            self.block(node.body, unit, node, guarded, sure)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                self.bind(alias.asname or alias.name.split(".")[0])
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                self.bind(name)
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            inner = guarded
            for item in node.items:
                self.expressions([item.context_expr], unit, guarded)
                if item.optional_vars is not None:
                    self.apart([item.optional_vars], unit)
                if node.lineno > self.trusted_after and is_torch_no_grad(item.context_expr):
                    inner = True
            self.block(node.body, unit, owner, inner, sure)
            return
        if isinstance(node, ast.If):
            self.expressions([node.test], unit, guarded, sure)
            self.block(node.body, unit, owner, guarded, sure)
            self.block(node.orelse, unit, owner, guarded, sure)
            return
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            if isinstance(node, ast.While):
                self.expressions([node.test], unit, guarded, sure)
            else:
                self.apart([node.target], unit)  # bound, never scanned
                self.expressions([node.iter], unit, guarded, sure)
            # The flow may run a loop's body twice, making a ``def`` in it twice: the
            # callers' sites go to one of them, the other then has none.
            self.module_loops += unit is None
            try:
                self.block(node.body, unit, owner, guarded, sure)
                self.block(node.orelse, unit, owner, guarded, False)
            finally:
                self.module_loops -= unit is None
            return
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.block(node.body, unit, owner, guarded, sure)  # type: ignore[attr-defined]
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.name:
                    self.bind(handler.name)
                self.apart([handler.type] if handler.type else [], unit)
                self.block(handler.body, unit, owner, guarded, False)
            self.block(node.orelse, unit, owner, guarded, False)  # type: ignore[attr-defined]
            self.block(node.finalbody, unit, owner, guarded, False)  # type: ignore[attr-defined]
            return
        if isinstance(node, _VALUED):
            # The flow scans the value alone: targets are bound, annotations never read.
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            self.apart(
                [*targets, *([node.annotation] if isinstance(node, ast.AnnAssign) else [])], unit
            )
            if node.value is not None:
                self.expressions([node.value], unit, guarded, sure)
            return
        children: list[ast.AST] = []
        for child in inner_nodes(node):
            if isinstance(child, ast.stmt):
                self.statement(child, unit, owner, guarded, False)
            elif type(child).__name__ == "match_case":
                self.apart([child.pattern, *([child.guard] if child.guard else [])], unit)  # type: ignore[attr-defined]
                self.block(child.body, unit, owner, guarded, False)  # type: ignore[attr-defined]
            else:
                children.append(child)
        if isinstance(node, (ast.Expr, ast.Return)):
            self.expressions(children, unit, guarded, sure)
        else:  # ``raise``, ``assert``, ``del``, a ``match`` subject...: not sure the flow scans them
            self.apart(children, unit)

    def function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        unit: _Unit | None,
        owner: ast.ClassDef | None,
        guarded: bool,
        sure: bool,
    ) -> None:
        self.bind(node.name)
        arguments = node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        every = [*positional, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
        parameters = [a for a in every if a is not None]
        for parameter in parameters:
            self.bind(parameter.arg)
        self.apart(
            [
                *node.decorator_list,
                *arguments.defaults,
                *filter(None, arguments.kw_defaults),
                *filter(None, (p.annotation for p in parameters)),
                *filter(None, [node.returns]),
            ],
            unit,
        )
        static = any(dotted_name(d) in ("staticmethod", "classmethod") for d in node.decorator_list)
        # Only a module-level function or a method of a module-level class is a unit whose
        # calls the analysis surely records; a nested function is one we give no answer for.
        top = (
            unit is None
            and not self.module_loops
            and (owner is None or id(owner) in self.top_classes)
        )
        method_of = owner if top else None
        self_name = (
            positional[0].arg if method_of is not None and positional and not static else None
        )
        body = _Unit(node, method_of, self_name, top and sure)
        if top and not node.decorator_list and node.name != "__init__":
            self.candidates.setdefault(node.name, body)
        # A body runs under torch's decorator, never under a ``with`` around the ``def``.
        decorated = node.lineno > self.trusted_after and decorated_no_grad(node)
        self.nested_nodes[id(node)] = set()
        self.block(
            node.body, body if top else _Unit(node, None, None, False), None, decorated, True
        )

    # -- expressions -------------------------------------------------------------------

    def apart(self, roots: Iterable[ast.AST], unit: _Unit | None) -> None:
        """Expressions the flow may not scan as it runs (targets, annotations, decorators,
        a ``raise``): a call of a candidate there is one we cannot account for."""
        self.expressions(roots, unit, False, False, apart=True)

    def expressions(
        self,
        roots: Iterable[ast.AST],
        unit: _Unit | None,
        guarded: bool,
        sure: bool = False,
        apart: bool = False,
    ) -> None:
        stack: list[tuple[ast.AST, bool]] = [(root, apart) for root in roots]
        nested_nodes = self.nested_nodes.get(id(unit.node)) if unit is not None else None
        while stack:
            node, nested = stack.pop()
            if nested and nested_nodes is not None:
                nested_nodes.add(id(node))
            if isinstance(node, _APART):
                nested = True
                if nested_nodes is not None:
                    nested_nodes.add(id(node))
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    self.mention(
                        func.id,
                        _Mention(func, unit, node, guarded and not nested, nested, sure),
                    )
                    stack.extend((child, nested) for child in _call_parts(node))
                    continue
                if isinstance(func, ast.Attribute):
                    self.mention(
                        func.attr,
                        _Mention(func, unit, node, guarded and not nested, nested, sure),
                    )
                    stack.append((func.value, nested))
                    stack.extend((child, nested) for child in _call_parts(node))
                    continue
            elif isinstance(node, ast.Name):
                self.mention(node.id, _Mention(node, unit, None, False, nested, False))
                continue
            elif isinstance(node, ast.Attribute):
                self.mention(node.attr, _Mention(node, unit, None, False, nested, False))
            elif isinstance(node, ast.arg):
                self.bind(node.arg)
            elif isinstance(node, _NAMED_BINDINGS):
                for attribute in ("name", "rest"):
                    bound = getattr(node, attribute, None)
                    if bound:
                        self.bind(bound)
            stack.extend((child, nested) for child in inner_nodes(node))

    # -- the answer --------------------------------------------------------------------

    def grad_off(self) -> set[int]:
        """``id`` of each candidate's ``def`` that runs with autograd off: its call sites,
        as far as we are sure of them, settled by the analysis's own fixpoint."""
        callees = {id(unit): CalledFunction() for unit in self.candidates.values()}
        for name, unit in self.candidates.items():
            callee = callees[id(unit)]
            mentions = self.mentions.get(name, [])
            # A site we may not see as the analysis does is a caller we cannot account for.
            callee.escapes = (
                self.bound.get(name, 0) != 1
                or name in _CHAINED
                or not all(_is_site(m, unit) for m in mentions)
                or not any(_surely_counted(m) for m in mentions)
            )
            callee.sites = [
                CallSite(Grad.DISABLED, None)
                if m.guarded
                else CallSite(Grad.ENTRY, _caller(m, self.candidates, callees))
                for m in mentions
            ]
        resolve_entry_grad(list(callees.values()))
        return {
            id(unit.node)
            for unit in self.candidates.values()
            if callees[id(unit)].resolved is Grad.DISABLED
        }


def _caller(
    mention: _Mention, candidates: dict[str, _Unit], callees: dict[int, CalledFunction]
) -> CalledFunction | None:
    """The candidate whose own body holds ``mention``, whose grad mode it then has; None
    for any other code, whose grad mode we take to be on."""
    unit = mention.unit
    if unit is None or candidates.get(unit.node.name) is not unit:
        return None
    return callees[id(unit)]


def _call_parts(call: ast.Call) -> list[ast.AST]:
    return [*call.args, *call.keywords]


def _is_site(mention: _Mention, callee: _Unit) -> bool:
    """``mention`` calls ``callee`` in a way the analysis takes for a call site of it."""
    if mention.call is None or mention.nested:
        return False
    node = mention.node
    if callee.owner is None:
        return isinstance(node, ast.Name)
    unit = mention.unit
    return (
        isinstance(node, ast.Attribute)
        and unit is not None
        and unit.owner is callee.owner
        and unit.self_name is not None
        and isinstance(node.value, ast.Name)
        and node.value.id == unit.self_name
    )


def _surely_counted(mention: _Mention) -> bool:
    return mention.sure and mention.unit is not None and mention.unit.analysed


def _may_cut_off(statement: ast.stmt) -> bool:
    """Whether the analysis may find the statements after ``statement`` unreachable: it
    jumps, or every way through it may (``if``, ``with``), or it holds a jump somewhere
    (loops, ``try``, ``match``, whose exits we do not follow)."""
    if isinstance(statement, JUMPS):
        return True
    if isinstance(statement, ast.If):
        return (
            bool(statement.orelse)
            and _block_may_cut_off(statement.body)
            and _block_may_cut_off(statement.orelse)
        )
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return _block_may_cut_off(statement.body)
    if isinstance(statement, _BRANCHING):
        return jumps_within([statement])
    return False


def _block_may_cut_off(statements: list[ast.stmt]) -> bool:
    return any(_may_cut_off(statement) for statement in statements)


def functions_run_without_grad(
    tree: ast.Module, trusted_after: int
) -> tuple[set[int], dict[int, set[int]]]:
    """The ``def`` nodes (by ``id``) whose body the analysis surely runs with autograd off
    because of its callers, and, per function, the nodes of its lambdas, comprehensions and
    f-strings, which run under rules of their own. ``trusted_after``: the line below which a
    ``torch.no_grad()`` scope of ``tree`` surely holds (``screen_grad_scopes.trusted_after``)."""
    walk = _Walk(trusted_after)
    walk.block(tree.body, None, None, False, True)
    return walk.grad_off(), walk.nested_nodes
