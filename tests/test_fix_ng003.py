"""NG003's fix: the needless ``retain_graph=True`` argument goes, with its comma; what
else the call says stays byte for byte."""

from __future__ import annotations

import textwrap

import pytest

from nograd_lint.fix import fix_source
from nograd_lint.fix_retain import BESIDE_A_COMMENT

HEAD = "import torch\nfrom torch import autograd\n\n\n"


def _fixed(body: str) -> tuple[str, list[str]]:
    source = HEAD + textwrap.dedent(body)
    result = fix_source(source, "case.py", codes=("NG003",))
    return result.text[len(HEAD) :], [s.reason for s in result.skipped]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("loss.backward(retain_graph=True)", "loss.backward()"),
        ("loss.backward(retain_graph=True,)", "loss.backward()"),
        ("loss.backward( retain_graph = True )", "loss.backward(  )"),
        ("autograd.grad(loss, x, retain_graph=True)", "autograd.grad(loss, x)"),
        (
            "autograd.grad(loss, x, retain_graph=True, allow_unused=True)",
            "autograd.grad(loss, x, allow_unused=True)",
        ),
        (
            "autograd.grad(retain_graph=True, outputs=loss, inputs=x)",
            "autograd.grad(outputs=loss, inputs=x)",
        ),
    ],
)
def test_the_argument_and_its_comma_go(before: str, after: str) -> None:
    body = f"""\
    def step(model, x):
        loss = model(x).sum()
        {before}
    """
    text, skipped = _fixed(body)
    assert skipped == []
    assert text == textwrap.dedent(body).replace(before, after)


def test_an_argument_on_its_own_line_takes_the_line_with_it() -> None:
    body = """\
    def penalty(model, x):
        out = model(x)
        grads = autograd.grad(
            outputs=out.sum(),
            inputs=x,
            retain_graph=True,
        )
        return grads[0].norm()
    """
    text, skipped = _fixed(body)
    assert skipped == []
    assert text == textwrap.dedent(body).replace("        retain_graph=True,\n", "")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_the_only_argument_on_its_own_line_leaves_no_blank_line(newline: str) -> None:
    body = """\
    def step(model, x):
        loss = model(x).sum()
        loss.backward(
            retain_graph=True,
        )
    """
    text, skipped = _fixed(body.replace("\n", newline))
    assert skipped == []
    expected = "def step(model, x):\n    loss = model(x).sum()\n    loss.backward(\n    )\n"
    assert text == expected.replace("\n", newline)


def test_a_comment_beside_the_argument_is_left_to_the_user() -> None:
    body = """\
    def step(model, x):
        loss = model(x).sum()
        loss.backward(
            x.new_ones(()),  # seed
            retain_graph=True,
        )
    """
    text, skipped = _fixed(body)
    assert skipped == [BESIDE_A_COMMENT]
    assert text == textwrap.dedent(body)


@pytest.mark.parametrize("comma", [",", ""])
def test_a_comment_after_the_argument_alone_on_its_line_is_left_to_the_user(comma: str) -> None:
    """Removed, the argument would leave its comment behind, about nothing, in the call."""
    body = f"""\
    def step(model, x):
        loss = model(x).sum()
        loss.backward(
            retain_graph=True{comma}  # the D step reuses it
        )
    """
    text, skipped = _fixed(body)
    assert skipped == [BESIDE_A_COMMENT]
    assert text == textwrap.dedent(body)


def test_a_comment_after_a_call_on_one_line_stays() -> None:
    body = """\
    def step(model, x):
        loss = model(x).sum()
        loss.backward(retain_graph=True)  # noqa: E501
    """
    text, skipped = _fixed(body)
    assert skipped == []
    assert text == textwrap.dedent(body).replace("retain_graph=True", "")


def test_the_fix_is_idempotent_and_leaves_needed_flags() -> None:
    body = """\
    def gan(generator, discriminator, real, noise):
        fake = generator(noise)
        d_loss = discriminator(real).mean() - discriminator(fake).mean()
        d_loss.backward(retain_graph=True)
        g_loss = -discriminator(fake).mean()
        g_loss.backward()


    def single(model, x):
        model(x).sum().backward(retain_graph=True)
    """
    text, _ = _fixed(body)
    assert "d_loss.backward(retain_graph=True)" in text
    assert "model(x).sum().backward()" in text
    again, _ = _fixed(text)
    assert again == text


def test_only_the_selected_lines() -> None:
    source = HEAD + textwrap.dedent(
        """\
        def two(model, x):
            model(x).sum().backward(retain_graph=True)
            model(x).mean().backward(retain_graph=True)
        """
    )
    result = fix_source(source, "case.py", lines={6})
    assert "model(x).sum().backward()" in result.text
    assert "model(x).mean().backward(retain_graph=True)" in result.text
    assert [f.line for f in result.fixed] == [6]
