"""Reported positions: 1-based lines, flake8's 1-based displayed columns, exact ends."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Callable

import libcst as cst
import pytest

from nograd_lint import check_source
from nograd_lint.analysis import positions
from nograd_lint.analysis.nodes import child_nodes
from tests.expectations import case_files

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
    # an ``if`` expression's test comes first in LibCST's fields, second in the source
    (
        "model.eval()\ny = model(a) if model(b) else model(c)\n",
        [(2, 4, 2, 12), (2, 16, 2, 24), (2, 30, 2, 38)],
    ),
    # a pruned definition above the finding: LibCST parses fewer lines than the file has
    (
        "import torch\n\n\ndef helper(a):\n    b = a\n    return b\n\n\nmodel.eval()\ny = model(x)\n",
        [(10, 4, 10, 12)],
    ),
]


@pytest.mark.parametrize("source, expected", TRICKY)
def test_tricky_positions(path: str, source: str, expected: list) -> None:
    assert _spans(check_source(source)) == expected


def test_positions_with_flake8s_tree_agree() -> None:
    assert _spans(check_source(SOURCE, tree=ast.parse(SOURCE))) == EXPECTED


def _calls(
    node: cst.CSTNode, children: Callable[[cst.CSTNode], Iterable[cst.CSTNode]]
) -> list[int]:
    found, stack = [], [node]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            found.append(id(node))
        stack.extend(reversed(list(children(node))))
    return found


@pytest.mark.parametrize(
    "path", [*case_files(), *sorted(Path(__file__).parent.glob("fixes/*.py"))], ids=lambda p: p.name
)
def test_fields_list_calls_in_the_order_libcst_writes_them(path: Path) -> None:
    """Positions rank calls in source order by reading node fields (``child_nodes``), not
    LibCST's slow ``children``: both must agree."""
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    for statement in module.body:
        assert _calls(statement, lambda n: n.children) == _calls(
            statement, lambda n: child_nodes(n, written_order=True)
        )


def test_node_types_that_may_hold_calls_read_off_their_bases() -> None:
    """``may_hold_calls`` reads a type's own bases rather than ask ``issubclass`` of LibCST's
    abstract bases: the same answer for every node type LibCST defines."""
    from nograd_lint.analysis.nodes import _CALL_FREE_TYPES, may_hold_calls

    kinds = [k for k in vars(cst).values() if isinstance(k, type) and issubclass(k, cst.CSTNode)]
    assert len(kinds) > 150
    for kind in [*kinds, str, tuple, type(cst.MaybeSentinel.DEFAULT)]:
        expected = issubclass(kind, cst.CSTNode) and not issubclass(kind, _CALL_FREE_TYPES)
        assert may_hold_calls(kind) is expected, kind
