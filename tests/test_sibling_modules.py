"""NG004 through a validation helper imported from a module beside the script, and NG003
through a helper beside it that hands back detached values: the helper is read off its file
(never run), through its parameters only, and a file that cannot be read is as if it were
not there."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nograd_lint import check_source
from nograd_lint.analysis import sibling_modules
from nograd_lint.api import screened_calls

MAIN = """\
import torch
from util import get_accuracy


def main(model, loader, optimizer):
    for epoch in range(10):
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = get_accuracy(model, loader)
"""

LEAVES_EVAL = """\
import torch


def get_accuracy(model, loader):
    model.eval()
    with torch.no_grad():
        return sum(int(model(x).argmax() == y) for x, y in loader)
"""

RESTORES = (
    LEAVES_EVAL.replace(
        "    with torch.no_grad():\n        return",
        "    with torch.no_grad():\n        hits =",
    )
    + "    model.train()\n    return hits\n"
)

#: Its own module-level ``model`` in eval mode: not the caller's, whatever the name.
OWN_MODEL = """\
import torch

model = torch.nn.Linear(2, 2)


def get_accuracy(net, loader):
    model.eval()
    return 0
"""


def _lint(folder: Path, main: str = MAIN, name: str = "main.py", **kwargs: bool) -> list[str]:
    path = folder / name
    path.write_text(main)
    found = check_source(path.read_text(), str(path), **kwargs)
    return [f"{f.line}:{f.col} {f.code}" for f in found]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    for cache in (
        sibling_modules._function_names,
        sibling_modules._texts,
        sibling_modules._listings,
        sibling_modules._star_exports,
    ):
        cache.clear()


def test_a_helper_beside_the_script_that_leaves_eval_mode_is_reported(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    assert _lint(tmp_path) == ["12:19 NG004"]


def test_the_screens_change_nothing(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    assert _lint(tmp_path, prefilter=False) == _lint(tmp_path)
    # What the benchmarks time as the screens passes the file on too, given its path.
    path = str(tmp_path / "main.py")
    assert screened_calls(ast.parse(MAIN), MAIN, path)
    assert screened_calls(ast.parse(MAIN), MAIN) == []  # without it, nothing beside is read


def test_a_helper_that_restores_the_mode_is_not(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(RESTORES)
    assert _lint(tmp_path) == []


def test_the_helpers_own_models_are_not_the_callers(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(OWN_MODEL)
    assert _lint(tmp_path, MAIN.replace("get_accuracy(model,", "get_accuracy(model, model,")) == []


def test_a_relative_import_with_one_dot_is_read_in_its_package(tmp_path: Path) -> None:
    package = tmp_path / "project"
    (package / "engine").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine" / "__init__.py").write_text("")
    (package / "engine" / "metrics.py").write_text(LEAVES_EVAL)
    main = MAIN.replace("from util import", "from .engine.metrics import")
    assert _lint(package, main, "train.py") == ["12:19 NG004"]
    deeper = package / "scripts"
    deeper.mkdir()  # two dots: a library's modules import from their package all over
    main = MAIN.replace("from util import", "from ..engine.metrics import")
    assert _lint(deeper, main, "train.py") == []


def test_an_aliased_import_is_followed_by_its_local_name(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    main = MAIN.replace("import get_accuracy", "import get_accuracy as accuracy_of")
    assert _lint(tmp_path, main.replace("= get_accuracy(", "= accuracy_of(")) == ["12:19 NG004"]


#: ``import util`` and ``util.get_accuracy(model, loader)``: the same helper, named through
#: its module.
THROUGH_MODULE = MAIN.replace("from util import get_accuracy", "import util").replace(
    "= get_accuracy(", "= util.get_accuracy("
)


@pytest.mark.parametrize("alias", ["util", "helpers"])
def test_a_helper_called_through_its_imported_module_is_reported(
    tmp_path: Path, alias: str
) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    main = THROUGH_MODULE
    if alias != "util":
        main = main.replace("import util", f"import util as {alias}").replace(
            "util.get_accuracy", f"{alias}.get_accuracy"
        )
    assert _lint(tmp_path, main) == ["12:19 NG004"]
    assert _lint(tmp_path, main, prefilter=False) == _lint(tmp_path, main)


def test_a_module_attribute_call_needs_that_module_beside(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(RESTORES)
    assert _lint(tmp_path, THROUGH_MODULE) == []  # the helper puts the model back
    (tmp_path / "util.py").unlink()
    (tmp_path / "other.py").write_text(LEAVES_EVAL)
    assert _lint(tmp_path, THROUGH_MODULE) == []  # no util.py: an installed package
    assert _lint(tmp_path, THROUGH_MODULE.replace("util", "other")) == ["12:19 NG004"]
    dotted = THROUGH_MODULE.replace("import util", "import pkg.util").replace(
        "util.get_accuracy", "pkg.util.get_accuracy"
    )
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "util.py").write_text(LEAVES_EVAL)
    assert _lint(tmp_path, dotted) == []  # ``import pkg.util`` binds a package: not read


@pytest.mark.parametrize(
    "content",
    [
        b"def get_accuracy(model:\n",  # does not parse
        b"\xff\xfe\x00garbage",  # not text
        b"# " + b"x" * (sibling_modules.MAX_BYTES + 10) + b"\n" + LEAVES_EVAL.encode(),
    ],
    ids=["syntax error", "undecodable", "too large"],
)
def test_a_helper_file_that_cannot_be_read_is_as_if_absent(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "util.py").write_bytes(content)
    assert _lint(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_the_helper_is_not_waited_on(tmp_path: Path) -> None:
    """Reading a FIFO with no writer blocks forever: the linter would hang on it (and
    this test would, but for the alarm)."""
    import signal

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("blocked on the FIFO")

    os.mkfifo(tmp_path / "util.py")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        assert _lint(tmp_path) == []
        # put in place after the helper was found, before it is read: not waited on
        assert sibling_modules._read(str(tmp_path / "util.py")) is None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_no_helper_file_and_a_helper_folder_without_it(tmp_path: Path) -> None:
    assert _lint(tmp_path) == []
    (tmp_path / "util").mkdir()  # a folder without ``__init__.py``
    assert _lint(tmp_path) == []


def test_source_without_a_file_reads_nothing_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    monkeypatch.chdir(tmp_path)
    assert check_source(MAIN, "<stdin>") == []


def test_the_helper_is_read_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "util.py").write_text(f"open({str(marker)!r}, 'w').close()\n" + LEAVES_EVAL)
    assert _lint(tmp_path) == ["12:19 NG004"]
    assert not marker.exists()


def test_a_changed_helper_is_read_again(tmp_path: Path) -> None:
    helper = tmp_path / "util.py"
    helper.write_text(LEAVES_EVAL)
    assert _lint(tmp_path) == ["12:19 NG004"]
    helper.write_text(RESTORES)
    stamp = helper.stat().st_mtime_ns + 1_000_000_000  # whatever the file system's clock
    os.utime(helper, ns=(stamp, stamp))
    assert _lint(tmp_path) == []


def test_flake8_reports_it(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    (tmp_path / "main.py").write_text(MAIN)
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "NG", "main.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.stdout.startswith("main.py:12:20: NG004 "), result.stdout + result.stderr


def test_a_helper_beside_that_hands_the_model_back(tmp_path: Path) -> None:
    """``net = described(model)`` with ``described`` imported from beside: ``net`` is the
    eval-mode model, and NG001's screen follows it there, as the analysis does; a class
    imported from beside makes a new object."""
    (tmp_path / "util.py").write_text(
        "def described(model):\n    print(model)\n    return model\n\n\n"
        "class Described:\n    def __init__(self, model):\n        self.model = model\n"
    )
    main = (
        "import torch\nfrom util import Described, described\n\n\n"
        "def predict(model, x):\n    model.eval()\n    net = described(model)\n"
        "    print(net(x).argmax())\n"
    )
    assert _lint(tmp_path, main) == ["8:10 NG001"]
    assert _lint(tmp_path, main, prefilter=False) == _lint(tmp_path, main)
    wrapped = main.replace("described(model)", "Described(model)")
    assert _lint(tmp_path, wrapped) == _lint(tmp_path, wrapped, prefilter=False) == []


def test_a_helper_of_the_script_that_calls_through_the_module(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    main = THROUGH_MODULE.replace(
        "def main(",
        "def validate(model, loader):\n    return util.get_accuracy(model, loader)\n\n\ndef main(",
    ).replace("= util.get_accuracy(", "= validate(")
    assert _lint(tmp_path, main) == ["16:19 NG004"]


@pytest.mark.parametrize(
    "main",
    [
        THROUGH_MODULE.replace("optimizer):", "optimizer, util):"),  # a parameter
        THROUGH_MODULE.replace("import util\n", "import util\n\nutil = util.Helper()\n"),
        THROUGH_MODULE.replace(
            ":\n    for epoch", ":\n    import other.util as util\n\n    for epoch"
        ),
    ],
    ids=["parameter", "rebound", "imported-again"],
)
def test_a_name_that_may_not_be_the_module_is_not_followed(tmp_path: Path, main: str) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    assert _lint(tmp_path, main) == []
    assert _lint(tmp_path, main, prefilter=False) == []


NESTED_HELPER = """\
import torch


def leaf(model):
    model.eval()


def get_accuracy(model, loader):
    leaf(model)
    with torch.no_grad():
        return sum(int(model(x).argmax() == y) for x, y in loader)
"""


def test_a_helper_read_deep_for_one_file_is_read_afresh_for_the_next(tmp_path: Path) -> None:
    # ``deep.py`` reaches ``get_accuracy`` three calls down, where the summary stops
    # before ``leaf``; a summary kept across files made ``main.py``, linted next in the
    # same process, miss the finding it has when linted alone.
    (tmp_path / "util.py").write_text(NESTED_HELPER)
    deep = MAIN.replace("get_accuracy(model, loader)", "h3(model, loader)") + "".join(
        f"\n\ndef h{n}(model, loader):\n    return {callee}(model, loader)\n"
        for n, callee in ((1, "get_accuracy"), (2, "h1"), (3, "h2"))
    )
    alone = _lint(tmp_path)
    assert alone == ["12:19 NG004"]
    assert _lint(tmp_path, deep, "deep.py") == []
    assert _lint(tmp_path) == alone
    # Within one file too: a reading three calls deep no longer serves the loop that
    # calls the helper itself. (Read nearer first, the helper's whole summary may serve
    # the deep chain as well, which is then reported too: a true finding either way.)
    both = MAIN + "\n\n" + deep.replace("def main(", "def main_deep(").split("\n\n\n", 1)[1]
    assert f"{_line_of(both, 'accuracy = get_')}:19 NG004" in _lint(tmp_path, both, "both.py")


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("statement", "where"),
    [
        ("from . import util", "util.py"),
        ("from . import util as helpers", "util.py"),
        ("from engine import util", "engine/util.py"),
        ("from .engine import util", "engine/util.py"),
    ],
)
def test_a_module_imported_with_from_is_read_through_its_name(
    tmp_path: Path, statement: str, where: str
) -> None:
    helper = tmp_path / where
    helper.parent.mkdir(exist_ok=True)
    (helper.parent / "__init__.py").write_text("")
    helper.write_text(LEAVES_EVAL)
    local = statement.rsplit(" ", 1)[-1]
    main = THROUGH_MODULE.replace("import util", statement).replace(
        "util.get_accuracy", f"{local}.get_accuracy"
    )
    assert _lint(tmp_path, main) == ["12:19 NG004"]
    assert _lint(tmp_path, main, prefilter=False) == _lint(tmp_path, main)
    helper.write_text(RESTORES)
    assert _lint(tmp_path, main) == []


def test_a_function_imported_with_from_is_no_module(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    main = MAIN.replace("= get_accuracy(", "= get_accuracy.get_accuracy(")
    assert _lint(tmp_path, main) == []  # ``get_accuracy`` is util's function, not a module


def test_a_package_that_binds_the_name_otherwise_is_not_read(tmp_path: Path) -> None:
    engine = tmp_path / "engine"
    engine.mkdir()
    (engine / "util.py").write_text(LEAVES_EVAL)
    (engine / "util_v2.py").write_text(RESTORES)
    main = THROUGH_MODULE.replace("import util", "from engine import util")
    (engine / "__init__.py").write_text("")
    assert _lint(tmp_path, main) == ["12:19 NG004"]
    (engine / "__init__.py").write_text("from . import util_v2 as util\n")
    assert _lint(tmp_path, main) == []  # Python finds ``engine.util`` bound to util_v2


def test_a_package_comes_before_a_module_of_its_name(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    package = tmp_path / "util"
    package.mkdir()
    (package / "__init__.py").write_text(RESTORES)
    assert _lint(tmp_path, THROUGH_MODULE) == []  # ``import util`` imports the package


def test_a_patched_module_function_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    main = THROUGH_MODULE + "\n\nutil.get_accuracy = lambda model, loader: 0\n"
    assert _lint(tmp_path, main) == []


STAR = MAIN.replace("from util import get_accuracy", "from util import *")


@pytest.mark.parametrize(
    ("helper", "reported"),
    [
        (LEAVES_EVAL, True),
        ("__all__ = ['get_accuracy']\n" + LEAVES_EVAL, True),
        ("__all__ = ['other']\n" + LEAVES_EVAL, False),  # not what ``*`` binds
        (LEAVES_EVAL.replace("get_accuracy", "_get_accuracy"), False),  # private
        ("__all__ = ['get' + '_accuracy']\n" + LEAVES_EVAL, True),  # read as public
        (RESTORES, False),
    ],
    ids=["public", "listed", "not-listed", "private", "computed-all", "restores"],
)
def test_a_function_bound_by_a_star_import_is_read(
    tmp_path: Path, helper: str, reported: bool
) -> None:
    (tmp_path / "util.py").write_text(helper)
    assert _lint(tmp_path, STAR) == (["12:19 NG004"] if reported else [])
    assert _lint(tmp_path, STAR, prefilter=False) == _lint(tmp_path, STAR)


def test_a_name_the_module_binds_itself_is_not_the_star_imports(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    own = STAR + "\n\ndef get_accuracy(model, loader):\n    return 0\n"
    assert _lint(tmp_path, own) == []
    assigned = STAR.replace("from util import *\n", "from util import *\nget_accuracy = len\n")
    assert _lint(tmp_path, assigned) == []


def test_the_later_star_import_binds_the_name(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text(LEAVES_EVAL)
    (tmp_path / "other.py").write_text("def get_accuracy(model, loader):\n    return 0\n")
    both = STAR.replace("from util import *", "from other import *\nfrom util import *")
    assert _lint(tmp_path, both) == ["13:19 NG004"]
    reversed_ = STAR.replace("from util import *", "from util import *\nfrom other import *")
    assert _lint(tmp_path, reversed_) == []


#: A script that spells none of the pre-filter's words: ``net``, no ``torch``, no ``eval``.
PLAIN = """\
from common import build, criterion, validate

net, opt = build()
for epoch in range(10):
    for x, y in loader:
        loss = criterion(net(x), y)
        loss.backward()
        opt.step()
    print(validate(net, val_loader))
"""


@pytest.mark.parametrize(
    "imports",
    [
        "from common import build, criterion, validate",
        "from common import *",
        "from common import (\n    build,\n    criterion,\n    validate,\n)",
        "import os; from common import build, criterion, validate",
    ],
    ids=["names", "star", "brackets", "after-a-semicolon"],
)
def test_the_pre_filter_reads_the_helpers_a_plain_script_imports(
    tmp_path: Path, imports: str
) -> None:
    (tmp_path / "common.py").write_text(
        "def build():\n    return None, None\n\n\ndef criterion(a, b):\n    return a\n\n\n"
        "def validate(net, loader):\n    net.eval()\n    return 0\n"
    )
    main = PLAIN.replace("from common import build, criterion, validate", imports)
    line = 9 + main.count("\n") - PLAIN.count("\n")
    assert _lint(tmp_path, main) == [f"{line}:10 NG004"]
    assert _lint(tmp_path, main, prefilter=False) == _lint(tmp_path, main)


@pytest.mark.parametrize(
    "source",
    [
        "from util import evaluate\n",
        "from .util import evaluate\n",
        "from . import util\n",
        "import util\n",
        "import util as u\n",
        "from util import *\n",
        "from pkg import util\n",
        "if True:\n    from util import (\n        evaluate,\n    )\n",
        "try:\n    import util\nexcept ImportError:\n    util = None\n",
    ],
)
def test_the_text_reading_of_imports_finds_every_module_the_tree_does(
    tmp_path: Path, source: str
) -> None:
    (tmp_path / "util.py").write_text("def evaluate(m):\n    m.eval()\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("def evaluate(m):\n    m.eval()\n")
    path = tmp_path / "main.py"
    path.write_text(source)

    def spells_eval(text: str) -> bool:
        return ".eval()" in text

    by_tree = sibling_modules.any_sibling_text(str(path), ast.parse(source), spells_eval)
    assert by_tree
    assert sibling_modules.any_imported_text(str(path), source, spells_eval)


# -- NG003: what a helper beside the script hands back -----------------------------------

RECONSTRUCT = """\
import torch.nn.functional as F
from data_utils import cached_outputs


def reconstruct(model, block, data, steps, optimizer):
    targets = cached_outputs(model, data)
    for _ in range(steps):
        err = F.mse_loss(block(data[0]), targets)
        err.backward(retain_graph=True)
        optimizer.step()
"""

#: The helper runs the model through an object of its module, whose ``__call__`` detaches.
CACHES_DETACHED = """\
import torch


class Catcher:
    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        with torch.no_grad():
            out = self.model(x)
        return out.detach()


def cached_outputs(model, data):
    catch = Catcher(model)
    outputs = []
    for batch in data:
        outputs.append(catch(batch).cpu())
    return torch.cat(outputs)
"""


def test_a_helper_beside_that_detaches_what_it_hands_back_frees_the_graph(
    tmp_path: Path,
) -> None:
    (tmp_path / "data_utils.py").write_text(CACHES_DETACHED)
    assert _lint(tmp_path, RECONSTRUCT) == ["9:21 NG003"]
    assert _lint(tmp_path, RECONSTRUCT, prefilter=False) == ["9:21 NG003"]


def test_a_helper_beside_that_hands_back_a_graph_keeps_it_needed(tmp_path: Path) -> None:
    keeps = CACHES_DETACHED.replace(
        "        with torch.no_grad():\n            out = self.model(x)\n        return out.detach()",
        "        return self.model(x)",
    )
    assert keeps != CACHES_DETACHED
    (tmp_path / "data_utils.py").write_text(keeps)
    assert _lint(tmp_path, RECONSTRUCT) == []  # every step differentiates that graph again


def test_without_the_helper_beside_the_graph_counts_as_needed(tmp_path: Path) -> None:
    assert _lint(tmp_path, RECONSTRUCT) == []


def test_the_folders_own_package_is_read_as_run_from_above(tmp_path: Path) -> None:
    package = tmp_path / "quant"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "data_utils.py").write_text(CACHES_DETACHED)
    main = RECONSTRUCT.replace("from data_utils import", "from quant.data_utils import")
    assert _lint(package, main, "recon.py") == ["9:21 NG003"]
    # NG004 reads a validation helper so imported the same way
    (package / "util.py").write_text(LEAVES_EVAL)
    assert _lint(package, MAIN.replace("from util import", "from quant.util import")) == [
        "12:19 NG004"
    ]
    # another package of that name is not the folder's own
    assert _lint(package, MAIN.replace("from util import", "from other.util import")) == []
    # in a package itself, the folder may be run from higher up, where another ``quant``
    # may come first: not read
    nested = tmp_path / "tools"
    nested.mkdir()
    (nested / "__init__.py").write_text("")
    package.rename(nested / "quant")
    assert _lint(nested / "quant", main, "recon.py") == []


def test_a_package_beside_the_folder_is_read_as_run_from_above(tmp_path: Path) -> None:
    optim, utils = tmp_path / "optim", tmp_path / "utils"
    optim.mkdir()
    utils.mkdir()
    (utils / "__init__.py").write_text("")
    (utils / "evaluate.py").write_text(LEAVES_EVAL)
    main = MAIN.replace("from util import", "from utils.evaluate import")
    assert _lint(optim, main) == ["12:19 NG004"]
    assert _lint(optim, main, prefilter=False) == ["12:19 NG004"]
    # a module of that name in the folder itself comes first
    (optim / "utils.py").write_text("def get_accuracy(model, loader):\n    return 0\n")
    assert _lint(optim, main) == []
    (optim / "utils.py").unlink()
    # a module beside the folder, not a package, is found the same way
    (tmp_path / "metrics.py").write_text(LEAVES_EVAL)
    assert _lint(optim, MAIN.replace("from util import", "from metrics import")) == ["12:19 NG004"]
    # in a package itself, the folder may be run from higher up: not read
    (tmp_path / "__init__.py").write_text("")
    assert _lint(optim, main) == []


@pytest.mark.parametrize(
    "helper, main",
    [
        # the module beside binds the name again: which function runs depends on a setting
        (
            CACHES_DETACHED
            + "\n\ndef graph_outputs(model, data):\n    return torch.cat([model(b) for b in data])\n"
            + "\n\nif FINETUNE:\n    cached_outputs = graph_outputs\n",
            RECONSTRUCT,
        ),
        # a decorator beside wraps it: what the wrapper hands back is not read
        (
            CACHES_DETACHED.replace("def cached_outputs", "@finetunable\ndef cached_outputs"),
            RECONSTRUCT,
        ),
        # a later star import may bind the name to another function
        (CACHES_DETACHED, RECONSTRUCT.replace("\n\n\ndef", "\nfrom finetune import *\n\n\ndef", 1)),
    ],
    ids=["rebound-beside", "decorated-beside", "star-import-after"],
)
def test_a_helper_beside_that_may_be_another_function_is_not_read(
    tmp_path: Path, helper: str, main: str
) -> None:
    assert main != RECONSTRUCT or helper != CACHES_DETACHED
    (tmp_path / "data_utils.py").write_text(helper)
    assert _lint(tmp_path, main) == []


# -- NG003: the parts of a helper's result, and the overrides of a method beside ---------

#: ``obs`` is a copy of numbers, ``h`` the graph of a hidden state only a subclass keeps.
LEARNER = """\
import torch
import torch.nn.functional as F


class BaseLearner(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = torch.nn.GRUCell(3, 4)
        self.steps = []

    def sample_batch(self):
        obs = torch.tensor([s for s, _ in self.steps])
        return obs, self.steps[0][1].detach()

    def fit(self, target, optimizer):
        obs, h = self.sample_batch()
        for _ in range(2):
            loss = F.mse_loss(self.cell(obs, h.expand(len(obs), -1)), target)
            loss.backward(retain_graph=True)
        optimizer.step()
"""

#: A module beside derives a class from it and hands back the hidden state's graph.
KEEPS_HIDDEN = """\
from learner import BaseLearner


class BpttLearner(BaseLearner):
    def sample_batch(self):
        obs, _ = super().sample_batch()
        return obs, self.steps[0][1]
"""


def test_a_method_whose_parts_carry_no_graph_frees_it(tmp_path: Path) -> None:
    assert _lint(tmp_path, LEARNER, "learner.py") == ["19:26 NG003"]


def test_a_subclass_beside_that_overrides_the_method_keeps_it_needed(tmp_path: Path) -> None:
    (tmp_path / "bptt.py").write_text(KEEPS_HIDDEN)
    assert _lint(tmp_path, LEARNER, "learner.py") == []
    (tmp_path / "bptt.py").write_text(KEEPS_HIDDEN.replace("def sample_batch", "def other"))
    assert _lint(tmp_path, LEARNER, "learner.py") == ["19:26 NG003"]


def test_a_helper_beside_is_read_by_the_part_unpacked(tmp_path: Path) -> None:
    helper = (
        "import torch\n\n\ndef split(model, data):\n"
        "    return torch.tensor(data.tolist()), model(data)\n"
    )
    (tmp_path / "batches.py").write_text(helper)
    main = (
        "import torch.nn.functional as F\nfrom batches import split\n\n\n"
        "def fit(model, head, data, optimizer):\n"
        "    {targets}, {feats} = split(model, data)\n"
        "    for _ in range(3):\n"
        "        loss = F.mse_loss(head({read}), data)\n"
        "        loss.backward(retain_graph=True)\n"
        "        optimizer.step()\n"
    )
    copied = main.format(targets="targets", feats="_", read="targets")
    assert _lint(tmp_path, copied) == ["9:22 NG003"]
    kept = main.format(targets="_", feats="feats", read="feats")
    assert _lint(tmp_path, kept) == []  # every step differentiates the model's graph again
