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
