# NG002: a value carrying an autograd graph, stored in a loop where it outlives the
# iteration, and never differentiated after.
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


def plain_reassignment(model, loader, optimizer):
    model.train()
    total = 0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        total = total + loss  # expect: NG002:25
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
