"""Into and out of eval mode: train(), train(False), rebinding, branches."""
import torch


def train_false(model, x):
    model.train(False)
    return model(x)  # expect: NG001


def train_mode_false(model, x):
    model.train(mode=False)
    return model(x)  # expect: NG001


def back_to_train(model, x):
    model.eval()
    model.train()
    return model(x)


def back_to_train_true(model, x):
    model.eval()
    model.train(True)
    return model(x)


def back_to_train_mode_true(model, x):
    model.eval()
    model.train(mode=True)
    return model(x)


def runtime_flag(model, x, training):
    model.eval()
    model.train(training)
    return model(x)


def rebinding_ends_eval(model, x, build):
    model.eval()
    model = build()
    return model(x)


def plain_alias_keeps_eval(a, x, device):
    a.eval()
    model = a
    moved = a.to(device)
    return model(x), moved(x)  # expect: NG001, NG001


def branch_may_leave_eval(model, x, validate):
    if validate:
        model.eval()
    return model(x)  # expect: NG001


def both_branches_train(model, x, flag):
    model.eval()
    if flag:
        model.train()
    else:
        model.train(True)
    return model(x)


def elif_chain(model, x, phase):
    if phase == "train":
        model.train()
    elif phase == "val":
        model.eval()
    else:
        pass
    return model(x)  # expect: NG001


def returned_early(model, x, skip):
    if skip:
        model.eval()
        return None
    return model(x)


def delete_ends_it(model, x):
    net = model.eval()
    del net
    net = model.train()
    return net(x)


def self_eval_then_self_call(x):
    class Wrapper(torch.nn.Module):
        def predict(self, x):
            self.eval()
            return self(x)  # expect: NG001
    return Wrapper
