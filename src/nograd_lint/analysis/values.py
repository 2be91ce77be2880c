"""Where the output of a forward call goes, read off the stdlib ``ast`` tree.

Gradient code excuses a forward call only when it needs *that* call's graph: a backward pass
over a value derived from its output, or a training step on its model's parameters. This
module answers the value half, for the screen and for the analysis alike, so that the two
layers cannot disagree about it: for one forward call, within the function that makes it,

- which gradient calls differentiate a value derived from its output (``loss.backward()``
  after ``loss = criterion(model(x), y)``), with the ``if`` conditions each runs under;
- whether a value still carrying its graph leaves what the analysis can see (returned,
  stored on an object, handed to an unknown call, read by a nested function): then anyone
  may differentiate it, and the analysis stays with its period rule;
- whether one of its inputs requires grad (``x.requires_grad_()`` anywhere in the function,
  before ``eval()`` too).

A value stops carrying a graph through ``.item()``, ``.detach()``, ``.data``, comparisons,
``argmax`` and the like (``catalog.GRAPH_DROPPING_*``). Names are followed without regard to
order (an over-approximation: a name that holds a derived value anywhere holds one
everywhere), which can only find more consumers and escapes, never fewer: precision first.
The module imports no LibCST, so the screen can use it before the analysis is loaded.

This module holds the facts of the module as a whole (:class:`ModuleValues`: its index, its
models and optimizers, its imports); each function's bindings and the questions about a
value in it are :mod:`.function_values`'s, the readings of one node both share are
:mod:`.value_readings`', and the answer for one call is a :class:`.fates.Fate`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple, cast

from ..ast_names import (
    FUNCTIONS,
    LEAVES,
    call_args,
    dotted_name,
    inner_nodes,
    own_statements,
)
from ..lazy_pattern import LazyPattern
from ..prefilter import GAP, MODEL_METHOD_CALL, word
from ..source import physical_lines
from .catalog import (
    CONTAINER_ADDERS,
    GRAD_DECORATORS_REACH_COROUTINES,
    GRAD_MODE_FACTORIES,
    GRAD_MODE_SETTERS,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_CONSUMING_METHODS,
    GRAPH_READING_ATTRIBUTES,
    MODEL_METHODS,
    MODULE_BASE_NAMES,
    NON_MODEL_NN,
    NUMBER_READING_MODULES,
    OPTIMIZER_MODULES,
    PARAMETER_METHODS,
    PASS_THROUGH_BUILTINS,
    PRETRAINED_LOADERS,
    GradEffect,
    grad_effect,
    loads_eval_model,
    looks_like_optimizer,
)
from .value_readings import (
    ASSIGNMENTS,
    FunctionNode,
    assignment_pairs,
    is_accumulation,
    is_self_attribute,
    keeps_comprehension,
    never_carries,
    qualified_with,
    requires_grad_targets,
    statements_within,
    without_module_methods,
)

if TYPE_CHECKING:
    from .fates import Fate, Guards, Kept
    from .function_values import FunctionValues
    from .mode_summaries import ModeSummaries


class _ClassFacts(NamedTuple):
    """What a class of the module does with the attributes of ``self``
    (``ModuleValues._class_facts``), and the answers ``class_models`` gave, by attribute."""

    methods: frozenset[str]
    filled: set[str]
    used: set[str]
    handed: dict[str, list[tuple[FunctionNode, str]]]
    models: dict[str, bool]


class ModuleValues:
    """Value facts of one module's ``ast`` tree, computed per function on first use."""

    def __init__(self, tree: ast.Module, path: str | None = None) -> None:
        self.tree = tree
        #: The file the module was read from, if any: the modules beside it that it imports
        #: functions from are read too (:mod:`.sibling_modules`).
        self.path = path
        self._index: _Index | None = None
        self._lines: list[str] | None = None
        self._functions: dict[int, FunctionValues] = {}
        self._optimizers: dict[tuple[int, str], frozenset[str] | None] | None = None
        self._tensors: frozenset[str] | None = None
        self._models: frozenset[str] | None = None
        self._statements: _StatementFacts | None = None
        self._plain: dict[str, FunctionNode | ast.ClassDef] | None = None
        self._keeps_nothing: dict[int, bool] = {}
        self._differentiated_parameters: dict[int, dict[str, frozenset[str]]] = {}
        self._classes_of: dict[int, ast.ClassDef] | None = None
        self._class_facts_of: dict[int, _ClassFacts] = {}
        self._unwraps: bool | None = None
        self._grad_mode_users: dict[str, bool] = {}
        self._definitions_by_name: (
            dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] | None
        ) = None
        self._grad_mode_aliases: set[str] | None = None
        self._detaching: dict[str, bool] = {}
        #: What the mode summaries read of the modules beside this one, kept with this
        #: reading and no longer: a tree kept across a run's files is tens of thousands of
        #: objects that every full collection of the host's garbage collector walks.
        self.beside: dict[str, ModeSummaries | None] = {}
        #: The summaries of this module, once made (``mode_summaries.summaries_of``).
        self.modes: ModeSummaries | None = None

    # -- the questions ---------------------------------------------------------------

    def surely_consumed(self, call: ast.Call, within: FunctionNode, source: str) -> bool:
        """``fate(call).surely_consumed()`` for a call of the function ``within``, without
        reading the function when its text cannot hold a consumer (``_may_consume``)."""
        if not self._may_consume(within, self._lines_of(source)):
            return False
        return self.fate(call, within).surely_consumed()

    def _lines_of(self, source: str) -> list[str]:
        """The source's lines, split once per module: the screen asks for every suspect."""
        if self._lines is None:
            self._lines = physical_lines(source)
        return self._lines

    def _may_consume(self, node: FunctionNode, lines: list[str]) -> bool:
        text = (
            "".join(lines)
            if isinstance(node, ast.Module)
            else "".join(lines[node.lineno - 1 : node.end_lineno])
        )
        return self._statement_facts().consumers().search(text) is not None

    def fate(self, call: ast.Call, within: FunctionNode | None = None) -> Fate:
        """``within``: the function that makes the call, when the caller knows it (else it
        is looked up in a walk of the whole module)."""
        from .fates import UNKNOWN

        function = self._function(within) if within is not None else self._function_of(call)
        if function is None:
            return UNKNOWN
        try:
            return function.fate(call)
        except RecursionError:
            return UNKNOWN

    def kept(self, call: ast.Call) -> list[Kept]:
        """Where ``call``'s graph is kept across loop iterations (:class:`Kept`)."""
        function = self._function_of(call)
        if function is None:
            return []
        try:
            return function.kept(call)
        except RecursionError:
            return []

    def model_names(self) -> frozenset[str]:
        """Names NG002 may take for models anywhere in the module: those of the functions
        that accumulate in a loop, and of module-level code; loosely
        (``FunctionValues.loose_model_names``): ``kept`` confirms them where it matters."""
        if self._models is None:
            names = set(self._module_level().model_names())
            for function in self._accumulating():
                names |= function.loose_model_names()
            self._models = frozenset(names)
        return self._models

    def graph_keeping_calls(self, source: str | None = None) -> list[ast.Call]:
        """Model calls whose graph some loop keeps (what the screen passes on for NG002,
        whatever the grad mode: only the analysis knows that). Most modules accumulate
        nothing in a loop, which a walk over statements alone shows; the rest is read only
        in the functions that do, and, given the ``source``, only in those whose text
        names a model at all (``_may_name_models``)."""
        found: list[ast.Call] = []
        lines = self._lines_of(source) if source is not None else None
        for node in self._statement_facts().accumulating:
            if lines is not None and not self._may_name_models(node, lines):
                continue
            function = self._function(node)
            if not function.may_keep_any():
                continue
            calls = function.model_calls()
            # One pass for all of them: a function is kept whole or not at all (``prune``).
            if calls and function.kept_any(calls):
                found.extend(calls)
        return found

    def _may_name_models(self, node: FunctionNode, lines: list[str]) -> bool:
        """Whether the text of ``node`` can hold a name ``FunctionValues.model_names`` (or the
        module's own code) takes for a model: a model method's call, a model class of the
        module, a pretrained loader, a name bound to torch or ``torch.nn``, torchvision, or
        a model of module-level code. A test on text, far cheaper than reading the body."""
        if isinstance(node, ast.Module):
            text = "".join(lines)
        else:
            text = "".join(lines[node.lineno - 1 : node.end_lineno])
        words = (
            *self.module_classes(),
            *MODULE_BASE_NAMES,  # annotations: ``model: LightningModule``
            *PRETRAINED_LOADERS,
            "torchvision",
            *self._statement_facts().vision,  # ``models.resnet18()``
        )
        if any(word in text for word in words) or MODEL_METHOD_CALL.search(text):
            return True
        pattern = self._statement_facts().module_builders()
        if pattern is not None and pattern.search(text) is not None:
            return True
        # What needs the module's own code read, last.
        if any(word in text for word in self.global_models_of(node)):
            return True
        return not isinstance(node, ast.Module) and self._may_infer_models(node, text)

    def _may_infer_models(self, node: FunctionNode, text: str) -> bool:
        """Whether ``FunctionValues.kept_model_names`` may find a model by what is done with a
        name: a parameter that is called, a loop over an attribute the class fills with
        models, an attribute the class uses as a model (``class_models``)."""
        if not isinstance(node, FUNCTIONS):
            return False
        if self.class_models(node, set(_SELF_CALLED.findall(text))):
            return True
        arguments = node.args
        parameters = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        parameters += [a.arg for a in arguments.kwonlyargs]
        if (
            parameters
            and self.plain_function(node.name) is node
            and re.search(rf"{word(parameters)}{GAP}\(", text)
        ):
            return True
        looped = _LOOP_OVER_SELF.findall(text)
        return bool(looped) and bool(self.model_holding_attributes(node, looped))

    def global_models_of(self, node: FunctionNode) -> frozenset[str]:
        """The models of the module's own code, which the function ``node`` reads as
        globals: none for the module's code itself."""
        if isinstance(node, ast.Module):
            return frozenset()
        return self._module_level().model_names()

    def module_classes(self) -> frozenset[str]:
        """Classes of the module with a module base (``class Net(nn.Module)``)."""
        return self._statement_facts().classes

    def _accumulating(self) -> list[FunctionValues]:
        return [self._function(node) for node in self._statement_facts().accumulating]

    def foreign_imports(self) -> tuple[set[str], set[str]]:
        """The names the module binds, in any scope, to functions and to modules of another
        library than torch (``make_loader`` of ``from data import make_loader``, ``tqdm``
        of ``import tqdm``)."""
        facts = self._statement_facts()
        return facts.foreign_functions, facts.foreign_modules

    def _statement_facts(self) -> _StatementFacts:
        if self._statements is None:
            self._statements = _StatementFacts(self.tree)
        return self._statements

    def _module_level(self) -> FunctionValues:
        return self._function(self.tree)

    def facts(self, node: FunctionNode) -> FunctionValues:
        """The value facts of the function ``node`` itself (``function_of`` takes a node
        inside it)."""
        return self._function(node)

    def _function(self, node: FunctionNode) -> FunctionValues:
        function = self._functions.get(id(node))
        if function is None:
            # Imported on first need: most files a screen reads ask no function's values.
            from .function_values import FunctionValues

            function = self._functions[id(node)] = FunctionValues(node, self)
        return function

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.tree)
        return self._index

    @property
    def _torch(self) -> dict[str, str]:
        return self._statement_facts().torch

    def guards(self, node: ast.AST) -> Guards:
        """The ``if`` conditions ``node`` (a call) runs under within its function."""
        from .fates import NO_GUARDS

        function = self._function_of(node)
        return function.guards.get(id(node), NO_GUARDS) if function is not None else NO_GUARDS

    def optimizer_models(self, receiver: str, at: ast.AST | None) -> frozenset[str] | None:
        """The models whose parameters the optimizer that ``receiver`` names where ``at``
        (a call) runs updates; None if that is not known (an optimizer handed in as a
        parameter, or one of a class built where we cannot see)."""
        if self._optimizers is None:
            self._optimizers = self._collect_optimizers()
        function = self._function_of(at) if at is not None else None
        owner = function.node if function is not None else self.tree
        local = self._optimizers.get((id(owner), receiver))
        if local is not None or (id(owner), receiver) in self._optimizers:
            return local
        if function is not None and receiver in function.local:
            return None  # bound here to something else: unknown
        if receiver.startswith("self."):  # set in ``__init__`` or another method
            return self._optimizers.get((0, receiver))
        return self._optimizers.get((id(self.tree), receiver))

    def qualified(self, func: ast.AST) -> str | None:
        """``torch.autograd.grad`` for ``grad`` after ``from torch.autograd import grad``."""
        return qualified_with(func, self._torch)

    def makes_model(self, call: ast.Call, classes: frozenset[str]) -> bool:
        """Whether ``call`` builds a model: one of ``classes``, a pretrained loader's model,
        a ``torch.nn`` module class, or a torchvision model, as this module names them."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in classes:
            return True
        if isinstance(func, ast.Attribute) and func.attr == "from_pretrained":
            owner = dotted_name(func.value)
            return owner is not None and loads_eval_model(owner.rsplit(".", 1)[-1])
        qualified = self.qualified(func) or ""
        if qualified.startswith("torch.nn."):
            last = qualified.rsplit(".", 1)[-1]
            return last[:1].isupper() and not NON_MODEL_NN.search(last)
        vision = qualified_with(func, self._statement_facts().vision) or ""
        return vision.startswith("torchvision.models.")

    def names_grad_mode(self, node: ast.Name | ast.Attribute) -> bool:
        """``torch.set_grad_enabled``, or a module-level name bound to such an API
        (``sge = torch.set_grad_enabled``)."""
        if self._grad_mode_aliases is None:
            self._grad_mode_aliases = {
                target.id
                for statement in self.tree.body
                if isinstance(statement, ast.Assign)
                and isinstance(statement.value, (ast.Name, ast.Attribute))
                and self.qualified(statement.value) in _GRAD_MODE_APIS
                for target in statement.targets
                if isinstance(target, ast.Name)
            }
        last = node.id if isinstance(node, ast.Name) else node.attr
        if isinstance(node, ast.Name) and last in self._grad_mode_aliases:
            return True
        # Only a name spelled like one of torch's can be one (``enable_grad`` imported
        # under another name is a module-level alias too, read above).
        return last in _GRAD_MODE_WORDS and self.qualified(node) in _GRAD_MODE_APIS

    def uses_grad_mode(self, func: ast.expr) -> bool:
        """``func`` names a function or method of the module that opens a ``with`` block or
        names a grad-mode API: a call of it may switch grad mode on."""
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            name = func.attr
        else:
            return False
        definitions = self.definitions_named(name)
        if not definitions:
            return False
        known = self._grad_mode_users.get(name)
        if known is None:
            known = self._grad_mode_users[name] = any(
                isinstance(inner, (ast.With, ast.AsyncWith))
                or (isinstance(inner, (ast.Name, ast.Attribute)) and self.names_grad_mode(inner))
                for definition in definitions
                for statement in definition.body
                for inner in ast.walk(statement)
            )
        return known

    def definitions_named(self, name: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Every function and method of the module called ``name``, nested ones too."""
        if self._definitions_by_name is None:
            found: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
            for node in ast.walk(self.tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.setdefault(node.name, []).append(node)
            self._definitions_by_name = found
        return self._definitions_by_name.get(name, [])

    def unwraps_functions(self) -> bool:
        """The module calls some function without its decorators (``f.__wrapped__(x)``,
        or a name bound to one)."""
        if self._unwraps is None:
            index = self.index
            self._unwraps = any(
                isinstance(node.func, ast.Attribute) and node.func.attr == _WRAPPED
                for node in index.calls
            ) or any(
                isinstance(node.value, ast.Attribute) and node.value.attr == _WRAPPED
                for node in index.assignments
            )
        return self._unwraps

    def decorated_grad_effect(
        self, definition: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> GradEffect | None:
        """The grad mode torch's decorators run the function's body under
        (``@torch.no_grad()``, ``@torch.enable_grad()``); None when none sets it. Decorators
        wrap from the bottom up, so the one nearest the ``def`` decides. None for an
        ``async def`` (``catalog.GRAD_DECORATORS_REACH_COROUTINES``)."""
        effect = None
        if isinstance(definition, ast.AsyncFunctionDef) and not GRAD_DECORATORS_REACH_COROUTINES:
            return None
        for decorator in definition.decorator_list:
            func = decorator.func if isinstance(decorator, ast.Call) else decorator
            known = GRAD_MODE_FACTORIES.get(self.qualified(func) or "")
            if known is not None:
                arguments = call_args(decorator) if isinstance(decorator, ast.Call) else None
                effect = grad_effect(known, arguments)
        return effect

    def sets_grad_mode(self, decorator: ast.expr) -> bool:
        """Whether ``decorator`` is one of torch's grad-mode decorators
        (``@torch.no_grad()``), which run the function as it is, in a grad mode."""
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        return self.qualified(func) in GRAD_MODE_FACTORIES

    def reader(self, func: ast.AST) -> str | None:
        """``matplotlib.pyplot.plot`` for ``plt.plot``: a function of a library that reads
        numbers (``catalog.NUMBER_READING_MODULES``), qualified as imported; else None."""
        return qualified_with(func, self._statement_facts().readers)

    # -- what NG002 learns from the rest of the module ---------------------------------

    def returns_detached(self, name: str) -> bool:
        """The module's plain function ``name`` hands back no graph: every ``return`` gives
        a value that never carries one (``h.detach()``), itself called on parts of it, or
        tuples, lists and comprehensions of those; as the classic ``repackage_hidden``
        of truncated backpropagation through time does."""
        known = self._detaching.get(name)
        if known is None:
            node = self.plain_function(name)
            returns = [
                statement.value
                for statement in (statements_within(node) if node is not None else ())
                if isinstance(statement, ast.Return)
            ]
            known = self._detaching[name] = bool(returns) and all(
                value is None or _detached_parts(value, name) for value in returns
            )
        return known

    def plain_function(self, name: str) -> FunctionNode | None:
        """The module's function ``name``, if the module binds that name once, by a plain
        ``def`` at its top level (no decorator to wrap it)."""
        found = self._plain_definitions().get(name)
        return found if isinstance(found, FUNCTIONS) else None

    def plain_class(self, name: str) -> ast.ClassDef | None:
        """The module's class ``name``, bound once, by a ``class`` statement at its top
        level without decorators (``Catcher = GradCatcher`` under an ``if`` binds it
        again)."""
        found = self._plain_definitions().get(name)
        return found if isinstance(found, ast.ClassDef) else None

    def _plain_definitions(self) -> dict[str, FunctionNode | ast.ClassDef]:
        if self._plain is None:
            definitions: dict[str, list[ast.stmt]] = {}
            for statement in self.tree.body:
                for bound in top_level_names(statement):
                    definitions.setdefault(bound, []).append(statement)
            self._plain = {
                bound: found[0]
                for bound, found in definitions.items()
                if len(found) == 1
                and isinstance(found[0], (*FUNCTIONS, ast.ClassDef))
                and not found[0].decorator_list
            }
        return self._plain

    def keeps_nothing(self, helper: FunctionNode) -> bool:
        """Whether a function of the module lets no value of its parameters go on
        (``FunctionValues.keeps_nothing``); read one level deep: its own helpers count as code
        we cannot see."""
        known = self._keeps_nothing.get(id(helper))
        if known is None:
            self._keeps_nothing[id(helper)] = False  # while it is read: recursion
            known = self._keeps_nothing[id(helper)] = self._function(helper).keeps_nothing()
        return known

    def differentiated_parameters(
        self, helper: FunctionNode, only: Collection[str] | None = None
    ) -> dict[str, frozenset[str]]:
        """The parameters of a function of the module whose values reach a gradient call
        in its body, or in a function of the module it hands them to (``def step(loss,
        optimizer): loss.backward()``): what a caller gives one of them is differentiated
        there, a training step's backward as much as one written in the caller. Each
        with the flags that every such gradient call needs true (``if train:
        loss.backward()``: ``train``), parameters the function never rebinds.
        ``only``: the parameters a screen asks about, read alone (each parameter costs a
        reading of what its value reaches) and not kept, as the answer is partial."""
        known = self._differentiated_parameters.get(id(helper))
        if known is not None:
            return known
        self._differentiated_parameters[id(helper)] = {}  # while it is read: recursion
        try:
            found = self._read_differentiated_parameters(helper, only)
        finally:
            if only is not None:
                del self._differentiated_parameters[id(helper)]
        if only is None:
            self._differentiated_parameters[id(helper)] = found
        return found

    def _read_differentiated_parameters(
        self, helper: FunctionNode, only: Collection[str] | None
    ) -> dict[str, frozenset[str]]:
        facts = self._function(helper)
        found: dict[str, frozenset[str]] = {}
        for name in facts.parameters() if facts.has_consumers() else ():
            if only is not None and name not in only:
                continue

            def given(node: ast.AST, name: str = name) -> bool:
                # The value the caller gave, not one the function binds to the name.
                return isinstance(node, ast.Name) and node.id == name and not facts.reaching(node)

            flags: frozenset[str] | None = None
            for consumer in facts.consumers_of(facts.derived(given), given, None):
                needed = facts.flags_needed(consumer)
                flags = needed if flags is None else flags & needed
            if flags is not None:
                found[name] = flags
        return found

    def given_models(self, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
        """Whether every call of the module's function ``function`` (at least one) hands
        its parameter ``name`` a name its caller takes for a model."""
        if self.plain_function(function.name) is not function:
            return False
        arguments = function.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        position = positional.index(name) if name in positional else None
        sites = [
            call
            for call in self.index.calls
            if isinstance(call.func, ast.Name) and call.func.id == function.name
        ]
        if not sites:
            return False
        for site in sites:
            if any(isinstance(a, ast.Starred) for a in site.args) or any(
                k.arg is None for k in site.keywords
            ):
                return False
            given = next((k.value for k in site.keywords if k.arg == name), None)
            if given is None and position is not None and position < len(site.args):
                given = site.args[position]
            caller = self._function_of(site)
            if given is None or caller is None or caller.node is function:
                return False
            models = caller.model_names() | self.module_level_models()
            if dotted_name(given) not in models:
                return False
        return True

    def model_holding_attributes(self, node: FunctionNode, wanted: Iterable[str]) -> set[str]:
        """Those of the attributes ``wanted`` of ``self`` that the class of the method
        ``node`` fills with models, in any of its methods: ``self.layers =
        nn.ModuleList([...])``, ``self.blocks = self.blocks + [Block(...)]``,
        ``self.heads.append(Head())``."""
        facts = self._class_facts(node)
        return set() if facts is None else {a for a in wanted if a in facts.filled}

    def class_models(self, node: FunctionNode, wanted: Iterable[str]) -> frozenset[str]:
        """``self.model`` for each of the attributes ``wanted`` of ``self`` that the class
        of the method ``node`` uses as a model in any of its methods (the receiver of a
        model's method in a statement or an assignment, ``self.model.train()`` or
        ``Adam(self.model.parameters())`` in ``__init__``) or fills with one (``self.model
        = nn.Linear(4, 1)``, or ``self.model = model`` of a name the method uses as one): a
        trainer's ``self.model(x)`` in a loop of a method that says nothing else of it. Not
        one of the class's own methods (``self.encode_prompt(...)``)."""
        facts = self._class_facts(node)
        if facts is None or not _named_self(node):
            return frozenset()
        found = set()
        for attribute in wanted:
            if attribute in facts.methods:
                continue
            known = facts.models.get(attribute)
            if known is None:
                known = facts.models[attribute] = (
                    attribute in facts.used
                    or attribute in facts.filled
                    or any(
                        name in self._function(method).model_names()
                        for method, name in facts.handed.get(attribute, ())
                    )
                )
            if known:
                found.add(f"self.{attribute}")
        return frozenset(found)

    def _class_facts(self, node: FunctionNode) -> _ClassFacts | None:
        """What the class of the method ``node`` does with the attributes of ``self``, read
        in one walk of its methods' statements (None outside a class of the module):
        - ``filled``: those a statement puts a model into, by an assignment or a
          container's adder;
        - ``used``: those a model's method is called on, in a statement of its own
          (``self.model.eval()``) or in an assignment's value (``self.opt =
          Adam(self.model.parameters())``);
        - ``handed``: those bound to a name (``self.model = model``), with the method and
          the name, for ``class_models`` to read that method's models."""
        self._model_holding_classes()
        owner = self._classes_of.get(id(node)) if self._classes_of is not None else None
        if owner is None:
            return None
        facts = self._class_facts_of.get(id(owner))
        if facts is not None:
            return facts
        classes = self.module_classes()

        def makes_a_model(value: ast.AST) -> bool:
            inner = (without_module_methods(part) for part in ast.walk(value))
            return any(isinstance(c, ast.Call) and self.makes_model(c, classes) for c in inner)

        def note_uses(expression: ast.AST) -> None:
            for part in ast.walk(expression):
                if (
                    isinstance(part, ast.Call)
                    and isinstance(part.func, ast.Attribute)
                    and part.func.attr in MODEL_METHODS
                    and isinstance(part.func.value, ast.Attribute)
                    and is_self_attribute(part.func.value, None)
                ):
                    used.add(part.func.value.attr)

        methods = [m for m in owner.body if isinstance(m, FUNCTIONS)]
        used: set[str] = set()
        facts = self._class_facts_of[id(owner)] = _ClassFacts(
            frozenset(m.name for m in methods), set(), used, {}, {}
        )
        for method in methods:
            named = _named_self(method)
            for statement in own_statements(method.body):
                if isinstance(statement, ast.Assign):
                    if named:
                        note_uses(statement.value)
                    for target in statement.targets:
                        for stored, value in assignment_pairs(target, statement.value):
                            if not (
                                isinstance(stored, ast.Attribute)
                                and is_self_attribute(stored, None)
                            ):
                                continue
                            if named and isinstance(value, ast.Name):  # ``self.model = model``
                                facts.handed.setdefault(stored.attr, []).append((method, value.id))
                            if stored.attr not in facts.filled and makes_a_model(value):
                                facts.filled.add(stored.attr)  # ``self.model = Net()``
                elif isinstance(statement, ast.Expr):
                    if named:
                        note_uses(statement.value)
                    func = statement.value.func if isinstance(statement.value, ast.Call) else None
                    if (  # ``self.heads.append(Head())``
                        isinstance(func, ast.Attribute)
                        and func.attr in CONTAINER_ADDERS
                        and isinstance(func.value, ast.Attribute)
                        and is_self_attribute(func.value, None)
                        and func.value.attr not in facts.filled
                        and makes_a_model(statement.value)
                    ):
                        facts.filled.add(func.value.attr)
        return facts

    def _model_holding_classes(self) -> None:
        if self._classes_of is None:
            self._classes_of = {
                id(method): statement
                for statement in self.tree.body
                if isinstance(statement, ast.ClassDef)
                for method in statement.body
                if isinstance(method, FUNCTIONS)
            }

    # -- functions -------------------------------------------------------------------

    def module_level_models(self) -> frozenset[str]:
        """Names the module's own code (not its functions) uses as models."""
        return self._module_level().model_names()

    def function_of(self, node: ast.AST) -> FunctionValues | None:
        """The value facts of the function (or module code) ``node`` runs in."""
        return self._function_of(node)

    def owner_of(self, node: ast.AST) -> FunctionNode | None:
        """The function (or the module) ``node`` runs in, without reading its values."""
        return self.index.owners.get(id(node))

    def _function_of(self, node: ast.AST) -> FunctionValues | None:
        owner = self.index.owners.get(id(node))
        return self._function(owner) if owner is not None else None

    # -- optimizers ------------------------------------------------------------------

    def _collect_optimizers(self) -> dict[tuple[int, str], frozenset[str] | None]:
        """(``id`` of the function that binds it, name) -> trained models; attributes of
        ``self`` also under (0, name), for every method of the module."""
        index = self.index
        found: dict[tuple[int, str], frozenset[str] | None] = {}
        sources = _parameter_sources(index)

        def note(key: tuple[int, str], models: frozenset[str] | None) -> None:
            if key in found:
                known = found[key]
                found[key] = None if known is None or models is None else known | models
            else:
                found[key] = models

        for node in index.assignments:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if not isinstance(value, ast.Call):
                continue
            qualified = self.qualified(value.func) or ""
            owner = index.owners.get(id(node))
            for target in targets:
                name = dotted_name(target)
                if name is None:
                    continue
                if not (qualified.startswith(OPTIMIZER_MODULES) or looks_like_optimizer(name)):
                    continue
                models = self._trained_models(value, sources)
                note((id(owner), name), models)
                if name.startswith("self."):
                    note((0, name), models)
        return found

    def _trained_models(
        self, construction: ast.Call, sources: dict[str, frozenset[str] | None]
    ) -> frozenset[str] | None:
        """``model`` for ``SGD(model.parameters())``; nothing for ``SGD([delta])`` when
        ``delta`` is a tensor that requires grad; None when an argument cannot be read."""
        models: set[str] = set()
        arguments = [*construction.args[:1]]
        arguments += [k.value for k in construction.keywords if k.arg == "params"]
        for argument in arguments:
            for node in _walk_outside_lambdas(argument):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    if node.func.attr in PARAMETER_METHODS:
                        owner = dotted_name(node.func.value)
                        if owner is None:
                            return None
                        models.add(owner)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    if _inside_parameters_call(node, argument):
                        continue
                    if node.id in self._requires_grad_names():
                        continue
                    known = sources.get(node.id)
                    if known is None:
                        return None
                    models |= known
                elif (
                    isinstance(node, ast.Attribute)
                    and node.attr not in PARAMETER_METHODS
                    # ``self.q`` of ``self.q.parameters()`` trains ``self.q``, not all of ``self``
                    and not _inside_parameters_call(node, argument)
                ):
                    owner = dotted_name(node.value)
                    if owner is not None and not isinstance(node.ctx, ast.Store):
                        models.add(owner)
        return frozenset(models)

    def _requires_grad_names(self) -> frozenset[str]:
        if self._tensors is None:
            self._tensors = frozenset(
                name for node in self.index.statements for name in requires_grad_targets(node)
            )
        return self._tensors


def _walk_outside_lambdas(node: ast.AST) -> Iterator[ast.AST]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda):
            continue
        yield current
        stack.extend(ast.iter_child_nodes(current))


def _inside_parameters_call(name: ast.expr, root: ast.AST) -> bool:
    """``model`` in ``model.parameters()`` (or ``self.q`` in ``self.q.parameters()``): the
    owner, already counted."""
    for node in ast.walk(root):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PARAMETER_METHODS
        ) and any(child is name for child in ast.walk(node.func.value)):
            return True
    return False


def _parameter_sources(index: _Index) -> dict[str, frozenset[str] | None]:
    """``params = list(model.parameters())`` -> ``{"params": {"model"}}``, for optimizers
    built on such a name; a name bound to anything else maps to None (unknown)."""
    found: dict[str, frozenset[str] | None] = {}
    for node in index.assignments:
        if not isinstance(node, ast.Assign):
            continue
        owners = {
            dotted_name(call.func.value)
            for call in ast.walk(node.value)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in PARAMETER_METHODS
        }
        models = None if not owners or None in owners else frozenset(o for o in owners if o)
        for target in node.targets:
            if isinstance(target, ast.Name):
                known = found.get(target.id, frozenset())
                found[target.id] = None if known is None or models is None else known | models
    return found


class _Index:
    """What the questions above need from the whole module, read in one walk: the function
    each call and statement runs in (``owners``, which also holds the module itself), the
    calls, assignments and statements."""

    def __init__(self, tree: ast.Module) -> None:
        self.owners: dict[int, FunctionNode] = {id(tree): tree}
        self.calls: list[ast.Call] = []
        self.assignments: list[ast.Assign | ast.AnnAssign] = []
        self.statements: list[ast.stmt] = []
        owners = self.owners
        stack: list[tuple[ast.AST, FunctionNode]] = [(s, tree) for s in tree.body]
        while stack:
            node, owner = stack.pop()
            kind = type(node)
            if kind is ast.Call:
                self.calls.append(node)  # type: ignore[arg-type]
                owners[id(node)] = owner
            elif isinstance(node, ast.stmt):
                owners[id(node)] = owner
                self.statements.append(node)
                if kind is ast.Assign or (kind is ast.AnnAssign and node.value is not None):  # type: ignore[attr-defined]
                    self.assignments.append(node)  # type: ignore[arg-type]
            # Names never hold a call or a statement: not worth a visit either.
            if kind in _OWNING:
                for field in node._fields:
                    inner = cast(FunctionNode, node) if field == "body" else owner
                    value = getattr(node, field, None)
                    for child in value if isinstance(value, list) else [value]:
                        if isinstance(child, ast.AST) and type(child) not in _LEAVES:
                            stack.append((child, inner))
            else:
                stack.extend((c, owner) for c in inner_nodes(node) if type(c) is not ast.Name)


#: Nodes whose ``body`` runs in a function of its own.
_OWNING = frozenset({*FUNCTIONS, ast.Lambda})


def owns_its_body(node: ast.AST) -> bool:
    """Whether the calls and statements of ``node``'s body run in a function of its own
    (``ModuleValues.function_of``): a ``def`` or a lambda, not a class or a comprehension."""
    return type(node) in _OWNING


#: Nodes the index never needs to visit: no call or statement is inside them.
_LEAVES = LEAVES | {ast.Name}


def _note_torch_import(
    node: ast.Import | ast.ImportFrom, aliases: dict[str, str], roots: tuple[str, ...] = ("torch",)
) -> None:
    """A name that is torch's (or, given ``roots``, one of theirs) somewhere is taken for
    it everywhere."""

    def within(module: str) -> bool:
        return any(module == root or module.startswith(f"{root}.") for root in roots)

    if isinstance(node, ast.Import):
        for alias in node.names:
            if within(alias.name):
                if alias.asname is not None:
                    aliases[alias.asname] = alias.name
                else:
                    head = alias.name.partition(".")[0]
                    aliases[head] = head
    elif node.level == 0 and node.module and within(node.module):
        for alias in node.names:
            aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _note_foreign_import(
    node: ast.Import | ast.ImportFrom, functions: set[str], modules: set[str]
) -> None:
    """The names ``node`` binds to another library's functions and modules than torch's."""
    if isinstance(node, ast.Import):
        modules.update(
            (alias.asname or alias.name).split(".")[0]
            for alias in node.names
            if alias.name.split(".")[0] != "torch"
        )
    elif (node.module or "").split(".")[0] != "torch":
        functions.update(
            bound
            for alias in node.names
            for bound in [alias.asname or alias.name]
            if alias.name != "*" and not bound[:1].isupper()
        )


def _detached_parts(node: ast.AST, function: str) -> bool:
    """``returns_detached`` of one returned value of ``function``."""
    if isinstance(node, ast.Lambda):
        return False  # a closure: it may hold a graph of the function
    if never_carries(node):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_detached_parts(element, function) for element in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return _detached_parts(node.elt, function)
    if isinstance(node, ast.IfExp):
        return _detached_parts(node.body, function) and _detached_parts(node.orelse, function)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == function:
            return True  # each part, detached in turn
        if node.func.id in PASS_THROUGH_BUILTINS and not node.keywords:
            return all(_detached_parts(argument, function) for argument in node.args)
    return False


class _StatementFacts:
    """What a walk over the module's statements alone tells (a fraction of its nodes): the
    functions (and the module, for its own code) with an accumulating statement in a loop
    body, the imports of torch, and the model classes."""

    def __init__(self, tree: ast.Module) -> None:
        found: dict[int, FunctionNode] = {}
        self.torch: dict[str, str] = {}
        #: Names of the libraries that read numbers (``catalog.NUMBER_READING_MODULES``).
        self.readers: dict[str, str] = {}
        #: Names of torchvision: ``models.resnet18()`` builds a model.
        self.vision: dict[str, str] = {}
        #: Names bound, in any scope, to functions (``from data import make_loader``; not
        #: ``Encoder``, spelled as a class) and to modules (``import tqdm``) of anything but
        #: torch.
        self.foreign_functions: set[str] = set()
        self.foreign_modules: set[str] = set()
        classes: set[str] = set()
        bases: dict[str, list[str]] = {}
        stack: list[tuple[ast.stmt, bool, FunctionNode]] = [(s, False, tree) for s in tree.body]
        while stack:
            statement, in_loop, owner = stack.pop()
            kind = type(statement)
            if (in_loop and is_accumulation(statement)) or (
                kind in ASSIGNMENTS and keeps_comprehension(statement)
            ):
                found[id(owner)] = owner
            if kind in _SIMPLE_STATEMENTS:
                continue
            if isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
                stack.extend((child, True, owner) for child in statement.body)
                stack.extend((child, in_loop, owner) for child in statement.orelse)
                continue
            if isinstance(statement, FUNCTIONS):
                stack.extend((child, False, statement) for child in statement.body)
                continue
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                _note_torch_import(statement, self.torch)
                _note_torch_import(statement, self.readers, NUMBER_READING_MODULES)
                _note_torch_import(statement, self.vision, ("torchvision",))
                _note_foreign_import(statement, self.foreign_functions, self.foreign_modules)
            elif isinstance(statement, ast.ClassDef):
                in_loop = False  # a body of its own; its methods are functions of their own
                names = [dotted_name(base) or "" for base in statement.bases]
                if any(name.rsplit(".", 1)[-1] in MODULE_BASE_NAMES for name in names):
                    classes.add(statement.name)
                else:
                    bases[statement.name] = names
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(statement, field, ()):
                    if isinstance(child, ast.stmt):
                        stack.append((child, in_loop, owner))
                    else:  # an except handler or a match case
                        stack.extend((s, in_loop, owner) for s in getattr(child, "body", ()))
        self.accumulating = list(found.values())
        self.classes = frozenset(_module_classes(classes, bases, self.torch))
        self._consumer_pattern: re.Pattern[str] | None = None
        self._builders: re.Pattern[str] | bool | None = False

    def consumers(self) -> re.Pattern[str]:
        """How the module can write a consumer of graphs (``FunctionValues.consumers_of``): a
        consuming method or attribute, a consuming function by its last name or its alias."""
        if self._consumer_pattern is None:
            methods = sorted(
                GRAPH_CONSUMING_METHODS | {n.rsplit(".", 1)[-1] for n in GRAPH_CONSUMING_FUNCTIONS}
            )
            aliases = sorted(
                name
                for name, target in self.torch.items()
                if any(f.startswith(target) for f in GRAPH_CONSUMING_FUNCTIONS)
                and target.count(".") >= 2  # ``grad`` after ``from torch.autograd import grad``
            )
            ways = [
                rf"\.{GAP}(?:{'|'.join(methods)}){GAP}(?:\){GAP})*\(",
                rf"\.{GAP}(?:{'|'.join(sorted(GRAPH_READING_ATTRIBUTES))})\b",
            ]
            if aliases:
                ways.append(rf"{word(aliases)}{GAP}(?:\){GAP})*\(")
            self._consumer_pattern = re.compile("|".join(ways))
        return self._consumer_pattern

    def module_builders(self) -> re.Pattern[str] | None:
        """How this module can write ``torch.nn.<Module>(``: ``torch.nn.``, ``nn.`` after
        ``from torch import nn``, ``Linear`` after ``from torch.nn import Linear``."""
        if self._builders is False:
            ways = []
            for name, target in self.torch.items():
                if target == "torch":
                    ways.append(rf"{word([name])}{GAP}\.{GAP}nn\b")
                elif target == "torch.nn":
                    ways.append(rf"{word([name])}{GAP}\.")
                elif target.startswith("torch.nn."):
                    ways.append(rf"{word([name])}\b")
            self._builders = re.compile("|".join(ways)) if ways else None
        return self._builders  # type: ignore[return-value]


#: Torch's names that switch grad mode, as context managers, decorators or calls.
_GRAD_MODE_APIS = frozenset(GRAD_MODE_FACTORIES) | GRAD_MODE_SETTERS
#: Their last names, to ask ``qualified`` only of names spelled like one.
_GRAD_MODE_WORDS = frozenset(name.rsplit(".", 1)[-1] for name in _GRAD_MODE_APIS)


#: What ``functools.wraps`` (and torch's grad-mode decorators) leave the undecorated
#: function under.
_WRAPPED = "__wrapped__"


#: ``for layer in self.layers``, ``for i, layer in enumerate(self.layers)``: the attribute.
#: ``self.model(``, ``= self.model``, ``a, b = (self.model, self.opt)``: an attribute of
#: ``self`` read as it is, not reached into (``self.model.encoder``, ``self.heads[0]``),
#: which may be called or bound to a local name (``class_models`` reads which are models,
#: for ``FunctionValues.kept_model_names``); a superset, whatever comments come between.
_SELF_CALLED = LazyPattern(rf"{word(['self'])}\s*\.\s*(\w+)\b(?!\s*[.\[])")
_LOOP_OVER_SELF = LazyPattern(rf"{word(['in'])}\s+(?:enumerate\(\s*)?self\s*\.\s*(\w+)")


def _module_classes(
    classes: set[str], bases: dict[str, list[str]], torch: dict[str, str]
) -> set[str]:
    """``classes`` and the classes whose base is one of them or a model of ``torch.nn``
    (``class Block(nn.Linear)``), found once the imports are known."""
    found = set(classes)
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name in found:
                continue
            for parent in parents:
                qualified = _qualified_name(parent, torch) or ""
                last = qualified.rsplit(".", 1)[-1]
                if parent in found or (
                    qualified.startswith("torch.nn.")
                    and last[:1].isupper()
                    and not NON_MODEL_NN.search(last)
                ):
                    found.add(name)
                    changed = True
                    break
    return found


def _qualified_name(name: str, aliases: dict[str, str]) -> str | None:
    head, _, rest = name.partition(".")
    module = aliases.get(head)
    if module is None:
        return None
    return f"{module}.{rest}" if rest else module


#: Statements without statements inside, nor anything ``_StatementFacts`` notes.
_SIMPLE_STATEMENTS = frozenset(
    {
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.Expr,
        ast.Return,
        ast.Pass,
        ast.Break,
        ast.Continue,
        ast.Raise,
        ast.Assert,
        ast.Delete,
        ast.Global,
        ast.Nonlocal,
    }
)


def top_level_names(statement: ast.stmt) -> Iterator[str]:
    """Names a statement of the module's top level binds (approximately: enough to tell a
    function bound once from one bound again)."""
    if isinstance(statement, (*FUNCTIONS, ast.ClassDef)):
        yield statement.name
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        for alias in statement.names:
            yield (alias.asname or alias.name).partition(".")[0]
    else:
        # Targets and nested statements only: the expressions of a module's tables
        # (``default_cfgs = {...}``) are most of its nodes, and bind nothing but the rare
        # walrus.
        targets: list[ast.AST] = []
        if isinstance(statement, ast.Assign):
            targets += statement.targets
        elif isinstance(statement, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            targets.append(statement.target)
        elif isinstance(statement, ast.Delete):
            targets += statement.targets
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            targets += [i.optional_vars for i in statement.items if i.optional_vars is not None]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    yield node.id
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(statement, field, ()):
                if isinstance(child, ast.stmt):
                    yield from top_level_names(child)
                else:  # an except handler or a match case
                    if getattr(child, "name", None):
                        yield child.name
                    for inner in getattr(child, "body", ()):
                        yield from top_level_names(inner)


def _named_self(node: FunctionNode) -> bool:
    """A method whose first parameter is ``self`` (as ``is_self_attribute`` reads it)."""
    if not isinstance(node, FUNCTIONS):
        return False
    positional = (*node.args.posonlyargs, *node.args.args)
    return bool(positional) and positional[0].arg == "self"


def module_variables(values: ModuleValues) -> set[str]:
    """Names the module's own code binds to values: not its functions, classes, imports."""
    return {
        name
        for statement in values.tree.body
        if not isinstance(
            statement,
            (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom),
        )
        for name in top_level_names(statement)
    }
