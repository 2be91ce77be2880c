"""self.<attr> put in eval mode in one method and called in another."""
import torch


class Predictor:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model.eval()

    def __call__(self, x):
        return self.model(x)  # expect: NG001

    def predict_batch(self, xs):
        return [self.model(x) for x in xs]  # expect: NG001:17

    @torch.no_grad()
    def predict_quietly(self, x):
        return self.model(x)

    def explain(self, x):
        x = x.clone().requires_grad_()
        self.model(x).sum().backward()
        return x.grad


class LoadsLater:
    def __init__(self):
        self.net = None

    def load(self, path):
        self.net = build(path).eval()

    def run(self, x):
        return self.net(x)  # expect: NG001


class TrainsSomewhere:
    def __init__(self, model):
        self.model = model
        self.model.eval()

    def predict(self, x):
        return self.model(x)

    def fit(self, loader):
        self.model.train()


class TrainsItself(torch.nn.Module):
    def setup(self):
        self.encoder.eval()

    def encode(self, x):
        return self.encoder(x)

    def fit(self):
        self.train()


class SubmoduleInForward(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.vgg = make_vgg().eval()

    def forward(self, x, y):
        # a perceptual loss: gradients flow through vgg to x, so this must stay enabled
        return (self.vgg(x) - self.vgg(y)).pow(2).mean()


class SubmoduleInHelpersOfForward(torch.nn.Module):
    """Private methods that only ``forward`` runs, directly or through another, are read
    as ``forward`` is; one that another method calls too is not."""

    def __init__(self):
        super().__init__()
        self.vgg = make_vgg().eval()

    def _features(self, x):
        return self.vgg(x)

    def _distance(self, x, y):
        return (self._features(x) - self._features(y)).pow(2).mean()

    def _shared(self, x):
        return self.vgg(x)  # expect: NG001

    def forward(self, x, y):
        return self._distance(x, y) + self._shared(x).mean()

    def describe(self, x):
        return self._shared(x).shape


class HelperNamedInAString(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.vgg = make_vgg().eval()

    def _pooled(self, x):
        return self.vgg(x)  # expect: NG001

    def forward(self, x):
        return getattr(self, "_pooled")(x) + self._pooled(x)


class StaticHelper:
    def __init__(self):
        self.model = make().eval()

    @staticmethod
    def run(self, x):
        return self.model(x)


class Wrapped:
    def __init__(self, model):
        self.model = torch.compile(model.eval())

    def infer(self, x):
        return self.model(x)  # expect: NG001


class AliasesMethods:
    def __init__(self, model):
        self.model = model.eval()
        self.target_fn = None

    def use_random(self):
        self.target_fn = self.random_target

    def random_target(self, x):
        return x

    def target(self, x):
        return self.target_fn(x)
