"""The rule's own non-compliant example, and its compliant version."""
import torch


def non_compliant(model, dataloader):
    model.eval()
    for inputs in dataloader:
        outputs = model(inputs)
    return outputs


def compliant(model, dataloader):
    model.eval()
    with torch.no_grad():
        for inputs in dataloader:
            outputs = model(inputs)
    return outputs
