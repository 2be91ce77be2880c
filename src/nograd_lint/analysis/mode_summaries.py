"""What a call of one of the module's functions does to the train/eval mode of the models
it can reach (NG004): which it leaves in eval mode, which it trains in whatever mode it
finds them. Read on the stdlib ``ast`` tree, so that the screen and the analysis share it.

``evaluate(model, loader)`` in an epoch loop puts ``model`` in eval mode inside a function
the loop only calls; the flow pass of the caller needs that effect at the call. A summary
reads the function's calls in evaluation order, without branches: the last mode setter
applied to a receiver decides the mode it leaves (``model.train(was_training)`` after
``eval()`` restores it, whatever the flag), and a receiver is trained as found when the
function runs it as a forward call whose output reaches a backward (:mod:`.values`) before
it puts the receiver in any mode itself (a teacher it sets to ``eval()`` is its choice), and
has gradient code.
Calls of the module's other functions are summarised in turn, a few levels deep.

Receivers are names as the function writes them: a parameter (``model``, ``model.module``),
an attribute of ``self``, or a module-level model the function does not bind; the flow maps
them onto the caller's names (:mod:`.receiver_names`), through the other names a function
gives a model (:mod:`.model_aliases`). Functions are those of the module and the methods of
its classes, found by name (:mod:`.class_hierarchy`), and those it imports from a module
beside it (:mod:`.imported_helpers`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Iterator
from typing import NamedTuple, Union, cast

from ..ast_names import (
    FUNCTIONS,
    OWN_SCOPES,
    arguments_given,
    call_args,
    dispatched_receiver,
    dotted_name,
    is_super,
    module_class,
    self_parameter,
    unbound_receiver,
    within_any,
)
from .attribute_twins import Twins, attribute_twins, twin_names
from .catalog import (
    EVAL_PRESERVING_WRAPPERS,
    FORWARD_METHODS,
    GRAD_INTENT_FUNCTIONS,
    GRAD_INTENT_METHODS,
    LOSS_FUNCTION_NAME,
    MODE_SETTER_METHODS,
    MODULE_CONTAINERS,
    MODULE_COPYING_WRAPPER_NAMES,
    MODULE_COPYING_WRAPPERS,
    MODULE_RETURNING_METHODS,
    OPTIMIZER_METHODS,
    WRAPPED_MODULE_ATTRIBUTES,
    Mode,
    looks_like_optimizer,
    mode_set,
    shadows_mode_setter,
    unwrapped,
)
from .class_hierarchy import ClassHierarchy, FunctionNode
from .early_returns import FunctionBlocks
from .imported_helpers import ImportedHelpers
from .loop_targets import models_a_loop_target_holds
from .model_aliases import (
    FunctionShape,
    attribute_stores,
    container_elements,
    function_shape,
    kept_parameters,
    module_aliases,
)
from .phase_arguments import NOTHING_FIXED, Branching, Fixed, branching, decider, fixed_by
from .receiver_names import CalleeNames, handed_names, method_self_of, returned_parameters
from .values import ModuleValues

#: How many calls deep a summary follows the module's functions.
MAX_DEPTH = 3

#: A summary's key: class (None: the module), function name, and the values its call fixes.
_Key = tuple[Union[str, None], str, Fixed]


class ModeSummary(NamedTuple):
    #: Receivers the function leaves in eval mode.
    leaves_eval: frozenset[str] = frozenset()
    #: Receivers it leaves in train mode.
    leaves_train: frozenset[str] = frozenset()
    #: Receivers it trains (a forward call, and gradient code) before any ``train()``.
    trains: frozenset[str] = frozenset()
    #: (position, parameter): every ``return`` hands back that parameter as it was given,
    #: at that position of the returned tuple, or as the whole value at ``WHOLE``
    #: (``return model, loss``): the caller's name bound to it is the same model.
    returns: frozenset[tuple[int, str]] = frozenset()
    #: Receivers whose forward call's output it hands back, before any ``train()`` and
    #: without gradient code of its own (``return criterion(model(x), y)``): a training
    #: step where the caller differentiates what the call returns.
    hands_back: frozenset[str] = frozenset()
    #: It runs gradient code (a backward, an optimizer step), itself or in a function of
    #: the module it calls (``optimizer_step(loss, optimizer)``): a forward call before a
    #: call of it may be a training step, if its output reaches that backward (NG004).
    steps: bool = False
    #: Receivers it may put in train mode on some path, whatever mode it leaves them in
    #: (``net_mode(train)`` with ``if train: net.train() else: net.eval()``): not a
    #: validation helper that only ever switches to eval mode.
    may_train: frozenset[str] = frozenset()
    #: Receivers it runs (a forward call, itself or in a function it calls) after putting
    #: them in eval mode: a validation phase, not a mode switch alone (``freeze(backbone)``).
    validates: frozenset[str] = frozenset()
    #: Receivers it runs (a forward call, itself or in a function it calls), in any mode:
    #: a caller that put one in eval mode first validates it (``model.eval(); return
    #: _score(model, loader)``).
    runs: frozenset[str] = frozenset()


#: How many times a recursive function is read again with its last reading (``of``).
_RECURSION_ROUNDS = 3


NOTHING = ModeSummary()


class ModeSummaries:
    """Summaries of the module's functions and methods, each computed once."""

    def __init__(
        self,
        values: ModuleValues,
        depth: int = 0,
        beside: dict[str, ModeSummaries | None] | None = None,
    ) -> None:
        self.values = values
        if values.modes is None:
            values.modes = self
        #: Path -> the summaries of a module beside the one first read, None when it
        #: cannot be read: shared by the summaries of every module read for it, and kept
        #: with its ``values``, no longer (``ModuleValues.beside``).
        self._beside: dict[str, ModeSummaries | None] = values.beside if beside is None else beside
        #: The module's functions and classes, and the classes' bases.
        self.classes = ClassHierarchy(values.tree)
        #: (class name or None, function name) -> definition.
        self.definitions = self.classes.definitions
        #: The functions it imports from modules beside it, read on first need.
        self.imported = ImportedHelpers(
            values,
            {name for owner, name in self.definitions if owner is None},
            self._beside,
            (lambda module: ModeSummaries(module, depth + 1, self._beside))
            if depth <= MAX_DEPTH
            else None,
        )
        self._receivers: frozenset[str] | None = None
        #: Summaries with the call depth they were read at: one read deeper stopped at
        #: calls that a read nearer the caller follows, so it serves only as deep a read.
        self._known: dict[_Key, tuple[ModeSummary, int]] = {}
        self._open: set[_Key] = set()
        #: The open functions a summary being read has met again (a recursion, read as
        #: doing nothing): what it finds holds only until that one is summarised.
        self._met_open: set[_Key] = set()
        self._models: frozenset[str] | None = None
        #: ``id`` of a function -> its ``function_shape``.
        self._shapes: dict[int, FunctionShape] = {}
        self._module_aliases: dict[str, str] | None = None  # ``aliases_at`` in module code
        self._kept: dict[str, dict[str, str]] = {}  # ``kept_parameters`` by class
        #: ``attribute_stores`` of the module, read on first need.
        self._stores: list[tuple[str, ast.ClassDef | None]] | None = None
        self._stores_read = False
        self._shadowed: frozenset[str] | None = None
        self._twins: dict[str, Twins] = {}  # ``attribute_twins`` by class
        #: Open function -> what a recursive call of it reads as (``of``).
        self._seeds: dict[_Key, ModeSummary] = {}
        #: Name -> (definition, enclosing function) of every ``def`` nested in a function.
        self._nested: dict[str, list[tuple[FunctionNode, FunctionNode]]] | None = None
        #: ``id`` of a nested definition -> its summary and the depth it was read at.
        self._nested_known: dict[tuple[int, Fixed], tuple[ModeSummary, int]] = {}
        #: ``id`` of a method's definition -> its class (``method_class``).
        self._methods: dict[int, str] | None = None
        #: ``id`` of a function -> ``_copies`` of it, for every name; read on first need.
        self._module_copies: dict[int, dict[int, str]] | None = None
        #: ``id`` of a function of the module -> ``_returns_a_copy``.
        self._copying_helpers: dict[int, bool] = {}
        #: ``id`` of a function -> what of it a call's literals may decide.
        self._branching: dict[int, Branching] = {}

    def of(
        self, owner: str | None, name: str, depth: int = 0, fixed: Fixed = NOTHING_FIXED
    ) -> ModeSummary:
        """The summary of function ``name`` of class ``owner`` (None: of the module);
        ``fixed``, the arms a call's literals decide (:meth:`of_call`)."""
        key = (owner, name, fixed)
        foreign = self.imported.function(name) if owner is None else None
        if foreign is not None and depth <= MAX_DEPTH:
            other, there, definition = foreign
            return _through_parameters(other.of(None, there, depth), definition)
        node = self.definitions.get((owner, name))
        if key in self._open:
            self._met_open.add(key)
            return self._seeds.get(key, NOTHING)
        if node is None or depth > MAX_DEPTH:
            return NOTHING
        found = self._known.get(key)
        if found is not None and found[1] <= depth:
            return found[0]
        # A recursion (``f`` calls ``g`` calls ``f``) reads the open function as what its
        # last round gave, from nothing up, until a round gives that again: where the cycle
        # is cut then matters less to the answer.
        outer, met = self._met_open, set()
        known = NOTHING
        for _ in range(_RECURSION_ROUNDS):
            self._seeds[key] = known
            self._open.add(key)
            self._met_open = set()
            try:
                found_now = self._summarise(node, owner, depth, fixed=fixed)
            except RecursionError:
                found_now = NOTHING
            finally:
                self._open.discard(key)
                met |= self._met_open
            recursive, known = key in self._met_open, found_now
            if not recursive or found_now == self._seeds[key]:
                break
        del self._seeds[key]
        provisional = met - {key}
        self._met_open = outer | provisional
        # A summary that met a function still being summarised (``f`` calls ``g`` calls
        # ``f``), itself or another, is not kept: where the cycle is cut decides the answer,
        # so a cached one would make the answer depend on which function of the cycle was
        # asked about first (the screens ask before the analysis does). Each question about
        # a function of a cycle reads the cycle again, cut at that function.
        if not met and (depth == 0 or known is not NOTHING):
            self._known[key] = (known, depth)
        return known

    def of_call(self, key: tuple[str | None, str], call: ast.Call, depth: int = 0) -> ModeSummary:
        """The summary of the function ``key`` as ``call`` runs it: the branches that the
        literals it gives decide read as taken (``run_epoch(model, loader, train=False)``).
        Every question about a call asks here, so that the flow and the screens read one
        summary for it."""
        owner, name = key
        foreign = self.imported.function(name) if owner is None else None
        if foreign is not None and depth <= MAX_DEPTH:
            other, there, definition = foreign
            return _through_parameters(other.of_call((None, there), call, depth), definition)
        node = self.definitions.get(key)
        return self.of(owner, name, depth, self._fixed(node, owner, call))

    def branches_on_parameters(self, key: tuple[str | None, str]) -> bool:
        """Whether a call's literals may decide branches of the function ``key`` (the flow
        looks up the call's ``ast`` twin only then)."""
        owner, name = key
        foreign = self.imported.function(name) if owner is None else None
        if foreign is not None:
            other, there, _ = foreign
            return other.branches_on_parameters((None, there))
        node = self.definitions.get(key)
        return node is not None and bool(self._branching_of(node).tests)

    def _fixed(self, node: FunctionNode | None, owner: str | None, call: ast.Call) -> Fixed:
        return fixed_by(node, owner, call, self._branching_of(node)) if node else NOTHING_FIXED

    def _branching_of(self, node: FunctionNode) -> Branching:
        found = self._branching.get(id(node))
        if found is None:
            found = self._branching[id(node)] = branching(node)
        return found

    def of_nested(
        self,
        definition: FunctionNode,
        enclosing: FunctionNode,
        depth: int = 0,
        call: ast.Call | None = None,
    ) -> ModeSummary:
        """The summary of a function nested in ``enclosing`` (``def evaluate(loader):
        model.eval() ...`` inside ``main``): the variables of the functions around it that
        it reads are receivers, the same names at a call where no function between binds
        them (``nested_caller_names``), as a module-level model is for a function of the
        module. Nested in a method and reading its ``self``, it is read as a method of that
        class, ``self.validate()`` and ``self.model(x)`` included. ``call``: the call it is
        read for, whose literals decide its branches (:meth:`of_call`)."""
        if depth > MAX_DEPTH:
            return NOTHING
        fixed = self._fixed(definition, None, call) if call is not None else NOTHING_FIXED
        key = (id(definition), fixed)
        found = self._nested_known.get(key)
        if found is not None and found[1] <= depth:
            return found[0]
        free: set[str] = set()
        owner = self_name = None
        for scope in self._scopes_from(enclosing):
            facts = self.values.facts(scope)
            read = facts.free_of(definition) - free
            method = self.method_class(scope)
            if method is not None and self_parameter(scope) in read and self_name is None:
                owner, self_name = method, self_parameter(scope)
            free |= read
        outer, self._met_open = self._met_open, set()
        try:
            summary = self._summarise(definition, owner, depth, frozenset(free), self_name, fixed)
        except RecursionError:
            summary = NOTHING
        finally:
            met, self._met_open = self._met_open, outer | self._met_open
        if not met:  # as in ``of``: an answer that met an open function is not kept
            self._nested_known[key] = (summary, depth)
        return summary

    def nested_callee(self, call: ast.Call) -> tuple[FunctionNode, FunctionNode] | None:
        """(definition, enclosing function) of the function nested in a function around
        ``call`` that ``call`` surely calls by its name: the nearest function around it
        that binds the name binds it by that ``def`` alone
        (``FunctionValues.nested_function``), undecorated but for torch's grad-mode
        decorators (another may wrap it: one that restores the mode). None for any other
        call."""
        func = call.func
        if not isinstance(func, ast.Name) or func.id not in self._nested_definitions():
            return None
        for scope in self._scopes_from(self.values.owner_of(call)):
            facts = self.values.facts(scope)
            definition = facts.nested_function(func.id)
            if definition is not None:
                if not all(map(self.values.sets_grad_mode, definition.decorator_list)):
                    return None
                return definition, scope
            if facts.binds(func.id):
                return None
        return None

    def _scopes_from(self, node: ast.AST | None) -> Iterator[FunctionNode]:
        """``node`` and the functions around it, nearest first, while they are functions."""
        while isinstance(node, FUNCTIONS):
            yield node
            node = self.values.owner_of(node)

    def method_class(self, node: FunctionNode) -> str | None:
        """The class of the module that ``node`` is a method of, if any."""
        if self._methods is None:
            self._methods = {
                id(definition): owner
                for (owner, _), definition in self.definitions.items()
                if owner is not None
            }
        return self._methods.get(id(node))

    def _nested_definitions(self) -> dict[str, list[tuple[FunctionNode, FunctionNode]]]:
        if self._nested is None:
            self._nested = {}
            owners = self.values.index.owners
            for statement in self.values.index.statements:
                if isinstance(statement, FUNCTIONS):
                    enclosing = owners.get(id(statement))
                    if isinstance(enclosing, FUNCTIONS):
                        pair = (statement, enclosing)
                        self._nested.setdefault(statement.name, []).append(pair)
        return self._nested

    def nested_caller_names(
        self, definition: FunctionNode, call: ast.Call, caller_self: str | None
    ) -> Callable[[str], str | None]:
        """Maps a receiver of a nested function's summary onto the caller's names: a
        parameter onto the argument given for it, a variable it reads onto itself, unless a
        function between the call and the definition binds that name for itself (none:
        the caller's name is another variable)."""
        names = CalleeNames(definition, None, call, caller_self, self._module_function)
        enclosing = self.values.owner_of(definition)
        shadowing: set[str] = set()
        for scope in self._scopes_from(self.values.owner_of(call)):
            if scope is enclosing:
                break
            facts = self.values.facts(scope)
            shadowing |= facts.local | facts.parameters() | facts.outer
        if not shadowing:
            return names
        parameters = names.parameters

        def mapped(receiver: str) -> str | None:
            head = receiver.split(".", 1)[0]
            if head in shadowing and head not in parameters:
                return None
            return names(receiver)

        return mapped

    def readings(
        self, name: str, call: ast.Call, caller_self: str | None
    ) -> Iterator[tuple[ModeSummary, Callable[[str], str | None]]]:
        """For the screens, which match a call to every function of its last name: the
        summary of each, with the map of its receivers onto the caller's names."""
        for key in self.keys_named(name):
            yield self.of_call(key, call), self.caller_names(key, call, caller_self)
        for definition, enclosing in self._nested_definitions().get(name, ()):
            names = self.nested_caller_names(definition, call, caller_self)
            yield self.of_nested(definition, enclosing, call=call), names

    def callable_names(self) -> set[str]:
        """The names of the module's functions and methods, and the names it imports,
        which may be functions of a module beside it."""
        return (
            {name for _, name in self.definitions}
            | self.imported.names()
            | set(self._nested_definitions())
        )

    def keys_named(self, name: str) -> list[tuple[str | None, str]]:
        """(class or None, name) of every function or method called ``name`` (for the
        screen, which matches calls by their last name)."""
        keys = [key for key in self.definitions if key[1] == name]
        return [*keys, (None, name)] if self.imported.imports(name) else keys

    def named(self, name: str, call: ast.Call) -> Iterator[ModeSummary]:
        """The summaries of every function or method called ``name``, as ``call`` runs it."""
        for key in self.keys_named(name):
            yield self.of_call(key, call)
        for definition, enclosing in self._nested_definitions().get(name, ()):
            yield self.of_nested(definition, enclosing, call=call)

    def module_models(self) -> frozenset[str]:
        if self._models is None:
            self._models = self.values.module_level_models()
        return self._models

    def _summarise(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: str | None,
        depth: int,
        free: frozenset[str] = frozenset(),
        nested_self: str | None = None,
        fixed: Fixed = NOTHING_FIXED,
    ) -> ModeSummary:
        """``free``: for a nested function, the variables of the functions around it that
        it reads, receivers like its parameters; ``nested_self``, the ``self`` of the
        method of ``owner`` it is nested in; ``fixed``, the parameters whose values decide
        branches (read only the arm taken)."""
        self_name = nested_self if nested_self is not None else method_self_of(node, owner)
        parameters = {
            a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
        }
        shape = self._shape(node)
        aliases = shape.aliases
        local = shape.bound - parameters - aliases.keys()
        local_names = shape.bound | parameters  # a callee of that name is none of the module's

        def resolved(name: str) -> str:
            """``self.model`` for ``model`` after ``model = self.model``."""
            head, dot, tail = name.partition(".")
            return aliases[head] + dot + tail if head in aliases else name

        def reachable(name: str) -> bool:
            head = name.split(".", 1)[0]
            if head == self_name or head in parameters or head in free:
                return True
            return head not in local and name in self.module_models()

        modes: dict[str, Mode] = {}
        setters: dict[str, ast.Call] = {}  # the call that put each receiver in its mode
        #: (receiver, the call that put it in eval mode, a ``return`` after a forward call of
        #: it in that mode): a validation that may end before its ``train()``.
        returned_in_eval: list[tuple[str, ast.Call, ast.Return]] = []
        decided: set[str] = set()  # put in a mode by the function itself
        trained: set[str] = set()  # put in train mode somewhere
        validated: set[str] = set()  # run after being put in eval mode
        ran: set[str] = set()  # run at all

        #: Given names bound to a copy of a module by now (``model = copy.deepcopy(model)``):
        #: what the function does to them from then on is not done to the caller's model.
        rebound = (parameters | free) & shape.bound
        copied = self._copies(node, rebound) if rebound else {}
        replaced: dict[str, ast.Call] = {}  # name -> the copy bound to it so far
        blocks = FunctionBlocks(node.body) if copied else None

        def gone(name: str, at: ast.Call) -> bool:
            """``name`` holds a copy when ``at`` runs: the copy bound to it runs first on
            every path to ``at``."""
            copy = replaced.get(name.split(".", 1)[0])
            return copy is not None and blocks is not None and blocks.dominates(copy, at)

        def run(model: str, at: ast.Call) -> None:
            if gone(model, at):
                return
            ran.add(model)
            if modes.get(model) is Mode.EVAL:
                validated.add(model)

        def put(receiver: str, how: Mode, at: ast.Call) -> None:
            """``receiver`` put in mode ``how`` by the call ``at``; in train mode, its twins
            too (read only then: most functions never call ``train()``)."""
            if gone(receiver, at):
                return
            twinned = (
                twin_names(receiver, self_name, self.attribute_twins(owner))
                if how is Mode.TRAIN
                else ()
            )
            for name in (receiver, *twinned):
                modes[name] = how
                setters[name] = at
                decided.add(name)
                if how is Mode.TRAIN:
                    trained.add(name)
                    # ``model.train()`` reaches every submodule: ``model.backbone`` put in
                    # eval mode before it is back in train mode.
                    for part in [p for p in modes if p.startswith(name + ".")]:
                        modes[part] = how
                        setters[part] = at

        run_first: set[str] = set()  # trained before the function puts it in any mode
        forwards: list[tuple[str, ast.Call]] = []  # run before the function sets their mode
        gradients = False
        decide = decider(self._branching_of(node), fixed) if fixed else None
        for call in calls_and_returns_in_order(node.body, decide):
            if isinstance(call, ast.Return):
                returned_in_eval.extend(
                    (name, setters[name], call)
                    for name, how in modes.items()
                    if how is Mode.EVAL and name in validated
                )
                continue
            if id(call) in copied:
                replaced[copied[id(call)]] = call
            mode = mode_call(call)
            if mode is not None and self.runs_own_method(call, owner, self_name):
                mode = None  # ``self.train(loader)``: the class's own training method
            if mode is not None:
                receiver, how = mode
                held = (
                    models_a_loop_target_holds(call, self.values.facts(node))
                    if how is Mode.TRAIN and receiver is not None and receiver in local
                    else None
                )
                if held is not None:  # ``for m in [self.gen, self.disc]: m.train()``
                    receivers: list[str | None] = list(held) or [None]
                else:
                    receivers = [receiver]
                for receiver in receivers:
                    if receiver is not None:
                        put(unwrapped(resolved(receiver), self_name), how, call)
                    elif how is Mode.TRAIN:
                        # ``models[k].train()``, ``for m in self.parts: m.train()``: any
                        # model it reaches may be the one; ending a period can only hide a
                        # finding.
                        for head in (self_name, *parameters, *free, *self.module_models()):
                            if head is not None and reachable(head):
                                put(head, Mode.TRAIN, call)
                continue
            gradients |= self.gradient_code(call)
            model = _forward_receiver(call, self_name)
            if model is not None:
                model = resolved(model)
            if (
                model is not None
                and reachable(model)
                and not gone(model, call)
                and not within_any(model, decided)
            ):
                forwards.append((model, call))
            if model is not None:
                run(model, call)
            if dispatched_receiver(call) is not None:
                if self.dispatch_may_train(call, owner, self_name, depth + 1):
                    # ``getattr(self, hook)()``: a method of the class that may put the
                    # object, or what it is handed, back in train mode.
                    for handed in (self_name or "", *handed_names(call, self_name)):
                        put(resolved(handed), Mode.TRAIN, call)
                continue
            callee = self._callee(call.func, owner, self_name)
            if (
                callee is not None
                and isinstance(call.func, ast.Name)
                and call.func.id in local_names
            ):
                callee = None
            nested = self.nested_callee(call) if callee is None else None
            if callee is None and nested is None:
                continue
            if depth + 1 > MAX_DEPTH:
                # Too deep to read: it may switch what it is handed back to train mode, so
                # none of it counts as left in eval mode (nor as trained) past this call.
                for handed in handed_names(call, self_name):
                    put(resolved(handed), Mode.TRAIN, call)
                continue
            if nested is not None:  # a function nested in this one: its variables are ours
                inner = self.of_nested(*nested, depth + 1, call=call)
                names = self.nested_caller_names(nested[0], call, self_name)
            else:
                assert callee is not None
                inner = self.of_call(callee, call, depth + 1)
                names = self.caller_names(callee, call, self_name)
            # ``self.on_validation_end()``: a subclass of the module that overrides it may
            # put the model back in train mode (ending a period can only hide a finding)
            restorers = (
                self._restoring_overrides(callee, call, self_name, depth + 1)
                if callee is not None and callee[0] is not None
                else []
            )
            if inner is NOTHING and not restorers:
                continue
            gradients |= inner.steps

            def mapped(
                receiver: str, names: Callable[[str], str | None] = names, at: ast.Call = call
            ) -> str | None:
                name = names(receiver)
                if name is None or gone(name, at):
                    return None
                return unwrapped(resolved(name), self_name)

            for receiver in inner.trains:
                name = mapped(receiver)
                if name is not None and not within_any(name, decided):
                    run_first.add(name)
                    gradients = True
            for receiver in inner.hands_back:  # ``loss = compute_loss(model, x, y)``
                name = mapped(receiver)
                if name is not None and reachable(name) and not within_any(name, decided):
                    forwards.append((name, call))
            for receiver in inner.leaves_eval:
                name = mapped(receiver)
                if name is not None:
                    modes[name] = Mode.EVAL
                    setters[name] = call
                    decided.add(name)
            for receiver in inner.leaves_train:
                name = mapped(receiver)
                if name is not None:
                    put(name, Mode.TRAIN, call)
            for receiver in inner.may_train:
                name = mapped(receiver)
                if name is not None:
                    trained.add(name)
            for receiver in inner.validates:
                name = mapped(receiver)
                if name is not None:
                    validated.add(name)
            for receiver in inner.runs:
                name = mapped(receiver)
                if name is not None:
                    run(name, call)
            for receiver, names in restorers:
                name = mapped(receiver, names)
                if name is not None:
                    put(name, Mode.TRAIN, call)
        if gradients:  # a forward trains its model if its output reaches a backward
            facts = self.values.facts(node)
            run_first.update(
                model
                for model, call in forwards
                if model not in run_first
                and self.values.fate(call, node).consumers
                and not facts.bound_without_grad(call)
            )
        if returned_in_eval:
            blocks = blocks or FunctionBlocks(node.body)
            _left_by_early_returns(blocks, returned_in_eval, modes, setters)
        hands_back = frozenset(
            model
            for model, call in (forwards if not gradients and any(shape.returns) else ())
            if self.values.fate(call, node).escapes
        )
        return ModeSummary(
            frozenset(r for r, m in modes.items() if m is Mode.EVAL and reachable(r)),
            frozenset(r for r, m in modes.items() if m is Mode.TRAIN and reachable(r)),
            frozenset(run_first) if gradients else frozenset(),
            returned_parameters(shape.returns, parameters - shape.bound),
            hands_back,
            gradients,
            frozenset(r for r in trained if reachable(r)),
            frozenset(r for r in validated if reachable(r)),
            frozenset(r for r in ran if reachable(r)),
        )

    def _restoring_overrides(
        self, callee: tuple[str | None, str], call: ast.Call, self_name: str | None, depth: int
    ) -> list[tuple[str, CalleeNames]]:
        """For ``self.hook()`` calling the method ``callee`` of a class of the module: the
        receivers that the overrides of it in the module's subclasses leave in train mode,
        each with the map of its names onto the caller's. Every override counts, also one
        of a subclass that never runs the caller (the flow's ``_overrides`` leaves those
        out): a summary serves every caller, and ending a period can only hide a finding."""
        owner, name = callee
        if (
            owner is None
            or not isinstance(call.func, ast.Attribute)
            or not isinstance(call.func.value, ast.Name)
            or call.func.value.id != self_name
        ):
            return []
        return [
            (receiver, self.caller_names((subclass, name), call, self_name))
            for subclass in self.classes.overrides(owner, name)
            for receiver in self.of_call((subclass, name), call, depth).leaves_train
        ]

    def _copies(self, node: FunctionNode, given: Collection[str]) -> dict[int, str]:
        """``id`` of each call of a wrapper that copies a module (``catalog.
        MODULE_COPYING_WRAPPERS``: ``copy.deepcopy``, ``torch.jit.script``) whose result
        ``node`` binds to one of the ``given`` names, with that name."""
        if self._module_copies is None:
            self._module_copies = {}
            for statement in self.values.index.assignments:
                copy = self._copy_bound(statement)
                if copy is not None:
                    owner = self.values.owner_of(statement)
                    self._module_copies.setdefault(id(owner), {})[id(copy[0])] = copy[1]
        return {
            call: name
            for call, name in self._module_copies.get(id(node), {}).items()
            if name in given
        }

    def _copy_bound(self, statement: ast.Assign | ast.AnnAssign) -> tuple[ast.Call, str] | None:
        """The call making a copy of a module that a plain name is bound to, and the name."""
        target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
        if (isinstance(statement, ast.Assign) and len(statement.targets) != 1) or not isinstance(
            target, ast.Name
        ):
            return None
        copy = self._copying_call(statement.value)
        return (copy, target.id) if copy is not None else None

    def _copying_call(self, value: ast.expr | None, helpers: bool = True) -> ast.Call | None:
        """The call in ``value`` that makes a new module: a copying wrapper (``catalog.
        MODULE_COPYING_WRAPPERS``), maybe moved after (``copy.deepcopy(model).to(device)``),
        or, with ``helpers``, a function of the module every ``return`` of which hands back
        such a copy (``def frozen_copy(m): clone = copy.deepcopy(m); ...; return clone``)."""
        while (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in MODULE_RETURNING_METHODS
        ):
            value = value.func.value
        if not isinstance(value, ast.Call):
            return None
        if (
            dotted_name(value.func) in MODULE_COPYING_WRAPPER_NAMES
            or dotted_name(value.func) in MODULE_COPYING_WRAPPERS
            or self.values.qualified(value.func) in MODULE_COPYING_WRAPPERS
        ):
            return value
        definition = (
            self._module_function(value.func.id)
            if helpers and isinstance(value.func, ast.Name)
            else None
        )
        if definition is None:
            return None
        if id(definition) not in self._copying_helpers:
            self._copying_helpers[id(definition)] = self._returns_a_copy(definition)
        return value if self._copying_helpers[id(definition)] else None

    def _returns_a_copy(self, definition: FunctionNode) -> bool:
        """Every ``return`` of the function hands back a copy it makes: a copying call, or a
        name the function binds to nothing else."""
        bound: dict[str, list[ast.expr | None]] = {}
        for node in ast.walk(definition):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            bound.setdefault(name.id, []).append(
                                node.value if target is name else None
                            )
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                if isinstance(node.target, ast.Name):
                    bound.setdefault(node.target.id, []).append(None)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.withitem)):
                stored = (
                    node.target if isinstance(node, (ast.For, ast.AsyncFor)) else node.optional_vars
                )
                for name in ast.walk(stored) if stored is not None else ():
                    if isinstance(name, ast.Name):
                        bound.setdefault(name.id, []).append(None)
        returns = function_shape(definition).returns
        return bool(returns) and all(
            self._copying_call(value, helpers=False) is not None
            or (
                isinstance(value, ast.Name)
                and bool(bound.get(value.id))
                and all(
                    self._copying_call(made, helpers=False) is not None for made in bound[value.id]
                )
            )
            for value in returns
        )

    def shadowed(self) -> frozenset[str]:
        """The mode setters' names some class of the module defines a method of its own
        under (``catalog.shadows_mode_setter``): for the screens, which read a loop without
        its class, a call ``x.train(loader)`` on a plain name may be that method's."""
        if self._shadowed is None:
            self._shadowed = frozenset(
                name
                for (owner, name), node in self.definitions.items()
                if owner is not None and self._own_method(owner, name, node)
            )
        return self._shadowed

    def _own_method(self, owner: str, name: str, definition: FunctionNode) -> bool:
        """``owner``'s method ``name`` (its own or inherited from ``definition``) runs the
        class's code where a mode setter's call is written: it takes other parameters than
        the setter (``catalog.shadows_mode_setter``), or the class is no module at all (a
        ``Trainer`` with ``def train(self)``: one epoch)."""
        positional = [a.arg for a in (*definition.args.posonlyargs, *definition.args.args)]
        if shadows_mode_setter(name, positional[1:]):
            return True
        return name in MODE_SETTER_METHODS and self.classes.plain_class(owner)

    def calls_a_local(self, call: ast.Call) -> bool:
        """``evaluate(model)`` in a function that binds ``evaluate`` itself (a parameter,
        an assignment, a nested ``def``): not the module's function, nor an imported one."""
        func = call.func
        node = self.values.owner_of(call)
        if not isinstance(func, ast.Name) or not isinstance(node, FUNCTIONS):
            return False
        arguments = node.args
        every = (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        every += tuple(a for a in (arguments.vararg, arguments.kwarg) if a is not None)
        return func.id in self._shape(node).bound or any(a.arg == func.id for a in every)

    def instance_class(self, call: ast.Call) -> str | None:
        """The class of the module whose method ``model.evaluate(loader)`` calls: the one
        that every binding of ``model`` in the function makes (``model = Net()``), or the
        base class of the module it inherits the method from (``trainer = MyTrainer()``,
        ``class MyTrainer(BaseTrainer)``)."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        function = self.values.function_of(call)
        if function is None:
            return None
        classes = set()
        for binding in function.bindings:
            if func.value.id not in binding.names:
                continue
            value = binding.value
            if not (
                isinstance(binding.target, ast.Name)
                and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
            ):
                return None
            made: str | None = value.func.id
            if (made, func.attr) not in self.definitions:
                made = self.classes.inherited_from(value.func.id, func.attr)
            if made is None:
                return None
            classes.add(made)
        return classes.pop() if len(classes) == 1 else None

    def runs_own_method(self, call: ast.Call, owner: str | None, self_name: str | None) -> bool:
        """``self.train(loader)`` in a class that defines ``train`` with parameters of its
        own (``catalog.shadows_mode_setter``): a call of that method, not a mode setter."""
        func = call.func
        if not (
            owner is not None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == self_name
        ):
            return False
        definition = self.definitions.get((owner, func.attr))
        if definition is None:
            base = self.classes.inherited_from(owner, func.attr)
            definition = self.definitions.get((base, func.attr)) if base is not None else None
        if definition is None:
            return False
        return self._own_method(owner, func.attr, definition)

    def gradient_code(self, call: ast.Call) -> bool:
        """A backward pass, an optimizer step or torch's gradient functions: the calls
        ``intent.gradient_code`` takes for gradient code, but requires-grad preparations."""
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in GRAD_INTENT_METHODS:
                return True
            receiver = dotted_name(func.value)
            if (
                func.attr in OPTIMIZER_METHODS
                and receiver is not None
                and looks_like_optimizer(receiver)
            ):
                return True
        qualified = self.values.qualified(func)
        return qualified is not None and qualified.startswith(GRAD_INTENT_FUNCTIONS)

    def _callee(
        self, func: ast.expr, owner: str | None, self_name: str | None
    ) -> tuple[str | None, str] | None:
        if isinstance(func, ast.Name) and (
            (None, func.id) in self.definitions or self.imported.imports(func.id)
        ):
            return (None, func.id)
        name = self.imported.callee_name(func)
        if name is not None and "." in name and self.imported.imports(name):
            return (None, name)  # ``util.evaluate(model)``
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and owner is not None
            and func.value.id == self_name
        ):
            if (owner, func.attr) in self.definitions:
                return (owner, func.attr)
            base = self.classes.inherited_from(owner, func.attr)
            if base is not None:
                return (base, func.attr)
        if (
            isinstance(func, ast.Attribute)
            and owner is not None
            and is_super(func.value, owner, self_name)
        ):  # ``super().validate(loader)``: the base class's
            base = self.classes.super_method(owner, func.attr)
            if base is not None:
                return (base, func.attr)
        return None

    def aliases_at(self, call: ast.Call) -> dict[str, str]:
        """The names the function (or module code) around ``call`` binds to one of its
        parameters (``self`` among them), a name or an attribute of one, and never to
        anything else (``model = self.model``, ``ddp = DDP(model)``): a mode a callee
        leaves on that object is theirs too."""
        node = self.values.owner_of(call)
        if isinstance(node, FUNCTIONS):
            return self._shape(node).aliases
        if isinstance(node, ast.Module):
            if self._module_aliases is None:
                self._module_aliases = module_aliases(node, self.kept_arguments)
            return self._module_aliases
        return {}

    def same_object(self, call: ast.Call, name: str) -> list[str]:
        """``name`` and the other names the function around ``call`` binds to the same
        object (``aliases_at``): a mode set on any of them is the others' too, and on the
        wrapper an alias unwraps to (``model_without_ddp = model.module``: ``model``)."""
        aliases = self.aliases_at(call)
        target = aliases.get(name, name)
        names = [target, *(alias for alias, of in aliases.items() if of == target)]
        whole = unwrapped(target, self._self_name_around(call))
        return names if whole in names else [*names, whole]

    def train_reaches(self, call: ast.Call, name: str) -> list[str]:
        """``same_object``, and the models an object of that name keeps (``full =
        FullModel(model, loss)``: ``full.train()`` puts ``model`` in train mode, as a
        container module's ``train()`` does its submodules). For ending eval periods only:
        a train setter of a plain object that keeps a model does nothing to it, and then
        a period is ended early, which can only hide a finding."""
        aliases = self.aliases_at(call)
        names = self.same_object(call, name)
        kept = [of for alias, of in aliases.items() if alias.startswith(name + ".")]
        names += [k for k in kept if k not in names]
        owner, self_name = self._method_around(call)
        twins = self.attribute_twins(owner)
        return [*names, *(t for n in names for t in twin_names(n, self_name, twins))]

    def attribute_twins(self, owner: str | None) -> Twins:
        """The attributes of class ``owner`` (and the module's classes it derives from, or
        that derive from it) that name one object (:mod:`.attribute_twins`)."""
        if owner is None:
            return {}
        known = self._twins.get(owner)
        if known is None:
            classes = (module_class(self.values.tree, c) for c in self.classes.related(owner))
            known = self._twins[owner] = attribute_twins(c for c in classes if c is not None)
        return known

    def dispatch_may_train(
        self, call: ast.Call, owner: str | None, self_name: str | None, depth: int = 0
    ) -> bool:
        """``getattr(self, name)(...)`` in a method of class ``owner``
        (``catalog.METHOD_BY_NAME``): whether the method it looks up may put a model back in
        train mode. It is one of the class's methods (or of the module's classes it derives
        from or that derive from it): the one named, where the name is written out, else
        any; one too deep to read counts as one that may, as any call does. ``getattr`` on
        another object reads as any call the analysis cannot follow."""
        func = call.func
        if (
            owner is None
            or self_name is None
            or not isinstance(func, ast.Call)
            or dispatched_receiver(call) != self_name
        ):
            return False
        if depth > MAX_DEPTH:
            return True
        name = func.args[1]
        wanted = name.value if isinstance(name, ast.Constant) else None
        classes = self.classes.related(owner)
        return any(
            self.of(cls, method, depth).leaves_train
            for cls, method in self.definitions
            if cls in classes and (wanted is None or method == wanted)
        )

    def _self_name_around(self, call: ast.Call) -> str | None:
        """The ``self`` of the method of the module's classes that makes ``call``."""
        return self._method_around(call)[1]

    def _method_around(self, call: ast.Call) -> tuple[str | None, str | None]:
        """The class and ``self`` of the method of the module's classes that makes ``call``."""
        node = self.values.owner_of(call)
        if not isinstance(node, FUNCTIONS):
            return None, None
        owner = next(
            (owner for (owner, _), definition in self.definitions.items() if definition is node),
            None,
        )
        return owner, method_self_of(node, owner)

    def _shape(self, node: FunctionNode) -> FunctionShape:
        known = self._shapes.get(id(node))
        if known is None:
            known = self._shapes[id(node)] = function_shape(node, self.kept_arguments)
        return known

    def kept_arguments(self, call: ast.Call) -> dict[str, ast.expr]:
        """Attribute -> argument, for a call of one of torch's container modules
        (``nn.Sequential(encoder, decoder)``: each submodule it is made of), or of a class
        of the module whose ``__init__`` keeps a parameter as it is given (``self.model = model``, at the top of its body,
        the parameter never rebound) in an attribute no other code of the module may set
        (``kept_parameters``): ``Evaluator(model, loader).model`` is ``model`` for as long
        as the object lives."""
        func = call.func
        if self.values.qualified(func) in MODULE_CONTAINERS:
            return container_elements(call)
        if not isinstance(func, ast.Name):
            return {}
        kept = self._kept_parameters(func.id)
        if not kept:
            return {}
        arguments = self.definitions[(func.id, "__init__")].args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)][1:]
        keywords = {a.arg for a in (*arguments.args, *arguments.kwonlyargs)}
        given = arguments_given(call, positional, keywords) or {}
        return {attribute: given[name] for attribute, name in kept.items() if name in given}

    def _kept_parameters(self, name: str) -> dict[str, str]:
        """``kept_arguments`` of class ``name``: attribute -> the parameter it keeps."""
        if name not in self._kept:
            self._kept[name] = kept_parameters(
                self.values.tree, name, self.definitions, self._attribute_stores
            )
        return self._kept[name]

    def _attribute_stores(self) -> list[tuple[str, ast.ClassDef | None]] | None:
        if not self._stores_read:
            self._stores, self._stores_read = attribute_stores(self.values.tree), True
        return self._stores

    def caller_names(
        self, callee: tuple[str | None, str], call: ast.Call, caller_self: str | None
    ) -> CalleeNames:
        foreign = self.imported.function(callee[1]) if callee[0] is None else None
        definition = foreign[2] if foreign is not None else self.definitions[callee]
        return CalleeNames(definition, callee[0], call, caller_self, self._module_function)

    def _module_function(self, name: str) -> FunctionNode | None:
        """The module's own function ``name``, if it defines one."""
        return self.definitions.get((None, name))


def summaries_of(values: ModuleValues) -> ModeSummaries:
    """The summaries of the module ``values`` reads, made once per reading: the flow pass,
    the screens and NG003's reading of the functions a module imports share them, and the
    modules beside that they read."""
    return values.modes if values.modes is not None else ModeSummaries(values)


def _through_parameters(
    summary: ModeSummary, node: ast.FunctionDef | ast.AsyncFunctionDef
) -> ModeSummary:
    """What a function of another module does to the models its caller hands it: the
    receivers of ``summary`` that start from a parameter (that module's own models are not
    the caller's, whatever their names)."""
    parameters = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}

    def handed(receivers: frozenset[str]) -> frozenset[str]:
        return frozenset(r for r in receivers if r.split(".", 1)[0] in parameters)

    return ModeSummary(
        handed(summary.leaves_eval),
        handed(summary.leaves_train),
        handed(summary.trains),
        summary.returns,
        handed(summary.hands_back),
        summary.steps,
        handed(summary.may_train),
        handed(summary.validates),
        handed(summary.runs),
    )


def mode_call(
    call: ast.Call, shadowed: frozenset[str] = frozenset()
) -> tuple[str | None, Mode] | None:
    """``(receiver, mode)`` for a mode setter's call (``model.to(dev).eval()``: the chain's
    base, as ``eval_mode.chain_of`` reads it; None when it is no plain name), else None. ``shadowed``: setter names that a call on a plain name
    (``self.train(loader)``) may use for a class's own method (``ModeSummaries.shadowed``):
    not a setter's call then."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in MODE_SETTER_METHODS:
        return None
    base = unbound_receiver(call)  # ``model`` of ``nn.Module.train(model)``
    if base is None and func.attr in shadowed and isinstance(func.value, ast.Name):
        return None
    mode = mode_set(func.attr, call_args(call), base is not None)
    base = base or func.value
    if mode is None:
        return None
    while (
        isinstance(base, ast.Call)
        and isinstance(base.func, ast.Attribute)
        and base.func.attr in MODULE_RETURNING_METHODS
        and dotted_name(base.func) not in EVAL_PRESERVING_WRAPPERS
    ):
        base = base.func.value
    return dotted_name(base), mode


def calls_and_returns_in_order(
    body: list[ast.stmt], decide: Callable[[ast.expr], bool | None] | None = None
) -> Iterator[ast.Call | ast.Return]:
    """The calls of a function body in evaluation order (a call after its callee and
    arguments), leaving out nested functions, lambdas and classes: they run later; and its
    ``return`` statements, each after the calls of its value. ``decide``: the arm each
    ``if`` takes, where a call's literals decide it (:mod:`.phase_arguments`); the other arm
    is left out, and so is all that follows an arm of the body's own statements that
    surely leaves the function (``if not enabled: return``)."""
    stack: list[tuple[object, bool]] = [(statement, False) for statement in reversed(body)]
    top = {id(statement) for statement in body} if decide else set()
    guarded: list[bool] = []  # whether the function has a ``try``, read on first need
    while stack:
        node, done = stack.pop()
        if done:
            if node is _LEFT:
                return
            yield node  # type: ignore[misc]
            continue
        assert isinstance(node, ast.AST)
        if isinstance(node, OWN_SCOPES):
            continue
        if isinstance(node, (ast.Call, ast.Return)):
            stack.append((node, True))
        taken = decide(node.test) if decide and isinstance(node, (ast.If, ast.IfExp)) else None
        if taken is None:
            stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(node))))
            continue
        branch = cast(Union[ast.If, ast.IfExp], node)
        chosen = branch.body if taken else branch.orelse
        arm: list[ast.AST] = list(chosen) if isinstance(chosen, list) else [chosen]
        if id(node) in top and arm and isinstance(arm[-1], (ast.Return, ast.Raise)):
            if not guarded:
                guarded.append(_has_try(body))
            if not guarded[0]:  # else a ``try`` may catch it, or run a ``finally``
                stack.append((_LEFT, True))
        stack.extend((child, False) for child in reversed(arm))
        stack.append((branch.test, False))  # the test runs first (``if check(m) or force:``)


#: Where, in ``calls_and_returns_in_order``, an arm taken for sure leaves the function.
_LEFT = object()


def _has_try(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(node, (ast.Try, *_TRY_STAR))
        for statement in body
        for node in ast.walk(statement)
    )


_TRY_STAR: tuple[type, ...] = (ast.TryStar,) if hasattr(ast, "TryStar") else ()


def _left_by_early_returns(
    blocks: FunctionBlocks,
    returned_in_eval: list[tuple[str, ast.Call, ast.Return]],
    modes: dict[str, Mode],
    setters: dict[str, ast.Call],
) -> None:
    """Back to eval mode in ``modes``, the receivers that a ``return`` leaves in it before
    the ``train()`` that ends the function runs, where both that ``return`` and that
    ``train()`` follow their ``eval()`` on its path (:mod:`.early_returns`; not in the
    other arm of an ``if``) and no ``finally`` runs after the ``return``."""
    for name, setter, statement in returned_in_eval:
        if (
            modes.get(name) is Mode.TRAIN
            and id(statement) not in blocks.past_finally
            and blocks.runs_after(setter, statement)
            and blocks.runs_after(setter, setters[name])
        ):
            modes[name] = Mode.EVAL


def is_whole_model(name: str, self_name: str | None) -> bool:
    """``model``, ``self.model``, ``model.module``: not a submodule such as
    ``model.backbone``, whose ``eval()`` in a training loop is a deliberate freeze."""
    parts = name.split(".")
    if self_name is not None and parts[0] == self_name:
        parts = parts[1:]
    return len([p for p in parts if p not in WRAPPED_MODULE_ATTRIBUTES]) <= 1


def _forward_receiver(call: ast.Call, self_name: str | None) -> str | None:
    """``model`` of ``model(x)`` / ``model.forward(x)``, ``self.model`` of ``self.model(x)``:
    a name or an attribute of ``self`` called like a model, not a method of some object
    (``optimizer.zero_grad()``, ``x.to(device)``) nor a loss (``criterion(out, y)``)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in FORWARD_METHODS:
        func = func.value
    if isinstance(func, ast.Name):
        name = func.id
    elif (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == self_name
    ):
        name = f"{self_name}.{func.attr}"
    else:
        return None
    return None if LOSS_FUNCTION_NAME.search(name.rsplit(".", 1)[-1]) else name
