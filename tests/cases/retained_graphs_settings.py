# NG003 beside the fields of a settings object kept on ``self`` (``self.opt.lambda_L1``,
# ``self.config.weight``): numbers and flags a caller gave, no graph. The object goes by a
# settings name (``opt``, ``args``, ``config``, ``hparams``...), the module never runs it,
# and it fills its fields only with what it is given or literals (anywhere in the module:
# one class's ``self.cfg.bias = self.encoder(c)`` makes every ``cfg`` a holder of graphs).
import torch
import torch.nn.functional as F


class Pix2Pix:
    def __init__(self, opt, generator):
        self.opt = opt
        self.generator = generator

    def step(self, real_a, real_b, optimizer):
        fake_b = self.generator(real_a)
        loss = F.l1_loss(fake_b, real_b) * self.opt.lambda_L1
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


class WithAConfig:
    def __init__(self, net, weight=1.0):
        self.config = Config()
        self.config.weight = weight
        self.net = net

    def step(self, x, y, optimizer):
        loss = F.mse_loss(self.net(x), y) * self.config.weight
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


class Config:
    weight = 1.0


class AConfigThatHoldsAGraph:
    def __init__(self, net, encoder):
        self.cfg = Config()
        self.net = net
        self.encoder = encoder

    def prepare(self, context):
        self.cfg.bias = self.encoder(context).mean()  # a graph, kept on the object

    def step(self, x, y, optimizer):
        loss = F.mse_loss(self.net(x), y) + self.cfg.bias
        loss.backward(retain_graph=True)  # the next step goes through the kept bias
        optimizer.step()


class AModelByASettingsName:
    def __init__(self, params):
        self.params = params  # a model, despite its name: the module runs it

    def step(self, x, y, optimizer):
        loss = F.mse_loss(self.params.head(x), y) + self.params.aux_loss
        loss.backward(retain_graph=True)  # ``aux_loss`` may be a graph the model kept
        optimizer.step()


def make(x):
    return torch.zeros_like(x)
