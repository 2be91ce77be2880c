# NG003 beside a model whose forward keeps part of its graph on the object
# (``self.feats = h``): any model called in such a module may be one, and whoever holds it
# can backpropagate what it kept, here or in a caller. The forward of a module without
# such a class, and reported forms, are in the other ``retained_graphs_*`` files.
import torch
import torch.nn.functional as F


class FeatureKeepingNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Linear(3, 3)
        self.head = torch.nn.Linear(3, 1)

    def forward(self, x):
        h = self.body(x)
        self.feats = h  # every call keeps part of its graph on the model
        return self.head(h)


def _fit_head(model, x, y):
    loss = F.mse_loss(model(x), y)
    loss.backward(retain_graph=True)


def then_the_kept_features(model, x, y):
    _fit_head(model, x, y)
    model.feats.sum().backward()  # through the graph ``_fit_head``'s forward made


def fit_head_and_read_its_features(model, x, y):
    loss = F.mse_loss(model(x), y)
    loss.backward(retain_graph=True)
    model.feats.sum().backward()
