"""Extreme but legal input is analysed in bounded time and memory, or refused in one line.

Each case runs in its own process under a timeout, so that a hang fails the test instead of
stopping the suite, and the process reports its own peak memory. Measured on a 2-core
machine shared with other test runs: the 100,000-line file takes about 20 s and 1.2 GB
(LibCST's parse is most of both); every other case takes under 2 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Callable

import pytest

from tests.conftest import ROOT

EVAL_AND_GUARDED = """def evaluate_{i}(model, batch):
    model.eval()
    with torch.no_grad():
        logits = model(batch)
    return logits.argmax(-1)


"""
EVAL_AND_WASTEFUL = """def predict_{i}(model, batch):
    model.eval()
    logits = model(batch)
    return logits.softmax(-1)


"""


def hundred_thousand_lines() -> str:
    """Realistic code, one finding per 500 functions."""
    parts = ["import torch\n\n\n"]
    for i in range(100_000 // 7 + 10):
        parts.append((EVAL_AND_WASTEFUL if i % 500 == 0 else EVAL_AND_GUARDED).format(i=i))
    return "".join(parts)


def ten_thousand_tiny_functions() -> str:
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(10_000))
    return f"model.eval()\n{body}y = model(x)\n"


def call_chain_of_10_000_functions() -> str:
    """Each function calls the previous one; only the last is called, once unprotected:
    deciding which functions run with autograd must not be quadratic in the chain."""
    body = "".join(f"def f{i}(x):\n    return f{i - 1}(x)\n" for i in range(1, 10_000))
    return f"model.eval()\ndef f0(x):\n    return model(x)\n{body}with torch.no_grad():\n    f9999(1)\nf5000(2)\n"


def alias_chain(models: int) -> Callable[[], str]:
    """``m1 = m0``, ``m2 = m1``, ...: every binding carries the eval state one step on."""
    return lambda: (
        "m0 = Net()\nm0.eval()\n"
        + "".join(f"m{i} = m{i - 1}\n" for i in range(1, models))
        + f"m{models - 1}(1)\n"
    )


def eval_receivers(models: int) -> Callable[[], str]:
    """Many models in eval mode at once, then each called."""
    return lambda: (
        "".join(f"m{i}.eval()\n" for i in range(models))
        + "".join(f"m{i}(1)\n" for i in range(models))
    )


def model_triples(models: int) -> Callable[[], str]:
    return lambda: "".join(f"m{i} = Net()\nm{i}.eval()\nm{i}(1)\n" for i in range(models))


def aliases_bound_backwards(models: int) -> Callable[[], str]:
    """``alias_chain``'s bindings in the other order (no eval state flows through them: each
    is made before the model it copies is put in eval mode): the screen, which ignores the
    order, must be as fast whichever order it meets them in."""
    return lambda: (
        "".join(f"m{i} = m{i - 1}\n" for i in range(models - 1, 0, -1))
        + f"m0.eval()\nm{models - 1}(1)\n"
    )


def forwards_into_one_total(forwards: int) -> Callable[[], str]:
    """A loop of many forwards, each added to one running total (NG002 reports each): every
    forward once read every call and binding of the loop again, 800 of them took 27 s."""
    body = "".join(
        f"        out{i} = model(x)\n        total += out{i}.sum()\n" for i in range(forwards)
    )
    return lambda: (
        f"import torch\n\n\ndef train(model, loader):\n    model.train()\n    total = 0\n    for x in loader:\n{body}"
    )


def nested(opening: str, middle: str, closing: str) -> Callable[[], str]:
    return lambda: f"model.eval()\ny = {opening * 1000}{middle}{closing * 1000}\n"


def chained(link: str) -> Callable[[], str]:
    return lambda: f"model.eval()\ny = model(x){link * 1000}\n"


def prefixed(prefix: str) -> Callable[[], str]:
    return lambda: f"model.eval()\ny = {prefix * 1000}model(x)\n"


#: name -> (source generator, findings expected if analysed, seconds allowed, MiB allowed)
CASES: dict[str, tuple[Callable[[], str], int, float, int]] = {
    "lines_100_000": (hundred_thousand_lines, 29, 180.0, 3072),
    "tiny_functions_10_000": (ten_thousand_tiny_functions, 1, 30.0, 1024),
    "call_chain_10_000": (call_chain_of_10_000_functions, 1, 30.0, 1024),
    "nested_parentheses_1000": (nested("(", "model(x)", ")"), 1, 20.0, 1024),
    "nested_calls_1000": (nested("f(", "model(x)", ")"), 1, 20.0, 1024),
    "nested_sums_1000": (nested("model(x) + (", "1", ")"), 1000, 20.0, 1024),
    "nested_lists_1000": (nested("[", "model(x)", "]"), 1, 20.0, 1024),
    "nested_dicts_1000": (nested("{1: ", "model(x)", "}"), 1, 20.0, 1024),
    "attribute_chain_1000": (chained(".a"), 1, 20.0, 1024),
    "subscript_chain_1000": (chained("[0]"), 1, 20.0, 1024),
    "call_chain_1000": (chained("()"), 1, 20.0, 1024),
    "not_chain_1000": (prefixed("not "), 1, 20.0, 1024),
    "lambda_chain_1000": (prefixed("lambda: "), 1, 20.0, 1024),  # reported like any lambda
    "conditional_chain_1000": (prefixed("model(x) if c else "), 1001, 20.0, 1024),  # 1,001 calls
    # Many models in one scope: work per binding must not grow with the models already seen
    # (LibCST's parse is then most of the time these take).
    "alias_chain_8000": (alias_chain(8000), 1, 60.0, 1024),
    "eval_receivers_8000": (eval_receivers(8000), 8000, 60.0, 1024),
    "model_triples_8000": (model_triples(8000), 8000, 60.0, 1024),
    "aliases_bound_backwards_8000": (aliases_bound_backwards(8000), 0, 60.0, 1024),
    "forwards_into_one_total_1000": (forwards_into_one_total(1000), 1000, 20.0, 1024),
}

CHILD = """
import json, sys, time
from nograd_lint import SourceError, check_source
from tests.test_limits import CASES

source = CASES[sys.argv[1]][0]()
start = time.perf_counter()
try:
    outcome = {"findings": len(check_source(source))}
except SourceError as error:
    outcome = {"refused": str(error)}
outcome["seconds"] = time.perf_counter() - start
outcome["lines"] = source.count("\\n")
outcome["peak_mib"] = peak_mib()
print(json.dumps(outcome))
"""

# The child's own peak: Linux's ru_maxrss also counts the address space the child had
# before exec (the parent's, so a pytest process grown by an earlier test fails every
# case); VmHWM belongs to the new program alone. ru_maxrss is KiB on Linux, bytes on macOS.
PEAK = """
def peak_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // (1024 * 1024 if sys.platform == "darwin" else 1024)
"""


def run_case(name: str, timeout: float) -> dict:
    try:
        result = subprocess.run(
            [sys.executable, "-c", PEAK + CHILD, name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: no answer within {timeout:.0f} s (a hang?)")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_extreme_input_is_bounded_or_refused_in_one_line(name: str) -> None:
    _, findings, seconds, mebibytes = CASES[name]
    outcome = run_case(name, timeout=seconds)
    assert outcome["peak_mib"] <= mebibytes, outcome
    if "refused" in outcome:
        assert "\n" not in outcome["refused"] and outcome["refused"], outcome
    else:
        assert outcome["findings"] == findings, outcome


def test_a_hundred_thousand_lines_are_really_that_many() -> None:
    assert hundred_thousand_lines().count("\n") >= 100_000


def test_eval_state_of_many_models_is_kept_in_linear_time() -> None:
    """Each binding cleared the name's attributes by scanning every model in eval mode:
    10,000 models took about 10^8 string tests (a minute); now well under a second."""
    import time

    import libcst as cst

    from nograd_lint.analysis.state import EvalPeriod, FlowState

    state, node = FlowState(), cst.Name("m")
    start = time.perf_counter()
    for i in range(10_000):
        state.set_eval(f"m{i}", EvalPeriod(f"m{i}", node))
        state.set_periods(f"self.m{i}", state.evals[f"m{i}"])
    state.clear("self")
    assert time.perf_counter() - start < 5.0
    assert len(state.evals) == 10_000 and "self.m5" not in state.evals


def test_the_screen_follows_a_reversed_alias_chain_in_linear_time() -> None:
    """``m9999 = m9998`` ... ``m1 = m0`` took one sweep over every binding per link."""
    import time

    from nograd_lint.screen import _closure

    bindings = [({("name", f"m{i}")}, {("name", f"m{i - 1}")}) for i in range(10_000, 0, -1)]
    start = time.perf_counter()
    reached = _closure(bindings, {("name", "m0")})
    assert time.perf_counter() - start < 5.0
    assert len(reached) == 10_001
