# NG003 beside functions of the module that hand back what they made on an earlier call: a
# memoizing decorator, or a module-level container filled and returned. The same graph
# comes back at each call with the same arguments, and the next backward goes through it.
import functools

import torch
import torch.nn.functional as F

_ANCHORS = {}


def anchor_embedding(encoder, anchors, key):
    if key not in _ANCHORS:
        _ANCHORS[key] = F.normalize(encoder(anchors[key]), dim=-1)
    return _ANCHORS[key]


def anchors_kept_across_batches(encoder, anchors, batches, optimizer):
    for key, x in batches:
        anchor = anchor_embedding(encoder, anchors, key)
        loss = (1 - (F.normalize(encoder(x), dim=-1) * anchor).sum(-1)).mean()
        loss.backward(retain_graph=True)  # a later batch of the same key goes through it
    optimizer.step()


@functools.lru_cache(maxsize=None)
def prototype(encoder, support, label):
    return encoder(support[label]).mean(0)


def prototypes_kept_across_queries(encoder, support, queries, optimizer):
    for x, y in queries:
        protos = torch.stack([prototype(encoder, support, c) for c in range(3)])
        loss = F.cross_entropy(-torch.cdist(encoder(x), protos), y)
        loss.backward(retain_graph=True)  # every query goes through the same prototypes
    optimizer.step()


def embed(encoder, x):
    return encoder(x)  # a new graph at every call


def fresh_embeddings_each_batch(encoder, batches, optimizer):
    for x, y in batches:
        loss = F.mse_loss(embed(encoder, x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()
