"""The command's options, spelled as ruff and flake8 users expect, and the combinations that
make no sense rejected as usage errors (exit 2) instead of being ignored."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from ._version import __version__
from .files import DEFAULT_EXCLUDES
from .formatters import FORMATTERS
from .rules import RULES

DESCRIPTION = "Find wasted autograd in PyTorch code. The rules:\n" + "".join(
    f"  {rule.code}  {rule.summary}\n" for rule in RULES.values()
)

EPILOG = """\
exit status:
  0  no findings; with --fix: none left; with --diff: nothing to change
  1  findings reported; with --fix: findings left; with --diff: a diff was printed
  2  usage error (an unknown rule code too), a file that could not be read, parsed or
     fixed, or output that could not be written
  --exit-zero turns 1 into 0; errors still exit 2.

fixes: both fixes are unsafe, as they change behaviour if later code needs gradients: NG001's
wraps the statement in 'with torch.no_grad():', NG002's stores 'value.detach()'. --fix and
--diff apply safe fixes only unless --unsafe-fixes (or 'unsafe-fixes = true' in
[tool.nograd-lint]) is given, and say how many unsafe fixes they held back.

Suppress one line with '# noqa: NG001' (or NG002). 'nograd-lint rule NG002' prints a rule's
documentation; 'nograd-lint lsp' starts the language server (extra 'lsp').
"""


def _jobs(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, not {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return jobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nograd-lint",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="files or directories to lint (default: .); '-' reads stdin",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        choices=sorted(FORMATTERS),
        default=None,
        help="output format: text, json, github (workflow annotations) or "
        "sarif (code scanning) (default: text)",
    )
    output.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of findings per code instead of the findings (text or json format)",
    )
    output.add_argument(
        "--show-source",
        action="store_true",
        help="print the offending line and a caret under the column after each finding "
        "(text format)",
    )
    output.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the text format: auto (the default) colours a terminal unless the "
        "NO_COLOR environment variable is set; FORCE_COLOR colours a pipe too",
    )
    output.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="print findings and errors only, no summaries or warnings; twice (-qq): "
        "print errors only, the exit status still tells of findings",
    )
    output.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings are reported (errors still exit 2)",
    )
    fixes = parser.add_argument_group("fixes")
    fixing = fixes.add_mutually_exclusive_group()
    fixing.add_argument(
        "--fix",
        action="store_true",
        help="apply fixes in place (safe fixes only, unless --unsafe-fixes)",
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="print the changes --fix would make as a unified diff, writing nothing",
    )
    fixes.add_argument(
        "--unsafe-fixes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also apply fixes that may change behaviour, such as the NG001 wrap (default: "
        "the unsafe-fixes key of [tool.nograd-lint], else off)",
    )
    fixes.add_argument(
        "--fix-with",
        choices=["no_grad", "inference_mode"],
        default=None,
        help="the context manager --fix and --diff wrap with (default: no_grad; "
        "tensors made under inference_mode can never join autograd later)",
    )
    rules = parser.add_argument_group(
        "rules",
        "codes or prefixes (NG, NG00, NG002), comma-separated or repeated; the most specific "
        "prefix decides for a rule, as in ruff",
    )
    rules.add_argument(
        "--select",
        action="append",
        default=None,
        metavar="CODES",
        help="run only these rules, replacing [tool.nograd-lint] select (default: every rule)",
    )
    rules.add_argument(
        "--extend-select",
        action="append",
        default=[],
        metavar="CODES",
        help="run these rules as well as the selected ones",
    )
    rules.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="do not run these rules (added to [tool.nograd-lint] ignore)",
    )
    selection = parser.add_argument_group("files and settings")
    selection.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERNS",
        help="comma-separated glob patterns of files or directories to skip, relative to "
        "the current directory; they replace [tool.nograd-lint] exclude and the defaults "
        f"(flake8's: {','.join(DEFAULT_EXCLUDES)}); "
        "virtual environments are always skipped",
    )
    selection.add_argument(
        "--extend-exclude",
        action="append",
        default=[],
        metavar="PATTERNS",
        help="like --exclude, but added to the configured or default patterns",
    )
    selection.add_argument(
        "--force-exclude",
        action="store_true",
        help="skip excluded files even when named on the command line (as pre-commit names them)",
    )
    selection.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default="auto",
        metavar="N",
        help="files linted in parallel: a number, or auto for the number of CPUs (the default)",
    )
    selection.add_argument(
        "--disabling-names",
        default="",
        metavar="NAMES",
        help="comma-separated names of project decorators or context managers "
        "that disable autograd (added to [tool.nograd-lint] disabling-names)",
    )
    selection.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="read [tool.nograd-lint] from this file for every file (default: for each "
        "file, the nearest pyproject.toml above it that has a [tool.nograd-lint] table)",
    )
    selection.add_argument(
        "--stdin-display-name",
        default="stdin",
        metavar="NAME",
        help="the file name to show for '-' (default: stdin)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def parse_options(argv: Sequence[str]) -> argparse.Namespace:
    """Parse and check ``argv``; a usage error exits 2 with argparse's message."""
    parser = build_parser()
    options = parser.parse_args(argv)
    problem = _conflict(options)
    if problem:
        parser.error(problem)
    options.mode = "fix" if options.fix else "diff" if options.diff else "check"
    options.filter = options.mode == "fix" and options.paths == ["-"]
    options.format = options.format or "text"
    options.fix_with = options.fix_with or "no_grad"
    return options


def _conflict(options: argparse.Namespace) -> str | None:
    """Why these options cannot go together, or None."""
    fixing = options.fix or options.diff
    if options.fix_with and not fixing:
        return "--fix-with needs --fix or --diff"
    stdin_uses = options.paths.count("-")
    if stdin_uses > 1:
        return "'-' (stdin) can be given once only"
    if options.fix and stdin_uses and len(options.paths) > 1:
        return "--fix with '-' is a stdin-to-stdout filter: give '-' alone"
    # What writes a diff or a fixed source to stdout has no report format to choose.
    prints_source = "--diff" if options.diff else "--fix -" if options.fix and stdin_uses else ""
    if prints_source:
        for given, name in (
            (options.format and options.format != "text", "--format"),
            (options.statistics, "--statistics"),
            (options.show_source, "--show-source"),
        ):
            if given:
                return f"{name} cannot be used with {prints_source}, which prints source code"
    if options.statistics and options.format not in (None, "text", "json"):
        return "--statistics supports the text and json formats only"
    if options.show_source and (options.statistics or options.format not in (None, "text")):
        return "--show-source applies to the text format's findings only"
    return None
