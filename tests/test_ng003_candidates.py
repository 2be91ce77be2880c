"""The NG003 candidate finder lists every literal ``retain_graph=True`` of a gradient call."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.realworld.ng003_candidates import Site, candidate_sites
from tests.realworld.score import (
    LABEL_COLUMNS,
    LABELS,
    REPO_COLUMNS,
    read_labels,
    read_repos,
    row_key,
)

SCRIPT = Path(__file__).parent / "realworld" / "ng003_candidates.py"


def sites(source: str) -> list[tuple[int, int, str]]:
    return [(s.line, s.col, s.model) for s in candidate_sites(source)]


def test_method_and_function_forms_at_the_keyword() -> None:
    source = (
        "import torch\n"
        "d_loss.backward(retain_graph=True)\n"
        "g = torch.autograd.grad(out, x, retain_graph=True, create_graph=True)\n"
        "torch.autograd.backward([a, b], retain_graph=True)\n"
        "scaler.scale(loss).backward(\n"
        "    retain_graph=True)\n"
        "accelerator.backward(loss, retain_graph=True)\n"
    )
    assert sites(source) == [
        (2, 16, "d_loss"),
        (3, 32, "autograd.grad"),
        (4, 32, "autograd.backward"),
        (6, 4, "scaler.scale(loss)"),
        (7, 27, "accelerator"),
    ]


def test_aliases_of_torch_autograd_and_its_functions() -> None:
    source = (
        "import torch.autograd as ag\n"
        "from torch import autograd as A\n"
        "from torch.autograd import grad as g, backward\n"
        "ag.grad(y, x, retain_graph=True)\n"
        "A.backward(y, retain_graph=True)\n"
        "g(y, x, retain_graph=True)\n"
        "backward(y, retain_graph=True)\n"
        "model.grad(y, retain_graph=True)\n"  # not torch.autograd's
        "grad(y, x, retain_graph=True)\n"  # a ``grad`` this module did not import from torch
    )
    assert sites(source) == [
        (4, 14, "autograd.grad"),
        (5, 14, "autograd.backward"),
        (6, 8, "autograd.grad"),
        (7, 12, "autograd.backward"),
    ]


def test_a_name_counts_only_when_its_scope_binds_it_once_to_true() -> None:
    source = (
        "KEEP = True\n"
        "def once(loss):\n"
        "    loss.backward(retain_graph=KEEP)\n"  # module constant: listed
        "def local(loss):\n"
        "    keep = True\n"
        "    loss.backward(retain_graph=keep)\n"  # listed
        "def parameter(loss, keep=True):\n"
        "    loss.backward(retain_graph=keep)\n"  # the caller decides: not listed
        "def rebound(loss, n):\n"
        "    keep = True\n"
        "    if n:\n"
        "        keep = False\n"
        "    loss.backward(retain_graph=keep)\n"  # bound twice: not listed
        "def shadowed(loss):\n"
        "    KEEP = False\n"
        "    loss.backward(retain_graph=KEEP)\n"  # the function's own KEEP is False
        "def nested(loss):\n"
        "    keep = True\n"
        "    def step():\n"
        "        loss.backward(retain_graph=keep)\n"  # the enclosing function's: listed
        "    return step\n"
    )
    assert sites(source) == [(3, 18, "loss"), (6, 18, "loss"), (20, 22, "loss")]


def test_values_that_are_not_literally_true_are_not_sites() -> None:
    source = (
        "loss.backward(retain_graph=False)\n"
        "loss.backward(retain_graph=None)\n"
        "loss.backward(retain_graph=i + 1 < n)\n"
        "loss.backward(retain_graph=self.retain)\n"
        "loss.backward(None, True)\n"  # positional: not a keyword site
        "loss.backward(**options)\n"
        "optim.step(loss, retain_graph=True)\n"
        "# loss.backward(retain_graph=True)\n"
    )
    assert sites(source) == []


def test_lightning_manual_backward_is_a_site() -> None:
    """It hands its keywords to ``loss.backward``."""
    assert sites("self.manual_backward(loss, retain_graph=True)\n") == [(1, 27, "self")]


def test_bad_input_gives_no_sites() -> None:
    assert candidate_sites("def broken(:\n    x.backward(retain_graph=True)\n") == []
    assert candidate_sites("\x00retain_graph") == []
    # Parses, but nests deeper than a recursive ``ast.NodeVisitor`` can walk.
    deep = "x = " + " + ".join(["a"] * 1500) + "\ny.backward(retain_graph=True)\n"
    assert candidate_sites(deep) == [Site(2, 11, "y")]
    too_deep = "x = " + " + ".join(["a"] * 50000) + "\ny.backward(retain_graph=True)\n"
    assert candidate_sites(too_deep) == []  # the parser gives up: no crash


def test_command_line_writes_csv_rows(tmp_path: Path) -> None:
    checkout = tmp_path / "owner+repo"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "train.py").write_text("loss.backward(retain_graph=True)\n")
    (checkout / "pkg" / "other.py").write_text("loss.backward()\n")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(checkout)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        ["repo", "path", "line", "col", "model"],
        ["owner+repo", str(Path("pkg", "train.py")), "1", "14", "loss"],
    ]


# The labelled set ---------------------------------------------------------------------------

NG003_DIR = Path(__file__).parent / "realworld" / "ng003"
NG003_HELDOUT_DIR = Path(__file__).parent / "realworld" / "ng003_heldout"
NG003_HELDOUT2_DIR = Path(__file__).parent / "realworld" / "ng003_heldout2"
COMMIT = re.compile(r"[0-9a-f]{40}")


def test_ng003_set_is_well_formed_and_large_enough() -> None:
    with (NG003_DIR / "repos.tsv").open(encoding="utf-8") as handle:
        assert tuple(handle.readline().rstrip("\n").split("\t")) == REPO_COLUMNS
    with (NG003_DIR / "labels.csv").open(encoding="utf-8") as handle:
        assert tuple(handle.readline().rstrip("\r\n").split(",")) == LABEL_COLUMNS
    repos = read_repos(NG003_DIR / "repos.tsv")
    commits = {r["repo"]: r["commit"] for r in repos}
    assert len(commits) == len(repos), "a repository is listed twice"
    assert all(COMMIT.fullmatch(c) for c in commits.values())
    rows = read_labels(NG003_DIR / "labels.csv")
    for row in rows:
        assert row["commit"] == commits[row["repo"]], row
        assert row["label"] in LABELS and row["reason"].strip() and row["model"], row
        assert int(row["line"]) >= 1 and int(row["col"]) >= 0, row
    keys = [row_key(r) for r in rows]
    assert len(keys) == len(set(keys)), "a site is labelled twice"
    per_repo = Counter(r["repo"] for r in rows)
    assert set(per_repo) == set(commits), "every listed repository has labelled sites"
    assert len(rows) >= 60 and len(per_repo) >= 15
    assert max(per_repo.values()) <= 17, "no code base dominates the set"
    labels = Counter(r["label"] for r in rows)
    assert labels["flag"] >= 15 and labels["ok"] >= 15


@pytest.mark.slow
@pytest.mark.parametrize(
    "labels_dir", [NG003_DIR, NG003_HELDOUT_DIR, NG003_HELDOUT2_DIR], ids=lambda d: d.name
)
def test_every_candidate_of_a_labelled_file_is_labelled(labels_dir: Path) -> None:
    """Recall is measured on sites the linter did not choose: the finder's, all of them."""
    corpus = os.environ.get("NOGRAD_CORPUS")
    if not corpus or not Path(corpus).is_dir():
        pytest.skip("set NOGRAD_CORPUS to a directory of owner+name checkouts")
    rows = read_labels(labels_dir / "labels.csv")
    labelled: dict[tuple[str, str], dict[tuple[int, int], str]] = {}
    for row in rows:
        by_site = labelled.setdefault((row["repo"], row["path"]), {})
        by_site[(int(row["line"]), int(row["col"]))] = row["model"]
    checked = 0
    for (repo, path), by_site in sorted(labelled.items()):
        source_file = Path(corpus) / repo / path
        if not source_file.is_file():
            continue
        found = candidate_sites(source_file.read_text(encoding="utf-8", errors="replace"))
        assert {(s.line, s.col): s.model for s in found} == by_site, (repo, path)
        checked += 1
    if not checked:
        pytest.skip(f"no checkout of the {labels_dir.name} set under {corpus}")
