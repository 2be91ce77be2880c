"""Functions whose every call site in the module runs with autograd disabled."""
import torch


def helper(model, x):
    model.eval()
    return model(x)


@torch.no_grad()
def evaluate(model, loader):
    return [helper(model, x) for x in loader]


def two_callers(model, x):
    model.eval()
    return model(x)  # expect: NG001


def protected_caller(model, x):
    with torch.no_grad():
        return two_callers(model, x)


def unprotected_caller(model, x):
    return two_callers(model, x)


def leaf(model, x):
    model.eval()
    return model(x)


def middle(model, x):
    return leaf(model, x)


@torch.inference_mode()
def top(model, x):
    return middle(model, x)


def never_called(model, x):
    model.eval()
    return model(x)  # expect: NG001


def passed_as_callback(model, x):
    model.eval()
    return model(x)  # expect: NG001


def uses_callback(model, xs):
    with torch.no_grad():
        passed_as_callback(model, xs[0])
    return list(map(passed_as_callback, xs))


def outer(model, xs):
    def run(x):
        model.eval()
        return model(x)

    with torch.no_grad():
        results = [run(x) for x in xs]
    return results


def outer_unprotected(model, xs):
    def run(x):
        model.eval()
        return model(x)  # expect: NG001:16

    return [run(x) for x in xs]


class Evaluator:
    def _step(self, x):
        self.model.eval()
        return self.model(x)

    def evaluate(self, loader):
        with torch.no_grad():
            return [self._step(x) for x in loader]


def recursive(model, x, depth):
    model.eval()
    if depth:
        return recursive(model, x, depth - 1)
    return model(x)


with torch.no_grad():
    recursive(None, None, 3)


class GradientAttack:
    """A helper whose callers either disable autograd or differentiate its result."""

    def __init__(self, model):
        self.model = model
        self.model.eval()

    def _logits(self, x):
        return self.model(x)

    @torch.no_grad()
    def predict(self, x):
        return self._logits(x).argmax(1)

    def gradient(self, x, weights):
        loss = self._logits(x).sum()
        return torch.autograd.grad(loss, weights)[0]

    def gradients_over_batches(self, loader, weights):
        losses = [self._logits(x).sum() for x in loader]
        return torch.autograd.grad(sum(losses), weights)[0]

    def gradients_over_a_loop(self, loader, weights, scale):
        losses = []
        for x in loader:
            scale = scale.eval()  # changes the state: the body runs twice
            losses.append(self._logits(x).sum())
        return torch.autograd.grad(sum(losses), weights)[0]


def validation_helper(model, x):
    model.eval()
    return model(x)  # expect: NG001


def fit_then_validate(model, loader, optimizer, loss_fn):
    # the backward belongs to the training step before the helper's call, not after it
    for x, y in loader:
        model.train()
        loss_fn(model(x), y).backward()
        optimizer.step()
        validation_helper(model, x)


def prepared(model):
    model.to("cpu")
    return model


def predict_with(net, x):
    print(net(x).argmax())  # expect: NG001:11


def predict_a_prepared_model(model, x):
    model.eval()
    predict_with(prepared(model), x)


def _backward_and_step(loss, optimizer):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def eval_mode_step_through_a_helper(model, x, optimizer):
    # The helper's backward needs this graph: a training step in eval mode, not waste.
    model.eval()
    _backward_and_step(model(x).sum(), optimizer)


def eval_mode_output_to_a_helper_that_only_logs(model, x, log):
    model.eval()
    log_value(model(x).sum())  # expect: NG001


def log_value(value):
    print(value.item())
