"""Rebinding to a compiled, scripted or parallel wrapper keeps eval mode."""
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP


def scripted(model, x):
    model.eval()
    model = torch.jit.script(model)
    return model(x)  # expect: NG001


def compiled(model, x):
    model.eval()
    fast = torch.compile(model, mode="reduce-overhead")
    return fast(x)  # expect: NG001


def data_parallel(model, x):
    model.eval()
    model = nn.DataParallel(model).cuda()
    return model(x)  # expect: NG001


def distributed(model, x, rank):
    model.eval()
    model = DDP(model, device_ids=[rank])
    return model(x)  # expect: NG001


def traced(model, example):
    model.eval()
    traced_model = torch.jit.trace(model, example)
    return traced_model(example)  # expect: NG001


def scripted_then_frozen_under_no_grad(model, x):
    model.eval()
    model = torch.jit.freeze(torch.jit.script(model))
    with torch.no_grad():
        return model(x)


def other_function_result_is_not_a_model(model, x):
    model.eval()
    model = make_new(model)
    return model(x)
