"""Smoke test of the NG003 benchmark: tiny training loops in this process, and the facts the
rule page quotes (a retained graph with a reference kept grows by one graph per iteration; a
plain backward keeps no saved tensor; the flag alone holds one graph until the next forward;
carried recurrent state needs the flag, and a step between the backward passes breaks it)."""

from __future__ import annotations

import pytest

NEEDS = "the benchmarks need torch and the bench dependency group (make test installs both)"
torch = pytest.importorskip("torch", reason=NEEDS)
pytest.importorskip("psutil", reason=NEEDS)

from benchmarks.retained_graph import (  # noqa: E402
    CASES,
    Case,
    Outcome,
    _run_case,
    build_parser,
    cases,
    table,
)

ITERATIONS, BATCH = 3, 2


def _run(name: str, measured: bool = True) -> Outcome:
    model, backward, store, step = CASES[name]
    return _run_case(Case(name, model, backward, store, step, ITERATIONS, BATCH), measured)


@pytest.mark.parametrize("name", ["retain_append", "retain_sum"])
def test_retained_graph_with_a_reference_keeps_one_graph_per_iteration(name: str) -> None:
    kept = _run(name)
    assert kept.error is None
    one_graph = kept.kept_bytes[0]
    assert one_graph > 0
    assert kept.kept_bytes == [one_graph * (i + 1) for i in range(ITERATIONS)]
    assert kept.nodes[-1] > kept.nodes[0] > 0


@pytest.mark.parametrize("name", ["plain_append", "plain_sum"])
def test_plain_backward_keeps_no_saved_tensor_only_nodes(name: str) -> None:
    plain = _run(name)
    assert plain.kept_bytes == [0] * ITERATIONS
    assert plain.held_bytes == [0] * ITERATIONS
    assert plain.nodes[-1] > plain.nodes[0] > 0  # NG002's business, not NG003's


def test_the_flag_alone_holds_one_graph_until_the_next_forward() -> None:
    retained, plain = _run("retain_item"), _run("plain_item")
    one_graph = plain.peak_bytes[0]  # a forward's own saved tensors
    assert one_graph > 0
    assert retained.kept_bytes == [0] * ITERATIONS
    assert retained.held_bytes == [one_graph] * ITERATIONS
    assert plain.held_bytes == [0] * ITERATIONS
    # From the second forward on, the previous graph is still alive next to the new one.
    assert retained.peak_bytes[1:] == [2 * one_graph] * (ITERATIONS - 1)
    assert plain.peak_bytes == [one_graph] * ITERATIONS


def test_carried_recurrent_state_needs_the_graph_and_a_step_breaks_it() -> None:
    whole = _run("recurrent_retain")
    assert whole.error is None
    assert whole.kept_bytes[-1] == ITERATIONS * whole.kept_bytes[0] > 0
    assert _run("recurrent_detach").kept_bytes == [0] * ITERATIONS
    for measured in (True, False):  # the counting hook must not hide autograd's check
        stepped = _run("recurrent_retain_step", measured)
        assert stepped.error is not None and stepped.error.startswith("iteration 2:")
        assert "modified by an inplace operation" in stepped.error


def test_the_timed_run_installs_no_hook_and_times_every_iteration() -> None:
    timed = _run("retain_append", measured=False)
    assert len(timed.seconds) == ITERATIONS and all(s > 0 for s in timed.seconds)
    assert timed.kept_bytes == [] and timed.peak_bytes == []


def test_every_case_is_in_the_table() -> None:
    names = [c.name for c in cases(3, 1)]
    assert names == list(CASES)
    outcome = _run("retain_append")
    failed = _run("recurrent_retain_step")
    text = table([outcome, failed], ITERATIONS, BATCH)
    assert "`losses.append(loss)`" in text
    assert "- recurrent_retain_step: stops at iteration 2:" in text
    with pytest.raises(SystemExit):
        build_parser().parse_args([])  # --out is required
