"""A module-level model in eval mode, used by the module's functions."""
import torch

model = load_model()
model.eval()
encoder = load_encoder().eval()
trained_elsewhere = load().eval()
frozen = load().eval()
frozen.requires_grad_(False)


def serve(batch):
    return model(batch)  # expect: NG001


def serve_safely(batch):
    with torch.no_grad():
        return model(batch)


def rebinds_locally(batch):
    model = load_model()
    return model(batch)


def encode(texts):
    return [encoder(t) for t in texts]  # expect: NG001:13


def uses_trained(batch):
    return trained_elsewhere(batch)


def fine_tune(loader):
    trained_elsewhere.train()


def uses_frozen(batch):
    return frozen(batch)
