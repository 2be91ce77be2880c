"""Readings of one ``ast`` node, never of the flow, for :mod:`.values` and
:mod:`.function_values`: the values that never carry a graph (numbers, indices, detached
parts), the calls that make a tensor that requires grad or a graph of gradients, the
statements that accumulate, the key of an ``if`` test, the model a call runs."""

from __future__ import annotations

import ast
from collections.abc import Collection, Hashable, Iterable, Iterator
from typing import Callable, Union

from ..ast_names import (
    BLOCK_FIELDS,
    dotted_name,
    literal_truth,
)
from .catalog import (
    ACCUMULATING_METHODS,
    CLONE_METHOD,
    CONTAINER_BUILTINS,
    CONTAINER_CONSTRUCTORS,
    CONTAINER_EMPTYING_METHODS,
    CREATE_GRAPH_KEYWORD,
    GRAPH_CONSUMING_METHODS,
    GRAPH_CUTTING_CONSTRUCTORS,
    GRAPH_DROPPING_ATTRIBUTES,
    GRAPH_DROPPING_BUILTINS,
    GRAPH_DROPPING_METHODS,
    INDEX_PAIR_INDICES,
    INDEX_PAIR_METHODS,
    INDEX_PAIR_METHODS_WITH_DIM,
    METADATA_ARGUMENT_METHODS,
    MODULE_RETURNING_METHODS,
    PARAMETER_CLASSES,
    RETAIN_GRAPH_KEYWORD,
    is_torchs,
)

#: What value facts are read for: a function's body, a lambda's, or the module's own code.
FunctionNode = Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]

#: Which nodes a question about a value starts from (a forward call's output, a parameter):
#: a value derived from one of them carries what the question follows.
Seed = Callable[[ast.AST], bool]
#: The nodes a seed accepts, when known: the forward calls whose graph is followed. None: the
#: seed is a predicate of its own (a function's parameters, ``requires_grad`` tensors).
Origins = Union[Collection[ast.AST], None]


def argument_values(call: ast.Call) -> list[ast.expr]:
    """The expressions ``call`` passes, positional and keyword (``*args``, ``**kwargs`` too)."""
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def bound_names(target: ast.AST) -> Iterator[str]:
    """Names a binding of ``target`` gives the value to: ``a, *b = ...``, and ``d`` of
    ``d[k] = v``: the container now holds it."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from bound_names(target.value)
    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        yield target.value.id


def makes_requires_grad(node: ast.AST) -> bool:
    """``torch.randn(..., requires_grad=True)``, ``x.requires_grad_()``; also given a flag
    that may be true (``requires_grad=learn_scale``): the tensor may be a leaf."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr == "requires_grad_":
        return _flag(node, "requires_grad") is not False
    return any(
        k.arg == "requires_grad" and literal_truth(k.value) is not False for k in node.keywords
    )


def cuts_the_graph(call: ast.Call, qualified: str | None) -> bool:
    """Whether the result of ``call`` of ``qualified`` holds no graph of what it is given:
    ``torch.argmax(out)``, indices (``catalog.GRAPH_DROPPING_METHODS``), or a new tensor of
    torch's (``torch.tensor(rewards)``, ``torch.zeros_like(out)``), a leaf at most."""
    if qualified is None:
        return False
    name = qualified.rsplit(".", 1)[-1]
    return name in GRAPH_DROPPING_METHODS or (
        is_torchs(qualified) and name in GRAPH_CUTTING_CONSTRUCTORS
    )


def makes_a_parameter(node: ast.AST | None) -> bool:
    """``nn.Parameter(w)`` (``catalog.PARAMETER_CLASSES``): a leaf a module trains."""
    return (
        isinstance(node, ast.Call)
        and (dotted_name(node.func) or "").rsplit(".", 1)[-1] in PARAMETER_CLASSES
    )


def may_make_a_leaf(node: ast.AST, qualify: Callable[[ast.expr], str | None]) -> bool:
    """``torch.zeros(3, requires_grad=True)``, ``requires_grad=learn``
    (``makes_requires_grad``), ``nn.Parameter(w)`` unless told ``requires_grad=False``, or
    a new tensor of torch's given ``**kwargs``, which may hold the flag: a leaf, whose uses
    record a graph. ``qualify`` names the callee (the module's imports), asked only of a
    call given ``**kwargs``."""
    if makes_requires_grad(node):
        return True
    if makes_a_parameter(node):
        assert isinstance(node, ast.Call)
        flags = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "requires_grad")]
        return all(literal_truth(flag) is not False for flag in flags)
    if not (isinstance(node, ast.Call) and any(keyword.arg is None for keyword in node.keywords)):
        return False
    qualified = qualify(node.func)
    return (
        qualified is not None
        and is_torchs(qualified)
        and qualified.rsplit(".", 1)[-1] in GRAPH_CUTTING_CONSTRUCTORS
    )


def requires_grad_targets(node: ast.AST) -> Iterator[str]:
    """Names a statement makes require grad: ``x.requires_grad_()``, ``x.requires_grad =
    True``, ``x = torch.zeros(..., requires_grad=True)``."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        if (
            isinstance(call.func, ast.Attribute)
            and call.func.attr == "requires_grad_"
            and isinstance(call.func.value, ast.Name)
            and _flag(call, "requires_grad") is not False
        ):
            yield call.func.value.id
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "requires_grad"
                and isinstance(target.value, ast.Name)
                and literal_truth(node.value) is True
            ):
                yield target.value.id
            elif isinstance(target, ast.Name) and makes_requires_grad(node.value):
                yield target.id


def _flag(call: ast.Call, keyword: str) -> bool | None:
    """The flag a call sets (first argument or ``keyword``): True when omitted."""
    if call.args:
        return literal_truth(call.args[0])
    for k in call.keywords:
        if k.arg == keyword:
            return literal_truth(k.value)
    return True


def statements_within(node: ast.AST) -> Iterator[ast.stmt]:
    """Every statement inside ``node``, nested blocks and definitions too, without a visit
    of the expressions (``ast.walk`` visits ten nodes for each statement)."""
    stack = [node]
    while stack:
        current = stack.pop()
        for field in BLOCK_FIELDS:
            block = getattr(current, field, None)
            if isinstance(block, list):  # not a lambda's or a conditional's ``body``
                for child in block:
                    if isinstance(child, ast.stmt):
                        yield child
                    stack.append(child)


def qualified_with(func: ast.AST, aliases: dict[str, str]) -> str | None:
    name = dotted_name(func)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    module = aliases.get(head)
    if module is None:
        return None
    return f"{module}.{rest}" if rest else module


def never_carries(node: ast.AST) -> bool:
    """Whether the value of ``node`` holds no graph, whatever flows into it: a literal, a
    comparison, a number or text read off a tensor (``loss.item()``, ``len(x)``,
    ``x.shape``), what a backward pass returns. ``FunctionValues.carries`` asks this first."""
    if isinstance(node, (ast.Compare, ast.Constant, ast.JoinedStr, ast.Lambda)):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):  # ``(h.detach(), c.detach())``, ``[]``
        return all(map(never_carries, node.elts))
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):  # ``[h.detach() for h in hs]``
        return never_carries(node.elt)
    if isinstance(node, ast.DictComp):  # ``{k: v.detach() for k, v in state.items()}``
        return never_carries(node.value)
    if isinstance(node, ast.Dict):
        return None not in node.keys and all(map(never_carries, node.values))
    if isinstance(node, ast.Attribute):
        return node.attr in GRAPH_DROPPING_ATTRIBUTES or (
            node.attr == INDEX_PAIR_INDICES and returns_index_pair(node.value)
        )
    if isinstance(node, ast.Subscript):
        return _second(node.slice) and returns_index_pair(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in METADATA_ARGUMENT_METHODS or func.attr == CLONE_METHOD:
                # ``total.detach().cpu()``: a move or copy of a value that holds none
                return never_carries(func.value)
            return (
                func.attr in GRAPH_DROPPING_METHODS
                or func.attr in GRAPH_CONSUMING_METHODS
                or func.attr in CONTAINER_EMPTYING_METHODS  # ``losses.clear()``: None
            )
        if makes_a_container(node) and not node.args and not node.keywords:
            return True  # ``list()``, ``dict()``: empty
        if isinstance(func, ast.Name) and func.id in CONTAINER_BUILTINS:
            # ``tuple(h.detach() for h in hidden)``: a container of values without one
            return len(node.args) == 1 and not node.keywords and never_carries(node.args[0])
        return isinstance(func, ast.Name) and func.id in GRAPH_DROPPING_BUILTINS
    return False


def returns_index_pair(node: ast.AST) -> bool:
    """``out.topk(k)``, ``torch.max(out, 1)``: a call that returns ``(values, indices)``
    (``catalog.INDEX_PAIR_METHODS``), whose indices carry no graph."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    method = node.func.attr
    if method in INDEX_PAIR_METHODS:
        return True
    if method not in INDEX_PAIR_METHODS_WITH_DIM:
        return False
    # A dimension given: by keyword, or as an integer among the first two arguments (the
    # method's first, ``torch.max``'s second); ``torch.max(a, b)`` compares two tensors.
    return any(k.arg == "dim" for k in node.keywords) or any(
        _is_integer(argument) for argument in node.args[:2]
    )


def _second(index: ast.AST) -> bool:
    """``[1]`` or ``[-1]`` of a pair."""
    return _integer(index) in (1, -1)


def _is_integer(node: ast.AST) -> bool:
    return _integer(node) is not None


def _integer(node: ast.AST) -> int | None:
    """The value of an integer literal, maybe negative."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node, sign = node.operand, -1
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _stores_only_numbers(values: Iterable[ast.AST]) -> bool:
    """An accumulation of these values keeps no graph (``total += loss.item()``)."""
    return all(
        never_carries(element)
        for value in values
        for element in (value.elts if isinstance(value, ast.Tuple) else [value])
    )


def is_accumulation(statement: ast.stmt) -> bool:
    """The statement forms NG002 reads as adding to an accumulator: ``total += loss``,
    ``outs[k] = y``, ``total = total + loss``, ``outs.append(y)``, and re-binding recurrent
    state from itself (``out, hidden = model(x, hidden)``); not when what is added never
    carries a graph (``total += loss.item()``, ``outs.append(len(x))``), which is most of
    them, and leaves most functions with loops unread."""
    if isinstance(statement, ast.AugAssign):
        return not _stores_only_numbers([statement.value])
    if isinstance(statement, ast.Assign):
        if any(isinstance(target, ast.Subscript) for target in statement.targets):
            if all(_overwrites_one_entry(target, statement.value) for target in statement.targets):
                return False  # ``stats["loss"] = loss``: one entry, overwritten each time
            return not _stores_only_numbers([statement.value])
        value = _unsliced(statement.value)  # ``queue = torch.cat([queue, k])[-size:]``
        if not isinstance(value, (ast.BinOp, ast.Call)) or never_carries(value):
            return False  # ``hidden = hidden.new_tensor(hidden)``: a copy, no graph
        names = {name for t in statement.targets for name in bound_names(t)}
        return any(names_one_of(operand, names) for operand in operands(value))
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr in ACCUMULATING_METHODS
            and not _stores_only_numbers(argument_values(statement.value))
        )
    return False


def _overwrites_one_entry(target: ast.expr, value: ast.expr) -> bool:
    """``stats["loss"] = loss``: a key written out, whose entry the value does not read
    (``stats["loss"] = stats["loss"] + loss`` adds to it)."""
    if not (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)):
        return False
    container, key = dumped(target.value), target.slice.value
    return not any(
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == key
        and dumped(node.value) == container
        for node in ast.walk(value)
    )


def makes_a_container(value: ast.AST | None) -> bool:
    """``{}``, ``[...]``, ``dict()``, ``deque(maxlen=n)`` (``catalog.CONTAINER_CONSTRUCTORS``):
    a container written out or made by its class, whose entries the code fills."""
    return isinstance(value, (ast.Dict, ast.List)) or (
        isinstance(value, ast.Call) and dotted_name(value.func) in CONTAINER_CONSTRUCTORS
    )


def NEVER(node: ast.AST) -> bool:
    """The seed that accepts nothing: ``derived(NEVER, start)`` follows ``start`` alone."""
    return False


def without_module_methods(node: ast.AST) -> ast.AST:
    """``Net()`` of ``Net().to(device).eval()``."""
    return peeled(node, MODULE_RETURNING_METHODS)


def peeled(node: ast.AST, methods: Collection[str]) -> ast.AST:
    """``node`` without the calls of ``methods`` chained on it: ``torch.zeros(n)`` of
    ``torch.zeros(n).cuda().float()`` for the methods that only move or cast."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (node.func.attr in methods)
    ):
        node = node.func.value
    return node


def _unsliced(value: ast.AST) -> ast.AST:
    """``torch.cat([queue, k])`` of ``torch.cat([queue, k])[-size:]``: a part of a value
    holds the graph of the whole."""
    while isinstance(value, ast.Subscript):
        value = value.value
    return value


def operands(value: ast.AST) -> list[ast.AST]:
    """``total`` and ``loss`` of ``total + loss``; the arguments of ``torch.max(best, loss)``
    and the elements of ``torch.cat([outs, out])``, also sliced (``torch.cat([queue,
    k])[-size:]``)."""
    value = _unsliced(value)
    if isinstance(value, ast.BinOp):
        return [value.left, value.right]
    if isinstance(value, ast.Call):
        found: list[ast.AST] = []
        for argument in argument_values(value):
            if isinstance(argument, (ast.List, ast.Tuple)):
                found.extend(argument.elts)
            else:
                found.append(argument)
        return found
    return []


def names_one_of(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp)
ASSIGNMENTS = (ast.Assign, ast.AnnAssign)


def keeps_comprehension(statement: ast.stmt) -> bool:
    """``outs = [model(x) for x in xs]``: a comprehension is a loop, and the list it makes
    outlives each of its iterations (NG002). Only one whose elements are computed by a call
    where they are made: a list of names copies values kept elsewhere."""
    if isinstance(statement, ast.Assign):
        target: ast.AST = statement.targets[0]
        if len(statement.targets) != 1:
            return False
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return False
    value = statement.value
    if not (isinstance(value, COMPREHENSIONS) and isinstance(target, ast.Name)):
        return False
    element = value.value if isinstance(value, ast.DictComp) else value.elt
    return any(isinstance(node, ast.Call) for node in ast.walk(element))  # a forward to keep


def assignment_pairs(target: ast.AST, value: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """What each part of an assignment's target is given: ``a, b = x, y`` pairs them; any
    other target is given the whole value."""
    if (
        isinstance(target, ast.Tuple)
        and isinstance(value, ast.Tuple)
        and len(target.elts) == len(value.elts)
    ):
        return list(zip(target.elts, value.elts))
    return [(target, value)]


def is_self_attribute(node: ast.AST, attribute: str | None) -> bool:
    """``self.<attribute>`` (any attribute of ``self`` for None)."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and (attribute is None or node.attr == attribute)
    )


def names_read(node: ast.AST) -> set[str]:
    """The plain names ``node`` reads (not those it binds), nested scopes included."""
    return {
        child.id
        for child in ast.walk(node)
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)
    }


def condition_key(test: ast.AST) -> Hashable:
    """What two ``if`` tests written alike share, so that ``if training:`` twice is one
    condition: ``ast.dump`` of the test, which cost a sixth of the NG002 screen on long
    functions, for all but the commonest tests (names, constants, comparisons, ``not``,
    ``and``/``or`` of them), which are spelled as tuples that start with their kind."""
    if isinstance(test, ast.Name):
        return test.id
    if isinstance(test, ast.Attribute):
        name = dotted_name(test)
        if name is not None:
            return name  # dotted, unlike a name; ``ast.dump`` text has brackets
    elif isinstance(test, ast.Constant):
        return (ast.Constant, type(test.value), test.value)
    elif isinstance(test, ast.UnaryOp):
        return (type(test.op), condition_key(test.operand))
    elif isinstance(test, ast.BoolOp):
        return (type(test.op), *map(condition_key, test.values))
    elif isinstance(test, ast.Compare):
        return (
            ast.Compare,
            condition_key(test.left),
            *map(type, test.ops),
            *map(condition_key, test.comparators),
        )
    return dumped(test)


def dumped(node: ast.AST) -> Hashable:
    """``ast.dump(node)``, which compares two expressions written alike; the node itself
    where an integer written out is too long for ``repr`` (Python's limit on the digits
    it converts): such an expression is then alike only to itself."""
    try:
        return ast.dump(node)
    except ValueError:
        return node


def creates_graph(call: ast.Call) -> bool:
    """``torch.autograd.grad(..., create_graph=True)``: the gradients carry a graph."""
    return any(
        k.arg == CREATE_GRAPH_KEYWORD and literal_truth(k.value) is not False for k in call.keywords
    )


def retains_graph(call: ast.Call) -> bool:
    """``loss.backward(retain_graph=True)`` keeps the graph for another backward."""
    return any(
        k.arg in (RETAIN_GRAPH_KEYWORD, CREATE_GRAPH_KEYWORD)
        and literal_truth(k.value) is not False
        for k in call.keywords
    )


def forward_receiver(call: ast.Call, models: frozenset[str]) -> str | None:
    """The model ``call`` runs: ``model`` of ``model(x)`` or ``model.forward(x)``."""
    name = dotted_name(call.func)
    if name is not None and name in models:
        return name
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "forward":
        owner = dotted_name(func.value)
        if owner is not None and owner in models:
            return owner
    return None
