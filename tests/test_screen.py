"""The text pre-filter and the ``ast`` screen may pass files without findings, never drop one.

Every catalog row, every case file and every autofix file is compared with and without them
in ``test_soundness.py``; here are the spellings and rules of the cheap layers themselves.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nograd_lint import check_source
from nograd_lint.ast_names import JUMPS, LEAVES, inner_nodes, jumps_within, same_scope_nodes
from nograd_lint.prefilter import might_have_findings
from nograd_lint.screen import might_have_findings_in_tree

#: Legal spellings of an eval-mode switch that a plain ``".eval(" in source`` would miss.
ODD_SPELLINGS = {
    "space_before_parenthesis": "model.eval ()",
    "spaces_around_dot": "model . eval()",
    "line_continuation": "model.\\\n    eval()",
    "comment_inside_brackets": "(model.\n    # switch\n    eval)()",
    "train_false": "model.train(False)",
    "train_false_trailing_comma": "model.train( False , )",
    "train_mode_parenthesised": "model.train(mode = (False))",
    "train_zero": "model.train(0)",
    "train_hex_zero": "model.train(0x0)",
    "train_underscored_zero": "model.train(0_0)",
    "train_comment_before_argument": "model.train(\n    # off\n    False)",
    "train_parenthesised_callee": "(model.train)(False)",
    "eval_mode_copy": "model = model.to_torchscript()",
    "eval_mode_copy_spaced": "model = model . to_torchscript ()",
    "pretrained_model": "model = AutoModel.from_pretrained('bert')",
    "pretrained_model_parenthesised": "model = (UNet2DConditionModel\n    ).from_pretrained('unet')",
    "pretrained_model_comment_before_dot": "model = (AutoModel  # the encoder\n    ).from_pretrained('bert')",
    "pretrained_model_far_before_dot": "model = (AutoModel"
    + " " * 300
    + ").from_pretrained('bert')",
}

NO_FINDING_POSSIBLE = {
    "no_calls_at_all": "x = 1\n",
    "pandas_eval": "df.eval('a + b')\nmodel(x)\n",
    "train_mode": "model.train()\nmodel(x)\n",
    "train_true": "model.train(True)\nmodel(x)\n",
    "train_one": "model.train(mode=1)\nmodel(x)\n",
    "eval_without_any_other_call": "model.eval()\n",
    "only_mode_switches": "model.eval()\nmodel.train()\n",
    "pretrained_tokenizer": "tokenizer = AutoTokenizer.from_pretrained('bert')\ntokens = tokenizer(text)\n",
    "chain_arguments_are_not_models": "model.to(device).eval()\nbatch = x.to(device)\n",
    "constructor_of_an_evaluated_instance": "Net().eval()\nother = Net()\n",
    "eval_model_passed_to_another_function": """\
def helper(m, x):
    return m(x)


def main(model, x):
    model.eval()
    report(model)
""",
    "training_step_backward_follows_forward": """\
import torch


def fit(model, loader, optimizer):
    for x, y in loader:
        model.train()
        optimizer.zero_grad()
        out = model(x)
        loss = criterion(out, y)
        if not torch.isfinite(loss):
            raise FloatingPointError(loss)
        loss.backward()
        optimizer.step()
        if y is None:
            continue
        model.eval()
        with torch.no_grad():
            model(x)
""",
    "attribute_assignment_binds_the_attribute_not_its_owner": """\
def validate(unet, x):
    unet.eval()
    pipeline = make_pipeline()
    pipeline.unet = unet
    return pipeline(x)
""",
    "an_argument_binds_only_its_own_parameter": """\
def log(config, model):
    return config(1)


def main(model, config):
    model.eval()
    log(config, model)
""",
    "forward_method_of_a_class_wide_eval_model": """\
class Head:
    def __init__(self, net):
        self.net = net
        self.net.eval()

    def forward(self, x):
        return self.net(x)
""",
    "backward_after_a_branch_that_raises": """\
def step(model, x, kind):
    model.eval()
    out = model(x)
    if kind == "sum":
        loss = out.sum()
    else:
        raise ValueError(kind)
    accelerator.backward(loss)
""",
    "gradient_checkpointing_is_not_enable_grad": """\
import torch

def test(model, x):
    model.enable_gradient_checkpointing()
    model.eval()
    with torch.no_grad():
        return model(x)
""",
    "train_in_one_function_eval_under_no_grad_in_another": """\
import torch

def train(model, x):
    model.train()
    return model(x)

def test(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)
""",
    "decorated_with_no_grad_and_more": """\
import torch

@functools.wraps(f)
@torch.no_grad
def evaluate_bare(model, x):
    model.eval()
    return model(x)

@torch.no_grad()
def evaluate(model, x):
    model.eval()
    return model(x)
""",
    "inference_mode": """\
import torch

def evaluate(model, x):
    model.eval()
    with torch.inference_mode():
        return model(x)
""",
}

#: Findings the screen must let through: each rule of the screen has a way around it.
FINDINGS_THE_SCREEN_MUST_PASS = {
    "eval_model_passed_to_a_function": """\
def test_net(net, x):
    return net(x)


def main(x):
    net = Net()
    net.eval()
    return test_net(net, x)
""",
    "eval_in_one_method_forward_in_another": """\
class Runner:
    def __init__(self, net):
        self.net = net
        self.net.eval()

    def predict(self, x):
        return self.net(x)
""",
    "def_inside_no_grad_runs_later": """\
import torch
model.eval()
with torch.no_grad():
    def predict(x):
        return model(x)
predict(1)
""",
    "torch_rebound": """\
import torch
torch = load_fake()
model.eval()
with torch.no_grad():
    y = model(x)
""",
    "enable_grad_inside_no_grad": """\
import torch
model.eval()
with torch.no_grad():
    with torch.enable_grad():
        y = model(x)
""",
    "enabling_scope_imported_under_another_name": """\
import torch
from torch import inference_mode as im
model.eval()
with torch.no_grad():
    with im(False):
        y = model(x)
""",
    "enabling_setter_in_brackets": """\
import torch
model.eval()
with torch.no_grad():
    with (torch.set_grad_enabled)(True):
        y = model(x)
""",
    "alias_of_eval_model": "def run(model, x):\n    model.eval()\n    net = model\n    return net(x)\n",
    "wrapped_model_called": "def run(model, x):\n    model.eval()\n    return accelerator.unwrap_model(model)(x)\n",
    "module_level_eval_used_in_function": "model = Net().eval()\n\ndef predict(x):\n    return model(x)\n",
    "closure": """\
def outer(model, x):
    model.eval()
    def inner():
        return model(x)
    return inner()
""",
    "forward_method": "def run(model, x):\n    model.eval()\n    return model.forward(x)\n",
    # Gradient code that differentiates the output, but not in every pass that runs the
    # call (``fates.Fate.surely_consumed``): the eval call is on the other arm.
    "consumed_only_on_the_other_arm": "def run(model, x, training):\n    if training:\n"
    "        model.train()\n    else:\n        model.eval()\n    out = model(x)\n"
    "    if training:\n        out.sum().backward()\n",
    "output_dropped_backward_of_another": "def attack(model, x, y):\n    model.eval()\n"
    "    clean = model(x).argmax(1)\n    x.requires_grad_()\n    loss = F.cross_entropy(model(x), y)\n"
    "    loss.backward()\n",
    "returned_in_a_branch": "def step(model, x, c):\n    if c:\n        model.eval()\n        return model(x)\n"
    "    loss = compute(x)\n    loss.backward()\n",
    "eval_model_passed_by_keyword": "def run(x, net=None):\n    return net(x)\n\n\ndef main(model, x):\n"
    "    model.eval()\n    return run(x, net=model)\n",
    "eval_model_passed_to_a_method": "class R:\n    def run(self, net, x):\n        return net(x)\n\n"
    "    def main(self, model, x):\n        model.eval()\n        return self.run(model, x)\n",
    # ``forward`` gets no class-wide eval state, but its own and the module's:
    "forward_with_its_own_eval": "class M:\n    def forward(self, x):\n        self.net.eval()\n"
    "        return self.net(x)\n",
    "forward_with_a_module_level_eval_model": "model = Net().eval()\n\nclass M:\n    def forward(self, x):\n"
    "        return model(x)\n",
    "forward_of_a_class_inside_a_function": "def make(net):\n    net.eval()\n    class M:\n"
    "        def forward(self, x):\n            return net(x)\n    return M\n",
    # ``flow._loop`` forgets forward calls under a carried period when the inner loop ends.
}


@pytest.mark.parametrize("name", sorted(ODD_SPELLINGS))
def test_odd_spellings_are_findings_and_pass_both(name: str) -> None:
    source = f"{ODD_SPELLINGS[name]}\noutput = model(x)\n"
    assert might_have_findings(source)
    assert might_have_findings_in_tree(ast.parse(source), source)
    assert [f.model for f in check_source(source)] == ["model"]


@pytest.mark.parametrize("name", sorted(NO_FINDING_POSSIBLE))
def test_screen_rejects_files_that_cannot_have_findings(name: str) -> None:
    source = NO_FINDING_POSSIBLE[name]
    assert not might_have_findings_in_tree(ast.parse(source), source)
    assert check_source(source) == []


@pytest.mark.parametrize("name", sorted(FINDINGS_THE_SCREEN_MUST_PASS))
def test_screen_passes_findings_that_dodge_its_rules(name: str) -> None:
    source = FINDINGS_THE_SCREEN_MUST_PASS[name]
    assert check_source(source), "the case no longer has a finding: keep it meaningful"
    assert might_have_findings_in_tree(ast.parse(source), source)


def test_prefilter_has_no_catastrophic_backtracking() -> None:
    source = ".eval " + "# " * 50_000 + "\n" + ".train(" + "# #\n" * 50_000
    assert not might_have_findings(source)


@pytest.mark.parametrize(
    "source, needs_libcst",
    [
        ("import pandas\n\nframe = pandas.DataFrame()\nframe.eval('a + b')\n", False),
        ("import torch\n\n\ndef predict(model, x):\n    model.eval()\n    return model(x)\n", True),
    ],
)
def test_flake8_imports_libcst_only_for_a_file_the_screen_passes(
    tmp_path: Path, source: str, needs_libcst: bool
) -> None:
    """And then settles it for the garbage collector (``gc.freeze``, once:
    ``flake8_plugin._settle_libcst``), never before; the collector keeps running either way."""
    path = tmp_path / "evaluate.py"
    path.write_text(source)
    script = (
        "import gc, sys\n"
        "from flake8.api import legacy\n"
        f"report = legacy.get_style_guide(select=['NG']).check_files([{str(path)!r}])\n"
        "print(report.total_errors, 'libcst' in sys.modules, gc.get_freeze_count() > 0, gc.isenabled())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    expected = [str(int(needs_libcst)), str(needs_libcst), str(needs_libcst), "True"]
    assert result.stdout.splitlines()[-1].split() == expected, result.stderr


def _lazy_patterns_after_flake8(path: Path, modules: list[str]) -> tuple[int, int]:
    """How many ``LazyPattern``s the plugin's ``modules`` hold, and how many of them are
    compiled, after flake8 lints ``path`` in a fresh process (which must have loaded them)."""
    script = (
        "import sys\n"
        "from flake8.api import legacy\n"
        "from nograd_lint.lazy_pattern import LazyPattern\n"
        f"legacy.get_style_guide(select=['NG']).check_files([{str(path)!r}])\n"
        f"modules = [sys.modules[n] for n in {modules!r}]\n"
        "patterns = [v for m in modules for v in vars(m).values()\n"
        "            if isinstance(v, LazyPattern)]\n"
        "print(len(patterns), sum(p._compiled is not None for p in patterns))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    found, compiled = map(int, result.stdout.split())
    return found, compiled


def test_flake8_compiles_no_pattern_for_a_file_without_the_words(tmp_path: Path) -> None:
    """flake8 imports the plugin on every save in an editor: the catalog's and the
    pre-filter's patterns are compiled only when a file has the words they look for."""
    path = tmp_path / "plot.py"
    path.write_text("import matplotlib.pyplot as plt\n\nplt.plot([1, 2])\n")
    modules = ["nograd_lint.prefilter", "nograd_lint.analysis.catalog"]
    found, compiled = _lazy_patterns_after_flake8(path, modules)
    assert found >= 8 and compiled == 0, (found, compiled)


def test_flake8_compiles_no_pattern_a_training_script_never_tries(tmp_path: Path) -> None:
    """A script with the pre-filter's words goes through the screens, which load the modules
    beside it and the grad scopes' readings; their patterns for what the script does not
    spell (an import of a helper, a grad-enabling call) stay uncompiled: lint on save."""
    path = tmp_path / "train.py"
    path.write_text(
        "import torch\n\n\ndef evaluate(model, x):\n    model.eval()\n"
        "    with torch.no_grad():\n        return model(x)\n"
    )
    modules = ["nograd_lint.analysis.sibling_modules", "nograd_lint.screen_grad_scopes"]
    found, compiled = _lazy_patterns_after_flake8(path, modules)
    assert found >= 3 and compiled == 0, (found, compiled)


def test_a_lazy_pattern_finds_what_its_compiled_pattern_finds() -> None:
    from nograd_lint.lazy_pattern import LazyPattern

    lazy = LazyPattern(r"no_?grad", re.IGNORECASE)
    text = "torch.NoGrad(); torch.no_grad()"
    assert lazy.search(text) is not None and lazy.search(text, 20) is not None
    assert lazy.search(text, 0, 5) is None
    assert [m.group() for m in lazy.finditer(text)] == ["NoGrad", "no_grad"]
    assert lazy.findall(text) == ["NoGrad", "no_grad"]


@pytest.mark.parametrize(
    "source, jumps",
    [
        ("for x in xs:\n    if x:\n        break\n", True),
        ("while x:\n    pass\nelse:\n    continue_ = 1\n", False),
        ("try:\n    f()\nexcept E:\n    raise\n", True),
        ("try:\n    f()\nfinally:\n    return_ = g()\n", False),
        ("with m():\n    def inner():\n        return 1\n", False),
        ("if a:\n    class C:\n        def f(self):\n            return 1\n", False),
        ("match x:\n    case 1:\n        pass\n    case _:\n        return 2\n", True),
        ("for x in xs:\n    y = [lambda: z for z in x]\n", False),
    ],
)
def test_jumps_within_visits_statements_only_and_agrees_with_every_node(
    source: str, jumps: bool
) -> None:
    """The screens ask whether a statement may cut off its block of statements alone; the
    answer must be that of a walk over every node of its scope."""
    statements = ast.parse(source).body
    every_node = any(isinstance(n, JUMPS) for n in same_scope_nodes(statements))
    assert jumps_within(statements) is jumps is every_node


def test_inner_nodes_are_the_child_nodes_less_the_leaves() -> None:
    """``inner_nodes`` skips fields by name (``id``, ``attr``, ``ctx``...); on every kind of
    node this Python parses it must still hand back every child that is not a leaf."""
    source = textwrap.dedent(
        """\
        import a.b as c
        from .d import e as f, g
        global h
        @deco(x=1)
        async def run(p, /, q: int = 2, *r, s, **t) -> None:
            nonlocal u
            async with m() as (v, w):
                async for i in xs:
                    v[i] += w.attr ** -i if i else not i
            try:
                yield from (lambda z: z)(f"{v!r:>{w}}")
            except (KeyError, ValueError) as err:
                raise err from None
            finally:
                del v
            match t:
                case {"k": [1, *rest]} | Point(x=0) as hit if hit:
                    pass
                case _:
                    return [j async for j in rest if await j]
        class K(B, metaclass=M):
            attr: int = 3
            print(*xs, **{k: v for k, v in t}, sep=(y := 1))
        """
    )
    if sys.version_info >= (3, 12):
        source += "type Alias[T] = list[T]\ndef generic[U](u: U) -> U: ...\n"
    for node in ast.walk(ast.parse(source)):
        expected = [c for c in ast.iter_child_nodes(node) if type(c) not in LEAVES]
        assert inner_nodes(node) == expected, ast.dump(node)
