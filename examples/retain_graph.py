"""GAN and classifier steps that ask autograd to keep graphs nobody differentiates again."""
import torch
from torch import nn


def train_classifier(model: nn.Module, loader, optimizer) -> None:
    criterion = nn.CrossEntropyLoss()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward(retain_graph=True)  # NG003: nothing differentiates this graph again
        optimizer.step()


def train_gan(generator: nn.Module, discriminator: nn.Module, loader, opt_g, opt_d) -> None:
    bce = nn.BCEWithLogitsLoss()
    for real in loader:
        fake = generator(torch.randn(real.size(0), 64))
        real_scores, fake_scores = discriminator(real), discriminator(fake.detach())
        d_loss = bce(real_scores, torch.ones_like(real_scores))
        d_loss = d_loss + bce(fake_scores, torch.zeros_like(fake_scores))
        opt_d.zero_grad()
        d_loss.backward(retain_graph=True)  # NG003: fake was detached, g_loss has its own graph
        opt_d.step()

        scores = discriminator(fake)
        g_loss = bce(scores, torch.ones_like(scores))
        opt_g.zero_grad()
        g_loss.backward()  # the generator's step: the last backward needs no flag
        opt_g.step()


def train_multitask(trunk: nn.Module, heads: nn.ModuleList, x, targets, optimizer) -> None:
    features = trunk(x)
    optimizer.zero_grad()
    first = nn.functional.mse_loss(heads[0](features), targets[0])
    first.backward(retain_graph=True)  # fine: the second loss runs through features again
    second = nn.functional.mse_loss(heads[1](features), targets[1])
    second.backward()
    optimizer.step()
