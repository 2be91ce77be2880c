"""Soundness, per fact: the cheap layers never change what the analysis reports.

The text pre-filter, the ``ast`` screen and pruning decide what reaches LibCST; each derives
what it needs from ``analysis.catalog``. Here every row of the catalog is used in a snippet
written for it, and on each snippet

- the findings with every cheap layer (``check_source``), on the flake8 path (with the
  stdlib tree, and through the plugin itself) and without any (``prefilter=False``) are the
  same, and the command's pre-filter on raw bytes passes a source with findings, and
- the findings are exactly the ones the row says (``# expect: NG001`` lines), so a row that
  the analysis ignores fails here too, not only a row that a cheap layer drops.

Then the same comparison over every case file and every autofix file.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from nograd_lint import check_source
from nograd_lint.analysis.catalog import (
    ENTER_CONTEXT_METHOD,
    EVAL_COPY_METHODS,
    EVAL_PRESERVING_WRAPPER_NAMES,
    EVAL_PRESERVING_WRAPPERS,
    FORWARD_METHODS,
    FREEZER_METHODS,
    FREEZERS,
    GRAD_DECORATORS_REACH_COROUTINES,
    GRAD_INTENT_FUNCTIONS,
    GRAD_INTENT_METHODS,
    GRAD_MODE_FACTORIES,
    GRAD_MODE_SETTER_ARGUMENT,
    GRAD_MODE_SETTERS,
    GRAPH_CONSUMING_FUNCTIONS,
    GRAPH_CONSUMING_METHODS,
    GRAPH_READING_ATTRIBUTES,
    LIGHTNING_BASES,
    LIGHTNING_NO_GRAD_HOOKS,
    LIGHTNING_PACKAGES,
    MODE_SETTER_METHODS,
    MODE_SETTERS,
    MODULE_BASE_NAMES,
    MODULE_FORWARD,
    MODULE_RETURNING_METHODS,
    MODULE_SHARING_WRAPPER_NAMES,
    MODULE_SHARING_WRAPPERS,
    NUMBER_READING_MODULES,
    OPTIMIZER_METHODS,
    OTHER_FRAMEWORKS,
    PRETRAINED_LOADERS,
    PRETRAINED_MODEL_NAMES,
    PRETRAINED_NON_MODEL_NAMES,
    SUBMODULE_METHODS,
    SUBMODULE_PICKERS,
    TRANSPARENT_DECORATORS,
    WRAPPED_MODULE_ATTRIBUTES,
    WRAPPED_MODULE_KEYWORDS,
    Arg,
    GradEffect,
    Mode,
    freezes,
    grad_effect,
    mode_set,
)
from nograd_lint.findings import Finding
from nograd_lint.flake8_plugin import NogradChecker
from nograd_lint.prefilter import might_have_findings_in_bytes

CASES_DIR = Path(__file__).parent / "cases"
FIXES_DIR = Path(__file__).parent / "fixes"
EXPECT = "# expect: NG001"
#: Any rule's marker: a snippet expects exactly the lines that carry one.
ANY_EXPECT = "# expect: NG"
KEPT = "  # expect: NG002"

#: One snippet per use of a catalog row: test id -> source.
SNIPPETS: dict[str, str] = {}


def snippet(name: str, body: str, header: str = "import torch\n\n\n") -> None:
    assert name not in SNIPPETS, f"two snippets named {name}"
    SNIPPETS[name] = header + textwrap.dedent(body).lstrip("\n")


def findings_on_every_path(source: str, filename: str = "snippet.py") -> list[Finding]:
    """The findings without any cheap layer, after checking that every path agrees."""
    full = check_source(source, filename, noqa=False, prefilter=False)
    cheap = check_source(source, filename, noqa=False)
    assert cheap == full, f"the pre-filter, screen or pruning changed the findings: {full}"
    tree = ast.parse(source)
    assert check_source(source, filename, noqa=False, tree=tree) == full, "the flake8 path"
    plugin = NogradChecker(tree, source.splitlines(keepends=True), filename).run()
    assert [(line, col) for line, col, *_ in plugin] == [(f.line, f.col) for f in full], "flake8"
    if full:  # the command's test on raw bytes, before it decodes a file
        assert might_have_findings_in_bytes(source.encode("utf-8")), "the byte pre-filter"
    return full


def expected_lines(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), start=1) if ANY_EXPECT in line]


def _arguments(args: Sequence[Arg]) -> str:
    """Source text for an argument view: literals as written, anything else a name."""
    texts = []
    for arg in args:
        value = {True: "True", False: "False", None: "flag"}[arg.truth]
        texts.append(f"{arg.keyword}={value}" if arg.keyword else value)
    return ", ".join(texts)


def _marked(expect: bool) -> str:
    return f"  {EXPECT}" if expect else ""


# -- eval mode: setters and the argument forms each reads -------------------------------


def _setter_forms(method: str, flag: str | None) -> Iterator[tuple[str, str, Sequence[Arg]]]:
    """(id, argument text, its view) for every way the setter reads its arguments."""
    yield "no_arguments", "", ()
    if flag is None:
        yield "an_argument", "'a + b'", (Arg(),)  # ``df.eval("a + b")``
        return
    for text, truth in (
        ("False", False),
        ("0", False),
        ("0x0", False),
        ("True", True),
        ("1", True),
    ):
        yield f"positional_{text}", text, (Arg(truth=truth),)
    yield f"{flag}_False", f"{flag}=False", (Arg(flag, truth=False),)
    yield f"{flag}_True", f"{flag}=True", (Arg(flag, truth=True),)
    yield "decided_at_run_time", "is_training", (Arg(),)
    yield "other_keyword", "other=False", (Arg("other", truth=False),)
    yield "two_arguments", "False, False", (Arg(truth=False), Arg(truth=False))


for _setter in MODE_SETTERS:
    for _form, _text, _view in _setter_forms(_setter.method, _setter.flag):
        _evals = mode_set(_setter.method, _view) is Mode.EVAL
        snippet(
            f"mode_setter-{_setter.method}-{_form}",
            f"""
            def run(model, x, is_training):
                model.{_setter.method}({_text})
                out = model(x){_marked(_evals)}
                print(out)
            """,
        )
        for _base in sorted(MODULE_BASE_NAMES):  # called on the class: ``nn.Module.eval(model)``
            _given = f"model, {_text}" if _text else "model"
            snippet(
                f"mode_setter-{_setter.method}-{_form}-unbound-{_base}",
                f"""
                def run(model, x, is_training):
                    {_base}.{_setter.method}({_given})
                    out = model(x){_marked(_evals)}
                    print(out)
                """,
                header=f"import torch\nfrom torch.nn import {_base}\n\n\n",
            )
        snippet(
            f"mode_setter-{_setter.method}-{_form}-made_in_a_chain",
            f"""
            def run(x, is_training):
                net = Net().to("cpu").{_setter.method}({_text})
                out = net(x){_marked(_evals)}
                print(out)
            """,
        )

# -- module-returning methods: a chain through them still reaches the model -------------

for _method in sorted(MODULE_RETURNING_METHODS):
    _frozen = freezes(_method, ())
    snippet(
        f"module_returning-{_method}",
        f"""
        def run(model, x):
            model.{_method}().eval()
            out = model(x){_marked(not _frozen)}
            print(out)
        """,
    )
    snippet(
        f"module_returning-{_method}-bound",
        f"""
        def run(x):
            net = Net().{_method}().eval()
            out = net(x){_marked(not _frozen)}
            print(out)
        """,
    )

# -- forward calls ------------------------------------------------------------------------

for _method in sorted(FORWARD_METHODS):
    snippet(
        f"forward_method-{_method}",
        f"""
        def run(model, x):
            model.eval()
            out = model.{_method}(x){_marked(True)}
            print(out)
        """,
    )
    snippet(
        f"forward_method-{_method}-class_wide",
        f"""
        class Runner:
            def __init__(self, net):
                self.net = net
                self.net.eval()

            def predict(self, x):
                return self.net.{_method}(x){_marked(True)}
        """,
    )
    snippet(
        f"forward_method-{_method}-passed_to_a_function",
        f"""
        def predict(net, x):
            return net.{_method}(x){_marked(True)}


        def main(model, x):
            model.eval()
            return predict(model, x)
        """,
    )

for _name, _expect in ((MODULE_FORWARD, False), ("predict", True)):
    # ``forward`` runs under its caller's grad mode: no class-wide eval state there.
    snippet(
        f"module_forward-{_name}",
        f"""
        class Head(torch.nn.Module):
            def __init__(self, net):
                super().__init__()
                self.net = net
                self.net.eval()

            def {_name}(self, x):
                return self.net(x){_marked(_expect)}
        """,
    )

# -- models made in eval mode --------------------------------------------------------------

for _method in sorted(EVAL_COPY_METHODS):
    snippet(
        f"eval_copy-{_method}",
        f"""
        def run(model, x):
            script = model.{_method}()
            out = script(x){_marked(True)}
            print(out)
        """,
    )

for _loader in sorted(PRETRAINED_LOADERS):
    for _names, _expect in ((PRETRAINED_MODEL_NAMES, True), (PRETRAINED_NON_MODEL_NAMES, False)):
        for _pattern, _class in _names.items():
            snippet(
                f"loader-{_loader}-{_class}",
                f"""
                def run(x):
                    net = {_class}.{_loader}("checkpoint")
                    out = net(x){_marked(_expect)}
                    print(out)
                """,
                header=f"import torch\nfrom library import {_class}\n\n\n",
            )

# -- wrappers that keep the module's mode -----------------------------------------------------

for _wrapper in sorted(EVAL_PRESERVING_WRAPPERS | EVAL_PRESERVING_WRAPPER_NAMES):
    _package = _wrapper.split(".", 1)[0] if "." in _wrapper else None
    _header = f"import torch\nimport {_package}\n\n\n" if _package else "import torch\n\n\n"
    snippet(
        f"wrapper-{_wrapper}",
        f"""
        def run(model, x):
            model.eval()
            net = {_wrapper}(model)
            out = net(x){_marked(True)}
            print(out)
        """,
        header=_header,
    )
    snippet(
        f"wrapper-{_wrapper}-called_at_once",
        f"""
        def run(model, x):
            model.eval()
            out = {_wrapper}(model)(x){_marked(True)}
            print(out)
        """,
        header=_header,
    )

# Another name for the same module (``ModeSummaries.same_object``): eval mode set through
# the wrapper's name is the wrapped name's too; a copying wrapper makes another module.
for _wrapper in sorted(EVAL_PRESERVING_WRAPPERS | EVAL_PRESERVING_WRAPPER_NAMES):
    _package = _wrapper.split(".", 1)[0] if "." in _wrapper else None
    _shares = _wrapper in MODULE_SHARING_WRAPPERS or _wrapper in MODULE_SHARING_WRAPPER_NAMES
    for _owner, _given, _made in (
        ("parameter", "model, x", "pass"),
        ("local", "x", "model = build()"),
    ):
        snippet(
            f"wrapper-{_wrapper}-eval_through_the_other_name-{_owner}",
            f"""
            def run({_given}):
                {_made}
                net = {_wrapper}(model)
                net.eval()
                out = model(x){_marked(_shares)}
                print(out)
            """,
            header=f"import torch\nimport {_package}\n\n\n" if _package else "import torch\n\n\n",
        )
for _method in sorted(MODULE_RETURNING_METHODS - MODE_SETTER_METHODS - FREEZER_METHODS):
    snippet(
        f"module_returning-{_method}-eval_through_the_other_name",
        f"""
        def run(model, x):
            net = model.{_method}()
            net.eval()
            out = model(x){_marked(True)}
            print(out)
        """,
    )

for _keyword in WRAPPED_MODULE_KEYWORDS:
    snippet(
        f"wrapper_keyword-{_keyword}",
        f"""
        def run(model, x):
            model.eval()
            net = torch.compile({_keyword}=model)
            out = net(x){_marked(True)}
            print(out)
        """,
    )

# -- modules derived from an eval-mode model: in the same mode ----------------------------------

for _attribute in sorted(WRAPPED_MODULE_ATTRIBUTES):
    snippet(
        f"wrapped_module-{_attribute}",
        f"""
        def run(wrapper, x):
            wrapper.eval()
            out = wrapper.{_attribute}(x){_marked(True)}
            print(out)
        """,
    )
for _method in sorted(SUBMODULE_METHODS):
    snippet(
        f"submodule-{_method}",
        f"""
        def run(model, x):
            model.eval()
            first = next(model.{_method}())
            out = first(x){_marked(True)}
            print(out)
        """,
    )
#: How each picker takes one submodule out: ``next(it)``, ``list(m.children())[0]``.
_PICKED = {"next": "next({})", "iter": "next(iter({}))"}
for _picker in sorted(SUBMODULE_PICKERS):
    _first = _PICKED.get(_picker, _picker + "({})[0]").format("model.children()")
    snippet(
        f"submodule_picker-{_picker}",
        f"""
        def run(model, x):
            model.eval()
            first = {_first}
            out = first(x){_marked(True)}
            print(out)
        """,
    )

# -- freezing -------------------------------------------------------------------------------


def _freezer_forms(flag: str | None) -> Iterator[tuple[str, str, Sequence[Arg]]]:
    """Forms that freeze, and forms that do nothing to the model; a true flag
    (``requires_grad_()``) asks for gradients, which is gradient intent's business."""
    if flag is None:
        yield "no_arguments", "", ()
        yield "an_argument", "x", (Arg(),)
        return
    yield "positional_False", "False", (Arg(truth=False),)
    yield f"{flag}_False", f"{flag}=False", (Arg(flag, truth=False),)
    yield "decided_at_run_time", "flag", (Arg(),)


for _freezer in FREEZERS:
    for _form, _text, _view in _freezer_forms(_freezer.flag):
        _frozen = freezes(_freezer.method, _view)
        snippet(
            f"freezer-{_freezer.method}-{_form}",
            f"""
            def run(model, x, flag):
                model.eval()
                model.{_freezer.method}({_text})
                out = model(x){_marked(not _frozen)}
                print(out)
            """,
        )
        snippet(
            f"freezer-{_freezer.method}-{_form}-in_a_chain",
            f"""
            def run(x, flag):
                net = Net().eval().{_freezer.method}({_text})
                out = net(x){_marked(not _frozen)}
                print(out)
            """,
        )

# -- grad mode: scopes, decorators and setters ---------------------------------------------

#: Argument lists a grad-mode scope is tried with: (id, text, view).
GRAD_FORMS: tuple[tuple[str, str, Sequence[Arg]], ...] = (
    ("no_arguments", "", ()),
    ("False", "False", (Arg(truth=False),)),
    ("True", "True", (Arg(truth=True),)),
    ("mode_False", "mode=False", (Arg("mode", truth=False),)),
    ("decided_at_run_time", "flag", (Arg(),)),
)

for _factory, _entry in sorted(GRAD_MODE_FACTORIES.items()):
    for _form, _text, _view in GRAD_FORMS:
        _enables = grad_effect(_entry, _view) is GradEffect.ENABLE
        snippet(
            f"grad_scope-{_factory}-{_form}",
            f"""
            def run(model, x, flag):
                model.eval()
                with {_factory}({_text}):
                    out = model(x){_marked(_enables)}
                print(out)
            """,
        )
        snippet(
            f"grad_scope-{_factory}-{_form}-inside_no_grad",
            f"""
            def run(model, x, flag):
                model.eval()
                with torch.no_grad():
                    with {_factory}({_text}):
                        out = model(x){_marked(_enables)}
                print(out)
            """,
        )
    for _form, _text, _view in (("bare", "", None), ("called", "()", ())):
        _enables = grad_effect(_entry, _view) is GradEffect.ENABLE
        snippet(
            f"grad_decorator-{_factory}-{_form}",
            f"""
            @{_factory}{_text}
            def run(model, x):
                model.eval()
                out = model(x){_marked(_enables)}
                print(out)
            """,
        )
        # The coroutine's body runs when awaited, in its awaiter's mode, whatever the
        # decorator (``GRAD_DECORATORS_REACH_COROUTINES``).
        snippet(
            f"grad_decorator-{_factory}-{_form}-async",
            f"""
            @{_factory}{_text}
            async def run(model, x):
                model.eval()
                out = model(x){_marked(not GRAD_DECORATORS_REACH_COROUTINES or _enables)}
                print(out)
            """,
        )
    snippet(
        f"grad_scope-{_factory}-on_an_exit_stack",
        f"""
        def run(model, x):
            model.eval()
            with contextlib.ExitStack() as stack:
                stack.{ENTER_CONTEXT_METHOD}({_factory}())
                out = model(x){_marked(grad_effect(_entry, ()) is GradEffect.ENABLE)}
            print(out)
        """,
        header="import contextlib\nimport torch\n\n\n",
    )
    # A scope chosen at run time decides nothing the analysis can read, unless both arms
    # have one effect.
    _effect = grad_effect(_entry, ())
    snippet(
        f"grad_scope-{_factory}-chosen_at_run_time",
        f"""
        def run(model, x, flag):
            model.eval()
            with {_factory}() if flag else contextlib.nullcontext():
                out = model(x)
            with {_factory}() if flag else {_factory}():
                out = model(x){_marked(_effect is GradEffect.ENABLE)}
            print(out)
        """,
        header="import contextlib\nimport torch\n\n\n",
    )

for _setter_name in sorted(GRAD_MODE_SETTERS):
    for _form, _text, _view in GRAD_FORMS[1:]:
        _enables = grad_effect(GRAD_MODE_SETTER_ARGUMENT, _view) is GradEffect.ENABLE
        snippet(
            f"grad_setter-{_setter_name}-{_form}",
            f"""
            def run(model, x, flag):
                model.eval()
                with torch.no_grad():
                    {_setter_name}({_text})
                    out = model(x){_marked(_enables)}
                print(out)
            """,
        )

for _name in ("smart_inference_mode", "torch_no_grad", "nograd", "NoGrad"):
    snippet(
        f"grad_scope_by_name-{_name}",
        f"""
        def run(model, x):
            model.eval()
            with {_name}():
                out = model(x)
            print(out)
        """,
        header=f"import torch\nfrom utils import {_name}\n\n\n",
    )

# -- gradient consumers: gradient code that needs the forward's graph -------------------------

_CONSUMED = """
def step(model, x, optimizer):
    model.eval()
    out = model(x){mark}
    loss = out.sum()
{use}"""

snippet("gradient_consumer-none", _CONSUMED.format(mark=_marked(True), use=""))
for _method in sorted(GRAD_INTENT_METHODS):
    # Called on the value and on the model: what each needs is the analysis's business.
    snippet(
        f"gradient_consumer-method-{_method}",
        _CONSUMED.format(mark="", use=f"    loss.{_method}()\n    model.{_method}()\n"),
    )
for _method in sorted(OPTIMIZER_METHODS):
    snippet(
        f"gradient_consumer-optimizer-{_method}",
        _CONSUMED.format(
            mark="",
            use=f"    optimizer = torch.optim.SGD(model.parameters())\n    optimizer.{_method}()\n",
        ),
    )
for _method in sorted(GRAPH_CONSUMING_METHODS):
    # Called on the value, and given it: ``loss.backward()``, ``accelerator.backward(loss)``.
    snippet(
        f"gradient_consumer-graph_method-{_method}",
        _CONSUMED.format(mark="", use=f"    loss.{_method}()\n    accelerator.{_method}(loss)\n"),
    )
for _attribute in sorted(GRAPH_READING_ATTRIBUTES):
    snippet(
        f"gradient_consumer-graph_attribute-{_attribute}",
        _CONSUMED.format(mark="", use=f"    print(loss.{_attribute})\n"),
    )

#: A forward inside a function that a transform differentiates (``torch.func.grad(f)(x)``).
_TRANSFORMED = """
def step(model, x):
    model.eval()

    def loss_fn(inp):
        return model(inp).sum(){mark}

    print({use})
"""

snippet(
    "gradient_consumer-transform-none", _TRANSFORMED.format(mark=_marked(True), use="loss_fn(x)")
)
for _function in GRAD_INTENT_FUNCTIONS:
    _call = _function + "jacobian" if _function.endswith(".") else _function
    if _call in GRAPH_CONSUMING_FUNCTIONS:  # differentiates tensors: ``autograd.grad(loss, x)``
        snippet(
            f"gradient_consumer-function-{_call}",
            _CONSUMED.format(mark="", use=f"    {_call}(loss, x)\n"),
        )
    else:  # differentiates a function: ``torch.func.grad(loss_fn)(x)``
        snippet(
            f"gradient_consumer-transform-{_call}",
            _TRANSFORMED.format(mark="", use=f"{_call}(loss_fn, x)"),
        )

# -- frameworks: code run under another grad mode, or not PyTorch at all --------------------------

for _hook in sorted(LIGHTNING_NO_GRAD_HOOKS | {"training_step"}):
    snippet(
        f"lightning_hook-{_hook}",
        f"""
        class Lit(LightningModule):
            def {_hook}(self, batch):
                self.net.eval()
                return self.net(batch){_marked(_hook not in LIGHTNING_NO_GRAD_HOOKS)}
        """,
        header="import torch\nfrom lightning import LightningModule\n\n\n",
    )
for _package in LIGHTNING_PACKAGES:
    for _base in sorted(LIGHTNING_BASES):
        snippet(
            f"lightning_base-{_package}-{_base}",
            """
            class Lit(Base):
                def validation_step(self, batch):
                    self.net.eval()
                    return self.net(batch)
            """,
            header=f"import torch\nfrom {_package} import {_base} as Base\n\n\n",
        )

for _decorator in sorted(TRANSPARENT_DECORATORS | {"app.route"}):
    # Call sites decide the grad mode of a function behind a transparent decorator; any
    # other decorator hands it to code we cannot see, which may run it with grad on.
    snippet(
        f"decorator-{_decorator}",
        f"""
        @{_decorator}
        def run(model, x):
            model.eval()
            return model(x){_marked(_decorator not in TRANSPARENT_DECORATORS)}


        with torch.no_grad():
            run(net, batch)
        """,
        header="import abc\nimport functools\nimport typing\nimport typing_extensions\n"
        "import torch\n\n\n",
    )

for _framework in sorted(OTHER_FRAMEWORKS | {"torch"}):
    snippet(
        f"framework-{_framework}",
        f"""
        model.eval()
        out = model(x){_marked(_framework == "torch")}
        """,
        header=f"import {_framework}\n\n",
    )


# -- NG002: shapes the screen must pass on to the analysis -------------------------------

snippet(
    "kept_graph-comprehension",
    f"""
    def predict(model, batches):
        model.train()
        outs = [model(x) for x in batches]{KEPT}
        print(torch.cat(outs).argmax(1))
    """,
)
snippet(
    "kept_graph-recurrent_state",
    f"""
    def roll(model, steps):
        model.train()
        hidden = None
        for x in steps:
            out, hidden = model(x, hidden){KEPT}
        print(out.argmax(1))
    """,
)
snippet(
    "kept_graph-attribute_the_class_fills",
    f"""
    class Trainer:
        def __init__(self):
            self.net = torch.nn.Linear(4, 2)

        def fit(self, loader):
            losses = []
            for x in loader:
                losses.append(self.net(x).sum()){KEPT}
            print(len(losses))
    """,
)
snippet(
    "kept_graph-local_name_for_an_attribute",
    f"""
    class Trainer:
        def __init__(self, critic):
            self.critic = critic
            self.optimizer = torch.optim.SGD(self.critic.parameters(), lr=0.1)

        def fit(self, loader):
            critic, optimizer = (  # a tuple over lines, a comment after
                self.critic,
                self.optimizer,
            )
            values = []
            for x in loader:
                values.append(critic(x)){KEPT}
            print(len(values))
    """,
)
snippet(
    "kept_graph-parameter_given_a_model",
    f"""
    def worst(net, x, y, restarts):
        best = torch.zeros(len(y))
        for _ in range(restarts):
            best = torch.max(best, torch.nn.functional.cross_entropy(net(x), y)){KEPT}
        print(best.mean().item())


    def main(loader):
        model = build()
        model.train()
        for x, y in loader:
            worst(model, x, y, 3)
    """,
)
snippet(
    "kept_graph-loop_over_models_of_self",
    f"""
    class Block(torch.nn.Linear):
        pass


    class Stack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [Block(4, 4), Block(4, 4)]

        def score(self, x):
            scores = []
            for block in self.blocks:
                x = block(x)
                scores.append(x.sum()){KEPT}
            print(torch.stack(scores).argmax())
    """,
)
snippet(
    "kept_graph-helper_that_only_reads",
    f"""
    def show(values):
        print([v.data for v in values])


    def collect(model, batches):
        model.train()
        outs = []
        for x in batches:
            outs.append(model(x)){KEPT}
        show(outs)
    """,
)
snippet(
    "kept_graph-torchvision_model",
    f"""
    def check(steps):
        model = models.resnet18()
        expected = [model(torch.rand(1, 3, 8, 8)) for _ in range(steps)]{KEPT}
        assert all(torch.equal(e, e) for e in expected)
    """,
    header="import torch\nfrom torchvision import models\n\n\n",
)
_READER_IMPORTS = {
    "matplotlib": ("import matplotlib.pyplot as plt", "plt.plot"),
    "numpy": ("import numpy as np", "np.array"),
    "seaborn": ("import seaborn as sns", "sns.lineplot"),
}
for _module in NUMBER_READING_MODULES:
    _import, _reader = _READER_IMPORTS[_module]
    snippet(
        f"kept_graph-number_reader-{_module}",
        f"""
        def collect(model, batches):
            model.train()
            outs = []
            for x in batches:
                outs.append(model(x)){KEPT}
            {_reader}(outs)
        """,
        header=f"{_import}\nimport torch\n\n\n",
    )


#: Snippets the analysis gets wrong today, by the ``(prefix, suffix)`` of their ids, with
#: why; strict, so that a fix shows up.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _with_known_gaps(names: list[str]) -> list[object]:
    params: list[object] = []
    for name in names:
        gap = next(
            (
                why
                for (start, end), why in KNOWN_GAPS.items()
                if name.startswith(start) and name.endswith(end)
            ),
            None,
        )
        marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("name", _with_known_gaps(sorted(SNIPPETS)))
def test_every_catalog_row(name: str) -> None:
    source = SNIPPETS[name]
    findings = findings_on_every_path(source)
    assert [f.line for f in findings] == expected_lines(source), source


# -- every case file and every autofix file -------------------------------------------------------


def _compiles(path: Path) -> bool:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


SOURCE_FILES = sorted(
    path
    for path in (*CASES_DIR.glob("*.py"), *FIXES_DIR.glob("*.py"))
    if _compiles(path)  # newer syntax than this Python's (``match`` before 3.10)
)


@pytest.mark.parametrize(
    "path", SOURCE_FILES, ids=[f"{p.parent.name}/{p.name}" for p in SOURCE_FILES]
)
def test_every_case_and_fix_file(path: Path) -> None:
    findings_on_every_path(path.read_text(encoding="utf-8"), str(path))
