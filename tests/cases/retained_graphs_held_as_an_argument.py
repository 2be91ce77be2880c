# NG003 beside a model whose forward hands a graph it holds, made in ``__init__`` from its
# own parameters, to a tensor's method as an argument (``x.mm(self.W)``) rather than as its
# receiver (``self.W.mm(x)``): read as in ``retained_graphs_held_by_models.py``.
import torch
import torch.nn.functional as F


class LowRankProjection(torch.nn.Module):
    def __init__(self, n, r):
        super().__init__()
        self.U = torch.nn.Parameter(torch.randn(n, r))
        self.V = torch.nn.Parameter(torch.randn(r, n))
        self.W = torch.tanh(self.U @ self.V)  # a graph, made once

    def forward(self, x):
        return x.mm(self.W)


def micro_batches_through_a_projection(model, micro_batches, optimizer):
    for x, y in micro_batches:
        loss = F.mse_loss(model(x), y) / len(micro_batches)
        loss.backward(retain_graph=True)  # the next one goes through ``tanh(U @ V)`` again
    optimizer.step()
