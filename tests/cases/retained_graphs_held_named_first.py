# NG003 beside a model whose ``__init__`` computes a graph from its parameters under a
# local name before keeping it: the attribute holds that graph all the same.
import torch
import torch.nn.functional as F


class LowRankNamedFirst(torch.nn.Module):
    def __init__(self, n, r):
        super().__init__()
        self.U = torch.nn.Parameter(torch.randn(n, r))
        self.V = torch.nn.Parameter(torch.randn(r, n))
        weight = torch.tanh(self.U @ self.V)  # bound to a local name first
        self.W = weight

    def forward(self, x):
        return F.linear(x, self.W)


def micro_batches_through_a_held_weight(model, micro_batches, optimizer):
    for x, y in micro_batches:
        loss = F.mse_loss(model(x), y) / len(micro_batches)
        loss.backward(retain_graph=True)  # the next one goes through ``tanh(U @ V)`` again
    optimizer.step()
