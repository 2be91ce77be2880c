"""The block structure NG004's summaries read to tell whether a ``return`` skips the
``train()`` a validation helper ends with (``analysis.early_returns``)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from nograd_lint.analysis.early_returns import FunctionBlocks


def _calls(source: str) -> tuple[FunctionBlocks, dict[str, ast.Call], list[ast.Return]]:
    function = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(function, ast.FunctionDef)
    calls = {
        node.func.attr: node
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    returns = [node for node in ast.walk(function) if isinstance(node, ast.Return)]
    return FunctionBlocks(function.body), calls, returns


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            def f(m, xs):
                m.eval()
                for x in xs:
                    if m(x):
                        return x
                m.train()
            """,
            True,
            id="same-block",
        ),
        pytest.param(
            """
            def f(m, xs, validating):
                if validating:
                    m.eval()
                    return [m(x) for x in xs]
                m.train()
            """,
            False,
            id="branch-ends-in-return",
        ),
        pytest.param(
            """
            def f(m, xs, validating):
                if validating:
                    m.eval()
                else:
                    m.train()
            """,
            False,
            id="other-arm",
        ),
        pytest.param(
            """
            def f(m, xs):
                for x in xs:
                    m.eval()
                    return m(x)
                m.train()
            """,
            True,
            id="loop-body-may-not-run",
        ),
        pytest.param(
            """
            def f(m, xs):
                m.train()
                m.eval()
            """,
            False,
            id="before",
        ),
    ],
)
def test_runs_after(source: str, expected: bool) -> None:
    blocks, calls, _ = _calls(source)
    assert blocks.runs_after(calls["eval"], calls["train"]) is expected


def test_a_return_in_a_try_with_a_finally_is_past_it() -> None:
    blocks, _, returns = _calls(
        """
        def f(m, xs):
            m.eval()
            try:
                for x in xs:
                    if m(x):
                        return 1
            finally:
                m.train()
            if xs:
                return 2
        """
    )
    first, second = sorted(returns, key=lambda node: node.lineno)
    assert id(first) in blocks.past_finally
    assert id(second) not in blocks.past_finally
