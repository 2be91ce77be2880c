"""CUDA memory per iteration, from PyTorch's caching allocator."""

from __future__ import annotations

import torch


def reset_cuda_peak(device: torch.device) -> None:
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)


def cuda_memory(device: torch.device) -> dict[str, int]:
    """Peak bytes allocated since the last reset, and bytes the allocator holds from the driver."""
    torch.cuda.synchronize(device)
    return {
        "cuda_peak_allocated_bytes": torch.cuda.max_memory_allocated(device),
        "cuda_reserved_bytes": torch.cuda.memory_reserved(device),
    }
