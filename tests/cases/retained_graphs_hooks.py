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


summaries = {}


def keep_summary(module, inputs, output):
    summaries["mean"] = output.detach().mean()  # a number's tensor: no graph is kept


def _step_summarized(model, x, y):
    loss = (model(x) - y).pow(2).mean()
    loss.backward(retain_graph=True)  # expect: NG003:19


def step_then_regularize(model, x, y):
    _step_summarized(model, x, y)
    print(summaries["mean"].item())
    sum(p.pow(2).sum() for p in model.parameters()).backward()  # no hook's graph


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = (self.model(x) - y).pow(2).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        self.optimizer.step()


def finetune_on_the_kept_feature(model, x):
    optimizer = torch.optim.SGD(model.parameters(), 0.1)
    model(x)
    store["feat"].abs().mean().backward()
    optimizer.step()  # an optimizer's ``step``, not ``Trainer.step``
