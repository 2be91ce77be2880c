"""The flake8 entry point (``NG`` codes: every rule of the registry).

flake8 imports this module on every run, so it imports nothing heavy: LibCST is loaded
only for a file that passes the text pre-filter and then the screen on flake8's own ``ast``
tree, which costs next to nothing because flake8 has parsed it already.
"""

from __future__ import annotations

import ast
import gc
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ._version import __version__
from .api import check_source
from .errors import InternalError, SourceError
from .rules import RULES


class NogradChecker:
    name = "nograd-lint"
    version = __version__
    disabling_names: frozenset[str] = frozenset()

    @classmethod
    def add_options(cls, parser: Any) -> None:
        # A rule that is off by default is in flake8's default ignore list, so that
        # ``--extend-select`` (or a ``--select`` naming it) turns it on, as with any plugin.
        off = [code for code, rule in RULES.items() if not rule.default_enabled]
        if off:
            parser.extend_default_ignore(off)
        parser.add_option(
            "--nograd-disabling-names",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Comma-separated names of project decorators or context managers that "
            "disable autograd, e.g. 'my_no_grad,utils.inference' (default: none)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.disabling_names = frozenset(options.nograd_disabling_names)
        if _forks_for_many_files(options):
            _load_analysis_before_fork()

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        # ``lines`` rather than reading ``filename``: stdin (editors) and encodings just work.
        self._tree = tree
        self._lines = lines
        self._filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self._lines)
        try:
            # The text pre-filter, then the screen on flake8's own tree, before any LibCST.
            findings = check_source(
                source,
                self._filename,
                noqa=False,
                tree=self._tree if isinstance(self._tree, ast.Module) else None,
                disabling_names=self.disabling_names,
            )
        except InternalError as error:
            print(f"{self._filename}: nograd-lint: {error}", file=sys.stderr)
            return
        except SourceError as error:
            if isinstance(self._tree, ast.Module):  # Python parsed it: no E999 will say why
                print(f"{self._filename}: nograd-lint: {error}", file=sys.stderr)
            return  # otherwise flake8's E999 reports what is wrong with the file
        finally:
            _settle_libcst()
        for finding in findings:
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)


#: From this many files named one by one, a run is taken to be large (a directory always).
_MANY_FILES = 100


def _forks_for_many_files(options: Any) -> bool:
    """Whether flake8 will lint a large set of files in worker processes forked from this
    one (``Manager.run_parallel``): a directory, or many files, with more than one job."""
    filenames = list(getattr(options, "filenames", None) or ())
    if not filenames or "-" in filenames or multiprocessing.get_start_method() != "fork":
        return False
    jobs = getattr(options, "jobs", None)
    if jobs is None:
        return False
    count = (os.cpu_count() or 1) if getattr(jobs, "is_auto", False) else jobs.n_jobs
    return count > 1 and (len(filenames) >= _MANY_FILES or any(map(os.path.isdir, filenames)))


def _load_analysis_before_fork() -> None:
    """Import LibCST and the analysis once, here, rather than in every worker. In a large
    run each worker meets a file that needs them (one file in fifty or so), and each would
    pay the import, 0.15 to 0.3 s of CPU; forked workers share what the parent imported.
    The cost, one import in a run where no file needed it, is small beside such a run."""
    from . import prune  # noqa: F401
    from .analysis import flow, origins, positions  # noqa: F401

    _settle_libcst()


_settled = False


def _settle_libcst() -> None:
    """Once a file has needed LibCST, flake8's process holds about twice as many objects as
    before, nearly all of them LibCST's modules, classes and functions, which live until the
    process ends; every full collection of the cyclic garbage collector from then on walks
    them all, the one at exit included: about 40 ms of a ``flake8 FILE`` run on a 2,000-line
    training script. ``gc.freeze`` moves what exists now out of the collector's sight, once
    per process. flake8 processes end after their run, so the only cost is that a reference
    cycle among today's objects that turns to garbage later waits for the exit."""
    global _settled
    if not _settled and "libcst" in sys.modules:
        _settled = True
        gc.freeze()
