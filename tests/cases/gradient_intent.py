"""Eval mode on purpose, with gradients wanted: attacks, saliency, input optimisation."""
import torch
import torch.nn.functional as F


def fgsm(model, images, labels, eps):
    model.eval()
    images = images.clone().requires_grad_()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    return images + eps * images.grad.sign()


def pgd(model, x, y, steps, alpha):
    model.eval()
    delta = torch.zeros_like(x, requires_grad=True)
    for _ in range(steps):
        loss = F.cross_entropy(model(x + delta), y)
        grad, = torch.autograd.grad(loss, delta)
        delta = (delta + alpha * grad.sign()).detach().requires_grad_(True)
    return x + delta


def saliency(model, image, target):
    model.eval()
    image.requires_grad = True
    score = model(image)[0, target]
    score.backward()
    return image.grad.abs()


def input_optimisation(model, target, steps):
    model.eval()
    x = torch.randn(1, 3, 224, 224, requires_grad=True)
    optimizer = torch.optim.Adam([x], lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = -model(x)[0, target]
        loss.backward()
        optimizer.step()
    return x


def jacobian(model, x):
    model.eval()
    return torch.autograd.functional.jacobian(lambda inp: model(inp), x)


def grad_intent_only_in_its_own_period(model, x, y, loss_fn):
    model.eval()
    z = x.clone().requires_grad_()
    loss_fn(model(z), y).backward()
    model.train()
    model.eval()
    return model(x)  # expect: NG001


def train_then_validate_in_one_function(model, loader, val_loader, optimizer, loss_fn):
    for epoch in range(10):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        model.eval()
        for x, y in val_loader:
            val = loss_fn(model(x), y)  # expect: NG001:27


def validate_then_train_in_one_loop(model, loader, val_x, optimizer, loss_fn):
    for x, y in loader:
        model.eval()
        score = model(val_x)  # expect: NG001
        model.train()
        loss_fn(model(x), y).backward()
        optimizer.step()


def scheduler_step_is_not_gradient_code(model, x, scheduler):
    model.eval()
    out = model(x)  # expect: NG001
    scheduler.step()
    return out


def amp_scaler_step(model, x, scaler, optimizer, loss_fn):
    model.eval()
    loss = loss_fn(model(x))
    scaler.scale(loss)
    scaler.step(optimizer)


def accelerate_backward(model, batch, accelerator):
    model.eval()
    loss = model(**batch).loss
    accelerator.backward(loss)


def attribution_forward(inputs, model=None):
    # a forward function for an attribution library: zeroing gradients announces a backward
    model.eval()
    model.zero_grad()
    return model(inputs)


def zero_grad_of_the_training_phase_does_not_count(model, loader, val_x, optimizer, loss_fn):
    for x, y in loader:
        model.train()
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        model.eval()
        score = model(val_x)  # expect: NG001


def test_phase_forgets_train(model, loader, test_loader, optimizer, loss_fn):
    # the test phase leaves the model in eval mode for the next epoch's training step: that
    # is a missing model.train(), and the training step needs its graph
    for epoch in range(3):
        for x, y in loader:
            out = model(x)
            loss = loss_fn(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()  # expect: NG004
        for x, y in test_loader:
            out = model(x)  # expect: NG001:19


def carried_forward_without_gradient_code(model, loader, x0):
    for x in loader:
        first = model(x0)  # expect: NG001
        model.eval()
        model(x)  # expect: NG001
