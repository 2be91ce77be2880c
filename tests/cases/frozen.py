"""Frozen parameters: no graph is built for the model's weights."""
import torch
from torch import nn


def frozen_with_requires_grad(model, x):
    model.eval()
    model.requires_grad_(False)
    return model(x)


def frozen_in_chain(x):
    backbone = make_backbone().eval().requires_grad_(False)
    return backbone(x)


def frozen_by_loop(model, x):
    model.eval()
    for p in model.parameters():
        p.requires_grad = False
    return model(x)


def frozen_by_named_loop(model, x):
    model.eval()
    for name, param in model.named_parameters():
        param.requires_grad_(False)
    return model(x)


def module_attribute_freezes_nothing(model, x):
    model.eval()
    model.requires_grad = False
    return model(x)  # expect: NG001


def loop_that_unfreezes(model, x):
    model.eval()
    for p in model.parameters():
        p.requires_grad = True
    return model(x)


def other_model_stays_unfrozen(model, head, x):
    model.eval()
    head.eval()
    model.requires_grad_(False)
    return head(model(x))  # expect: NG001:12


class FeatureExtractor(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = make_backbone()
        self.backbone.eval()
        for p in self.backbone.parameters():
            p.requires_grad = False

    def features(self, x):
        return self.backbone(x)


class FrozenTeacher:
    def __init__(self, teacher):
        self.teacher = teacher.eval()
        self.teacher.requires_grad_(False)

    def soft_labels(self, x):
        return self.teacher(x).softmax(-1)


def lightning_freeze(model, x):
    model.eval()
    model.freeze()
    return model(x)


def freeze_with_arguments_is_something_else(model, layers, x):
    model.eval()
    layers.freeze(2)
    return model(x)  # expect: NG001
