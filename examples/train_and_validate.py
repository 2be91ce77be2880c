"""A classic training script: the validation phase forgets torch.no_grad()."""
import torch
from torch import nn


def train(model: nn.Module, train_loader, val_loader, epochs: int = 10) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for inputs, targets in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()

        model.eval()
        correct = 0
        for inputs, targets in val_loader:
            outputs = model(inputs)  # NG001: the graph of every batch is built for nothing
            correct += (outputs.argmax(1) == targets).sum().item()
        print(f"epoch {epoch}: {correct} correct")


@torch.no_grad()
def test(model: nn.Module, test_loader) -> float:
    model.eval()
    correct = 0
    for inputs, targets in test_loader:
        correct += (model(inputs).argmax(1) == targets).sum().item()  # fine: decorated
    return correct / len(test_loader.dataset)
