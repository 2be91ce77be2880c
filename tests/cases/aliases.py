"""torch reached under other names."""
import torch as T
import torch.autograd as ag
from torch import inference_mode as im
from torch import no_grad
from torch.autograd import grad_mode


def aliased_module(model, x):
    model.eval()
    with T.no_grad():
        model(x)
    with T.inference_mode():
        model(x)
    model(x)  # expect: NG001:5


def imported_names(model, x):
    model.eval()
    with no_grad():
        model(x)
    with im():
        model(x)
    with ag.no_grad():
        model(x)
    with grad_mode.no_grad():
        model(x)


@no_grad()
def imported_decorator(model, x):
    model.eval()
    return model(x)


@im()
def aliased_decorator(model, x):
    model.eval()
    return model(x)


def shadowed_name(model, x, no_grad):
    model.eval()
    with no_grad():  # a parameter called no_grad is most likely a grad-disabling context
        model(x)


def function_level_import(model, x):
    from torch import set_grad_enabled as sge

    model.eval()
    with sge(False):
        model(x)
    with sge(True):
        model(x)  # expect: NG001
