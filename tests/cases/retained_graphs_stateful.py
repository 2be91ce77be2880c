# NG003 beside a model that feeds its own state back: its forward sets an attribute it
# reads to a graph it computes, so each call's graph hangs on the one before, as a
# recurrent ``hidden`` carried around a loop does. Any model call of such a module may run
# that model; a loop that resets or detaches the state itself cuts the chain.
import torch
import torch.nn.functional as F


class Forecaster(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(2, 4, batch_first=True)
        self.fc = torch.nn.Linear(4, 1)
        self.hidden = None

    def init_hidden(self, batch_size):
        return (torch.zeros(1, batch_size, 4), torch.zeros(1, batch_size, 4))

    def forward(self, x):
        out, self.hidden = self.lstm(x, self.hidden)
        return self.fc(out[:, -1])


class Queue(torch.nn.Module):
    # MoCo's queue: set from keys made under ``no_grad``, it carries no graph.
    def __init__(self):
        super().__init__()
        self.query, self.key = torch.nn.Linear(6, 4), torch.nn.Linear(6, 4)
        self.register_buffer("queue", torch.randn(8, 4))

    def forward(self, xq, xk):
        q = self.query(xq)
        with torch.no_grad():
            k = self.key(xk)
        logits = q @ self.queue.T
        self.queue = torch.cat([k, self.queue[: -k.size(0)]])
        return logits


def the_state_carries_the_last_batch_graph(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward(retain_graph=True)  # PyTorch raises without it
        optimizer.step()


def the_state_is_reset_before_each_batch(model, loader, optimizer):
    for x, y in loader:
        model.hidden = model.init_hidden(x.size(0))
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward(retain_graph=True)  # expect: NG003:42
        optimizer.step()


def the_state_is_detached_before_each_batch(model, loader, optimizer):
    for x, y in loader:
        if model.hidden is not None:
            model.hidden = tuple(h.detach() for h in model.hidden)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def the_state_is_detached_every_few_batches(model, loader, optimizer):
    for i, (x, y) in enumerate(loader):
        if i % 4 == 0:  # the chain is cut every fourth batch only
            model.hidden = tuple(h.detach() for h in model.hidden)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)  # the three batches between need the graph
        optimizer.step()
