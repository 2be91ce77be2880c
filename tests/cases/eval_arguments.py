"""A model put in eval mode and handed to a function of the same module: the parameter is
in eval mode inside it when every call site in the module passes an eval-mode model."""
import torch


def evaluate(net, loader):
    for images in loader:
        detections = net(images)  # expect: NG001:22
        print(detections)


def run_script(net, loader):
    net.eval()
    evaluate(net, loader)


def predict(model, x):
    return model(x)  # expect: NG001


def serve(model, x):
    model.eval()
    return predict(model, x)


def serve_by_keyword(model, x):
    model.eval()
    return predict(x=x, model=model)


def beam_search(encoder, decoder, image):
    features = encoder(image)  # expect: NG001
    return decoder(features)  # expect: NG001


if __name__ == "__main__":
    encoder, decoder = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    encoder.eval()
    decoder.eval()
    beam_search(encoder, decoder, torch.zeros(2))


def cv2_demo(net, transform):
    def predict(frame):
        return net(transform(frame))  # expect: NG001:16

    return predict


def build_demo(build):
    cv2_demo(build().eval(), None)


def demo_main(net):
    cv2_demo(net.eval(), None)


def classify(model, x):
    return model(x)  # expect: NG001


classify(torch.nn.Linear(2, 2).eval(), torch.zeros(2))


class Runner:
    def run(self, model, x):
        model.eval()
        return self._step(model, x)

    def _step(self, model, x):
        return model(x)  # expect: NG001


# -- silent ---------------------------------------------------------------------------------


def mixed(model, x):
    return model(x)  # one caller passes a model in train mode


def caller_eval(model, x):
    model.eval()
    return mixed(model, x)


def caller_train(model, x):
    model.train()
    return mixed(model, x)


def guarded(model, x):
    return model(x)  # the only caller runs it under no_grad


def guarded_caller(model, x):
    model.eval()
    with torch.no_grad():
        return guarded(model, x)


def saliency(model, x):
    x.requires_grad_()
    model(x).sum().backward()  # gradients through the eval-mode model are the point
    return x.grad


def explain(model, x):
    model.eval()
    return saliency(model, x)


def forward_then_backward(model, x):
    return model(x)  # the caller backpropagates through the result


def attack(model, x):
    model.eval()
    loss = forward_then_backward(model, x).sum()
    loss.backward()


def never_called(model, x):
    return model(x)  # no call site in the module: the parameter is unknown


def escaping(model, x):
    return model(x)  # also handed to a thread: callers we cannot see


def starts_thread(model, x):
    import threading

    model.eval()
    escaping(model, x)
    threading.Thread(target=escaping, args=(model, x)).start()


def frozen_argument(model, x):
    return model(x)  # the caller froze it


def freezes(model, x):
    model.eval()
    model.requires_grad_(False)
    return frozen_argument(model, x)


def starred(*models):
    return models[0](1)


def calls_starred(model):
    model.eval()
    return starred(model)


def refit(model, x):
    return model(x)  # handed over in train mode


def calls_refit(model, x):
    model.eval()
    refit(model.train(), x)


def recursive(model, x, depth):
    if depth:
        return recursive(model, x, depth - 1)
    return model(x)  # the only caller passes its own parameter: nothing is known


class Predictor:
    def __init__(self, model, warm_up):
        self.model = model
        if warm_up:
            self.model(torch.zeros(1, 3))  # expect: NG001:13


def build_predictor(model):
    model.eval()
    return Predictor(model, warm_up=True)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.model(torch.zeros(1, 3))  # one construction passes a model in train mode


def build_trainers(model):
    model.eval()
    first = Trainer(model)
    model.train()
    return first, Trainer(model)
