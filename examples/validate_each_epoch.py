"""An epoch loop whose validation helper leaves the model in eval mode."""
import torch
from torch import nn


def evaluate(model: nn.Module, loader) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, targets in loader:
            correct += (model(inputs).argmax(1) == targets).sum().item()
    return correct / len(loader.dataset)


def fit(model: nn.Module, train_loader, val_loader, epochs: int = 10) -> None:
    optimizer = torch.optim.Adam(model.parameters())
    criterion = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        for inputs, targets in train_loader:
            optimizer.zero_grad()
            criterion(model(inputs), targets).backward()
            optimizer.step()
        accuracy = evaluate(model, val_loader)  # NG004: epochs 2.. train in eval mode
        print(f"epoch {epoch}: {accuracy:.3f}")
