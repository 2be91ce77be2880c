"""Small readings of the stdlib ``ast`` shared by the screens and positions: dotted names
(``self.model``), the keys the screen compares names by, their last part (``self.model`` is
``(ATTR, "model")``), a call's arguments as the catalog reads them, and the node kinds that
open a scope."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence

from .analysis.catalog import METHOD_BY_NAME, Arg, is_module_class

#: Nodes whose body runs later, in a scope of its own.
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
#: The other nodes that open a scope: their code is not part of the enclosing flow.
NESTED_SCOPES = (
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
#: Every node whose code runs in a scope of its own.
SCOPES = (*FUNCTIONS, *NESTED_SCOPES)
#: Nodes whose bindings are their own: a function, a lambda, a class (not a comprehension).
OWN_SCOPES = (*FUNCTIONS, ast.Lambda, ast.ClassDef)

#: Nodes that bind a name given as a string (``match`` exists from Python 3.10).
NAMED_BINDINGS = (
    ast.ExceptHandler,
    *(getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name)),
)

#: Nodes with nothing worth a visit below them: ``Load``/``Store`` markers, operators, constants.
LEAVES = frozenset(
    {
        ast.Load,
        ast.Store,
        ast.Del,
        ast.Constant,
        *(
            op
            for base in (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
            for op in base.__subclasses__()
        ),
    }
)


#: Fields that hold a string, a number or a ``LEAVES`` marker in every node type that has
#: them (``Name.id``, ``Attribute.attr``, ``ctx``, ``op``...): ``inner_nodes`` skips them.
_SCALAR_FIELDS = frozenset(
    {"id", "attr", "name", "arg", "asname", "module", "level", "kind", "ctx", "op"}
    | {"type_comment", "is_async", "simple", "conversion"}
)
#: Node type -> the fields ``inner_nodes`` reads, computed on first sight of the type.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def inner_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` less the ``LEAVES``: the walks of the screens and of the
    value facts visit every node of a module, and the stdlib's generators, and the markers
    and constants they hand back, are a large part of their time."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = tuple(
            f
            for f in kind._fields
            if f not in _SCALAR_FIELDS or kind.__name__ == "TypeAlias"  # 3.12: a ``Name``
        )
    found = []
    for field in fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            found += [c for c in value if isinstance(c, ast.AST) and type(c) not in LEAVES]
        elif isinstance(value, ast.AST) and type(value) not in LEAVES:
            found.append(value)
    return found


#: What a key's text is: a plain name, or the last part of an attribute. Plain strings
#: (``("name", "model")``), which every reader of keys may spell either way.
NAME = "name"
ATTR = "attr"

#: (kind, text): ``model`` is ``(NAME, "model")``, ``self.net`` ``(ATTR, "net")``.
Key = tuple[str, str]


def key_of(node: ast.AST) -> Key | None:
    if isinstance(node, ast.Name):
        return (NAME, node.id)
    if isinstance(node, ast.Attribute):
        return (ATTR, node.attr)
    return None


def keys_in(node: ast.AST | None) -> set[Key]:
    """Every name and attribute in ``node``: for a callee, all that rebinding ends its eval
    periods (``self``, ``self.model``: ``FlowState.clear``)."""
    return {key for child in walk(node) for key in (key_of(child),) if key is not None}


def names_in(node: ast.AST) -> set[str]:
    """Every plain name read or bound in ``node``, nested scopes included."""
    return {child.id for child in walk(node) if type(child) is ast.Name}


def walk(node: ast.AST | None) -> Iterator[ast.AST]:
    """``ast.walk`` less the ``LEAVES``, in no particular order: a fraction of its time on
    the screens' keys."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        yield current
        if type(current) is not ast.Name:  # nothing below a name but its context
            stack.extend(inner_nodes(current))


def dotted_name(expr: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def chain_head(node: ast.expr) -> str:
    """The name a chain of attributes, subscripts and calls starts from (``outs`` of
    ``outs[0].append``); empty when it starts from anything else."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def last_name(func: ast.AST) -> str | None:
    """``backward`` of ``loss.backward``, ``grad`` of ``grad``: how a call names its callee."""
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def is_dotted(expr: ast.AST) -> bool:
    """``dotted_name(expr) is not None``, without building the name."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def nodes_in(value: object) -> list[ast.AST]:
    """The nodes of one field of a node (a node, a list of them, or anything else)."""
    if isinstance(value, ast.AST):
        return [value]
    return [v for v in value if isinstance(v, ast.AST)] if isinstance(value, list) else []


def binds_torch(node: ast.AST) -> bool:
    """Any binding of the name ``torch`` other than ``import torch``: then ``torch.no_grad``
    may not be torch's."""
    return binds_name(node, "torch")


def binds_name(node: ast.AST, name: str, module: str | None = None) -> bool:
    """Whether ``node`` binds ``name`` other than to ``module`` (``name`` itself unless
    given) by ``import``: a parameter, an assignment, ``import other as name``, ``except E
    as name``, a ``case`` capture; then ``name.f`` may not be the module's."""
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.arg):
        return node.arg == name
    if isinstance(node, (*FUNCTIONS, ast.ClassDef, *NAMED_BINDINGS)):
        return getattr(node, "name", None) == name
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    if isinstance(node, ast.ImportFrom):
        return any((a.asname or a.name) == name for a in node.names)
    if isinstance(node, ast.Import):
        return any(alias.asname == name and alias.name != (module or name) for alias in node.names)
    return getattr(node, "rest", None) == name  # ``case {**name}``


def call_args(call: ast.Call) -> tuple[Arg, ...]:
    """``call``'s arguments as the catalog reads them (``analysis.arguments`` for LibCST):
    positional ones first, as Python requires, then keywords; ``**kwargs`` is a star."""
    return (
        *(
            Arg(star=True) if isinstance(a, ast.Starred) else Arg(truth=literal_truth(a))
            for a in call.args
        ),
        *(
            Arg(star=True) if k.arg is None else Arg(k.arg, truth=literal_truth(k.value))
            for k in call.keywords
        ),
    )


def unbound_receiver(call: ast.Call) -> ast.expr | None:
    """``model`` of ``nn.Module.train(model)``: the module a method called on a module
    class runs on (``analysis.eval_mode.unbound_receiver`` reads LibCST the same way)."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and call.args
        and not isinstance(call.args[0], ast.Starred)
        and is_module_class(dotted_name(func.value))
    ):
        return call.args[0]
    return None


def dispatched_receiver(call: ast.Call) -> str | None:
    """``self`` of ``getattr(self, hook)(...)`` (``catalog.METHOD_BY_NAME``): the object a
    method looked up by name runs on, when it is a dotted name."""
    func = call.func
    if (
        isinstance(func, ast.Call)
        and isinstance(func.func, ast.Name)
        and func.func.id == METHOD_BY_NAME
        and len(func.args) >= 2
        and not isinstance(func.args[0], ast.Starred)
    ):
        return dotted_name(func.args[0])
    return None


def literal_truth(node: ast.expr) -> bool | None:
    """The value of a ``True``/``False``/integer literal (``analysis.nodes.literal_bool``),
    None for anything else."""
    if isinstance(node, ast.Constant) and type(node.value) in (bool, int):
        return bool(node.value)
    return None


def module_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements run at module level: the body, and inside top-level ``if``/``try``."""
    stack = list(tree.body)
    while stack:
        statement = stack.pop()
        yield statement
        for field in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(
                getattr(statement, field, ()) if isinstance(statement, (ast.If, ast.Try)) else ()
            )
        if isinstance(statement, ast.ExceptHandler):
            stack.extend(statement.body)


#: Builtins that reach an object's attributes by a name computed at run time; with
#: ``__dict__``, code that may set any attribute without naming it.
ATTRIBUTES_BY_NAME = frozenset({"setattr", "delattr", "vars"})


def sets_attributes_by_name(node: ast.AST) -> bool:
    """``setattr``/``delattr``/``vars`` named, or a ``__dict__`` read."""
    return (isinstance(node, ast.Name) and node.id in ATTRIBUTES_BY_NAME) or (
        isinstance(node, ast.Attribute) and node.attr == "__dict__"
    )


def owner_attributes(node: ast.AST, owner: str) -> set[str]:
    """The attributes of the object named ``owner`` that ``node`` names anywhere in it
    (``self._feats`` of ``if self._feats is None``, of a target ``self.a, self.b``)."""
    return {
        part.attr
        for part in ast.walk(node)
        if isinstance(part, ast.Attribute)
        and isinstance(part.value, ast.Name)
        and part.value.id == owner
    }


def self_parameter(method: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The first parameter of a method (``self``, ``cls``); None for a static method."""
    if any(dotted_name(d) == "staticmethod" for d in method.decorator_list):
        return None
    positional = (*method.args.posonlyargs, *method.args.args)
    return positional[0].arg if positional else None


def is_super(node: ast.AST, owner: str | None, self_name: str | None) -> bool:
    """``super()`` in a method of the class ``owner`` (None: of a class already known)
    whose ``self`` is ``self_name``, or ``super(Owner, self)``: the object itself, its
    methods looked up from the next base."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
        and self_name is not None
        and not node.keywords
    ):
        return False
    if not node.args:
        return True
    return (
        len(node.args) == 2
        and isinstance(node.args[0], ast.Name)
        and (owner is None or node.args[0].id == owner)
        and isinstance(node.args[1], ast.Name)
        and node.args[1].id == self_name
    )


def module_class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    """The module's one top-level class called ``name``; None if it has none, or several
    (which one a name means then depends on the order the code runs in)."""
    found = [s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == name]
    return found[0] if len(found) == 1 else None


#: Statements after which the rest of their block does not run.
JUMPS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
#: The fields that hold statements, or handlers and ``case`` clauses that hold them.
BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def own_statements(roots: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``roots`` and of the blocks nested in them (handlers and ``case``
    clauses too), but none of a nested function or class, nor the ``def`` or ``class``
    itself. Only statements are visited: no expression holds one."""
    stack: list[ast.AST] = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, OWN_SCOPES):  # no lambda holds a statement
            continue
        if isinstance(node, ast.stmt):
            yield node
        for field in BLOCK_FIELDS:
            block = getattr(node, field, None)
            if isinstance(block, list):  # not a lambda's or a conditional's ``body``
                stack.extend(block)


def jumps_within(roots: Sequence[ast.stmt]) -> bool:
    """Whether a ``return``, ``raise``, ``break`` or ``continue`` stands in ``roots`` or in
    a block nested in them, but not in a nested function or class, whose jumps are its own."""
    return any(isinstance(statement, JUMPS) for statement in own_statements(roots))


def same_scope_nodes(roots: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of ``roots`` that run when they do: none of a nested function, lambda,
    class or comprehension (a root that is one included), whose ``return``, ``break`` or
    grad mode is its own."""
    stack: list[ast.AST] = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, SCOPES):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def is_within(name: str, prefix: str) -> bool:
    """True when ``name`` is ``prefix`` or an attribute of it (``self.model`` in ``self``)."""
    return name == prefix or name.startswith(prefix + ".")


def within_any(name: str, prefixes: Collection[str]) -> bool:
    """True when ``name`` or one of its prefixes (``self``, ``self.net``) is in ``prefixes``."""
    if not prefixes:
        return False
    head = name
    while head not in prefixes:
        if "." not in head:
            return False
        head = head.rsplit(".", 1)[0]
    return True


def arguments_given(
    call: ast.Call, positional: list[str], keywords: set[str]
) -> dict[str, ast.expr] | None:
    """Parameter -> the expression ``call`` gives it, for a callee with these positional
    parameters (in order, a bound ``self`` left out) and keyword-passable names; None where
    that is unknown (``*args``, ``**options``) or the call would fail."""
    if len(call.args) > len(positional) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    given = dict(zip(positional, call.args))
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg not in keywords or keyword.arg in given:
            return None  # ``**options``, or a call that would fail
        given[keyword.arg] = keyword.value
    return given
