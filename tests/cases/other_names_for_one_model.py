"""Other names for one model, and where they stop being one: aliases that another scope
may rebind, evaluators whose model may be replaced, chains of wrappers, step helpers."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum(F.cross_entropy(model(x), y).item() for x, y in loader)


def a_chain_of_wrappers(rank, loader, val_loader, epochs):
    model = build_model().to(rank)
    ddp = DDP(model, device_ids=[rank])
    compiled = torch.compile(ddp)  # ``model`` too, through ``ddp``
    optimizer = torch.optim.AdamW(model.parameters())
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(compiled(x), y).backward()
            optimizer.step()
        evaluate(model, val_loader)  # expect: NG004:9


def an_annotated_alias(model, loader, val_loader, device):
    net: nn.Module = model.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(net(x), y).backward()
            optimizer.step()
        evaluate(model, val_loader)  # expect: NG004:9


def an_alias_a_nested_function_rebinds(model, loader, val_loader, epochs):
    eval_net = model

    def refresh():
        nonlocal eval_net
        eval_net = copy.deepcopy(model)  # from here on another model

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        refresh()
        evaluate(eval_net, val_loader)


class Evaluator:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    @torch.no_grad()
    def run(self):
        self.model.eval()
        return sum(F.cross_entropy(self.model(x), y).item() for x, y in self.loader)


def use_ema(evaluator, ema_model):
    evaluator.model = ema_model  # any evaluator's model may be replaced


def an_evaluator_whose_model_code_elsewhere_replaces(model, loader, val_loader, epochs):
    ema = copy.deepcopy(model)
    optimizer = torch.optim.Adam(model.parameters())
    evaluator = Evaluator(model, val_loader)
    use_ema(evaluator, ema)
    model.train()
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        evaluator.run()


class FullModel(nn.Module):
    def __init__(self, model, loss):
        super().__init__()
        self.net = model
        self.loss = loss

    def forward(self, inputs, labels):
        return self.loss(self.net(inputs), labels)


def a_container_module_put_back_in_train_mode(model, criterion, loader, val_loader, epochs):
    full = FullModel(model, criterion)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        full.train()  # recursive: ``model`` is back in train mode
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            print(sum(full(x, y).item() for x, y in val_loader))


def a_local_named_like_the_helper(model, loader, val_loader, make_evaluator):
    evaluate = make_evaluator(val_loader)  # not the module's ``evaluate``
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        evaluate(model, val_loader)


# -- a backward in a helper: what it differentiates is what it was given ------------------


def step_on_its_own_loss(loss, optimizer, batch, model):
    x, y = batch
    loss = F.cross_entropy(model(x), y)  # the given ``loss`` is not what it differentiates
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def a_helper_that_rebinds_what_it_was_given(model, critic, loader):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    critic.eval()
    for x, y in loader:
        score = critic(x).mean()  # expect: NG001
        step_on_its_own_loss(score, optimizer, (x, y), model)


def step_when_training(loss, optimizer, is_train=True):
    if is_train:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def a_helper_told_not_to_step(model, loader, optimizer):
    model.eval()
    total = 0.0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)  # expect: NG001
        step_when_training(loss, optimizer, is_train=False)
        total += loss.item()
    return total


def a_helper_told_to_step(model, loader, optimizer):
    model.eval()  # fine-tuning in eval mode, on purpose: the graph is needed
    for x, y in loader:
        step_when_training(F.cross_entropy(model(x), y), optimizer, is_train=True)


class BaseTrainer:
    def _step(self, loss):
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


class Trainer(BaseTrainer):
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def fit(self, loader, val_loader, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in loader:
                self._step(F.cross_entropy(self.model(x), y))  # a base class's step
            evaluate(self.model, val_loader)  # expect: NG004:13
