"""Functions decorated to run without autograd, and everything nested inside them."""
import functools

import torch


@torch.no_grad()
def decorated_call(model, x):
    model.eval()
    return model(x)


@torch.no_grad
def decorated_bare(model, x):
    model.eval()
    return model(x)


@torch.inference_mode()
def inference_mode_call(model, x):
    model.eval()
    return model(x)


@torch.inference_mode
def inference_mode_bare(model, x):
    model.eval()
    return model(x)


@torch.set_grad_enabled(False)
def set_grad_enabled_false(model, x):
    model.eval()
    return model(x)


@torch.enable_grad()
def enable_grad(model, x):
    model.eval()
    return model(x)  # expect: NG001


@functools.lru_cache()
def unrelated_decorator(model, x):
    model.eval()
    return model(x)  # expect: NG001


@torch.no_grad()
def nested_everything(model, xs):
    model.eval()

    def inner(x):
        return model(x)

    class Helper:
        def run(self, x):
            model.eval()
            return model(x)

    squares = [model(x) for x in xs]
    mapped = list(map(lambda x: model(x), xs))
    return inner, Helper, squares, mapped


class Evaluator:
    @torch.no_grad()
    def evaluate(self, x):
        self.model.eval()
        return self.model(x)

    def evaluate_with_grad(self, x):
        self.model.eval()
        return self.model(x)  # expect: NG001:16

    @staticmethod
    @torch.no_grad()
    def stacked(model, x):
        model.eval()
        return model(x)


# -- an ``async def``: torch's decorator sets grad mode around the call, which only makes
# the coroutine; its body runs when awaited, in the awaiting code's mode.


@torch.no_grad()
async def async_endpoint(model, x):
    model.eval()
    return model(x)  # expect: NG001


@torch.inference_mode()
async def async_stream(model, xs):
    model.eval()
    for x in xs:
        yield model(x)  # expect: NG001


# -- compiled and autocast functions run for their callers, in the callers' grad mode: each
# puts its model in eval mode, and every call runs under ``no_grad``


@torch.compile
def compiled_step(model, x):
    model.eval()
    return model(x)


@torch.compile(mode="max-autotune", fullgraph=True)
def compiled_with_options(model, x):
    model.eval()
    return model(x)


@torch.autocast(device_type="cpu", dtype=torch.bfloat16)
def autocast_step(model, x):
    model.eval()
    return model(x)


def evaluate_compiled(model, x):
    with torch.no_grad():
        return compiled_step(model, x), compiled_with_options(model, x), autocast_step(model, x)
