# NG002: a value carrying an autograd graph, stored in a loop where it outlives the
# iteration, and never differentiated after.
import collections
import contextlib

import torch
import torch.nn.functional as F


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def running_loss_after_backward(model, loader, optimizer):
    model.train()
    total_loss = 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss  # expect: NG002:23
    return total_loss / len(loader)


def running_loss_as_a_number(model, loader, optimizer):
    model.train()
    total_loss = 0.0
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    return total_loss / len(loader)


def losses_for_a_plot(model, loader, optimizer):
    model.train()
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss)  # expect: NG002:23
    print(sum(loss.item() for loss in losses))


def losses_in_a_window(model, loader, optimizer):
    model.train()
    recent = collections.deque(maxlen=10)  # the last ten: what it holds does not grow
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        recent.append(loss)
    print(sum(r.item() for r in recent))


def losses_in_a_deque_without_a_bound(model, loader, optimizer):
    model.train()
    recent = collections.deque()
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        recent.append(loss)  # expect: NG002:23
    print(sum(r.item() for r in recent))


def plain_reassignment(model, loader, optimizer):
    model.train()
    total = 0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
    print(total)


def predictions_without_no_grad(loader):
    net = Net()
    net.eval()
    preds = []
    for x in loader:
        preds.append(net(x))  # expect: NG001:22, NG002:22
    print(torch.cat(preds).argmax(1))


def predictions_under_no_grad(loader):
    net = Net().eval()
    preds = []
    with torch.no_grad():
        for x in loader:
            preds.append(net(x))
    print(torch.cat(preds).argmax(1))


def outputs_by_key(model, batches):
    model.train()
    outs = {}
    for key, x in batches:
        outs[key] = model(x)  # expect: NG002:21
    print(sorted(outs))


def accumulation_on_purpose(model, loader, optimizer):
    model.train()
    losses = []
    for x, y in loader:
        losses.append(F.cross_entropy(model(x), y))
    torch.stack(losses).mean().backward()
    optimizer.step()


def chunked_loss_summed_on_purpose(model, chunks, optimizer):
    model.train()
    total = 0
    for x, y in chunks:
        total = total + F.cross_entropy(model(x), y)
    total.backward()
    optimizer.step()


def returned_without_backward(model, loader):
    # the caller may differentiate what it gets: stays silent
    model.train()
    outs = []
    for x in loader:
        outs.append(model(x))
    return outs


def handed_to_an_unknown_function(model, loader):
    model.train()
    outs = []
    for x in loader:
        outs.append(model(x))
    consume(outs)


def detached(model, loader, optimizer):
    model.train()
    outs = []
    for x, y in loader:
        out = model(x)
        F.cross_entropy(out, y).backward()
        outs.append(out.detach())
    print(len(outs))


def fresh_every_iteration(model, loader, optimizer):
    model.train()
    for x, y in loader:
        batch_losses = []
        batch_losses.append(F.cross_entropy(model(x), y))
        sum(batch_losses).backward()


def accuracy_counts(model, loader):
    model.train()
    correct = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum()
    print(correct)


def predicted_indices(model, loader):
    # ``max`` over a dimension, ``topk`` and ``sort`` return (values, indices): the
    # indices are integers, with no graph.
    model.train()
    predicted, top, ranks = [], [], []
    for x in loader:
        out = model(x)
        _, labels = out.max(1)
        predicted.append(labels)
        top.append(out.topk(5)[1])
        ranks.append(torch.sort(out, dim=1).indices)
    print(predicted, top, ranks)


def the_values_of_a_pair(model, loader):
    model.train()
    best, largest = [], []
    for x in loader:
        out = model(x)
        values, _ = out.max(1)
        best.append(values)  # expect: NG002:21
        largest.append(torch.max(out, x)[1])  # expect: NG002:24
    print(best, largest)


def actions_drawn_from_the_policy(model, loader):
    # ``Distribution.sample()`` draws under ``no_grad``: the actions hold no graph. The
    # log-probabilities and a reparameterised draw keep it, and so may the ``sample()`` of
    # an object the model hands back, which defines it as it likes.
    model.train()
    actions, log_probs, noisy, drawn = [], [], [], []
    for x in loader:
        dist = torch.distributions.Categorical(logits=model(x))
        action = dist.sample()
        actions.append(action)
        log_probs.append(dist.log_prob(action))  # expect: NG002:26
        noisy.append(torch.distributions.Normal(model(x), 1.0).rsample())  # expect: NG002:22
        drawn.append(model(x).sample())  # expect: NG002:22
    print(actions, log_probs, noisy, drawn)


def gradient_norms_differentiated_through(model, loader, shared, optimizer):
    # GradNorm: the norms of gradients taken with ``create_graph=True`` are differentiated
    # with respect to the task weights, through the model's graph; the history keeps them.
    model.train()
    weights = torch.ones(3, requires_grad=True)
    history = []
    for x, y in loader:
        losses = F.mse_loss(model(x), y, reduction="none").mean(0)
        norms = []
        for i in range(len(weights)):
            (grad,) = torch.autograd.grad(weights[i] * losses[i], shared, create_graph=True)
            norms.append(grad.norm())
        norms = torch.stack(norms)
        weights.grad = torch.autograd.grad((norms - norms.mean().detach()).abs().sum(), weights)[0]
        optimizer.step()
        history.append(norms)  # expect: NG002:24
    print(history)


def two_stores_in_one_list(model, loader):
    model.train()
    outs = []
    for x in loader:
        out = model(x)
        outs.append(out)  # expect: NG002:21
        outs.append(out * 2)  # expect: NG002:21
    print(len(outs))


def frozen_model(loader):
    net = Net().requires_grad_(False)
    feats = []
    for x in loader:
        feats.append(net(x))
    print(len(feats))


@torch.no_grad()
def decorated(model, loader):
    outs = []
    for x in loader:
        outs.append(model(x))
    print(len(outs))


def worst_loss_over_restarts(model, x, y, restarts):
    model.train()
    worst = torch.zeros(len(y))
    for _ in range(restarts):
        loss = F.cross_entropy(model(x), y, reduction="none")
        worst = torch.max(worst, loss)  # expect: NG002:17
    print(worst.mean().item())


def a_chain_of_layers(model, x):
    model.train()
    for layer in model.layers:
        x = layer(x)
    print(x.argmax(1))


class Averager:
    def add(self, value):
        self.total = value


def an_object_that_adds(model, loader):
    model.train()
    meter = Averager()
    for x, y in loader:
        meter.add(F.cross_entropy(model(x), y))
    print(meter.total)


def accumulated_under_no_grad(model, loader, optimizer):
    model.train()
    total = torch.zeros(1)
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            total += loss
    print(total)


def annotated_as_a_module(model: torch.nn.Module, loader):
    predictions = []
    for x in loader:
        predictions.append(model(x))  # expect: NG002:28
    print(len(predictions))


def a_comprehension_reusing_the_name(model, loader, optimizer, extra):
    model.train()
    history = []
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        if extra:  # the comprehensions' ``loss`` is their own: not the one kept below
            count = len([loss for loss in extra])
        else:
            count = len([loss for loss in ()])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss)  # expect: NG002:24
    print(len(history), count)


class Agent:
    def __init__(self, gamma):
        self.critic = Net()
        self.target_critic = Net()
        self.optimizer = torch.optim.Adam(self.critic.parameters())
        self.gamma = gamma

    def targets_copied_after_the_loop(self, states, rewards, next_states):
        self.target_critic.eval()
        next_q = self.target_critic(next_states)  # expect: NG001:18
        targets = []
        for j in range(len(rewards)):
            targets.append(rewards[j] + self.gamma * next_q[j])  # expect: NG002:28
        targets = torch.tensor(targets)  # a copy of the numbers: no backward reaches the graphs
        loss = F.mse_loss(self.critic(states), targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


def scores_copied_into_a_history(batches):
    model = Net()
    model.train()
    history = torch.zeros(0)
    for x in batches:
        # ``torch.tensor`` copies the number: the history holds no graph
        history = torch.cat([history, torch.tensor([model(x).sum()])])
    print(history)


def scores_aliased_into_a_history(batches):
    model = Net()
    model.train()
    history = torch.zeros(0)
    for x in batches:
        history = torch.cat([history, torch.as_tensor(model(x).sum())[None]])  # expect: NG002:19
    print(history)


def snapshots_copied_in_place(batches):
    model = Net()
    model.train()
    snapshots, copies = [], []
    for x in batches:
        out = model(x)
        snapshots.append(torch.zeros_like(out).copy_(out))  # expect: NG002:26
        copies.append(out.new_tensor(out))  # a copy of the numbers: no graph
    print(len(snapshots), len(copies))


def total_detached_at_the_end_of_each_iteration(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # cut off below before the next iteration
        total = total.detach()
    return total.item()


def total_detached_in_a_finally(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        try:
            total = total + loss
        finally:
            total = total.detach()
    return total.item()


def total_cut_right_after_it_is_kept_in_a_try(model, loader, optimizer):
    # An error that skips the cut comes before the store: what comes round is the value
    # cut the iteration before.
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        try:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            total = total + loss
            total = total.detach()
        except RuntimeError:
            optimizer.zero_grad()
    return total.item()


def total_cut_in_the_else_of_a_try(model, loader, optimizer):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        try:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss
        except RuntimeError:
            optimizer.zero_grad()
        else:
            total = total.detach()
    return total.item()


def total_cut_in_a_try_after_a_step_that_may_fail(model, loader, optimizer):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        try:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            total = total + loss  # expect: NG002:21
            optimizer.step()
            total = total.detach()
        except RuntimeError:
            optimizer.zero_grad()
    return total.item()


def total_rebuilt_without_grad(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total += loss
        with torch.no_grad():
            total = total * 1.0  # a new tensor, recorded on no graph
    return total.item()


def total_detached_in_place_at_the_end(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total += loss
        total.detach_()
    return total.item()


def total_cloned_keeps_its_graph(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        total = total.clone()
    return total.item()


def total_changed_in_place_without_grad_keeps_its_graph(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        with torch.no_grad():
            total = total.mul_(1.0)  # in place: the tensor keeps the graph it had
    return total.item()


def total_detached_only_on_some_iterations(model, loader):
    model.train()
    total = torch.zeros(())
    for i, (x, y) in enumerate(loader):
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        if i % 2:
            total = total.detach()
    return total.item()


def total_detached_after_a_continue(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        if y is None:
            continue
        total = total.detach()
    return total.item()


def total_moved_after_its_detach(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss
        total = total.detach().cpu()  # a move of a value without a graph
    return total.item()


def total_cut_inside_a_with(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        with torch.autocast("cpu"):
            loss = F.mse_loss(model(x), y)
            loss.backward()
            total = total + loss
            total = total.detach()
    return total.item()


def total_cut_in_a_finally_after_a_continue(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        try:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            total = total + loss
            if not torch.isfinite(loss):
                continue  # the finally still runs on the way
        finally:
            total = total.detach()
    return total.item()


def total_cut_after_a_break(model, loader, steps):
    model.train()
    total = torch.zeros(())
    for step, (x, y) in enumerate(loader):
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss
        if step + 1 >= steps:
            break  # leaves the loop: this graph does not come round
        total = total.detach()
    return total.item()


def total_cast_under_no_grad_keeps_its_graph(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        with torch.no_grad():
            total = total.float()  # already float: the same tensor, graph and all
    return total.item()


def recent_outputs_kept_in_a_sliced_concatenation(model, loader):
    model.train()
    recent = torch.zeros(0, 2)
    for x in loader:
        # bounded in size, but each slice hangs on the concatenation before it
        recent = torch.cat([recent, model(x)])[-100:]  # expect: NG002:18
    print(recent.shape)


def last_loss_kept_under_a_fixed_key(model, loader):
    model.train()
    stats = {}
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        stats["loss"] = loss  # one entry, overwritten by the next iteration
    return stats["loss"].item()


def loss_summed_under_a_fixed_key(model, loader):
    model.train()
    stats = {"loss": 0.0}
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        stats["loss"] = stats["loss"] + loss  # expect: NG002:25
    return stats["loss"].item()


def state_cut_by_a_dict_comprehension(model, loader):
    model.train()
    state = {"h": torch.zeros(2, 2)}
    for x, y in loader:
        out, h = model(x, state["h"])
        F.mse_loss(out, y).backward()
        state = {"h": h}
        state = {k: v.detach() for k, v in state.items()}
    return state


def total_cut_in_a_null_context(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss
        with contextlib.nullcontext():
            total = total.detach()
    return total.item()


def total_cut_in_a_context_chosen_before_the_loop(model, loader, amp):
    model.train()
    context = torch.autocast("cpu") if amp else contextlib.nullcontext()
    total = torch.zeros(())
    for x, y in loader:
        with context:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            total = total + loss
            total = total.detach()
    return total.item()


class StepTimer:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False  # lets the error out: the body either runs through or raises


class Tolerant:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True  # swallows the error: the rest of the body may be skipped


def total_cut_in_the_modules_timer(model, loader):
    model.train()
    timer = StepTimer()
    total = torch.zeros(())
    for x, y in loader:
        with timer:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            total = total + loss
            total = total.detach()
    return total.item()


def total_cut_in_a_context_that_swallows_errors(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        with Tolerant():
            loss = F.mse_loss(model(x), y)
            loss.backward()
            total = total + loss  # expect: NG002:21
            total = total.detach()
    return total.item()


def total_cut_in_both_arms(model, loader, as_float):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss
        if as_float:
            total = total.detach().float()
        else:
            total = total.detach()
    return total.item()


def total_cut_in_one_arm_only(model, loader, every):
    model.train()
    total = torch.zeros(())
    for step, (x, y) in enumerate(loader):
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        if step % every == 0:
            total = total.detach()
        else:
            print(step)
    return total.item()


def total_cut_in_both_arms_but_one_may_continue(model, loader, skip):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        if skip:
            total = total.detach()
        else:
            if loss.item() > 10:
                continue
            total = total.detach()
    return total.item()


def total_cut_where_it_may_carry_a_graph(model, loader):
    model.train()
    total, count = 0.0, 0.0
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss
        count = count + loss
        if total.requires_grad:  # fails only where total has no graph to cut
            total = total.detach()
        if isinstance(count, torch.Tensor):  # a sum: a number where this fails
            count = count.item()
    return total, count


def state_cut_under_a_tensor_test(lstm, loader):
    lstm.train()
    hidden = None
    err = 0.0
    for x, y in loader:
        out, hidden = lstm(x, hidden)  # expect: NG002:23
        err += F.mse_loss(out, y).item()
        if torch.is_tensor(hidden):  # an LSTM's (h, c) is a tuple: never cut
            hidden = hidden.detach()
    return err


def state_cut_under_a_test_of_its_first_part(lstm, loader):
    lstm.train()
    hidden = (torch.zeros(1, 2, 8), torch.zeros(1, 2, 8))
    err = 0.0
    for x, y in loader:
        out, hidden = lstm(x, hidden)
        err += F.mse_loss(out, y).item()
        if hidden[0].requires_grad:  # (h, c) come out of one forward together
            hidden = tuple(h.detach() for h in hidden)
    return err


def total_cut_under_another_test(model, loader, flag):
    model.train()
    total = 0.0
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:17
        if loss.requires_grad:  # a test of another value
            total = total.detach()
    return total


def sums_cut_entry_by_entry(model, loader):
    model.train()
    sums = {"loss": torch.zeros(()), "l1": torch.zeros(())}
    for x, y in loader:
        out = model(x)
        loss = F.mse_loss(out, y)
        loss.backward()
        sums["loss"] = sums["loss"] + loss
        sums["loss"] = sums["loss"].detach()
        sums["l1"] += (out - y).abs().mean()  # expect: NG002:23
        sums["loss"] = sums["loss"].detach()  # the cut of another entry
    return sums


def names_of_logged_pairs(model, loader):
    model.train()
    log = []
    for x, y in loader:
        out = model(x)
        loss = F.mse_loss(out, y)
        loss.backward()
        for name, value in (("loss", loss), ("l1", (out - y).abs().mean())):
            log.append(name)  # a string of each written-out row
            log.append(value)  # expect: NG002:24
    print(log)


def state_cut_entry_by_entry(model, loader):
    model.train()
    state = {"h": torch.zeros(2, 2), "c": torch.zeros(2, 2)}
    err = 0.0
    for x, y in loader:
        out, state = model(x, state)
        err += F.mse_loss(out, y).item()
        for key in state:  # every entry, one per pass
            state[key] = state[key].detach()
    return err


def meters_cut_entry_by_entry(model, loader):
    model.train()
    meters = {"loss": torch.zeros(()), "l1": torch.zeros(())}
    for x, y in loader:
        out = model(x)
        loss = F.mse_loss(out, y)
        loss.backward()
        meters["loss"] += loss
        meters["l1"] = meters["l1"] + (out - y).abs().mean()
        for name in list(meters.keys()):
            meters[name] = meters[name].detach()
    return meters


def states_cut_index_by_index(model, loader):
    model.train()
    states = [torch.zeros(2, 2), torch.zeros(2, 2)]
    err = 0.0
    for x, y in loader:
        out, states = model(x, states)  # expect: NG002:23
        err += F.mse_loss(out, y).item()
        for i in range(len(states)):  # ``states`` may be a tensor: a store there cuts nothing
            states[i] = states[i].detach()
    return err


def running_sums_cut_index_by_index(model, loader):
    model.train()
    sums = [torch.zeros(()), torch.zeros(())]  # a list: a store replaces the entry
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        sums[0] = sums[0] + loss
        for i in range(len(sums)):
            sums[i] = sums[i].detach()
    return sums


def a_running_tensor_cut_at_an_index(model, loader):
    model.train()
    running = torch.zeros(2)  # a tensor: ``running[0] = ...`` adds to its graph
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        running[0] += loss  # expect: NG002:23
        running[0] = running[0].detach()
    return running


def meters_cut_but_one_entry_may_be_skipped(model, loader):
    model.train()
    meters = {"loss": torch.zeros(())}
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        meters["loss"] += loss  # expect: NG002:27
        for name in meters:
            if name.startswith("_"):
                continue
            meters[name] = meters[name].detach()
    return meters


def meters_cut_over_another_container(model, loader, names):
    model.train()
    meters = {"loss": torch.zeros(())}
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        meters["loss"] += loss  # expect: NG002:27
        for name in names:
            meters[name] = meters[name].detach()
    return meters


def bucket_indices_hold_no_graph(model, loader, edges):
    model.train()
    buckets = []
    for x, y in loader:
        scores = model(x)
        F.mse_loss(scores, y).backward()
        buckets.append(torch.bucketize(scores, edges))
    return buckets


def _detached(value):
    return value.detach()


def total_cut_by_a_helper_of_the_module(model, loader):
    model.train()
    total = torch.zeros(())
    for x, y in loader:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        total = total + loss
        total = _detached(total)  # hands back only a detached value
    return total.item()


def history_of_lists_by_name(model: torch.nn.Module, loader):
    history = {"loss": [], "accuracy": []}
    for x, y in loader:
        out = model(x)
        history["loss"].append(F.cross_entropy(out, y))  # expect: NG002:32
        history["accuracy"].append((out.argmax(1) == y).float().mean().item())
    return [h.item() for h in history["loss"]]


def history_made_on_first_use(model: torch.nn.Module, loader):
    history = collections.defaultdict(list)
    for x, y in loader:
        history["loss"].append(F.cross_entropy(model(x), y))  # expect: NG002:32
    return len(history["loss"])


def history_of_lists_by_comprehension(model: torch.nn.Module, loader, names):
    history = {name: [] for name in names}
    history.update(loss=[])
    for x, y in loader:
        history["loss"].append(F.cross_entropy(model(x), y))  # expect: NG002:32
    return len(history["loss"])


def meters_by_name_may_keep_numbers(model: torch.nn.Module, loader, Meter):
    meters = {"loss": Meter()}  # an object of the caller's: it may keep a number
    for x, y in loader:
        meters["loss"].append(F.cross_entropy(model(x), y))
    return meters


def history_of_numbers_by_name(model: torch.nn.Module, loader):
    history = {"loss": []}
    for x, y in loader:
        history["loss"].append(F.cross_entropy(model(x), y).item())
    return history


def outputs_split_into_lists_of_a_list(model: torch.nn.Module, loader):
    outs = [[], []]
    for i, x in enumerate(loader):
        outs[i % 2].append(model(x))  # expect: NG002:28
    return [len(o) for o in outs]


def window_emptied_at_the_end_of_each_step(model: torch.nn.Module, loader, log):
    window = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        window.append(loss)
        log(torch.stack(window).mean().item())
        window.clear()  # nothing of this step comes round
    return len(window)


def window_made_anew_at_the_end_of_each_step(model: torch.nn.Module, loader, log):
    window = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        window.append(loss)
        log(torch.stack(window).mean().item())
        window = []
    return len(window)


def window_emptied_every_hundred_steps(model: torch.nn.Module, loader, log):
    window = []
    for step, (x, y) in enumerate(loader):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        window.append(loss)  # expect: NG002:23
        if step % 100 == 0:  # up to a hundred graphs between two logs
            log(torch.stack(window).mean().item())
            window.clear()
    return len(window)


def history_entry_emptied_at_the_end_of_each_step(model: torch.nn.Module, loader, log):
    history = {"loss": []}
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        history["loss"].append(loss)
        log(history)
        history["loss"].clear()
    return history


def rows_kept_whole_then_made_anew(model: torch.nn.Module, loader):
    per_step = []
    row = []
    per_step.append(row)
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        row.append(loss)  # expect: NG002:20
        row = []  # a new list, but ``per_step`` holds the old one
        per_step.append(row)
    return len(per_step)


def state_emptied_then_refilled_from_itself(cell: torch.nn.Module, sequence):
    state = []
    for x in sequence:
        h = cell(x, state[0] if state else None)
        state.clear()
        state.append(h)  # expect: NG002:22
    return state[0].sum().item()


def average_emptied_then_refilled_from_itself(model: torch.nn.Module, loader):
    ema = [torch.zeros(())]
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        previous = ema[0]
        ema.clear()
        ema.append(0.9 * previous + 0.1 * loss)  # expect: NG002:20
    return ema[0].item()


def window_emptied_by_deleting_a_slice(model: torch.nn.Module, loader, log):
    window = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        window.append(loss)
        log(torch.stack(window).mean().item())
        del window[:]


def window_emptied_by_assigning_a_slice(model: torch.nn.Module, loader, log):
    window = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        window.append(loss)
        log(torch.stack(window).mean().item())
        window[:] = []


def window_made_anew_by_its_class(model: torch.nn.Module, loader, log):
    window = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        window.append(loss)
        log(torch.stack(window).mean().item())
        window = list()


def window_emptied_whenever_it_holds_anything(model: torch.nn.Module, loader, log):
    window = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if loss.item() > 0.0:
            window.append(loss)
        if window:  # fails only when there is nothing to empty
            log(torch.stack(window).mean().item())
            window.clear()


def print_losses(values):
    print(" ".join(f"{float(v):.4f}" for v in values))  # reads them, keeps nothing


ROWS = []


def keep_losses(values):
    ROWS.append(values)


def row_printed_then_made_anew(model: torch.nn.Module, loader):
    row = []
    for step, (x, y) in enumerate(loader):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        row.append(loss)
        print(f"step {step}: {row}")
        print_losses(row)
        print(torch.stack(tensors=row).mean().item())
        row = []
    return row  # the last one only: the others are gone


def row_kept_by_a_helper_then_made_anew(model: torch.nn.Module, loader):
    row = []
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        row.append(loss)  # expect: NG002:20
        keep_losses(row)
        row = []
