"""NG001's screen drops the forward calls of a function that only its callers' ``no_grad``
scopes run (``screen_call_sites``): where it does, the analysis must report nothing there,
and for every rule of that module a snippet where breaking it leaves a finding that the
screen must pass. Each snippet runs on every path (``findings_on_every_path``) and must
give exactly the findings marked on its lines.
"""

from __future__ import annotations

import ast

import pytest

from nograd_lint.screen import suspect_calls
from nograd_lint.screen_grad_scopes import names_as_written
from tests.test_soundness import findings_on_every_path
from tests.test_soundness_ng003_ng004 import expected

_PIPELINE = """\
import torch


class Pipeline:
    def encode(self, ids):
        self.text_encoder.eval()
        return self.text_encoder(ids){mark}

{extra}
    @torch.no_grad()
    def __call__(self, ids):
        {call}
"""


def _pipeline(call: str = "return self.encode(ids)", extra: str = "", mark: str = "") -> str:
    return _PIPELINE.format(call=call, extra=extra, mark=mark)


MARK = "  # expect: NG001"

#: Snippets the screen settles by the callers alone: no suspect call is left.
SETTLED = {
    "a method called from a no-grad method": _pipeline(),
    "through a chain of helpers": """\
import torch


def embed(encoder, ids):
    encoder.eval()
    return encoder(ids)


def prepare(encoder, ids):
    return embed(encoder, ids) * 2


def main(encoder, ids):
    with torch.no_grad():
        return prepare(encoder, ids)
""",
    "a docstring in another alphabet": _pipeline().replace(
        "    def encode(self, ids):\n",
        '    def encode(self, ids):\n        """σ₀ and x̂, as a paper writes them."""\n',
    ),
    "a call after a branch that may return": _pipeline(
        call="if ids is None:\n            return None\n        return self.encode(ids)"
    ),
}

#: Snippets with a finding the screen must pass: each breaks one rule of the module.
MUST_PASS = {
    "also called with autograd on": _pipeline(
        extra="    def plain(self, ids):\n        return self.encode(ids)\n", mark=MARK
    ),
    "passed as a value": _pipeline(call="return list(map(self.encode, [ids]))", mark=MARK),
    "decorated": _pipeline(mark=MARK)
    .replace("    def encode(self, ids):", "    @hooks.register\n    def encode(self, ids):")
    .replace("import torch\n", "import hooks\nimport torch\n", 1),
    # The analysis's class keeps the later ``def``: the earlier one has no caller.
    "defined twice": _pipeline(
        extra="    def encode(self, ids):  # noqa: F811\n        return ids\n", mark=MARK
    ),
    "called through another object": _pipeline(call="return other.encode(ids)", mark=MARK),
    "the only call cut off by a return": _pipeline(
        call="return None\n        return self.encode(ids)", mark=MARK
    ),
    "the only call after a branch that always returns": _pipeline(
        call="if ids:\n            return 1\n        else:\n            return 2\n"
        "        return self.encode(ids)",
        mark=MARK,
    ),
    "a caller with autograd on up the chain": """\
import torch


def embed(encoder, ids):
    encoder.eval()
    return encoder(ids)  # expect: NG001


def prepare(encoder, ids):
    return embed(encoder, ids) * 2


def main(encoder, ids):
    with torch.no_grad():
        prepare(encoder, ids)
    return prepare(encoder, ids)
""",
    # The flow binds a target without scanning it: no call site there.
    "called in an assignment's target": _pipeline(
        call="table[self.encode(ids).argmax()] = ids\n        return table", mark=MARK
    ),
    "called in an annotation": _pipeline(call="x: self.encode(ids)\n        return x", mark=MARK),
    # The flow runs the loop twice and makes the ``def`` twice: only one gets the call site.
    "defined in a module-level loop": """\
import torch

for epoch in range(3):
    model.eval()

    def evaluate(m, x):
        m.eval()
        return m(x)  # expect: NG001


def main(m, x):
    with torch.no_grad():
        return evaluate(m, x)
""",
    # ``self.train()`` of a module's override with the setter's signature is a mode setter
    # to the flow, never a call site (one with parameters of its own is, and so is any
    # method of a class that cannot be a module: ``ModeSummaries._own_method``).
    "named like a mode setter": _pipeline(mark=MARK)
    .replace("class Pipeline:", "class Pipeline(torch.nn.Module):")
    .replace("def encode(self, ids):", "def train(self, mode=True):")
    .replace("return self.encode(ids)", "return self.train()"),
    "a name the parser normalises": _pipeline(mark=MARK).replace(
        "torch.no_grad()", "torch.\uff4eo_grad()"
    ),
}


@pytest.mark.parametrize("name", sorted(SETTLED))
def test_the_screen_settles_functions_only_no_grad_callers_run(name: str) -> None:
    source = SETTLED[name]
    assert findings_on_every_path(source) == []
    assert suspect_calls(ast.parse(source), source) == []


@pytest.mark.parametrize("name", sorted(MUST_PASS))
def test_the_screen_passes_what_a_broken_rule_leaves(name: str) -> None:
    source = MUST_PASS[name]
    found = [(f.line, f.code) for f in findings_on_every_path(source)]
    assert found == expected(source)
    assert found, "the case no longer has a finding: keep it meaningful"
    assert suspect_calls(ast.parse(source), source)


@pytest.mark.parametrize(
    ("text", "same"),
    [
        ("x = 1  # ½ of σ₀, … and ™\n", True),
        ("def f(x̂):\n    return x̂\n", True),
        ("\uff4eo_grad = 1\n", False),  # a full-width letter
        ("e\u0301 = 1\n", False),  # ``e`` and a combining accent compose into ``é``
        ("\u1100\u1161 = 1\n", False),  # two jamo compose into one syllable
    ],
)
def test_only_characters_of_names_make_a_source_read_differently(text: str, same: bool) -> None:
    assert names_as_written(text) is same
