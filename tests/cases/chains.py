"""Eval mode reached through method chains and assignments."""
import torch
from torch import nn


def assigned_chain(device, x):
    net = Net().to(device).eval()
    return net(x)  # expect: NG001


def eval_then_to(device, x):
    net = Net().eval().to(device)
    return net(x)  # expect: NG001


def alias_and_original(model, x):
    m = model.eval()
    a = m(x)  # expect: NG001
    b = model(x)  # expect: NG001
    return a, b


def unassigned_chain(model, device, x):
    model.to(device).eval()
    return model(x)  # expect: NG001


def cuda_chain(model, x):
    model.cuda().eval()
    return model.forward(x)  # expect: NG001


def half_and_double(model, x):
    model = model.half().eval()
    return model(x.half())  # expect: NG001:12


def chain_that_ends_in_train(model, x):
    model = model.eval().train()
    return model(x)


def eval_in_the_middle_then_train(model, x):
    model.eval().train()
    return model(x)


def train_false_chain(model, x):
    model = Net().train(False)
    return model(x)  # expect: NG001


def other_methods_are_not_forward_calls(model, x):
    model.eval()
    params = model.parameters()
    state = model.state_dict()
    model.to("cpu")
    tokens = model.generate(x)
    model.zero_grad()
    return params, state, tokens


def attribute_chains(x):
    self_like = Holder()
    self_like.net.encoder.eval()
    h = self_like.net.encoder(x)  # expect: NG001:9
    y = self_like.net(x)
    return h, y


def plain_call_result_is_not_tracked(factory, x):
    model = factory().eval()
    other = factory()
    return other(x)


def rebinding_through_module_methods_keeps_eval(model, device, x):
    model.eval()
    model = model.to(device)
    return model(x)  # expect: NG001


def eval_called_on_the_class(model, x):
    nn.Module.eval(model)  # model.eval(), called unbound
    return model(x)  # expect: NG001


def train_called_on_the_class(model, x):
    model.eval()
    nn.Module.train(model.to("cpu"))
    return model(x)
