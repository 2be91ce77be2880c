import torch


class Predictor:
    def __init__(self, model):
        self.model = model.eval()

    def __call__(self, x, verbose=False):
        if x is not None:
            try:
                y = self.model(x)
            except RuntimeError:
                if verbose: y = self.model(x.float())
                else:
                    raise
            return y
        return None
