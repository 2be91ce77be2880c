"""The one function both front ends (and editors, and the autofix) call."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Collection, Optional, Union

from .findings import NG001, Finding, InternalError, SourceError, ng001_message
from .prefilter import might_have_findings
from .source import decode, parse, parse_python

if TYPE_CHECKING:
    import libcst as cst


def check_source(
    source: Union[str, bytes],
    filename: str = "<stdin>",
    *,
    noqa: bool = True,
    tree: Optional[ast.Module] = None,
    disabling_names: Collection[str] = (),
    prefilter: bool = True,
) -> list[Finding]:
    """NG001 findings in ``source``, sorted by position.

    ``noqa=False`` keeps findings on ``# noqa`` lines (flake8 filters them itself);
    ``tree``, the stdlib ``ast`` of the same source when the caller has it, saves a parse;
    ``disabling_names`` adds project-specific no-grad decorators and context managers;
    ``prefilter=False`` skips the text pre-filter and the ``ast`` screen (crash-free runs
    use it to check that the screens never drop a finding).
    Raises :class:`SourceError` when the source cannot be decoded or parsed.
    """
    text = decode(source)
    if prefilter:
        if not might_have_findings(text):
            return []
        tree = tree if tree is not None else parse_python(text)
        if tree is not None and not _screened_in(tree, text):
            return []
    module = parse(text, python_parsed=tree is not None)
    try:
        findings = analyse(module, text, tree, disabling_names)
    except RecursionError:
        raise SourceError("too deeply nested to analyse") from None
    except Exception as error:  # a bug of ours must not take the user's whole run down
        raise InternalError(f"internal error, please report: {type(error).__name__}: {error}") from error
    if noqa:
        from .noqa import without_suppressed

        findings = without_suppressed(findings, text, filename)
    return findings


def _screened_in(tree: ast.Module, text: str) -> bool:
    from .screen import might_have_findings_in_tree

    try:
        return might_have_findings_in_tree(tree, text)
    except RecursionError:
        return True  # undecided: the analysis refuses what is too deep for it in one line


def analyse(
    module: "cst.Module",
    text: str,
    tree: Optional[ast.Module] = None,
    disabling_names: Collection[str] = (),
) -> list[Finding]:
    """Findings of a parsed module, sorted; ``tree`` is the same source's ``ast`` if known."""
    from .analysis.flow import ModuleAnalysis

    candidates = ModuleAnalysis(module, disabling_names).run()
    if not candidates:
        return []
    from .analysis.positions import node_ranges  # LibCST's metadata: only for findings

    if tree is None:
        tree = parse_python(text)
    ranges = node_ranges(module, [(c.top, c.call) for c in candidates], text, tree)
    findings = []
    for candidate in candidates:
        start, end = ranges[id(candidate.call)]
        findings.append(
            Finding(
                start[0], start[1], NG001, ng001_message(candidate.model, candidate.volatile),
                candidate.model, end[0], end[1],
            )
        )
    return sorted(findings)
