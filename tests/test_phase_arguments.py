"""Which arm of a helper's ``if`` a call's literal arguments decide (NG004's summaries)."""

from __future__ import annotations

import ast

import pytest

from nograd_lint.analysis.phase_arguments import (
    branching_parameters,
    constant_arguments,
    decider,
)


def _function(source: str) -> ast.FunctionDef:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _call(source: str) -> ast.Call:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(
    ("test", "fixed", "taken"),
    [
        ("train", {"train": True}, True),
        ("not train", {"train": True}, False),
        ("phase == 'train'", {"phase": "val"}, False),
        ("phase != 'train'", {"phase": "val"}, True),
        ("'train' == phase", {"phase": "train"}, True),
        ("phase in ('train', 'finetune')", {"phase": "finetune"}, True),
        ("phase not in ['train']", {"phase": "train"}, False),
        ("mode is None", {"mode": None}, True),
        ("mode is not None", {"mode": None}, False),
        ("train and other", {"train": False}, False),
        ("train or other", {"train": True}, True),
        ("train and other", {"train": True}, None),  # ``other`` is not known
        ("train or other", {"train": False}, None),
        ("other", {"train": True}, None),
        ("len(loader) > 0", {"train": True}, None),
        ("phase < 3", {"phase": 1}, None),  # only equality, identity and membership
    ],
)
def test_the_arm_a_test_takes(test: str, fixed: dict[str, object], taken: bool | None) -> None:
    decide = decider(frozenset(fixed.items()))
    assert decide is not None
    assert decide(ast.parse(test, mode="eval").body) is taken


def test_nothing_fixed_decides_nothing() -> None:
    assert decider(frozenset()) is None


def test_parameters_tested_and_never_bound_again() -> None:
    node = _function(
        "def run(model, loader, train=True, phase='a', eval_only=False, n=1):\n"
        "    if train: model.train()\n"
        "    x = model(n) if phase == 'b' else None\n"
        "    eval_only = eval_only or n > 2\n"
        "    if eval_only: model.eval()\n"
        "    def inner():\n"
        "        nonlocal n\n"
        "        if n: pass\n"
    )
    # ``n`` is tested only in a nested function, which may also rebind it
    assert branching_parameters(node) == {"train", "phase"}


@pytest.mark.parametrize(
    ("call", "fixed"),
    [
        ("run(model, loader)", {"train": True}),
        ("run(model, loader, False)", {"train": False}),
        ("run(model, loader, train=False)", {"train": False}),
        ("run(model, loader, flag)", {}),
        ("run(model, *rest)", {}),
        ("run(model, loader, **options)", {}),
    ],
)
def test_literals_a_call_gives(call: str, fixed: dict[str, object]) -> None:
    node = _function("def run(model, loader, train=True):\n    if train: model.train()\n")
    found = constant_arguments(node, None, _call(call), branching_parameters(node))
    assert dict(found) == fixed


def test_a_method_s_self_is_bound_by_the_call() -> None:
    node = _function("def run(self, loader, training=True):\n    if training: self.model.train()\n")
    found = constant_arguments(node, "Trainer", _call("self.run(loader, False)"), {"training"})
    assert dict(found) == {"training": False}
