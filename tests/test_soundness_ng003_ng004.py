"""Soundness, per fact, for NG003 and NG004: the pre-filter, the screens and pruning never
change what the analysis reports (see ``test_soundness``, whose paths are reused).

NG003 passes the text pre-filter on its keyword (``catalog.RETAIN_GRAPH_KEYWORD``) and is
read off the ``ast`` tree before any screen. NG004 needs a loop that may carry eval mode to
a training step (``screen_loops``), built from ``mode_summaries``, which the flow uses too;
each way a period can begin (every eval form of every mode setter, a helper, a method) and
each way a training step is recognised (gradient code of the catalog, a training helper)
has a snippet here, reported and silent.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from nograd_lint.analysis.catalog import (
    EVAL_PRESERVING_WRAPPER_NAMES,
    EVAL_PRESERVING_WRAPPERS,
    GRAD_INTENT_METHODS,
    GRAPH_FREEING_FUNCTIONS,
    GRAPH_FREEING_METHODS,
    MODE_SETTERS,
    MODULE_SHARING_WRAPPER_NAMES,
    MODULE_SHARING_WRAPPERS,
    MODULE_VISITOR_METHOD,
    OPTIMIZER_METHODS,
    RETAIN_GRAPH_KEYWORD,
    WRAPPED_MODULE_ATTRIBUTES,
    Mode,
)
from nograd_lint.analysis.values import ModuleValues
from nograd_lint.screen_loops import eval_carrying_calls
from tests.expectations import _ITEM, _MARKER
from tests.test_soundness import findings_on_every_path

SNIPPETS: dict[str, str] = {}


def snippet(name: str, body: str) -> None:
    assert name not in SNIPPETS, name
    SNIPPETS[name] = (
        "import torch\nfrom torch import autograd\n\n\n" + textwrap.dedent(body).lstrip()
    )


def expected(source: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        marker = _MARKER.search(line)
        if marker is not None:
            found += [(number, m["code"]) for m in _ITEM.finditer(marker["items"])]
    return found


# -- NG003 ---------------------------------------------------------------------------------

for _method in sorted(GRAPH_FREEING_METHODS):
    snippet(
        f"ng003-method-{_method}",
        f"""
        def step(model, x, engine):
            loss = model(x).sum()
            loss.{_method}({RETAIN_GRAPH_KEYWORD}=True)  # expect: NG003
            engine.{_method}(model(x).mean(), {RETAIN_GRAPH_KEYWORD}=True)  # expect: NG003
        """,
    )
    snippet(
        f"ng003-method-{_method}-needed",
        f"""
        def step(model, x):
            out = model(x)
            out.sum().{_method}({RETAIN_GRAPH_KEYWORD}=True)
            out.mean().{_method}()
        """,
    )
for _function, _keyword in sorted(GRAPH_FREEING_FUNCTIONS.items()):
    _call = _function.replace("torch.autograd.", "autograd.")
    snippet(
        f"ng003-function-{_function}",
        f"""
        def step(model, x):
            loss = model(x).sum()
            {_call}(loss, {RETAIN_GRAPH_KEYWORD}=True)  # expect: NG003
            {_call}({_keyword}=model(x).mean(), {RETAIN_GRAPH_KEYWORD}=True)  # expect: NG003
        """,
    )
# A method that puts what it is given into what it is called on (``stores_arguments``):
# the graph may be differentiated again through the container or tensor.
for _method in ("append", "put", "copy_", "add_"):
    snippet(
        f"ng003-stored-by-{_method}",
        f"""
        def step(model, x, store):
            h = model(x)
            store.{_method}(h)
            h.sum().backward({RETAIN_GRAPH_KEYWORD}=True)
        """,
    )
snippet(
    "ng003-keyword-spelled-apart",
    f"""
    def step(model, x):
        loss = model(x).sum()
        loss.backward(
            {RETAIN_GRAPH_KEYWORD}  # expect: NG003
            =True,
        )
    """,
)
snippet(
    "ng003-flag-bound-once",
    f"""
    KEEP = True


    def step(model, x):
        model(x).sum().backward({RETAIN_GRAPH_KEYWORD}=KEEP)  # expect: NG003
    """,
)

# -- NG004: how a period begins ------------------------------------------------------------

_EVAL_FORMS = ["eval()"] + [
    f"{s.method}({text})"
    for s in MODE_SETTERS
    if s.flag is not None
    for text in ("False", "0", f"{s.flag}=False")
]
_EVAL_FORMS += [
    f"{s.method}()" for s in MODE_SETTERS if s.default is Mode.EVAL and s.method != "eval"
]

_TRAINING = """
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
"""


def _loop(after_training: str) -> str:
    return (
        "def fit(model, loader, optimizer, criterion):\n"
        "    for epoch in range(3):\n"
        + textwrap.indent(textwrap.dedent(_TRAINING).strip("\n"), "        ")
        + "\n"
        + textwrap.indent(after_training, "        ")
        + "\n"
    )


for _form in _EVAL_FORMS:
    snippet(f"ng004-direct-{_form}", _loop(f"model.to('cpu').{_form}  # expect: NG004"))
    snippet(f"ng004-restored-{_form}", _loop(f"model.{_form}\nmodel.train()"))
    snippet(
        f"ng004-helper-{_form}",
        f"def check(net):\n    net.{_form}\n\n\n" + _loop("check(model)  # expect: NG004"),
    )
    snippet(
        f"ng004-restoring-helper-{_form}",
        f"def check(net):\n    was = net.training\n    net.{_form}\n    net.train(was)\n\n\n"
        + _loop("check(model)"),
    )
    snippet(
        f"ng004-nested-helper-{_form}",
        f"def check(net):\n    net.{_form}\n\n\ndef report(net):\n    check(net)\n\n\n"
        + _loop("report(model)  # expect: NG004"),
    )
    # the setter called on the class: ``nn.Module.train(model, False)``
    _unbound = _form.replace("(", "(model, ", 1).replace(", )", ")")
    snippet(
        f"ng004-unbound-{_form}",
        _loop(f"torch.nn.Module.{_unbound}  # expect: NG004"),
    )
    snippet(
        f"ng004-unbound-restored-{_form}", _loop(f"model.{_form}\ntorch.nn.Module.train(model)")
    )
# ``model.apply(fn)``: a ``fn`` that may call ``train()`` restores the mode (MODULE_VISITOR_METHOD)
for _name, _function, _restores in (
    ("lambda", "lambda m: m.train()", True),
    ("module_function", "set_train", True),
    ("unread", "torch.nn.init.zeros_", True),
    ("module_function_without_train", "init_weights", False),
):
    snippet(
        f"ng004-{MODULE_VISITOR_METHOD}-{_name}",
        "def set_train(m):\n    m.train()\n\n\ndef init_weights(m):\n    m.weight.data.zero_()\n\n\n"
        + _loop(
            "model.eval()"
            + ("" if _restores else "  # expect: NG004")
            + f"\nmodel.{MODULE_VISITOR_METHOD}({_function})"
        ),
    )
# A context manager of the module that also turns grad off: its mode effects still hold.
for _name, _exit, _marker in (
    ("keeps_eval", "", "  # expect: NG004"),
    ("restores", "\n    net.train()", ""),
):
    snippet(
        f"ng004-context-manager-{_name}",
        "import contextlib\n\n\n@contextlib.contextmanager\ndef inference(net):\n"
        "    net.eval()\n    with torch.no_grad():\n        yield net"
        + _exit
        + "\n\n\n"
        + _loop(f"with inference(model):{_marker}\n    model(loader)"),
    )
snippet(
    "ng004-method",
    """
    class Trainer:
        def check(self):
            self.model.eval()

        def fit(self, loader, optimizer, criterion):
            for epoch in range(3):
                for x, y in loader:
                    criterion(self.model(x), y).backward()
                    optimizer.step()
                self.check()  # expect: NG004
    """,
)

# ``model = self.model``, rewrapped on both sides (``MODULE_SHARING_WRAPPER_NAMES``): the
# same module, so the helper's eval mode is the caller's name's too; a copy is not.
for _wrapper in sorted(MODULE_SHARING_WRAPPERS | MODULE_SHARING_WRAPPER_NAMES):
    for _name, _bind, _marker in (
        ("shared", f"model = {_wrapper}(model)", "  # expect: NG004"),
        ("copied", "model = copy.deepcopy(model)", ""),
    ):
        snippet(
            f"ng004-alias-{_name}-{_wrapper}",
            f"""
            import copy


            class Trainer:
                def check(self):
                    model = self.model
                    model = {_wrapper}(model)
                    model.eval()

                def fit(self, loader, optimizer, criterion):
                    model = self.model
                    {_bind}
                    for epoch in range(3):
                        for x, y in loader:
                            criterion(model(x), y).backward()
                            optimizer.step()
                        self.check(){_marker}
            """,
        )
# A wrapper under another name (``ddp_model = DDP(model)``) trains the module the helper
# leaves in eval mode; a copy (``torch.jit.script``) is another module.
for _wrapper in sorted(EVAL_PRESERVING_WRAPPERS | EVAL_PRESERVING_WRAPPER_NAMES):
    _shares = _wrapper in MODULE_SHARING_WRAPPERS or _wrapper in MODULE_SHARING_WRAPPER_NAMES
    snippet(
        f"ng004-other-name-{_wrapper}",
        f"""
        import copy
        import intel_extension_for_pytorch


        def check(net):
            net.eval()


        def fit(model, loader, optimizer, criterion):
            wrapped = {_wrapper}(model)
            for epoch in range(3):
                for x, y in loader:
                    criterion(wrapped(x), y).backward()
                    optimizer.step()
                check(model){"  # expect: NG004" if _shares else ""}
        """,
    )
# A backward in a function of the module handed what the loop's forward makes: a training
# step. Each way the loop can hand it on, and the ``train(model, ...)`` it must not take
# for one (``GRAD_INTENT_METHODS`` and ``OPTIMIZER_METHODS`` in the helper).
_STEP_HELPER = """
def backward_step(loss, optimizer):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def fit(model, loader, val_loader, optimizer, criterion):
    for epoch in range(3):
        for x, y in loader:
            {training}
        check(model)  {marker}


def check(net):
    net.eval()
"""
for _form, _training, _marker in (
    ("expression", "backward_step(criterion(model(x), y), optimizer)", "# expect: NG004"),
    (
        "bound",
        "loss = criterion(model(x), y)\n            backward_step(loss, optimizer)",
        "# expect: NG004",
    ),
    (
        "keyword",
        "backward_step(optimizer=optimizer, loss=criterion(model(x), y))",
        "# expect: NG004",
    ),
    (
        "accumulated_in_place",
        "total.add_(criterion(model(x), y))\n            backward_step(total, optimizer)",
        "# expect: NG004",  # ``add_`` puts the loss into ``total`` (``stores_arguments``)
    ),
    (
        "number",
        "score = model(x).mean().item()\n            backward_step(torch.tensor(score, requires_grad=True), optimizer)",
        "",
    ),
    ("starred", "backward_step(*[criterion(model(x), y), optimizer])", ""),
    # The screen reads the callee only for an argument the loop may make: a loss made once,
    # before the loop, is no step of its own (``test_the_loop_screen_leaves_out...``).
    (
        "made_before_the_loop",
        "scores = model(x)\n            backward_step(loss, optimizer)",
        "",
    ),
    # A step the flow does not follow into a lambda bound in the loop; it does follow a
    # function nested there.
    (
        "in_a_lambda",
        "step = lambda: backward_step(criterion(model(x), y), optimizer)\n            step()",
        "",
    ),
    (
        "in_a_nested_function",
        "def step():\n                backward_step(criterion(model(x), y), optimizer)\n\n            step()",
        "# expect: NG004",
    ),
):
    snippet(
        f"ng004-step-helper-{_form}",
        _STEP_HELPER.format(training=_training, marker=_marker).replace(
            "    for epoch",
            "    losses = []\n"
            + (
                "    loss = criterion(model(loader), 0)\n"
                if _form == "made_before_the_loop"
                else ""
            )
            + "    for epoch",
        ),
    )
# A function nested in the training function: its variables are the function's own.
for _form, _parameter, _call in (
    ("reads_the_model", "", "validate()"),
    ("handed_the_model", "model", "validate(model)"),
):
    snippet(
        f"ng004-nested-validation-{_form}",
        f"""
        def fit(model, loader, val_loader, optimizer, criterion):
            def validate({_parameter}):
                model.eval()
                with torch.no_grad():
                    return [model(x) for x in val_loader]

            for epoch in range(3):
                for x, y in loader:
                    criterion(model(x), y).backward()
                    optimizer.step()
                {_call}  # expect: NG004
        """,
    )
snippet(
    "ng004-nested-training-step",
    """
    def fit(model, loader, val_loader, optimizer, criterion):
        def train_epoch():
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()

        for epoch in range(3):
            train_epoch()
            model.eval()  # expect: NG004
    """,
)
snippet(
    "ng004-nested-training-sets-train-mode",
    """
    def fit(model, loader, val_loader, optimizer, criterion):
        def train_epoch():
            model.train()
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()

        for epoch in range(3):
            train_epoch()
            model.eval()
    """,
)
# A helper that hands its argument back: the caller's new name is the same model.
for _target in ("model", "model, _", "model, accuracy"):
    snippet(
        f"ng004-returned-{_target.replace(', ', '-')}",
        f"""
        def check(net):
            net.eval()
            return {"net" if "," not in _target else "net, 0.5"}


        def fit(model, loader, optimizer, criterion):
            for epoch in range(3):
                for x, y in loader:
                    criterion(model(x), y).backward()
                    optimizer.step()
                {_target} = check(model)  # expect: NG004
        """,
    )

# -- NG004: how a training step is recognised ----------------------------------------------

for _method in sorted(GRAD_INTENT_METHODS | OPTIMIZER_METHODS):
    _step = {
        "backward": "criterion(model(x), y).backward()",
        "zero_grad": "out = model(x)\noptimizer.zero_grad()\nout.sum().backward()",
        "step": "criterion(model(x), y).backward()\noptimizer.step()",
    }[_method]
    snippet(
        f"ng004-step-{_method}",
        "def fit(model, loader, optimizer, criterion):\n"
        "    for epoch in range(3):\n"
        "        for x, y in loader:\n"
        + textwrap.indent(_step, "            ")
        + "\n        model.eval()  # expect: NG004\n",
    )
snippet(
    "ng004-step-through-a-helper",
    """
    def train_epoch(net, loader, optimizer, criterion):
        for x, y in loader:
            criterion(net(x), y).backward()
            optimizer.step()


    def fit(model, loader, optimizer, criterion):
        for epoch in range(3):
            train_epoch(model, loader, optimizer, criterion)
            model.eval()  # expect: NG004
    """,
)
snippet(
    "ng004-step-through-a-helper-in-train-mode",
    """
    def train_epoch(net, loader, optimizer, criterion):
        net.train()
        for x, y in loader:
            criterion(net(x), y).backward()
            optimizer.step()


    def fit(model, loader, optimizer, criterion):
        for epoch in range(3):
            train_epoch(model, loader, optimizer, criterion)
            model.eval()
    """,
)
snippet(
    "ng004-no-training-step",
    """
    def fit(model, loader):
        for epoch in range(3):
            for x, y in loader:
                model(x)  # expect: NG001
            model.eval()
    """,
)


# -- NG004: the loop screen's narrower readings (``screen_loops``) ---------------------------

# An eval call that a ``train()`` of the same model surely follows in its own block: a
# checkpoint saved in eval mode. Anything that may skip the ``train()`` keeps the period.
_CHECKPOINT = """
def fit(model, loader, optimizer, criterion, path, done):
    for epoch in range(3):
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
        if epoch % 2:
            model.eval(){chain}{marker}
            {between}
            torch.save(model.state_dict(), path)
            model.to("cpu").train()
"""
for _name, _chain, _between, _marker in (
    ("ended", "", "pass", ""),
    ("ended-chain", ".cpu()", "pass", ""),
    ("continue", "", "if done:\n                continue", "  # expect: NG004"),
    ("break-in-loop", "", "for _ in loader:\n                break", ""),
    ("return", "", "if done:\n                return", ""),
    ("alias", "", "net = model", ""),
):
    snippet(
        f"ng004-checkpoint-{_name}",
        _CHECKPOINT.format(chain=_chain, marker=_marker, between=_between),
    )
snippet(
    "ng004-checkpoint-another-name",
    """
    def fit(make, loader, optimizer, criterion, path):
        model = make()
        net = model
        for epoch in range(3):
            for x, y in loader:
                criterion(net(x), y).backward()
                optimizer.step()
            model.eval()  # expect: NG004
            net = model
            torch.save(model.state_dict(), path)
            model.train()
    """,
)
snippet(
    "ng004-checkpoint-in-try",
    """
    def fit(model, loader, optimizer, criterion, path):
        for epoch in range(3):
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()
            try:
                model.eval()
                torch.save(model.state_dict(), path)
                model.train()
            except OSError:
                pass
    """,
)
# A call of the model under ``torch.no_grad()`` is no training step, unless the file may
# switch grad back on inside it.
_VALIDATION = """
def fit(model, loader, val_loader, optimizer, criterion):
    for epoch in range(3):
        for x, y in loader:
            model.train()
            criterion(model(x), y).backward()
            optimizer.step()
            if epoch % 2:
                model.eval()
                with torch.no_grad():
                    for v, w in val_loader:
                        {validation}
"""
snippet(
    "ng004-validation-under-no-grad",
    _VALIDATION.format(validation="criterion(model(v), w).item()"),
)
snippet(
    "ng004-validation-enabling-grad",
    _VALIDATION.format(
        validation="with torch.enable_grad():\n"
        "                            criterion(model(v), w).backward()"
    ),
)
snippet(
    "ng004-training-under-no-grad-enabling-grad",
    """
    def fit(model, loader, optimizer, criterion):
        for epoch in range(3):
            for x, y in loader:
                with torch.no_grad():
                    with torch.enable_grad():
                        criterion(model(x), y).backward()
                optimizer.step()
            model.eval()  # expect: NG004
    """,
)


# ``ddp.module.eval()`` is ``ddp``'s eval mode (``catalog.unwrapped``), for NG004 and NG001,
# whichever side names the wrapped module.
for _attribute in sorted(WRAPPED_MODULE_ATTRIBUTES):
    snippet(
        f"ng004-wrapped-{_attribute}-eval",
        _loop(f"model.{_attribute}.eval()  # expect: NG004"),
    )
    snippet(
        f"ng004-wrapped-{_attribute}-helper",
        "def check(net):\n    net.eval()\n\n\n"
        + _loop(f"check(model.{_attribute})  # expect: NG004"),
    )
    snippet(
        f"ng004-wrapped-{_attribute}-restored",
        "def check(net):\n    net.eval()\n\n\n"
        + _loop(f"check(model)\nmodel.{_attribute}.train()"),
    )
    snippet(
        f"ng001-wrapped-{_attribute}",
        f"""
        def predict(model, x):
            model.{_attribute}.eval()
            return model(x)  # expect: NG001
        """,
    )

# A class's own method under a mode setter's name (``catalog.shadows_mode_setter``) is a
# call of that method, not of ``nn.Module``'s setter; with the setter's signature, it sets.
for _setter in MODE_SETTERS:
    snippet(
        f"ng004-own-method-{_setter.method}",
        f"""
        class Trainer:
            def {_setter.method}(self, loader):
                for x, y in loader:
                    criterion(self.model(x), y).backward()
                    optimizer.step()

            def check(self):
                self.model.eval()

            def fit(self, loader):
                for epoch in range(3):
                    self.{_setter.method}(loader)
                    self.check()  # expect: NG004
        """,
    )
snippet(
    "ng004-override-with-the-setter-signature",
    """
    class Net(torch.nn.Module):
        def train(self, mode=True):
            return super().train(mode)

        def fit(self, loader, optimizer):
            for epoch in range(3):
                self.train()
                for x, y in loader:
                    self(x).sum().backward()
                    optimizer.step()
                self.eval()
    """,
)


# A helper that hands back its model's forward (``ModeSummary.hands_back``): a training step
# where the caller differentiates what it returns, and none where the caller does not.
def _loss_helper_loop(use: str, marker: str) -> str:
    return (
        "def compute(net, x, y):\n    return criterion(net(x), y)\n\n\n"
        "def fit(model, loader, optimizer, criterion):\n"
        "    for epoch in range(3):\n"
        "        for x, y in loader:\n"
        f"            {use}\n"
        "            optimizer.step()\n"
        f"        model.eval(){marker}\n"
    )


snippet(
    "ng004-step-in-a-loss-helper",
    _loss_helper_loop("compute(model, x, y).backward()", "  # expect: NG004"),
)
snippet(
    "ng004-loss-helper-not-differentiated",
    _loss_helper_loop("print(compute(model, x, y).item())", ""),
)

# ``model.evaluate(loader)`` with ``model = Net()``: the class's method, ``self`` is ``model``.
snippet(
    "ng004-instance-method",
    """
    class Net(torch.nn.Module):
        def check(self):
            self.eval()


    def fit(loader, optimizer, criterion):
        model = Net()
        for epoch in range(3):
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()
            model.check()  # expect: NG004
    """,
)

# ``self.check()`` that a base class of the module defines.
snippet(
    "ng004-base-class-method",
    """
    class Base:
        def check(self):
            self.model.eval()


    class Trainer(Base):
        def fit(self, loader, optimizer, criterion):
            for epoch in range(3):
                for x, y in loader:
                    criterion(self.model(x), y).backward()
                    optimizer.step()
                self.check()  # expect: NG004
    """,
)


# -- facts of the last-iteration reading, the decorators and the private helpers -----------

snippet(
    "ng004-last-iteration-only",
    """
    def fit(model, loader, optimizer, criterion, epochs):
        for epoch in range(epochs):
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()
            if epoch == epochs - 1:
                model.eval()
    """,
)
snippet(
    "ng004-last-iteration-then-another-loop",
    """
    def fit(model, loader, optimizer, criterion, epochs):
        for epoch in range(epochs):
            if epoch == epochs - 1:
                model.eval()
        for x, y in loader:
            criterion(model(x), y).backward()
            optimizer.step()
    """,
)
snippet(
    "ng004-last-iteration-of-a-changing-stop",
    """
    def fit(model, loader, optimizer, criterion, cfg):
        for epoch in range(cfg.epochs):
            for x, y in loader:
                criterion(model(x), y).backward()
                optimizer.step()
            if epoch + 1 == cfg.epochs:
                model.eval()  # expect: NG004
            cfg.update(epochs=cfg.epochs + 1)
    """,
)
snippet(
    "ng003-private-helper",
    f"""
    def _backward(loss):
        loss.backward({RETAIN_GRAPH_KEYWORD}=True)  # expect: NG003


    def fit(model, loader, optimizer):
        for x in loader:
            _backward(model(x).sum())
            optimizer.step()
    """,
)
snippet(
    "ng003-under-a-no-grad-decorator",
    f"""
    @torch.no_grad()
    def adapt(encoder, head, x, targets, optimizer):
        feats = encoder(x)
        for y in targets:
            with torch.enable_grad():
                loss = torch.nn.functional.mse_loss(head(feats), y)
                loss.backward({RETAIN_GRAPH_KEYWORD}=True)  # expect: NG003
            optimizer.step()
    """,
)

snippet(
    "ng003-torch-api-beside-an-alias-of-the-same-name",
    f"""
    set_grad_enabled = torch.set_grad_enabled


    @torch.no_grad()
    def adapt(encoder, head, x, targets):
        torch.set_grad_enabled(True)  # torch's own spelling: ``feats`` records a graph
        feats = encoder(x)
        for y in targets:
            loss = torch.nn.functional.mse_loss(head(feats), y)
            loss.backward({RETAIN_GRAPH_KEYWORD}=True)
    """,
)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_every_fact(name: str) -> None:
    source = SNIPPETS[name]
    findings = findings_on_every_path(source)
    assert [(f.line, f.code) for f in findings] == expected(source), source


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("ng004-checkpoint-ended", False),
        ("ng004-checkpoint-ended-chain", False),
        ("ng004-validation-under-no-grad", False),
        ("ng004-checkpoint-continue", True),
        ("ng004-checkpoint-in-try", True),
        ("ng004-checkpoint-another-name", True),
        ("ng004-validation-enabling-grad", True),
        ("ng004-step-helper-expression", True),
        ("ng004-step-helper-made_before_the_loop", False),
    ],
)
def test_the_loop_screen_leaves_out_loops_that_cannot_carry(name: str, kept: bool) -> None:
    """What the narrower readings are for: a checkpoint taken in eval mode and a validation
    under ``torch.no_grad()`` no longer send a training loop to the analysis, while anything
    that may skip the ``train()`` or switch grad back on still does."""
    source = SNIPPETS[name]
    tree = ast.parse(source)
    assert bool(eval_carrying_calls(tree, ModuleValues(tree), source)) is kept
