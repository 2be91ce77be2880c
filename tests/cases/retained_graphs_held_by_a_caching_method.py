# NG003 beside a model whose forward runs a method of its own that keeps its result on the
# object (a relative-position bias memoized per length, the classic source of "backward
# through the graph a second time" papered over with ``retain_graph=True``). Every call's
# graph reaches the one kept by the first call, so the next backward needs it again. As
# for a model that holds a graph made in ``__init__``, any model call of such a module may
# run that model, unless the name called is bound only to other models.
import torch
import torch.nn.functional as F


class RelativeBiasAttention(torch.nn.Module):
    def __init__(self, d, max_len):
        super().__init__()
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.rel = torch.nn.Embedding(2 * max_len, 1)
        self._bias = {}

    def bias(self, n):
        if n not in self._bias:
            idx = torch.arange(n)
            self._bias[n] = self.rel(idx[None, :] - idx[:, None] + n).squeeze(-1)
        return self._bias[n]

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, -1)
        scores = q @ k.transpose(1, 2) + self.bias(x.size(1))
        return scores.softmax(-1) @ v


def train_through_a_memoized_bias(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward(retain_graph=True)  # the next batch goes through the kept bias
        optimizer.step()


def a_plain_layer_made_here(loader, optimizer):
    layer = torch.nn.Linear(4, 4)  # no model of this module: it keeps no graph
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(layer(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
