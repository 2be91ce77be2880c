"""NG002's part of ``--fix``: after NG001's wrap, detach the stored values still reported.

Findings of the wrapped text are at the wrapped text's positions; the results report the
original's, so each is paired with the original finding it continues: same rule, same
target and message, in source order (the wrap moves statements, never reorders them).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Callable

from .errors import SourceError
from .findings import NG002, Finding
from .fix import FixResult, Skipped, relinted
from .fix_detach import apply, detach_edits
from .source import physical_lines, python_tree


def detach_pass(
    wrapped: FixResult,
    findings: Sequence[Finding],
    filename: str,
    lines: Collection[int] | None,
    lint: Callable[[str], list[Finding]],
) -> FixResult:
    """``wrapped`` (the NG001 pass over the source whose ``findings`` these are) with the
    NG002 findings detached: those starting on ``lines`` of the original, if given."""
    before = [f for f in findings if f.code == NG002]
    if wrapped.changed:
        pairs = pair_up(before, [f for f in wrapped.remaining if f.code == NG002])
        paired = {id(original) for original, _ in pairs}
        moot = [f for f in before if id(f) not in paired]  # the wrap fixed them
    else:
        pairs, moot = [(f, f) for f in before], []
    chosen = [(o, now) for o, now in pairs if lines is None or o.line in lines]
    done = FixResult(wrapped.text, wrapped.fixed + moot, wrapped.skipped, wrapped.remaining)
    if not chosen:
        return done
    try:
        tree = python_tree(wrapped.text, filename)
    except SourceError:  # the wrap's result was compiled: cannot happen, but never lose data
        return done
    text_lines = physical_lines(wrapped.text)
    original_of = {id(now): o for o, now in chosen}
    insertions, fixed, refused = detach_edits(tree, text_lines, [now for _, now in chosen])
    skipped = done.skipped + [Skipped(original_of[id(f)], why) for f, why in refused]
    if not insertions:
        return FixResult(done.text, done.fixed, skipped, done.remaining)
    originals = [original_of[id(f)] for f in fixed]
    return relinted(done, apply(text_lines, insertions), originals, skipped, filename, lint)


def pair_up(before: Sequence[Finding], after: Sequence[Finding]) -> list[tuple[Finding, Finding]]:
    """Each finding of ``after`` with the first unpaired finding of ``before`` that has its
    target and message (its target alone, failing that), in order."""
    used: set[int] = set()
    pairs = []
    for now in after:
        for strict in (True, False):
            match = next(
                (
                    f
                    for f in before
                    if id(f) not in used
                    and f.model == now.model
                    and (f.message == now.message or not strict)
                ),
                None,
            )
            if match is not None:
                used.add(id(match))
                pairs.append((match, now))
                break
    return pairs
