try:
    import torch
except ImportError:  # torch is optional for this module
    torch = None


def predict(model, batch):
    model.eval()
    return model(batch)
