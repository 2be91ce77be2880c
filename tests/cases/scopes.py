"""Module top level, nested functions, closures and classes."""
import torch

model = build_model()
model.eval()
batch = torch.randn(4, 3)
logits = model(batch)  # expect: NG001:10

with torch.no_grad():
    quiet = model(batch)

model.train()
trained_logits = model(batch)


def closure_over_eval_model(net, xs):
    net.eval()

    def predict(x):
        return net(x)  # expect: NG001

    return [predict(x) for x in xs]


def closure_parameter_shadows(net, xs):
    net.eval()

    def predict(net, x):
        return net(x)

    return predict


def inner_function_eval(xs):
    def run(net, x):
        net.eval()
        return net(x)  # expect: NG001

    return run


def closure_defined_before_eval(net, x):
    def predict(y):
        return net(y)

    return predict


class Predictor:
    def __init__(self, net):
        self.net = net

    def predict(self, x):
        self.net.eval()
        return self.net(x)  # expect: NG001

    def predict_forward(self, x):
        self.net.eval()
        return self.net.forward(x)  # expect: NG001

    def other_method_sees_nothing_in_this_issue(self, x):
        return self.net.encoder(x)


def methods_do_not_share_locals(net, x):
    class Local:
        net.eval()

        def method(self, y):
            return y

    return Local
