"""The autofix never wraps a statement that suspends (``yield``/``await``): grad mode is
thread-local, so a generator suspended inside ``no_grad`` leaves gradients off in its
consumer, and other coroutines run with them off during an ``await``."""

from __future__ import annotations

import pytest

from nograd_lint.fix import fix_source

SUSPENDS = "the statement suspends (yield/await) and no_grad would leak to other code"

REFUSED = {
    "for_header_body_yields": "def g(model, xs):\n    model.eval()\n"
    "    for t in model(xs):\n        yield t\n",
    "while_header_body_awaits": "async def g(model, xs):\n    model.eval()\n"
    "    while model(xs):\n        await tick()\n",
    "if_header_body_yields": "def g(model, xs):\n    model.eval()\n"
    "    if model(xs):\n        yield 1\n",
    "with_header_body_yields_from": "def g(model, xs):\n    model.eval()\n"
    "    with model(xs) as t:\n        yield from t\n",
    "semicolon_joined": "def g(model, xs):\n    model.eval()\n    out = model(xs); yield out\n",
    "suite_semicolon": "def g(model, xs, c):\n    model.eval()\n"
    "    if c: out = model(xs); yield out\n",
    "tuple_with_yield": "def g(model, x):\n    model.eval()\n    t = (model(x), (yield 1))\n",
    "list_with_await": "async def g(model, x):\n    model.eval()\n    t = [model(x), await f()]\n",
    "async_for": "async def g(model, xs):\n    model.eval()\n"
    "    async for t in model(xs):\n        print(t)\n",
    "async_with": "async def g(model, xs):\n    model.eval()\n"
    "    async with model(xs) as t:\n        print(t)\n",
    "async_comprehension": "async def g(model, xs):\n    model.eval()\n"
    "    print([model(x) async for x in xs])\n",
}


@pytest.mark.parametrize("source", REFUSED.values(), ids=list(REFUSED))
def test_suspending_statement_is_refused(source: str) -> None:
    result = fix_source(source)
    assert result.text == source
    assert not result.fixed
    assert [s.reason for s in result.skipped] == [SUSPENDS]
    assert len(result.remaining) == 1


def test_merge_does_not_swallow_a_yielding_neighbour() -> None:
    source = (
        "def g(model, x):\n    model.eval()\n    a = model(x)\n    b = model(x); yield b\n"
        "    c = model(x)\n"
    )
    result = fix_source(source)
    assert result.text == (
        "import torch\ndef g(model, x):\n    model.eval()\n"
        "    with torch.no_grad():\n        a = model(x)\n    b = model(x); yield b\n"
        "    with torch.no_grad():\n        c = model(x)\n"
    )
    assert [s.finding.line for s in result.skipped] == [4]


def test_nested_function_that_yields_does_not_block_the_fix() -> None:
    source = (
        "def g(model, xs):\n    model.eval()\n    for t in model(xs):\n"
        "        def inner():\n            yield t\n        print(inner, lambda: (yield))\n"
    )
    result = fix_source(source)
    assert len(result.fixed) == 1
    assert "    with torch.no_grad():\n        for t in model(xs):\n" in result.text
