"""What the analysis knows about PyTorch, as data.

Everything here is keyed by *qualified* names (``torch.no_grad``) or by method names; the
import table (:mod:`.imports`) maps what a module writes onto these names.
"""

from __future__ import annotations

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
    GRAD_MODE_FACTORIES[f"{_module}.inference_mode"] = (GradEffect.DISABLE, Argument.MODE_DEFAULT_TRUE)
    GRAD_MODE_FACTORIES[f"{_module}.set_grad_enabled"] = (GradEffect.ENABLE, Argument.REQUIRED)

#: Calls that switch grad mode for the rest of the flow when run as a plain statement.
GRAD_MODE_SETTERS: frozenset[str] = frozenset(
    [f"{m}.set_grad_enabled" for m in _GRAD_MODE_MODULES] + ["torch._C._set_grad_enabled"]
)

#: ``nn.Module`` methods that return the module itself, so ``Net().to(dev).eval()`` is the
#: module in eval mode and ``model.cuda().eval()`` puts ``model`` in eval mode.
MODULE_RETURNING_METHODS: frozenset[str] = frozenset(
    {"to", "cuda", "cpu", "xpu", "half", "float", "double", "bfloat16", "type", "eval", "train",
     "requires_grad_", "share_memory", "to_empty", "apply"}
)

#: Methods that run the module's forward pass, besides calling the module itself.
FORWARD_METHODS: frozenset[str] = frozenset({"forward"})
