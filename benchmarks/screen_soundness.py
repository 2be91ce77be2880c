"""Are the ``ast`` screen and the pruning sound on real code? Every file the screen rejects
must have no finding, and pruning (``prune``) must not change any finding.

For every ``.py`` file of the given checkouts that passes the text pre-filter, this runs the
screens of every rule and, whatever they say, the full analysis with them switched off
(``check_source(prefilter=False)``); a file with findings that the screens rejected is a bug
(NG003 aside, which is read off the ``ast`` tree before any screen), and so is a file whose
findings with the screens and pruning (``check_source()``) differ from those without. It also counts how many files reach LibCST, which is what the screen is for,
and how many of their lines LibCST parses once pruned.

    python -m benchmarks.screen_soundness -j 2 --corpus DIR [--corpus DIR ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from nograd_lint import SourceError, check_source
from nograd_lint.api import might_be_relevant, screened_calls
from nograd_lint.files import discover
from nograd_lint.findings import NG003
from nograd_lint.prune import pruned_source
from nograd_lint.source import parse_python

RESULTS = Path(__file__).parent / "results"


def judge(path: str) -> dict[str, Any] | None:
    """None for files the pre-filter drops or Python cannot parse, else what each step says."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not might_be_relevant(source, path):
        return None
    tree = parse_python(source)
    if tree is None:
        return None
    try:
        suspects = screened_calls(tree, source, str(path))
    except RecursionError:
        suspects = None  # as check_source treats it
    try:
        unscreened = check_source(source, path, noqa=False, prefilter=False)
        screened = check_source(source, path, noqa=False, tree=tree)
    except SourceError:
        return None
    lines = source.count("\n")
    pruned = pruned_source(tree, source, suspects) if suspects else None
    return {
        "path": path,
        "screened_in": suspects != [],
        "findings": len(unscreened),
        # NG003 is read off the ``ast`` tree before any screen: it never needs LibCST.
        "needs_libcst": any(finding.code != NG003 for finding in unscreened),
        "differ": screened != unscreened,
        "lines": lines if suspects != [] else 0,
        "parsed_lines": (pruned.count("\n") if pruned is not None else lines)
        if suspects != []
        else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.screen_soundness", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", action="append", required=True, type=Path, metavar="DIR")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "screen_soundness.json")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {"corpora": {}, "unsound": []}
    with Pool(args.jobs) as pool:
        for corpus in args.corpus:
            files = list(discover([str(corpus)]))
            judged = [r for r in pool.imap_unordered(judge, files, chunksize=8) if r is not None]
            screened_out = [r["path"] for r in judged if r["needs_libcst"] and not r["screened_in"]]
            differ = [r["path"] for r in judged if r["differ"]]
            report["unsound"] += sorted(set(screened_out) | set(differ))
            report["corpora"][corpus.name] = {
                "files": len(files),
                "pass_prefilter": len(judged),
                "reach_libcst": sum(r["screened_in"] for r in judged),
                "with_findings": sum(bool(r["findings"]) for r in judged),
                "findings_screened_out": len(screened_out),
                "findings_changed_by_screen_or_pruning": len(differ),
                "lines_reaching_libcst": sum(r["lines"] for r in judged),
                "lines_parsed_after_pruning": sum(r["parsed_lines"] for r in judged),
            }
            print(corpus.name, report["corpora"][corpus.name], flush=True)
    totals = {
        key: sum(c[key] for c in report["corpora"].values())
        for key in next(iter(report["corpora"].values()))
    }
    report["totals"] = totals
    print("total", totals)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 1 if report["unsound"] else 0


if __name__ == "__main__":
    sys.exit(main())
