"""What the analysis reports, independent of any front end."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .errors import InternalError as InternalError  # their first home: still importable
from .errors import SourceError as SourceError

NG001 = "NG001"
NG002 = "NG002"
NG003 = "NG003"
NG004 = "NG004"


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
    #: Why the rule's fix cannot be applied here, known to the analysis (a stored name that
    #: holds a list has no ``.detach()``); None where the fix may try.
    fix_refusal: str | None = field(default=None, compare=False)


def ng001_message(model: str, volatile: bool = False) -> str:
    from .rules import NG001_RULE

    message = NG001_RULE.messages[0].format(model=model)
    if volatile:
        message += " (Variable(volatile=True) has had no effect since PyTorch 0.4)"
    return message


def ng002_message(
    target: str,
    value_text: str,
    after_backward: bool,
    fed_back: bool = False,
    container: str | None = None,
) -> str:
    """The NG002 message for ``value_text`` stored in ``target`` (an accumulator's or a
    container's text, e.g. ``total_loss``); ``after_backward`` says whether a backward of
    that graph runs before the store is kept, which changes what leaks (the saved tensors,
    or only the chain of graph nodes); ``container``: the kind of Python container the
    stored name holds (``list``), whose elements are to be detached, not it."""
    from .rules import NG002_RULE

    flat = " ".join(value_text.split())
    if fed_back:  # the state is detached, not the call: ``h = h.detach()`` each iteration
        return NG002_RULE.messages[2].format(target=target, value=_short(flat))
    if container is not None:
        return NG002_RULE.messages[3].format(target=target, value=_short(flat), kind=container)
    template = NG002_RULE.messages[1 if after_backward else 0]
    return template.format(target=target, value=_short(flat), detached=_short(detached(flat)))


def ng003_message(callee: str, flag: str, more_arguments: bool) -> str:
    """The NG003 message for a call of ``callee`` (``loss.backward``,
    ``torch.autograd.grad``) given ``flag`` as written (``retain_graph=True``), and other
    arguments when ``more_arguments``."""
    from .rules import NG003_RULE

    template = NG003_RULE.messages[1 if more_arguments else 0]
    return template.format(callee=_short(callee), flag=_short(flag))


def ng004_message(
    model: str, training_line: int, restore: str, same_iteration: bool = False
) -> str:
    """The NG004 message: ``model`` is left in eval mode here, and trained at
    ``training_line`` in the next iteration (or later in this one: ``same_iteration``);
    ``restore`` is the call to add."""
    from .rules import NG004_RULE

    template = NG004_RULE.messages[1 if same_iteration else 0]
    return template.format(model=model, line=training_line, restore=restore)


def detached(expression: str) -> str:
    """``expression.detach()``, parenthesised unless the expression is a primary (a name,
    call, attribute or subscript), where ``.detach()`` binds to the whole of it. A tuple,
    list, set or dict written out has no ``.detach()``: each of its elements (a dict's
    values) is detached instead, literals left as they are."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        node = None
    if isinstance(node, PRIMARIES):
        return f"{expression}.detach()"
    text = expression.strip()
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        parts = [_element_detached(text, element) for element in node.elts]
        if isinstance(node, ast.Tuple):
            return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"
        opening, closing = ("[", "]") if isinstance(node, ast.List) else ("{", "}")
        return f"{opening}{', '.join(parts)}{closing}"
    if isinstance(node, ast.Dict) and node.keys and None not in node.keys:
        pairs = [
            f"{ast.get_source_segment(text, key)}: {_element_detached(text, value)}"
            for key, value in zip(node.keys, node.values)
            if key is not None
        ]
        return "{" + ", ".join(pairs) + "}"
    return f"({expression}).detach()"


def _element_detached(text: str, element: ast.expr) -> str:
    from .analysis.value_readings import never_carries

    segment = ast.get_source_segment(text, element) or ""
    if isinstance(element, ast.Starred) or never_carries(element):
        return segment  # ``v.item()`` is a float: it has no ``.detach()``
    return detached(segment)


#: Expressions that ``.detach()`` can follow without parentheses.
PRIMARIES = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)


def _short(text: str, limit: int = 40) -> str:
    """Messages stay readable: a long expression loses its middle, keeping both ends."""
    if len(text) <= limit:
        return text
    keep = (limit - 3) // 2
    return f"{text[:keep]}...{text[len(text) - keep :]}"
