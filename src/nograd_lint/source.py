"""Turning bytes into source text and text into a LibCST module, with one-line errors; and
the stdlib ``ast`` and line numbering of the same text, as Python sees them."""

from __future__ import annotations

import ast
import io
import itertools
import os
import queue
import sys
import threading
import tokenize
import warnings
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .errors import SourceError

if TYPE_CHECKING:
    import libcst as cst

T = TypeVar("T")


def decode(data: bytes | str) -> str:
    """Decode as Python does: a PEP 263 coding cookie or a BOM, else UTF-8. Text keeps no
    leading BOM either (Python's compiler refuses one that is not decoded away; flake8 strips
    it from the lines it hands on)."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceError(f"cannot decode: {error}") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"cannot decode as {encoding}: {error}") from None


def parse_python(text: str) -> ast.Module | None:
    """The stdlib ``ast`` (a tenth of LibCST's parse), for the screen and for positions; None
    when this Python cannot parse it (LibCST's parse then says why). The user's own warnings
    (invalid escapes warn at parse time since 3.12) are not ours to print."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def physical_lines(text: str) -> list[str]:
    """Lines as Python and LSP number them: ended by ``\n``, ``\r\n`` or ``\r`` only, not
    by the form feeds and other separators that ``str.splitlines`` also breaks at."""
    return io.StringIO(text, newline="").readlines()


#: The deepest nesting handed to LibCST, counted as :func:`nesting_depth` does. Python itself
#: refuses about 3,000 levels (three times its recursion limit), except for ``and``/``or``
#: chains, which it keeps flat and LibCST nests: 7,000 terms parse on an 8 MiB stack and
#: 8,500 crash the process. Its time also grows faster than the depth: a chain of 1,000
#: subscripts takes about 7 s and 2,000 take 60 s. Real code stays far below.
MAX_NESTING = 1000

#: The stack LibCST's native parser and the analysis run on (reserved, not used, until
#: needed): it makes the outcome independent of the stack the host's thread happens to have
#: (8 MiB for a Linux main thread, 512 KiB for other threads on macOS). 8 MiB already
#: parse 2,900 levels of every kind measured; on 512 MiB a 100,000-term ``and`` parsed.
STACK_BYTES = 64 << 20
_stack_size_lock = threading.Lock()
_on_deep_stack = threading.local()


def python_tree(text: str, filename: str = "<unknown>") -> ast.Module:
    """The stdlib ``ast`` of ``text``; :class:`SourceError` with Python's own message and
    position (as flake8's E999 shows them) when Python cannot parse it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise _python_error(error, text) from None


def check_compiles(text: str, filename: str = "<unknown>") -> None:
    """Raise :class:`SourceError` unless Python compiles ``text`` (nothing is run): besides
    syntax errors, the compiler refuses ``return`` or ``nonlocal`` at module level and
    expressions nested deeper than about three times its recursion limit. Half the time of
    ``ast.parse``. Not ``compile`` of an ``ast`` tree, cheaper still: turning the tree's
    objects back into the compiler's refuses anything nested deeper than the recursion
    limit itself, which Python accepts in a file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise _python_error(error, text) from None


def _python_error(error: BaseException, text: str) -> SourceError:
    if isinstance(error, SyntaxError) and error.lineno:
        message = str(error.msg).splitlines()[0] if error.msg else "invalid syntax"
        return SourceError(f"syntax error at {error.lineno}:{error.offset or 1}: {message}")
    if isinstance(error, UnicodeEncodeError) and error.start < len(text):
        # A lone surrogate, which a notebook's JSON can spell (``\ud800``) and no source
        # file can hold: Python's compiler cannot encode it.
        before = text[: error.start]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        code = ord(text[error.start])
        return SourceError(f"syntax error at {line}:{column}: lone surrogate U+{code:04X}")
    if isinstance(error, (SyntaxError, ValueError)):
        message = str(getattr(error, "msg", None) or error).splitlines()[0]
        line, column = 1, 1
        if "\0" in text:  # Python 3.11 names no position for a null byte
            before = text[: text.index("\0")]
            line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        return SourceError(f"syntax error at {line}:{column}: {message}")
    return SourceError(f"too deeply nested for Python ({type(error).__name__})")


def nesting_depth(tree: ast.Module, text: str) -> int:
    """How deep LibCST's tree of ``text`` nests, where that is more than :data:`MAX_NESTING`
    (else a number no larger): the ``ast`` tree's depth, where each operand of
    ``a and b and c`` nests one level deeper than the one before (``ast`` keeps them in one
    list, LibCST nests them).

    A statement cannot nest deeper than it has characters (``-`` nests one level per
    character, nothing nests more), so only statements long enough to pass the limit are
    walked node by node: a walk of every node cost a third of LibCST's parse of a
    2,000-line script.
    """
    ends = [0, *itertools.accumulate(map(len, physical_lines(text)))]
    deepest = 0
    statements: list[tuple[ast.AST, int]] = [(tree, 1)]
    while statements:
        node, depth = statements.pop()
        for _, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else (value,):
                if isinstance(child, (ast.stmt, ast.excepthandler)) or (
                    sys.version_info >= (3, 10) and isinstance(child, ast.match_case)
                ):
                    statements.append((child, depth + 1))
                elif isinstance(child, ast.AST):
                    start, end = getattr(child, "lineno", None), getattr(child, "end_lineno", None)
                    if start is not None and end is not None:
                        longest = ends[min(end, len(ends) - 1)] - ends[start - 1] + _LEAF_LEVELS
                        if depth + longest <= MAX_NESTING:
                            deepest = max(deepest, depth + 1)
                            continue
                    deepest = max(deepest, depth + _subtree_depth(child))
    return deepest


#: Levels an expression may have beyond one per character: its context and operator leaves.
_LEAF_LEVELS = 4


def _subtree_depth(root: ast.AST) -> int:
    """The depth of the tree under ``root``, counting ``and``/``or`` operands as nested; a
    loop, not recursion, as the input may be deeper than Python's recursion limit."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    pop, push, children = stack.pop, stack.append, ast.iter_child_nodes
    bool_op = ast.BoolOp
    while stack:
        node, depth = pop()
        if depth > deepest:
            deepest = depth
        depth += len(node.values) if type(node) is bool_op else 1
        for child in children(node):
            push((child, depth))
    return deepest


def on_deep_stack(function: Callable[[], T]) -> T:
    """``function()`` run in a thread with a stack of :data:`STACK_BYTES`, its exception
    re-raised here; run directly where the platform refuses such a thread.

    The thread is kept for the next call in the same process: starting one costs 0.2 to
    0.4 ms, a tenth of what the screens take on a typical file, paid on every file of a
    run. A call made while it is busy (another thread of an editor's server) gets a
    thread of its own; a forked child starts its own."""
    if getattr(_on_deep_stack, "running", False):
        return function()
    try:
        worker = _idle_worker()
        if worker is None:
            outcome = _on_new_thread(function)
        else:
            try:
                outcome = worker.call(function)
            finally:
                worker.busy.release()
    except (ValueError, RuntimeError, MemoryError):  # no such thread here
        return function()
    succeeded, value = outcome
    if succeeded:
        return value
    raise value


def _deep_thread(target: Callable[[], None]) -> threading.Thread:
    with _stack_size_lock:
        previous = threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="nograd-lint", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    return thread


def _run(function: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, function()
    except BaseException as error:  # handed to the caller, which decides
        return False, error


def _on_new_thread(function: Callable[[], Any]) -> tuple[bool, Any]:
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        _on_deep_stack.running = True
        outcome.append(_run(function))

    _deep_thread(target).join()
    return outcome[0]


class _Worker:
    """A deep-stack thread that runs the functions it is handed, one at a time."""

    def __init__(self) -> None:
        self.busy = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[Any]]] = (
            queue.SimpleQueue()
        )
        _deep_thread(self._serve)

    def _serve(self) -> None:
        _on_deep_stack.running = True
        while True:
            function, answer = self._jobs.get()
            answer.put(_run(function))

    def call(self, function: Callable[[], Any]) -> tuple[bool, Any]:
        answer: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._jobs.put((function, answer))
        return answer.get()


_worker: _Worker | None = None
_worker_lock = threading.Lock()


def _idle_worker() -> _Worker | None:
    """This process's worker, marked busy; None when another call holds it."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _Worker()
        worker = _worker
    return worker if worker.busy.acquire(blocking=False) else None


def _forget_worker() -> None:
    """In a forked child: the parent's thread is not there, and its locks may be held."""
    global _worker, _worker_lock
    _worker, _worker_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)


def check_nesting(tree: ast.Module, text: str) -> None:
    """Raise :class:`SourceError` if ``text`` (whose ``ast`` is ``tree``) nests deeper than
    :data:`MAX_NESTING`."""
    depth = nesting_depth(tree, text)
    if depth > MAX_NESTING:
        raise SourceError(
            f"nested {depth} levels deep, more than the {MAX_NESTING} this analysis accepts"
        )


def parse(text: str, *, nesting_checked: bool = False) -> cst.Module:
    """Parse with LibCST (imported here, so files the pre-filter rejects never pay for it).

    Only source that Python parses, nested at most :data:`MAX_NESTING` deep, reaches LibCST,
    whose native parser takes the whole process down on deeper input. ``nesting_checked``:
    the caller has made sure of both, for ``text`` or for a source ``text`` keeps a part of.
    """
    if not nesting_checked:
        check_nesting(python_tree(text), text)
    return on_deep_stack(lambda: _libcst_parse(text))


def _libcst_parse(text: str) -> cst.Module:
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        # Python has parsed it already: a limit of LibCST's parser, not the user's mistake.
        message = str(error.message).splitlines()[0] if error.message else "invalid syntax"
        raise SourceError(
            f"cannot analyse: LibCST's parser rejects this code, which Python accepts, at "
            f"{error.raw_line}:{error.raw_column + 1}: {message}"
        ) from None
    except RecursionError:
        raise SourceError("too deeply nested to analyse") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        first = str(error).splitlines()[0] if str(error) else ""
        raise SourceError(f"cannot parse: {type(error).__name__}: {first}") from None
