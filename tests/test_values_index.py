"""The module-wide index of ``analysis.values`` walks every node of a module by hand; every
shape of child it meets must be walked or skipped, never taken for a node."""

from __future__ import annotations

import ast

import pytest

from nograd_lint import check_source
from nograd_lint.analysis.values import ModuleValues

SHAPES = {
    "dict unpacking (a None key)": "options = {**extra, 'k': 1}",
    "global names (strings)": "global counter",
    "a lambda's defaults": "scale = lambda v, k=2: v * k",
    "a match statement": "match extra:\n        case {'k': v}:\n            pass",
    "an f-string": "label = f'{extra!r:>10}'",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_analysis_reads_a_module_with(shape: str) -> None:
    source = (
        "import torch\n\n\n"
        "def predict(model, x, extra):\n"
        "    model.eval()\n"
        f"    {SHAPES[shape]}\n"
        "    return model(x)\n"
    )
    assert [finding.code for finding in check_source(source)] == ["NG001"]


def test_the_index_knows_the_function_of_every_call_and_statement() -> None:
    tree = ast.parse("def f(a):\n    g = lambda b: h(b)\n    return {**a, 'k': i(a)}\n\nj(f)\n")
    values = ModuleValues(tree)
    owners = {
        ast.unparse(call.func): type(values.function_of(call).node).__name__  # type: ignore[union-attr]
        for call in values.index.calls
    }
    assert owners == {"h": "Lambda", "i": "FunctionDef", "j": "Module"}


#: ``if`` tests, some written alike: the key of each must equal the key of another exactly
#: when their ``ast.dump`` texts do.
_TESTS = [
    "training",
    "training",
    "self.training",
    "self.training",
    "self",
    "a.b.c",
    "a.b",
    "not training",
    "not self.training",
    "-x",
    "~x",
    "not not x",
    "x is None",
    "x is not None",
    "x == None",
    "None is x",
    "x is None is y",
    "a and b",
    "a or b",
    "a and b and c",
    "(a and b) and c",
    "a and (b or c)",
    "1",
    "1.0",
    "True",
    "0.0",
    "-0.0",
    "'1'",
    "b'1'",
    "None",
    "...",
    "float('nan')",
    "x == 1",
    "x == 1.0",
    "x == True",
    "x[0]",
    "x[0] is None",
    "f(x)",
    "f(x) == 1",
    "a.b == c.d",
    "a.b() == c",
    "(a).b",
    "a . b",
]


def test_if_tests_share_a_key_exactly_when_they_are_written_alike() -> None:
    from nograd_lint.analysis.value_readings import condition_key

    parsed = [ast.parse(text, mode="eval").body for text in _TESTS]
    for one in parsed:
        for other in parsed:
            same = ast.dump(one) == ast.dump(other)
            assert (condition_key(one) == condition_key(other)) is same, (
                ast.unparse(one),
                ast.unparse(other),
            )


BLOCKS = """
def outer(model, x):
    model(x)
    if x:
        _ = model(x)
    else:
        y = [model(v) for v in x]
    for v in x:
        model(v)
    else:
        model(x)
    while x:
        with ctx():
            model(x)
    try:
        model(x)
    except ValueError:
        model(x)
    else:
        model(x)
    finally:
        model(x)
    match x:
        case [v]:
            model(v)
        case _:
            pass
    class Inner:
        model(x)

        def method(self):
            model(x)
    async def helper():
        async for v in x:
            await model(v)
        async with ctx():
            model(x)
    scale = lambda v: model(v)
    return scale
"""


def test_the_statement_walk_meets_every_statement_that_ast_walk_meets() -> None:
    """``statements_within`` skips expressions for speed: it must miss no statement of
    any block (``discards`` reads it to find calls whose value is thrown away)."""
    from nograd_lint.analysis.value_readings import statements_within

    tree = ast.parse(BLOCKS)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            expected = [n for n in ast.walk(node) if isinstance(n, ast.stmt) and n is not node]
            assert {id(n) for n in statements_within(node)} == {id(n) for n in expected}
    assert len(list(statements_within(tree))) == 30


def test_a_screen_asking_about_some_parameters_gets_the_full_answer_for_those() -> None:
    """``differentiated_parameters(only=...)`` reads the parameters asked about alone: the
    same flags as the whole reading for each of them, nothing for the others, and nothing
    kept that a later whole reading would take for its answer."""
    tree = ast.parse(
        "def step(loss, aux, optimizer, epoch, train=True):\n"
        "    if train:\n"
        "        loss.backward()\n"
        "    aux.backward()\n"
        "    optimizer.step()\n"
    )
    helper = tree.body[0]
    assert isinstance(helper, ast.FunctionDef)
    values = ModuleValues(tree)
    assert values.differentiated_parameters(helper, {"loss"}) == {"loss": frozenset({"train"})}
    assert values.differentiated_parameters(helper, {"epoch"}) == {}
    whole = values.differentiated_parameters(helper)
    assert whole == {"loss": frozenset({"train"}), "aux": frozenset()}
    assert ModuleValues(tree).differentiated_parameters(helper) == whole
