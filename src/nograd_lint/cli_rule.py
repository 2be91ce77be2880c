"""``nograd-lint rule [CODE]``: a rule's documentation, spelled as ruff spells it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .cli_output import write_stdout
from .rules import RULES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nograd-lint rule",
        description="Print a rule's documentation; without a code, list the rules.",
    )
    parser.add_argument("code", nargs="?", metavar="CODE", help="a rule code, e.g. NG001")
    parser.add_argument("--all", action="store_true", help="print the documentation of every rule")
    return parser


def main(argv: Sequence[str]) -> int:
    """0 when printed; 2 for an unknown code (one line on stderr) or a usage error."""
    options = build_parser().parse_args(argv)
    if options.all:
        write_stdout("\n".join(rule.documentation() for rule in RULES.values()))
        return 0
    if options.code is None:
        width = max(len(code) for code in RULES)
        write_stdout(
            "".join(
                f"{rule.code:<{width}}  {rule.name}: {rule.summary}\n" for rule in RULES.values()
            )
        )
        return 0
    rule = RULES.get(options.code.upper())
    if rule is None:
        known = ", ".join(RULES)
        print(
            f"nograd-lint: error: unknown rule {options.code!r} (known: {known})", file=sys.stderr
        )
        return 2
    write_stdout(rule.documentation())
    return 0
