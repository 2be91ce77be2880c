"""Score a rule on labelled real-world checkouts: precision, recall, and what went wrong.

    python tests/realworld/score.py --corpus DIR [--set NAME] [--json] [--unlabelled-csv FILE]

DIR holds one checkout per repository of the set's ``repos.tsv``, named ``owner+name``. Each
set labels one rule (``SET_RULES``). The ``main``, ``ng002``, ``ng003`` and ``ng004`` sets
are the ones the rules were developed against; the ``*heldout`` sets were labelled on code
bases the linter had never been run on, to measure it as a new user meets it. Nothing is
fetched: a checkout at another commit than the recorded one is scored with a warning, a
missing one is skipped with a warning. Every ``*.py`` file of a scored checkout is linted, so
findings outside the labelled rows show up as unlabelled; so do sites of the independent
candidate finder that nobody has labelled yet.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run as a script from anywhere

from nograd_lint import check_source  # noqa: E402
from nograd_lint.files import discover  # noqa: E402
from tests.realworld.candidates import candidate_sites  # noqa: E402

LABELS_CSV = HERE / "labels.csv"
REPOS_TSV = HERE / "repos.tsv"
SETS = {  # repos.tsv, labels.csv
    "main": HERE,
    "heldout": HERE / "heldout",
    "ng002": HERE / "ng002",
    "ng003": HERE / "ng003",
    "ng004": HERE / "ng004",
    "ng003-heldout": HERE / "ng003_heldout",
    "ng004-heldout": HERE / "ng004_heldout",
    "ng003-heldout2": HERE / "ng003_heldout2",
    "ng004-heldout2": HERE / "ng004_heldout2",
}
#: The rule each set labels: only its findings are scored against it.
SET_RULES = {
    "main": "NG001",
    "heldout": "NG001",
    "ng002": "NG002",
    "ng003": "NG003",
    "ng004": "NG004",
    "ng003-heldout": "NG003",
    "ng004-heldout": "NG004",
    "ng003-heldout2": "NG003",
    "ng004-heldout2": "NG004",
}
LABEL_COLUMNS = ("repo", "commit", "path", "line", "col", "model", "label", "reason")
REPO_COLUMNS = ("repo", "commit", "kind")
LABELS = ("flag", "ok", "ambiguous")

Key = tuple[str, str, int, int]  # repo, path, line, col


@dataclass
class Score:
    """The outcome of one run; rows are the labels.csv dicts."""

    true_positives: int = 0
    false_positives: list[dict] = field(default_factory=list)
    false_negatives: list[dict] = field(default_factory=list)
    unlabelled_findings: list[dict] = field(default_factory=list)
    unlabelled_candidates: list[dict] = field(default_factory=list)
    labelled: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        reported = self.true_positives + len(self.false_positives)
        return self.true_positives / reported if reported else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + len(self.false_negatives)
        return self.true_positives / wanted if wanted else 1.0


def read_repos(path: Path = REPOS_TSV) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_labels(path: Path = LABELS_CSV) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def row_key(row: dict) -> Key:
    return (row["repo"], row["path"], int(row["line"]), int(row["col"]))


def checkout_commit(checkout: Path) -> Optional[str]:
    result = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def scan_file(task: tuple[str, str, str, str]) -> tuple[str, str, list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """(repo, path, linter findings of the rule, candidate sites) of one file; runs in a
    worker process."""
    repo, checkout, path, rule = task
    full = Path(checkout) / path
    try:
        source = full.read_bytes()
        findings = [
            (f.line, f.col, f.model)
            for f in check_source(source, str(full), noqa=False)
            if f.code == rule
        ]
    except Exception:  # unparsable third-party files (Python 2, templates) are simply skipped
        findings = []
    try:
        text = source.decode("utf-8")
    except (UnicodeDecodeError, NameError):
        text = ""
    return repo, path, findings, _candidates(rule, text)


def _candidates(rule: str, text: str) -> list[tuple[int, int, str]]:
    """The independent candidate finder of the rule's set, if it has one."""
    if rule == "NG001":
        return [(s.line, s.col, s.model) for s in candidate_sites(text)]
    if rule == "NG003":
        from tests.realworld.ng003_candidates import candidate_sites as retain_sites

        return [(s.line, s.col, s.model) for s in retain_sites(text)]
    if rule == "NG004":
        from tests.realworld.ng004_candidates import candidate_sites as mode_sites

        return [(s.line, s.col, s.model) for s in mode_sites(text)]
    return []


def scan_corpus(
    corpus: Path, repos: list[dict], warnings: list[str], jobs: Optional[int], rule: str = "NG001"
) -> list:
    tasks = []
    for repo in repos:
        checkout = corpus / repo["repo"]
        if not checkout.is_dir():
            warnings.append(f"{repo['repo']}: no checkout under {corpus}, skipped")
            continue
        commit = checkout_commit(checkout)
        if commit != repo["commit"]:
            warnings.append(f"{repo['repo']}: checkout at {commit}, labels are for {repo['commit']}")
        for full in discover([str(checkout)]):
            tasks.append((repo["repo"], str(checkout), str(Path(full).relative_to(checkout)), rule))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(scan_file, tasks, chunksize=16))


def set_files(name: str) -> tuple[Path, Path]:
    """The ``repos.tsv`` and ``labels.csv`` of a named label set."""
    return SETS[name] / "repos.tsv", SETS[name] / "labels.csv"


def score(corpus: Path, jobs: Optional[int] = None, label_set: str = "main") -> Score:
    repos_tsv, labels_csv = set_files(label_set)
    repos = read_repos(repos_tsv)
    commits = {r["repo"]: r["commit"] for r in repos}
    labels = {row_key(row): row for row in read_labels(labels_csv)}
    result = Score()
    found: set[Key] = set()
    scanned_repos = set()
    rule = SET_RULES[label_set]
    for repo, path, findings, sites in scan_corpus(corpus, repos, result.warnings, jobs, rule):
        scanned_repos.add(repo)
        for line, col, model in findings:
            key = (repo, path, line, col)
            found.add(key)
            if key not in labels:
                result.unlabelled_findings.append(_row(repo, commits[repo], path, line, col, model))
        for line, col, model in sites:
            if (repo, path, line, col) not in labels:
                result.unlabelled_candidates.append(_row(repo, commits[repo], path, line, col, model))
    for key, row in labels.items():
        if row["repo"] not in scanned_repos:
            continue
        result.labelled[row["label"]] = result.labelled.get(row["label"], 0) + 1
        if row["label"] == "flag" and key in found:
            result.true_positives += 1
        elif row["label"] == "flag":
            result.false_negatives.append(row)
        elif row["label"] == "ok" and key in found:
            result.false_positives.append(row)
    return result


def _row(repo: str, commit: str, path: str, line: int, col: int, model: str) -> dict:
    return {"repo": repo, "commit": commit, "path": path, "line": line, "col": col,
            "model": model, "label": "", "reason": ""}


def _print_report(result: Score) -> None:
    for warning in result.warnings:
        print(f"warning: {warning}")
    print("labelled rows scored: " + ", ".join(f"{k} {v}" for k, v in sorted(result.labelled.items())))
    print(f"true positives {result.true_positives}, false positives {len(result.false_positives)}, "
          f"false negatives {len(result.false_negatives)}")
    print(f"precision {result.precision:.3f}  recall {result.recall:.3f}  (ambiguous rows excluded)")
    for title, rows in (("false positives", result.false_positives),
                        ("false negatives", result.false_negatives),
                        ("unlabelled findings", result.unlabelled_findings),
                        ("unlabelled candidate sites", result.unlabelled_candidates)):
        if rows:
            print(f"\n{title} ({len(rows)}):")
            for row in rows:
                reason = f"  -- {row['reason']}" if row["reason"] else ""
                model = row.get("model") or row.get("target", "")
                print(f"  {row['repo']}/{row['path']}:{row['line']}:{row['col']} {model}{reason}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="directory of owner+name checkouts")
    parser.add_argument("--set", dest="label_set", choices=sorted(SETS), default="main",
                        help="which label set to score (default: main)")
    parser.add_argument("--json", action="store_true", help="print the score as JSON")
    parser.add_argument("--unlabelled-csv", type=Path, help="write unlabelled findings and sites as label rows")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="worker processes")
    args = parser.parse_args(argv)
    result = score(args.corpus, args.jobs, args.label_set)
    if args.unlabelled_csv:
        rows = {row_key(r): r for r in result.unlabelled_findings + result.unlabelled_candidates}
        with args.unlabelled_csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=LABEL_COLUMNS)
            writer.writeheader()
            writer.writerows(rows[k] for k in sorted(rows))
    if args.json:
        print(json.dumps({**asdict(result), "precision": result.precision, "recall": result.recall}, indent=2))
    else:
        _print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
