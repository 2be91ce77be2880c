"""The calls of a module's private function, as NG003 reads a helper through its callers."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from nograd_lint.analysis.call_sites import private_call_sites
from nograd_lint.analysis.values import ModuleValues


def _sites(source: str, name: str) -> list[dict[str, str]] | None:
    tree = ast.parse(textwrap.dedent(source))
    values = ModuleValues(tree, "m.py")
    definition = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
    )
    sites = private_call_sites(definition, values)
    if sites is None:
        return None
    return [{k: ast.unparse(v) for k, v in site.given.items()} for site in sites]


def test_arguments_are_matched_to_parameters_by_position_and_keyword() -> None:
    source = """
        def _step(loss, scale=1.0, *, clip=None):
            pass

        def fit(a, b):
            _step(a, 2.0)
            _step(loss=b, clip=3)
    """
    assert _sites(source, "_step") == [
        {"loss": "a", "scale": "2.0"},
        {"loss": "b", "clip": "3"},
    ]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("def public(loss): pass\npublic(1)\n", "public"),
        (
            "class A:\n    def __step(self, x): pass\n    def f(self):\n        self.__step(1)\n",
            "__step",
        ),
        ("def _f(loss): pass\n_f(1)\n__all__ = ['_f']\n", "_f"),
        ("def _f(loss): pass\n_f(1)\nglobals()['_f'](2)\n", "_f"),
        ("import m\n\n\ndef _f(loss): pass\n_f(1)\nm._f(2)\n", "_f"),
        (
            "class A:\n    def _hook(self, loss): pass\n    def f(self):\n        self._hook(1)\n",
            "_hook",
        ),
        ("def _f(loss): pass\nhandlers = [_f]\n_f(1)\n", "_f"),
        ("def _f(loss): pass\nargs = (1,)\n_f(*args)\n", "_f"),
        ("def _f(loss): pass\noptions = {}\n_f(**options)\n", "_f"),
        ("def _f(*losses): pass\n_f(1)\n", "_f"),
        ("def _f(loss): pass\n", "_f"),
        ("import functools\n@functools.cache\ndef _f(loss): pass\n_f(1)\n", "_f"),
        ("def _f(loss): pass\nclass A:\n    def _f(self, loss): pass\n_f(1)\n", "_f"),
        ("def _f(loss): pass\n_f(1, 2)\n", "_f"),
    ],
    ids=[
        "public",
        "a-method",
        "in-a-string",
        "looked-up",
        "an-attribute-of-that-name",
        "protected-method",
        "passed-as-a-value",
        "starred",
        "double-starred",
        "varargs",
        "never-called",
        "decorated",
        "two-definitions",
        "too-many-arguments",
    ],
)
def test_calls_the_module_does_not_show_answer_none(source: str, name: str) -> None:
    assert _sites(source, name) is None


def test_a_module_beside_that_names_the_helper_may_call_it(tmp_path: Path) -> None:
    # ``from train import _backward`` elsewhere in the folder: the underscore is only a
    # convention, and that module may differentiate the graph again after the call.
    source = "def _backward(loss): pass\n\n\ndef fit(a):\n    _backward(a)\n"
    train = tmp_path / "train.py"
    train.write_text(source)
    tree = ast.parse(source)
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    assert private_call_sites(definition, ModuleValues(tree, str(train))) is not None
    (tmp_path / "finetune.py").write_text("from train import _backward\n")
    tree = ast.parse(source)  # a new reading: sites are kept per module reading
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    assert private_call_sites(definition, ModuleValues(tree, str(train))) is None
