"""A screen on the stdlib ``ast`` tree, which flake8 has already parsed for free.

It runs before LibCST is imported and must never reject a file that has a finding: every
rule here is a monotone over-approximation of the analysis (``analysis.flow``), built from
the facts of ``analysis.catalog`` rather than a second copy of them. ``suspect_calls``
returns the forward calls it cannot rule out, and ``prune`` keeps whole the definitions that
hold them or reach into them. The rules, and why each can only let more through:

- *Eval sources.* A call is an eval call when ``catalog.mode_set`` says so, read off the same
  argument view as the analysis (``ast_names.call_args``); a call that makes an eval-mode
  model when ``catalog.returns_eval_model`` says so. Same function, same answer.
- *Reaching a model.* From the model an eval call starts from (through the catalog's
  module-returning methods: ``model.to(dev).eval()``), or from what an eval-making call is
  bound to, through every binding whose value can carry a reached name (``_value_keys``:
  names, chain bases, *every* argument of a wrapper, of a name imported under another
  name or of a call that may hand back its argument (any function or method of the module,
  any function it imports from a module beside it: ``mode_summaries`` ``returns``), where
  the analysis takes one, the model a subscript or a submodule call such as
  ``next(model.children())`` starts from: ``catalog.SUBMODULE_METHODS``,
  ``SUBMODULE_PICKERS``), within a function and into the functions and lambdas
  defined in it, through ``self.<attr>`` between every method of every class, and into the
  parameters (at the argument's position or the next, or by keyword) of every function of
  the module named like a callee that is handed a reached name; and back from a name bound
  to the module another name holds (``ddp = DDP(model)``: ``model_aliases.module_held``)
  to that name, which the flow takes for the same model. Names are compared by their
  last part only (``self.model`` and ``model`` by ``model``). Each step follows at least
  what ``flow`` follows; of a tuple target the first element is bound
  (``model, info = X.from_pretrained(...)``), and every element when the value is a call
  that may hand back its argument (``model, loss = test(model, ...)``).
- *Forward calls.* Any call of a dotted name, of a reached name's forward method
  (``catalog.FORWARD_METHODS``) or wrapped module (``catalog.WRAPPED_MODULE_ATTRIBUTES``:
  ``ddp.module(x)``), or of a call (every name in its arguments), except a mode
  setter, which ``flow`` never takes for a forward call either.
- *The module's forward.* ``catalog.MODULE_FORWARD`` of a class defined at module level gets
  no state from other methods, exactly as ``flow._analyse`` gives it none: this one rule
  restates the analysis, and ``test_soundness`` has a snippet for it both ways.
- *Lambdas* never receive state through a call site's arguments, as in ``flow``, where a
  lambda's parameters start empty; the state around them they do get.
- *Protection.* A call lexically inside a scope of torch's own that disables grad
  (``catalog.grad_effect``), ``with`` or decorator, is ruled out, but only when the scope is
  surely torch's and surely holds: below a module-level ``import torch``, in a file that
  never rebinds ``torch`` and never spells anything that could switch grad back on
  (``catalog.GRAD_ENABLING_NAMES``, also through an alias); :mod:`.screen_grad_scopes`
  recognises such scopes for every screen. A nested ``def`` or lambda runs later and is
  never protected by the scope around it.
- *Gradient code* that surely differentiates a forward call's output rules the call out:
  the analysis asks the same question of the same code (``analysis.values``), so this is
  shared code, not a second copy of the rule.
- *Callers.* A forward call in the body of a function that every call in the module runs
  with autograd off is ruled out, last: :mod:`.screen_call_sites` records the call sites
  it is sure the flow records too, and settles them with the analysis's own fixpoint
  (``analysis.entry_grad``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Union

from .analysis.catalog import (
    EVAL_COPY_METHODS,
    EVAL_PRESERVING_WRAPPER_NAMES,
    EVAL_PRESERVING_WRAPPERS,
    FORWARD_METHODS,
    MODE_SETTER_METHODS,
    MODULE_FORWARD,
    MODULE_RETURNING_METHODS,
    PRETRAINED_LOADERS,
    SUBMODULE_METHODS,
    SUBMODULE_PICKERS,
    WRAPPED_MODULE_ATTRIBUTES,
    Mode,
    mode_set,
    returns_eval_model,
)
from .analysis.mode_summaries import ModeSummaries, summaries_of
from .analysis.model_aliases import module_held
from .analysis.values import ModuleValues
from .ast_names import (
    ATTR,
    NAME,
    NAMED_BINDINGS,
    SCOPES,
    Key,
    binds_torch,
    call_args,
    inner_nodes,
    is_dotted,
    key_of,
    keys_in,
    last_name,
    nodes_in,
    unbound_receiver,
)
from .screen_grad_scopes import (
    decorated_no_grad,
    is_torch_no_grad,
    torch_import_line,
    trusts_scopes,
)

#: Stands for a value put in eval mode where it is made: ``m = Net().eval()``.
EVALED: Key = ("eval", "")


_SCOPES = frozenset(SCOPES)
#: Methods whose call makes an eval-mode model (``catalog.returns_eval_model``).
_EVAL_MAKERS = PRETRAINED_LOADERS | EVAL_COPY_METHODS


def _mode_set(call: ast.Call) -> Mode | None:
    """The mode ``x.eval()`` / ``x.train(False)`` / ``x.train()`` sets (``catalog.mode_set``,
    as ``eval_mode.mode_set_by`` reads it off LibCST), None for any other call."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in MODE_SETTER_METHODS:
        return None
    return mode_set(func.attr, call_args(call), unbound_receiver(call) is not None)


def _sets_eval(call: ast.Call) -> bool:
    return _mode_set(call) is Mode.EVAL


def _is_eval_copy(call: ast.Call) -> bool:
    """``script = model.to_torchscript()``, ``AutoModel.from_pretrained(...)``: the analysis
    takes the result for an eval-mode model, so the screen treats it like ``model.eval()``."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _EVAL_MAKERS:
        return False
    owner = key_of(func.value) if is_dotted(func.value) else None
    return returns_eval_model(func.attr, owner[1] if owner is not None else None)


def _forward_keys(call: ast.Call) -> set[Key] | None:
    """What a forward call may call: ``model(x)``, ``self.net.forward(x)``, ``wrap(model)(x)``;
    a mode setter (``x.eval()``, ``x.train(mode)``) is never one."""
    func = call.func
    if _mode_set(call) is not None:
        return None
    if isinstance(func, ast.Call):
        return set().union(
            *(keys_in(a) for a in func.args), *(keys_in(k.value) for k in func.keywords)
        )
    if not isinstance(func, (ast.Name, ast.Attribute)) or not is_dotted(func):
        return None
    keys = {key_of(func)}
    if isinstance(func, ast.Attribute) and (
        func.attr in FORWARD_METHODS or func.attr in WRAPPED_MODULE_ATTRIBUTES
    ):
        keys.add(key_of(func.value))
    return {k for k in keys if k is not None}


def _bindings(node: ast.AST) -> Iterator[tuple[Iterable[ast.AST], ast.AST | None]]:
    """(targets, value) of the bindings that can carry eval state: ``=``, ``: T =``, ``:=``
    (``for``, ``with ... as``, ``except ... as`` and ``del`` only end it: ``flow.bind``)."""
    if isinstance(node, ast.Assign):
        yield node.targets, node.value
    elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
        yield (node.target,), node.value


#: Where an argument goes (``functions.bound_arguments``): its index, for a positional one
#: before any ``*args``, or its keyword.
Slot = Union[int, str]


def _slots(
    call: ast.Call, aliases: frozenset[str], returning: frozenset[str]
) -> list[tuple[Slot, set[Key]]]:
    """What each plainly bound argument of ``call`` can carry (``_value_keys``);
    ``**kwargs`` and the positions after ``*args`` bind nothing in the analysis."""
    slots: list[tuple[Slot, set[Key]]] = []
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        slots.append((index, _value_keys(arg, aliases, returning)))
    slots.extend(
        (k.arg, _value_keys(k.value, aliases, returning))
        for k in call.keywords
        if k.arg is not None
    )
    return slots


def _parameters_in(slot: Slot, positional: tuple[str, ...], every: frozenset[str]) -> Iterator[str]:
    """The parameters an argument in ``slot`` may bind: by keyword, or at its position or the
    next one (a method called through ``self`` or its class skips its first parameter)."""
    if isinstance(slot, str):
        if slot in every:
            yield slot
        return
    yield from positional[slot : slot + 2]


def _target_key(target: ast.AST) -> Key | None:
    """What a binding gives eval state to (``flow.bind``): the dotted name itself (``self.unet``
    in ``self.unet = unet``, not ``self``); of a tuple only the first element
    (``model, info = X.from_pretrained(..., output_loading_info=True)``); never a subscript."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return _target_key(target.elts[0]) if target.elts else None
    return (
        key_of(target)
        if isinstance(target, (ast.Name, ast.Attribute)) and is_dotted(target)
        else None
    )


def _later_element_keys(target: ast.AST) -> set[Key]:
    """The elements after the first of a tuple target, which ``_target_key`` leaves out."""
    if not isinstance(target, (ast.Tuple, ast.List)):
        return set()
    return {key for key in map(_target_key, target.elts[1:]) if key is not None}


def _value_keys(
    node: ast.AST | None,
    aliases: frozenset[str] = frozenset(),
    returning: frozenset[str] = frozenset(),
) -> set[Key]:
    """Names whose eval state a value can carry (``flow._eval_periods_of_value``): a name,
    the base of a chain of module-returning methods (``model.to(dev)``), a wrapper's
    arguments (``torch.compile(model)``) and those of a call named in ``returning`` (a
    function that may return its argument), and ``EVALED`` for a value that is put in eval mode
    itself (``Net().eval()``, ``AutoModel.from_pretrained(...)``); not the result of calling
    a model (``out = model(x)``). A loop, not recursion: ``f()()()...`` a thousand deep is
    legal Python."""
    keys: set[Key] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Name, ast.Attribute)):
            keys |= keys_in(node)
        elif isinstance(node, (ast.NamedExpr, ast.Subscript)):
            stack.append(node.value)
        elif isinstance(node, ast.Call):
            if _sets_eval(node) or _is_eval_copy(node):
                keys.add(EVALED)
            if isinstance(node.func, ast.Attribute) and (
                node.func.attr in MODULE_RETURNING_METHODS or node.func.attr in SUBMODULE_METHODS
            ):
                stack.append(node.func.value)
            if isinstance(node.func, ast.Name) and node.func.id in SUBMODULE_PICKERS:
                stack.extend(node.args)  # ``next(model.children())``
            if _may_wrap(node.func, aliases) or last_name(node.func) in returning:
                stack.extend(a.value if isinstance(a, ast.Starred) else a for a in node.args)
                stack.extend(k.value for k in node.keywords)
    return keys


def _receiver_keys(call: ast.Call) -> list[Key]:
    """The model ``x.to(dev).eval()`` puts in eval mode, as ``eval_mode.chain_of`` finds it,
    and ``ddp`` too for ``ddp.module.eval()`` (``catalog.unwrapped``); none when the chain
    starts from a call or subscript (``Net().eval()``)."""
    node = unbound_receiver(call) or call.func.value  # type: ignore[attr-defined]
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in MODULE_RETURNING_METHODS
    ):
        node = node.func.value
    keys: list[Key] = []
    while is_dotted(node):
        keys.append(key_of(node))  # type: ignore[arg-type]  # a name or an attribute
        if not (isinstance(node, ast.Attribute) and node.attr in WRAPPED_MODULE_ATTRIBUTES):
            break
        node = node.value
    return keys


#: The last names of the calls the analysis lets eval state through (``flow._wrapped_model``).
_WRAPPER_NAMES = frozenset(
    {q.rsplit(".", 1)[-1] for q in EVAL_PRESERVING_WRAPPERS} | EVAL_PRESERVING_WRAPPER_NAMES
)


def _held_key(held: ast.expr | None) -> Key | None:
    """The key of a dotted name ``model_aliases.module_held`` found, else None."""
    return key_of(held) if held is not None and is_dotted(held) else None


def _may_wrap(func: ast.expr, aliases: frozenset[str]) -> bool:
    """A call that may hand back its argument's module: a known wrapper, or a name imported
    under another name (``from torch import compile as tc``)."""
    name = last_name(func)
    return name in _WRAPPER_NAMES or (isinstance(func, ast.Name) and func.id in aliases)


class _Facts:
    """Eval receivers, bindings and forward calls of each unit (module-level code, or one
    function with its lambdas), gathered in one walk of the tree."""

    def __init__(self) -> None:
        #: Names imported under another name; the module's functions, classes and lambdas
        #: bound to a name; whether anything but ``import torch`` binds ``torch``.
        self.aliases: set[str] = set()
        self.local_callables: set[str] = set()
        self.classes: set[str] = set()  # the module's classes, among its callables
        #: Names ``from ... import`` binds: functions of a module beside this one, maybe.
        self.imported: set[str] = set()
        self.torch_rebound = False
        self.evals: dict[int, set[Key]] = defaultdict(set)
        self.bindings: dict[int, list[tuple[set[Key], ast.AST]]] = defaultdict(list)
        #: Per unit: the other elements of a tuple bound to a call (``model, loss = f(model)``),
        #: which only a function of the module that hands back its argument gives state.
        self.returned: dict[int, list[tuple[set[Key], ast.Call]]] = defaultdict(list)
        #: Per unit: (what it may call, the call, the line of the latest ``torch.no_grad()``
        #: scope around it, if any).
        self.forwards: dict[int, list[tuple[set[Key], ast.Call, int | None]]] = defaultdict(list)
        #: Per unit: calls by a last name, which may be calls of the module's own callables.
        self.calls: dict[int, list[tuple[str, ast.Call]]] = defaultdict(list)
        #: Per unit: (names a call reaches a function by, its positional parameters, all its
        #: parameters); lambdas never receive eval state from a call site in the analysis.
        self.parameters: dict[int, list[tuple[frozenset[str], tuple[str, ...], frozenset[str]]]] = (
            defaultdict(list)
        )
        #: Each unit (module-level code, or one function with its lambdas) and the unit it is
        #: defined in, parents first: a nested function starts from its parent's state.
        self.units: dict[int, int | None] = {0: None}
        self.constructors: dict[int, str] = {}  # id of an ``__init__`` -> its class's name
        self.functions: dict[
            int, ast.FunctionDef | ast.AsyncFunctionDef
        ] = {}  # unit -> its ``def``
        self.forward_methods: set[int] = set()  # ``forward`` of a class that is not in a function
        # Set by ``finish``: per unit, what calls of local callables hand over, what bindings
        # carry, and the forward calls no ``torch.no_grad()`` scope surely covers.
        self.arguments: dict[int, list[tuple[str, list[tuple[Slot, set[Key]]]]]] = {}
        self.value_bindings: dict[int, list[tuple[set[Key], set[Key]]]] = {}
        self.unguarded: dict[int, list[tuple[set[Key], ast.Call]]] = {}
        #: The line below which a ``torch.no_grad()`` scope surely holds, if any.
        self.trusted_after: int | None = None

    def collect(self, tree: ast.Module) -> None:
        # Each entry is a list of nodes that run in one unit under one guard: most nodes
        # share their parent's, and a tuple per node was a fifth of the walk's time.
        stack: list[tuple[list[ast.AST], int, int | None]] = [([tree], 0, None)]
        push = stack.append
        note = self._note
        while stack:
            nodes, unit, guard = stack.pop()
            same: list[ast.AST] = []  # children in this unit under this guard
            for node in nodes:
                kind = type(node)
                if kind is ast.Name:  # the commonest node: only ``torch = ...`` matters here
                    if node.id == "torch" and type(node.ctx) is not ast.Load:  # type: ignore[attr-defined]
                        self.torch_rebound = True
                    continue
                if kind in _NOTED:
                    note(node, unit, guard)
                if kind in _GUARDING:
                    for child, child_unit, child_guard in _children(node, unit, guard):
                        if child_unit != unit:
                            self.units.setdefault(child_unit, unit)
                        push(([child], child_unit, child_guard))
                elif kind in _SCOPES:
                    push((inner_nodes(node), unit, None))
                else:
                    same += inner_nodes(node)
            if same:
                push((same, unit, guard))

    def _note(self, node: ast.AST, unit: int, guard: int | None) -> None:
        if isinstance(node, ast.Call):
            if _sets_eval(node):
                self.evals[unit].add(EVALED)
                self.evals[unit].update(_receiver_keys(node))
            elif _is_eval_copy(node):  # only what the copy is bound to (``_value_keys``)
                self.evals[unit].add(EVALED)
            keys = _forward_keys(node)
            if keys:
                self.forwards[unit].append((keys, node, guard))
            callee = last_name(node.func)
            if callee is not None and (node.args or node.keywords):
                self.calls[unit].append((callee, node))
            return  # the commonest noted node, and it neither binds nor rebinds ``torch``
        if isinstance(node, ast.ClassDef):
            self.local_callables.add(node.name)
            self.classes.add(node.name)
            for method in node.body:
                if (
                    isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and method.name == "__init__"
                ):
                    self.constructors[id(method)] = node.name
                if (
                    isinstance(method, ast.FunctionDef)
                    and method.name == MODULE_FORWARD
                    and unit == 0
                ):
                    # ``forward`` runs under its caller's grad mode: the analysis gives it no
                    # class-wide eval state (``flow._analyse``), only its own and the module's.
                    self.forward_methods.add(id(method))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.local_callables.add(node.name)
            params = node.args
            positional = tuple(a.arg for a in (*params.posonlyargs, *params.args))
            every = [
                *params.posonlyargs,
                *params.args,
                *params.kwonlyargs,
                params.vararg,
                params.kwarg,
            ]
            names = frozenset(filter(None, (node.name, self.constructors.get(id(node)))))
            self.functions[id(node)] = node
            self.parameters[id(node)].append(
                (names, positional, frozenset(a.arg for a in every if a is not None))
            )
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.aliases.update(a.asname for a in node.names if a.asname)
            if isinstance(node, ast.ImportFrom):
                self.imported.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            self.local_callables.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if not self.torch_rebound and binds_torch(node):
            self.torch_rebound = True
        for targets, value in _bindings(node):
            target_keys = {key for key in map(_target_key, targets) if key is not None}
            if target_keys and value is not None:
                self.bindings[unit].append((target_keys, value))
            if isinstance(value, ast.Call):
                later = {key for target in targets for key in _later_element_keys(target)}
                if later:
                    self.returned[unit].append((later, value))

    def finish(
        self,
        guards_after: int | None,
        imports_function: Callable[[str], bool],
        kept_by: Callable[[ast.Call], dict[str, ast.expr]] = lambda call: {},
    ) -> None:
        """What needed the whole tree: which calls are of the module's own callables (only
        they can hand a parameter an eval-mode model: ``flow``'s call sites), what bindings
        carry (wrappers include import aliases), and which ``torch.no_grad()`` scopes are
        surely torch's (below ``guards_after``). ``imports_function`` says whether a name
        ``from ... import`` binds is a function of a module beside this one."""
        aliases = frozenset(self.aliases)
        # What may hand back an argument as it was given (``ModeSummary.returns``): the
        # module's functions and methods, and the functions it imports from modules beside
        # it (``ModeSummaries.imports``, which the flow asks too); not a class.
        imported = self.imported
        if "*" in imported:  # ``from util import *``: any callee may be one of util's
            imported = imported | {callee for calls in self.calls.values() for callee, _ in calls}
        returning = frozenset(
            (self.local_callables - self.classes)
            | {name for name in imported if imports_function(name)}
        )
        self.arguments = {
            unit: [
                (callee, _slots(call, aliases, returning))
                for callee, call in calls
                if callee in self.local_callables
            ]
            for unit, calls in self.calls.items()
        }
        self.value_bindings = {
            unit: [(targets, _value_keys(value, aliases, returning)) for targets, value in bindings]
            for unit, bindings in self.bindings.items()
        }
        # A name bound to the module another name holds (``ddp = DDP(model)``, ``net =
        # model``) is that module, and so is an attribute an object keeps it in
        # (``Evaluator(model).model``: ``ModeSummaries.same_object``): eval mode set on the
        # new name reaches the old one as well. Module-level names are every function's
        # globals: such a pair there holds in each.
        module_pairs: list[tuple[set[Key], set[Key]]] = []
        # (An attribute matters only where some eval call names one: ``engine.model.eval()``.)
        attributes_evaluated = any(k[0] == ATTR for keys in self.evals.values() for k in keys)
        for unit, bindings in self.bindings.items():
            for targets, value in bindings:
                held = module_held(value) if isinstance(value, ast.expr) else None
                if held is None:
                    continue
                if isinstance(held, ast.Call):
                    if not attributes_evaluated or last_name(held.func) not in self.classes:
                        continue
                    pairs = [
                        (_held_key(module_held(given)), {(ATTR, attribute)})
                        for attribute, given in kept_by(held).items()
                    ]
                else:
                    pairs = [(_held_key(held), set(targets))]
                for key, names in pairs:
                    if key is not None:
                        self.value_bindings[unit].append(({key}, names))
                        if unit == 0:
                            module_pairs += [({key}, names), (names, {key})]
        for unit in self.units if module_pairs else ():
            if unit != 0:
                self.value_bindings.setdefault(unit, []).extend(module_pairs)
        for unit, elements in self.returned.items():
            self.value_bindings.setdefault(unit, []).extend(
                (targets, _value_keys(call, aliases, returning))
                for targets, call in elements
                if last_name(call.func) in returning
            )
        trusted_after = self.trusted_after = None if self.torch_rebound else guards_after
        self.unguarded = {
            unit: [
                (keys, call)
                for keys, call, guard in calls
                if trusted_after is None or guard is None or guard <= trusted_after
            ]
            for unit, calls in self.forwards.items()
        }

    def reached_forwards(self) -> dict[int, list[ast.Call]]:
        """Per unit, its forward calls of a name an eval call may reach."""
        attrs = {k for keys in self.evals.values() for k in keys if k[0] == ATTR}
        callees: set[tuple[str, Slot]] = set()  # (local callable, slot) a reached name is passed in
        while True:
            reached: dict[int, set[Key]] = {}
            module_own = _closure(
                self.value_bindings.get(0, []), self.evals[0]
            )  # without ``self.<attr>``
            for unit, parent in self.units.items():  # parents first
                if unit in self.forward_methods:
                    seeds = self.evals[unit] | module_own
                else:
                    seeds = (
                        self.evals[unit]
                        | attrs
                        | (reached[parent] if parent is not None else set())
                    )
                seeds |= {
                    (NAME, param)
                    for names, positional, every in self.parameters[unit]
                    for callee, slot in callees
                    if callee in names
                    for param in _parameters_in(slot, positional, every)
                }
                reached[unit] = _closure(self.value_bindings.get(unit, []), seeds)
            grown = attrs | {k for keys in reached.values() for k in keys if k[0] == ATTR}
            passed = callees | {
                (callee, slot)
                for unit, calls in self.arguments.items()
                for callee, slots in calls
                for slot, keys in slots
                if keys & reached[unit]
            }
            if grown == attrs and passed == callees:
                break
            attrs, callees = grown, passed
        found = {
            unit: [call for keys, call in calls if keys & reached[unit]]
            for unit, calls in self.unguarded.items()
        }
        return {unit: calls for unit, calls in found.items() if calls}


#: Nodes ``_Facts._note`` reads; the rest only lead to them.
_NOTED = frozenset(
    {
        ast.Call,
        ast.ClassDef,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.Import,
        ast.ImportFrom,
        ast.Assign,
        ast.AnnAssign,
        ast.NamedExpr,
        ast.arg,
        ast.Global,
        ast.Nonlocal,
        *NAMED_BINDINGS,
    }
)
#: Nodes whose children run under another unit or ``no_grad`` scope (``_children``).
_GUARDING = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.With})


def _children(
    node: ast.AST, unit: int, guard: int | None
) -> Iterator[tuple[ast.AST, int, int | None]]:
    """Child nodes with the unit they run in and the line of the latest ``torch.no_grad()``
    scope (``with`` or decorator) that covers them, if any: whether that is torch's is only
    known once the whole tree is read (``_Facts.finish``)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        body_unit = id(node)
        # The analysis lets torch's decorator win over any other (``flow._decorated_grad``).
        decorated = node.lineno if decorated_no_grad(node) else None
        for field, value in ast.iter_fields(node):
            inside = field == "body"
            for child in nodes_in(value):
                yield child, (body_unit if inside else unit), (decorated if inside else guard)
    elif isinstance(node, ast.With):
        guarded = guard
        if any(is_torch_no_grad(item.context_expr) for item in node.items):
            guarded = node.lineno
        for item in node.items:
            yield item, unit, guard
        for statement in node.body:
            yield statement, unit, guarded


def _closure(bindings: list[tuple[set[Key], set[Key]]], seeds: set[Key]) -> set[Key]:
    """Every key reachable from ``seeds`` through bindings whose value mentions a reached key.
    A worklist over the bindings each key appears in, so each binding is followed once: a
    sweep over all bindings until nothing changes took one sweep per link of an alias chain
    written in reverse (``m2 = m1`` above ``m1 = m0``)."""
    readers: dict[Key, list[int]] = defaultdict(list)
    for index, (_, value) in enumerate(bindings):
        for key in value:
            readers[key].append(index)
    reached = set(seeds)
    pending = list(reached)
    followed: set[int] = set()
    while pending:
        for index in readers.get(pending.pop(), ()):
            if index in followed:
                continue
            followed.add(index)
            for target in bindings[index][0]:
                if target not in reached:
                    reached.add(target)
                    pending.append(target)
    return reached


def suspect_calls(
    tree: ast.AST, source: str = "", values: ModuleValues | None = None
) -> list[ast.Call] | None:
    """The forward calls that may be findings, in no particular order; None when ``tree`` is
    not a module (anything may be). ``source``, its text, lets the screen trust
    ``torch.no_grad()`` scopes when nothing in the file re-enables grad; ``values``, a
    reading of ``tree`` to share."""
    if not isinstance(tree, ast.Module):
        return None
    trusted = trusts_scopes(source)
    facts = _Facts()
    facts.collect(tree)
    if not any(facts.evals.values()):
        return []
    if values is None:
        values = ModuleValues(tree)
    summaries: list[ModeSummaries] = []  # made on first need: it may read modules beside

    def read_summaries() -> ModeSummaries:
        if not summaries:
            summaries.append(summaries_of(values))
        return summaries[0]

    facts.finish(
        torch_import_line(tree) if trusted else None,
        lambda name: read_summaries().imported.imports(name),
        lambda call: read_summaries().kept_arguments(call),
    )
    # A forward whose output gradient code surely differentiates is never reported: the
    # analysis asks the same question of the same code (``EvalPeriod.is_wasteful``).
    suspects = {
        unit: kept
        for unit, calls in facts.reached_forwards().items()
        if (
            kept := [
                call
                for call in calls
                if not values.surely_consumed(call, facts.functions.get(unit, tree), source)
            ]
        )
    }
    # Last, as it walks the whole module again: most files are settled by now.
    if facts.trusted_after is not None and suspects.keys() - {0}:
        _drop_calls_of_grad_off_functions(suspects, tree, facts.trusted_after)
    return [call for calls in suspects.values() for call in calls]


def _drop_calls_of_grad_off_functions(
    reached: dict[int, list[ast.Call]], tree: ast.Module, guards_after: int
) -> None:
    """Forward calls in the body of a function that its callers only run with autograd off
    (:mod:`.screen_call_sites`), but for those of its lambdas, comprehensions and f-strings."""
    from .screen_call_sites import functions_run_without_grad

    off, nested = functions_run_without_grad(tree, guards_after)
    for unit in off & reached.keys():
        inner = nested.get(unit, set())
        reached[unit] = [call for call in reached[unit] if id(call) in inner]
        if not reached[unit]:
            del reached[unit]


def might_have_findings_in_tree(tree: ast.AST, source: str = "") -> bool:
    """False only when ``tree`` certainly holds no NG001 finding."""
    return suspect_calls(tree, source) != []
