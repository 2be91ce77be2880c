"""try/except/finally, async, comprehensions, lambdas, walrus (match: match_statement.py)."""
import torch


def try_body(model, x):
    model.eval()
    try:
        y = model(x)  # expect: NG001
    except RuntimeError:
        y = None
    return y


def eval_in_try_seen_in_handler(model, x, log):
    try:
        model.eval()
        load(model)
    except OSError:
        log(model(x))  # expect: NG001:13
    finally:
        model.train()
    return model(x)


def try_no_grad(model, x):
    model.eval()
    with torch.no_grad():
        try:
            return model(x)
        finally:
            print("done")


async def async_function(model, x):
    model.eval()
    features = await model(x)  # expect: NG001:22
    async with lock:
        return model(features)  # expect: NG001


def comprehensions(model, xs):
    model.eval()
    outputs = [model(x) for x in xs]  # expect: NG001:16
    table = {i: model(x) for i, x in enumerate(xs)}  # expect: NG001:17
    total = sum(model(x).sum() for x in xs)  # expect: NG001:17
    with torch.no_grad():
        quiet = [model(x) for x in xs]
    return outputs, table, total, quiet


def lambdas(model, xs):
    model.eval()
    scores = sorted(xs, key=lambda x: model(x).item())  # expect: NG001:39
    with torch.no_grad():
        ranked = sorted(xs, key=lambda x: model(x).item())
    return scores, ranked


def named_lambda_called_after_train(model, x):
    # ``predict`` only ever runs where it is called: in training mode.
    model.eval()
    predict = lambda y: model(y)  # noqa: E731
    model.train()
    return predict(x)


def named_lambda_called_in_eval_mode(model, x):
    predict = lambda y: model(y)  # noqa: E731  # expect: NG001:25
    model.eval()
    return predict(x)


def named_lambda_also_returned(model, x):
    model.eval()
    predict = lambda y: model(y)  # noqa: E731  # expect: NG001:25
    model.train()
    predict(x)
    return predict


def walrus(model, make, x):
    if (net := make().eval()) is not None:
        return net(x)  # expect: NG001


def multi_line_call(model, x, mask):
    model.eval()
    return model(  # expect: NG001:12
        x,
        attention_mask=mask,
    )


def nested_call_arguments(model, x):
    model.eval()
    return torch.softmax(model(x), dim=-1)  # expect: NG001:26


def one_line_def(model, x): model.eval(); return model(x)  # expect: NG001:50


def while_true_with_break(model, queue):
    model.eval()
    while True:
        item = queue.get()
        if item is None:
            break
        queue.put(model(item))  # expect: NG001:19


def eval_mode_through_continue(model, batches, skip):
    for x in batches:
        out = model(x)  # expect: NG001:15
        if skip(out):
            model.eval()
            continue
        model.train()


def eval_mode_through_break(model, batches, stop):
    for x in batches:
        if stop(x):
            model.eval()
            break
    return model(x)  # expect: NG001:12
