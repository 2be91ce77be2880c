# NG003: retain_graph=True where no later gradient call uses the graph.
import contextlib
import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from cam_targets import ClassTarget, FeatureExtractor, summarize
from data_tools import encode_all, make_loader, split_signal
from torch import autograd
from torch.autograd import grad as autograd_grad

RETAIN = True


def single_loss_in_a_training_loop(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def single_loss_outside_any_loop(model, x, y):
    loss = F.cross_entropy(model(x), y)
    loss.backward(retain_graph=True)  # expect: NG003:19


def flag_through_a_name_bound_once(model, x):
    loss = model(x).sum()
    loss.backward(retain_graph=RETAIN)  # expect: NG003:19


def flag_bound_in_the_function(model, x):
    keep = True
    loss = model(x).sum()
    loss.backward(retain_graph=keep)  # expect: NG003:19


def function_forms(model, x, x_adv, y):
    loss = F.cross_entropy(model(x_adv), y)
    grad = torch.autograd.grad(loss, x_adv, retain_graph=True)[0]  # expect: NG003:45
    other = F.cross_entropy(model(x), y)
    torch.autograd.backward(other, retain_graph=True)  # expect: NG003:36
    return grad


def imported_grad(model, x_adv, y):
    loss = F.cross_entropy(model(x_adv), y)
    return autograd.grad(outputs=loss, inputs=x_adv, retain_graph=True)[0].sign()  # expect: NG003:54


def attack_iterations(model, x, y, steps):
    x_adv = x.clone().detach()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        grad = torch.autograd.grad(loss, x_adv, retain_graph=True)[0]  # expect: NG003:49
        x_adv = (x_adv + 0.01 * grad.sign()).detach()
    return x_adv


def gan_with_a_detached_fake(generator, discriminator, loader, noise):
    for real in loader:
        fake = generator(noise())
        d_loss = discriminator(real).mean() - discriminator(fake.detach()).mean()
        d_loss.backward(retain_graph=True)  # expect: NG003:25
        g_loss = -discriminator(fake).mean()
        g_loss.backward()


def accelerator_and_lightning_forms(accelerator, module, model, x):
    loss = model(x).sum()
    accelerator.backward(loss, retain_graph=True)  # expect: NG003:32
    other = model(x).mean()
    module.manual_backward(other, retain_graph=True)  # expect: NG003:35


def recurrent_state_detached_each_chunk(model, chunks, hidden):
    for x in chunks:
        hidden = hidden.detach()
        out, hidden = model(x, hidden)
        loss = out.sum()
        loss.backward(retain_graph=True)  # expect: NG003:23


def recurrent_state_detached_at_the_end(model, chunks, hidden):
    for x in chunks:
        out, hidden = model(x, hidden)
        loss = out.sum()
        loss.backward(retain_graph=True)  # expect: NG003:23
        hidden = hidden.detach()  # every iteration, before the next one reads it


def recurrent_state_detached_element_by_element(model, chunks, hidden):
    for x in chunks:
        out, hidden = model(x, hidden)
        out.sum().backward(retain_graph=True)  # expect: NG003:28
        hidden = tuple(h.detach() for h in hidden)  # an LSTM's (h, c), each cut


def recurrent_state_masked_without_grad(model, chunks, hidden, not_done):
    for x in chunks:
        out, hidden = model(x, hidden)
        out.sum().backward(retain_graph=True)  # expect: NG003:28
        with torch.no_grad():
            hidden = hidden * not_done  # a new tensor, recorded on no graph


def recurrent_state_cast_without_grad(model, chunks, hidden):
    for x in chunks:
        out, hidden = model(x, hidden)
        out.sum().backward(retain_graph=True)  # already float: the same tensor comes round
        with torch.no_grad():
            hidden = hidden.float()


def recurrent_state_detached_in_a_with(model, chunks, hidden):
    for x in chunks:
        with contextlib.suppress(ValueError):
            out, hidden = model(x, hidden)
            out.sum().backward(retain_graph=True)  # an error skips the detach below
            hidden = hidden.detach()


def recurrent_state_masked_at_the_end(model, chunks, hidden, mask):
    for x in chunks:
        out, hidden = model(x, hidden)
        out.sum().backward(retain_graph=True)  # the masked state keeps the graph
        hidden = hidden * mask


def logged_loss_is_a_number(model, loader, optimizer, log):
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
        log(loss.item())


def each_arm_of_an_if_runs_one_backward(model, x, first):
    loss = model(x).sum()
    if first:
        loss.backward(retain_graph=True)  # expect: NG003:23
    else:
        loss.backward()


def indices_carried_to_the_next_pass(model, x, passes, optimizer):
    # Each pass feeds the previous pass's predicted tokens back: integers, with no graph.
    previous = None
    for _ in range(passes):
        out = model(x, previous)
        loss = out.mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
        previous = _masked(out.topk(1, dim=2)[1].squeeze(2))


def indices_of_a_pair_carried(model, x, passes):
    previous = None
    for _ in range(passes):
        out = model(x, previous)
        out.sum().backward(retain_graph=True)  # expect: NG003:28
        _, previous = out.max(2)


def _masked(tokens):
    # Runs no model: torch's functions and tensor methods only; a value of the module is
    # read only to choose a branch.
    mask = torch.eq(tokens, 0)
    if RETAIN:
        mask = mask.cpu()
    rows = []
    for i in range(tokens.size(0)):
        rows.append(mask[i].sum().item())
    return tokens.data.masked_fill_(mask, 1)


class Trainer:
    def __init__(self, model, device, loss_weight=0.5):
        self.model = model
        self.device = device  # only ever a device: ``x.to(self.device)``
        self.loss_weight = loss_weight  # a setting: a number, given once, never set again

    def step(self, x, y, optimizer):
        out = self.model(x.to(self.device))
        loss = self.loss_weight * F.mse_loss(out, y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


class WeightedDetector:
    def __init__(self, model):
        self.model = model
        # A setting declared with its type, a literal as its value: weights of numbers,
        # which the user may set later; no graph.
        self.weight_dict: dict[str, float] | None = None

    def loss_gradient(self, x, y):
        losses = self.model(x, y)
        if self.weight_dict is None:
            loss = sum(losses.values())
        else:
            loss = sum(v * self.weight_dict[k] for k, v in losses.items())
        loss.backward(retain_graph=True)  # expect: NG003:23
        return x.grad


class ConfiguredTrainer:
    def __init__(self, model, temperature=1.0):
        self.model = model
        self.temperature = temperature  # a setting: the module gives it numbers only (below)

    def step(self, x):
        loss = (self.model(x) * self.temperature).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23


class ScaledBase:
    def __init__(self, model, gain=1.0):
        self.model = model
        self.gain = gain


class PlainScaledTrainer(ScaledBase):
    def step(self, x):
        loss = (self.model(x) * self.gain).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23


class LearnedScaleTrainer(ScaledBase):
    def step(self, x):
        loss = (self.model(x) * self.gain).pow(2).mean()
        loss.backward(retain_graph=True)  # a sibling's objects have their own settings


def scaled_trainers(model, batches):
    log_gain = torch.zeros((), requires_grad=True)
    plain = PlainScaledTrainer(model, gain=0.5)
    learned = LearnedScaleTrainer(model, gain=log_gain.exp())
    for x in batches:
        plain.step(x)
        learned.step(x)


def configured_trainers(model, config, options):
    return [
        ConfiguredTrainer(model, temperature=config.temperature),
        ConfiguredTrainer(model, float(options["temperature"])),
        ConfiguredTrainer(model),
    ]


def targets_built_by_an_imported_class(model, x, classes):
    # ``ClassTarget`` is a class (by its name): it makes objects, it runs no forward.
    targets = [ClassTarget(c) for c in classes]
    outputs = model(x)
    loss = sum(target(output) for target, output in zip(targets, outputs))
    loss.backward(retain_graph=True)  # expect: NG003:19
    return summarize(x, targets)


# -- silent ------------------------------------------------------------------------------


class RememberingTrainer:
    def __init__(self, model):
        self.model = model
        self.previous: torch.Tensor | None = None  # declared empty, set to a graph below

    def step(self, x):
        out = self.model(x)
        loss = out.mean() if self.previous is None else (out * self.previous).mean()
        loss.backward(retain_graph=True)
        self.previous = out  # the next step's backward runs through this graph again


def gan_sharing_the_fake(generator, discriminator, loader, noise):
    for real in loader:
        fake = generator(noise())
        d_loss = discriminator(real).mean() - discriminator(fake).mean()
        d_loss.backward(retain_graph=True)
        g_loss = -discriminator(fake).mean()
        g_loss.backward()


def task_losses_over_one_trunk(trunk, heads, x, optimizer):
    features = trunk(x)
    first = heads[0](features).sum()
    second = heads[1](features).sum()
    first.backward(retain_graph=True)
    second.backward()
    optimizer.step()


def the_same_loss_twice(model, x):
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    (loss * 2).backward()


def graph_made_before_the_loop(model, heads, x):
    features = model(x)
    for head in heads:
        loss = head(features).sum()
        loss.backward(retain_graph=True)


def truncated_bptt_without_detach(model, chunks, hidden):
    for x in chunks:
        out, hidden = model(x, hidden)
        loss = out.sum()
        loss.backward(retain_graph=True)


def detached_only_every_k_chunks(model, chunks, hidden, k):
    for i, x in enumerate(chunks):
        out, hidden = model(x, hidden)
        out.sum().backward(retain_graph=True)  # the next chunk goes through it, mostly
        if i % k == 0:
            hidden = hidden.detach()


def a_continue_skips_the_detach(model, chunks, hidden):
    for x in chunks:
        out, hidden = model(x, hidden)
        loss = out.sum()
        loss.backward(retain_graph=True)
        if not torch.isfinite(loss):
            continue  # the graph comes round to the next chunk
        hidden = hidden.detach()


def detached_in_an_inner_loop_only(model, epochs, hidden):
    for chunks in epochs:
        for x in chunks:
            out, hidden = model(x, hidden)
            out.sum().backward(retain_graph=True)  # the next chunk goes through it
        hidden = hidden.detach()


def gradient_penalty(discriminator, real, fake):
    mixed = (real + fake).requires_grad_(True)
    scores = discriminator(mixed)
    grads = autograd.grad(
        outputs=scores,
        inputs=mixed,
        grad_outputs=torch.ones_like(scores),
        create_graph=True,
        retain_graph=True,
    )[0]
    penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
    loss = discriminator(fake).mean() - discriminator(real).mean() + penalty
    loss.backward()


def higher_order_through_grad_attribute(model, x):
    loss = model(x).sum()
    loss.backward(create_graph=True, retain_graph=True)


def the_graph_is_returned(model, x):
    out = model(x)
    out.sum().backward(retain_graph=True)
    return out


def the_graph_is_stored_on_the_object(self, x):
    out = self.model(x)
    self.last_output = out
    out.sum().backward(retain_graph=True)


def the_loss_is_a_parameter(loss):
    loss.backward(retain_graph=True)


def the_loss_is_an_attribute(self):
    self.loss_g.backward(retain_graph=True)


def the_flag_is_a_parameter(model, x, retain=True):
    model(x).sum().backward(retain_graph=retain)


def the_flag_is_rebound(model, x, args):
    keep = True
    if args.fast:
        keep = False
    model(x).sum().backward(retain_graph=keep)


def retain_false(model, x):
    model(x).sum().backward(retain_graph=False)




def pseudo_labels_under_no_grad(student, teacher, loader, optimizer):
    # The teacher's outputs, refined element by element in a loop, record no graph.
    for x, unlabelled in loader:
        with torch.no_grad():
            pseudo = teacher(unlabelled)
            for i in range(len(pseudo)):
                pseudo[i] = refine(pseudo[i])
        loss = student(x, pseudo).mean()
        optimizer.zero_grad()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def carried_only_within_one_step(policy, batches, optimizer, steps):
    # ``density`` is carried around the inner loop, rebuilt before it each outer step:
    # each outer step's loss is a new graph, differentiated once.
    for _ in range(steps):
        loss = 0.0
        for batch in batches:
            density = policy(batch[0])
            for state in batch[1:]:
                loss = loss + density.mean()
                density = policy(state)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def carried_around_the_step_loop(policy, batches, optimizer, steps):
    # Rebuilt only before the outer loop: the next step's loss reaches this step's graph.
    density = policy(batches[0][0])
    for _ in range(steps):
        loss = 0.0
        for batch in batches:
            for state in batch[1:]:
                loss = loss + density.mean()
                density = policy(state)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        optimizer.step()


def the_teacher_runs_with_grad(student, teacher, loader, optimizer):
    hidden = None
    for x, unlabelled in loader:
        with torch.no_grad():
            pseudo = teacher(unlabelled)
        hidden = student(x, hidden)
        loss = (hidden - pseudo).pow(2).mean()
        loss.backward(retain_graph=True)


def grad_back_on_inside_no_grad(backbone, heads, x):
    # ``enable_grad()`` inside ``no_grad()``: ``feats`` records a graph that every head
    # differentiates again.
    with torch.no_grad():
        with torch.enable_grad():
            feats = backbone(x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def gradients_read_by_hooks(model, x):
    # The result is not read: the call is for the hooks, which keep gradients that carry
    # a graph (``create_graph=True``) for a later differentiation.
    x = x.requires_grad_(True)
    loss = model(x).sum()
    torch.autograd.grad(loss, x, retain_graph=True, create_graph=True)


def stored_on_the_object_in_the_same_assignment(self, x):
    self.outputs = outputs = self.model(x)
    outputs.sum().backward(retain_graph=True)


def _embedded(encoder, x):
    # ``encoder.embed`` may run a model: this helper's result may carry its graph.
    return encoder.embed(x)


def features_made_by_a_helper_before_the_loop(encoder, heads, x):
    feats = _embedded(encoder, x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


class Memory:
    def __init__(self, model):
        self.model = model
        self.scale = 1.0

    def rescale(self, x):
        self.scale = self.model(x).mean()  # set again, to a model's output

    def step(self, x):
        loss = self.scale * self.model(x).sum()
        loss.backward(retain_graph=True)


class Distiller:
    # ``student`` is given once (no setting: it has no default of a number or a string),
    # and what it caches (``.features``) is the graph of its last forward, which
    # ``train_step`` differentiates again.
    def __init__(self, student, regressor):
        self.student = student
        self.regressor = regressor

    def distill(self, teacher_features):
        loss = F.mse_loss(self.student.features, self.regressor(teacher_features))
        loss.backward(retain_graph=True)


class Prototypes:
    # ``support`` is rebound to an encoder's output before it is stored: every step
    # differentiates that one graph again.
    def __init__(self, encoder, support=0.0):
        support = encoder(support).mean(0)
        self.prototypes = support
        self.encoder = encoder

    def step(self, queries):
        loss = torch.cdist(self.encoder(queries), self.prototypes).mean()
        loss.backward(retain_graph=True)


class LearnedTemperatureTrainer:
    def __init__(self, model, temperature=1.0):
        self.model = model
        self.temperature = temperature  # a number by default, but given a graph below

    def step(self, x):
        loss = (self.model(x) * self.temperature).mean()
        loss.backward(retain_graph=True)  # the next step runs through ``exp()`` again


def train_with_a_learned_temperature(model, batches):
    log_temperature = torch.zeros((), requires_grad=True)
    trainer = LearnedTemperatureTrainer(model, temperature=log_temperature.exp())
    for x in batches:
        trainer.step(x)


class LearnedSharpnessTrainer:
    def __init__(self, model, sharpness=1.0):
        self.model = model
        self.sharpness = sharpness

    def step(self, x):
        # reduced by ``std()``, not ``mean()``: the setting's graph still goes into the loss
        loss = (self.model(x) * self.sharpness).std()
        loss.backward(retain_graph=True)


def train_with_a_learned_sharpness(model, batches):
    log_sharpness = torch.zeros((), requires_grad=True)
    trainer = LearnedSharpnessTrainer(model, sharpness=log_sharpness.exp())
    for x in batches:
        trainer.step(x)


def _checkpointed(trunk, x):
    # torch runs ``trunk`` here: a forward, as ``trunk(x)`` would be.
    return torch.utils.checkpoint.checkpoint(trunk, x, use_reentrant=False)


def features_checkpointed_before_the_loop(trunk, heads, x):
    feats = _checkpointed(trunk, x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


EMBEDDINGS = torch.nn.Embedding(10, 4)(torch.arange(10))


def _project(weights):
    # Reads a value of the module, which carries a graph of its own.
    return torch.matmul(EMBEDDINGS, weights)


def projected_before_the_loop(weights, heads):
    feats = _project(weights)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def encode(x):
    return torch.tanh(x)


def _encoded(model, x):
    encode = model.encode  # not the module's ``encode``
    return encode(x)


def encoded_before_the_loop(model, heads, x):
    feats = _encoded(model, x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def a_class_handed_the_model(model, heads, x):
    model.train()
    extractor = FeatureExtractor(model, x)  # may run the model in its constructor
    for head in heads:
        head(extractor.features).sum().backward(retain_graph=True)


# -- forms an adversarial review found reported wrongly: each needs the graph again --------


def a_method_the_catalog_does_not_know(encoder, head, x, y):
    z = encoder(x)
    F.relu(1 - z.var(dim=0).sqrt()).mean().backward(retain_graph=True)  # ``z.var``: z's graph
    F.cross_entropy(head(z), y).backward()


def a_distribution_of_a_shared_body(actor_critic, obs, actions, returns):
    mu, value = actor_critic(obs)
    advantage = (returns - value).detach()
    dist = torch.distributions.Normal(mu, 1.0)
    actor_loss = -(dist.log_prob(actions).sum(-1) * advantage).mean()
    actor_loss.backward(retain_graph=True)  # value shares actor_critic's forward
    F.mse_loss(value, returns).backward()


def an_auxiliary_output_read_with_get(model, images, masks):
    output = model(images)
    F.cross_entropy(output["out"], masks).backward(retain_graph=True)
    F.cross_entropy(output.get("aux"), masks).backward()


def a_regulariser_on_its_own(rnn, x):
    hidden, _ = rnn(x)
    (2.0 * hidden.square().mean()).backward(retain_graph=True)  # expect: NG003:45


def jacobian_rows_of_a_positional_gradient(model, x):
    y = model(x)
    rows = []
    for i in range(y.shape[1]):
        y.backward(torch.eye(y.shape[1])[i].expand_as(y), retain_graph=True)  # y, again
        rows.append(x.grad.clone())
    return rows


def two_directions_of_one_output(model, x, v1, v2):
    out = model(x)
    out.backward(v1, retain_graph=True)
    out.backward(v2)


def the_last_direction(model, x, v):
    out = model(x)
    out.backward(v, retain_graph=True)  # expect: NG003:21


def a_wrapper_differentiates_its_argument(accelerator, model, x):
    accelerator.backward(model(x).sum(), retain_graph=True)  # expect: NG003:42


def heads_bound_with_partial(backbone, head_a, head_b, x, ya, yb):
    on_feats = functools.partial(F.cross_entropy, backbone(x))
    loss_a = on_feats(head_a.weight, ya)
    loss_a.backward(retain_graph=True)
    on_feats(head_b.weight, yb).backward()


def an_lbfgs_closure(backbone, probe, x, y):
    feats = backbone(x)
    optimizer = torch.optim.LBFGS(probe.parameters(), max_iter=5)

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(probe(feats), y)
        loss.backward(retain_graph=True)  # each evaluation differentiates feats' graph
        return loss.item()

    optimizer.step(closure)


def a_vector_jacobian_closure(model, x, basis):
    y = model(x)

    def vjp(v):
        return torch.autograd.grad(y, x, v, retain_graph=True)[0]

    return [vjp(v) for v in basis]


def the_previous_output_differentiated_next_iteration(model, frames, labels):
    prev_out = None
    for frame, label in zip(frames, labels):
        out = model(frame)
        if prev_out is not None:
            F.mse_loss(prev_out, out.detach()).backward()
        loss = F.cross_entropy(out, label)
        loss.backward(retain_graph=True)  # prev_out keeps out's graph for the next one
        prev_out = out


def a_patch_computed_once_from_a_leaf(model, loader, target):
    raw = torch.zeros(3, 8, 8, requires_grad=True)
    patch = torch.sigmoid(raw)  # a graph, made before the loop
    for images in loader:
        images = images.clone()
        images[:, :, :8, :8] = patch
        loss = F.cross_entropy(model(images), target)
        loss.backward(retain_graph=True)
    return raw.grad


def a_perturbation_leaf_used_directly(model, loader, target):
    delta = torch.zeros(3, 8, 8, requires_grad=True)
    for images in loader:
        loss = F.cross_entropy(model(images + delta), target)
        loss.backward(retain_graph=True)  # expect: NG003:23


def outputs_matched_to_a_pattern(model, x):
    match model(x):
        case (logits, features):
            entropy = -(logits.softmax(1) * logits.log_softmax(1)).sum(1).mean()
            entropy.backward(retain_graph=True)
            features.mean(0).pow(2).sum().backward()


def a_trunk_bound_inside_an_expression(trunk, head_a, head_b, x, y):
    la = F.cross_entropy(head_a(feats := trunk(x)), y)
    la.backward(retain_graph=True)
    F.cross_entropy(head_b(feats), y).backward()


def a_penalty_on_gradients_with_a_graph(model, x, y):
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    loss.backward(create_graph=True)
    penalty = x.grad.pow(2).sum()  # .grad holds loss's graph
    penalty.backward(retain_graph=True)
    loss.backward()


class ScaledTrainer:
    def __init__(self, model, loss_scaler):
        self.model = model
        self.loss_scaler = loss_scaler

    def train_step(self, x, y, optimizer):
        logits, aux = self.model(x)
        F.cross_entropy(aux, y).backward(retain_graph=True)
        self.loss_scaler(F.cross_entropy(logits, y), optimizer)  # timm's runs the backward


class GradNormBalancer:
    def __init__(self, shared):
        self.shared = shared

    def update(self, losses):
        return [torch.autograd.grad(loss, self.shared.weight)[0] for loss in losses]


def a_balancer_of_the_module(model, balancer, x, ys):
    losses = [F.mse_loss(out, y) for out, y in zip(model(x), ys)]
    sum(losses).backward(retain_graph=True)
    balancer.update(losses)  # the module's ``update`` differentiates them


def _backward(loss):
    loss.backward()


def _optimize(loss, optimizer):
    _backward(loss)
    optimizer.step()


def a_backward_two_helpers_down(model, x, y, optimizer):
    logits, aux = model(x)
    F.cross_entropy(aux, y).backward(retain_graph=True)
    _optimize(F.cross_entropy(logits, y), optimizer)


def a_graph_value_fed_to_the_model_again(model, x, y):
    model.train()
    out = model(x)
    F.mse_loss(out, y).backward(retain_graph=True)
    # A forward may differentiate what it is given: a test-time-training model, a hook.
    return model(out.detach()), model(out).argmax(1)


def a_loss_sent_in_to_a_generator(optimizer):
    while True:
        loss = yield  # its sender may differentiate the same graph again
        loss.backward(retain_graph=True)
        optimizer.step()


@torch.enable_grad()
def _features_with_grad(model, x):
    return model(x)


def features_made_with_grad_under_no_grad(model, heads, x, y):
    with torch.no_grad():
        feats = _features_with_grad(model, x)  # the decorator records a graph all the same
    for head in heads:
        loss = F.mse_loss(head(feats), y)
        loss.backward(retain_graph=True)


def features_made_under_no_grad(model, heads, x, y):
    with torch.no_grad():
        feats = model(x)
    for head in heads:
        loss = F.mse_loss(head(feats), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


def the_test_rebound_between_two_ifs(model, x, flag):
    out = model(x)
    if flag:
        out.mean().backward(retain_graph=True)  # both may run: ``flag`` changes in between
    flag = not flag
    if flag:
        print("skipped")
    else:
        out.sum().backward()


def one_test_in_two_ifs(model, x, flag):
    out = model(x)
    if flag:
        out.mean().backward(retain_graph=True)  # expect: NG003:29
    if flag:
        print("skipped")
    else:
        out.sum().backward()


def backward_scaled(loss, scaler):
    scaler.scale(loss).backward(retain_graph=True)  # the caller's loss, as a parameter


def _keep_loss(history, loss):
    history.append(loss)


def a_helper_keeps_the_loss(model, x, optimizer, history):
    loss = model(x).sum()
    loss.backward(retain_graph=True)  # the caller's list may be differentiated later
    _keep_loss(history, loss)
    optimizer.step()


def _log_number(meter, loss, n):
    meter.update(loss.item(), n)


def a_helper_logs_a_number(model, x, optimizer, meter):
    loss = model(x).sum()
    loss.backward(retain_graph=True)  # expect: NG003:19
    _log_number(meter, loss, 4)
    optimizer.step()


def kept_in_the_callers_list(model, x, optimizer, history):
    loss = model(x).sum()
    loss.backward(retain_graph=True)  # the caller's list may be differentiated later
    history.append(loss)
    optimizer.step()


def _backward_both(loss, aux):
    loss.backward(retain_graph=True)  # ``aux`` may share the graph
    aux.backward()


def both_heads(model, x):
    out = model(x)
    _backward_both(out.mean(), out.sum())


def _backward_each(loss):
    loss.backward(retain_graph=True)  # the lambda may run it again on the same loss


def through_a_lambda(model, x):
    loss = model(x).sum()
    step = lambda: _backward_each(loss)  # noqa: E731
    step()
    step()


def twice_through_a_lambda(model, x):
    loss = model(x).sum()
    step = lambda: loss.backward(retain_graph=True)  # noqa: E731  # run twice below
    step()
    step()


def line_search(model, x, y, optimizer):
    loss = F.mse_loss(model(x), y)
    # L-BFGS calls the closure once per evaluation of its line search, on the same loss.
    optimizer.step(lambda: loss.backward(retain_graph=True))


set_grad = torch.set_grad_enabled


@torch.no_grad()
def adapt_with_grad_switched_on(encoder, head, x, targets):
    set_grad(True)  # grad mode on for the rest of the body: ``feats`` records a graph
    feats = encoder(x)
    for y in targets:
        loss = F.mse_loss(head(feats), y)
        loss.backward(retain_graph=True)


def backward_function_given_its_tensors_by_keyword(trunk, head, aux, x):
    feats = trunk(x)
    loss, extra = head(feats).mean(), aux(feats).mean()
    torch.autograd.backward(tensors=[loss], retain_graph=True)
    torch.autograd.backward(tensors=[extra])  # the same trunk's graph: the flag is needed


def backward_method_then_the_function_by_keyword(trunk, head, aux, x):
    feats = trunk(x)
    loss, extra = head(feats).mean(), aux(feats).mean()
    loss.backward(retain_graph=True)
    torch.autograd.backward(tensors=[extra])


def backward_function_by_keyword_alone(model, x):
    loss = model(x).mean()
    torch.autograd.backward(tensors=loss, retain_graph=True)  # expect: NG003:43


def pgd_from_a_random_start(model, x, y, epsilon, alpha, steps):
    # ``uniform_`` fills a tensor in place: no model runs, and no graph is made before the
    # loop; each step builds its own.
    delta = torch.zeros_like(x).uniform_(-epsilon, epsilon)
    delta.requires_grad = True
    for _ in range(steps):
        loss = F.cross_entropy(model(x + delta), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        delta.data = (delta + alpha * delta.grad.sign()).clamp(-epsilon, epsilon)
        delta.grad.zero_()
    return delta.detach()


def repackage_hidden(h):
    """Detach the state from its history, as truncated backpropagation does."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def keep_hidden(h):
    return h if isinstance(h, torch.Tensor) else tuple(h)


def bptt_with_a_detaching_helper(rnn, chunks, hidden):
    for chunk in chunks:
        hidden = repackage_hidden(hidden)
        out, hidden = rnn(chunk, hidden)
        out.pow(2).mean().backward(retain_graph=True)  # expect: NG003:36


def bptt_with_a_helper_that_keeps_the_graph(rnn, chunks, hidden):
    for chunk in chunks:
        hidden = keep_hidden(hidden)
        out, hidden = rnn(chunk, hidden)
        out.pow(2).mean().backward(retain_graph=True)  # the last chunk's graph: needed


def bptt_beside_a_class_whose_method_names_its_parameter_alike(rnn, chunks, state):
    class Head(torch.nn.Module):
        def forward(self, state):  # its own ``state``, not the loop's
            return state.sum()

    head = Head()
    for chunk in chunks:
        state = state.detach()
        out, state = rnn(chunk, state)
        head(out).backward(retain_graph=True)  # expect: NG003:28


def regression_by_hand_on_a_loader(model, loader, optimizer):
    for x, y in loader:  # inputs and targets: data, with no graph of their own
        loss = ((model(x) - y) ** 2).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def regression_by_hand_on_an_enumerated_loader(model, loader, optimizer):
    for step, (x, y) in enumerate(loader):
        loss = (model(x.float()) - y).abs().mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def regression_on_a_loader_of_graph_batches(model, loader, optimizer):
    for batch in loader:  # a batch object: its fields are the model's inputs and targets
        loss = ((model(batch.x, batch.edge_index) - batch.y) ** 2).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def features_transposed_for_a_head(head, features, optimizer):
    for feats in features:  # ``feats.T`` is the tensor itself: no field of a batch
        loss = (head(feats.T) - feats.mean()).pow(2).mean()
        loss.backward(retain_graph=True)
        optimizer.step()


def features_handed_in_whole_to_a_head(head, features, optimizer):
    for feats in features:  # a list of a trunk's outputs, which may share its graph
        loss = (head(feats) - feats.mean()).pow(2).mean()
        loss.backward(retain_graph=True)
        optimizer.step()


def losses_handed_in_with_their_optimizers(losses, optimizers):
    for loss, task in zip(losses, range(len(losses))):
        (loss * 1.0).backward(retain_graph=True)  # the caller's losses may share a trunk
        optimizers[task].step()


def losses_handed_in_with_their_index(losses, heads, x):
    for index, loss in enumerate(losses):
        (loss + heads[index](x).mean()).backward(retain_graph=True)  # the same: silent


def bptt_detaching_the_state_in_place(rnn, chunks, h, c):
    for chunk in chunks:
        h.detach_()
        c.detach_()
        out, (h, c) = rnn(chunk, (h, c))
        out.pow(2).mean().backward(retain_graph=True)  # expect: NG003:36


def bptt_detaching_something_else_in_place(rnn, chunks, h, c, other):
    for chunk in chunks:
        other.detach_()
        out, (h, c) = rnn(chunk, (h, c))
        out.pow(2).mean().backward(retain_graph=True)  # the last chunk's state: needed


def two_models_bound_in_one_statement(net1, net2, loader):
    for x, y in loader:
        out1, out2 = net1(x), net2(x)  # two forwards, two graphs
        F.cross_entropy(out1, y).backward(retain_graph=True)  # expect: NG003:43
        F.cross_entropy(out2, y).backward()


def two_heads_of_one_trunk_bound_in_one_statement(trunk, head1, head2, loader):
    for x, y in loader:
        feats = trunk(x)
        out1, out2 = head1(feats), head2(feats)  # both hold the trunk's graph
        F.cross_entropy(out1, y).backward(retain_graph=True)
        F.cross_entropy(out2, y).backward()


# -- what a helper hands back, read where it is defined: detached values carry no graph, so
# features it computes once before the loop are not one graph used again


def _cached_activations(model, data):
    with torch.no_grad():
        outputs = [model(batch) for batch in data]
    return torch.cat(outputs).detach()


def reconstruct_from_cached_activations(model, block, data, steps, optimizer):
    targets = _cached_activations(model, data)
    for _ in range(steps):
        err = F.mse_loss(block(data[0]), targets)
        err.backward(retain_graph=True)  # expect: NG003:22
        optimizer.step()


class InputCatcher:
    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        with torch.no_grad():
            out = self.model(x)
        return out.detach(), x.detach()


def reconstruct_from_a_catcher(model, block, x, steps):
    catch = InputCatcher(model)
    inputs, targets = catch(x)
    for _ in range(steps):
        F.mse_loss(block(inputs), targets).backward(retain_graph=True)  # expect: NG003:53


class GraphCatcher:
    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        return self.model(x)  # a forward with grad on: the caller's features hold its graph


def features_from_a_catcher_that_keeps_the_graph(model, heads, x):
    catch = GraphCatcher(model)
    feats = catch(x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _densities(states, policy):
    # a method of an object given to the helper may be a model's: ``policy.density``
    return policy.density(states).log_prob(states).detach(), policy.density(states)


def densities_made_before_the_loop(policy, states, heads):
    _, density = _densities(states, policy)
    for head in heads:
        head(density.mean).sum().backward(retain_graph=True)


def _batches_given(batches):
    # what the caller gave, looped over: its graphs go on
    return torch.stack([batch for batch in batches])


def stacked_before_the_loop(heads, encoder, x):
    feats = _batches_given([encoder(x)])
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _features_generated(model, data):
    for batch in data:
        yield model(batch)


def generated_before_the_loop(model, heads, data):
    feats = torch.cat(list(_features_generated(model, data)))
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


class FeatureCache:
    store = {}


def _cached_features(key):
    # what a class of the module holds may be a graph: ``FeatureCache.store``
    return FeatureCache.store[key]


def features_from_a_class_cache(heads, key):
    feats = _cached_features(key)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _scaled_copy(x):
    return x.detach() * math.pi  # a module that computes on no tensor: no graph


def scaled_copy_before_the_loop(model, heads, x):
    feats = _scaled_copy(model(x))
    for head in heads:
        head(feats).sum().backward(retain_graph=True)  # expect: NG003:36


# -- helpers that hand back a graph in ways a reading of their returns could miss: silent


class SelfReturningCatcher:
    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        self.out = torch.tanh(self.model(x))
        return self  # the caller reads ``.out``: this call's graph


def a_catcher_that_returns_itself(model, heads, x):
    feats = SelfReturningCatcher(model)(x).out
    catch = SelfReturningCatcher(model)
    kept = catch(x)
    for head in heads:
        head(kept.out + feats).sum().backward(retain_graph=True)


class GraphWrapper:
    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        return torch.tanh(self.model(x))


class DetachedProbe(GraphWrapper):
    def forward(self, x):  # never run: ``GraphWrapper.__call__`` is
        return self.model(x).detach()


def an_inherited_call(model, heads, x):
    probe = DetachedProbe(model)
    feats = probe(x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


class Output:
    pass


def _outputs_on_an_object(model, x):
    out = Output()
    out.feats = torch.tanh(model(x))
    return out


def features_stored_on_a_returned_object(model, heads, x):
    out = _outputs_on_an_object(model, x)
    for head in heads:
        head(out.feats).sum().backward(retain_graph=True)


def _ensemble_in_place(models, x):
    total = torch.zeros(2, 4)
    for member in models:
        total.add_(torch.tanh(member(x)))
    return total


def an_ensemble_summed_in_place(models, heads, x):
    feats = _ensemble_in_place(models, x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _l2_penalty(model: torch.nn.Module):
    return sum(p.pow(2).sum() for p in model.parameters())


def a_penalty_on_the_parameters(model, heads, x):
    reg = _l2_penalty(model)
    for head in heads:
        (head(x).sum() + reg).backward(retain_graph=True)


ENCODER = torch.nn.Linear(4, 4)


def _encoder_penalty():
    return ENCODER.weight.pow(2).sum()


def a_penalty_on_a_model_of_the_module(heads, x):
    reg = _encoder_penalty()
    for head in heads:
        (head(x).sum() + reg).backward(retain_graph=True)


def _sample_fake():
    return torch.tanh(ENCODER(torch.randn(2, 4)))


def a_helper_given_nothing(heads):
    fake = _sample_fake()  # runs the module's model
    for head in heads:
        head(fake).sum().backward(retain_graph=True)


class Rebound:
    def __call__(self, x):
        return x.detach()


class GradRebound(Rebound):
    def __call__(self, x):
        return torch.tanh(x)


if RETAIN:
    Rebound = GradRebound  # noqa: F811


def a_class_the_module_binds_again(model, heads, x):
    catch = Rebound()
    feats = catch(model(x))
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _features(model, x):
    with torch.no_grad():
        return model(x).detach()


def a_helper_shadowed_in_the_function(model, heads, x, finetune):
    if finetune:

        def _features(model, x):
            return torch.tanh(model(x))

    feats = _features(model, x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _detached_features(model, x):
    with torch.no_grad():
        return model(x).detach()


def enable_finetuning():
    global _detached_features  # rebinds the module's function: its returns are not read

    def _detached_features(model, x):
        return torch.tanh(model(x))


def a_function_some_function_rebinds(model, heads, x):
    feats = _detached_features(model, x)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


class OutputCatcher:
    def __init__(self, model):
        self.model = model
        self.out = None

    def __call__(self, x):
        self.out = torch.tanh(self.model(x))
        return self.out.detach()


def an_attribute_its_call_stored(model, heads, x):
    catch = OutputCatcher(model)
    catch(x)
    feats = catch.out  # the graph ``__call__`` stored
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


LAST_FEATURES = None


def _features_kept_globally(model, x):
    global LAST_FEATURES
    LAST_FEATURES = torch.tanh(model(x))
    return LAST_FEATURES.detach()


def a_module_variable_a_function_sets(model, heads, x):
    _features_kept_globally(model, x)
    feats = LAST_FEATURES
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _make_loss(model, x):
    feats = torch.tanh(model(x))

    def loss(head):
        return head(feats).sum()

    return loss


def a_closure_named_as_a_loss(model, heads, x):
    loss_of = _make_loss(model, x)  # a closure over one graph, called once per head
    for head in heads:
        loss_of(head).backward(retain_graph=True)


# -- forms a held-out set of code bases showed ------------------------------------------


def _hessian_diagonal(y, x):
    # ``create_graph=True`` records the backward's own graph, made once, before the loop
    dy = torch.autograd.grad(y, [x], create_graph=True)[0]
    flat = dy.reshape(len(x), -1)
    rows = []
    for i in range(flat.shape[-1]):
        dyi = flat.index_select(-1, torch.tensor([i]))
        ones = [torch.ones_like(dyi)]
        rows.append(torch.autograd.grad([dyi], [x], grad_outputs=ones, retain_graph=True)[0])
    return torch.stack(rows, -1)


def curvature(model, x):
    x = x.detach().requires_grad_()
    return _hessian_diagonal(model(x).sum(), x)


def gradients_of_paired_moments(trace_moments):
    # pairs of one graph each, not batches of data: ``grad`` runs no model on them, and
    # the gradients of one are no input of the other
    loc = torch.zeros(3).requires_grad_()
    actual_moments = trace_moments("actual")
    expected_moments = trace_moments("expected")
    for actual, expected in zip(actual_moments, expected_moments):
        expected_grads = autograd_grad(expected.sum(), [loc], retain_graph=True)
        actual_grads = autograd_grad(actual.sum(), [loc], retain_graph=True)
        summarize(actual_grads[0], expected_grads[0])


def _sample_rows(data, size):
    start = np.random.randint(0, data.shape[0] - size)
    return torch.from_numpy(data[start : start + size])


def two_critics_on_sampled_rows(critic, other_critic, data, optimizer):
    for _ in range(5):
        real = _sample_rows(data, 64)  # numpy and torch only: data, no model's output
        first = critic(real).mean()
        first.backward(retain_graph=True)  # expect: NG003:24
        second = other_critic(real).mean()
        second.backward()
        optimizer.step()


class PatchAttack:
    def __init__(self, estimator):
        self.estimator = estimator

    def _loss(self, images, target):
        return F.cross_entropy(self.estimator.predict(images), target)

    def train_step(self, images, target, optimizer):
        loss = self._loss(images, target)  # a forward under a loss's name
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def codes_from_either_branch(model, encoder, loader, optimizer, supervised):
    for x, y in loader:
        if supervised:
            code = encoder(y)
        else:
            code = torch.rand(len(y), 10)
        code = code.to(x.device)  # this iteration's code: both branches bind it
        loss = model(x, code).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def one_hot_labels_of_two_losses(model, head, x, y):
    target = torch.zeros(len(y), 10).scatter_(1, y.unsqueeze(1), 1)  # no graph
    first = F.mse_loss(model(x), target)
    first.backward(retain_graph=True)  # expect: NG003:20
    second = F.mse_loss(head(x), target)
    second.backward()


class LabelledGAN:
    def __init__(self, generator, critic, batch_size):
        self.G, self.D = generator, critic
        self.y_real, self.y_fake = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)

    def train(self, loader, d_optimizer, g_optimizer):
        self.y_real, self.y_fake = self.y_real.cuda(), self.y_fake.cuda()
        for x, z in loader:
            real = F.binary_cross_entropy(self.D(x), self.y_real)  # labels: fresh tensors
            d_loss = real + F.binary_cross_entropy(self.D(self.G(z)), self.y_fake)
            d_loss.backward(retain_graph=True)  # expect: NG003:29
            d_optimizer.step()
            g_loss = F.binary_cross_entropy(self.D(self.G(z)), self.y_real)
            g_loss.backward()
            g_optimizer.step()


class KeptFeatures:
    def __init__(self, model):
        self.model = model
        self.feats = torch.zeros(1)

    def refresh(self, x):
        self.feats = self.model(x)  # a graph, kept on the object

    def step(self, targets):
        for target in targets:
            F.mse_loss(self.feats, target).backward(retain_graph=True)


def r1_penalty(critic, real, weight):
    real = real.detach().requires_grad_(True)
    # an inline forward: the gradients, made with create_graph=True, carry its graph on
    grads = torch.autograd.grad(
        outputs=critic(real).sum(), inputs=real, create_graph=True, retain_graph=True
    )[0]
    penalty = grads.pow(2).sum() * weight
    penalty.backward()
    return penalty.item()


# -- forms an adversarial review of those readings found: each needs the graph again ------


def names_beside_features(model, heads, x, verbose):
    feats = model(x)
    if verbose:  # a comprehension's variable is its own: ``feats`` is still the forward
        names = [feats for feats in ("a", "b")]
    else:
        names = [feats.upper() for feats in ("c",)]
    for head in heads:
        head(feats).sum().backward(retain_graph=True)
    return names


class OutputsEncoder:
    def __init__(self, net, proj):
        self.net = net
        self.proj = proj

    def encode(self, x):
        outputs = self.net(x)
        self.encoded = outputs.encoded  # another object's attribute: no fresh tensor

    def step(self, x):
        self.encode(x)
        for _ in range(2):
            (self.encoded * self.proj(x)).sum().backward(retain_graph=True)


def forked_encoder(encoder, heads, x):
    future = torch.jit.fork(encoder, x)  # runs the encoder
    feats = torch.jit.wait(future)
    for head in heads:
        head(feats).sum().backward(retain_graph=True)


def _make_weighted_loss(model, x):
    feats = model(x)
    return lambda w: ((feats * w) ** 2).mean()  # a closure over the forward


def two_weights_of_one_closure(model, x):
    loss_of = _make_weighted_loss(model, x)
    first = loss_of(1.0)
    first.backward(retain_graph=True)
    second = loss_of(2.0)
    second.backward()


def nested_objective(model, x, y):
    feats = model(x)

    def objective(w):
        return w * F.mse_loss(feats, y)

    first = objective(1.0)
    first.backward(retain_graph=True)
    second = objective(0.5)
    second.backward()


def functions_handed_to_a_loss_share_what_they_close_over(elbo, reparam):
    # Both losses run a function that samples from ``prior``, whose parameters were
    # computed once from the leaves: that part of the graph is differentiated twice.
    loc = torch.zeros(3, requires_grad=True)
    prior = torch.distributions.Normal(loc.exp(), 1.0)

    def model():
        return prior.rsample().sum()

    expected = elbo.differentiable_loss(model)
    actual = elbo.differentiable_loss(reparam(model))
    torch.autograd.grad(expected, [loc], retain_graph=True)
    torch.autograd.grad(actual, [loc])


def closures_run_before_the_last_gradient(make_elbo):
    # ``model`` holds ``prior``'s graph, but it is run only by the calls before the last
    # gradient call, and nothing it made is differentiated after it.
    elbo = make_elbo()
    reparam = functools.partial(torch.func.vmap, in_dims=None)
    loc = torch.zeros(3, requires_grad=True)
    prior = torch.distributions.Normal(loc.exp(), 1.0)

    def model():
        return prior.rsample().sum()

    expected = elbo.differentiable_loss(model)
    actual = elbo.differentiable_loss(reparam(model))
    torch.autograd.grad(expected, [loc], retain_graph=True)
    torch.autograd.grad(actual, [loc], retain_graph=True)  # expect: NG003:40


def closure_run_again_after(elbo):
    loc = torch.zeros(3, requires_grad=True)
    prior = torch.distributions.Normal(loc.exp(), 1.0)

    def model():
        return prior.rsample().sum()

    torch.autograd.grad(elbo.differentiable_loss(model), [loc], retain_graph=True)
    torch.autograd.grad(elbo.differentiable_loss(model), [loc])  # prior's graph again


def closure_result_differentiated_after(model, x):
    feats = model(x)

    def head():
        return feats * 2

    doubled = head()
    feats.sum().backward(retain_graph=True)
    doubled.sum().backward()  # through feats' graph


def closure_run_after_by_a_callee(model, x, trainer):
    feats = model(x)

    def head():
        return feats.pow(2).mean()

    feats.mean().backward(retain_graph=True)
    trainer.fit_step(head())  # may differentiate it, through feats' graph


def closure_writes_what_it_reads_outside(model, x):
    feats = model(x)
    kept = []

    def collect():
        kept.append(feats * 2)  # the list outlives the call

    collect()
    feats.sum().backward(retain_graph=True)
    kept[0].sum().backward()


def closure_sets_a_nonlocal(model, x):
    feats = model(x)
    total = 0

    def accumulate():
        nonlocal total
        total = total + feats.sum()

    accumulate()
    feats.mean().backward(retain_graph=True)
    total.backward()


def closure_registered_as_a_hook(model, x, y):
    feats = model(x)
    extra = []
    z = y * 2

    def hook(grad):
        extra.append(grad * feats.sum())

    z.register_hook(hook)  # runs in the next backward
    feats.sum().backward(retain_graph=True)
    z.sum().backward()


def closure_handed_to_a_method_of_a_parameter(model, x, schedule):
    feats = model(x)

    def objective():
        return feats.mean()

    schedule.append(objective)  # the caller's list outlives the function
    feats.sum().backward(retain_graph=True)


def closure_in_another_default(model, x):
    feats = model(x)

    def objective():
        return feats.sum()

    def runner(run=objective):  # read here, run after
        return run()

    objective().backward(retain_graph=True)
    runner().backward()


def closure_looked_up_by_name(model, x):
    feats = model(x)

    def objective():
        return feats.sum()

    objective().backward(retain_graph=True)
    locals()["objective"]().backward()


def closure_run_when_the_with_exits(model, x, run_at_exit):
    feats = model(x)

    def objective():
        return feats.sum()

    with contextlib.ExitStack() as stack:
        stack.callback(run_at_exit, objective)
        objective().backward(retain_graph=True)  # the exit runs it afterwards


def closures_holding_defaults_collected(model, batches):
    runs = []
    for x in batches:
        feats = model(x)

        def objective(feats=feats):  # the default holds this iteration's graph
            return feats.sum()

        runs.append(objective)
        objective().backward(retain_graph=True)
    for run in runs:
        run().backward()


def closure_that_leaves(model, x):
    feats = model(x)

    def head():
        return feats.pow(2).mean()

    feats.sum().backward(retain_graph=True)  # the caller may run head
    return head


def closure_kept_by_what_it_was_handed_to(elbo, x, model):
    feats = model(x)

    def guide():
        return feats.sum()

    wrapped = elbo.wrap(guide)
    feats.mean().backward(retain_graph=True)
    wrapped().backward()  # runs guide again, through feats' graph


def decorated_closure(model, x, registry):
    feats = model(x)

    @registry.register  # the registry may run it at any time
    def head():
        return feats.sum()

    feats.mean().backward(retain_graph=True)


def closure_run_in_the_loop(model, x, steps):
    feats = model(x)

    def objective(w):
        return (feats * w).sum()

    for w in steps:
        objective(w).backward(retain_graph=True)  # the next step runs it again


def regulariser_made_before_the_loop(model, batches):
    # The parameters are leaves, but their squares are one graph, made once and
    # differentiated again by every iteration's loss.
    reg = sum(p.pow(2).sum() for p in model.parameters())
    for x, y in batches:
        loss = F.mse_loss(model(x), y) + 1e-3 * reg
        loss.backward(retain_graph=True)


def architecture_weights_made_before_the_loop(model, batches):
    weights = F.softmax(model.alpha, 0)  # DARTS: one graph over the architecture weights
    for x in batches:
        model(x, weights).pow(2).mean().backward(retain_graph=True)


def penalty_of_a_weight_made_before_the_loop(model, batches):
    penalty = model.weight.norm()
    for x in batches:
        loss = model(x).pow(2).mean() + 0.01 * penalty
        loss.backward(retain_graph=True)


def activation_the_forward_stored_on_the_model(model, x):
    out = model(x)
    out.mean().backward(retain_graph=True)
    model.last_feat.pow(2).mean().backward()  # what the forward kept: the same graph


def backward_taken_as_a_value(model, x):
    h = model(x)
    pending = [h.abs().mean().backward]
    h.pow(2).mean().backward(retain_graph=True)
    for run in pending:
        run()


def gradient_function_handed_to_partial(model, x):
    h = model(x)
    second = functools.partial(torch.autograd.backward, h.abs().mean())
    h.pow(2).mean().backward(retain_graph=True)
    second()


def lambda_that_differentiates_later(model, x):
    h = model(x)
    later = lambda t=h.abs().mean(): t.backward()  # noqa: E731
    h.pow(2).mean().backward(retain_graph=True)
    later()


def a_closure_with_a_backward_of_its_own(model, x, optimizer):
    out = model(x)
    out.mean().backward(retain_graph=True)  # expect: NG003:25

    def closure():  # its backward is called where it is written: nothing taken as a value
        loss = model(x).sum()
        loss.backward()
        return loss

    optimizer.step(closure)


def copied_into_a_buffer(model, x):
    buffer = torch.zeros(5, 3)
    h = model(x)
    buffer.copy_(h)  # the buffer now holds h's graph
    h.pow(2).mean().backward(retain_graph=True)
    buffer.abs().mean().backward()


def _fill(buffer, h):
    buffer.copy_(h)


def copied_into_a_buffer_by_a_helper(model, x, buffer):
    h = model(x)
    _fill(buffer, h)  # the caller's buffer may be differentiated later
    h.pow(2).mean().backward(retain_graph=True)


def a_buffer_filled_with_numbers(model, x):
    buffer = torch.zeros(5, 3)
    h = model(x)
    buffer.fill_(1.0)
    h.pow(2).mean().backward(retain_graph=True)  # expect: NG003:30
    buffer.abs().mean().backward()


def kept_by_a_helper_before_the_call(model, x, history):
    loss = model(x).sum()
    _keep_loss(history, loss)  # the caller's list may be differentiated later
    loss.backward(retain_graph=True)


def logged_by_a_helper_before_the_call(model, x, meter):
    loss = model(x).sum()
    _log_number(meter, loss, 4)
    loss.backward(retain_graph=True)  # expect: NG003:19


def put_in_a_queue(model, x, queue):
    h = model(x)
    queue.put(h.abs().mean())  # taken out and differentiated later
    h.pow(2).mean().backward(retain_graph=True)
    queue.get().backward()


def changed_in_place_by_a_function_of_torch(model, head, x):
    h = model(x)
    F.relu_(h)  # changes h; the name F holds no graph afterwards
    h.sum().backward(retain_graph=True)  # expect: NG003:22
    F.softmax(head(x), 1).sum().backward()


def copied_into_a_buffers_data(model, x):
    buffer = torch.zeros(5, 3)
    h = model(x)
    buffer.data.copy_(h)  # ``.data`` records no graph
    h.pow(2).mean().backward(retain_graph=True)  # expect: NG003:30
    buffer.abs().mean().backward()


def a_running_average_made_in_place(model, x, ema):
    loss = model(x).pow(2).mean()
    ema.mul_(0.9).add_(0.1 * loss)  # each in-place method returns ema itself
    loss.backward(retain_graph=True)
    ema.backward()


def copied_into_a_row_of_a_buffer(model, x, outs):
    for t in range(2):
        h = model(x)
        outs[t].copy_(h)
        h.pow(2).sum().backward(retain_graph=True)
    outs.sum().backward()


def _remember(value, history=None):
    if history is None:
        history = []
    history.append(value)  # the caller's list when one is given
    return history


def kept_by_a_helper_with_a_default_list(model, x, history):
    loss = model(x).sum()
    _remember(loss, history)
    loss.backward(retain_graph=True)


# -- a model's output that a caller in the module hands in: each gradient call through the
# parameter differentiates the caller's graph again; data handed in stays data --------------


def fit_heads_on_features(feats, heads, y):
    for head in heads:
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # the backbone's graph, again for the next head


def train_heads_on_a_backbone(backbone, heads, loader):
    for x, y in loader:
        fit_heads_on_features(backbone(x), heads, y)


def fit_heads_on_inputs(inputs, heads, y):
    for head in heads:
        loss = F.cross_entropy(head(inputs), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


def train_heads_on_data(heads, loader):
    for x, y in loader:
        fit_heads_on_inputs(x.flatten(1), heads, y)


class MultiHeadTrainer(torch.nn.Module):
    def step_heads(self, feats, y):
        for head in self.heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # the backbone's graph, again

    def step(self, x, y):
        self.step_heads(torch.relu(self.backbone(x)), y)


class EncodingTrainer(torch.nn.Module):
    def embed(self, x):
        return torch.relu(self.backbone(x))

    def step_heads(self, feats, y):
        for head in self.heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # what ``embed`` ran, again

    def step(self, x, y):
        feats = self.embed(x)  # a method of the class that runs a model
        self.step_heads(feats, y)


class BatchesTrainer:
    def batches(self):
        return self.loader

    def step_heads(self, feats, heads, y):
        for head in heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # expect: NG003:27

    def fit(self, heads, y):
        for batch in self.batches():  # a method of the object: data, not a model's output
            self.step_heads(batch, heads, y)


def step_one_head(feats, head, y):
    loss = F.cross_entropy(head(feats), y)
    loss.backward(retain_graph=True)  # the caller's next iteration runs it on the same feats


def heads_over_features_made_once(backbone, heads, x, y):
    feats = backbone(x)
    for head in heads:
        step_one_head(feats, head, y)


def fit_one_head(feats, head, y):
    loss = F.cross_entropy(head(feats), y)
    loss.backward(retain_graph=True)  # expect: NG003:19


def one_head_per_batch(backbone, head, loader):
    for x, y in loader:
        fit_one_head(backbone(x), head, y)  # a new graph for each call: differentiated once


TRUNK = torch.nn.Linear(4, 4)


class StaticHeads:
    @staticmethod
    def fit_static_heads(feats, heads, y):
        for head in heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # TRUNK's graph, again for the next head

    def step(self, x, y):
        self.fit_static_heads(TRUNK(x), self.heads, y)  # a model of the module


def fit_heads_two_calls_down(feats, heads, y):
    for head in heads:
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # the encoder's graph, handed on by its caller


def step_handing_on(feats, heads, y):
    fit_heads_two_calls_down(feats, heads, y)


def train_handing_features_on(model, heads, x, y):
    step_handing_on(model.encoder(x), heads, y)  # a submodule of a parameter


class HeadFitter:
    def fit_heads_of_the_object(self, feats, y):
        for head in self.heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # the caller's encoder graph, again


def fit_through_an_object(encoder, heads, x, y):
    fitter = HeadFitter()  # an object of the method's class
    fitter.fit_heads_of_the_object(encoder(x), y)


class ClosureStep(torch.nn.Module):
    def heads_in_a_closure(self, feats, y):
        for head in self.heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # the backbone's graph, again

    def step(self, x, y):
        def closure():
            self.heads_in_a_closure(self.backbone(x), y)  # the method's ``self``

        closure()


def fit_heads_under_an_alias(feats, heads, y):
    for head in heads:
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # the backbone's graph, called as ``step``


def fit_heads_summed(feats, heads, y):
    sum(F.cross_entropy(head(feats), y) for head in heads).backward()


def train_through_an_alias(backbone, heads, x, y, summed):
    step = fit_heads_summed if summed else fit_heads_under_an_alias
    step(backbone(x), heads, y)


def fit_heads_in_a_partial(feats, heads, y):
    for head in heads:
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # the backbone's graph, through the partial


def train_through_a_partial(backbone, heads, x, y):
    fit = functools.partial(fit_heads_in_a_partial, heads=heads)
    fit(backbone(x), y=y)


def fit_heads_aliased_on_data(feats, heads, y):
    for head in heads:
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


def train_alias_on_data(heads, loader):
    step = fit_heads_aliased_on_data
    for x, y in loader:
        step(x, heads, y)  # handed a batch: data, differentiated through the heads only


def class_defined_in_a_function(x, y):
    class MultiTask(torch.nn.Module):
        def step_heads(self, feats, y):
            for head in self.heads:
                loss = F.cross_entropy(head(feats), y)
                loss.backward(retain_graph=True)  # the backbone's graph, again

        def step(self, x, y):
            self.step_heads(self.backbone(x), y)

    MultiTask().step(x, y)


class ProjectedHeads(torch.nn.Module):
    def step_projected_heads(self, feats, y):
        for head in self.heads:
            loss = F.cross_entropy(head(feats), y)
            loss.backward(retain_graph=True)  # the projection's graph, again

    def step(self, x, y):
        feats = F.linear(x, self.proj)  # the object's parameter: a graph, and no model call
        self.step_projected_heads(feats, y)


def features_made_on_the_first_pass_only(encoder, heads, x, y):
    feats = None
    for head in heads:
        if feats is None:
            feats = encoder(x)  # made once, read again by every later pass
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # the first pass's graph, again


def features_made_on_the_first_iteration(encoder, heads, x, y):
    for i, head in enumerate(heads):
        if i == 0:
            feats = encoder(x)
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # iteration 0's graph, again


def features_made_on_every_pass(encoder, heads, x, y):
    for head in heads:
        feats = encoder(x)  # a new graph on every pass
        loss = F.cross_entropy(head(feats), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


def a_prototype_updated_in_place(encoder, loader):
    prototype = torch.zeros(4)
    for x in loader:
        z = encoder(x)
        prototype.mul_(0.9).add_(0.1 * z.mean(0))  # keeps this step's graph for the next
        loss = F.mse_loss(z, prototype.expand_as(z))
        loss.backward(retain_graph=True)  # last step's graph, through the prototype


def a_memory_bank_written_in_place(encoder, loader):
    bank = torch.zeros(12, 4)
    for step, x in enumerate(loader):
        z = encoder(x)
        bank[step * 4 : (step + 1) * 4] = z  # not detached: the next step reads this graph
        loss = torch.logsumexp(z @ bank.t(), 1).mean()
        loss.backward(retain_graph=True)


def a_memory_bank_of_detached_keys(encoder, loader):
    bank = torch.zeros(12, 4)
    for step, x in enumerate(loader):
        z = encoder(x)
        bank[step * 4 : (step + 1) * 4] = z.detach()
        loss = torch.logsumexp(z @ bank.t(), 1).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23


FEATURES_OF_THE_MODULE = ENCODER(torch.randn(6, 4))


def a_probe_on_features_of_the_module(probe, y):
    loss = F.cross_entropy(probe(FEATURES_OF_THE_MODULE), y)
    loss.backward(retain_graph=True)  # the module's graph, again at the next call


with torch.no_grad():
    FEATURES_WITHOUT_A_GRAPH = ENCODER(torch.randn(6, 4))


def a_probe_on_features_without_a_graph(probe, y):
    loss = F.cross_entropy(probe(FEATURES_WITHOUT_A_GRAPH), y)
    loss.backward(retain_graph=True)  # expect: NG003:19


def a_probe_on_module_embeddings(probe, y):
    loss = F.cross_entropy(probe(EMBEDDINGS), y)
    loss.backward(retain_graph=True)  # the module's embedding graph, again


def a_loss_made_under_autocast(model, scaler, loader):
    for x, y in loader:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x), y)  # made on every iteration, in the ``with``
        scaler.scale(loss).backward(retain_graph=True)  # expect: NG003:37


def actor_and_critic_share_only_data(actor, critic, opt):
    for _ in range(3):
        obs, returns = torch.randn(16, 4), torch.randn(16)  # data: no graph to share
        dist = torch.distributions.Categorical(logits=actor(obs))
        value = critic(obs).squeeze(-1)
        advantage = returns - value.detach()
        actor_loss = -(dist.log_prob(dist.sample()) * advantage).mean()
        actor_loss.backward(retain_graph=True)  # expect: NG003:29
        (returns - value).pow(2).mean().backward()  # the critic's graph only
        opt.step()


def actor_and_critic_share_the_value(actor, critic, opt):
    for _ in range(3):
        obs, returns = torch.randn(16, 4), torch.randn(16)
        dist = torch.distributions.Categorical(logits=actor(obs))
        value = critic(obs).squeeze(-1)
        advantage = returns - value  # not detached: the critic's graph is in both losses
        actor_loss = -(dist.log_prob(dist.sample()) * advantage).mean()
        actor_loss.backward(retain_graph=True)
        (returns - value).pow(2).mean().backward()
        opt.step()


class EncodedOnceHeads:
    def encode(self, x):
        self.encoded = self.encoder(x)

    def fit_head(self, i, y):
        loss = F.cross_entropy(self.heads[i](self.encoded), y)
        loss.backward(retain_graph=True)  # the graph ``encode`` left on the object, again


class EncodedWithoutAGraph:
    def encode(self, x):
        with torch.no_grad():
            self.frozen_encoded = self.encoder(x)

    def fit_head(self, i, y):
        loss = F.cross_entropy(self.heads[i](self.frozen_encoded), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


class EncodedBehindAProperty:
    @property
    def features(self):
        return self._features  # what ``encode`` left, graph and all

    def encode(self, x):
        self._features = self.encoder(x)

    def fit_head(self, i, y):
        loss = F.cross_entropy(self.heads[i](self.features), y)
        loss.backward(retain_graph=True)


def a_code_made_in_a_try_with_a_fallback(encoder, decoder, loader):
    for x in loader:
        try:
            z = encoder(x)
        except RuntimeError:
            z = torch.zeros(6, 16)  # either way, this iteration's own value
        F.mse_loss(decoder(z), x).backward(retain_graph=True)
        (0.01 * z.abs().mean()).backward(retain_graph=True)  # expect: NG003:42


def a_code_kept_when_the_encoder_fails(encoder, decoder, loader):
    z = None
    for x in loader:
        try:
            z = encoder(x)
        except RuntimeError:
            pass  # keeps last iteration's code, and its graph
        F.mse_loss(decoder(z), x).backward(retain_graph=True)


def parameter_made_here_is_a_leaf(model, batches, device):
    # ``gate`` is computed once from a parameter made here, before the loop: every
    # iteration's backward runs through its saved result again.
    alpha = torch.nn.Parameter(torch.tensor(-1.0)).to(device)
    gate = torch.sigmoid(alpha)
    for x, y in batches:
        out = model(x)
        loss = F.mse_loss(out, y) + gate * out.pow(2).mean()
        loss.backward(retain_graph=True)


def parameter_made_here_used_fresh_each_iteration(model, batches, device):
    alpha = torch.nn.Parameter(torch.tensor(-1.0)).to(device)
    for x, y in batches:
        out = model(x)
        loss = F.mse_loss(out, y) + alpha.exp() * out.pow(2).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23


def frozen_parameter_is_no_leaf(model, batches):
    # ``requires_grad=False``: constant data, no graph before the loop
    alpha = torch.nn.Parameter(torch.tensor(-1.0), requires_grad=False)
    gate = torch.sigmoid(alpha)
    for x, y in batches:
        loss = F.mse_loss(model(x), y) * gate
        loss.backward(retain_graph=True)  # expect: NG003:23


def parts_of_a_model_never_called_whole(model, loader):
    # ``model`` is never called itself, but its parts run one on what another made: the
    # backbone's graph is shared by both losses.
    for x, y in loader:
        feats = model.backbone(x)
        loss_cls = F.cross_entropy(model.cls_head(feats), y)
        loss_cls.backward(retain_graph=True)
        loss_rec = F.mse_loss(model.decoder(feats), x)
        loss_rec.backward()


def parts_of_a_model_on_a_concatenation(gan, loader):
    for real in loader:
        fake = gan.G(torch.randn(real.size(0), 4))
        logits = gan.D(torch.cat([real, fake]))
        d_loss = F.softplus(-logits).mean()
        d_loss.backward(retain_graph=True)
        g_loss = F.softplus(-logits[real.size(0) :]).mean()
        g_loss.backward()


def an_indexed_part_is_no_state_of_the_model(gan, loader):
    for real in loader:
        fake = gan.G(torch.randn(real.size(0), 4))
        d_loss = F.softplus(gan.D(fake.detach())).mean() + F.softplus(-gan.D(real)).mean()
        d_loss.backward(retain_graph=True)  # expect: NG003:25
        matched = F.mse_loss(gan.D[0](fake).mean(0), gan.D[0](real).mean(0).detach())
        matched.backward()


def word_state_made_before_each_sentence(m, document, s):
    # ``h`` made before the inner loop is read by its first pass only: each pass binds it
    # again, and detaches it at the end.
    for sentence in document:
        h = torch.tanh(m.init_word(s))
        for x, y in sentence:
            h = m.word(x, h)
            loss = F.mse_loss(m.head(h), y)
            loss.backward(retain_graph=True)  # expect: NG003:27
            h = h.detach()
        s = m.sent(h, s).detach()


def state_carried_past_a_break_into_the_next_epoch(model, stream, epochs, steps):
    hidden = torch.zeros(5, 8)
    for _ in range(epochs):
        for step, (x, y) in enumerate(stream):
            out, hidden = model(x, hidden)
            F.mse_loss(out, y).backward(retain_graph=True)  # the next epoch's first step
            if step + 1 >= steps:
                break  # leaves with the graph: the next epoch goes on from it
            hidden = hidden.detach()


def state_reset_at_each_epoch_after_a_break(model, stream, epochs, steps):
    for _ in range(epochs):
        hidden = torch.zeros(5, 8)
        for step, (x, y) in enumerate(stream):
            out, hidden = model(x, hidden)
            F.mse_loss(out, y).backward(retain_graph=True)  # expect: NG003:41
            if step + 1 >= steps:
                break
            hidden = hidden.detach()


def micro_batches_under_cached_parametrizations(model, micro_batches, optimizer):
    with torch.nn.utils.parametrize.cached():  # each parametrized weight made once
        for x, y in micro_batches:
            loss = F.cross_entropy(model(x), y) / len(micro_batches)
            loss.backward(retain_graph=True)  # the next one goes through the same weight
    optimizer.step()


def two_losses_under_cached_parametrizations(model, x, y, y_aux):
    with torch.nn.utils.parametrize.cached():
        F.cross_entropy(model(x), y).backward(retain_graph=True)  # the same: silent
        F.mse_loss(model(x * 2), y_aux).backward()


def micro_batches_outside_cached_parametrizations(model, micro_batches, optimizer):
    for x, y in micro_batches:
        loss = F.cross_entropy(model(x), y) / len(micro_batches)
        loss.backward(retain_graph=True)  # expect: NG003:23
    optimizer.step()


def regression_on_a_loader_made_by_another_package(model, data, optimizer):
    loader = make_loader(data, batch_size=32)  # a dataset: its batches hold no graph
    for x, y in loader:
        loss = ((model(x) - y) ** 2).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def regression_on_a_split_of_graph_snapshots(model, dataset, optimizer):
    train, _ = split_signal(dataset, train_ratio=0.8)
    for step, snapshot in enumerate(train):
        loss = ((model(snapshot.x, snapshot.edge_index) - snapshot.y) ** 2).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def a_loader_made_from_a_models_output(encoder, head, xs, ys, optimizer):
    feats = encoder(xs)  # one forward: every batch of the loader is a slice of its graph
    for f, y in make_loader(feats, ys):
        loss = ((head(f) - y) ** 2).mean()
        loss.backward(retain_graph=True)
        optimizer.step()


def heads_over_encodings_handed_a_model(encoder, head, xs, ys, optimizer):
    for feats, y in zip(encode_all(encoder, xs), ys):  # given a model: may share a graph
        loss = ((head(feats) - y) ** 2).mean()
        loss.backward(retain_graph=True)
        optimizer.step()


def heads_over_a_trunks_chunks(trunk, head, x, ys, optimizer):
    for feats, y in zip(trunk(x).chunk(4), ys):  # one forward, shared by every chunk
        loss = ((head(feats) - y) ** 2).mean()
        loss.backward(retain_graph=True)
        optimizer.step()


class SpreadEnsemble(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.members = torch.nn.ModuleList(torch.nn.Linear(4, 1) for _ in range(3))

    def forward(self, x):
        return torch.stack([m(x) for m in self.members]).mean(0)

    def std(self, x):  # the model's own method, named like a tensor's: it runs the members
        return torch.stack([m(x) for m in self.members]).std(0)


def penalised_by_the_spread_before_the_loop(ens, loader, x_ref, optimizer):
    ens.train()
    spread = ens.std(x_ref).mean()  # one graph, made before the loop
    for x, y in loader:
        loss = F.mse_loss(ens(x), y) - 0.1 * spread
        optimizer.zero_grad()
        loss.backward(retain_graph=True)  # every iteration goes through spread's graph
        optimizer.step()
