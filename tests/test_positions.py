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


def test_positions_via_ast_start_lines() -> None:
    assert _spans(check_source(SOURCE)) == EXPECTED


def test_positions_via_the_whole_module_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(positions, "MAX_STATEMENTS_RESOLVED_ALONE", 0)
    assert _spans(check_source(SOURCE)) == EXPECTED


def test_positions_with_flake8s_tree_agree() -> None:
    assert _spans(check_source(SOURCE, tree=ast.parse(SOURCE))) == EXPECTED


def test_columns_count_characters_not_bytes() -> None:
    source = "model.eval()\ns = 'é'; y = model(x)\n"
    assert _spans(check_source(source)) == [(2, 13, 2, 21)]
