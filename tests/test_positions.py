"""Reported positions: 1-based lines, flake8's 1-based displayed columns, exact ends."""

from __future__ import annotations

import ast

import pytest

from nograd_lint import check_source
from nograd_lint.analysis import positions

SOURCE = '''"""Docstring."""
# comment


@decorator
@other(
    arg,
)
def f(model, x):
    model.eval()
    a = model(x)
    return torch.relu(
        model.forward(x, y=1)
    )


class C:
    def g(self, x):
        self.net.eval()
        return [self.net(x)]; y = 1
'''
EXPECTED = [(11, 8, 11, 16), (13, 8, 13, 29), (20, 16, 20, 27)]


def _spans(findings):
    return [(f.line, f.col, f.end_line, f.end_col) for f in findings]


def _no_ast_positions(*_args, **_kwargs):
    return None


@pytest.fixture(params=["ast", "statement", "module"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each of the three ways positions are found must give the same answer."""
    if request.param != "ast":
        monkeypatch.setattr(positions, "call_ranges", _no_ast_positions)
    if request.param == "module":
        monkeypatch.setattr(positions, "MAX_STATEMENTS_RESOLVED_ALONE", 0)
    return request.param


def test_positions(path: str) -> None:
    assert _spans(check_source(SOURCE)) == EXPECTED


TRICKY = [
    # non-ASCII before the call: ast counts bytes, we count characters
    ("model.eval()\ns = 'é€'; y = model(x)\n", [(2, 14, 2, 22)]),
    # a form feed and CRLF newlines: str.splitlines would count one line too many
    ("model.eval()\r\n\x0c\r\ny = model(x)\r\n", [(3, 4, 3, 12)]),
    # the same callee nested, and inside an f-string
    ("model.eval()\nprint(f'{model(model(x))}')\n", [(2, 9, 2, 24), (2, 15, 2, 23)]),
    # tabs and a call split over lines with a comment
    ("if True:\n\tnet.eval()\n\ty = net(  # why\n\t\tx)\n", [(3, 5, 4, 4)]),
]


@pytest.mark.parametrize("source, expected", TRICKY)
def test_tricky_positions(path: str, source: str, expected: list) -> None:
    assert _spans(check_source(source)) == expected


def test_positions_with_flake8s_tree_agree() -> None:
    assert _spans(check_source(SOURCE, tree=ast.parse(SOURCE))) == EXPECTED


