import torch


def generate(model, tokens, mask):
    model.eval()
    logits = model(
        tokens,
        attention_mask=mask,  # padding
    )
    return logits
