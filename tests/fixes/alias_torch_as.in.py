import torch as T


def predict(model, batch):
    model.eval()
    return model(batch)
