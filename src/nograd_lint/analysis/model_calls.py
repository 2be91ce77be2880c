"""Which calls may run a model and so record a graph, for NG003.

A graph is recorded by a call that looks like a model's (``net(x)``, ``self.encoder(x)``,
a helper of the module that may run one); not by a class of the module (it makes an object),
a function of a package that computes on no tensor (numpy, math...), a method of an object
that is no model (``env.step(a)``), nor a plain function of the module that surely runs no
model. Where the reading is not sure, the call counts as recording one: NG003 then finds a
graph where there may be none, and stays silent.
"""

from __future__ import annotations

import ast
import builtins
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from ..ast_names import FUNCTIONS, chain_head, dotted_name
from .catalog import (
    CONTAINER_ADDERS,
    FORWARD_METHODS,
    GRAPH_DROPPING_METHODS,
    INERT_BUILTINS,
    LOSS_FUNCTION_NAME,
    LOSS_STEPPER_NAME,
    MODEL_METHODS,
    MODULE_RETURNING_METHODS,
    NON_TENSOR_MODULES,
    PASS_THROUGH_BUILTINS,
    is_tensor_method,
    is_torchs,
    runs_a_model,
)
from .function_values import FunctionValues
from .gradient_calls import local_definition
from .value_readings import (
    makes_requires_grad,
    never_carries,
    requires_grad_targets,
    statements_within,
)
from .values import ModuleValues, top_level_names


def rebound_globals(values: ModuleValues) -> frozenset[str]:
    """Names that a function of the module declares ``global``: whatever it computed may be
    what the module's variable (or function: ``global features; def features``) holds."""
    known = _REBOUND_GLOBALS.get(values)
    if known is None:
        known = _REBOUND_GLOBALS[values] = frozenset(
            name
            for statement in values.index.statements
            if isinstance(statement, ast.Global)
            for name in statement.names
        )
    return known


#: Per module, ``rebound_globals``.
_REBOUND_GLOBALS: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def may_run_a_model(
    call: ast.Call, helpers: Helpers, values: ModuleValues, strict: bool = False
) -> bool:
    """``looks_like_a_model``, or torch's function that runs what it is given
    (``checkpoint(trunk, x)``), or a class handed a model (``Extractor(model, x)``);
    ``strict``, any method but one of a package that computes on no tensor."""
    func = call.func
    qualified = values.qualified(func) or ""
    if runs_a_model(qualified):
        return True
    if is_torchs(qualified):
        return False  # torch's own function (``grad(y, params)``) runs no model it is not given
    if strict and isinstance(func, ast.Attribute):
        owner = dotted_name(func.value)
        return owner is None or owner.split(".")[0] not in helpers.data_modules
    if isinstance(func, ast.Name) and func.id in helpers.imported_classes:
        return any(
            isinstance(argument, ast.Name) and argument.id in helpers.models
            for argument in [*call.args, *(k.value for k in call.keywords)]
        )
    return looks_like_a_model(func, helpers)


def method_may_run_a_model(func: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """``self._loss(images, target)`` of a method of the class that runs a model it holds
    (``self.estimator.predict(...)``): a forward under a loss's name, read where it is
    defined; not a criterion the object holds (``self.criterion(out, y)``)."""
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == method_self(function)
    ):
        return False
    definition = local_definition(func, values)
    return isinstance(definition, ast.FunctionDef) and not _calls_no_model(definition, values)


def given_a_model(
    arguments: list[ast.expr], function: FunctionValues, values: ModuleValues
) -> bool:
    """A model of the function handed whole to a call (``weight_penalty(model)``)."""
    models = function.model_names() | values.module_level_models()
    return any(isinstance(a, ast.Name) and a.id in models for a in arguments)


def runs_code_of_the_module(func: ast.expr, function: FunctionValues, values: ModuleValues) -> bool:
    """A call of the module's own function or of the object's method, which may run a
    model the module holds though it is given nothing (``sample_fake()``,
    ``self.generate()``): not a call of torch's or a package's (``torch.randn(3)``)."""
    if isinstance(func, ast.Name):
        return not binds_itself(func.id, function, values) and bool(
            values.definitions_named(func.id)
        )
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == method_self(function)
    )


def binds_itself(name: str, function: FunctionValues, values: ModuleValues) -> bool:
    """Whether a function (not the module's own code) binds ``name`` itself, by an
    assignment or by a ``def``, ``class`` or import in its body, an ``if`` of it included
    (``if finetune: def features(...)``; a nested function's too, a superset): then the
    name is not the module's."""
    if function.node is values.tree:
        return False
    if name in function.local:
        return True
    known = _DEFINED_WITHIN.get(function)
    if known is None:
        known = _DEFINED_WITHIN[function] = frozenset(
            bound
            for statement in statements_within(function.node)
            if isinstance(statement, (*FUNCTIONS, ast.ClassDef, ast.Import, ast.ImportFrom))
            for bound in top_level_names(statement)
        )
    return name in known


#: Per function, the names its ``def``, ``class`` and import statements bind.
_DEFINED_WITHIN: weakref.WeakKeyDictionary[FunctionValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def runs_no_model(name: str, values: ModuleValues) -> bool:
    """``name`` is a plain function of the module that surely runs no model: each call in
    its body is of torch, of an inert builtin (``catalog.INERT_BUILTINS``), a tensor's
    method, or of another such function; no method of an object it was given, which may be
    a model's (``policy.density(states)``), and no tensor made to require grad, whose uses
    record a graph. What it returns is computed from its arguments, as torch's functions
    compute: their graphs go on, and it records none of its own."""
    known = _NO_MODEL.setdefault(values, {})
    if name not in known:
        known[name] = False  # while it is read: a recursive function counts as a model
        definition = None if name in rebound_globals(values) else values.plain_function(name)
        known[name] = isinstance(definition, ast.FunctionDef) and _calls_no_model(
            definition, values
        )
    return known[name]


def _calls_no_model(definition: ast.FunctionDef, values: ModuleValues) -> bool:
    function = values.facts(definition)
    own = function.local | function.parameters()
    known = _module_names(values)
    holders = value_holders(values)
    # What a test reads decides a branch, and goes into no value: ``if args.cuda:``.
    tested = {
        id(inner)
        for node in ast.walk(definition)
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert))
        for inner in ast.walk(node.test)
    }
    # What a callee spells (``Net(x)``, ``util.scale(x)``: the calls are read below), and
    # torch's own values (``torch.float32``).
    spelled: set[int] = set()
    for node in ast.walk(definition):
        if isinstance(node, ast.Call):
            spelled.update(id(part) for part in ast.walk(node.func))
        elif isinstance(node, ast.Attribute) and values.qualified(node) is not None:
            spelled.update(id(part) for part in ast.walk(node))
    for node in ast.walk(definition):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return False  # it may store or read graphs out of sight
        if makes_requires_grad(node) or any(requires_grad_targets(node)):
            return False  # ``log_t = torch.tensor(0.5, requires_grad=True)``: its uses record
        if (
            isinstance(node, ast.Name)
            and node.id not in own
            and (node.id not in known or (node.id in holders and id(node) not in spelled))
            and id(node) not in tested
        ):
            # a value of the module's (``EMBEDDINGS``), or one a class or an import holds
            # (``Cache.store``), which may carry a graph
            return False
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        qualified = values.qualified(func)
        if qualified is not None:
            if runs_a_model(qualified):
                return False  # ``checkpoint(trunk, x)``
            continue
        if isinstance(func, ast.Name):
            if func.id in own:
                return False  # ``encode = model.encode``, a parameter: not the module's
            if not (func.id in INERT_BUILTINS or runs_no_model(func.id, values)):
                return False
        elif not (
            isinstance(func, ast.Attribute)
            and (_tensor_method(func) or chain_head(func.value) in _data_modules(values))
        ):
            return False  # a method of an object it was given or made: a model's, maybe
    return True


def _module_names(values: ModuleValues) -> frozenset[str]:
    """Names a function may read without reading a value of the module: builtins, and the
    imports, functions and classes the module binds, and binds nothing else to."""
    known = _MODULE_NAMES.get(values)
    if known is None:
        bound: dict[str, bool] = {}
        for statement in values.tree.body:
            definition = isinstance(
                statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
            )
            for name in top_level_names(statement):
                bound[name] = bound.get(name, True) and definition
        builtin = {name for name in dir(builtins) if name not in bound}
        known = _MODULE_NAMES[values] = frozenset(
            builtin | {name for name, plain in bound.items() if plain}
        )
    return known


def value_holders(values: ModuleValues) -> frozenset[str]:
    """Classes and imports of the module whose attributes may hold a graph: all but the
    modules that compute on no tensor (``np``, ``math``)."""
    known = _VALUE_HOLDERS.get(values)
    if known is None:
        known = _VALUE_HOLDERS[values] = frozenset(
            name
            for statement in values.tree.body
            if isinstance(statement, (ast.ClassDef, ast.Import, ast.ImportFrom))
            for name in top_level_names(statement)
        ) - _data_modules(values)
    return known


def _data_modules(values: ModuleValues) -> frozenset[str]:
    """Names the module binds to modules or functions of packages that compute on no
    tensor (``catalog.NON_TENSOR_MODULES``): ``np``, ``math``, ``from copy import deepcopy``."""
    known = _DATA_MODULES.get(values)
    if known is None:
        found: set[str] = set()
        for statement in values.tree.body:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.name.split(".")[0] in NON_TENSOR_MODULES:
                        found.add((alias.asname or alias.name).split(".")[0])
            elif (
                isinstance(statement, ast.ImportFrom)
                and statement.module
                and statement.module.split(".")[0] in NON_TENSOR_MODULES
            ):
                found.update(alias.asname or alias.name for alias in statement.names)
        known = _DATA_MODULES[values] = frozenset(found)
    return known


def computes_on_a_tensor(func: ast.Attribute, is_model: Callable[[str], bool]) -> bool:
    """``loss.std()``, ``x.flatten(1)``: one of the catalog's tensor methods, which runs no
    model. Not when called on a model itself (``ens.std(x)``, where ``is_model("ens")``): a
    module of your own may define a method of that name, which runs it; but for the
    methods that hand the module back (``model.to(device)``)."""
    if not is_tensor_method(func.attr):
        return False
    on_a_model = isinstance(func.value, ast.Name) and is_model(func.value.id)
    return not on_a_model or func.attr in MODULE_RETURNING_METHODS


def _tensor_method(func: ast.Attribute) -> bool:
    """``x.view(...)``, ``x.add_(...)``, ``x.item()``, ``rows.append(row)``, or any method
    of a detached tensor (``x.data.masked_fill_(...)``): none runs a model."""
    method = func.attr
    return (
        is_tensor_method(method)
        or method in GRAPH_DROPPING_METHODS
        or method in CONTAINER_ADDERS
        or (isinstance(func.value, ast.Attribute) and never_carries(func.value))
    )


#: Per module, ``value_holders`` and ``_data_modules``.
_VALUE_HOLDERS: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)
_DATA_MODULES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()
#: Per module, ``_module_names``.
_MODULE_NAMES: weakref.WeakKeyDictionary[ModuleValues, frozenset[str]] = weakref.WeakKeyDictionary()
#: Per module, whether each function name ``runs_no_model``.
_NO_MODEL: weakref.WeakKeyDictionary[ModuleValues, dict[str, bool]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Helpers:
    """What calls of a function reach that are not models: the module's functions, classes
    and imports, the methods of the function's class; and the names known to be models."""

    names: frozenset[str]
    methods: frozenset[str]
    self_name: str | None
    models: frozenset[str]
    #: Names bound to modules or functions of packages that compute on no tensor.
    data_modules: frozenset[str]
    #: ``self.<attr>`` names the module calls a model method on anywhere (``parameters()``).
    self_models: frozenset[str] = frozenset()
    #: Classes imported from other modules, by their names.
    imported_classes: frozenset[str] = frozenset()


#: A class's name as PEP 8 writes it: a capital, then lower case somewhere (``Target``,
#: ``ClassifierOutputTarget``); not ``G`` nor ``VAE``, names models go by too.
_CLASS_NAME = re.compile(r"[A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*")


def helpers_of(
    function: FunctionValues, values: ModuleValues, self_name: str | None, models: frozenset[str]
) -> Helpers:
    names: set[str] = set()
    methods: set[str] = set()
    classes: set[str] = set()
    data = _data_modules(values)
    for statement in values.tree.body:
        if isinstance(statement, ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.ImportFrom) and not (
            statement.module and statement.module.split(".")[0] in NON_TENSOR_MODULES
        ):
            # ``from .targets import ClassifierOutputTarget``: a class, by its name, whose
            # call makes an object (``G``, ``D``, ``VAE``: maybe a model, by another name).
            classes.update(
                bound
                for alias in statement.names
                for bound in [alias.asname or alias.name]
                if _CLASS_NAME.fullmatch(bound)
            )
        if isinstance(statement, ast.ClassDef) and function.node in statement.body:
            methods.update(
                member.name
                for member in statement.body
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
            )
    self_models = frozenset(
        owner
        for call in values.index.calls
        if isinstance(call.func, ast.Attribute) and call.func.attr in MODEL_METHODS
        for owner in [dotted_name(call.func.value)]
        if owner is not None and self_name is not None and owner.startswith(self_name + ".")
    )
    return Helpers(
        frozenset(names | classes),
        frozenset(methods),
        self_name,
        models,
        data,
        self_models,
        frozenset(classes),
    )


def looks_like_a_model(func: ast.expr, helpers: Helpers) -> bool:
    """Whether a call may run a model and record a graph: ``net(x)``, ``self.encoder(x)``,
    ``heads[i](x)``, ``model.encode(x)``, a helper function or method of the module (it may
    run one); not a class of the module (it makes an object), a function of a package that
    computes on no tensor (``np.array(x)``, ``deepcopy(s)``), nor a method of an object that
    is no model (``env.step(a)``, ``buffer.sample(n)``)."""
    if isinstance(func, ast.Name):
        return not (
            func.id in helpers.names
            or func.id in helpers.data_modules
            or func.id in PASS_THROUGH_BUILTINS
        )
    if isinstance(func, ast.Attribute):
        owner = dotted_name(func.value)
        if owner is None:
            return True
        if owner == helpers.self_name:
            return True  # a submodule, or a method of the class
        if owner.split(".")[0] == helpers.self_name:  # ``self.buffer.sample(n)``: a model's?
            return owner in helpers.models or owner in helpers.self_models
        if owner.split(".")[0] in helpers.data_modules:
            return False
        return owner in helpers.models or func.attr in FORWARD_METHODS
    return True


def chained_objects(function: FunctionValues) -> frozenset[str]:
    """Objects whose callable attributes the function runs one on what another made
    (``feats = model.backbone(x)``, then ``model.head(feats)``; ``gan.D(gan.G(z))``):
    the submodules of a model, though the function never calls it itself."""
    known = _CHAINED.get(function)
    if known is None:
        found: set[str] = set()
        self_name = method_self(function)
        given = function.parameters() - {self_name}
        for call in function.calls:
            func = call.func
            if not isinstance(func, ast.Attribute) or is_tensor_method(func.attr):
                continue  # ``out.mean()``: a tensor's
            owner = dotted_name(func.value)
            # a parameter (``model``) or an attribute of the object (``self.gan``): not a
            # module of functions (``F.relu``), nor ``self``
            if owner is None or not (
                owner in given or (self_name is not None and owner.startswith(self_name + "."))
            ):
                continue
            # what the call is given, and the names in it (``gan.D(torch.cat([real,
            # fake]))`` after ``fake = gan.G(z)``)
            if any(
                isinstance(value, ast.Call) and _attribute_owner(value.func) == owner
                for argument in (*call.args, *(k.value for k in call.keywords))
                for part in ast.walk(argument)
                for value in _made_by(part, function)
            ):
                found.add(owner)
        known = _CHAINED[function] = frozenset(found)
    return known


def handed_models(function: FunctionValues, values: ModuleValues) -> frozenset[str]:
    """Parameters whose attributes the function calls (``net.trunk(x)``) and that every
    call of it in the module hands a model (``train(net, opt)`` after ``net = MTLNet()``):
    what those calls run are the model's submodules or methods, whatever else the
    function does with it."""
    known = _HANDED.get(function)
    if known is None:
        node = function.node
        called = {
            owner
            for call in function.calls
            if isinstance(call.func, ast.Attribute)
            and not is_tensor_method(call.func.attr)
            and (owner := _attribute_root(call.func)) is not None
        }
        candidates = (called & function.parameters()) - {method_self(function)}
        known = _HANDED[function] = frozenset(
            name
            for name in candidates
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and values.given_models(node, name)
        )
    return known


def _attribute_root(func: ast.Attribute) -> str | None:
    """``net`` of ``net.trunk`` or of ``net.heads.seg``."""
    name = dotted_name(func.value)
    return None if name is None else name.split(".")[0]


#: Per function, ``handed_models``.
_HANDED: weakref.WeakKeyDictionary[FunctionValues, frozenset[str]] = weakref.WeakKeyDictionary()


def _made_by(part: ast.AST, function: FunctionValues) -> list[ast.AST]:
    """What a name read holds (the values of the bindings that reach it); any other part
    stands for itself."""
    if isinstance(part, ast.Name):
        return [function.bindings[index].value for index in function.reaching(part)]
    return [part]


def _attribute_owner(func: ast.expr) -> str | None:
    """``model`` of ``model.backbone``, ``self.model`` of ``self.model.encoder``."""
    return dotted_name(func.value) if isinstance(func, ast.Attribute) else None


#: Per function, ``chained_objects``.
_CHAINED: weakref.WeakKeyDictionary[FunctionValues, frozenset[str]] = weakref.WeakKeyDictionary()


def method_self(function: FunctionValues) -> str | None:
    node = function.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    positional = (*node.args.posonlyargs, *node.args.args)
    if not positional or positional[0].arg not in ("self", "cls"):
        return None
    return positional[0].arg


def called_models(function: FunctionValues, helpers: Helpers) -> frozenset[str]:
    """Names the function calls as a model (``model(x)``): what they hold is a model's."""
    known = _CALLED_MODELS.get(function)
    if known is None:
        known = _CALLED_MODELS[function] = frozenset(
            call.func.id
            for call in function.calls
            if isinstance(call.func, ast.Name)
            and (call.args or call.keywords)
            and looks_like_a_model(call.func, helpers)
        )
    return known


#: Per function, ``called_models``.
_CALLED_MODELS: weakref.WeakKeyDictionary[FunctionValues, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def names_a_loss(name: str) -> bool:
    """``criterion``, ``ce_loss``: a loss function, which computes on what it is given;
    not ``loss_scaler`` (``catalog.LOSS_STEPPER_NAME``), which runs the backward itself."""
    return bool(LOSS_FUNCTION_NAME.search(name)) and not LOSS_STEPPER_NAME.search(name)
