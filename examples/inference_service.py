"""A small inference service: each handler loads the model in eval mode and calls it."""
from contextlib import nullcontext

import torch
from torch import inference_mode


class Classifier:
    def __init__(self, path: str) -> None:
        self.model = torch.jit.load(path)

    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        return self.model(batch).softmax(-1)  # NG001

    def predict_fast(self, batch: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        with inference_mode():
            return self.model(batch).softmax(-1)


def embed(encoder, texts, tokenizer, amp: bool = False):
    encoder.train(False)
    tokens = tokenizer(texts)
    with torch.autocast("cuda") if amp else nullcontext():
        return encoder(**tokens).pooler_output  # NG001: autocast does not disable autograd
