"""Property tests on generated Python: the analysis never crashes, and no_grad means silence.

``hypothesmith`` generates programs from Python's grammar (``from_grammar``) and from
LibCST's node types (``from_node``). The first tests only require that the analysis never
raises anything but :class:`SourceError` for bad input; they put an eval call in front so
that the pre-filter lets every program through to the analysis. The template tests splice
generated statements around ``model.eval()``, ``with torch.no_grad():`` and forward calls
and check two invariants: a forward call inside ``no_grad`` is never reported, and wrapping
every reported statement in ``no_grad`` leaves nothing to report. Two differential
properties draw training steps and modules of definitions that reach into each other from
statements the screen and pruning reason about. Every property also checks that the text
pre-filter, the ``ast`` screen and pruning change no finding (``analyse_or_refuse``). A last
one draws hostile shapes (nesting at Python's limits and this analysis's, many models, odd
line breaks, seven encodings) through the analysis and the autofix.

The CI run is bounded (about 45 s). For a larger run set ``NOGRAD_FUZZ_EXAMPLES``, e.g.
``NOGRAD_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py``; docs/lint-speed.md says what the
properties cover.
"""

from __future__ import annotations

import os
import re
import textwrap

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from nograd_lint import SourceError, check_source
from nograd_lint.api import screened_calls
from nograd_lint.errors import InternalError
from nograd_lint.prefilter import might_have_findings
from nograd_lint.screen import might_have_findings_in_tree
from nograd_lint.source import parse_python

EXAMPLES = int(os.environ.get("NOGRAD_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
SLOW_FUZZ = settings(FUZZ, max_examples=EXAMPLES or 10)  # from_node draws ~0.15 s an example
#: hypothesmith compiles what it generates, and Python warns about some of it (``"a"()``):
#: the generator's warnings, not the linter's, which compiles the user's code with warnings
#: silenced (``source.check_compiles``).
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

EVAL_HEADER = "import torch\nmodel.eval()\n"
#: Generated code that touches these could legitimately change what is reported.
GRAD_WORDS = re.compile(r"torch|grad|inference_mode|no_grad|model|__future__|nonlocal|global")


def analyse_or_refuse(source: str) -> list:
    """Findings, or [] when the source is refused as bad input; a crash fails the test.
    Any finding must also pass the text pre-filter and the flake8 plugin's ``ast`` screens:
    every rule's together, and NG001's alone for an NG001 finding."""
    try:
        findings = check_source(source)
    except InternalError:
        raise
    except SourceError:
        return []
    # The pre-filter, the screen and pruning change nothing, unless the stdlib cannot parse
    # the source (no screen then, and flake8 would report E999 and never run the plugin).
    tree = parse_python(source)
    if tree is not None:
        assert findings == check_source(source, prefilter=False)
    if findings:
        assert might_have_findings(source)
        assert tree is None or screened_calls(tree, source) != []
    if tree is not None and any(finding.code == "NG001" for finding in findings):
        assert might_have_findings_in_tree(tree, source)
    return findings


@FUZZ
@given(hypothesmith.from_grammar())
def test_programs_from_the_grammar_never_crash_the_analysis(program: str) -> None:
    analyse_or_refuse(EVAL_HEADER + program + "\nmodel(x)\n")


@SLOW_FUZZ
@given(hypothesmith.from_node())
def test_programs_from_libcst_nodes_never_crash_the_analysis(program: str) -> None:
    analyse_or_refuse(EVAL_HEADER + program + "\nmodel(x)\n")


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    analyse_or_refuse(EVAL_HEADER.encode() + data)


def _statements() -> st.SearchStrategy[str]:
    return hypothesmith.from_grammar().filter(lambda code: not GRAD_WORDS.search(code))


def _indent(code: str) -> str:
    return textwrap.indent(code, "    ", lambda line: True) if code.strip() else ""


TEMPLATE = """\
import torch

model.eval()
{before}
with torch.no_grad():
{inside}
    guarded = model(x)
{after}
def run(batch):
    model.eval()
{in_function}
    with torch.no_grad():
        also_guarded = model(batch)
    maybe_wasteful = model(batch)
    return maybe_wasteful
"""


def _program(before: str, inside: str, after: str, in_function: str) -> str:
    return TEMPLATE.format(
        before=before, inside=_indent(inside), after=after, in_function=_indent(in_function)
    )


def _line_of(source: str, text: str) -> int:
    """Python's own line numbering: ``str.splitlines`` would also split at \\x1e, \\x0c..."""
    return re.split(r"\r\n|\r|\n", source).index(text) + 1


@FUZZ
@given(_statements(), _statements(), _statements(), _statements())
def test_a_forward_call_inside_no_grad_is_never_reported(
    before: str, inside: str, after: str, in_function: str
) -> None:
    source = _program(before, inside, after, in_function)
    findings = analyse_or_refuse(source)
    reported = {f.line for f in findings}
    assert _line_of(source, "    guarded = model(x)") not in reported
    assert _line_of(source, "        also_guarded = model(batch)") not in reported


def _body_statements(node: cst.CSTNode) -> list[cst.BaseStatement]:
    """The statements of the indented bodies right under ``node`` (not deeper)."""
    found, stack = [], list(node.children)
    while stack:
        child = stack.pop()
        if isinstance(child, cst.IndentedBlock):
            found.extend(child.body)
        elif not isinstance(child, cst.BaseStatement):
            stack.extend(child.children)
    return found


class _WrapInNoGrad(cst.CSTTransformer):
    """Puts each given statement, wherever its body is, into ``with torch.no_grad():``."""

    def __init__(self, targets: set[int]) -> None:
        super().__init__()
        self.targets = targets  # ids of original statements

    def _wrapped(self, original: tuple, updated: tuple) -> list:
        return [
            cst.With(
                items=[cst.WithItem(cst.parse_expression("torch.no_grad()"))],
                body=cst.IndentedBlock([new]),
            )
            if id(old) in self.targets
            else new
            for old, new in zip(original, updated)
        ]

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated.with_changes(body=self._wrapped(original.body, updated.body))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=self._wrapped(original.body, updated.body))


def wrap_reported_statements(source: str, lines: set[int]) -> str:
    """Wrap the innermost statement of a body that spans each reported line."""
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)

    def reported(statement: cst.CSTNode) -> bool:
        span = positions[statement]
        return any(span.start.line <= line <= span.end.line for line in lines)

    targets, stack = set(), list(wrapper.module.body)
    while stack:
        statement = stack.pop()
        if not reported(statement):
            continue
        inner = [s for s in _body_statements(statement) if reported(s)]
        if inner:
            stack.extend(inner)
        else:
            targets.add(id(statement))
    return wrapper.module.visit(_WrapInNoGrad(targets)).code


@FUZZ
@given(_statements(), _statements(), _statements(), _statements())
def test_wrapping_every_reported_statement_in_no_grad_leaves_nothing(
    before: str, inside: str, after: str, in_function: str
) -> None:
    source = _program(before, inside, after, in_function)
    findings = analyse_or_refuse(source)
    if not findings:
        return
    wrapped = wrap_reported_statements(source, {f.line for f in findings})
    assert check_source(wrapped) == [], wrapped


def test_the_template_itself_reports_only_the_unguarded_call() -> None:
    source = _program("", "", "", "")
    assert [f.line for f in check_source(source)] == [
        _line_of(source, "    maybe_wasteful = model(batch)")
    ]
    assert (
        check_source(
            wrap_reported_statements(
                source, {_line_of(source, "    maybe_wasteful = model(batch)")}
            )
        )
        == []
    )


@pytest.mark.parametrize(
    "statement",
    [
        "if model(x):\n    pass",
        "for y in model(x):\n    pass",
        "while model(x):\n    break",
        "y = [model(x) for x in xs]",
    ],
)
def test_wrapping_compound_statements(statement: str) -> None:
    source = f"import torch\nmodel.eval()\n{statement}\n"
    findings = check_source(source)
    assert findings, source
    assert check_source(wrap_reported_statements(source, {f.line for f in findings})) == []


#: Statements the screen's rules reason about: eval sources, forward calls, gradient code,
#: everything that ends an eval period or leaves the path between a forward call and
#: gradient code (``analysis.values``).
FLOW_STATEMENTS = [
    "model.eval()",
    "model.train()",
    "net = model",
    "net = Net().eval()",
    "model = other",
    "out = model(x)",
    "out = net(x)",
    "model = model(x)",
    "out = self.model(x)",
    "self.model.eval()",
    "self = other",
    "loss.backward()",
    "accelerator.backward(loss)",
    "optimizer.zero_grad()",
    "optimizer.step()",
    "scheduler.step()",
    "del model",
    "import model",
    "return out",
    "return model(x)",
    "raise ValueError(x)",
    "out = [model(y) for y in xs]",
    "f = lambda: loss.backward()",
    "model.requires_grad_(False)",
    "helper(model)",
    "helper(x, model)",
    "helper(m=model)",
    "self.helper(model)",
    "model.x = net",
    "net.model = other",
    "(model := other)",
    "model = AutoModel.from_pretrained(p)",
]
LOOP_ONLY = ["break", "continue"]


def _flow_block(
    depth: int,
    in_loop: bool,
    in_function: bool = True,
    vocabulary: tuple[str, ...] = tuple(FLOW_STATEMENTS),
) -> st.SearchStrategy[list[str]]:
    allowed = [s for s in vocabulary if in_function or not s.startswith("return")]
    simple = st.sampled_from(allowed + (LOOP_ONLY if in_loop else []))
    if depth == 0:
        return st.lists(simple, min_size=1, max_size=5)

    def block(
        in_loop: bool = in_loop, in_function: bool = in_function
    ) -> st.SearchStrategy[list[str]]:
        return _flow_block(depth - 1, in_loop, in_function, vocabulary)

    nested = st.one_of(
        simple,
        block().map(lambda body: "if c:\n" + _indent("\n".join(body))),
        st.tuples(block(), block()).map(
            lambda b: "if c:\n" + _indent("\n".join(b[0])) + "\nelse:\n" + _indent("\n".join(b[1]))
        ),
        block(in_loop=True).map(lambda body: "for x in xs:\n" + _indent("\n".join(body))),
        block(in_loop=True).map(lambda body: "while c:\n" + _indent("\n".join(body))),
        block().map(lambda body: "with torch.no_grad():\n" + _indent("\n".join(body))),
        block().map(lambda body: "try:\n" + _indent("\n".join(body)) + "\nexcept E:\n    pass"),
        block(in_loop=False, in_function=True).map(
            lambda body: "def helper(a, m=None):\n" + _indent("\n".join(body))
        ),
    )
    return st.lists(nested, min_size=1, max_size=6)


# Found by this property: a module-level helper under nested ifs that the class's step
# calls, and an NG002 finding at module level that NG001's screen alone rightly rejects.
@example(
    ["helper(model)"],
    [
        "if c:\n    if c:\n        net = Net().eval()\n    def helper(a, m=None):\n"
        "        out = net(x)\n        helper(model)"
    ],
    "step",
)
@example(
    ["model.eval()"],
    ["if c:\n    if c:\n        model.train()\n        out = [model(y) for y in xs]"],
    "step",
)
@settings(FUZZ, max_examples=EXAMPLES or 150)
@given(
    _flow_block(3, False),
    _flow_block(2, False, in_function=False),
    st.sampled_from(["step", "forward"]),
)
def test_the_screen_passes_every_finding_in_training_steps(
    body: list[str], module: list[str], method: str
) -> None:
    """Differential: whatever the analysis reports in random training-step code, the ``ast``
    screen lets through (``analyse_or_refuse`` asserts it). ``forward`` methods get no
    class-wide eval state in the analysis; other methods do (``prepare``)."""
    source = (
        "import torch\n\n{}\n\nclass Trainer:\n    def prepare(self):\n        self.model.eval()\n\n"
        "    def helper(self, m):\n        return m(self.x)\n\n"
        "    def {}(self, model, x, xs, c):\n{}\n"
    ).format("\n".join(module), method, textwrap.indent("\n".join(body), "        "))
    analyse_or_refuse(source)


#: What reaches from one top-level definition into another (``prune`` keeps a body whole for
#: each): calls of the module's functions and class, local imports, the module's decorators
#: and context managers, training a module-level model, rebinding ``torch``.
ACROSS_DEFINITIONS = (
    "f0(model)",
    "f1(x, model)",
    "out = f2(model, x)",
    "Helper(model)",
    "with f2():\n    out = model(x)",
    "import wandb",
    "from torch import no_grad as guard",
    "with guard():\n    out = model(x)",
    "import paddle",
    "import torch",
    "torch = other",
    "net.train()",
    "torch.set_grad_enabled(False)",
    "return f0",
)
#: Drawn as often as all of ``FLOW_STATEMENTS`` together.
ACROSS_VOCABULARY = (*FLOW_STATEMENTS, *ACROSS_DEFINITIONS * 2)
#: Statements without a forward call the screen could suspect: a body made of them is pruned
#: unless it reaches into the code that is kept.
REACHING_STATEMENTS = (
    "f0(net)",
    "f0(net.eval())",
    "f1(x, model)",
    "f1(x, m=net)",
    "with torch.no_grad():\n    f0(net)",
    "with torch.no_grad():\n    f1(x, model)",
    "register(f0)",
    "net = Net().eval()",
    "net = other",
    "import wandb",
    "from torch import no_grad as guard",
    "import paddle",
    "import torch",
    "model.train()",
    "net.train()",
    "torch = other",
    "with torch.no_grad():\n    yield",
    "with torch.no_grad():\n    return model(x)",
    "pass",
)
#: Module-level code calls no function itself, so that the other definitions' calls decide.
MODULE_VOCABULARY = tuple(s for s in ACROSS_VOCABULARY if not s.startswith(("f0(", "f1(")))
DECORATORS = st.sampled_from(
    ["", "@f0\n", "@f2\n", "@torch.no_grad()\n", "@contextlib.contextmanager\n"]
)
#: A class body runs with the module's code: its imports reach module-level code too.
CLASS_STATEMENTS = st.sampled_from(
    ["pass", "from torch import no_grad as guard", "import paddle", "net = f0(model)"]
)


@settings(FUZZ, max_examples=EXAMPLES or 100)
@given(
    st.lists(
        st.tuples(DECORATORS, _flow_block(2, False, vocabulary=ACROSS_VOCABULARY)),
        min_size=2,
        max_size=2,
    ),
    st.tuples(DECORATORS, _flow_block(1, False, vocabulary=REACHING_STATEMENTS)),
    CLASS_STATEMENTS,
    _flow_block(1, False, vocabulary=REACHING_STATEMENTS),
    _flow_block(1, False, in_function=False, vocabulary=MODULE_VOCABULARY),
)
# Mutually recursive helpers (f1 calls f2 calls f1): the screens asked about one first and
# the analysis then reused a summary computed while the other was still being read.
@example(
    functions=[
        ("", ["if c:\n    if c:\n        f1(x, model)\n    else:\n        out = f2(model, x)"]),
        ("", ["out = f2(model, x)"]),
    ],
    reaching=("", ["for x in xs:\n    f0(net)", "if c:\n    f1(x, model)\n    model.train()"]),
    class_statement="pass",
    method=[
        "f1(x, model)",
        "if c:\n    torch = other\n    with torch.no_grad():\n        return model(x)",
    ],
    module=["Helper(model)"],
)
# A cycle f0 -> f2 -> f1 -> f0 read from f0 first (by the screens) and from f1 first (by
# the analysis) gave two answers while a summary cut at one function stayed cached.
@example(
    functions=[
        ("", ["if c:\n    if c:\n        model.eval()\n    else:\n        out = f2(model, x)"]),
        (
            "",
            [
                "model.eval()",
                "f1(x, model)",
                "if c:\n    out = model(x)\n    if c:\n        model.train()\nelse:\n    f0(model)",
            ],
        ),
    ],
    reaching=("", ["if c:\n    f0(net)\nelse:\n    f1(x, model)"]),
    class_statement="pass",
    method=["f0(net)"],
    module=["for x in xs:\n    out = f2(model, x)"],
)
@example(
    # The test always failed when commented parts were varied together.
    functions=[
        (
            "",  # or any other generated value
            ["model.eval()"],  # or any other generated value
        ),
        (
            "",
            [
                "for x in xs:\n    if c:\n        model.eval()\n        f1(x, model)\n        out = f2(model, x)\n        out = model(x)\n        model.train()"
            ],
        ),
    ],
    reaching=(
        "",  # or any other generated value
        ["f1(x, model)"],
    ),
    class_statement="pass",
    method=["f1(x, model)"],
    module=["model.eval()"],
).via("discovered failure")
def test_pruning_changes_no_finding_across_definitions(
    functions: list[tuple[str, list[str]]],
    reaching: tuple[str, list[str]],
    class_statement: str,
    method: list[str],
    module: list[str],
) -> None:
    """Differential: random modules of three functions and a class that reach into each
    other report the same with pruning as without (``analyse_or_refuse`` asserts it). Two
    functions are training steps; the third function and the class have no forward call the
    screen could suspect, so pruning stubs them unless a rule of ``prune`` keeps them."""
    definitions = [
        *(
            f"{decorator}def f{index}(model, x, xs, c):\n{_indent(chr(10).join(body))}\n"
            for index, (decorator, body) in enumerate([*functions, reaching])
        ),
        f"class Helper:\n    {class_statement}\n\n    def __init__(self, model, x, xs, c):\n"
        f"{textwrap.indent(chr(10).join(method), ' ' * 8)}\n",
    ]
    # No ``import torch`` unless drawn: with ``import paddle`` somewhere, whether any code
    # imports torch decides ``is_other_framework``.
    header = "import contextlib\n\nmodel = Net().eval()\nnet = Net().eval()\n"
    analyse_or_refuse("\n".join([header, definitions[-1], *module, "", *definitions[:-1]]))


# -- hostile shapes: deep nesting near Python's limits, many models, odd newlines and encodings

#: (opening, closing) of nestings Python limits to 200 brackets, or that nest without them.
NESTINGS = st.sampled_from(
    [
        ("(", ")"),
        ("[", "]"),
        ("{1: ", "}"),
        ("f(", ")"),
        ("model(x) + (", ")"),
        ("-", ""),
        ("not ", ""),
        ("lambda: ", ""),
        ("model(x) if c else ", ""),
    ]
)
#: Around the bracket limit (200), and on both sides of the nesting this analysis accepts
#: (1,000), mostly below either so that most examples reach the analysis and the autofix;
#: LibCST takes seconds for a chain close to 1,000, so none is drawn.
DEPTHS = st.sampled_from([1, 5, 30, 120, 199, 200, 201])
CHAIN_LINKS = st.sampled_from([".b", "[0]", "()", " and model(x)", " or x"])
CHAIN_LENGTHS = st.sampled_from([1, 10, 100, 1001, 1400])
MODEL_SHAPES = st.sampled_from(
    [
        "m{i} = Net()\nm{i}.eval()\nm{i}(x)\n",
        "m{i} = m{j}\n",
        "m{i}.eval()\n",
        "with torch.no_grad():\n    m{i}(x)\n",
        "def f{i}(x):\n    m{j}.train()\n    return m{i}(x)\n",
    ]
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])
#: Characters ``str.splitlines`` breaks at and Python does not: in a comment or a string, or
#: the form feed Python allows before a statement.
ODD_LINES = st.sampled_from(["", "# \x1c\x1d\x1e\x85\u2028\u2029", "x = '\u2028'", "\x0c"])
ODD_INDENTS = st.sampled_from(["", "\x0c"])
#: Mostly UTF-8: Python reads no UTF-16 source at all.
ENCODINGS = st.sampled_from(
    ["utf-8", "utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-7", "utf-16", "euc_jp"]
)


@st.composite
def hostile_sources(draw: st.DrawFn) -> bytes:
    """A module mixing one deep nesting, one long chain, many models, odd line breaks and
    whitespace, encoded in a coding Python may or may not accept."""
    opening, closing = draw(NESTINGS)
    depth = draw(DEPTHS)
    link, length = draw(CHAIN_LINKS), draw(CHAIN_LENGTHS)
    models = draw(st.integers(0, 60))  # thousands: test_limits
    shapes = [draw(MODEL_SHAPES) for _ in range(min(models, 5))]
    lines = ["import torch", "model.eval()", draw(ODD_LINES), draw(ODD_INDENTS) + "y = model(x)"]
    lines.append(f"deep = {opening * depth}model(x){closing * depth}")
    lines.append(f"chain = model(x){link * length}")
    body = "".join(
        shapes[i % len(shapes)].format(i=i, j=max(i - 1, 0)) for i in range(models) if shapes
    )
    lines.extend(body.splitlines())
    lines.append(draw(ODD_LINES))
    newline = draw(NEWLINES)
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(ENCODINGS)
    cookie = (
        f"# -*- coding: {encoding} -*-{newline}" if encoding not in ("utf-8", "utf-8-sig") else ""
    )
    return (cookie + text).encode(encoding, errors="replace")


@settings(FUZZ, max_examples=EXAMPLES or 15)
@given(hostile_sources())
def test_hostile_shapes_are_analysed_fixed_or_refused_in_one_line(data: bytes) -> None:
    """The command's analysis and the autofix either answer or refuse in one line (no crash,
    no other exception); a fix leaves source that Python compiles and never adds findings."""
    from nograd_lint.fix import fix_source

    try:
        findings = check_source(data)
    except InternalError:
        raise
    except SourceError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert findings == check_source(data, prefilter=False)
    try:
        result = fix_source(data)
    except InternalError:
        raise
    except SourceError as error:
        assert str(error) and "\n" not in str(error)
        return
    if result.changed:
        compile(result.text, "<fixed>", "exec", dont_inherit=True)
    assert len(result.remaining) <= len(findings) - len(result.fixed)
