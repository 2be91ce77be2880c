"""Exact bytes that autograd keeps alive for a backward pass that never comes.

A `saved_tensors_hooks` pack hook sees every tensor an operation saves for backward. Counting
unique storages (a tensor saved twice, or two views of one buffer, count once) and leaving out
parameters, buffers and the input gives the memory that no_grad / inference_mode do not
allocate: under those modes nothing is saved and the count is exactly 0.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

StorageKey = tuple[str, int]


def storage_key(tensor: torch.Tensor) -> StorageKey:
    """Identifies the memory behind a tensor, shared by all its views."""
    return (str(tensor.device), tensor.untyped_storage().data_ptr())


class SavedGraphMeter:
    """Context manager counting the bytes of storages saved for backward inside it."""

    def __init__(self, excluded: Iterable[torch.Tensor]) -> None:
        self._excluded = {storage_key(t) for t in excluded}
        self._saved: dict[StorageKey, int] = {}
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor:
        key = storage_key(tensor)
        if key not in self._excluded:
            self._saved.setdefault(key, tensor.untyped_storage().nbytes())
        # Returning `tensor` itself would pin it through its own grad_fn (a reference cycle
        # that autograd's SavedVariable avoids); a detached alias shares the storage, copies nothing.
        return tensor.detach()

    @staticmethod
    def _unpack(tensor: torch.Tensor) -> torch.Tensor:
        return tensor

    @property
    def saved_bytes(self) -> int:
        return sum(self._saved.values())

    def __enter__(self) -> SavedGraphMeter:
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._hooks.__exit__(*exc_info)


def saved_graph_bytes(model: torch.nn.Module, batch: torch.Tensor) -> int:
    """Bytes saved for backward by one forward call of `model` on `batch` in the current mode."""
    excluded = [*model.parameters(), *model.buffers(), batch]
    with SavedGraphMeter(excluded) as meter:
        model(batch)
    return meter.saved_bytes
