"""Pruning never changes a finding: it stubs only definitions whose bodies cannot matter.

Each rule that keeps a body whole has a case here where stubbing that body anyway would
change what is reported, so a rule that goes missing fails a test; each case for a body that
is stubbed checks that it is, and that the findings stay the same.
"""

from __future__ import annotations

import ast

import pytest

from nograd_lint import check_source
from nograd_lint.prune import kept_definitions, pruned_source, stubbed
from nograd_lint.screen import suspect_calls

#: ``run`` decides what ``evaluate``'s parameter receives.
CALLED_WITH_AN_EVAL_MODEL = """\
import torch


def evaluate(model, x):
    return model(x)


def run(net, x):
    net.eval()
    return evaluate(net, x)
"""

#: name -> (source, the definition that must stay whole although it holds no suspect call).
MUST_STAY_WHOLE = {
    "caller_decides_what_a_parameter_receives": (CALLED_WITH_AN_EVAL_MODEL, "run"),
    "caller_of_a_caller": (
        CALLED_WITH_AN_EVAL_MODEL
        + """

def main(net, x):
    # A scope the screen does not trust (a flag): the screen passes ``evaluate``'s call,
    # and only ``main`` tells the analysis that ``run`` runs with autograd off.
    with torch.set_grad_enabled(False):
        return run(net, x)
""",
        "main",
    ),
    "caller_of_a_function_module_code_defines": (
        """\
import torch

if torch.cuda.is_available():

    def evaluate(model, x):
        return model(x)


def run(net, x):
    net.eval()
    return evaluate(net, x)
""",
        "run",
    ),
    "local_no_grad_decorator": (
        """\
import functools
import torch


def inference(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        with torch.no_grad():
            return fn(*args)
    return wrapper


@inference
def predict(model, x):
    model.eval()
    return model(x)
""",
        "inference",
    ),
    "local_no_grad_context_manager": (
        """\
import contextlib
import torch


@contextlib.contextmanager
def quiet():
    with torch.no_grad():
        yield


def predict(model, x):
    model.eval()
    with quiet():
        return model(x)
""",
        "quiet",
    ),
    "import_that_a_kept_body_resolves": (
        """\
import torch


def setup():
    from torch import no_grad as guard


def predict(model, x):
    model.eval()
    with guard():
        return model(x)
""",
        "setup",
    ),
    "import_that_a_function_defined_at_module_level_resolves": (
        """\
import torch


def setup():
    from torch import no_grad as guard


if torch.cuda.is_available():
    def predict(model, x):
        model.eval()
        with guard():
            return model(x)
""",
        "setup",
    ),
    "class_body_import_that_module_code_resolves": (
        """\
import torch


class Config:
    from torch import no_grad as guard


model.eval()
with guard():
    model(x)
""",
        "Config",
    ),
    "torch_imported_beside_another_framework": (
        """\
import paddle


def setup():
    import torch


def predict(model, x):
    model.eval()
    return model(x)
""",
        "setup",
    ),
    "trains_a_module_level_model": (
        """\
import torch

model = Net().eval()


def fit(batch):
    model.train()


def predict(x):
    return model(x)
""",
        "fit",
    ),
    "rebinds_torch": (
        """\
import torch


def patch():
    torch = None


def predict(model, x):
    model.eval()
    torch.set_grad_enabled(False)
    return model(x)
""",
        "patch",
    ),
}

#: name -> (source, the definition that is stubbed).
STUBBED = {
    "argument_parsing": (
        """\
import argparse
import torch


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    return parser.parse_args()


def evaluate(model, x):
    model.eval()
    return model(x)


if __name__ == "__main__":
    args = parse_args()
""",
        "parse_args",
    ),
    "training_step_of_a_parameter": (
        """\
import torch


def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()


def evaluate(model, x):
    model.eval()
    return model(x)
""",
        "train_epoch",
    ),
    "class_whose_first_method_is_decorated": (
        """\
import torch
from torch import nn


class Wrapper(nn.Module):
    @property
    def dtype(self):
        return self.weight.dtype


def evaluate(model, x):
    model.eval()
    return model(x)
""",
        "Wrapper",
    ),
    "guarded_prediction": (
        """\
import torch


def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def evaluate(model, x):
    model.eval()
    return model(x)
""",
        "predict",
    ),
    "crlf_and_tabs": (
        "import torch\r\n\r\n\r\ndef helper(x):\r\n\t# a comment\r\n\treturn x\r\n\r\n\r\n"
        "def evaluate(model, x):\r\n\tmodel.eval()\r\n\treturn model(x)\r\n",
        "helper",
    ),
}


def _index(tree: ast.Module, name: str) -> int:
    return next(i for i, s in enumerate(tree.body) if getattr(s, "name", None) == name)


def _kept(source: str) -> tuple[ast.Module, set[int]]:
    tree = ast.parse(source)
    suspects = suspect_calls(tree, source)
    assert suspects, "the screen must pass the case for pruning to matter"
    return tree, kept_definitions(tree, suspects)


@pytest.mark.parametrize("name", MUST_STAY_WHOLE)
def test_bodies_that_change_findings_stay_whole(name: str) -> None:
    source, definition = MUST_STAY_WHOLE[name]
    tree, kept = _kept(source)
    index = _index(tree, definition)
    assert index in kept
    assert check_source(source) == check_source(source, prefilter=False)
    # The rule matters: with that body stubbed as well, the analysis would say otherwise.
    forced = stubbed(tree, source, kept - {index})
    assert forced is not None
    assert check_source(forced, prefilter=False) != check_source(source, prefilter=False)


@pytest.mark.parametrize("name", STUBBED)
def test_bodies_that_cannot_matter_are_stubbed(name: str) -> None:
    source, definition = STUBBED[name]
    tree, kept = _kept(source)
    assert _index(tree, definition) not in kept
    pruned = pruned_source(tree, source, suspect_calls(tree, source))
    assert pruned is not None and len(ast.parse(pruned).body) == len(tree.body)
    findings = check_source(source)
    assert findings and findings == check_source(source, prefilter=False)


def test_a_stub_keeps_decorators_header_and_line_endings() -> None:
    source, _ = STUBBED["class_whose_first_method_is_decorated"]
    pruned = pruned_source(ast.parse(source), source, suspect_calls(ast.parse(source), source))
    assert "class Wrapper(nn.Module):\n    ...\n" in pruned
    source, _ = STUBBED["crlf_and_tabs"]
    pruned = pruned_source(ast.parse(source), source, suspect_calls(ast.parse(source), source))
    assert "def helper(x):\r\n\t# a comment\r\n\t...\r\n" in pruned


def test_a_body_on_the_header_line_is_left_alone() -> None:
    source = "import torch\n\n\ndef helper(x): return x\n\n\ndef evaluate(model, x):\n    model.eval()\n    return model(x)\n"
    tree = ast.parse(source)
    assert stubbed(tree, source, set()) is not None  # evaluate could be, helper is not
    assert "def helper(x): return x\n" in stubbed(tree, source, set())
