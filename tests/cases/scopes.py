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


def closure_called_after_eval(net, x):
    # Its body runs where it is called, and ``net`` is in eval mode there.
    def predict(y):
        return net(y)  # expect: NG001

    net.eval()
    return predict(x)


def closure_called_after_train(net, x):
    net.eval()

    def predict(y):
        return net(y)

    net.train()
    return predict(x)


def closure_called_in_the_eval_half_of_a_loop(net, xs):
    def predict(y):
        return net(y)  # expect: NG001

    for x in xs:
        net.eval()
        print(predict(x))
        net.train()


def closure_also_handed_on(net, x, run):
    # Passed to ``run``, it may run at any time: the mode where it was defined decides.
    net.eval()

    def predict(y):
        return net(y)  # expect: NG001

    net.train()
    run(predict)
    return predict(x)


def closure_name_as_attribute_or_keyword(net, x, tools):
    # ``tools.predict`` and ``predict=`` name something else: only the calls count.
    net.eval()

    def predict(y):
        return net(y)

    net.train()
    tools.predict(x)
    tools.log(predict=True)
    return predict(x)


def closure_name_rebound(net, x, other):
    net.eval()

    def predict(y):
        return net(y)  # expect: NG001

    net.train()
    if other is not None:
        predict = other
    return predict(x)


def closure_defined_again_on_each_pass(net, x, loader):
    # From the second iteration on, it is called after ``eval()``.
    for batch in loader:

        def predict():
            return net(x)  # expect: NG001

        predict()
        net.eval()


def closure_called_under_no_grad_in_eval_then_in_train(net, x):
    # No call runs it in eval mode with autograd on.
    def predict():
        return net(x)

    net.eval()
    with torch.no_grad():
        predict()
    net.train()
    predict()


def generator_closure_runs_when_iterated(net, loader):
    net.eval()

    def batches():
        for x in loader:
            yield net(x)  # expect: NG001

    net.train()
    outputs = batches()
    net.eval()
    for out in outputs:
        print(out)


async def async_closure_runs_when_awaited(net, x):
    net.eval()

    async def predict():
        return net(x)  # expect: NG001

    net.train()
    pending = predict()
    net.eval()
    return await pending


def decorated_closure_may_run_anywhere(net, x, registry):
    net.eval()

    @registry.register
    def predict():
        return net(x)  # expect: NG001

    net.train()
    predict()
    net.eval()
    registry.run_all()


def recursive_closure(net, x):
    net.eval()

    def predict(n):
        y = net(x)  # expect: NG001
        net.eval()
        if n:
            predict(n - 1)
        return y

    net.train()
    predict(3)


def closure_read_by_another_closure(net, x):
    net.eval()

    def predict(y):
        return net(y)  # expect: NG001

    def later():
        return predict(x)

    net.train()
    return later()


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


def closure_called_directly_and_by_another_closure(net, x):
    net.eval()

    def predict():
        return net(x)  # expect: NG001

    def later():
        return predict()

    net.train()
    predict()
    net.eval()
    later()


def closure_calls_that_disagree_on_grad_mode(net, x, flag):
    # Its eval-mode call may run without autograd, its call with autograd is in training
    # mode: no call pairs both, so the state where it is defined decides.
    def predict():
        return net(x)

    net.eval()
    with torch.set_grad_enabled(flag):
        predict()
    net.train()
    predict()
