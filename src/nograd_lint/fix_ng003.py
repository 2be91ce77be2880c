"""NG003's part of ``--fix``: after the NG001 and NG002 passes, remove the needless
``retain_graph=True`` arguments still reported (``fix_retain``).

The earlier passes move lines; each NG003 finding of the text they leave is paired with the
original finding it continues (same subject and message, in source order), so that results
report the original's positions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Callable

from .errors import SourceError
from .findings import NG003, Finding
from .fix import FixResult, Skipped, relinted
from .fix_ng002 import pair_up
from .fix_retain import apply, retain_edits
from .source import physical_lines, python_tree


def retain_pass(
    previous: FixResult,
    findings: Sequence[Finding],
    filename: str,
    lines: Collection[int] | None,
    lint: Callable[[str], list[Finding]],
) -> FixResult:
    """``previous`` (the earlier passes over the source whose ``findings`` these are) with
    the NG003 arguments removed: of the findings starting on ``lines`` of the original, if
    given."""
    before = [f for f in findings if f.code == NG003]
    pairs = pair_up(before, [f for f in previous.remaining if f.code == NG003])
    chosen = [(o, now) for o, now in pairs if lines is None or o.line in lines]
    if not chosen:
        return previous
    try:
        tree = python_tree(previous.text, filename)
    except SourceError:  # the earlier passes' results were compiled: never lose data
        return previous
    text_lines = physical_lines(previous.text)
    original_of = {id(now): o for o, now in chosen}
    deletions, fixed, refused = retain_edits(tree, text_lines, [now for _, now in chosen])
    skipped = previous.skipped + [Skipped(original_of[id(f)], why) for f, why in refused]
    if not deletions:
        return FixResult(previous.text, previous.fixed, skipped, previous.remaining)
    originals = [original_of[id(f)] for f in fixed]
    return relinted(previous, apply(text_lines, deletions), originals, skipped, filename, lint)
