"""Smoke test of the NG002 benchmark: tiny loops in this process, and the facts the rule page
quotes (a kept graph grows; the fixes keep nothing; a backward frees the saved tensors but
not the nodes)."""

from __future__ import annotations

import pytest

NEEDS = "the benchmarks need torch and the bench dependency group (make test installs both)"
torch = pytest.importorskip("torch", reason=NEEDS)
pytest.importorskip("psutil", reason=NEEDS)

from benchmarks.kept_graph import Case, _run_case, build_parser, cases, table  # noqa: E402

ITERATIONS, BATCH = 4, 2


def _run(situation: str, code: str) -> object:
    return _run_case(Case(situation, "smoke", code, ITERATIONS, BATCH))


def test_without_backward_the_kept_graph_and_its_saved_tensors_grow() -> None:
    kept = _run("without_backward", "total_loss += loss")
    steps = {b - a for a, b in zip(kept.nodes, kept.nodes[1:])}
    assert len(steps) == 1 and steps.pop() > 0  # the same graph, once per iteration
    assert kept.saved_bytes[0] > 0
    assert kept.saved_bytes[-1] == ITERATIONS * kept.saved_bytes[0]


@pytest.mark.parametrize("code", ["total_loss += loss.item()", "total_loss += loss.detach()"])
@pytest.mark.parametrize("situation", ["without_backward", "after_backward"])
def test_the_fixes_keep_nothing(situation: str, code: str) -> None:
    fixed = _run(situation, code)
    assert fixed.nodes == [0] * ITERATIONS
    assert fixed.saved_bytes == [0] * ITERATIONS


def test_after_backward_only_the_chain_of_nodes_grows() -> None:
    kept = _run("after_backward", "losses.append(loss)")
    assert kept.saved_bytes == [0] * ITERATIONS
    assert kept.nodes[-1] > kept.nodes[0] > 0


def test_every_store_is_measured_as_written_and_fixed() -> None:
    codes = [c.code for c in cases(3, 1)]
    assert "total_loss += loss" in codes and "preds.append(out.detach())" in codes
    assert len(codes) == len(set(codes)) * 2  # both situations
    outcome = _run("without_backward", "preds.append(out)")
    assert "`preds.append(out)`" in table([outcome], ITERATIONS, BATCH)
    with pytest.raises(SystemExit):
        build_parser().parse_args([])  # --out is required
