# NG003 beside values made before the loop that carry no graph: parts of a helper's result
# made as new tensors (``s, a, hidden = self.make_batch()``, read where the helper is
# defined), and copies of a value's data (``torch.tensor(values)``). Only the parts that
# carry a graph make the next backward go through it again.
import torch
import torch.nn.functional as F


class Rollouts:
    def __init__(self, actor, optimizer):
        self.actor = actor
        self.optimizer = optimizer
        self.data = []

    def make_batch(self):
        states, actions, hiddens = [], [], []
        for state, action, hidden in self.data:
            states.append(state)
            actions.append([action])
            hiddens.append(hidden)
        s, a = torch.tensor(states, dtype=torch.float), torch.tensor(actions)
        self.data = []
        return s, a, hiddens[0]

    def new_tensors_unpacked(self, epochs):
        s, a, (h, c) = self.make_batch()
        hidden = (h.detach(), c.detach())
        for _ in range(epochs):
            logits, _ = self.actor(s, hidden)
            loss = F.cross_entropy(logits, a.squeeze(1))
            self.optimizer.zero_grad()
            loss.backward(retain_graph=True)  # expect: NG003:27
            self.optimizer.step()

    def kept_hidden_unpacked(self, epochs):
        s, a, hidden = self.make_batch()  # the hidden state the rollout's forward made
        for _ in range(epochs):
            logits, _ = self.actor(s, hidden)
            loss = F.cross_entropy(logits, a.squeeze(1))
            self.optimizer.zero_grad()
            loss.backward(retain_graph=True)  # the next epoch goes through hidden's graph
            self.optimizer.step()

    def starred_unpacking(self, epochs):
        s, *rest = self.make_batch()  # the places of the parts are not read
        for _ in range(epochs):
            logits, _ = self.actor(s, rest[-1])
            loss = logits.mean()
            loss.backward(retain_graph=True)
            self.optimizer.step()


class Episodes:
    def __init__(self, actor, optimizer):
        self.actor = actor
        self.optimizer = optimizer
        self.data = []

    def make_batch(self):
        states = torch.tensor([state for state, _ in self.data], dtype=torch.float)
        actions = torch.tensor([action for _, action in self.data])
        return states, actions, self.data[0][1], self.data[-1][1].detach()

    def starred_past_the_parts_kept(self, epochs):
        s, *_, hidden = self.make_batch()  # ``hidden``: the last part, detached
        for _ in range(epochs):
            loss = self.actor(s, hidden).mean()
            loss.backward(retain_graph=True)  # expect: NG003:27
            self.optimizer.step()


class Encoded:
    def __init__(self, encoder, head, optimizer):
        self.encoder = encoder
        self.head = head
        self.optimizer = optimizer

    def encode(self, x, y):
        return self.encoder(x), torch.zeros_like(y)

    def labels_unpacked(self, x, y, steps):
        _, zeros = self.encode(x, y)  # new tensors of y's shape: no graph
        for _ in range(steps):
            loss = F.mse_loss(self.head(x), zeros)
            loss.backward(retain_graph=True)  # expect: NG003:27
            self.optimizer.step()

    def features_unpacked(self, x, y, steps):
        feats, _ = self.encode(x, y)  # made once, read by every step
        for _ in range(steps):
            loss = F.mse_loss(self.head(feats), y)
            loss.backward(retain_graph=True)
            self.optimizer.step()


class Prepared:
    def __init__(self, encoder, head, optimizer):
        self.encoder = encoder
        self.head = head
        self.optimizer = optimizer

    def prepare(self, x, y):
        return x.float(), torch.ones_like(y)

    def targets_of_an_override(self, x, y, steps):
        _, ones = self.prepare(x, y)  # a subclass's prepare hands back a graph there
        for _ in range(steps):
            loss = F.mse_loss(self.head(x), ones)
            loss.backward(retain_graph=True)
            self.optimizer.step()


class PreparedByTheEncoder(Prepared):
    def prepare(self, x, y):
        out = self.encoder(x)
        return out, out.sum(-1)


def baseline_copied(net, values, batches, optimizer):
    baseline = torch.tensor(values(batches[0][0]))  # a copy of the data, without the graph
    for x, y in batches:
        loss = F.mse_loss(net(x) - baseline, y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def baseline_aliased(net, values, batches, optimizer):
    baseline = torch.as_tensor(values(batches[0][0]))  # the same tensor, graph and all
    for x, y in batches:
        loss = F.mse_loss(net(x) - baseline, y)
        loss.backward(retain_graph=True)
        optimizer.step()


def baseline_of_a_legacy_constructor(net, values, batches, optimizer):
    baseline = torch.FloatTensor(values(batches[0][0]))  # aliases a tensor it is given
    for x, y in batches:
        loss = F.mse_loss(net(x) - baseline, y)
        loss.backward(retain_graph=True)
        optimizer.step()


def baseline_made_a_leaf(net, values, batches, optimizer):
    baseline = torch.tensor(values(batches[0][0]), requires_grad=True)
    for x, y in batches:
        loss = F.mse_loss(net(x) - baseline, y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


class Sequences:
    def __init__(self, cell, head, optimizer, bptt):
        self.cell = cell
        self.head = head
        self.optimizer = optimizer
        self.steps = []
        if bptt:
            self.make_pairs = self._pairs_with_graph  # another method runs: not read

    def make_pairs(self):
        return torch.tensor([s for s, _ in self.steps]), self.steps[-1][1].detach()

    def _pairs_with_graph(self):
        return torch.tensor([s for s, _ in self.steps]), self.steps[-1][1]

    def fit(self, target, epochs):
        obs, h = self.make_pairs()
        for _ in range(epochs):
            loss = F.mse_loss(self.head(self.cell(obs, h)), target)
            loss.backward(retain_graph=True)
            self.optimizer.step()


class Windows:
    def __init__(self, cell, head, optimizer):
        self.cell = cell
        self.head = head
        self.optimizer = optimizer
        self.steps = []

    def make_windows(self):
        return torch.tensor([s for s, _ in self.steps]), self.steps[-1][1].detach()

    def fit(self, target, epochs):
        obs, h = self.make_windows()
        for _ in range(epochs):
            loss = F.mse_loss(self.head(self.cell(obs, h)), target)
            loss.backward(retain_graph=True)
            self.optimizer.step()


class WindowsWithGraph(Windows):
    make_windows = Sequences._pairs_with_graph  # bound in the class body: not read


def make_temperature(init):
    log_t = torch.tensor(float(init), requires_grad=True)
    return log_t, log_t.exp()


def temperature_made_once(model, batches, optimizer):
    log_t, temp = make_temperature(0.5)  # ``temp``: recorded on a leaf, once
    for x, y in batches:
        loss = F.cross_entropy(model(x) / temp, y)
        loss.backward(retain_graph=True)  # each batch goes through temp's graph again
        optimizer.step()


def make_gates(n):
    return torch.zeros(n, requires_grad=True), torch.ones(n)


def gates_computed_once(model, batches, optimizer):
    raw, scale = make_gates(4)
    gate = torch.sigmoid(raw) * scale  # recorded on a leaf the helper made
    for x, y in batches:
        loss = F.mse_loss(model(x) * gate, y)
        loss.backward(retain_graph=True)
        optimizer.step()


def leaf_made_later(model, batches, optimizer):
    log_t = torch.full((1,), 0.3)
    log_t.requires_grad = True
    temp = log_t.exp()
    for x, y in batches:
        loss = F.cross_entropy(model(x) / temp, y)
        loss.backward(retain_graph=True)
        optimizer.step()


def leaf_by_a_flag(model, batches, optimizer, learn_scale=True, **factory):
    scale = torch.zeros(3, requires_grad=learn_scale).exp()
    shift = torch.zeros(3, **factory).exp()  # ``factory`` may hold requires_grad=True
    for x, y in batches:
        loss = F.mse_loss(model(x) * scale + shift, y)
        loss.backward(retain_graph=True)
        optimizer.step()


def targets_copied_by_a_method(net, teacher, batches, optimizer):
    targets = batches[0][0].new_tensor(teacher(batches[0][0]))  # a copy, without the graph
    for x, y in batches:
        loss = F.mse_loss(net(x), targets)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


class FilledElsewhere(torch.nn.Module):
    """``self.data`` is filled by code that is handed the object (a rollout function of
    another module): what it holds may carry the rollout's graphs."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.GRUCell(8, 8)
        self.head = torch.nn.Linear(8, 2)
        self.data = []

    def policy(self, s, h):
        h = self.cell(s, h)
        return F.softmax(self.head(h), -1), h

    def make_batch(self):
        states, actions, hiddens = [], [], []
        for state, action, hidden in self.data:
            states.append(state)
            actions.append([action])
            hiddens.append(hidden)
        self.data = []
        return torch.tensor(states), torch.tensor(actions), torch.stack(hiddens)[0]

    def stacked_hidden_from_the_rollout(self, optimizer, epochs):
        s, a, h0 = self.make_batch()
        for _ in range(epochs):
            prob, _ = self.policy(s, h0.expand(len(s), -1))
            loss = -torch.log(prob.gather(1, a)).mean()
            loss.backward(retain_graph=True)  # the next epoch goes through h0's graph
        optimizer.step()
