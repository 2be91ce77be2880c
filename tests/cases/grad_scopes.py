"""Where autograd is disabled, and where it is switched back on."""
import contextlib

import torch
import torch.autograd
from torch.autograd import grad_mode


def with_no_grad(model, x):
    model.eval()
    with torch.no_grad():
        y = model(x)
    return model(y)  # expect: NG001


def with_inference_mode(model, x):
    model.eval()
    with torch.inference_mode():
        model(x)
    with torch.inference_mode(True):
        model(x)
    with torch.inference_mode(mode=True):
        model(x)
    with torch.inference_mode(False):
        model(x)  # expect: NG001


def with_set_grad_enabled(model, x, is_train):
    model.eval()
    with torch.set_grad_enabled(False):
        model(x)
    with torch.set_grad_enabled(True):
        model(x)  # expect: NG001
    with torch.set_grad_enabled(is_train):
        model(x)  # decided at run time: grad-aware code, not reported


def autograd_spellings(model, x):
    model.eval()
    with torch.autograd.no_grad():
        model(x)
    with torch.autograd.grad_mode.no_grad():
        model(x)
    with grad_mode.inference_mode():
        model(x)
    with torch.autograd.set_grad_enabled(False):
        model(x)


def multi_item_with(model, x, path):
    model.eval()
    with open(path) as handle, torch.no_grad():
        model(x)
    with torch.no_grad(), open(path) as handle:
        model(x)
    with open(path) as handle, torch.autocast("cpu"):
        model(x)  # expect: NG001


def re_enabled_inside(model, x):
    model.eval()
    with torch.no_grad():
        with torch.enable_grad():
            model(x)  # expect: NG001:13
        model(x)
        with torch.set_grad_enabled(True):
            model(x)  # expect: NG001


def set_grad_enabled_statement(model, x):
    model.eval()
    torch.set_grad_enabled(False)
    model(x)
    torch.set_grad_enabled(True)
    model(x)  # expect: NG001


def set_grad_enabled_statement_in_branch(model, x, inference):
    model.eval()
    if inference:
        torch.set_grad_enabled(False)
    model(x)  # disabled on one path: not reported


def grad_mode_objects_alone_do_nothing(model, x):
    model.eval()
    torch.no_grad()
    guard = torch.inference_mode()
    model(x)  # expect: NG001


def local_object_with_no_grad_attribute(model, x, ctx):
    model.eval()
    with ctx.no_grad():
        model(x)  # expect: NG001


def context_entered_by_hand(model, x):
    model.eval()
    torch.no_grad().__enter__()  # grad stays off for the rest of the process
    return model(x)


def context_entered_on_an_exit_stack(model, loader):
    model.eval()
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.no_grad())
        return [model(x) for x in loader]


def other_context_entered_on_an_exit_stack(model, loader, path):
    model.eval()
    with contextlib.ExitStack() as stack:
        stack.enter_context(open(path))
        return [model(x) for x in loader]  # expect: NG001


# -- a scope chosen at run time is grad-aware code, as ``set_grad_enabled(flag)`` is


def frozen_when_asked(backbone, x, freeze):
    backbone.eval()
    with torch.no_grad() if freeze else contextlib.nullcontext():
        return backbone(x)


def enabled_when_training(model, x, training):
    model.eval()
    with torch.enable_grad() if training else torch.no_grad():
        return model(x)


def no_grad_either_way(model, x, fast):
    model.eval()
    with torch.no_grad() if fast else torch.inference_mode():
        return model(x)


def neither_arm_is_a_grad_scope(model, x, path):
    model.eval()
    with open(path) if path else contextlib.nullcontext():
        return model(x)  # expect: NG001


# -- a function of the module that hands back one of torch's contexts


def inference_context():
    return torch.inference_mode()


def evaluation_context(frozen):
    return torch.no_grad() if frozen else contextlib.nullcontext()


def opened(path):
    return open(path)


def in_a_returned_context(model, x, path):
    model.eval()
    with inference_context():
        model(x)
    with evaluation_context(True):
        model(x)
    with opened(path):
        model(x)  # expect: NG001
