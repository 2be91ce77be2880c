import torch


def validate(model, loader, criterion):
    model.eval()
    total = 0.0
    for images, target in loader:
        # forward
        output = model(images)
        loss = criterion(output, target)
        total += loss.item()
    for feature in model(loader.dataset.tensors[0]):
        print(feature)
    return total
