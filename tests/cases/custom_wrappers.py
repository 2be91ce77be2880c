"""Project-specific ways to disable autograd."""
import contextlib
import functools

import torch
from utils.torch_utils import smart_inference_mode


@smart_inference_mode()
def detect(model, im):
    model.eval()
    return model(im)


def torch_no_grad(fn):
    return fn


@torch_no_grad
def named_wrapper(model, x):
    model.eval()
    return model(x)


def quiet(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with torch.no_grad():
            return fn(*args, **kwargs)

    return wrapper


@quiet
def structurally_recognised(model, x):
    model.eval()
    return model(x)


@contextlib.contextmanager
def evaluating(model):
    model.eval()
    with torch.inference_mode():
        yield model


def context_manager(model, x):
    with evaluating(model):
        return model(x)


def loud(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@loud
def not_recognised(model, x):
    model.eval()
    return model(x)  # expect: NG001:12


def volatile_variable(model, x):
    from torch.autograd import Variable

    model.eval()
    inputs = Variable(x, volatile=True)
    return model(inputs)  # expect: NG001


class Runner:
    def __init__(self, model):
        self.model = model.eval()

    @staticmethod
    @torch.no_grad()
    def static(model, x):
        return model(x)
