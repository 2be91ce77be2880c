"""The NG004 candidate finder, and the NG004 label set's shape (its rows are finder sites)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
import warnings
from collections import Counter
from pathlib import Path

import pytest

from tests.realworld.ng004_candidates import CodeBase, Site, candidate_sites

HERE = Path(__file__).parent / "realworld"
FINDER = HERE / "ng004_candidates.py"
NG004 = HERE / "ng004"
NG004_HELDOUT = HERE / "ng004_heldout"
NG004_HELDOUT2 = HERE / "ng004_heldout2"


def sites(source: str) -> list[Site]:
    return candidate_sites(textwrap.dedent(source))


def test_module_without_training_has_no_sites() -> None:
    assert sites("model.eval()\nout = model(x)\n") == []


def test_eval_and_train_false_calls_are_sites() -> None:
    found = sites(
        """\
        for epoch in range(3):
            opt.step()
            self.net.eval()
            model.train(False)
            model.train(mode=False)
            model.train()
            model.train(True)
            eval("1 + 1")
        """
    )
    assert found == [Site(3, 4, "self.net"), Site(4, 4, "model"), Site(5, 4, "model")]


def test_helper_call_names_the_argument_for_the_parameter() -> None:
    found = sites(
        """\
        def evaluate(net, loader):
            net.eval()
            return sum(net(x) for x in loader)

        for epoch in range(3):
            loss.backward()
            acc = evaluate(model, val_loader)
            evaluate(loader=val_loader, net=self.model)
        """
    )
    assert found == [Site(2, 4, "net"), Site(7, 10, "model"), Site(8, 4, "self.model")]


def test_transitive_helpers_and_methods_match_by_name() -> None:
    found = sites(
        """\
        class Trainer:
            def validate(self):
                self.model.eval()

            def run_validation(self):
                return self.validate()

            def fit(self):
                for epoch in range(3):
                    self.optimizer.step()
                    self.run_validation()
        """
    )
    assert found == [
        Site(3, 8, "self.model"),
        Site(6, 15, "self.model"),
        Site(11, 12, "self.model"),
    ]


def test_module_train_calls_are_not_helper_calls() -> None:
    found = sites(
        """\
        def train(model, loader):
            for x in loader:
                model(x).sum().backward()
            model.eval()

        def train_epoch(model, loader):
            model.train()

        for epoch in range(3):
            model.train()
            model.train(True)
            train(model, loader)
            train_epoch(model, loader)
        """
    )
    assert found == [Site(4, 4, "model"), Site(12, 4, "model")]


def test_columns_count_characters_not_bytes() -> None:
    found = sites('loss.backward()\nprint("é"); model.eval()\n')
    assert found == [Site(2, 12, "model")]


def test_third_party_escape_warnings_are_silenced() -> None:
    source = 'pattern = "\\d+\\p"\nloss.backward()\nmodel.eval()\n'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = candidate_sites(source)
    assert found == [Site(3, 0, "model")]
    assert caught == []


def test_syntax_error_gives_no_sites() -> None:
    assert sites("def f(:\n    model.eval()\nloss.backward()\n") == []


def test_command_writes_csv(tmp_path: Path) -> None:
    checkout = tmp_path / "owner+name"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "train.py").write_text(
        "for e in range(2):\n    opt.step()\n    model.eval()\n", encoding="utf-8"
    )
    (checkout / "pkg" / "infer.py").write_text("model.eval()\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(FINDER), str(checkout)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.reader(result.stdout.splitlines()))
    assert rows == [
        ["repo", "path", "line", "col", "model"],
        ["owner+name", os.path.join("pkg", "train.py"), "3", "4", "model"],
    ]


def test_command_resolves_helpers_imported_from_the_same_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "owner+name"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "utils.py").write_text(
        "def check_accuracy(loader, net):\n    net.eval()\n\n"
        "def validate(loader, net):\n    return check_accuracy(loader, net)\n\n"
        "def unrelated(net):\n    return net\n",
        encoding="utf-8",
    )
    (checkout / "pkg" / "train.py").write_text(
        "from .utils import validate as val, unrelated\n"
        "for e in range(2):\n    loss.backward()\n    val(loader, model)\n"
        "    unrelated(model)\n",
        encoding="utf-8",
    )
    (checkout / "main.py").write_text(
        "from pkg.utils import check_accuracy\n"
        "opt.step()\ncheck_accuracy(test_loader, net=self.model)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(FINDER), str(checkout)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.reader(result.stdout.splitlines()))[1:]
    assert rows == [
        ["owner+name", "main.py", "3", "0", "self.model"],
        ["owner+name", os.path.join("pkg", "train.py"), "4", "4", "model"],
    ]


def test_command_counts_a_module_calling_an_imported_trainer_as_training(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "owner+name"
    checkout.mkdir()
    (checkout / "solver.py").write_text(
        "def train(model, loader, opt):\n    for x in loader:\n        opt.step()\n\n"
        "def test(model, loader):\n    model.eval()\n",
        encoding="utf-8",
    )
    (checkout / "main.py").write_text(
        "from solver import train, test\n"
        "for epoch in range(3):\n    train(net, loader, opt)\n    test(net, loader)\n",
        encoding="utf-8",
    )
    (checkout / "infer.py").write_text(
        "from solver import test\ntest(net, loader)\n", encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, str(FINDER), str(checkout)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.reader(result.stdout.splitlines()))[1:]
    assert rows == [
        ["owner+name", "main.py", "4", "4", "net"],
        ["owner+name", "solver.py", "6", "4", "model"],
    ]


def _labels(labels_dir: Path) -> list[dict[str, str]]:
    with (labels_dir / "labels.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _repos(labels_dir: Path) -> dict[str, dict[str, str]]:
    with (labels_dir / "repos.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["repo"]: row for row in csv.DictReader(handle, delimiter="\t")}


LABEL_DIRS = pytest.mark.parametrize(
    "labels_dir", [NG004, NG004_HELDOUT, NG004_HELDOUT2], ids=lambda d: d.name
)


@LABEL_DIRS
def test_label_set_is_well_formed(labels_dir: Path) -> None:
    labels = _labels(labels_dir)
    repos = _repos(labels_dir)
    assert labels and list(labels[0]) == [
        "repo", "commit", "path", "line", "col", "model", "label", "reason",
    ]  # fmt: skip
    keys = [(r["repo"], r["path"], r["line"], r["col"]) for r in labels]
    assert len(keys) == len(set(keys)), "a site is labelled twice"
    for row in labels:
        assert row["repo"] in repos, row
        assert row["commit"] == repos[row["repo"]]["commit"], row
        assert row["label"] in ("flag", "ok", "ambiguous"), row
        assert row["reason"].strip(), row
        assert int(row["line"]) >= 1 and int(row["col"]) >= 0, row
    assert len(labels) >= 60
    assert len({r["repo"] for r in labels}) >= 15
    if labels_dir == NG004:  # the held-out set is what maintained code holds: flags are rare
        assert Counter(r["label"] for r in labels)["flag"] >= 5


@pytest.mark.skipif(not os.environ.get("NOGRAD_CORPUS"), reason="NOGRAD_CORPUS not set")
@LABEL_DIRS
def test_every_candidate_of_a_labelled_file_is_labelled(labels_dir: Path) -> None:
    """Recall is measured on whole files: the finder's sites there and the rows must agree."""
    corpus = Path(os.environ["NOGRAD_CORPUS"])
    by_file: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for row in _labels(labels_dir):
        by_file.setdefault((row["repo"], row["path"]), set()).add(
            (int(row["line"]), int(row["col"]))
        )
    checked = 0
    for (repo, path), labelled in sorted(by_file.items()):
        file = corpus / repo / path
        if not file.is_file():
            continue
        source = file.read_text(encoding="utf-8", errors="replace")
        code_base = CodeBase(str(corpus / repo))
        imported = code_base.imported_helpers(path, source)
        trainers = code_base.imported_trainers(path, source)
        found = {(s.line, s.col) for s in candidate_sites(source, imported, trainers)}
        assert found == labelled, (repo, path, sorted(found ^ labelled))
        checked += 1
    if not checked:
        pytest.skip("no labelled file under NOGRAD_CORPUS")
