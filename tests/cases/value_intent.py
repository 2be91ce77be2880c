# Gradient intent follows values: gradient code excuses a forward call only when it
# differentiates that call's output (or a value derived from it), trains that model's
# parameters, or the output is lost to the analysis while gradients are about.
import copy

import torch
import torch.nn.functional as F
from torch import optim


def pgd_natural_accuracy(model, X, y, steps):
    model.eval()
    out = model(X)  # expect: NG001:11
    err = (out.data.max(1)[1] != y.data).float().sum()
    X_pgd = X.clone().requires_grad_()
    opt = optim.SGD([X_pgd], lr=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(X_pgd), y)  # the attack needs this graph
        loss.backward()
    robust = model(X_pgd).detach().argmax(1)  # expect: NG001:14
    return err, robust


student = torch.nn.Linear(4, 2)
teacher = torch.nn.Linear(4, 2)
optimizer = optim.SGD(student.parameters(), lr=0.1)


def distill(loader):
    teacher.eval()
    for x, y in loader:
        optimizer.zero_grad()
        soft = teacher(x).detach()  # expect: NG001:16
        loss = F.kl_div(F.log_softmax(student(x), 1), F.softmax(soft, 1))
        loss.backward()
        optimizer.step()


def distill_through_the_teacher(loader):
    # the loss differentiates the teacher's output: its graph is used (if wastefully: the
    # teacher's parameters get gradients nobody applies), so it is not NG001's business
    teacher.eval()
    for x, y in loader:
        loss = F.mse_loss(student(x), teacher(x))
        loss.backward()
        optimizer.step()


def compare_loaded(model, loaded, x):
    loaded.eval()
    expected = model(x)
    got = loaded(x)  # expect: NG001:11
    assert torch.allclose(expected, got)
    model.zero_grad()
    expected.sum().backward()


def run_epoch(model, loader, train, opt):
    if train:
        model.train()
    else:
        model.eval()
    for x, y in loader:
        out = model(x)  # expect: NG001:15
        loss = F.cross_entropy(out, y)
        if train:
            opt.zero_grad()
            loss.backward()
            opt.step()


def run_epoch_same_arm(model, loader, train, opt):
    if train:
        model.eval()  # a frozen-statistics fine-tune: the graph is needed
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()


def requires_grad_is_a_preparation(model):
    x = torch.randn(1, 3, 224, 224, requires_grad=True)
    model.eval()
    output = model(x)  # expect: NG001:14
    return output[0].max().item()


def requires_grad_before_eval_and_lost(model, x):
    x.requires_grad_()
    model.eval()
    saliency_source = model(x)
    return explain(saliency_source, x)  # lost to the analysis: stays excused


def lost_to_an_unknown_call_stays_excused(model, loader, opt):
    model.eval()
    for x, y in loader:
        out = model(x)
        loss = compute_loss(out, y)  # may be anything: the backward below may need `out`
        opt.zero_grad()
        loss.backward()


def stored_on_self_stays_excused(self, x):
    self.model.eval()
    self.cache = self.model(x)
    torch.autograd.backward(self.other_loss)


def backward_in_the_same_branch_excuses(model, x, flag):
    model.eval()
    if flag:
        out = model(x)
        out.sum().backward()


def train_between_forward_and_backward(model, x):
    model.eval()
    out = model(x)  # its graph is differentiated below, in train mode or not
    model.train()
    out.sum().backward()


def differentiated_only_with_respect_to_the_input(model, x_adv, x_natural):
    model.eval()
    x_adv.requires_grad_()
    target = F.softmax(model(x_natural), 1)  # expect: NG001:24
    loss = F.kl_div(F.log_softmax(model(x_adv), 1), target)
    return torch.autograd.grad(loss, [x_adv])[0]


def graph_inspected_by_hooks(model, inputs):
    def record(module, args, output):
        seen.append(output.grad_fn)

    seen = []
    model.eval()
    out = model(inputs)
    trace(out)
    return seen


def deepcopy_of_an_eval_model(model, x):
    model.eval()
    ema = copy.deepcopy(model)
    return ema(x).argmax(1)  # expect: NG001:12


def optimizer_of_another_model(model, other, x):
    opt = optim.Adam(other.parameters())
    model.eval()
    pred = model(x).argmax(1)  # expect: NG001:12
    opt.zero_grad()
    F.mse_loss(other(x), pred.float()).backward()
    opt.step()


def optimizer_of_this_model(model, x, y):
    opt = optim.Adam(model.parameters())
    model.eval()
    pred = model(x)
    opt.zero_grad()
    fit(pred, y)
    opt.step()


class DQNAgent:
    def __init__(self):
        self.q = torch.nn.Linear(4, 2)
        self.target = torch.nn.Linear(4, 2)
        self.target.eval()
        self.optimizer = optim.Adam(self.q.parameters())  # trains ``self.q`` alone

    def learn(self, obs, next_obs, reward):
        q = self.q(obs).max(1).values
        next_q = self.target(next_obs).max(1).values  # expect: NG001:18
        loss = F.mse_loss(q, reward + 0.9 * next_q.detach())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


def submodules_share_the_mode(model, x):
    model.eval()
    encoder = model.encoder
    first = model.layers[0]
    child = next(model.children())
    a = encoder(x).argmax(1)  # expect: NG001:9
    b = first(x).argmax(1)  # expect: NG001:9
    c = child(x).argmax(1)  # expect: NG001:9
    d = model.module(x).argmax(1)  # expect: NG001:9
    return a, b, c, d


class FrozenFeatures(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 4)
        self.requires_grad_(False)

    def forward(self, x):
        return self.net(x)


def frozen_class_instance(x):
    features = FrozenFeatures().eval()
    return features(x).argmax(1)  # frozen parameters: no graph is recorded


def unfrozen_class_instance(x):
    features = torch.nn.Linear(4, 4).eval()
    return features(x).argmax(1)  # expect: NG001:12


class SaliencyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 2)

    def forward(self, x):
        x.requires_grad_()
        score = self.net(x).max()
        return torch.autograd.grad(score, x)[0]


def a_forward_that_differentiates_itself(x):
    saliency = SaliencyNet().eval()
    return saliency(x).abs()  # no_grad here would make its autograd.grad raise


class HookedNet(torch.nn.Module):
    def forward(self, x):
        out = self.body(x)
        out.register_hook(self.keep)
        return out


def a_forward_that_hooks_its_graph(x):
    hooked = HookedNet().eval()
    return hooked(x).argmax(1)


# -- a forward whose output is thrown away runs for its forward hooks: where gradients are
# about, what the hooks keep may be what they differentiate (DeepDream, feature inversion)


def dream(model, layer, img, steps):
    model.eval()
    feats = []
    handle = layer.register_forward_hook(lambda m, i, o: feats.append(o))
    img = img.clone().requires_grad_(True)
    for _ in range(steps):
        feats.clear()
        model(img)
        feats[0].norm().backward()
        with torch.no_grad():
            img += img.grad
    handle.remove()


def dream_into_underscore(model, layer, img):
    model.eval()
    feats = []
    layer.register_forward_hook(lambda m, i, o: feats.append(o))
    img = img.clone().requires_grad_(True)
    _ = model(img)
    feats[0].norm().backward()


def warm_up_thrown_away(model, x):
    model.eval()
    model(x)  # expect: NG001
    _ = model(x)  # expect: NG001


def eval_output_rebound_in_a_with(model, x, y):
    model.eval()
    out = model(x)  # expect: NG001
    print(out.shape)  # only read: the graph is wasted
    with torch.autocast("cpu"):
        out = model(x)  # the ``with`` runs whole: this binding replaces the first
    (out - y).pow(2).mean().backward()


def eval_output_rebound_in_a_try(model, x, y):
    model.eval()
    out = model(x)  # expect: NG001
    print(out.shape)
    try:
        out = model(x)  # every way past the ``try`` binds it again
    except RuntimeError:
        raise
    (out - y).pow(2).mean().backward()


def eval_output_kept_when_a_try_fails(model, x, y):
    model.eval()
    out = model(x)  # the handler lets it through to the backward
    try:
        out = model(x)
    except RuntimeError:
        pass
    (out - y).pow(2).mean().backward()
