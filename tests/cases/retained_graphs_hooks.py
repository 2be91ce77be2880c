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


def _step_seen_by_the_hook(model, x, y):
    loss = (model(x) - y).pow(2).mean()
    loss.backward(retain_graph=True)  # the caller differentiates the hook's copy next


def regularize_the_kept_feature(model, x, y):
    _step_seen_by_the_hook(model, x, y)
    store["feat"].pow(2).mean().backward()  # the first layer's output of that step's forward
