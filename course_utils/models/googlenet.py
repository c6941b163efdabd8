"""GoogLeNet (07_googlenet), as in d2l: Inception blocks for 96x96 inputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from ._utils import _check_width, _scale

__all__ = ["Inception", "googlenet"]


class Inception(nn.Module):
    """Inception block: four parallel paths concatenated on the channel axis.

    Paths: 1x1 conv (``c1``); 1x1 conv (``c2[0]``) then 3x3 conv (``c2[1]``); 1x1 conv
    (``c3[0]``) then 5x5 conv (``c3[1]``); 3x3 max pooling then 1x1 conv (``c4``). The 1x1
    convs in front of the 3x3 and 5x5 convs reduce the channels to keep those convs cheap.
    Every path preserves the resolution, so
    ``X: (batch, in_channels, h, w) -> (batch, out_channels, h, w)``.
    """

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int) -> None:
        super().__init__()
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, c1, kernel_size=1), nn.ReLU())
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels, c2[0], kernel_size=1),
            nn.ReLU(),
            nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1),
            nn.ReLU(),
        )
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, c3[0], kernel_size=1),
            nn.ReLU(),
            nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2),
            nn.ReLU(),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(in_channels, c4, kernel_size=1),
            nn.ReLU(),
        )
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(X), self.branch2(X), self.branch3(X), self.branch4(X)], dim=1)


# (c1, (c2 reduce, c2), (c3 reduce, c3), c4) for each Inception block, from d2l/the paper.
_GOOGLENET_B3 = ((64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64))
_GOOGLENET_B4 = (
    (192, (96, 208), (16, 48), 64),
    (160, (112, 224), (24, 64), 64),
    (128, (128, 256), (24, 64), 64),
    (112, (144, 288), (32, 64), 64),
    (256, (160, 320), (32, 128), 128),
)
_GOOGLENET_B5 = ((256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128))


def _inception_stage(
    in_channels: int, configs: Sequence[tuple[int, tuple[int, int], tuple[int, int], int]], width: float
) -> tuple[list[Inception], int]:
    """Chain Inception blocks, each taking the previous block's output channels."""
    blocks = []
    for c1, c2, c3, c4 in configs:
        block = Inception(
            in_channels,
            _scale(c1, width),
            (_scale(c2[0], width), _scale(c2[1], width)),
            (_scale(c3[0], width), _scale(c3[1], width)),
            _scale(c4, width),
        )
        blocks.append(block)
        in_channels = block.out_channels
    return blocks, in_channels


def googlenet(width: float = 1.0, *, in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """GoogLeNet (d2l) for 96x96 inputs; ``width`` scales every channel count.

    Children are d2l's stages ``b1``..``b5`` and the classifier ``fc``. For
    ``X: (batch, 1, 96, 96)``::

        b1 (7x7 conv, stride 2, max pool) -> (batch, 64, 24, 24)
        b2 (1x1 conv, 3x3 conv, max pool) -> (batch, 192, 12, 12)
        b3 (2 Inception, max pool)        -> (batch, 480, 6, 6)
        b4 (5 Inception, max pool)        -> (batch, 832, 3, 3)
        b5 (2 Inception, global avg pool) -> (batch, 1024)
        fc                                -> (batch, num_classes)
    """
    _check_width(width)
    c64, c192 = _scale(64, width), _scale(192, width)
    b1 = nn.Sequential(
        nn.Conv2d(in_channels, c64, kernel_size=7, stride=2, padding=3),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b2 = nn.Sequential(
        nn.Conv2d(c64, c64, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(c64, c192, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b3_blocks, channels = _inception_stage(c192, _GOOGLENET_B3, width)
    b3 = nn.Sequential(*b3_blocks, nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b4_blocks, channels = _inception_stage(channels, _GOOGLENET_B4, width)
    b4 = nn.Sequential(*b4_blocks, nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5_blocks, channels = _inception_stage(channels, _GOOGLENET_B5, width)
    b5 = nn.Sequential(*b5_blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    fc = nn.Linear(channels, num_classes)
    return nn.Sequential(OrderedDict([("b1", b1), ("b2", b2), ("b3", b3), ("b4", b4), ("b5", b5), ("fc", fc)]))
