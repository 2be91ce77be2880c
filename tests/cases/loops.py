"""Evaluation loops: the seed's pattern and its relatives."""
import torch


def seed_non_compliant(model, dataloader):
    model.eval()
    for inputs in dataloader:
        outputs = model(inputs)  # expect: NG001
    return outputs


def seed_compliant(model, dataloader):
    model.eval()
    with torch.no_grad():
        for inputs in dataloader:
            outputs = model(inputs)
    return outputs


def while_loop(model, batches):
    model.eval()
    while batches:
        model(batches.pop())  # expect: NG001:9


def train_then_validate(model, train_loader, val_loader, optimizer, criterion, epochs):
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()
        for x, y in val_loader:
            val_loss = criterion(model(x), y)  # expect: NG001:34


def eval_at_end_of_loop_body(model, loader):
    for x in loader:
        prediction = model(x)  # expect: NG001
        model.eval()


def train_at_end_of_loop_body(model, loader):
    for x in loader:
        model.eval()
        prediction = model(x)  # expect: NG001
        model.train()
    model(x)


def loop_header_is_a_forward_call(model, x):
    model.eval()
    for row in model(x):  # expect: NG001:16
        print(row)


def loop_with_else(model, loader, x):
    model.eval()
    for batch in loader:
        if batch is None:
            break
    else:
        model(x)  # expect: NG001


def async_loop(model, stream):
    async def consume():
        model.eval()
        async for x in stream:
            yield model(x)  # expect: NG001
    return consume


def rebinding_in_loop_target(models, x):
    model = models[0].eval()
    for model in models:
        model(x)


def training_loop_only(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
