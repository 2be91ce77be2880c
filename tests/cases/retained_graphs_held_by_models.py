# NG003 beside a model whose forward computes with a graph it holds, made before the call
# in ``__init__`` from its own parameters (a weight built once; a context another method
# sets is in ``retained_graphs_context_renewed.py``). Each call's graph reaches that one,
# and the next backward through the model needs it again. As for a model that feeds its
# state back, any model call of such a module may run that model, unless the name called
# is bound only to other models.
import torch
import torch.nn.functional as F


class LowRankLinear(torch.nn.Module):
    def __init__(self, n, r):
        super().__init__()
        self.U = torch.nn.Parameter(torch.randn(n, r))
        self.V = torch.nn.Parameter(torch.randn(r, n))
        self.W = torch.tanh(self.U @ self.V)  # a graph, made once

    def forward(self, x):
        return x @ self.W


def micro_batches_through_a_held_weight(model, micro_batches, optimizer):
    for x, y in micro_batches:
        loss = F.mse_loss(model(x), y) / len(micro_batches)
        loss.backward(retain_graph=True)  # the next one goes through ``tanh(U @ V)`` again
    optimizer.step()


def a_plain_layer_made_here(batches, optimizer):
    layer = torch.nn.Linear(4, 4)  # no model of this module: it holds no graph
    for x, y in batches:
        loss = F.mse_loss(layer(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
