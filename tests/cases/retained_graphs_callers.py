# NG003 in a module's private helpers: the graph a parameter holds is the caller's, and
# when every use of a module-level ``_name`` is a call in this module, each caller can be
# read.
import torch
import torch.nn.functional as F


def _update_latent(latents, loss, step_size):
    grad = torch.autograd.grad(loss, [latents], retain_graph=True)[0]  # expect: NG003:49
    return latents - step_size * grad


def refine(unet, latents, steps):
    for _ in range(steps):
        latents = latents.detach().requires_grad_(True)
        loss = unet(latents).mean()
        latents = _update_latent(latents, loss, 0.1)
    return latents


def _backward_once(loss):
    loss.backward(retain_graph=True)  # expect: NG003:19


def _train_step(model, x, y, optimizer):
    loss = F.cross_entropy(model(x), y)
    loss.backward(retain_graph=True)  # expect: NG003:19
    optimizer.step()
    return loss  # for a caller that logs it; every caller here throws it away


def train_discarding_the_loss(model, loader, optimizer):
    for x, y in loader:
        _ = _train_step(model, x, y, optimizer)
    _train_step(model, x, y, optimizer)


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def __backward(self, loss):  # a subclass may call it as ``self._Trainer__backward``
        loss.backward(retain_graph=True)

    def fit(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(x), y)
            self.__backward(loss)
            self.optimizer.step()

    def fit_with_the_function(self, loader):
        for x, y in loader:
            _backward_once(F.cross_entropy(self.model(x), y))
            self.optimizer.step()


class HookedTrainer(Trainer):
    def _backward(self, loss):  # a hook: a subclass elsewhere may call it and reuse the graph
        loss.backward(retain_graph=True)

    def fit(self, loader):
        for x, y in loader:
            self._backward(F.cross_entropy(self.model(x), y))


# -- the caller's graph is differentiated again: silent --------------------------------


def _first_half(loss, params):
    return torch.autograd.grad(loss, params, retain_graph=True)


def two_passes(model, x):
    loss = model(x).sum()
    grads = _first_half(loss, list(model.parameters()))
    loss.backward()
    return grads


def _grad_of(loss, weight):
    return torch.autograd.grad(loss, weight, retain_graph=True)[0]


def per_layer(model, x):
    loss = model(x).sum()
    return _grad_of(loss, model.a.weight), _grad_of(loss, model.b.weight)


def _head_step(loss):
    loss.backward(retain_graph=True)


def one_trunk_many_heads(trunk, x, optimizers):
    loss = trunk(x).sum()
    for optimizer in optimizers:
        _head_step(loss)
        optimizer.step()


def _backward_and_hand_back(loss):
    loss.backward(retain_graph=True)
    return loss


def handed_back(model, x):
    loss = _backward_and_hand_back(model(x).sum())
    return loss


def _logged_step(model, x, optimizer):
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    return loss


def one_caller_keeps_the_loss(model, loader, optimizer):
    for x in loader:
        _logged_step(model, x, optimizer)
    last = _logged_step(model, x, optimizer)
    last.backward()  # the returned graph, differentiated again


def _discarded_then_read(model, x, optimizer):
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    return loss


def reads_the_throwaway_name(model, x, optimizer):
    _ = _discarded_then_read(model, x, optimizer)
    (0.1 * _).backward()  # ``_`` is a name like any other


def _step_twice(loss, optimizer):
    loss.backward(retain_graph=True)
    optimizer.step()
    loss.backward()


def steps_twice(model, x, optimizer):
    _step_twice(model(x).sum(), optimizer)


# -- the helper may be called where the module does not show: silent -------------------


def public_step(loss):
    loss.backward(retain_graph=True)


def caller_of_the_public_step(model, x):
    public_step(model(x).sum())


def _callback(loss):
    loss.backward(retain_graph=True)


CALLBACKS = [_callback]


def _forwarded(*losses):
    losses[0].backward(retain_graph=True)


def caller_of_forwarded(model, x):
    _forwarded(model(x).sum())


def _never_called(loss):
    loss.backward(retain_graph=True)


def _kept_in_a_history(loss, history):
    loss.backward(retain_graph=True)  # the caller's list keeps it
    history.append(loss)


def replays(model, x):
    history = []
    _kept_in_a_history(model(x).sum(), history)
    history[0].backward()


def _hands_back_a_closure(loss):
    loss.backward(retain_graph=True)
    return lambda: loss.backward()


def closure_caller(model, x):
    again = _hands_back_a_closure(model(x).sum())
    again()


def _named_in_a_string(loss):
    loss.backward(retain_graph=True)


__all__ = ["_named_in_a_string"]


PRIOR = torch.zeros(3, requires_grad=True).sum() * 2


def _with_a_default_graph(loss=PRIOR):
    loss.backward(retain_graph=True)


def default_caller():
    _with_a_default_graph()  # the same default graph at every call


EMBEDDING = torch.zeros(3, requires_grad=True) * 2


def _head_backward(loss):
    loss.backward(retain_graph=True)


def step_on_the_module_embedding(head):
    _head_backward(head(EMBEDDING).sum())  # the next call of the module's code reuses it


# -- a decorator that turns grad off: what the body computes outside ``enable_grad`` holds
# no graph, so features made before the loop are not one graph used again


@torch.no_grad()
def guided_sample(encoder, classifier, x, steps):
    features = encoder(x)
    for _ in range(steps):
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            score = classifier(x, features).sum()
            grad = torch.autograd.grad(score, x, retain_graph=True)[0]  # expect: NG003:50
        x = x + grad
    return x


def guided_sample_with_grad(encoder, classifier, x, steps):
    features = encoder(x)
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        score = classifier(x, features).sum()
        grad = torch.autograd.grad(score, x, retain_graph=True)[0]
        x = x + grad
    return x


# -- ``**kwargs`` is a dict: ``kwargs.get("batches")`` runs no model, and the batches a caller
# takes from it are data, as a parameter's are


class PatchAttack:
    def __init__(self, model):
        self.model = model

    def _step(self, images):
        loss = self.model(images).sum()
        loss.backward(retain_graph=True)  # expect: NG003:23
        return loss.item()

    def run(self, **kwargs):
        for images in kwargs.get("batches", []):
            self._step(images)


class PatchAttackOnFeatures:
    def __init__(self, model, backbone):
        self.model = model
        self.backbone = backbone

    def _step(self, features):
        loss = self.model(features).sum()
        loss.backward(retain_graph=True)
        return loss.item()

    def run(self, images, **kwargs):
        features = self.backbone(images)  # one graph, differentiated by every step
        for _ in range(kwargs.get("steps", 10)):
            self._step(features)


# -- a graph handed to a helper once, then differentiated again by the caller: each helper
# backpropagates it once, but the next one needs it


def _backprop(loss, optimizer):
    optimizer.zero_grad()
    loss.backward(retain_graph=True)  # the actor's update goes through ``feats`` again
    optimizer.step()


def critic_update(critic, optimizer, feats, returns):
    values = critic(feats).squeeze(-1)
    _backprop(F.mse_loss(values, returns), optimizer)
    return values.detach()


def actor_update(actor, optimizer, feats, actions, advantages):
    log_probs = actor(feats).log_softmax(-1).gather(1, actions[:, None]).squeeze(1)
    _backprop(-(log_probs * advantages).mean(), optimizer)


def actor_critic(trunk, actor, critic, batches, opt_actor, opt_critic):
    for obs, actions, returns in batches:
        feats = trunk(obs)
        values = critic_update(critic, opt_critic, feats, returns)
        actor_update(actor, opt_actor, feats, actions, returns - values)


def _apply_once(loss, optimizer):
    optimizer.zero_grad()
    loss.backward(retain_graph=True)  # expect: NG003:19
    optimizer.step()


def one_update_per_trunk_output(trunk, head, batches, optimizer):
    for x, targets in batches:
        feats = trunk(x)  # differentiated by one update only
        _apply_once(F.mse_loss(head(feats), targets), optimizer)


def fit_head_once(head, optimizer, feats, y):
    optimizer.zero_grad()
    loss = F.mse_loss(head(feats), y)
    loss.backward(retain_graph=True)  # expect: NG003:19
    optimizer.step()


def one_head_fit_per_batch(backbone, head, batches, optimizer):
    for x, y in batches:
        feats = backbone(x)  # named first: the call after it is still its only use
        fit_head_once(head, optimizer, feats, y)


class TrunkAndHeads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = torch.nn.Linear(4, 8)
        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(8, 1), "b": torch.nn.Linear(8, 1)})


def per_head_backward(net, x, y, optimizer):
    # ``net`` is only reached through its attributes; its one caller hands it a model, so
    # ``net.trunk(x)`` runs the trunk once for every head's backward
    feats = net.trunk(x)
    for name, head in net.heads.items():
        loss = F.mse_loss(head(feats), y[name])
        loss.backward(retain_graph=True)
    optimizer.step()


def fit_heads(x, y):
    net = TrunkAndHeads()
    per_head_backward(net, x, y, torch.optim.SGD(net.parameters(), lr=0.1))


class SpreadOfMembers(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.members = torch.nn.ModuleList(torch.nn.Linear(4, 6) for _ in range(3))

    def forward(self, x):
        return torch.stack([m(x) for m in self.members]).mean(0)

    def std(self, x):  # named like a tensor's method, but it runs the members
        return torch.stack([m(x) for m in self.members]).std(0)


def _fit_heads_on(feats, heads, ys, optimizer):
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(feats), y)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)  # the next head goes through feats' graph
        optimizer.step()


def heads_on_the_spread(ens, heads, loader, optimizer):
    ens.train()
    for x, ys in loader:
        _fit_heads_on(ens.std(x), heads, ys, optimizer)
