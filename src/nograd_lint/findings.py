"""What the analysis reports, independent of any front end."""

from __future__ import annotations

from dataclasses import dataclass, field

NG001 = "NG001"
NG002 = "NG002"


@dataclass(frozen=True, order=True)
class Related:
    """A place that explains a finding, such as the ``.eval()`` call or the loader that put
    the model in eval mode; positioned like :class:`Finding`."""

    line: int
    col: int
    end_line: int
    end_col: int
    message: str


@dataclass(frozen=True, order=True)
class Finding:
    """One report. ``line`` is 1-based; ``col`` is 0-based like ``ast`` and flake8's plugin
    protocol, so front ends that print columns show ``col + 1``. ``end_*`` mark the end of the
    forward call expression (exclusive), for editors and SARIF regions. ``related`` says why
    the model counts as in eval mode when the flagged statement does not show it."""

    line: int
    col: int
    code: str
    message: str
    model: str
    end_line: int
    end_col: int
    related: tuple[Related, ...] = field(default=(), compare=False)


def ng001_message(model: str, volatile: bool = False) -> str:
    message = (
        f"forward pass of eval-mode model '{model}' runs with autograd enabled; "
        "wrap it in torch.no_grad() or torch.inference_mode()"
    )
    if volatile:
        message += " (Variable(volatile=True) has had no effect since PyTorch 0.4)"
    return message


def ng002_message(target: str, value: str, after_backward: bool) -> str:
    if after_backward:
        why = (
            "after its backward pass: the saved tensors are freed, but the graph's nodes "
            "pile up every iteration"
        )
    else:
        why = "and no backward pass runs on it: every saved activation stays alive"
    return (
        f"'{target}' keeps the autograd graph of '{value}' across loop iterations {why}; "
        f"store {value}.detach() (or .item() for a number)"
    )


class SourceError(Exception):
    """The source could not be analysed (undecodable, not Python, too deeply nested).

    ``str()`` is one line meant for people, e.g. ``syntax error at 3:7: ...``.
    """


class InternalError(SourceError):
    """The analysis failed on valid source: a bug in nograd-lint, reported like bad input so
    that one file never stops a whole run."""
