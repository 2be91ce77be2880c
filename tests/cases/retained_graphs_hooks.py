# NG003 in a module that registers forward hooks: a hook may keep any activation of the
# forwards it sees, out of sight of the values the rule follows, so a later gradient call
# may differentiate the same graph through what a hook kept.
import torch

store = {}


def keep_activation(module, inputs, output):
    store["feat"] = output


def watch(model):
    model[0].register_forward_hook(keep_activation)


def grad_cam_style(model, x):
    out = model(x)
    out.mean().backward(retain_graph=True)
    store["feat"].pow(2).mean().backward()  # the hook's copy of the first layer's output


def one_backward_per_step(model, loader, optimizer):
    for x in loader:
        optimizer.zero_grad()
        model(x).mean().backward(retain_graph=True)  # expect: NG003:34
        optimizer.step()
