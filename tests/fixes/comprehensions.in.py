import torch


def embed_all(encoder, batches):
    encoder.eval()
    vectors = [encoder(b) for b in batches]
    stacked = torch.cat(list(encoder(b) for b in batches))
    return vectors, stacked
