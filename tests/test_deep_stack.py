"""The deep-stack thread the analysis runs on: reused within a process, never shared by
two calls at once, and started afresh in a forked child."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest

from nograd_lint.source import on_deep_stack


def test_calls_run_off_the_callers_thread_on_one_kept_thread() -> None:
    first = on_deep_stack(threading.get_ident)
    second = on_deep_stack(threading.get_ident)
    assert first == second != threading.get_ident()


def test_a_nested_call_runs_where_it_is() -> None:
    outer, inner = on_deep_stack(
        lambda: (threading.get_ident(), on_deep_stack(threading.get_ident))
    )
    assert outer == inner


def test_the_callers_exception_comes_back_and_the_thread_serves_on() -> None:
    def fail() -> None:
        raise KeyError("lost")

    with pytest.raises(KeyError, match="lost"):
        on_deep_stack(fail)
    assert on_deep_stack(lambda: 42) == 42


def test_a_call_made_while_the_thread_is_busy_gets_a_thread_of_its_own() -> None:
    entered, release = threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def slow() -> None:
        seen["slow"] = threading.get_ident()
        entered.set()
        release.wait(10)

    other = threading.Thread(target=on_deep_stack, args=(slow,))
    other.start()
    assert entered.wait(10)
    seen["fast"] = on_deep_stack(threading.get_ident)  # must not wait for ``slow``
    release.set()
    other.join(10)
    assert seen["fast"] != seen["slow"]


def test_the_stack_is_deep() -> None:
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(60_000)
    try:
        assert on_deep_stack(lambda: depth(50_000)) == 50_000
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_thread() -> None:
    on_deep_stack(lambda: None)  # the parent's thread exists before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread is not there to answer
        signal.alarm(20)  # a child stuck waiting for it dies instead of hanging the suite
        try:
            os.write(write, b"1" if on_deep_stack(lambda: 7) == 7 else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"1"
