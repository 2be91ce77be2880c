"""The screen's test for NG004, on the stdlib ``ast`` tree: can a loop carry eval mode
around its back edge to a training step?

NG004 needs, inside one loop, a call that begins an eval period (an eval call, or a call of
a function of the module that leaves a model in eval mode) and a training step: gradient
code in the loop itself (after a forward call of the model), or a call of a function of the
module that trains a model in the mode it finds. What begins a period and what trains are
read by the analysis's own code (:mod:`.analysis.mode_summaries`), so this screen restates
nothing; it only looks more widely: the outermost loop stands for every loop inside it, a
call is matched to every function or method with its last name, and the order of the calls
in the loop does not matter. A module without such a loop cannot hold an NG004 finding, and
is left to the cheaper screens of the other rules.

Two narrower readings keep the common checkpoint and validation code out of the analysis,
each asking only what the flow asks too: an eval call that a ``train()`` of the same model
surely follows in its own block begins no period that can reach the back edge, and a call
of the model under a ``torch.no_grad()`` scope that surely holds (:mod:`.screen_grad_scopes`)
is no training step, since the flow takes no forward call under such a scope for one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import cast

from .analysis.catalog import (
    FORWARD_METHODS,
    MODULE_RETURNING_METHODS,
    SUBMODULE_METHODS,
    Mode,
    unwrapped,
)
from .analysis.mode_summaries import ModeSummaries, mode_call, summaries_of
from .analysis.value_readings import FunctionNode
from .analysis.values import ModuleValues, owns_its_body
from .ast_names import BLOCK_FIELDS, chain_head, dotted_name, is_within, jumps_within, walk
from .screen_grad_scopes import calls_under_no_grad, names_as_written, trusted_after

_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def eval_carrying_calls(
    tree: ast.Module, values: ModuleValues | None = None, source: str = ""
) -> list[ast.Call]:
    """The calls of every loop that may carry eval mode to a training step: what pruning
    must keep whole (the definitions that hold them, and their callers); the functions they
    call are read by the summaries, off the whole ``ast`` tree. ``source``, the text of
    ``tree``, lets the screen trust ``torch.no_grad()`` scopes (:mod:`.screen_grad_scopes`)."""
    summaries: ModeSummaries | None = None
    defined: set[str] = set()
    found: list[ast.Call] = []
    #: Read on first need: the line below which ``torch.no_grad()`` scopes surely hold, and
    #: whether names read as written (``screen_grad_scopes``).
    trust: tuple[int | None, bool] | None = None
    for loop, owner in _outermost_loops(tree):
        if summaries is None:
            summaries = summaries_of(values or ModuleValues(tree))
            defined = summaries.callable_names()
        begins = trains = False
        named: list[tuple[str, ast.Call]] = []
        calls: list[ast.Call] = []
        others: list[ast.Call] = []
        for call in (node for node in walk(loop) if isinstance(node, ast.Call)):
            calls.append(call)
            mode = mode_call(call, summaries.shadowed())
            if mode is not None:
                begins |= mode[1] is Mode.EVAL
                continue
            others.append(call)
            name = summaries.imported.callee_name(call.func)
            if name is not None and _may_be_summarised(name, defined):
                named.append((name, call))
        if not begins and not named:
            continue  # nothing in this loop can begin a period
        trains = any(summaries.gradient_code(call) for call in others)
        for name, call in named:  # summaries only when the loop's own calls do not decide
            if begins and trains:
                break
            for summary in summaries.named(name, call):
                begins |= bool(summary.leaves_eval)
                # (A helper that hands back a forward trains only where gradient code of
                # the loop itself differentiates its result: ``trains`` is set already.)
                trains |= bool(summary.trains)
        if begins and not trains:
            trains = _hands_a_backward_what_it_makes(loop, owner, others, summaries)
        if not (begins and trains):
            continue
        if trust is None:
            trust = (trusted_after(tree, source), names_as_written(source))
        after, as_written = trust
        protected = calls_under_no_grad(loop, after) if after is not None else set()
        if not _every_step_set_in_mode(loop, summaries, defined, protected, as_written):
            found.extend(calls)
    return found


def _hands_a_backward_what_it_makes(
    loop: ast.For | ast.AsyncFor | ast.While,
    owner: FunctionNode,
    calls: list[ast.Call],
    summaries: ModeSummaries,
) -> bool:
    """Whether the loop hands a function of the module, to a parameter it differentiates
    (``ModuleValues.differentiated_arguments``), something the loop itself may make:
    ``optimizer_step(criterion(model(x), y), optimizer)``. Only so can a forward call of
    the loop reach that function's backward (the flow's training step); the models and
    loaders of ``train(model, loader, optimizer)``, bound before the loop, do not."""
    written: set[str] = set()
    # The loop's calls run in ``owner`` but for those of a function or lambda defined in
    # it: knowing which spares a walk of the whole module for ``function_of``.
    nested: set[int] = set()
    for node in walk(loop):
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            written.add(chain_head(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (node.args or node.keywords)
        ):
            written.add(chain_head(node.func.value))  # ``losses.append(loss)``, ``total.add_(x)``
        if owns_its_body(node):
            body = getattr(node, "body", [])
            for part in body if isinstance(body, list) else [body]:
                nested.update(id(n) for n in walk(part) if isinstance(n, ast.Call))

    def made_here(argument: ast.expr) -> bool:
        name = dotted_name(argument)
        return name is None or name.split(".", 1)[0] in written

    values = summaries.values
    for call in calls:
        # Only an argument the loop may make can answer yes: the callee is read (the
        # costly part) only for a call handed one.
        given = [*call.args, *(k.value for k in call.keywords if k.arg is not None)]
        made = [argument for argument in given if made_here(argument)]
        if not made:
            continue
        function = values.function_of(call) if id(call) in nested else values.facts(owner)
        if function and function.differentiated_arguments(call, made):
            return True
    return False


#: A statement's place: the chain of (body list, index) from the loop down to it, with a
#: (loop statement, ``_LOOP``) link where it enters a nested loop.
Place = tuple[tuple[int, int], ...]
_LOOP = -1


def _every_step_set_in_mode(
    loop: ast.For | ast.AsyncFor | ast.While,
    summaries: ModeSummaries,
    defined: set[str],
    protected: set[int],
    as_written: bool,
) -> bool:
    """Whether, for every model a call of the loop may leave in eval mode, every call that
    may train it (any call of it, or of a function that trains it) comes after a mode
    setter of it (or a call of a function that leaves it in train mode) that runs first on
    every path within the same loop iteration: then no period is carried to a training step
    (``model.train()`` at the top of an epoch, or in each arm of a GAN's alternation).
    An eval call that a ``train()`` of the same model ends further down its own block
    begins no period that lasts (``_ended_in_its_block``); a call of the model in
    ``protected`` (under a trusted ``torch.no_grad()``) is no training step, as the flow
    takes no forward call under a grad-disabling scope for one. ``as_written``: the
    source's names read the same in ``ast`` as in LibCST (``names_as_written``), which the
    first reading needs. False when a model cannot be named."""
    begun: set[str] = set()
    setters: dict[str, list[Place]] = {}
    uses: list[tuple[ast.Call, Place]] = []
    evals: list[tuple[str, ast.Call, Place]] = []
    blocks: dict[int, tuple[list[ast.stmt], ast.AST]] = {}
    shadowed = summaries.shadowed()
    for call, place, is_statement in _calls_with_places(loop, blocks):
        mode = mode_call(call, shadowed)
        if mode is not None:
            receiver, how = mode
            if receiver is None:
                return False
            if how is Mode.EVAL:
                evals.append((receiver, call, place))
            if is_statement:
                setters.setdefault(receiver, []).append(place)
            continue
        uses.append((call, place))
        name = summaries.imported.callee_name(call.func)
        if name is None or not _may_be_summarised(name, defined):
            continue
        caller_self = (
            call.func.value.id
            if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
            else None
        )
        # A model the call puts back in train mode under every reading of its name: the
        # flow may run any one of them (a subclass's override, or not, by the object).
        restored: set[str] | None = None
        for summary, names in summaries.readings(name, call, caller_self):
            for receiver in summary.leaves_eval:
                model = names(receiver)
                if model is None:
                    return False
                begun.update(summaries.same_object(call, model))
            trained = {m for r in summary.leaves_train if (m := names(r)) is not None}
            restored = trained if restored is None else restored & trained
        if is_statement:
            for model in restored or ():
                setters.setdefault(model, []).append(place)
    bound = list(_bound_values(loop))
    begun.update(
        name
        for receiver, call, place in evals
        if not (as_written and _ended_in_its_block(call, place, receiver, blocks, shadowed))
        or any(_mentions(value, receiver) for value in bound)
        for name in summaries.same_object(call, receiver)  # ``ddp = DDP(model)``: both
    )
    # ``ddp.module.eval()`` begins ``ddp``'s period to the flow (``catalog.unwrapped``):
    # both names, since a train setter counts only for the name it is written with.
    begun.update([unwrapped(model) for model in begun])
    if any(_may_carry(value, begun) for value in bound):
        return False  # ``net = model``, ``net, acc = evaluate(model, val)``: another name
    for model in begun:
        for call, place in uses:
            if _may_train(call, model, summaries, defined, protected) and not any(
                _runs_first(setter, place) for setter in setters.get(model, ())
            ):
                return False
    return True


#: Blocks an exception may leave for a handler that goes on with the loop.
_CATCHING = (ast.Try, ast.ExceptHandler, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def _ended_in_its_block(
    call: ast.Call,
    place: Place,
    model: str,
    blocks: dict[int, tuple[list[ast.stmt], ast.AST]],
    shadowed: frozenset[str],
) -> bool:
    """Whether the eval call is the spine of a simple statement (``model.eval()``,
    ``model.eval().cpu()``) that a ``model.train()`` statement later in the same block
    surely follows: no statement between them may jump (``continue``, ``break``,
    ``return``, ``raise``), and no ``try`` around them may catch what a call between them
    raises and go on with the loop. Then the period it begins never reaches the loop's
    back edge (a checkpoint taken in eval mode in the middle of training)."""
    block, index = place[-1]
    if any(
        position != _LOOP and isinstance(blocks[held][1], _CATCHING) for held, position in place
    ):
        return False
    statements = blocks[block][0]
    if not _on_spine(statements[index], call):
        return False
    for statement in statements[index + 1 :]:
        if (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and mode_call(statement.value, shadowed) == (model, Mode.TRAIN)
        ):
            return True
        if jumps_within([statement]):
            return False
    return False


def _on_spine(statement: ast.stmt, call: ast.Call) -> bool:
    """``call`` is what a simple statement evaluates, or the receiver of a chain of calls
    and attributes it evaluates (``model.eval().cpu()``): it runs whenever the statement
    does, and the statement itself cannot jump."""
    if not isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)):
        return False
    node: ast.AST | None = statement.value
    while node is not None and node is not call:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False
    return node is call


def _bound_values(loop: ast.For | ast.AsyncFor | ast.While) -> Iterator[ast.expr]:
    """The values the loop binds names to (``=``, ``: T =``, ``:=``)."""
    for node in walk(loop):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            yield node.value


def _may_carry(value: ast.expr, models: set[str]) -> bool:
    """Whether binding ``value`` may hand a name the eval state of one of ``models``, as
    ``flow.bind`` may: the model itself or a chain on it (``model.module``,
    ``model.to(dev)``, ``list(model.children())[0]``), or a call handed one (a wrapper, a
    function of the module that returns its argument) or made on one (a method that returns
    ``self``); not a forward call's output (``out = model(x)``)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
            continue
        if isinstance(node, ast.IfExp):
            stack.extend((node.body, node.orelse))
            continue
        if isinstance(node, (ast.Starred, ast.NamedExpr)):
            stack.append(node.value)
            continue
        if isinstance(node, ast.Subscript):
            stack.append(node.value)  # ``list(model.children())[0]``
            continue
        while (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (node.func.attr in MODULE_RETURNING_METHODS or node.func.attr in SUBMODULE_METHODS)
        ):
            node = node.func.value  # ``model.to(dev).half()``, ``model.children()``
        if isinstance(node, ast.Call):
            stack.extend(a.value if isinstance(a, ast.Starred) else a for a in node.args)
            stack.extend(k.value for k in node.keywords)
            if isinstance(node.func, ast.Attribute):
                stack.append(node.func.value)  # a method may hand back its object
            elif isinstance(node.func, ast.Call):
                stack.append(node.func)
            continue
        name = dotted_name(node)
        if name is not None and any(is_within(name, model) for model in models):
            return True
    return False


def _mentions(value: ast.expr, model: str) -> bool:
    """Whether ``value`` names ``model``, something in it or something that holds it
    (``self`` of ``self.model``) anywhere but as the callee of a forward call of the model
    (``model(x)``, ``model.forward(x)``): a binding the first reading of
    ``_every_step_set_in_mode`` cannot rule out as handing the eval state to another name,
    however the flow follows it."""
    forwards = {model, *(f"{model}.{method}" for method in FORWARD_METHODS)}
    exempt: set[int] = set()
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and dotted_name(node.func) in forwards:
            exempt.update(id(part) for part in ast.walk(node.func))
    for node in ast.walk(value):
        if id(node) in exempt or not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        name = dotted_name(node)
        if name is not None and (is_within(name, model) or is_within(model, name)):
            return True
    return False


def _may_train(
    call: ast.Call, model: str, summaries: ModeSummaries, defined: set[str], protected: set[int]
) -> bool:
    """A call of ``model`` (or of an attribute of it) outside a trusted ``torch.no_grad()``
    scope, or a call handing it, or anything at all, to a function of the module that
    trains a model (the flow judges such a call by the function's summary, whatever the
    grad mode around it)."""
    if id(call) not in protected:
        callee = dotted_name(call.func)
        if callee is not None and is_within(callee, model):
            return True
        # ``DataParallel(model)(x)``: the flow unwraps a wrapper called at once.
        if isinstance(call.func, ast.Call) and _may_carry(call.func, {model}):
            return True
    name = summaries.imported.callee_name(call.func)
    return (
        name is not None
        and _may_be_summarised(name, defined)
        and any(summary.trains or summary.hands_back for summary in summaries.named(name, call))
    )


def _may_be_summarised(name: str, defined: set[str]) -> bool:
    """Whether a call by ``name`` (``ImportedHelpers.callee_name``) may have a summary: a
    name of ``defined`` (``ModeSummaries.callable_names``), or ``util.evaluate``, which
    ``keys_named`` looks up in ``util.py`` beside the file."""
    return name in defined or "." in name


def _runs_first(setter: Place, step: Place) -> bool:
    """The setter's statement is in a block that holds the step, before it, with no loop
    between them (a loop in between could carry a period to the step around its own back
    edge)."""
    depth = len(setter) - 1
    if len(step) <= depth or step[:depth] != setter[:depth]:
        return False
    block, index = setter[depth]
    return (
        step[depth][0] == block
        and step[depth][1] > index
        and all(position != _LOOP for _, position in step[depth + 1 :])
    )


def _calls_with_places(
    loop: ast.For | ast.AsyncFor | ast.While,
    blocks: dict[int, tuple[list[ast.stmt], ast.AST]],
) -> Iterator[tuple[ast.Call, Place, bool]]:
    """Every call of the loop's body, with the place of its statement (a loop statement in
    the chain gets its own id, so that places across a loop never match) and whether the
    call is the whole statement (``model.train()`` on its own line). ``blocks`` gets each
    statement list a place names, with the statement or handler that holds it."""
    blocks[id(loop.body)] = (loop.body, loop)
    stack: list[tuple[ast.stmt, Place]] = [
        (statement, ((id(loop.body), index),)) for index, statement in enumerate(loop.body)
    ]
    while stack:
        statement, place = stack.pop()
        whole = (
            statement.value
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            else None
        )
        inner = (*place, (id(statement), _LOOP)) if isinstance(statement, _LOOPS) else place
        for value in (v for _, v in ast.iter_fields(statement)):
            children = value if isinstance(value, list) else [value]
            if children and all(isinstance(c, ast.stmt) for c in children):
                blocks[id(children)] = (children, statement)
                stack.extend(
                    (child, (*inner, (id(children), index))) for index, child in enumerate(children)
                )
                continue
            for child in children:
                if isinstance(child, ast.excepthandler) or type(child).__name__ == "match_case":
                    body: list[ast.stmt] = getattr(child, "body", [])
                    blocks[id(body)] = (body, child)
                    stack.extend((c, (*place, (id(body), i))) for i, c in enumerate(body))
                    # ``except evaluate(model):``, ``case 1 if model.eval():``: run with the
                    # statement, before the body.
                    for head in filter(
                        None, (getattr(child, "type", None), getattr(child, "guard", None))
                    ):
                        for node in ast.walk(head):
                            if isinstance(node, ast.Call):
                                yield node, place, False
                elif isinstance(child, ast.AST):
                    for node in ast.walk(child):
                        if isinstance(node, ast.Call):
                            yield node, place, node is whole


def _outermost_loops(
    tree: ast.Module,
) -> Iterator[tuple[ast.For | ast.AsyncFor | ast.While, FunctionNode]]:
    """Each outermost loop, with the function (or module) its statements run in, as
    ``ModuleValues.function_of`` reads it. Loops are statements: only statement bodies are
    walked, not expressions."""
    stack: list[tuple[ast.stmt, FunctionNode]] = [(s, tree) for s in tree.body]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, _LOOPS):
            yield node, owner
            continue
        inner = cast(FunctionNode, node) if owns_its_body(node) else owner
        for field in BLOCK_FIELDS:
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt):
                    stack.append((child, inner))
                else:  # an except handler or a match case: its body
                    stack.extend((c, inner) for c in getattr(child, "body", ()))
