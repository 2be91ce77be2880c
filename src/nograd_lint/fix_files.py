"""``--fix`` and ``--diff`` for one input: fix it, then write it, show it as a diff, or give
it back (stdin), never losing a finding that was not fixed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from . import fix
from .cli_output import display_path
from .errors import SourceError
from .findings import Finding
from .fix_output import encoded_like, unified_diff
from .formatters import FileResult, with_lines
from .rules import RULES
from .safe_write import WriteRefused, write_fixed
from .source import decode


def fix_file(
    path: str,
    shown: str,
    data: bytes,
    mode: str,
    context: str,
    disabling_names: Collection[str],
    unsafe_fixes: bool = True,
    codes: Collection[str] | None = None,
) -> FileResult:
    """Fix ``data``, read from ``path`` (``-``: stdin) and shown as ``shown``; ``mode`` is
        "fix" or "diff". Without ``unsafe_fixes`` a result that needs an unsafe fix is not
        applied: its findings stay, with the count held back (ruff's fix safety). Only the rules of
    ``codes`` (all if None) are fixed and reported. Raises
        :class:`SourceError` for input that cannot be analysed; any other failure is this file's
        one-line error, so that the run goes on."""
    try:
        original = decode(data)
        result = fix.fix_source(
            original, shown, context=context, disabling_names=disabling_names, codes=codes
        )
    except SourceError:
        raise
    except RecursionError:
        return FileResult(shown, error="cannot fix: RecursionError (too deeply nested)")
    except Exception as error:  # a bug of ours must not stop the run
        first = str(error).splitlines()[0] if str(error) else ""
        return FileResult(
            shown,
            error=f"internal error in the fix, please report: {type(error).__name__}: {first}",
        )
    if result.changed and not unsafe_fixes and not all_safe(result.fixed):
        findings = sorted({*result.fixed, *(s.finding for s in result.skipped)})
        held = FileResult(shown, findings, skipped=result.skipped, unsafe_fixes=len(result.fixed))
        held.fixed_bytes = data if path == "-" else None
        return with_lines(held, original)
    outcome = FileResult(
        shown,
        result.remaining,
        fixed=len(result.fixed),
        skipped=result.skipped,
        fixed_codes=tuple(f.code for f in result.fixed),
    )
    with_lines(outcome, result.text)
    if path == "-":
        outcome.fixed_bytes = encoded_like(result.text, data) if result.changed else data
    elif result.changed and mode == "fix":
        try:
            write_fixed(path, encoded_like(result.text, data), data)
        except WriteRefused as error:
            unfixed = sorted([*result.fixed, *(s.finding for s in result.skipped)])
            refused = FileResult(shown, unfixed, error=str(error), skipped=result.skipped)
            return with_lines(refused, original)
    if result.changed and mode == "diff":
        outcome.diff = unified_diff(original, result.text, display_path(shown))
    return outcome


def all_safe(findings: Sequence[Finding]) -> bool:
    return all(RULES[f.code].fix_is_safe for f in findings)
