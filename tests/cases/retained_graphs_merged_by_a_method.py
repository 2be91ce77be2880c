# NG003 beside a model whose forward reads a weight another method computes from the
# model's own parameters (a LoRA layer's ``merge()``, through a local name): merged once
# before a loop, every call's graph reaches that one and each backward needs it again;
# merged anew before each call, each graph is its own.
import torch
import torch.nn.functional as F


class LoRALinear(torch.nn.Module):
    def __init__(self, d_in, d_out, r):
        super().__init__()
        self.base = torch.nn.Linear(d_in, d_out)
        self.A = torch.nn.Parameter(0.1 * torch.randn(r, d_in))
        self.B = torch.nn.Parameter(torch.zeros(d_out, r))
        self.merged = None

    def merge(self):
        self.merged = self.base.weight + self.B @ self.A

    def forward(self, x):
        weight = self.merged if self.merged is not None else self.base.weight + self.B @ self.A
        return F.linear(x, weight, self.base.bias)


def micro_batches_through_one_merge(layer, micro_batches, optimizer):
    layer.merge()
    for x, y in micro_batches:
        loss = F.mse_loss(layer(x), y) / len(micro_batches)
        loss.backward(retain_graph=True)  # the next one goes through ``B @ A`` again
    optimizer.step()


def merged_before_each_batch(layer, batches, optimizer):
    for x, y in batches:
        layer.merge()
        loss = F.mse_loss(layer(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
