# NG002 beyond a plain accumulator: comprehensions, values only plotted or printed after the
# loop, recurrent state, and models known by what is done with them.
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Linear):
    def forward(self, x):
        return torch.relu(super().forward(x))


# -- comprehensions: a loop whose element store is the accumulation -------------------


def outputs_by_comprehension(model, batches):
    model.train()
    outs = [model(x) for x in batches]  # expect: NG002:13
    print(torch.cat(outs).argmax(1))


def losses_by_comprehension_backpropagated(model, pairs):
    model.train()
    losses = [F.mse_loss(model(x), y) for x, y in pairs]
    torch.stack(losses).mean().backward()


def numbers_by_comprehension(model, batches):
    model.train()
    scores = [model(x).sum().item() for x in batches]
    print(scores)


def comprehension_returned(model, batches):
    model.train()
    outs = [model(x) for x in batches]
    return outs


def comprehension_under_no_grad(model, batches):
    model.train()
    with torch.no_grad():
        outs = [model(x) for x in batches]
    print(torch.cat(outs).argmax(1))


def comprehension_not_kept(model, batches):
    model.train()
    print(sum(model(x).sum().item() for x in batches))


# -- handed after the loop to code that only reads numbers ----------------------------


def validation_losses_plotted(model, loader):
    model.train()
    losses = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        losses.append(loss)  # expect: NG002:23
    plt.plot(losses)
    print(np.array(losses))


def show(activations):
    """A helper of this module: it reads values, it neither keeps nor differentiates them."""
    for i, a in enumerate(activations):
        plt.hist(a.data.numpy().ravel(), bins=10)
        plt.title(str(i))


def keep(activations):
    return activations


def activations_shown_by_a_helper(model, batches):
    model.train()
    acts = []
    for x in batches:
        acts.append(model(x))  # expect: NG002:21
    show(acts)


def activations_handed_to_a_helper_that_returns_them(model, batches):
    model.train()
    acts = []
    for x in batches:
        acts.append(model(x))
    print(keep(acts))


def backpropagate(losses):
    torch.stack(losses).sum().backward()


def losses_handed_to_a_helper_that_backpropagates(model, pairs):
    model.train()
    losses = []
    for x, y in pairs:
        losses.append(F.mse_loss(model(x), y))
    backpropagate(losses)


def compute_policy_loss(log_probs, advantages, optimizer):
    """Named like a loss, and it does run a backward over what it is given."""
    loss = -(torch.stack(log_probs) * advantages).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def rollout_then_update(model, states, advantages, optimizer):
    model.train()
    log_probs = []
    for state in states:
        log_probs.append(model(state).log_softmax(-1).max())
    compute_policy_loss(log_probs, advantages, optimizer)


# -- recurrent state re-bound from a forward ------------------------------------------


def hidden_state_over_a_sequence(model, steps):
    model.train()
    hidden = None
    for x in steps:
        out, hidden = model(x, hidden)  # expect: NG002:23
    print(out.argmax(1))


def hidden_state_detached_each_step(model, steps, optimizer):
    model.train()
    hidden = None
    for x, y in steps:
        if hidden is not None:
            hidden = hidden.detach()
        out, hidden = model(x, hidden)
        F.cross_entropy(out, y).backward()
        optimizer.step()


def hidden_state_backpropagated_through_time(model, steps, optimizer):
    model.train()
    hidden = None
    total = 0
    for x, y in steps:
        out, hidden = model(x, hidden)
        total = total + F.cross_entropy(out, y)
    total.backward()
    optimizer.step()


def hidden_state_returned(model, steps):
    model.train()
    hidden = None
    for x in steps:
        _, hidden = model(x, hidden)
    return hidden


# -- models known by what is done with them -------------------------------------------


def worst_loss(model, x, y, restarts):
    """``model`` is not shown to be a model here: every caller in the module hands one."""
    worst = torch.zeros(len(y))
    for _ in range(restarts):
        loss = F.cross_entropy(model(x), y, reduction="none")
        worst = torch.max(worst, loss)  # expect: NG002:17
    print(worst.mean().item())


def run_worst_loss(loader):
    net = Block(4, 2)
    for x, y in loader:
        worst_loss(net, x, y, 3)


def apply_to_each(fn, items):
    """``fn`` is called with a model by no caller: any function may come in."""
    outs = []
    for item in items:
        outs.append(fn(item))
    print(len(outs))


def run_apply_to_each(items):
    apply_to_each(len, items)


class Stack(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.blocks = []
        for n, m in zip(sizes, sizes[1:]):
            self.blocks = [*self.blocks, Block(n, m)]

    def score(self, x):
        h = x
        scores = []
        for block in self.blocks:
            h = block(h)
            scores.append(h.pow(2).mean(1))  # expect: NG002:27
        return torch.stack(scores).argmax(0)

    def forward(self, x):
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features


def called_with_a_model_and_with_a_function(fn, x):
    """One caller hands a model, another a plain function: ``fn`` is not known."""
    outs = []
    for _ in range(3):
        outs.append(fn(x))
    print(len(outs))


def run_with_a_model_and_with_a_function(x):
    net = Block(4, 2)
    called_with_a_model_and_with_a_function(net, x)
    called_with_a_model_and_with_a_function(len, x)


class Trainer:
    """``self.model`` is a model for every method: the class fills it with one (or with a
    name it uses as one), or uses it as one (``self.critic.parameters()`` in ``__init__``);
    a local name bound to it as it is (``model = self.model``, ``critic, _ = self.critic,
    self.optimizer``) too."""

    def __init__(self, critic, actor):
        self.model, self.log = Block(4, 2), print
        self.critic = critic
        self.optimizer = torch.optim.SGD(self.critic.parameters(), lr=0.1)
        self.actor = actor  # ``actor`` is a model here: its parameters are trained
        self.actor_optimizer = torch.optim.SGD(actor.parameters(), lr=0.1)
        self.scale = 2.0

    def act(self, states):
        actions = []
        for state in states:
            actions.append(self.actor(state))  # expect: NG002:28
        self.log(len(actions))

    def fit(self, loader):
        losses = []
        for x, y in loader:
            loss = F.mse_loss(self.model(x), y)
            loss.backward()
            losses.append(loss)  # expect: NG002:27
        self.log(len(losses))

    def fit_through_a_local_name(self, loader):
        model = self.model
        critic, _ = self.critic, self.optimizer
        losses, values = [], []
        for x, y in loader:
            losses.append(F.mse_loss(model(x), y))  # expect: NG002:27
            values.append(critic(x))  # expect: NG002:27
        self.log(len(losses), len(values))

    def scaled(self, loader):
        outs = []
        for x in loader:
            outs.append(self.log(x) * self.scale)  # neither is a model
        print(len(outs))
