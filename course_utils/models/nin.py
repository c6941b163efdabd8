"""Network in Network (06_nin): 1x1 convolutions and global average pooling instead of a dense head."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from ._utils import _check_width, _scale

__all__ = ["nin_block", "nin"]


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    """A conv followed by two 1x1 convs, each with ReLU.

    The 1x1 convs act as a small fully connected network applied at every pixel.
    ``X: (batch, in_channels, h, w) -> (batch, out_channels, h', w')`` with ``h'`` given by
    the first conv.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
    )


def nin(
    width: float = 1.0,
    dropout: float = 0.5,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """Network in Network (d2l) for 224x224 inputs; ``width`` scales the hidden channels.

    No fully connected layers: the last NiN block outputs one channel per class and global
    average pooling turns each channel into a logit. For ``X: (batch, 1, 224, 224)``::

        nin1 -> (batch, 96, 54, 54)   -> pool1 -> (batch, 96, 26, 26)
        nin2 -> (batch, 256, 26, 26)  -> pool2 -> (batch, 256, 12, 12)
        nin3 -> (batch, 384, 12, 12)  -> pool3 -> (batch, 384, 5, 5)
        nin4 -> (batch, num_classes, 5, 5) -> gap + flatten -> (batch, num_classes)
    """
    _check_width(width)
    c1, c2, c3 = (_scale(c, width) for c in (96, 256, 384))
    return nn.Sequential(
        OrderedDict(
            [
                ("nin1", nin_block(in_channels, c1, kernel_size=11, stride=4, padding=0)),
                ("pool1", nn.MaxPool2d(kernel_size=3, stride=2)),
                ("nin2", nin_block(c1, c2, kernel_size=5, stride=1, padding=2)),
                ("pool2", nn.MaxPool2d(kernel_size=3, stride=2)),
                ("nin3", nin_block(c2, c3, kernel_size=3, stride=1, padding=1)),
                ("pool3", nn.MaxPool2d(kernel_size=3, stride=2)),
                ("dropout", nn.Dropout(dropout)),
                ("nin4", nin_block(c3, num_classes, kernel_size=3, stride=1, padding=1)),
                ("gap", nn.AdaptiveAvgPool2d(1)),
                ("flatten", nn.Flatten()),
            ]
        )
    )
