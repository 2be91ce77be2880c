"""Which code actions the server offers at a range: what they are called and what they fix.

The NG001 wrap, the NG002 detach and the NG003 removal of ``retain_graph=True`` are unsafe
fixes (an output computed under ``no_grad``, or detached, can no longer be back-propagated
through; a graph not retained cannot be differentiated twice), so every title says what the
action changes and that it is unsafe. NG004 has no fix: no action is offered for it.
The quick fix is chosen by hand for one statement; fix-all is asked for by its kind, on save
or from a menu, and applies the same unsafe fix everywhere because the user asked for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from lsprotocol import types

from .findings import Finding
from .lsp_convert import SERVER_NAME
from .rules import RULES

#: The edit of an action: the fix of the findings starting on these lines, None for all.
FixKey = Optional[tuple[int, ...]]

_UNSAFE = "(unsafe: outputs lose gradients)"
QUICK_FIX_TITLE = f"Wrap in `with torch.no_grad():` {_UNSAFE}"
DETACH_TITLE = "Store the value's `.detach()` (unsafe: it loses gradients)"
FIX_ALL_TITLE = f"Wrap every NG001 call in `with torch.no_grad():` {_UNSAFE}"
FIX_ALL_NG002_TITLE = "Detach every value NG002 reports (unsafe: they lose gradients)"
FIX_ALL_BOTH_TITLE = (
    f"Wrap every NG001 call in `with torch.no_grad():` and detach every NG002 value {_UNSAFE}"
)
RETAIN_TITLE = (
    "Remove the needless `retain_graph=True` (unsafe: a backward the analysis cannot see "
    "may need the graph)"
)
FIX_ALL_NG003_TITLE = (
    "Remove every needless `retain_graph=True` NG003 reports (unsafe: a backward the "
    "analysis cannot see may need the graph)"
)
#: Sub-kind so editors can ask for ours alone ("source.fixAll.nograd-lint" on save in VS Code).
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SERVER_NAME}"


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for "source" or "source.fixAll" includes ours."""
    return only is None or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)


def planned_actions(
    uri: str,
    version: int | None,
    findings: Sequence[Finding],
    params: types.CodeActionParams,
) -> list[types.CodeAction]:
    """A quick fix per flagged line in the range, and fix-all there or when asked for by kind;
    without edits. ``data`` names the buffer version and the fix (see :func:`fix_key`)."""
    first, last = params.range.start.line + 1, params.range.end.line + 1
    findings = [f for f in findings if RULES[f.code].autofix]  # NG004's remedy is the user's
    flagged = sorted({f.line for f in findings})
    lines = sorted({f.line for f in findings if f.line <= last and f.end_line >= first})
    only = (
        [str(getattr(kind, "value", kind)) for kind in params.context.only]
        if params.context.only
        else None
    )
    actions = []
    if _wanted(types.CodeActionKind.QuickFix.value, only):
        actions += [
            types.CodeAction(
                title=_quick_fix_title({f.code for f in findings if f.line == line}),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[
                    d
                    for d in params.context.diagnostics
                    if d.source == SERVER_NAME and d.range.start.line == line - 1
                ]
                or None,
                is_preferred=True,
                data=_data(uri, version, (line,), flagged),
            )
            for line in lines
        ]
    if findings and (lines or only is not None) and _wanted(FIX_ALL_KIND, only):
        actions.append(
            types.CodeAction(
                title=_fix_all_title({f.code for f in findings}),
                kind=FIX_ALL_KIND,
                data=_data(uri, version, None, flagged),
            )
        )
    return actions


def _quick_fix_title(codes: set[str]) -> str:
    """The wrap's title where the line has an NG001 finding: the wrap fixes the line's NG002
    too (it runs first, and a value computed under no_grad carries no graph)."""
    if "NG001" in codes:
        return QUICK_FIX_TITLE
    if "NG002" in codes:
        return DETACH_TITLE
    return RETAIN_TITLE if "NG003" in codes else QUICK_FIX_TITLE


def _fix_all_title(codes: set[str]) -> str:
    if "NG003" in codes:
        if codes == {"NG003"}:
            return FIX_ALL_NG003_TITLE
        return "Fix every " + ", ".join(sorted(codes)) + " finding (unsafe: see each rule)"
    if "NG002" not in codes:
        return FIX_ALL_TITLE
    return FIX_ALL_BOTH_TITLE if "NG001" in codes else FIX_ALL_NG002_TITLE


def _data(uri: str, version: int | None, lines: FixKey, flagged: Sequence[int]) -> dict:
    # A quick fix on the only flagged line is fix-all: one computation serves both.
    if lines is not None and list(lines) == list(flagged):
        lines = None
    return {"uri": uri, "version": version, "lines": None if lines is None else list(lines)}


def fix_key(action: types.CodeAction) -> tuple[str, int | None, FixKey] | None:
    """(uri, version, fix) of one of our actions, or None for anything else."""
    data = action.data
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return None
    version, lines = data.get("version"), data.get("lines")
    if not (version is None or isinstance(version, int)):
        return None
    if lines is None:
        return data["uri"], version, None
    if isinstance(lines, list) and all(isinstance(line, int) for line in lines):
        return data["uri"], version, tuple(lines)
    return None
