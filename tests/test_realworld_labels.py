"""The real-world label set: a well-formed data file, and its score when a corpus is at hand."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.realworld.score import (
    LABEL_COLUMNS,
    LABELS,
    REPO_COLUMNS,
    SETS,
    read_labels,
    read_repos,
    row_key,
    set_files,
)

SCORE_SCRIPT = Path(__file__).parent / "realworld" / "score.py"
#: What each set's score may not fall below: a guard against regressions, at the level
#: last measured where that is below the rule's target (precision 0.97 and recall 0.90 for
#: NG002 to NG004; the README of the sets gives the scores and what is missed, and why).
FLOORS = {
    "main": (0.95, 0.95),
    "heldout": (0.95, 0.95),
    "ng002": (0.97, 0.90),
    "ng003": (0.97, 0.69),
    "ng004": (0.97, 0.90),
    "ng003-heldout": (0.97, 0.50),
    "ng004-heldout": (0.97, 0.0),
    "ng003-heldout2": (0.97, 0.24),
    "ng004-heldout2": (0.97, 0.90),
}
COMMIT = re.compile(r"[0-9a-f]{40}")


@pytest.mark.parametrize("label_set", sorted(SETS))
def test_repos_tsv_schema(label_set: str) -> None:
    repos_tsv, _ = set_files(label_set)
    with repos_tsv.open(encoding="utf-8") as handle:
        assert tuple(handle.readline().rstrip("\n").split("\t")) == REPO_COLUMNS
    repos = read_repos(repos_tsv)
    assert repos
    names = [r["repo"] for r in repos]
    assert len(names) == len(set(names)), "a repository is listed twice"
    for repo in repos:
        assert re.fullmatch(r"[\w.-]+\+[\w.-]+", repo["repo"]), repo
        assert COMMIT.fullmatch(repo["commit"]), repo
        assert repo["kind"], repo


@pytest.mark.parametrize("label_set", sorted(SETS))
def test_labels_csv_schema(label_set: str) -> None:
    repos_tsv, labels_csv = set_files(label_set)
    with labels_csv.open(encoding="utf-8") as handle:
        assert tuple(handle.readline().rstrip("\r\n").split(",")) == LABEL_COLUMNS
    rows = read_labels(labels_csv)
    assert rows
    commits = {r["repo"]: r["commit"] for r in read_repos(repos_tsv)}
    for row in rows:
        assert row["repo"] in commits, row
        assert row["commit"] == commits[row["repo"]], row
        assert COMMIT.fullmatch(row["commit"]), row
        assert row["path"] and not row["path"].startswith("/"), row
        assert int(row["line"]) >= 1 and int(row["col"]) >= 0, row
        assert row["model"], row
        assert row["label"] in LABELS, row
        if row["label"] in ("ok", "ambiguous"):
            assert row["reason"].strip(), row
    duplicates = [k for k, n in Counter(row_key(r) for r in rows).items() if n > 1]
    assert not duplicates, duplicates


#: The sets the rules were developed on.
DEVELOPMENT_SETS = ("main", "ng002", "ng003", "ng004")
#: Each held-out set: the sets it shares no code base with, and the least it must hold to
#: mean something (code bases, labelled sites). The NG001 held-out set came before the
#: NG002 to NG004 sets, which reuse some of its code bases; the later held-out sets share
#: none with any development set.
HELD_OUT = {
    "heldout": (("main",), 12, 150),
    "ng003-heldout": (DEVELOPMENT_SETS, 15, 60),
    "ng004-heldout": (DEVELOPMENT_SETS, 15, 60),
    # the first NG003 held-out set informed fixes: the second shares nothing with it
    "ng003-heldout2": ((*DEVELOPMENT_SETS, "ng003-heldout"), 12, 60),
    # its first scoring informed two fixes: it shares nothing with the first NG004 one
    "ng004-heldout2": ((*DEVELOPMENT_SETS, "ng004-heldout"), 15, 60),
}


@pytest.mark.parametrize("label_set", sorted(HELD_OUT))
def test_heldout_set_is_disjoint_and_large_enough(label_set: str) -> None:
    """Held out means never tuned on: no code base of a set the rule was developed on, and
    enough sites to mean something."""
    apart_from, least_repos, least_rows = HELD_OUT[label_set]
    developed = {r["repo"] for name in apart_from for r in read_repos(set_files(name)[0])}
    heldout_repos, heldout_labels = set_files(label_set)
    heldout = {r["repo"] for r in read_repos(heldout_repos)}
    assert not developed & heldout
    rows = read_labels(heldout_labels)
    assert len(heldout) >= least_repos and len(rows) >= least_rows
    assert {r["repo"] for r in rows} == heldout, "every held-out repository has labelled sites"


@pytest.mark.slow
@pytest.mark.parametrize("label_set", sorted(SETS))
def test_score_on_corpus(label_set: str) -> None:
    corpus = os.environ.get("NOGRAD_CORPUS")
    if not corpus or not Path(corpus).is_dir():
        pytest.skip("set NOGRAD_CORPUS to a directory of owner+name checkouts")
    result = subprocess.run(
        [sys.executable, str(SCORE_SCRIPT), "--corpus", corpus, "--set", label_set, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    score = json.loads(result.stdout)
    if not score["labelled"]:
        pytest.skip(f"no checkout of the {label_set} set under {corpus}")
    precision, recall = FLOORS[label_set]
    assert score["precision"] >= precision, score["false_positives"]
    assert score["recall"] >= recall, score["false_negatives"]
    _, labels_csv = set_files(label_set)
    assert not score["unlabelled_findings"], f"label these findings in {labels_csv}"


def test_candidate_finder_is_liberal_and_independent() -> None:
    from tests.realworld.candidates import candidate_sites

    source = (
        "import torch\n"
        "net = Net().to(dev).eval()\n"
        "with torch.no_grad():\n"
        "    net(x)\n"  # listed: the finder knows nothing about grad modes
        "def f(model, x):\n"
        "    model.train(False)\n"
        "    alias = model.cuda()\n"
        "    return alias(x), model.forward(x), other(x)\n"
        "class P:\n"
        "    def load(self):\n"
        "        self.model.eval()\n"
        "    def __call__(self, x):\n"
        "        return self.model(x)\n"
        "class Q:\n"
        "    def __call__(self, x):\n"
        "        return self.model(x)\n"  # another class's self.model: not listed
    )
    sites = [(s.line, s.col, s.model) for s in candidate_sites(source)]
    assert sites == [(4, 4, "net"), (8, 11, "alias"), (8, 21, "model"), (13, 15, "self.model")]
    assert candidate_sites("def broken(:\n") == []
