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


@functools.lru_cache(maxsize=0)
def uncached(encoder, x):
    return encoder(x)  # a cache of no entries: a new graph at every call


def nothing_kept_by_a_cache_of_none(encoder, batches, optimizer):
    for x, y in batches:
        loss = F.mse_loss(uncached(encoder, x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


_CALLS = {}


def counted(encoder, name, x):
    _CALLS[name] = _CALLS.get(name, 0) + 1
    return encoder(x)  # returns a new graph, not the counter it keeps


def a_counter_kept_beside_a_fresh_graph(encoder, batches, optimizer):
    for x, y in batches:
        loss = F.mse_loss(counted(encoder, "train", x), y)
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


def a_parameter_named_like_a_cached_function(prototype, batches, optimizer):
    for x, y in batches:
        loss = F.mse_loss(prototype(x), y)  # the parameter, not the module's ``prototype``
        loss.backward(retain_graph=True)  # expect: NG003:23
        optimizer.step()


_EMBEDDINGS = {}


def embedding_of(encoder, items, key):
    return _EMBEDDINGS.setdefault(key, encoder(items[key]))  # the first call's, after it


def embeddings_kept_by_setdefault(encoder, items, batches, optimizer):
    for key, y in batches:
        loss = F.mse_loss(embedding_of(encoder, items, key), y)
        loss.backward(retain_graph=True)  # a later batch of the same key goes through it
    optimizer.step()


def memoize(function):
    kept = {}

    @functools.wraps(function)
    def wrapper(key):
        if key not in kept:
            kept[key] = function(key)
        return kept[key]

    return wrapper


ENCODER = torch.nn.Linear(4, 3)
SPLITS = {"train": torch.randn(5, 4)}


@memoize
def encoded_split(name):
    return ENCODER(SPLITS[name])


def a_split_kept_by_a_decorator_of_the_module(head, optimizer, steps):
    for _ in range(steps):
        loss = head(encoded_split("train")).mean()
        loss.backward(retain_graph=True)  # every step goes through the one kept encoding
    optimizer.step()


class Distiller:
    def __init__(self, teacher, student, x, labels):
        self.teacher = teacher
        self.student = student
        self.x = x
        self.labels = labels
        self._soft = None
        self._hard = None

    def soft_targets(self):
        if self._soft is None:
            self._soft = F.softmax(self.teacher(self.x), 1)  # the first call's graph, kept
        return self._soft

    def hard_targets(self):
        if self._hard is None:
            self._hard = torch.tensor(self.labels)  # numbers: no graph to keep
        return self._hard

    def distill_soft(self, optimizer, steps):
        for _ in range(steps):
            logits = self.student(self.x)
            loss = F.kl_div(F.log_softmax(logits, 1), self.soft_targets(), reduction="sum")
            loss.backward(retain_graph=True)  # each step goes through the kept targets
        optimizer.step()

    def distill_hard(self, optimizer, steps):
        for _ in range(steps):
            loss = F.cross_entropy(self.student(self.x), self.hard_targets())
            loss.backward(retain_graph=True)  # expect: NG003:27
        optimizer.step()


class FeatureBank:
    """Keeps features on the object in the other ways a lazy attribute is written."""

    def __init__(self, encoder, x):
        self.encoder = encoder
        self.x = x
        self._ready = False

    def features(self):
        if not hasattr(self, "_feats"):
            self._feats = torch.relu(self.encoder(self.x))
        return self._feats

    def pooled(self):
        if not self._ready:
            self._pooled = self.encoder(self.x).mean(0)
            self._ready = True
        return self._pooled

    def early(self):
        if getattr(self, "_early", None) is not None:
            return self._early
        self._early = self.encoder(self.x)  # made once: the early return hands it back after
        return self._early

    def filled(self):
        if getattr(self, "_filled", None) is None:
            self._filled = torch.zeros(3, 8)
            self._filled.copy_(self.encoder(self.x))  # the copy records the encoder's graph
        return self._filled

    def fresh(self):
        self._last = self.encoder(self.x)  # set on every call: a new graph each time
        return self._last

    def guarded(self, x):
        if x is None:
            return None  # hands back nothing kept
        self._out = self.encoder(x)  # set on every call that hands it back
        return self._out


def heads_on_kept_features(bank, heads, ys):
    # ``bank`` is a parameter, but a method of that name in the module keeps its result
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.features()), y)
        loss.backward(retain_graph=True)


def pooled_features_kept_by_a_ready_flag(encoder, x, heads, ys):
    bank = FeatureBank(encoder, x)
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.pooled()), y)
        loss.backward(retain_graph=True)


def features_handed_back_by_an_early_return(encoder, x, heads, ys):
    bank = FeatureBank(encoder, x)
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.early()), y)
        loss.backward(retain_graph=True)


def features_copied_into_a_kept_tensor(encoder, x, heads, ys):
    bank = FeatureBank(encoder, x)
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.filled()), y)
        loss.backward(retain_graph=True)


def heads_on_features_made_each_call(bank, heads, ys):
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.fresh()), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


def heads_on_features_made_after_a_guard(bank, heads, x, ys):
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.guarded(x)), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


class KeptAsProperties:
    def __init__(self, encoder, x):
        self.encoder = encoder
        self.x = x
        self._lazy = None
        self._pooled = None

    @functools.cached_property
    def feats(self):
        return torch.relu(self.encoder(self.x))  # computed on the first read, then kept

    @property
    def lazy(self):
        if self._lazy is None:
            self._lazy = self.encoder(self.x)
        return self._lazy

    def pooled(self):
        # set on every call, but to what it held once it holds something
        self._pooled = self._pooled if self._pooled is not None else self.encoder(self.x)
        return self._pooled

    def detached(self):
        if self._lazy is None:
            self._lazy = self.encoder(self.x)
        return self._lazy.detach()  # hands back no graph

    def filled_without_grad(self):
        if self._pooled is None:
            self._pooled = torch.zeros(3, 8)
            with torch.no_grad():
                self._pooled.copy_(self.encoder(self.x))  # records no graph
        return self._pooled

    def _build(self):
        self._lazy = self.encoder(self.x)

    def built_by_a_method(self):
        if self._lazy is None:
            self._build()
        return self._lazy


def heads_on_a_cached_property(bank, heads, ys):
    for head, y in zip(heads, ys):
        F.mse_loss(head(bank.feats), y).backward(retain_graph=True)


def heads_on_a_lazy_property(bank, heads, ys):
    for head, y in zip(heads, ys):
        F.mse_loss(head(bank.lazy), y).backward(retain_graph=True)


def heads_on_a_value_that_keeps_itself(bank, heads, ys):
    for head, y in zip(heads, ys):
        F.mse_loss(head(bank.pooled()), y).backward(retain_graph=True)


def heads_on_features_built_by_a_method(bank, heads, ys):
    for head, y in zip(heads, ys):
        F.mse_loss(head(bank.built_by_a_method()), y).backward(retain_graph=True)


def heads_on_a_detached_cache(bank, heads, ys):
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.detached()), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


def heads_on_a_cache_filled_without_grad(bank, heads, ys):
    for head, y in zip(heads, ys):
        loss = F.mse_loss(head(bank.filled_without_grad()), y)
        loss.backward(retain_graph=True)  # expect: NG003:23


_PROTOTYPES = None


def prototypes(encoder, support):
    global _PROTOTYPES
    if _PROTOTYPES is None:
        _PROTOTYPES = encoder(support).mean(0)  # the first call's graph, kept in a global
    return _PROTOTYPES


def queries_against_global_prototypes(encoder, support, batches):
    for x, y in batches:
        loss = F.mse_loss(encoder(x) @ prototypes(encoder, support), y)
        loss.backward(retain_graph=True)


class TeacherCache:
    def __init__(self, teacher):
        self.teacher = teacher
        self._out = None

    def __call__(self, x):
        if self._out is None:
            self._out = self.teacher(x)
        return self._out


def distill_against_a_calling_cache(student, teacher, x, steps):
    targets = TeacherCache(teacher)
    for _ in range(steps):
        loss = F.mse_loss(student(x), targets(x))
        loss.backward(retain_graph=True)  # the second step goes through the kept output


def _encode_split(name):
    return ENCODER(SPLITS[name])


encode_split_cached = functools.lru_cache(maxsize=None)(_encode_split)


def a_split_kept_by_a_cache_applied_by_a_call(head, optimizer, steps, split):
    for _ in range(steps):
        loss = head(encode_split_cached(split)).mean()
        loss.backward(retain_graph=True)  # every step goes through the one kept encoding
    optimizer.step()


def a_split_named_in_the_call_of_a_cache(head, optimizer, steps):
    for _ in range(steps):
        loss = head(encode_split_cached("train")).mean()
        loss.backward(retain_graph=True)  # the cache hands back one encoding for "train"
    optimizer.step()


def a_split_named_in_the_call_of_a_plain_function(head, optimizer, steps):
    for _ in range(steps):
        loss = head(_encode_split("train")).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
    optimizer.step()


def encode_with_a_default_memo(encoder, x, _memo={}):
    if "x" not in _memo:
        _memo["x"] = encoder(x)
    return _memo["x"]


def encode_with_a_default_of_none(encoder, x, memo=None):
    memo = {} if memo is None else memo
    if "x" not in memo:
        memo["x"] = encoder(x)
    return memo["x"]


def heads_over_a_default_memo(encoder, heads, x, optimizer):
    for head in heads:
        loss = head(encode_with_a_default_memo(encoder, x)).mean()
        loss.backward(retain_graph=True)  # the default dict keeps the first encoding
    optimizer.step()


def heads_over_a_fresh_memo(encoder, heads, x, optimizer):
    for head in heads:
        loss = head(encode_with_a_default_of_none(encoder, x)).mean()
        loss.backward(retain_graph=True)  # expect: NG003:23
    optimizer.step()
