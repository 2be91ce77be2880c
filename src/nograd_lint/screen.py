"""A screen on the stdlib ``ast`` tree, which flake8 has already parsed for free.

It runs before LibCST is imported and must never reject a file that has a finding, so every
rule here over-approximates the analysis (``analysis.flow``), never the other way round. A
finding needs a forward call, not inside ``torch.no_grad()``, of a model that an eval call
reached, and an eval call reaches a model only

- through the receiver of the call (``model.eval()``, ``Net().to(dev).eval()``) or of a call
  returning an eval-mode model (``model.to_torchscript()``, ``AutoModel.from_pretrained()``),
- then through bindings (``net = model``, ``m = torch.compile(model)``, ``for m in ...``),
- within one function (with its nested functions and lambdas), or from module-level code
  into every function, or through ``self.<attr>`` from any method into every method, or
  into the parameters of a function of the module (``net.eval(); test_net(net)``; for a
  class, of its ``__init__``) that some call passing a reached name names by its last part.

The screen compares names by their last part (``self.model`` and ``model`` by ``model``,
attributes and plain names apart) and follows an assignment when its value can carry a
reached name (``_value_keys``).
A call lexically inside ``with torch.no_grad():`` / ``torch.inference_mode()`` or a function
decorated with either is protected, unless the file could re-enable grad or rebinds
``torch``. Anything it cannot rule out passes.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from typing import Iterable, Iterator, Optional

from .analysis.catalog import (
    EVAL_COPY_METHODS,
    EVAL_PRESERVING_WRAPPER_NAMES,
    EVAL_PRESERVING_WRAPPERS,
    MODULE_RETURNING_METHODS,
    PRETRAINED_LOADERS,
)
from .prefilter import loads_eval_model
from .screen_intent import NAMED_BINDINGS, excused_calls

#: ("name" | "attr", last part): ``model`` is ("name", "model"), ``self.net`` ("attr", "net").
Key = tuple[str, str]
#: Stands for a value put in eval mode where it is made: ``m = Net().eval()``.
EVALED: Key = ("eval", "")

#: Anything that could re-enable grad (``enable_gradient_checkpointing`` does not).
_GRAD_ENABLING = re.compile(r"enable_grad(?!\w)|set_grad_enabled|inference_mode\s*\(\s*[^\s)]")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _is_false_literal(node: ast.expr) -> bool:
    """``False`` or ``0``: the only arguments with which ``train(...)`` means eval mode to the
    analysis (``eval_mode.mode_set_by``; a flag decided at run time counts as training)."""
    return isinstance(node, ast.Constant) and type(node.value) in (bool, int) and not node.value


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


def _sets_eval(call: ast.Call) -> bool:
    """``x.eval()``, ``x.train(False)``, ``x.train(mode=0)``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "eval":
        return not call.args and not call.keywords
    if func.attr != "train":
        return False
    argument = _mode_argument(call)
    return argument is not None and _is_false_literal(argument)


def _is_eval_copy(call: ast.Call) -> bool:
    """``script = model.to_torchscript()``, ``AutoModel.from_pretrained(...)``: the analysis
    takes the result for an eval-mode model, so the screen treats it like ``model.eval()``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in PRETRAINED_LOADERS:
        owner = _key(func.value) if _is_dotted(func.value) else None
        return owner is not None and loads_eval_model(owner[1])
    return func.attr in EVAL_COPY_METHODS


def _key(node: ast.AST) -> Optional[Key]:
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if isinstance(node, ast.Attribute):
        return ("attr", node.attr)
    return None


def _keys_in(node: Optional[ast.AST]) -> set[Key]:
    if node is None:
        return set()
    return {key for child in ast.walk(node) for key in (_key(child),) if key is not None}


def _is_dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _forward_keys(call: ast.Call) -> Optional[set[Key]]:
    """What a forward call may call: ``model(x)``, ``self.net.forward(x)``, ``wrap(model)(x)``."""
    func = call.func
    if _sets_mode(call):
        return None
    if isinstance(func, ast.Call):
        return set().union(*(_keys_in(a) for a in func.args), *(_keys_in(k.value) for k in func.keywords))
    if not isinstance(func, (ast.Name, ast.Attribute)) or not _is_dotted(func):
        return None
    keys = {_key(func)}
    if isinstance(func, ast.Attribute) and func.attr == "forward":
        keys.add(_key(func.value))
    return {k for k in keys if k is not None}


def _bindings(node: ast.AST) -> Iterator[tuple[Iterable[ast.AST], Optional[ast.AST]]]:
    """(targets, value) of the bindings that can carry eval state: ``=``, ``: T =``, ``:=``
    (``for``, ``with ... as``, ``except ... as`` and ``del`` only end it: ``flow.bind``)."""
    if isinstance(node, ast.Assign):
        yield node.targets, node.value
    elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
        yield (node.target,), node.value


def _value_keys(node: Optional[ast.AST], aliases: frozenset[str] = frozenset()) -> set[Key]:
    """Names whose eval state a value can carry (``flow._eval_periods_of_value``): a name,
    the base of a chain of module-returning methods (``model.to(dev)``), a wrapper's
    arguments (``torch.compile(model)``), and ``EVALED`` for a value that is put in eval mode
    itself (``Net().eval()``, ``AutoModel.from_pretrained(...)``); not the result of calling
    a model (``out = model(x)``). A loop, not recursion: ``f()()()...`` a thousand deep is
    legal Python."""
    keys: set[Key] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Name, ast.Attribute)):
            keys |= _keys_in(node)
        elif isinstance(node, ast.NamedExpr):
            stack.append(node.value)
        elif isinstance(node, ast.Call):
            if _sets_eval(node) or _is_eval_copy(node):
                keys.add(EVALED)
            if isinstance(node.func, ast.Attribute) and node.func.attr in MODULE_RETURNING_METHODS:
                stack.append(node.func.value)
            if _may_wrap(node.func, aliases):
                stack.extend(a.value if isinstance(a, ast.Starred) else a for a in node.args)
                stack.extend(k.value for k in node.keywords)
    return keys


def _receiver_key(call: ast.Call) -> Optional[Key]:
    """The model ``x.to(dev).eval()`` puts in eval mode, as ``eval_mode.chain_of`` finds it;
    None when the chain starts from a call or subscript (``Net().eval()``)."""
    node = call.func.value  # type: ignore[attr-defined]
    while (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in MODULE_RETURNING_METHODS
    ):
        node = node.func.value
    return _key(node) if _is_dotted(node) else None


#: The last names of the calls the analysis lets eval state through (``flow._wrapped_model``).
_WRAPPER_NAMES = frozenset({q.rsplit(".", 1)[-1] for q in EVAL_PRESERVING_WRAPPERS} | EVAL_PRESERVING_WRAPPER_NAMES)


def _last_name(func: ast.expr) -> Optional[str]:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _may_wrap(func: ast.expr, aliases: frozenset[str]) -> bool:
    """A call that may hand back its argument's module: a known wrapper, or a name imported
    under another name (``from torch import compile as tc``)."""
    name = _last_name(func)
    return name in _WRAPPER_NAMES or (isinstance(func, ast.Name) and func.id in aliases)


def _is_torch_no_grad(node: ast.expr, bare: bool = False) -> bool:
    """Exactly ``torch.no_grad()`` or ``torch.inference_mode()`` (``bare``: or without ``()``,
    as decorators may be written)."""
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        node = node.func
    elif not bare:
        return False
    return (
        isinstance(node, ast.Attribute) and node.attr in ("no_grad", "inference_mode")
        and isinstance(node.value, ast.Name) and node.value.id == "torch"
    )


def _torch_import_line(tree: ast.Module) -> Optional[int]:
    """The line of the first module-level ``import torch``, if no other binding of the name
    ``torch`` exists anywhere (then ``torch.no_grad`` is torch's below that line), else None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "torch" and not isinstance(node.ctx, ast.Load):
            return None
        if isinstance(node, ast.arg) and node.arg == "torch":
            return None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "torch":
            return None
        if isinstance(node, NAMED_BINDINGS) and node.name == "torch":
            return None
        if isinstance(node, (ast.Global, ast.Nonlocal)) and "torch" in node.names:
            return None
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == "torch" for a in node.names):
            return None
        if isinstance(node, ast.Import) and any(alias.asname == "torch" for alias in node.names):
            return None
    return min((s.lineno for s in _module_level(tree) if _imports_torch(s)), default=None)


def _module_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements run at module level: the body, and inside top-level ``if``/``try``."""
    stack = list(tree.body)
    while stack:
        statement = stack.pop()
        yield statement
        for field in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(getattr(statement, field, ()) if isinstance(statement, (ast.If, ast.Try)) else ())
        if isinstance(statement, ast.ExceptHandler):
            stack.extend(statement.body)


def _imports_torch(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Import) and any(a.name == "torch" and a.asname is None for a in statement.names)


def _aliases_and_local_callables(tree: ast.Module) -> tuple[frozenset[str], frozenset[str]]:
    """Names imported under another name, and names of the module's functions, classes and
    lambdas bound to a name, anywhere in the tree."""
    aliases, callables = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            aliases.update(a.asname for a in node.names if a.asname)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            callables.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            callables.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(aliases), frozenset(callables)


class _Facts:
    """Eval receivers, bindings and forward calls of each unit (module-level code, or one
    top-level function or method with everything nested in it)."""

    def __init__(self, tree: ast.Module) -> None:
        self.aliases, self.local_callables = _aliases_and_local_callables(tree)
        self.evals: dict[int, set[Key]] = defaultdict(set)
        self.bindings: dict[int, list[tuple[set[Key], set[Key]]]] = defaultdict(list)
        self.forwards: dict[int, list[tuple[set[Key], ast.Call]]] = defaultdict(list)
        #: Per unit: (callee's last name, what its arguments can carry) for calls of local callables.
        self.arguments: dict[int, list[tuple[str, set[Key]]]] = defaultdict(list)
        #: Per unit: (names a call reaches a function by, its parameters); lambdas never
        #: receive eval state from a call site in the analysis, so only ``def``s are here.
        self.parameters: dict[int, list[tuple[frozenset[str], set[Key]]]] = defaultdict(list)
        #: Each unit (module-level code, or one function with its lambdas) and the unit it is
        #: defined in, parents first: a nested function starts from its parent's state.
        self.units: dict[int, Optional[int]] = {0: None}
        self.constructors: dict[int, str] = {}  # id of an ``__init__`` -> its class's name
        self.functions: dict[int, ast.AST] = {}  # unit -> its ``def``

    def collect(self, tree: ast.Module, guards_after: Optional[int]) -> None:
        stack: list[tuple[ast.AST, int, bool]] = [(tree, 0, False)]
        while stack:
            node, unit, protected = stack.pop()
            self._note(node, unit, protected)
            for child, child_unit, child_protected in _children(node, unit, protected, guards_after):
                self.units.setdefault(child_unit, unit)
                stack.append((child, child_unit, child_protected))

    def _note(self, node: ast.AST, unit: int, protected: bool) -> None:
        if isinstance(node, ast.Call):
            if _sets_eval(node):
                self.evals[unit] |= {EVALED, _receiver_key(node)} - {None}
            elif _is_eval_copy(node):  # only what the copy is bound to (``_value_keys``)
                self.evals[unit].add(EVALED)
            keys = None if protected else _forward_keys(node)
            if keys:
                self.forwards[unit].append((keys, node))
            # Only a function or class of this module can receive an eval-mode model as a
            # parameter (``flow``'s call sites): other callees do not pass eval state on.
            callee = _last_name(node.func)
            if callee in self.local_callables:
                passed = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
                self.arguments[unit].append((callee, set().union(
                    *(_value_keys(a, self.aliases) for a in passed),
                    *(_value_keys(k.value, self.aliases) for k in node.keywords),
                )))
        elif isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.name == "__init__":
                    self.constructors[id(method)] = node.name
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = node.args
            every = [*params.posonlyargs, *params.args, *params.kwonlyargs, params.vararg, params.kwarg]
            names = frozenset(filter(None, (node.name, self.constructors.get(id(node)))))
            self.functions[id(node)] = node
            self.parameters[id(node)].append((names, {("name", a.arg) for a in every if a is not None}))
        for targets, value in _bindings(node):
            target_keys = set().union(*(_keys_in(t) for t in targets))
            if target_keys and value is not None:
                self.bindings[unit].append((target_keys, _value_keys(value, self.aliases)))

    def reached_forwards(self) -> dict[int, list[ast.Call]]:
        """Per unit, its forward calls of a name an eval call may reach."""
        attrs = {k for keys in self.evals.values() for k in keys if k[0] == "attr"}
        callees: set[str] = set()  # local callables some call hands a reached name to
        while True:
            reached: dict[int, set[Key]] = {}
            for unit, parent in self.units.items():  # parents first
                seeds = self.evals[unit] | attrs | (reached[parent] if parent is not None else set())
                seeds |= {k for names, params in self.parameters[unit] if names & callees for k in params}
                reached[unit] = _closure(self.bindings[unit], seeds)
            grown = attrs | {k for keys in reached.values() for k in keys if k[0] == "attr"}
            passed = callees | {
                callee for unit, calls in self.arguments.items() for callee, keys in calls if keys & reached[unit]
            }
            if grown == attrs and passed == callees:
                break
            attrs, callees = grown, passed
        found = {unit: [call for keys, call in calls if keys & reached[unit]] for unit, calls in self.forwards.items()}
        return {unit: calls for unit, calls in found.items() if calls}


def _children(
    node: ast.AST, unit: int, protected: bool, guards_after: Optional[int]
) -> Iterator[tuple[ast.AST, int, bool]]:
    """Child nodes with the unit they run in and whether a no-grad scope surely covers them;
    ``guards_after``: the line after which ``torch.no_grad()`` is known to be torch's."""
    guards = guards_after is not None and getattr(node, "lineno", 0) > guards_after
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        body_unit = id(node)
        # The analysis lets torch's decorator win over any other (``flow._decorated_grad``).
        decorated = guards and any(_is_torch_no_grad(d, bare=True) for d in node.decorator_list)
        for field, value in ast.iter_fields(node):
            inside = field == "body"
            for child in _as_nodes(value):
                yield child, (body_unit if inside else unit), (decorated if inside else protected)
        return
    if isinstance(node, ast.With):
        guarded = protected or (guards and any(_is_torch_no_grad(item.context_expr) for item in node.items))
        for item in node.items:
            yield item, unit, protected
        for statement in node.body:
            yield statement, unit, guarded
        return
    scoped = isinstance(node, _SCOPES)
    for child in ast.iter_child_nodes(node):
        yield child, unit, protected and not scoped


def _as_nodes(value: object) -> list[ast.AST]:
    if isinstance(value, ast.AST):
        return [value]
    return [v for v in value if isinstance(v, ast.AST)] if isinstance(value, list) else []


def _closure(bindings: list[tuple[set[Key], set[Key]]], seeds: set[Key]) -> set[Key]:
    """Every key reachable from ``seeds`` through bindings whose value mentions a reached key."""
    reached = set(seeds)
    changed = True
    while changed:
        changed = False
        for targets, value in bindings:
            if value & reached and not targets <= reached:
                reached |= targets
                changed = True
    return reached


def might_have_findings_in_tree(tree: ast.AST, source: str = "") -> bool:
    """False only when ``tree`` certainly holds no NG001 finding. ``source``, its text, lets
    the screen trust ``torch.no_grad()`` scopes when nothing in the file re-enables grad."""
    if not isinstance(tree, ast.Module):
        return True
    trusted = bool(source) and not _GRAD_ENABLING.search(source)
    facts = _Facts(tree)
    facts.collect(tree, _torch_import_line(tree) if trusted else None)
    if not any(facts.evals.values()):
        return False
    # Stops at the first function with a forward call that gradient code does not excuse.
    return any(
        len(excused_calls(facts.functions.get(unit, tree), calls)) < len(calls)
        for unit, calls in facts.reached_forwards().items()
    )
