"""Which arm of a helper's ``if`` a call's literal arguments decide (NG004's summaries)."""

from __future__ import annotations

import ast

import pytest

from nograd_lint.analysis.phase_arguments import NOTHING_FIXED, branching, decider, fixed_by


def _function(source: str) -> ast.FunctionDef:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _call(source: str) -> ast.Call:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(
    ("test", "default", "taken"),
    [
        ("p", "True", True),
        ("not p", "True", False),
        ("p == 'train'", "'val'", False),
        ("p != 'train'", "'val'", True),
        ("'train' == p", "'train'", True),
        ("p in ('train', 'finetune')", "'finetune'", True),
        ("p not in ['train']", "'train'", False),
        ("p in 'train+val'", "'val'", True),  # a substring, as Python reads it
        ("p in 3", "1", None),
        ("p is None", "None", True),
        ("p is not None", "None", False),
        ("p is True", "1", False),  # equal to True, but not True
        ("p is True", "True", True),
        ("p is 'train'", "'train'", None),  # the identity of strings is not certain
        ("p and other", "False", False),
        ("p or other", "True", True),
        ("p and other", "True", None),  # ``other`` is not known
        ("p or other", "False", None),
        ("p < 3", "1", None),  # only equality, identity and membership
    ],
)
def test_the_arm_a_test_takes(test: str, default: str, taken: bool | None) -> None:
    node = _function(f"def run(model, other, p={default}):\n    if {test}:\n        pass\n")
    found = branching(node)
    fixed = fixed_by(node, None, _call("run(model, other)"), found)
    decide = decider(found, fixed)
    arm = None if decide is None else decide(found.tests[0])
    assert arm is taken


def test_values_that_decide_alike_share_a_key() -> None:
    node = _function("def run(model, n=1):\n    if n == 0:\n        model.eval()\n")
    found = branching(node)
    ten, twenty = (fixed_by(node, None, _call(f"run(model, {n})"), found) for n in (10, 20))
    assert ten == twenty == (False,)


def test_a_test_no_literal_decides_gives_no_key() -> None:
    node = _function("def run(model, n=1):\n    if n > 5:\n        model.eval()\n")
    assert fixed_by(node, None, _call("run(model, 10)"), branching(node)) == NOTHING_FIXED


def test_parameters_tested_and_never_bound_again() -> None:
    node = _function(
        "def run(model, loader, train=True, phase='a', eval_only=False, n=1, e=None):\n"
        "    if train: model.train()\n"
        "    x = model(n) if phase == 'b' else None\n"
        "    eval_only = eval_only or n > 2\n"
        "    if eval_only: model.eval()\n"
        "    try:\n"
        "        pass\n"
        "    except ValueError as e:\n"
        "        pass\n"
        "    if e: pass\n"
        "    def inner():\n"
        "        nonlocal n\n"
        "        if n: pass\n"
    )
    # ``n`` is tested only in a nested function, which may also rebind it; ``e`` is bound
    # again by the ``except``
    assert branching(node).parameters == {"train", "phase"}
    assert [ast.unparse(t) for t in branching(node).tests] == ["train", "phase == 'b'"]


@pytest.mark.parametrize(
    ("call", "fixed"),
    [
        ("run(model, loader)", (True,)),
        ("run(model, loader, False)", (False,)),
        ("run(model, loader, train=False)", (False,)),
        ("run(model, loader, flag)", ()),
        ("run(model, *rest)", ()),
        ("run(model, loader, **options)", ()),
    ],
)
def test_literals_a_call_gives(call: str, fixed: tuple[bool, ...]) -> None:
    node = _function("def run(model, loader, train=True):\n    if train: model.train()\n")
    assert fixed_by(node, None, _call(call), branching(node)) == fixed


def test_a_method_s_self_is_bound_by_the_call() -> None:
    node = _function("def run(self, loader, training=True):\n    if training: self.model.train()\n")
    found = branching(node)
    assert fixed_by(node, "Trainer", _call("self.run(loader, False)"), found) == (False,)
