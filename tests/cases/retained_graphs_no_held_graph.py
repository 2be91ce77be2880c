# NG003 beside models that hold no graph between calls: a submodule they call, a buffer,
# a value computed from a parameter's detached data. Each call's graph is its own.
import torch
import torch.nn.functional as F


class Wrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self._model = model

    def forward(self, x):
        if isinstance(self._model, torch.nn.Sequential):
            return [module(x) for module in self._model._modules.values()]
        return [self._model(x)]


class Masked(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n, n))
        self.mask = torch.tril(torch.ones(n, n))  # no parameter in it
        self.scale = self.weight.detach().abs().mean()  # no graph: detached

    def forward(self, x):
        return x @ (self.weight * self.mask) / self.scale


def one_backward_per_batch(model, batches, optimizer):
    for x, y in batches:
        loss = F.mse_loss(model(x)[-1], y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
