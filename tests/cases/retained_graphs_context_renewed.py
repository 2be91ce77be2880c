# NG003 beside a model whose forward reads a graph another method sets (a task's context),
# where the loop sets it anew before each call: each call's graph is then its own.
import torch
import torch.nn.functional as F


class ContextConditioned(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.context_encoder = torch.nn.Linear(2, 16)
        self.body = torch.nn.Linear(1, 8)
        self.film = None

    def set_context(self, context):
        self.film = self.context_encoder(context).mean(0)

    def forward(self, x):
        gamma, beta = self.film.chunk(2)
        return gamma * self.body(x) + beta


def a_context_per_query(model, tasks, optimizer):
    for context, x, y in tasks:
        model.set_context(context)  # made anew before each query
        loss = F.mse_loss(model(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def queries_of_one_context(model, tasks, optimizer):
    for context, queries in tasks:
        model.set_context(context)
        for x, y in queries:
            loss = F.mse_loss(model(x), y)
            loss.backward(retain_graph=True)  # the next query goes through ``film`` again
        optimizer.step()
