"""The one function both front ends (and editors, and the autofix) call."""

from __future__ import annotations

import ast
import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .errors import InternalError, SourceError
from .prefilter import might_have_findings, might_retain_graphs
from .source import (
    check_compiles,
    check_nesting,
    decode,
    on_deep_stack,
    parse,
    parse_python,
    physical_lines,
    python_tree,
)

if TYPE_CHECKING:
    import libcst as cst

    from .analysis.flow import ModuleAnalysis
    from .analysis.values import ModuleValues
    from .findings import Finding, Related


def check_source(
    source: str | bytes,
    filename: str = "<stdin>",
    *,
    noqa: bool = True,
    tree: ast.Module | None = None,
    disabling_names: Collection[str] = (),
    prefilter: bool = True,
) -> list[Finding]:
    """NG001 findings in ``source``, sorted by position.

    ``noqa=False`` keeps findings on ``# noqa`` lines (flake8 filters them itself);
    ``tree``, the stdlib ``ast`` of the same source when the caller has it, saves a parse;
    ``disabling_names`` adds project-specific no-grad decorators and context managers;
    ``prefilter=False`` skips the text pre-filter, the ``ast`` screen and pruning
    (soundness checks use it to show that they never change a finding).
    Raises :class:`SourceError` when the source cannot be decoded, or Python would not
    compile it (``tree`` given: when it has findings), whatever its content, with Python's
    own message and position.
    """
    text = decode(source)
    relevant = not prefilter or might_be_relevant(text, filename)
    compiled = tree is None
    if tree is None:
        if not relevant:
            check_compiles(text, filename)
            return []
        tree = python_tree(text, filename)
        check_compiles(text, filename)
    elif not relevant:
        return []
    with _collector_paused():
        # The whole analysis on a stack of its own: LibCST's parser recurses natively.
        findings = on_deep_stack(
            lambda: _findings(text, tree, disabling_names, prefilter, filename)
        )
    if findings and not compiled:
        check_compiles(text, filename)  # flake8 parsed it; only the compiler's checks remain
    if noqa:
        from .noqa import without_suppressed

        findings = without_suppressed(findings, text, filename)
    return findings


def _findings(
    text: str,
    tree: ast.Module,
    disabling_names: Collection[str],
    screen: bool,
    filename: str | None = None,
) -> list[Finding]:
    """NG003 off the ``ast`` tree, then the screen, LibCST's parse of what it leaves, and
    the analysis. A bug of ours, anywhere in them, must not take the user's whole run down
    (nor flake8's other checks): it becomes this file's one error line."""
    try:
        return _unguarded_findings(text, tree, disabling_names, screen, filename)
    except (SourceError, InternalError):
        raise
    except RecursionError:
        raise SourceError("too deeply nested to analyse") from None
    except Exception as error:
        raise InternalError(
            f"internal error, please report: {type(error).__name__}: {error}"
        ) from error


def _unguarded_findings(
    text: str,
    tree: ast.Module,
    disabling_names: Collection[str],
    screen: bool,
    filename: str | None,
) -> list[Finding]:
    from .analysis.values import ModuleValues

    # One reading of the module's values for every layer: NG003, the screens and the
    # analysis ask about the same functions, and each reading is cached in it.
    values = ModuleValues(tree, filename)
    retained = _retained_findings(values, text) if not screen or might_retain_graphs(text) else []
    parsed = text
    if screen:
        suspects = _suspects(values, text)
        if suspects == []:
            return sorted(retained)
        if suspects is not None:
            from .prune import pruned_source

            parsed = pruned_source(tree, text, suspects) or text
    check_nesting(tree, text)
    module = _parse_pruned(parsed, tree) if parsed is not text else None
    if module is None:
        module = parse(text, nesting_checked=True)
    return sorted(retained + analyse(module, text, tree, disabling_names, values))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The screen, LibCST's import and its parse allocate tens of thousands of objects in
    bursts, and each burst sets off the cyclic garbage collector, which walks every live object
    of the process (flake8's own trees and tokens too): a tenth of the time on a long script.
    Syntax trees hold no reference cycles, so the collector waits until we are done, unless
    the host has switched it off itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def screened_calls(
    tree: ast.Module, text: str, filename: str | None = None
) -> list[ast.Call] | None:
    """What every rule's screen passes on for ``text`` (the calls pruning keeps whole);
    None when undecided. ``check_source`` computes the same; benchmarks time it alone.
    ``filename``, the file ``text`` was read from, lets NG004's screen read the modules
    beside it, as ``check_source`` does."""
    from .analysis.values import ModuleValues

    return _suspects(ModuleValues(tree, filename), text)


def _suspects(values: ModuleValues, text: str) -> list[ast.Call] | None:
    """The screen's suspect calls; None when it cannot tell (anything may be a finding):
    NG001's, the model calls whose graph a loop may keep (NG002), and the calls of the loops
    that may carry eval mode to a training step (NG004)."""
    from .prefilter import might_have_eval_findings, might_keep_graphs, might_set_eval_mode

    # Each screen is imported when a file first needs it: an editor's ``flake8 FILE`` of
    # a training script without ``eval()`` loads only NG002's.
    try:
        tree = values.tree
        suspects: list[ast.Call] = []
        if might_set_eval_mode(text) or _helpers_set_eval_mode(values):
            from .screen_loops import eval_carrying_calls

            suspects += eval_carrying_calls(tree, values, text)
        if might_have_eval_findings(text):
            from .screen import suspect_calls

            found = suspect_calls(tree, text, values)
            if found is None:
                return None
            suspects += found
        if might_keep_graphs(text):
            suspects += values.graph_keeping_calls(text)
        return suspects
    except RecursionError:
        return None  # undecided: the analysis refuses what is too deep for it in one line


def might_be_relevant(text: str, filename: str | None = None) -> bool:
    """The text pre-filter: False when ``text`` cannot hold a finding. ``filename``, the
    file it was read from, lets it read the helpers the file imports from beside it."""
    return might_have_findings(text) or _imports_eval_helpers(text, filename)


def _imports_eval_helpers(text: str, filename: str | None) -> bool:
    """A loop that may call a validation helper imported from a module beside the file
    that spells an eval call (NG004), where the file itself spells none of the words the
    pre-filter looks for: ``from common import *`` and ``validate(net, loader)``."""
    if "for" not in text and "while" not in text:
        return False  # NG004 needs a loop
    from .analysis.sibling_modules import any_imported_text
    from .prefilter import might_set_eval_mode

    return any_imported_text(filename, text, might_set_eval_mode)


def _helpers_set_eval_mode(values: ModuleValues) -> bool:
    """Whether a module beside this one that it imports a function from spells an eval
    call: a validation helper kept in a file of its own (NG004)."""
    from .analysis.sibling_modules import any_sibling_text
    from .prefilter import might_set_eval_mode

    return any_sibling_text(values.path, values.tree, might_set_eval_mode)


def _parse_pruned(text: str, tree: ast.Module) -> cst.Module | None:
    """The pruned source's module, or None to parse the whole source instead: if LibCST
    refuses it, or it does not line up with ``tree`` by top-level statement, which the
    positions of its findings are read from."""
    from .analysis.ast_positions import ast_groups

    try:
        module = parse(text, nesting_checked=True)  # no deeper than the whole source
    except SourceError:
        return None
    return module if ast_groups(module, tree) is not None else None


def analyse(
    module: cst.Module,
    text: str,
    tree: ast.Module | None = None,
    disabling_names: Collection[str] = (),
    values: ModuleValues | None = None,
) -> list[Finding]:
    """Findings of a parsed module, sorted; ``tree`` is the same source's ``ast`` if known,
    ``values`` a reading of that tree that earlier layers have filled."""
    from .analysis.flow import ModuleAnalysis
    from .findings import NG001, NG004, Finding, ng001_message, ng004_message

    if tree is None:
        tree = parse_python(text)
    analysis = ModuleAnalysis(module, disabling_names, tree, values)
    candidates = analysis.run()
    findings = _kept_findings(analysis, text)
    left = analysis.left_in_eval
    if not candidates and not left:
        return sorted(findings)
    from .analysis.origins import origins
    from .analysis.positions import node_ranges  # LibCST's metadata: only for findings

    explained = {id(c): origins(c, analysis.module_periods) for c in candidates}
    wanted: list[tuple[int, cst.CSTNode]] = [(c.top, c.call) for c in candidates]
    wanted += [(o.top, o.node) for found in explained.values() for o in found]
    wanted += [(leak.period.top, leak.period.start) for leak in left]
    wanted += [(leak.step_top, leak.step) for leak in left]
    ranges = node_ranges(module, wanted, text, tree)
    for leak in left:
        start, end = ranges[id(leak.period.start)]
        step_start, step_end = ranges[id(leak.step)]
        model, trained = leak.period.shown, leak.period.model
        message = ng004_message(model, step_start[0], f"{model}.train()", leak.same_iteration)
        how = "" if trained == model else f", the same module as '{model}',"
        step = _related((step_start, step_end), f"'{trained}'{how} is trained here in eval mode")
        findings.append(Finding(start[0], start[1], NG004, message, model, end[0], end[1], (step,)))
    for candidate in candidates:
        start, end = ranges[id(candidate.call)]
        related = (_related(ranges[id(o.node)], o.message) for o in explained[id(candidate)])
        findings.append(
            Finding(
                start[0],
                start[1],
                NG001,
                ng001_message(candidate.model, candidate.volatile),
                candidate.model,
                end[0],
                end[1],
                tuple(sorted(related)),
            )
        )
    return sorted(findings)


def _kept_findings(analysis: ModuleAnalysis, text: str) -> list[Finding]:
    """NG002: positions come straight off the ``ast`` nodes of the stored values."""
    from .analysis.ast_positions import expression_range
    from .findings import NG002, Finding, ng002_message
    from .fix_detach import not_a_tensor

    lines = physical_lines(text)
    findings = []
    for _, kept in analysis.kept:
        span = expression_range(kept.value, lines)
        if span is None:
            continue
        (line, col), (end_line, end_col) = span
        value = ast.unparse(kept.value)
        message = ng002_message(
            kept.target, value, kept.after_backward, kept.fed_back, kept.container
        )
        refusal = None if kept.container is None else not_a_tensor(kept.container)
        findings.append(
            Finding(line, col, NG002, message, kept.target, end_line, end_col, fix_refusal=refusal)
        )
    return findings


def _retained_findings(values: ModuleValues, text: str) -> list[Finding]:
    """NG003: read off the ``ast`` tree alone; the finding spans ``retain_graph=True``."""
    from .analysis.ast_positions import expression_range
    from .analysis.retained_graphs import needless_retains
    from .findings import NG003, Finding, ng003_message

    try:
        retains = needless_retains(values)
    except RecursionError:
        return []
    lines = physical_lines(text)
    findings = []
    for retain in retains:
        span = expression_range(retain.keyword, lines)  # type: ignore[arg-type]
        if span is None:
            continue
        (line, col), (end_line, end_col) = span
        message = ng003_message(retain.callee, retain.flag, retain.more_arguments)
        findings.append(Finding(line, col, NG003, message, retain.subject, end_line, end_col))
    return findings


def _related(span: tuple[tuple[int, int], tuple[int, int]], message: str) -> Related:
    from .findings import Related

    (line, col), (end_line, end_col) = span
    return Related(line, col, end_line, end_col, message)
