"""Loops that keep their autograd graphs alive (NG002), and the forms that do not.

Expected findings (`nograd-lint examples/kept_graph.py`), on the stored value:
  line 26  NG002 'loss' kept in 'running_loss' (after its backward: the node chain grows)
  line 27  NG002 'loss' kept in 'history' (after its backward)
  line 38  NG002 'criterion(outputs, targets)' kept in 'total_loss' (no backward: every
           saved activation stays)
  line 39  NG002 'outputs' kept in 'predictions' (no backward)
`nograd-lint --diff --unsafe-fixes examples/kept_graph.py` shows the `.detach()` fix.
"""
import torch
from torch import nn


def train(model: nn.Module, loader, epochs: int = 10) -> list:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(epochs):
        running_loss = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            running_loss += loss  # NG002: one chain of graph nodes more per batch
            history.append(loss)  # NG002: likewise, for the plot
        print(f"epoch {epoch}: loss {running_loss / len(loader):.3f}")
    return [h.item() for h in history]


def evaluate(model: nn.Module, loader) -> float:
    criterion = nn.CrossEntropyLoss()
    total_loss = 0.0
    predictions = []
    for inputs, targets in loader:  # forgot torch.no_grad(): every graph is recorded
        outputs = model(inputs)
        total_loss += criterion(outputs, targets)  # NG002: keeps every saved tensor
        predictions.append(outputs)  # NG002: likewise
    print(f"loss {total_loss.item() / len(loader):.3f} over {len(predictions)} batches")
    return float(total_loss)


def fine(model: nn.Module, loader) -> float:
    total = 0.0
    chunks = []
    for inputs, targets in loader:
        loss = nn.functional.cross_entropy(model(inputs), targets)
        total += loss.item()  # fine: a Python number
        chunks.append(loss)  # fine: consumed by the backward below
    torch.stack(chunks).mean().backward()
    return total
