"""Other names a function, or a script's module-level code, gives one model (NG004).

``ddp_model = DDP(model)``, ``compiled = torch.compile(model)``, ``net = self.model``: a mode
set through one name is the other's, and a ``train()`` through one restores the other.
Names count as one model only while neither is bound again (``model =
copy.deepcopy(model)`` makes another); an object of a class of the module whose
``__init__`` keeps a model it is given (``self.model = model``) holds that model too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import NamedTuple

from ..ast_names import (
    FUNCTIONS,
    OWN_SCOPES,
    dotted_name,
    inner_nodes,
    module_class,
    self_parameter,
    sets_attributes_by_name,
    walk,
)
from .catalog import (
    MODULE_BASE_NAMES,
    MODULE_RETURNING_METHODS,
    MODULE_SHARING_WRAPPER_NAMES,
    MODULE_SHARING_WRAPPERS,
    WRAPPED_MODULE_ATTRIBUTES,
    WRAPPED_MODULE_KEYWORDS,
)
from .class_hierarchy import FunctionNode


class FunctionShape(NamedTuple):
    """What a summary reads of a function's own body (its nested scopes left out), in one
    walk."""

    #: Names bound once, to a parameter, a local name bound once, or an attribute of one
    #: (``model = self.model``), or to a wrapper that holds that module
    #: (``ddp_model = DDP(model)``, ``fast = torch.compile(model)``): they are that object
    #: throughout, so its mode is theirs. Wrapping the name itself
    #: (``model = DataParallel(model)``, ``model = model.to(dev)``) binds it again to the
    #: same object.
    aliases: dict[str, str]
    #: Plain names the function binds itself, and its nested definitions' names.
    bound: frozenset[str]
    #: The value of each ``return`` (None for a bare one).
    returns: list[ast.expr | None]


def kept_parameters(
    tree: ast.Module,
    name: str,
    definitions: dict[tuple[str | None, str], ast.FunctionDef | ast.AsyncFunctionDef],
    stores: Callable[[], list[tuple[str, ast.ClassDef | None]] | None],
) -> dict[str, str]:
    """Attribute -> parameter that the ``__init__`` of the module's class ``name`` keeps
    (``ModeSummaries.kept_arguments``); ``stores`` gives ``attribute_stores`` of the
    module, read once."""
    cls = module_class(tree, name)
    init = definitions.get((name, "__init__"))
    if cls is None or init is None or init not in cls.body:
        return {}
    owner = self_parameter(init)
    parameters = {a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)}
    rebound = {
        node.id
        for node in ast.walk(init)
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
    }
    kept = {
        statement.targets[0].attr: statement.value.id
        for statement in init.body
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Attribute)
        and isinstance(statement.targets[0].value, ast.Name)
        and statement.targets[0].value.id == owner
        and isinstance(statement.value, ast.Name)
        and statement.value.id in parameters - rebound - {owner}
    }
    if not kept:
        return {}
    # The class and its bases, all of this module (``nn.Module`` and ``object`` set none of
    # a subclass's attributes): their methods are all that may set one on ``self``.
    classes, pending = [cls], list(cls.bases)
    while pending:
        base = pending.pop()
        base_name = dotted_name(base)
        if base_name in ("object", *MODULE_BASE_NAMES) or (
            base_name is not None and base_name.rsplit(".", 1)[-1] in MODULE_BASE_NAMES
        ):
            continue
        found = module_class(tree, base_name) if base_name is not None else None
        if found is None or found in classes:
            return {}  # a base of another module may set any attribute
        classes.append(found)
        pending.extend(found.bases)
    every = stores()
    if every is None:
        return {}  # ``setattr(obj, name, value)``: any attribute may be set
    counts: dict[str, int] = {}
    for attribute, other in every:
        if attribute in kept and (other is None or other in classes):
            counts[attribute] = counts.get(attribute, 0) + 1
    return {attribute: given for attribute, given in kept.items() if counts.get(attribute) == 1}


def attribute_stores(tree: ast.Module) -> list[tuple[str, ast.ClassDef | None]] | None:
    """Every ``x.attr = ...`` (or ``del``, augmented) of the module, with the class whose
    method's ``self`` ``x`` is, if it is one (an object no other class's code sets that
    way); None where code sets attributes by name (``setattr``, ``__dict__``)."""
    found: list[tuple[str, ast.ClassDef | None]] = []
    # (node, the class of the method around it, and that method's ``self``)
    stack: list[tuple[ast.AST, ast.ClassDef | None, str | None]] = [(tree, None, None)]
    while stack:
        node, cls, own = stack.pop()
        if sets_attributes_by_name(node):
            return None
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            is_self = isinstance(node.value, ast.Name) and node.value.id == own
            found.append((node.attr, cls if is_self else None))
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, FUNCTIONS):
                    stack.append((member, node, self_parameter(member)))
                else:
                    stack.append((member, cls, own))
        else:
            stack.extend((child, cls, own) for child in inner_nodes(node))
    return found


def container_elements(call: ast.Call) -> dict[str, ast.expr]:
    """Submodule name -> module, of ``nn.Sequential(a, b)``, ``nn.ModuleList([a, b])`` or
    ``nn.ModuleDict({"a": a})`` written out."""
    given: list[ast.expr] = list(call.args)
    if len(given) == 1 and isinstance(given[0], (ast.List, ast.Tuple)):
        given = list(given[0].elts)
    if len(given) == 1 and isinstance(given[0], ast.Dict):
        return {
            key.value: value
            for key, value in zip(given[0].keys, given[0].values)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }
    return {str(i): e for i, e in enumerate(given) if not isinstance(e, (ast.Starred, ast.Dict))}


def module_aliases(
    tree: ast.Module, kept_by: Callable[[ast.Call], dict[str, ast.expr]]
) -> dict[str, str]:
    """``FunctionShape.aliases`` of the module's own code (a training script's ``ddp_model =
    DDP(model)``), less the names a function rebinds with ``global``."""
    aliases = function_shape(tree, kept_by).aliases
    if not aliases:
        return {}
    rebound = {name for node in walk(tree) if isinstance(node, ast.Global) for name in node.names}
    return {
        name: value
        for name, value in aliases.items()
        if name.split(".", 1)[0] not in rebound and value.split(".", 1)[0] not in rebound
    }


def function_shape(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
    kept_by: Callable[[ast.Call], dict[str, ast.expr]] = lambda call: {},
) -> FunctionShape:
    """``kept_by``: the attributes an object made by a call keeps what the call hands it
    in (``ModeSummaries.kept_arguments``)."""
    if isinstance(node, ast.Module):
        heads: set[str] = set()
    else:
        arguments = node.args
        heads = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    stores: dict[str, int] = {}
    candidates: dict[str, str] = {}
    bound: set[str] = set()
    attributes: set[str] = set()  # ``self.model = ...``: dotted names the function rebinds
    returns: list[ast.expr | None] = []
    stack: list[ast.AST] = list(node.body)
    inner_scopes: list[ast.AST] = []  # nested definitions, which may rebind a name
    while stack:
        current = stack.pop()
        if isinstance(current, OWN_SCOPES):
            if not isinstance(current, ast.Lambda):
                bound.add(current.name)
            inner_scopes.append(current)
            continue
        if isinstance(current, ast.Name):
            if not isinstance(current.ctx, ast.Load):
                stores[current.id] = stores.get(current.id, 0) + 1
                if isinstance(current.ctx, ast.Store):
                    bound.add(current.id)
            continue
        if isinstance(current, ast.Attribute) and not isinstance(current.ctx, ast.Load):
            stored = dotted_name(current)
            if stored is not None:
                attributes.add(stored)
        if isinstance(current, ast.Assign) and _rewraps(current):
            bound.add(current.targets[0].id)  # type: ignore[attr-defined]
            stack.append(current.value)
            continue
        named = _named_assignment(current)
        if named is not None:
            target, assigned = named
            held = module_held(assigned)
            value = dotted_name(held) if held is not None else None
            if value is not None:
                candidates[target] = value
            elif isinstance(held, ast.Call):  # ``evaluator = Evaluator(model, loader)``
                for attribute, given in kept_by(held).items():
                    inner = module_held(given)
                    kept = dotted_name(inner) if inner is not None else None
                    if kept is not None:
                        candidates[f"{target}.{attribute}"] = kept
        elif isinstance(current, ast.Return):
            returns.append(current.value)
        stack.extend(ast.iter_child_nodes(current))
    # An alias stays one only while its object does: not once the parameter, the local
    # name or the attribute it names is bound to another object
    # (``model = copy.deepcopy(model)``). A local name bound once (``model = Net()``) holds
    # one object wherever the alias of it can be read.
    # A nested function may rebind either name (``nonlocal net; net = copy(model)``).
    nested = {
        name
        for scope in inner_scopes
        if candidates
        for inner in ast.walk(scope)
        if isinstance(inner, (ast.Nonlocal, ast.Global))
        for name in inner.names
    }
    aliases = {
        name: value
        for name, value in candidates.items()
        if stores.get(name.split(".", 1)[0]) == 1
        and name.split(".", 1)[0] not in heads
        and stores.get(value.split(".", 1)[0], 0) == (0 if value.split(".", 1)[0] in heads else 1)
        and not {name.split(".", 1)[0], value.split(".", 1)[0]} & nested
        and not any(
            held == a or held.startswith(a + ".") for a in attributes for held in (name, value)
        )
    }
    return FunctionShape(_followed(aliases), frozenset(bound), returns)


def _named_assignment(node: ast.AST) -> tuple[str, ast.expr] | None:
    """(name, value) of ``name = value`` or ``name: T = value``."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value = node.target, node.value
    else:
        return None
    return (target.id, value) if isinstance(target, ast.Name) else None


def _followed(aliases: dict[str, str]) -> dict[str, str]:
    """Each alias resolved to the name at the end of its chain: ``compiled`` of
    ``ddp = DDP(model); compiled = torch.compile(ddp)`` is ``model``."""
    resolved = {}
    for name, value in aliases.items():
        seen = {name}
        while True:
            head, dot, tail = value.partition(".")
            step = aliases.get(value) or (
                aliases.get(head, "") + dot + tail if head in aliases else ""
            )
            if not step or step in seen:
                break
            seen.add(value)
            value = step
        resolved[name] = value
    return resolved


def _rewraps(assign: ast.Assign) -> bool:
    """``model = DataParallel(model)``, ``model = model.to(device)``: the same module again."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name):
        return False
    held = module_held(assign.value)
    return (
        held is not assign.value and isinstance(held, ast.Name) and held.id == assign.targets[0].id
    )


def module_held(
    value: ast.expr, defined: Callable[[str], FunctionNode | None] | None = None
) -> ast.expr | None:
    """What ``value`` is the very module of, through the methods that return the module
    (``model.to(device)``), the wrappers that hold it (``DDP(model)``,
    ``torch.compile(model)``) and the unwrapping ``getattr(model, "module", model)``:
    ``model``; ``value`` itself when it is neither; None for a wrapper given no module.
    ``defined``, the module's function of a name if it has one: a wrapper's name the module
    defines itself (``def unwrap_model(m)``) counts only where that function hands back
    what it is given (:func:`hands_back_its_module`), not a copy of it."""
    while isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in MODULE_RETURNING_METHODS:
            value = func.value
            continue
        if _unwraps(value):
            value = value.args[0]
            continue
        callee = dotted_name(func)
        if callee is None or not (
            callee in MODULE_SHARING_WRAPPERS
            or callee.rsplit(".", 1)[-1] in MODULE_SHARING_WRAPPER_NAMES
        ):
            break
        own = defined(callee) if defined is not None and isinstance(func, ast.Name) else None
        if own is not None and not hands_back_its_module(own):
            break
        wrapped = next(
            (k.value for k in value.keywords if k.arg in WRAPPED_MODULE_KEYWORDS),
            value.args[0] if value.args else None,
        )
        if wrapped is None or isinstance(wrapped, ast.Starred):
            return None
        value = wrapped
    return value


def _unwraps(call: ast.Call) -> bool:
    """``getattr(model, "module", model)``: the wrapped module, or the model itself."""
    if not (
        isinstance(call.func, ast.Name)
        and call.func.id == "getattr"
        and len(call.args) == 3
        and not call.keywords
    ):
        return False
    owner, attribute, default = call.args
    return (
        isinstance(attribute, ast.Constant)
        and attribute.value in WRAPPED_MODULE_ATTRIBUTES
        and dotted_name(owner) is not None
        and dotted_name(owner) == dotted_name(default)
    )


def hands_back_its_module(definition: FunctionNode) -> bool:
    """Every ``return`` of the function hands back its first parameter, or the module it
    wraps (``return m.module if hasattr(m, "module") else m``): an unwrapper, not a copy."""
    positional = [a.arg for a in (*definition.args.posonlyargs, *definition.args.args)]
    returns = function_shape(definition).returns
    if not positional or not returns:
        return False
    for value in returns:
        arms = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
        for arm in arms:
            held = module_held(arm) if arm is not None else None
            name = dotted_name(held) if held is not None else None
            if name is None or name.split(".", 1)[0] != positional[0]:
                return False
    return True
