"""What the analysis knows about PyTorch, as data: every fact has its one home here.

Everything here is keyed by *qualified* names (``torch.no_grad``) or by method names; the
import table (:mod:`.imports`) maps what a module writes onto these names. Each layer derives
what it needs from these tables: the text pre-filter its words and patterns, the ``ast``
screen its tests, the LibCST analysis its own. Where two layers must read the same call the
same way (is ``x.train(0)`` an eval call? what does ``inference_mode(False)`` do?), the
reading is one function here over :class:`Arg`, a view of a call's arguments that both
trees are turned into, so the answers cannot drift apart.

Adding a fact is adding a row here and a case file under ``tests/cases``; the soundness
tests (``tests/test_soundness.py``) walk every row and check on a snippet that uses it that
the analysis reports what the row says and the cheap layers drop none of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

from ..lazy_pattern import LazyPattern

# Records are named tuples rather than dataclasses: flake8 imports this module on every run,
# and a frozen dataclass costs a millisecond to define.


class Arg(NamedTuple):
    """One argument of a call, as the facts below read it, from either syntax tree.

    ``keyword`` is None for a positional argument; ``star`` marks ``*args`` and ``**kwargs``;
    ``truth`` is the value of a ``True``/``False``/integer literal, None for anything else.
    """

    keyword: str | None = None
    star: bool = False
    truth: bool | None = None


def flag_argument(args: Sequence[Arg], keyword: str) -> Arg | None:
    """The argument that sets a call's one flag: its first plain positional argument, else
    the one named ``keyword``; None when neither is given."""
    named = None
    for arg in args:
        if arg.keyword is None and not arg.star:
            return arg
        if named is None and arg.keyword == keyword:
            named = arg
    return named


# -- eval mode: what puts a module in eval (or train) mode -------------------------------


class Mode(Enum):
    EVAL = "eval"
    TRAIN = "train"


class ModeSetter(NamedTuple):
    """``module.<method>()`` puts the module in ``default`` mode. A setter with a ``flag``
    also takes that one argument, by position or by keyword: a false literal (``False``,
    ``0``) means eval mode, anything else train mode (``train(is_training)`` is code that
    knows its mode). Any other arguments (``df.eval("a + b")``) make it not a mode setter."""

    method: str
    default: Mode
    flag: str | None = None


MODE_SETTERS: tuple[ModeSetter, ...] = (
    ModeSetter("eval", Mode.EVAL),
    ModeSetter("train", Mode.TRAIN, flag="mode"),
)
_MODE_SETTERS_BY_METHOD = {setter.method: setter for setter in MODE_SETTERS}
#: ``module.training``: true in train mode (``if not model.training: model.train()``).
MODE_FLAG_ATTRIBUTE = "training"
#: Method names that may set a mode: only their calls need :func:`mode_set`.
MODE_SETTER_METHODS: frozenset[str] = frozenset(_MODE_SETTERS_BY_METHOD)


def shadows_mode_setter(method: str, parameters: Sequence[str]) -> bool:
    """A method a class defines under a mode setter's name with other parameters (after
    ``self``) than the setter's: a trainer's ``def train(self, loader)``, whose call
    ``self.train(loader)`` runs the class's own code, not ``nn.Module.train``. An override
    with the setter's own signature (``def train(self, mode=True)``) still sets the mode."""
    setter = _MODE_SETTERS_BY_METHOD.get(method)
    if setter is None:
        return False
    return list(parameters) not in ([], [setter.flag] if setter.flag else [])


def mode_set(method: str, args: Sequence[Arg], on_class: bool = False) -> Mode | None:
    """The mode ``x.<method>(args)`` puts ``x`` in, None when it is not a mode setter.
    ``on_class``: called on a module class (``nn.Module.train(x, *args)``,
    ``is_module_class``), whose first argument, by position, is the module it sets."""
    if on_class:
        if not args or args[0].star or args[0].keyword is not None:
            return None
        args = args[1:]
    setter = _MODE_SETTERS_BY_METHOD.get(method)
    if setter is None:
        return None
    if not args:
        return setter.default
    if setter.flag is None or len(args) != 1:
        return None
    arg = args[0]
    if arg.star or arg.keyword not in (None, setter.flag):
        return None
    return Mode.EVAL if arg.truth is False else Mode.TRAIN


def is_module_class(name: str | None) -> bool:
    """``nn.Module``, ``torch.nn.Module``, ``pl.LightningModule``: a setter called on one
    (``nn.Module.train(model)``) is called unbound, on its first argument."""
    return name is not None and name.rsplit(".", 1)[-1] in MODULE_BASE_NAMES


# -- freezing: parameters that need no gradient ---------------------------------------------


class Freezer(NamedTuple):
    """``module.<method>(...)`` turns gradients of the module's parameters off. With a
    ``flag`` (true when omitted) it freezes when the flag is a false literal and unfreezes
    otherwise; without one it freezes when called without arguments (Lightning's
    ``freeze()``, which also sets eval mode)."""

    method: str
    flag: str | None = None


FREEZERS: tuple[Freezer, ...] = (Freezer("requires_grad_", flag="requires_grad"), Freezer("freeze"))
_FREEZERS_BY_METHOD = {freezer.method: freezer for freezer in FREEZERS}
FREEZER_METHODS: frozenset[str] = frozenset(_FREEZERS_BY_METHOD)


def freezes(method: str, args: Sequence[Arg]) -> bool:
    """``m.requires_grad_(False)``, ``m.freeze()``."""
    freezer = _FREEZERS_BY_METHOD.get(method)
    if freezer is None:
        return False
    if freezer.flag is None:
        return not args
    flag = flag_argument(args, freezer.flag)
    return flag is not None and flag.truth is False


#: ``model.apply(fn)`` calls ``fn`` on every submodule and on the model itself: a ``fn`` that
#: calls ``train()`` puts them all in train mode.
MODULE_VISITOR_METHOD = "apply"

#: ``getattr(self, "on_epoch_start")()``: a method looked up by name at run time, the one
#: named or any of the object's, which may put the models it holds back in train mode (a
#: hook dispatched by name).
METHOD_BY_NAME = "getattr"

#: ``nn.Module`` methods that return the module itself, so ``Net().to(dev).eval()`` is the
#: module in eval mode and ``model.cuda().eval()`` puts ``model`` in eval mode; the mode
#: setters and freezers return it too.
MODULE_RETURNING_METHODS: frozenset[str] = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "xpu",
        "half",
        "float",
        "double",
        "bfloat16",
        "type",
        "share_memory",
        "to_empty",
        MODULE_VISITOR_METHOD,
        *MODE_SETTER_METHODS,
        *FREEZER_METHODS,
    }
)

#: Methods that return an eval-mode *copy* of the module and leave the module's own mode as
#: it was: Lightning's ``LightningModule.to_torchscript()`` ("the exported script will be
#: set to evaluation mode").
EVAL_COPY_METHODS: frozenset[str] = frozenset({"to_torchscript"})

#: Hugging Face's loaders return models in eval mode ("the model is set in evaluation mode by
#: default", transformers and diffusers), but the same name makes tokenizers, processors,
#: configs, schedulers and pipelines, which are not modules: only classes named like a model
#: count. Each pattern of a class name, with a class it is there for.
PRETRAINED_LOADERS: frozenset[str] = frozenset({"from_pretrained"})
PRETRAINED_MODEL_NAMES: dict[str, str] = {
    "Model": "AutoModel",
    "For[A-Z]": "AutoModelForCausalLM",
    "LMHead": "GPT2LMHeadModel",
    "UNet": "UNet2DConditionModel",
    "ControlNet": "ControlNetModel",
    "^Autoencoder": "AutoencoderKL",
}
#: Patterns that win over those: not modules, or (``FlaxBertModel``, ``TFBertModel``) JAX and
#: TensorFlow models, which build no autograd graph.
PRETRAINED_NON_MODEL_NAMES: dict[str, str] = {
    "Tokenizer": "AutoTokenizer",
    "Processor": "AutoProcessor",
    "Pipeline": "StableDiffusionPipeline",
    "Extractor": "AutoFeatureExtractor",
    "Config": "AutoConfig",
    "Scheduler": "DDPMScheduler",
    "^(?:Flax|TF)[A-Z]": "FlaxBertModel",
}
PRETRAINED_MODEL_CLASS = LazyPattern("|".join(PRETRAINED_MODEL_NAMES))
PRETRAINED_NON_MODEL_CLASS = LazyPattern("|".join(PRETRAINED_NON_MODEL_NAMES))


def loads_eval_model(owner: str) -> bool:
    """``from_pretrained`` on this class name (the last part of a dotted name) returns an
    eval-mode model."""
    return bool(PRETRAINED_MODEL_CLASS.search(owner)) and not PRETRAINED_NON_MODEL_CLASS.search(
        owner
    )


def returns_eval_model(method: str, owner: str | None) -> bool:
    """``owner.<method>(...)`` makes a module in eval mode: ``model.to_torchscript()``,
    ``AutoModel.from_pretrained(...)``. ``owner`` is the last part of the receiver's dotted
    name, None when it is not a dotted name."""
    if method in PRETRAINED_LOADERS:
        return owner is not None and loads_eval_model(owner)
    return method in EVAL_COPY_METHODS


#: Calls that return the module they wrap with its mode unchanged, so
#: ``model = torch.compile(model)`` after ``model.eval()`` is still an eval-mode model.
EVAL_PRESERVING_WRAPPERS: frozenset[str] = frozenset(
    {
        "copy.deepcopy",
        "torch.compile",
        "torch.jit.script",
        "torch.jit.trace",
        "torch.jit.freeze",
        "torch.jit.optimize_for_inference",
        "torch.nn.DataParallel",
        "torch.nn.parallel.DataParallel",
        "torch.nn.parallel.DistributedDataParallel",
        "torch.nn.parallel.data_parallel.DataParallel",
        "torch.nn.parallel.distributed.DistributedDataParallel",
        "torch.distributed.fsdp.FullyShardedDataParallel",
        "torch.quantization.quantize_dynamic",
        "torch.ao.quantization.quantize_dynamic",
        "intel_extension_for_pytorch.optimize",
    }
)
#: The same wrappers when the import table cannot resolve them (``nn.DataParallel`` after
#: ``from torch import nn`` resolves; a bare ``DDP`` alias from a helper module does not).
EVAL_PRESERVING_WRAPPER_NAMES: frozenset[str] = frozenset(
    {
        "DataParallel",
        "DistributedDataParallel",
        "DDP",
        "FullyShardedDataParallel",
        "FSDP",
        "deepcopy",
        # and the unwrappers: ``accelerator.unwrap_model(model)``, yolov5's ``de_parallel(model)``
        "unwrap_model",
        "de_parallel",
    }
)
#: The wrappers among them that make a new module, in the same mode, rather than hold the
#: one they are given (``torch.jit.script`` compiles a copy, ``quantize_dynamic`` and IPEX's
#: ``optimize`` copy unless told to work in place).
MODULE_COPYING_WRAPPERS: frozenset[str] = frozenset(
    {
        "copy.deepcopy",
        "torch.jit.script",
        "torch.jit.trace",
        "torch.jit.freeze",
        "torch.jit.optimize_for_inference",
        "torch.quantization.quantize_dynamic",
        "torch.ao.quantization.quantize_dynamic",
        "intel_extension_for_pytorch.optimize",
    }
)
#: The others hold the very module they wrap (``model = DataParallel(model)``,
#: ``torch.compile``, ``accelerator.unwrap_model``): a mode setter on either applies to
#: both, so a name bound to the wrapper is another name for the module.
MODULE_SHARING_WRAPPERS: frozenset[str] = EVAL_PRESERVING_WRAPPERS - MODULE_COPYING_WRAPPERS
MODULE_SHARING_WRAPPER_NAMES: frozenset[str] = EVAL_PRESERVING_WRAPPER_NAMES - {
    name.rsplit(".", 1)[-1] for name in MODULE_COPYING_WRAPPERS
}
#: The copying wrappers among the bare names (``deepcopy`` after ``from copy import deepcopy``).
MODULE_COPYING_WRAPPER_NAMES: frozenset[str] = (
    EVAL_PRESERVING_WRAPPER_NAMES - MODULE_SHARING_WRAPPER_NAMES
)
#: The keywords a wrapper takes its module by, when it is not its first positional argument
#: (``DistributedDataParallel(module=model)``).
WRAPPED_MODULE_KEYWORDS: tuple[str, ...] = ("module", "model", "mod", "obj")

# -- forward calls ------------------------------------------------------------------------

#: Methods that run the module's forward pass, besides calling the module itself.
FORWARD_METHODS: frozenset[str] = frozenset({"forward"})
#: The method ``nn.Module.__call__`` runs: its body runs under its caller's grad mode, and an
#: eval-mode submodule there is usually a frozen feature extractor whose graph a loss needs.
MODULE_FORWARD = "forward"
#: The method that calling an object runs, when its class defines one (else a module's
#: ``forward``): NG003 reads what it returns (``catcher = Catcher(model); catcher(x)``).
INSTANCE_CALL_METHOD = "__call__"

# -- grad mode: scopes and calls that switch autograd off or on -----------------------------


class GradEffect(Enum):
    """How a context manager, decorator or call changes autograd's grad mode."""

    DISABLE = "disable"
    ENABLE = "enable"
    #: Decided at run time (``set_grad_enabled(is_train)``). Code written this way is
    #: grad-aware, so it is treated like a disabling scope: never reported.
    DYNAMIC = "dynamic"


class Argument(Enum):
    """How a grad-mode factory reads its first argument (``mode=``/``mode``)."""

    NONE = "none"  # no_grad(), enable_grad(): the argument does not matter
    MODE_DEFAULT_TRUE = "mode_default_true"  # inference_mode(mode=True)
    REQUIRED = "required"  # set_grad_enabled(mode)


_GRAD_MODE_MODULES = ("torch", "torch.autograd", "torch.autograd.grad_mode")

#: Context managers and decorators that set grad mode, by qualified name:
#: (effect when the argument is true or absent, how the argument is read).
GRAD_MODE_FACTORIES: dict[str, tuple[GradEffect, Argument]] = {}
#: ``contextlib.ExitStack``'s method that enters a context manager it is given, which then
#: holds until the stack closes: ``stack.enter_context(torch.no_grad())``.
ENTER_CONTEXT_METHOD = "enter_context"
#: Whether such a decorator sets the grad mode of an ``async def``'s body. It does not: it
#: sets the mode around the call, and calling a coroutine function only makes the coroutine,
#: whose body runs later, when awaited, in the awaiting code's mode (torch wraps plain
#: generator functions step by step, but not async generators either).
GRAD_DECORATORS_REACH_COROUTINES = False
for _module in _GRAD_MODE_MODULES:
    GRAD_MODE_FACTORIES[f"{_module}.no_grad"] = (GradEffect.DISABLE, Argument.NONE)
    GRAD_MODE_FACTORIES[f"{_module}.enable_grad"] = (GradEffect.ENABLE, Argument.NONE)
    GRAD_MODE_FACTORIES[f"{_module}.inference_mode"] = (
        GradEffect.DISABLE,
        Argument.MODE_DEFAULT_TRUE,
    )
    GRAD_MODE_FACTORIES[f"{_module}.set_grad_enabled"] = (GradEffect.ENABLE, Argument.REQUIRED)

#: Calls that switch grad mode for the rest of the flow when run as a plain statement; they
#: read their argument as ``set_grad_enabled`` does.
GRAD_MODE_SETTERS: frozenset[str] = frozenset(
    [f"{m}.set_grad_enabled" for m in _GRAD_MODE_MODULES] + ["torch._C._set_grad_enabled"]
)
GRAD_MODE_SETTER_ARGUMENT: tuple[GradEffect, Argument] = (GradEffect.ENABLE, Argument.REQUIRED)

#: The argument that decides a grad-mode factory's effect.
GRAD_MODE_FLAG = "mode"


def grad_effect(factory: tuple[GradEffect, Argument], args: Sequence[Arg] | None) -> GradEffect:
    """What ``factory(args)`` does to grad mode; ``args`` is None for the factory written
    without a call (``@torch.no_grad``)."""
    effect, how = factory
    if how is Argument.NONE:
        return effect
    flag = flag_argument(args or (), GRAD_MODE_FLAG)
    if flag is None:
        # ``@torch.inference_mode`` / ``inference_mode()``: mode defaults to True.
        return effect if how is Argument.MODE_DEFAULT_TRUE else GradEffect.DYNAMIC
    if flag.truth is None:
        return GradEffect.DYNAMIC
    if how is Argument.MODE_DEFAULT_TRUE:  # inference_mode(False) leaves grad mode alone
        return effect if flag.truth else GradEffect.ENABLE
    if flag.truth:  # set_grad_enabled(True)
        return effect
    return GradEffect.DISABLE if effect is GradEffect.ENABLE else GradEffect.ENABLE


#: Argument lists a grad-mode name may be written with, to find which spellings can enable.
_WITHOUT_ARGUMENTS: tuple[Sequence[Arg] | None, ...] = (None, ())
_WITH_ARGUMENTS: tuple[Sequence[Arg], ...] = (
    (Arg(truth=True),),
    (Arg(truth=False),),
    (Arg(),),
)


def _enabling_names(with_arguments: bool) -> frozenset[str]:
    entries = [*GRAD_MODE_FACTORIES.items()]
    entries += [(name, GRAD_MODE_SETTER_ARGUMENT) for name in GRAD_MODE_SETTERS]
    forms = _WITH_ARGUMENTS if with_arguments else _WITHOUT_ARGUMENTS
    return frozenset(
        name.rsplit(".", 1)[-1]
        for name, factory in entries
        if any(grad_effect(factory, args) is GradEffect.ENABLE for args in forms)
    )


#: The last names of grad-mode scopes and setters that can switch grad back on: written any
#: way (``enable_grad``), or only when given an argument (``inference_mode(False)``).
GRAD_ENABLING_NAMES: frozenset[str] = _enabling_names(with_arguments=False)
GRAD_ENABLING_NAMES_WITH_ARGUMENT: frozenset[str] = (
    _enabling_names(with_arguments=True) - GRAD_ENABLING_NAMES
)

#: Names that say "no grad", for project scopes the catalog cannot know:
#: ``no_grad``, ``nograd``, ``NoGrad``, ``smart_inference_mode``, ``torch_no_grad``.
NO_GRAD_NAME = LazyPattern(r"(?:^|_)(?:no_?grad|inference_mode)(?:_|$)", re.IGNORECASE)

# -- gradient consumers: code that shows a forward's graph is wanted -------------------------

#: Methods whose call on anything shows gradients are wanted: ``loss.backward()``,
#: ``accelerator.backward(loss)``, ``optimizer.zero_grad()``.
GRAD_INTENT_METHODS: frozenset[str] = frozenset({"backward", "zero_grad"})
#: Methods that show gradients are wanted when called on an optimizer (``looks_like_optimizer``):
#: ``optimizer.step()``, ``scaler.step(optimizer)``.
OPTIMIZER_METHODS: frozenset[str] = frozenset({"step"})


def looks_like_optimizer(receiver: str) -> bool:
    """``optimizer``, ``self.optim``, ``opt_g``, ``scaler`` (``scaler.step(optimizer)``);
    not ``scheduler``, whose ``step()`` moves a learning rate, not parameters."""
    last = receiver.rsplit(".", 1)[-1].lower()
    if "sched" in last:
        return False
    return (
        "optim" in last
        or last in ("opt", "scaler")
        or last.startswith("opt_")
        or last.endswith("_opt")
    )


#: Qualified-name prefixes of calls whose only purpose is computing gradients.
GRAD_INTENT_FUNCTIONS: tuple[str, ...] = (
    "torch.autograd.grad",
    "torch.autograd.backward",
    "torch.autograd.functional.",
    "torch.func.grad",
    "torch.func.vjp",
    "torch.func.jacrev",
    "torch.func.jacfwd",
    "torch.func.hessian",
)

# -- frameworks: code run under another grad mode, or not PyTorch at all ------------------------

#: Lightning runs these hooks under ``torch.no_grad()`` / ``torch.inference_mode()``.
LIGHTNING_NO_GRAD_HOOKS: frozenset[str] = frozenset(
    {
        f"{prefix}{stage}{suffix}"
        for stage in ("validation", "test", "predict")
        for prefix, suffix in (
            ("", "_step"),
            ("", "_step_end"),
            ("", "_epoch_end"),
            ("on_", "_start"),
            ("on_", "_end"),
            ("on_", "_epoch_start"),
            ("on_", "_epoch_end"),
            ("on_", "_batch_start"),
            ("on_", "_batch_end"),
        )
    }
)
#: Base classes whose hooks Lightning calls: ``LightningModule`` and ``Callback``, from
#: ``lightning``, ``lightning.pytorch`` or ``pytorch_lightning``.
LIGHTNING_PACKAGES: tuple[str, ...] = ("lightning", "pytorch_lightning", "lightning_fabric")
LIGHTNING_BASES: frozenset[str] = frozenset({"LightningModule", "Callback"})

#: Calls that bind a function's first arguments and hand back a callable that runs it
#: (``fit = partial(fit_heads, heads=heads)``): a call of the result is a call of the
#: function.
PARTIAL_BINDERS: frozenset[str] = frozenset({"functools.partial", "partial"})

#: Calls that make an empty container (``_CACHE = dict()``), as a literal ``{}`` or ``[]`` does.
CONTAINER_CONSTRUCTORS: frozenset[str] = frozenset(
    {"dict", "list", "set", "collections.OrderedDict", "OrderedDict", "collections.defaultdict"}
    | {"defaultdict", "collections.deque", "deque"}
)
#: Container methods that store the value they are given when the key is missing and hand
#: back what the container holds (``cache.setdefault(key, encoder(x))``): an earlier call's.
KEEPING_LOOKUPS: frozenset[str] = frozenset({"setdefault"})
#: Decorators that keep a function's results and hand the same object back to the next call
#: with the same arguments: a graph made once, which each caller may differentiate again
#: (NG003).
MEMOIZING_DECORATORS: frozenset[str] = frozenset(
    {"functools.cache", "functools.lru_cache", "lru_cache", "cache"}
)
#: Decorators that make a method an attribute computed on its first read and kept on the
#: object (``shared.feats`` after ``@cached_property def feats(self)``).
CACHING_PROPERTY_DECORATORS: frozenset[str] = frozenset(
    {"functools.cached_property", "cached_property"}
)
PROPERTY_DECORATOR = "property"
#: Decorators that make a method read like an attribute.
PROPERTY_DECORATORS: frozenset[str] = CACHING_PROPERTY_DECORATORS | {PROPERTY_DECORATOR}
#: Decorators that leave the function to be called by the code around it; any other
#: decorator (``@app.route``, ``@register``) hands it to a framework, whose grad mode we
#: cannot see.
TRANSPARENT_DECORATORS: frozenset[str] = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "abstractmethod",
        "abc.abstractmethod",
        "functools.wraps",
        "wraps",
        "override",
        "typing.override",
        "typing_extensions.override",
        *MEMOIZING_DECORATORS,
        "torch.jit.unused",
        "torch.jit.ignore",
        "torch.jit.export",
        # Compiled or autocast wrappers run the function for the code that calls them, in
        # its grad mode.
        "torch.compile",
        "torch.compiler.disable",
        "torch._dynamo.disable",
        "torch.autocast",
        "torch.amp.autocast",
        "torch.cuda.amp.autocast",
        "torch.cpu.amp.autocast",
    }
)

#: Deep-learning frameworks with a PyTorch-like ``module.eval()`` of their own. A module that
#: imports one of them and never imports torch is not PyTorch code (YOLOX's MegEngine demo).
OTHER_FRAMEWORKS: frozenset[str] = frozenset(
    {"megengine", "paddle", "oneflow", "jittor", "mindspore", "mxnet"}
)


# -- values: what carries an autograd graph ------------------------------------------------
# Read by :mod:`.values`, which follows a forward call's output to the code that consumes it.

#: The method that cuts a tensor off its graph in place: the name it is called on holds no
#: graph after the statement.
IN_PLACE_DETACH = "detach_"
#: Methods that empty the container they are called on (a list, dict, set or deque): like
#: ``losses = []``, ``losses.clear()`` at the end of an iteration keeps nothing for the next.
CONTAINER_EMPTYING_METHODS: frozenset[str] = frozenset({"clear"})
#: Methods (and ``torch.<name>`` functions) whose result carries no graph of the tensor they
#: read: a number, a detached tensor, indices, a comparison, a shape.
GRAPH_DROPPING_METHODS: frozenset[str] = frozenset(
    {
        "item",
        "tolist",
        "detach",
        "detach_",
        "numpy",
        "argmax",
        "argmin",
        "argsort",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "equal",
        "allclose",
        "isclose",
        "isnan",
        "isinf",
        "isfinite",
        "bucketize",
        "searchsorted",
        "long",
        "int",
        "bool",
        "byte",
        "short",
        "size",
        "dim",
        "numel",
        "nelement",
        "data_ptr",
        "get_device",
        "nonzero",
        "count_nonzero",
        # a new tensor of the receiver's dtype and device: a copy of numbers, or a shape
        "new_tensor",
        "new_zeros",
        "new_ones",
        "new_empty",
        "new_full",
    }
)
#: ``torch.distributions``: a ``Distribution``'s ``sample()`` draws under ``no_grad``, so a
#: draw from a distribution built on a model's output (``Categorical(logits=policy(obs))``)
#: holds no graph; ``rsample()`` (the reparameterised draw) and ``log_prob()`` keep it.
DISTRIBUTIONS_PACKAGE = "torch.distributions"
DRAWING_METHODS: frozenset[str] = frozenset({"sample", "sample_n"})
#: Methods (and ``torch.<name>`` functions) that return ``(values, indices)``: the indices,
#: ``[1]`` or ``.indices`` of the result, are integers and carry no graph.
INDEX_PAIR_METHODS: frozenset[str] = frozenset(
    {"topk", "sort", "kthvalue", "mode", "cummax", "cummin"}
)
#: ... and those that return the pair only given a dimension (``out.max(1)``,
#: ``torch.max(out, dim=1)``): ``out.max()`` and ``torch.max(a, b)`` return values alone.
INDEX_PAIR_METHODS_WITH_DIM: frozenset[str] = frozenset({"max", "min", "median", "nanmedian"})
#: The attribute of such a pair that names its indices.
INDEX_PAIR_INDICES = "indices"
#: Attributes that read no graph: ``out.data`` is the same tensor, detached.
#: A tensor's gradient: a graph of its own only after ``backward(create_graph=True)``.
GRADIENT_ATTRIBUTE = "grad"
GRAPH_DROPPING_ATTRIBUTES: frozenset[str] = frozenset(
    {"data", "shape", "dtype", "device", "requires_grad", "is_leaf", "ndim", "grad", "is_cuda"}
)
#: Attributes that are views of the tensor itself (``x.T``), its graph and all: a model run
#: on ``feats.T`` runs on a tensor, not on a field of a batch object (``batch.x``).
TENSOR_VIEW_ATTRIBUTES: frozenset[str] = frozenset({"T", "mT", "H", "mH", "real", "imag"})
#: Builtins whose result is a number, a string or nothing: the graph stays behind.
GRAPH_DROPPING_BUILTINS: frozenset[str] = frozenset(
    {"float", "int", "bool", "str", "len", "repr", "print", "format", "isinstance", "type", "id"}
)
#: Builtins that reduce what they are handed to a new value and keep no reference to it
#: (``sum(losses)``; not ``list(losses)``, a copy that holds its elements).
REDUCING_BUILTINS: frozenset[str] = frozenset({"sum", "max", "min", "any", "all"})
#: Builtins that hand their arguments' values back (maybe reduced or regrouped) and keep no
#: reference of their own: the value goes on, it does not escape.
PASS_THROUGH_BUILTINS: frozenset[str] = frozenset(
    {"sum", "max", "min", "abs", "list", "tuple", "zip", "enumerate", "reversed", "sorted"}
    | {"iter", "next"}
)
#: Builtins that run no model (a ``key=`` they call picks an element, whose graph is its
#: own): a function of the module that calls only these, torch's functions and tensor
#: methods computes on its arguments as torch's functions do (NG003).
INERT_BUILTINS: frozenset[str] = (
    GRAPH_DROPPING_BUILTINS
    | PASS_THROUGH_BUILTINS
    | {"range", "dict", "set", "frozenset", "round", "divmod", "slice", "hasattr"}
)
#: Libraries whose functions read tensors as numbers (plotting, arrays) and never
#: differentiate them: handing them a value that carries a graph is no escape for NG002
#: (``plt.plot(losses)`` after the loop, ``np.array(outs)``). Qualified names, as imported.
NUMBER_READING_MODULES: tuple[str, ...] = ("matplotlib", "numpy", "seaborn")
#: Methods that put their arguments into the container they are called on.
CONTAINER_ADDERS: frozenset[str] = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "appendleft", "put", "put_nowait"}
)
#: Those that NG002 reads as accumulating a list or set across iterations: not ``update``,
#: which metric meters (``top1.update(acc)``) share with dicts.
ACCUMULATING_METHODS: frozenset[str] = frozenset(
    {"append", "extend", "insert", "add", "appendleft"}
)
#: Calls named like a loss function (``criterion(out, y)``, ``loss_fn(...)``, ``crit``): they compute a
#: value from their arguments and keep none of them. Not ``critic``: a model.
LOSS_FUNCTION_NAME = LazyPattern(r"loss|crit(?!ic)|cost", re.IGNORECASE)
#: ... unless it also says that it scales or steps: timm's ``loss_scaler(loss, optimizer)``
#: runs the backward pass itself (NG003).
LOSS_STEPPER_NAME = LazyPattern(r"scal|backward|step|optimi", re.IGNORECASE)
#: ``scaler.scale(loss)`` of a mixed-precision gradient scaler (``torch.amp.GradScaler``,
#: apex's, DeepSpeed's), by the receiver's name: the loss times a number, its graph going on.
SCALING_METHOD = "scale"
SCALER_NAME = LazyPattern(r"scal", re.IGNORECASE)
#: Methods that differentiate, or hook into, the graph of the value they are called on or
#: given: ``loss.backward()``, ``accelerator.backward(loss)``, ``out.register_hook(f)``.
GRAPH_CONSUMING_METHODS: frozenset[str] = frozenset(
    {"backward", "manual_backward", "register_hook", "retain_grad"}
)
#: Attributes whose reading uses the graph itself (dependency tracers walk ``grad_fn``).
GRAPH_READING_ATTRIBUTES: frozenset[str] = frozenset({"grad_fn"})
#: Functions that differentiate their tensor arguments, with the keyword of the tensors they
#: differentiate *with respect to* (a forward none of whose inputs is among them, and whose
#: parameters are not, is not needed by the call), or None.
GRAPH_CONSUMING_FUNCTIONS: dict[str, str | None] = {
    "torch.autograd.grad": "inputs",
    "torch.autograd.backward": None,
}
#: torch's functions that run a module or function they are given (``checkpoint(trunk, x)``,
#: ``functional_call(net, params, x)``): a forward, not a computation on their arguments.
#: Qualified names or their packages; the wrappers that only return a module
#: (``EVAL_PRESERVING_WRAPPERS``: ``torch.compile``, ``DataParallel``) are not among them.
MODEL_RUNNING_FUNCTIONS: tuple[str, ...] = (
    "torch.utils.checkpoint",
    "torch.func",
    "torch.nn.utils.stateless",
    "torch.nn.parallel",
    "torch.vmap",
    "torch.autograd.functional",
    "torch.cuda.make_graphed_callables",
    "torch.jit.fork",
    "torch.cond",
    "torch.while_loop",
)
#: torch's functions that make a new tensor from a shape, numbers, another tensor's shape or
#: a copy of its data (``torch.tensor(rewards)``): no graph of what they are given, whatever
#: it holds (``requires_grad=True`` makes the result a leaf of its own). Not ``as_tensor``,
#: which hands a tensor back as it is.
GRAPH_CUTTING_CONSTRUCTORS: frozenset[str] = frozenset(
    {"zeros", "ones", "empty", "full", "rand", "randn", "randint", "arange", "linspace", "eye"}
    | {"zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like"}
    | {"randint_like", "tensor", "from_numpy"}
)
#: torch's functions that make a new tensor from numbers or a shape: no graph
#: (``self.real = torch.ones(n, 1)``). The legacy constructors among them alias a tensor
#: they are given, graph and all (``torch.FloatTensor(out)``).
FRESH_TENSOR_FUNCTIONS: frozenset[str] = GRAPH_CUTTING_CONSTRUCTORS | frozenset(
    {"Tensor", "FloatTensor", "LongTensor", "BoolTensor", "ByteTensor"}
)
#: Tensor methods whose arguments give only a shape, a dtype or a device: no graph of theirs
#: goes into the result (``x.to(self.device)``, ``x.view_as(y)``).
METADATA_ARGUMENT_METHODS: frozenset[str] = frozenset(
    {"to", "cuda", "cpu", "type", "type_as", "view", "view_as", "reshape", "reshape_as"}
    | {"expand", "expand_as", "permute", "transpose", "squeeze", "unsqueeze", "flatten"}
    | {"repeat", "contiguous", "float", "double", "half", "bfloat16"}
)

#: Context managers of Python's that let every error out: a ``with`` of theirs runs its
#: body through (torch's own count too).
NON_SUPPRESSING_CONTEXTS: frozenset[str] = frozenset(
    {"contextlib.nullcontext", "contextlib.redirect_stdout", "contextlib.redirect_stderr"}
    | {"nullcontext", "open"}
)
#: Attributes whose test holds wherever a value carries a graph (``total.requires_grad``,
#: ``total.grad_fn is not None``): where one fails, the value has none, so ``if
#: total.requires_grad: total = total.detach()`` cuts in every pass.
GRAPH_TEST_ATTRIBUTES: frozenset[str] = frozenset({"requires_grad", "grad_fn"})
#: Tests that a value is a tensor (``torch.is_tensor(total)``, ``isinstance(total,
#: torch.Tensor)``): they fail where a running sum is still a number, with no graph, but
#: also where a recurrent state is a tuple (``(h, c)``), graph and all.
TENSOR_TEST_FUNCTIONS: frozenset[str] = frozenset({"torch.is_tensor"})
TENSOR_CLASS = "torch.Tensor"
#: Builtins that make a container of what they are given, element by element.
CONTAINER_BUILTINS: frozenset[str] = frozenset({"tuple", "list"})
#: The tensor method that copies its receiver: a copy of a value without a graph has none.
CLONE_METHOD = "clone"
#: Tensor methods that hand back the tensor itself, graph and all, when it already has
#: the type, device or layout asked for (``total.float()`` of a float tensor): computed
#: under ``no_grad``, they still may hold the graph the tensor had.
SELF_RETURNING_METHODS: frozenset[str] = frozenset(
    {"to", "cuda", "cpu", "type", "type_as", "contiguous", "float", "double", "half"}
    | {"bfloat16", "requires_grad_", "flatten", "sum_to_size", "conj", "resolve_conj"}
    | {"resolve_neg", "to_dense"}
)
#: Tensor methods whose result is a tensor or a number, never a tuple: a name bound only to
#: these and to arithmetic fails a test that it is a tensor only where it is a number.
NUMBER_OR_TENSOR_METHODS: frozenset[str] = SELF_RETURNING_METHODS | {"detach", "item", CLONE_METHOD}


def is_torchs(qualified: str) -> bool:
    """Whether ``qualified`` names something of torch's own (``torch.autograd.grad``)."""
    return qualified.split(".")[0] == "torch"


def runs_a_model(qualified: str) -> bool:
    """Whether torch's function ``qualified`` runs a module it is given
    (``MODEL_RUNNING_FUNCTIONS``), rather than wrap it."""
    return qualified not in EVAL_PRESERVING_WRAPPERS and any(
        qualified == prefix or qualified.startswith(prefix + ".")
        for prefix in MODEL_RUNNING_FUNCTIONS
    )


#: Gradient calls that free the saved tensors of the graph they differentiate unless given
#: ``retain_graph=True`` (NG003): methods, whose receiver or arguments are differentiated
#: (``loss.backward()``, ``accelerator.backward(loss)``), and functions, with the keyword of
#: the tensors they differentiate (their first argument otherwise).
GRAPH_FREEING_METHODS: frozenset[str] = frozenset({"backward", "manual_backward"})
#: ``Tensor.backward(gradient)``: its positional argument is the gradient to start from, and
#: what it differentiates its receiver; unless the receiver, by its last name, is an object
#: that differentiates its argument (``accelerator.backward(loss)``, ``fabric.backward``,
#: DeepSpeed's ``engine.backward``).
TENSOR_BACKWARD = "backward"
BACKWARD_WRAPPER_NAME = LazyPattern(
    r"accelerat|fabric|engine|trainer|strategy|booster|runner|^self$", re.IGNORECASE
)
GRAPH_FREEING_FUNCTIONS: dict[str, str] = {
    "torch.autograd.grad": "outputs",
    "torch.autograd.backward": "tensors",
}
#: Methods that register a function a module's forward calls with what it computes: a hook
#: may keep any activation (Grad-CAM, feature extractors), out of sight of the values.
FORWARD_HOOK_METHODS: frozenset[str] = frozenset(
    {"register_forward_hook", "register_forward_pre_hook", "register_module_forward_hook"}
)
#: The keyword that keeps the graph for another gradient call, and the one that makes the
#: gradients carry a graph of their own (which implies it).
RETAIN_GRAPH_KEYWORD = "retain_graph"
CREATE_GRAPH_KEYWORD = "create_graph"
#: Contexts in whose ``with`` every forward shares one graph of the model's weights, made
#: by the first (``parametrize.cached()``: each parametrized weight is computed once for
#: the block): a backward in the block frees what the next forward there still needs.
WEIGHT_CACHING_CONTEXTS: frozenset[str] = frozenset({"torch.nn.utils.parametrize.cached"})
#: Tensor methods that compute on the tensor they are called on and run no model: a value
#: made by them carries only its receiver's graph (``x = batch.to(device)`` is data).
TENSOR_METHODS: frozenset[str] = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "bfloat16",
        "type",
        "type_as",
        "view",
        "view_as",
        "reshape",
        "reshape_as",
        "permute",
        "transpose",
        "t",
        "contiguous",
        "squeeze",
        "unsqueeze",
        "flatten",
        "expand",
        "expand_as",
        "repeat",
        "clone",
        "requires_grad_",
        "sum",
        "mean",
        "pow",
        "norm",
        "abs",
        "exp",
        "log",
        "sqrt",
        "clamp",
        "mul",
        "add",
        "sub",
        "div",
        "matmul",
        "softmax",
        "log_softmax",
        "sigmoid",
        "tanh",
        "relu",
        "chunk",
        "split",
        "gather",
        "index_select",
        "masked_fill",
        "scatter",
        "scatter_add",
        "index_add",
        "index_fill",
        "masked_select",
        "narrow",
        "flip",
        "roll",
        "cumsum",
        "prod",
        "neg",
        "square",
        # reductions and elementwise maths a loss is made of (``(out * t).std()``)
        "std",
        "var",
        "max",
        "min",
        "amax",
        "amin",
        "logsumexp",
        "median",
        "nansum",
        "nanmean",
        "maximum",
        "minimum",
        "clamp_min",
        "clamp_max",
        "log1p",
        "expm1",
        "reciprocal",
        "rsqrt",
        "sin",
        "cos",
        "mm",
        "bmm",
        "mv",
        "dot",
        "diagonal",
        "trace",
        "tril",
        "triu",
        # In place only: random and constant initialisers (``delta.uniform_(-eps, eps)``).
        "uniform_",
        "normal_",
        "fill_",
        "zero_",
        "random_",
        "bernoulli_",
        "exponential_",
    }
)


def is_in_place(method: str) -> bool:
    """A tensor method's in-place form, by PyTorch's naming: one trailing underscore
    (``add_``, ``copy_``, ``detach_``), not a private name."""
    return method.endswith("_") and not method.startswith("_")


def stores_arguments(method: str) -> bool:
    """``outs.append(h)``, ``buf.copy_(h)``, ``total.add_(loss)``: the object the method is
    called on holds what it is given (a container adder, or a tensor's in-place method;
    ``detach_`` takes no tensor and leaves none)."""
    return method in CONTAINER_ADDERS or (is_in_place(method) and method != IN_PLACE_DETACH)


def is_tensor_method(method: str) -> bool:
    """One of ``TENSOR_METHODS``, or its in-place form (``add_``, ``clamp_``)."""
    return method in TENSOR_METHODS or method.rstrip("_") in TENSOR_METHODS


#: Packages whose functions compute on no tensor: a value they make records no graph
#: (``np.array(batch)``, ``copy.deepcopy(state)``, ``random.choice(xs)``).
NON_TENSOR_MODULES: frozenset[str] = frozenset(
    {"numpy", "math", "random", "copy", "gym", "gymnasium", "os", "time", "json", "pickle"}
)
#: Methods that record or show their arguments (loggers, progress bars, metric meters): a
#: value handed to them is not differentiated again (NG003).
LOGGING_METHODS: frozenset[str] = frozenset(
    {
        "add_scalar",
        "add_scalars",
        "add_histogram",
        "log",
        "log_dict",
        "log_metrics",
        "info",
        "debug",
        "warning",
        "write",
        "set_postfix",
        "set_description",
        "update",
    }
)
#: Methods whose argument names what a backward pass will write gradients to:
#: ``torch.optim.SGD(model.parameters())`` trains ``model``.
PARAMETER_METHODS: frozenset[str] = frozenset({"parameters", "named_parameters"})
#: Classes whose object is a leaf tensor a module trains (``nn.Parameter(w)``): no graph.
PARAMETER_CLASSES: frozenset[str] = frozenset({"Parameter", "UninitializedParameter"})
#: Where optimizers come from, by qualified-name prefix.
OPTIMIZER_MODULES: tuple[str, ...] = ("torch.optim.",)

# -- modules derived from a model: in the same mode ----------------------------------------

#: Attributes that hold the module a wrapper runs: ``ddp.module``, ``compiled._orig_mod``.
WRAPPED_MODULE_ATTRIBUTES: frozenset[str] = frozenset({"module", "_orig_mod"})
#: Methods that yield a model's submodules (``next(m.children())``), which share its mode:
#: ``eval()`` is recursive.
SUBMODULE_METHODS: frozenset[str] = frozenset({"children", "modules", "named_children"})
#: torch's container modules, which hold the modules they are made of as submodules: their
#: ``train()`` puts each of those in train mode (``nn.Sequential(encoder, decoder).train()``).
MODULE_CONTAINERS: frozenset[str] = frozenset(
    {"torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"}
)
#: Of those, the ones that list the module itself first: a loop over them runs at least once.
SELF_LISTING_SUBMODULE_METHODS: frozenset[str] = frozenset({"modules"})
#: Builtins that take one element out of such an iterator or list it.
SUBMODULE_PICKERS: frozenset[str] = frozenset({"next", "list", "tuple", "iter"})
#: Methods that freeze a module's parameters (with ``False``, or no argument for ``freeze``),
#: and the tensor flag a loop over ``parameters()`` sets to freeze them one by one.
FREEZING_METHODS: frozenset[str] = FREEZER_METHODS
REQUIRES_GRAD_FLAG = "requires_grad"


def unwrapped(name: str, self_name: str | None = None) -> str:
    """The model whose mode ``name`` sets: ``model`` for ``model.module`` (a
    ``DistributedDataParallel`` or ``torch.compile`` wrapper shares its layers with the
    module it wraps, so ``model.module.eval()`` puts ``model`` in eval mode too). Not the
    object itself: ``self.module`` of a method is an attribute of a class of the code's own,
    a wrapper that may keep its module in eval mode on purpose."""
    while "." in name:
        owner, attribute = name.rsplit(".", 1)
        if attribute not in WRAPPED_MODULE_ATTRIBUTES or owner == self_name:
            break
        name = owner
    return name


# -- what a model is: NG002 follows the outputs of models' forward calls ---------------------

#: Methods only a module has, in the forms modules are used: a receiver of one of them is a
#: model (``model.parameters()``; ``eval``/``train`` only without arguments or with a flag, as
#: ``eval_mode.mode_set_by`` reads them, so ``df.eval("a + b")`` is not).
MODEL_METHODS: frozenset[str] = frozenset(
    {
        "parameters",
        "named_parameters",
        "zero_grad",
        "state_dict",
        "load_state_dict",
        "named_modules",
        "children",
        "modules",
        *MODE_SETTER_METHODS,
    }
)
#: Base classes (their last name) that make a class of the module a model.
MODULE_BASE_NAMES: frozenset[str] = frozenset({"Module", "LightningModule"})
#: ``torch.nn.<Name>(...)`` builds a model unless it is a loss, a container of parameters or
#: an initialiser: a loss's output carries a graph only through its inputs.
NON_MODEL_NN = LazyPattern(r"Loss$|^Parameter|^init$|^functional$|^utils$")


def may_be_submodule(attribute: str) -> bool:
    """``model.encoder`` may be a submodule, in the model's mode; ``model._update_kwargs``
    (a private method) and ``model.__class__`` are not taken for one."""
    return not attribute.startswith("_")
