"""What the analysis knows about PyTorch, as data.

Everything here is keyed by *qualified* names (``torch.no_grad``) or by method names; the
import table (:mod:`.imports`) maps what a module writes onto these names.
"""

from __future__ import annotations

import re
from enum import Enum


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
for _module in _GRAD_MODE_MODULES:
    GRAD_MODE_FACTORIES[f"{_module}.no_grad"] = (GradEffect.DISABLE, Argument.NONE)
    GRAD_MODE_FACTORIES[f"{_module}.enable_grad"] = (GradEffect.ENABLE, Argument.NONE)
    GRAD_MODE_FACTORIES[f"{_module}.inference_mode"] = (
        GradEffect.DISABLE,
        Argument.MODE_DEFAULT_TRUE,
    )
    GRAD_MODE_FACTORIES[f"{_module}.set_grad_enabled"] = (GradEffect.ENABLE, Argument.REQUIRED)

#: Calls that switch grad mode for the rest of the flow when run as a plain statement.
GRAD_MODE_SETTERS: frozenset[str] = frozenset(
    [f"{m}.set_grad_enabled" for m in _GRAD_MODE_MODULES] + ["torch._C._set_grad_enabled"]
)

#: ``nn.Module`` methods that return the module itself, so ``Net().to(dev).eval()`` is the
#: module in eval mode and ``model.cuda().eval()`` puts ``model`` in eval mode.
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
        "eval",
        "train",
        "requires_grad_",
        "share_memory",
        "to_empty",
        "apply",
        "freeze",
    }
)

#: Methods that return an eval-mode *copy* of the module and leave the module's own mode as
#: it was: Lightning's ``LightningModule.to_torchscript()`` ("the exported script will be
#: set to evaluation mode").
EVAL_COPY_METHODS: frozenset[str] = frozenset({"to_torchscript"})

#: Hugging Face's loaders return models in eval mode ("the model is set in evaluation mode by
#: default", transformers and diffusers), but the same name makes tokenizers, processors,
#: configs, schedulers and pipelines, which are not modules: only classes named like a model
#: (``AutoModelForCausalLM``, ``BertModel``, ``UNet2DConditionModel``, ``AutoencoderKL``) count.
PRETRAINED_LOADERS: frozenset[str] = frozenset({"from_pretrained"})
PRETRAINED_MODEL_CLASS = re.compile(r"Model|For[A-Z]|LMHead|UNet|ControlNet|^Autoencoder")
#: ``FlaxBertModel`` and ``TFBertModel`` load JAX and TensorFlow models: no autograd graph.
PRETRAINED_NON_MODEL_CLASS = re.compile(
    r"Tokenizer|Processor|Pipeline|Extractor|Config|Scheduler|^(?:Flax|TF)[A-Z]"
)


def loads_eval_model(owner: str) -> bool:
    """``from_pretrained`` on this class name (the last part of a dotted name) returns an
    eval-mode model."""
    return bool(PRETRAINED_MODEL_CLASS.search(owner)) and not PRETRAINED_NON_MODEL_CLASS.search(
        owner
    )


#: Methods that run the module's forward pass, besides calling the module itself.
FORWARD_METHODS: frozenset[str] = frozenset({"forward"})

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

#: Methods whose call on anything shows gradients are wanted: ``loss.backward()``,
#: ``accelerator.backward(loss)``, ``optimizer.zero_grad()``.
GRAD_INTENT_METHODS: frozenset[str] = frozenset({"backward", "zero_grad"})


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
        "functools.cache",
        "functools.lru_cache",
        "lru_cache",
        "cache",
        "torch.jit.unused",
        "torch.jit.ignore",
        "torch.jit.export",
    }
)

#: Deep-learning frameworks with a PyTorch-like ``module.eval()`` of their own. A module that
#: imports one of them and never imports torch is not PyTorch code (YOLOX's MegEngine demo).
OTHER_FRAMEWORKS: frozenset[str] = frozenset(
    {"megengine", "paddle", "oneflow", "jittor", "mindspore", "mxnet"}
)


# -- values: what carries an autograd graph ------------------------------------------------
# Read by :mod:`.values`, which follows a forward call's output to the code that consumes it.

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
    }
)
#: Attributes that read no graph: ``out.data`` is the same tensor, detached.
GRAPH_DROPPING_ATTRIBUTES: frozenset[str] = frozenset(
    {"data", "shape", "dtype", "device", "requires_grad", "is_leaf", "ndim", "grad", "is_cuda"}
)
#: Builtins whose result is a number, a string or nothing: the graph stays behind.
GRAPH_DROPPING_BUILTINS: frozenset[str] = frozenset(
    {"float", "int", "bool", "str", "len", "repr", "print", "format", "isinstance", "type", "id"}
)
#: Builtins that hand their arguments' values back (maybe reduced or regrouped) and keep no
#: reference of their own: the value goes on, it does not escape.
PASS_THROUGH_BUILTINS: frozenset[str] = frozenset(
    {"sum", "max", "min", "abs", "list", "tuple", "zip", "enumerate", "reversed", "sorted"}
    | {"iter", "next"}
)
#: Methods that put their arguments into the container they are called on.
CONTAINER_ADDERS: frozenset[str] = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "appendleft"}
)
#: Those that NG002 reads as accumulating a list or set across iterations: not ``update``,
#: which metric meters (``top1.update(acc)``) share with dicts.
ACCUMULATING_METHODS: frozenset[str] = frozenset(
    {"append", "extend", "insert", "add", "appendleft"}
)
#: Calls named like a loss function (``criterion(out, y)``, ``loss_fn(...)``, ``crit``): they compute a
#: value from their arguments and keep none of them.
LOSS_FUNCTION_NAME = re.compile(r"loss|crit|cost", re.IGNORECASE)
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
#: Methods whose argument names what a backward pass will write gradients to:
#: ``torch.optim.SGD(model.parameters())`` trains ``model``.
PARAMETER_METHODS: frozenset[str] = frozenset({"parameters", "named_parameters"})
#: Where optimizers come from, by qualified-name prefix.
OPTIMIZER_MODULES: tuple[str, ...] = ("torch.optim.",)

# -- modules derived from a model: in the same mode ----------------------------------------

#: Attributes that hold the module a wrapper runs: ``ddp.module``, ``compiled._orig_mod``.
WRAPPED_MODULE_ATTRIBUTES: frozenset[str] = frozenset({"module", "_orig_mod"})
#: Methods that yield a model's submodules (``next(m.children())``), which share its mode:
#: ``eval()`` is recursive.
SUBMODULE_METHODS: frozenset[str] = frozenset({"children", "modules", "named_children"})
#: Builtins that take one element out of such an iterator or list it.
SUBMODULE_PICKERS: frozenset[str] = frozenset({"next", "list", "tuple", "iter"})
#: Methods that freeze a module's parameters (with ``False``, or no argument for ``freeze``),
#: and the tensor flag a loop over ``parameters()`` sets to freeze them one by one.
FREEZING_METHODS: frozenset[str] = frozenset({"requires_grad_", "freeze"})
REQUIRES_GRAD_FLAG = "requires_grad"

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
        "eval",
        "train",
    }
)
#: Base classes (their last name) that make a class of the module a model.
MODULE_BASE_NAMES: frozenset[str] = frozenset({"Module", "LightningModule"})
#: ``torch.nn.<Name>(...)`` builds a model unless it is a loss, a container of parameters or
#: an initialiser: a loss's output carries a graph only through its inputs.
NON_MODEL_NN = re.compile(r"Loss$|^Parameter|^init$|^functional$|^utils$")
