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


class NoGraphFromItsParameters(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.U = torch.nn.Parameter(torch.randn(n, n))
        self.W = self.U  # the same leaf
        self.mask = (self.U.abs() > 0.1).float()  # a comparison: no graph
        self.bias = torch.zeros_like(self.U[0])  # a new tensor

    def forward(self, x):
        return x @ (self.W * self.mask) + self.bias


def one_backward_per_batch_of_a_leaf(model, batches, optimizer):
    for x, y in batches:
        loss = F.mse_loss(NoGraphFromItsParameters(4)(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
