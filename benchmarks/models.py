"""The benchmarked models, defined here so that a run needs no download.

Each entry pairs a builder with the shape of one input sample; inputs are random tensors,
as in the rule's original experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


class SmallCNN(nn.Module):
    """Two conv/ReLU/max-pool stages and two linear layers on 3x32x32 inputs."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 8 * 8, 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv + BatchNorm, with a projection shortcut when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class HalfResNet18(nn.Module):
    """CIFAR ResNet-18 at half width (32-64-128-256 channels): BatchNorm in eval mode."""

    def __init__(self, num_classes: int = 10, widths: tuple[int, ...] = (32, 64, 128, 256)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
        )
        blocks, in_channels = [], widths[0]
        for stage, width in enumerate(widths):
            stride = 1 if stage == 0 else 2
            blocks += [BasicBlock(in_channels, width, stride), BasicBlock(width, width, 1)]
            in_channels = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


def small_transformer() -> nn.Module:
    """nn.TransformerEncoder, batch_first, d_model 256, 4 heads, 4 layers, feed-forward 1024."""
    layer = nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)


def mlp() -> nn.Module:
    """Flattened 3x32x32 input, two hidden layers of 1024."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(3 * 32 * 32, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, 10),
    )


@dataclass(frozen=True)
class ModelSpec:
    """How to build a model and the shape of one input sample."""

    build: Callable[[], nn.Module]
    sample_shape: tuple[int, ...]


MODELS = {
    "small_cnn": ModelSpec(SmallCNN, (3, 32, 32)),
    "resnet_half": ModelSpec(HalfResNet18, (3, 32, 32)),
    "transformer": ModelSpec(small_transformer, (128, 256)),
    "mlp": ModelSpec(mlp, (3, 32, 32)),
}


def build_eval_model(name: str, device: torch.device) -> nn.Module:
    """The named model on `device`, in eval mode with the same weights on every run (seeded)."""
    torch.manual_seed(0)
    return MODELS[name].build().to(device).eval()


def random_batch(name: str, batch_size: int, device: torch.device) -> torch.Tensor:
    """A batch of random inputs for the named model."""
    return torch.randn(batch_size, *MODELS[name].sample_shape, device=device)
