"""Autofix at scale: fix every file of real code bases in memory and check the invariants.

For each ``*.py`` file with NG001 findings: the fixed text compiles, re-linting it reports
exactly the findings the fix refused (none at the fixed sites), and a second fix changes
nothing. Checkouts are only read; nothing is written to them.

    python -m benchmarks.fix_at_scale --out benchmarks/results/fix_at_scale.json CHECKOUT...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from nograd_lint.errors import SourceError
from nograd_lint.files import DEFAULT_EXCLUDES, discover
from nograd_lint.fix import FixError, fix_source
from nograd_lint.rules import RULES


def check_file(path: Path) -> dict:
    """Fix one file in memory; the outcome and any broken invariant."""
    data = path.read_bytes()
    if b".eval(" not in data and b".train(" not in data and b"retain_graph" not in data:
        return {"status": "skipped"}
    try:
        first = fix_source(data, str(path))
    except FixError as error:
        return {"status": "refused", "problem": str(error)}
    except SourceError as error:
        return {"status": "unparsable", "problem": str(error)}
    if not first.changed and not first.skipped:
        return {"status": "clean"}
    problems = []
    try:
        compile(first.text, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        problems.append(f"fixed code does not compile: {error}")
    fixable = [f for f in first.remaining if RULES[f.code].autofix]  # NG004 has no fix
    if len(fixable) != len(first.skipped):
        problems.append(f"{len(fixable)} findings left but {len(first.skipped)} refused")
    second = fix_source(first.text, str(path))
    if second.text != first.text:
        problems.append("a second fix changed the code again")
    return {
        "status": "broken" if problems else "fixed",
        "fixed": len(first.fixed),
        "refused": [s.reason for s in first.skipped],
        "problems": problems,
    }


def commit_of(checkout: Path) -> str | None:
    """The checked-out commit, so that a result names exactly what it measured."""
    result = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    per_repo, broken = {}, []
    for checkout in args.checkouts:
        counts: Counter = Counter()
        reasons: Counter = Counter()
        for name in discover([str(checkout)], DEFAULT_EXCLUDES):
            outcome = check_file(Path(name))
            counts["files"] += 1
            counts[outcome["status"]] += 1
            counts["sites_fixed"] += outcome.get("fixed", 0)
            counts["sites_refused"] += len(outcome.get("refused", ()))
            reasons.update(outcome.get("refused", ()))
            if outcome["status"] in ("broken", "refused"):
                broken.append({"path": name, **outcome})
        per_repo[checkout.name] = {
            "commit": commit_of(checkout),
            **counts,
            "refusal_reasons": dict(reasons),
        }
        print(f"{checkout.name}: {dict(counts)}", file=sys.stderr)
    summary = {
        "totals": {
            key: sum(r.get(key, 0) for r in per_repo.values())
            for key in ("files", "fixed", "sites_fixed", "sites_refused", "unparsable")
        },
        "repositories": per_repo,
        "broken": broken,
        "seconds": round(time.perf_counter() - started, 1),
    }
    text = json.dumps(summary, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
