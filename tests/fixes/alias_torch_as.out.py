import torch as T


def predict(model, batch):
    model.eval()
    with T.no_grad():
        return model(batch)
