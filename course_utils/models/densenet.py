"""DenseNet (10_densenet), as in d2l: dense blocks joined by transition blocks, for 96x96 inputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from ._utils import _check_width, _scale
from .resnet import _resnet_stem

__all__ = ["conv_block", "DenseBlock", "transition_block", "densenet"]


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """DenseNet's pre-activation conv: BN, ReLU, 3x3 conv (padding 1)."""
    return nn.Sequential(
        nn.BatchNorm2d(in_channels),
        nn.ReLU(),
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
    )


class DenseBlock(nn.Module):
    """``num_convs`` conv blocks, each seeing the concatenation of all earlier outputs.

    Every conv block adds ``growth_rate`` channels, so
    ``X: (batch, in_channels, h, w) -> (batch, out_channels, h, w)`` with
    ``out_channels = in_channels + num_convs * growth_rate``.
    """

    def __init__(self, num_convs: int, in_channels: int, growth_rate: int) -> None:
        super().__init__()
        self.net = nn.Sequential(*(conv_block(in_channels + i * growth_rate, growth_rate) for i in range(num_convs)))
        self.out_channels = in_channels + num_convs * growth_rate

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self.net:
            Y = block(X)
            # Concatenate rather than add (as ResNet does): later layers see all earlier features.
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """BN, ReLU, 1x1 conv, 2x2 average pooling.

    Keeps dense blocks affordable by cutting the channels (DenseNet halves them) and the
    resolution: ``X: (batch, in_channels, h, w) -> (batch, out_channels, h // 2, w // 2)``.
    """
    return nn.Sequential(
        nn.BatchNorm2d(in_channels),
        nn.ReLU(),
        nn.Conv2d(in_channels, out_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )


def densenet(
    growth_rate: int = 32,
    arch: Sequence[int] = (4, 4, 4, 4),
    width: float = 1.0,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """DenseNet (d2l) for 96x96 inputs; ``width`` scales the stem channels and the growth rate.

    ``arch`` gives the number of conv blocks per dense block. Between dense blocks a
    transition block halves the channels and the resolution. For ``X: (batch, 1, 96, 96)``
    and the defaults::

        stem   -> (batch, 64, 24, 24)
        dense1 -> (batch, 192, 24, 24) -> transition1 -> (batch, 96, 12, 12)
        dense2 -> (batch, 224, 12, 12) -> transition2 -> (batch, 112, 6, 6)
        dense3 -> (batch, 240, 6, 6)   -> transition3 -> (batch, 120, 3, 3)
        dense4 -> (batch, 248, 3, 3)
        head (BN, ReLU, global avg pool, flatten, linear) -> (batch, num_classes)
    """
    _check_width(width)
    if len(arch) == 0:
        raise ValueError("arch must contain at least one dense block")
    channels = _scale(64, width)
    growth = _scale(growth_rate, width)
    stages: OrderedDict[str, nn.Module] = OrderedDict(stem=_resnet_stem(in_channels, channels))
    for i, num_convs in enumerate(arch, start=1):
        block = DenseBlock(num_convs, channels, growth)
        stages[f"dense{i}"] = block
        channels = block.out_channels
        if i < len(arch):
            stages[f"transition{i}"] = transition_block(channels, channels // 2)
            channels //= 2
    stages["head"] = nn.Sequential(
        nn.BatchNorm2d(channels),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(channels, num_classes),
    )
    return nn.Sequential(stages)
