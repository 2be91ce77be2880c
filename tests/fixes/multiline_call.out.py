import torch


def generate(model, tokens, mask):
    model.eval()
    with torch.no_grad():
        logits = model(
            tokens,
            attention_mask=mask,  # padding
        )
    return logits
