"""VGG (05_vgg): blocks of 3x3 convolutions, then the fully connected head."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

__all__ = ["vgg_block", "vgg", "VGG11_ARCH", "vgg11"]


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """``num_convs`` x (3x3 conv, padding 1, ReLU), then 2x2 max pooling.

    ``X: (batch, in_channels, h, w) -> (batch, out_channels, h // 2, w // 2)``.
    """
    if num_convs < 1:
        raise ValueError(f"num_convs must be at least 1, got {num_convs}")
    layers: list[nn.Module] = []
    for i in range(num_convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(
    conv_arch: Sequence[tuple[int, int]],
    input_size: int = 224,
    fc_width: int = 4096,
    dropout: float = 0.5,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """VGG network: one :func:`vgg_block` per ``(num_convs, out_channels)`` in ``conv_arch``.

    Each block halves the resolution, so for ``X: (batch, 1, input_size, input_size)`` the
    blocks end at ``(batch, c, s, s)`` with ``c`` the last block's channels and
    ``s = input_size // 2 ** len(conv_arch)``; then flatten -> fc1 (fc_width) -> fc2
    (fc_width) -> fc3 -> ``(batch, num_classes)``.
    """
    if len(conv_arch) == 0:
        raise ValueError("conv_arch must contain at least one (num_convs, out_channels) block")
    feature_size = input_size // 2 ** len(conv_arch)
    if feature_size < 1:
        raise ValueError(
            f"input_size must be at least {2 ** len(conv_arch)} for {len(conv_arch)} VGG blocks, got {input_size}"
        )
    stages: OrderedDict[str, nn.Module] = OrderedDict()
    channels = in_channels
    for i, (num_convs, out_channels) in enumerate(conv_arch, start=1):
        stages[f"block{i}"] = vgg_block(num_convs, channels, out_channels)
        channels = out_channels
    stages["flatten"] = nn.Flatten()
    stages["fc1"] = nn.Linear(channels * feature_size * feature_size, fc_width)
    stages["relu1"] = nn.ReLU()
    stages["dropout1"] = nn.Dropout(dropout)
    stages["fc2"] = nn.Linear(fc_width, fc_width)
    stages["relu2"] = nn.ReLU()
    stages["dropout2"] = nn.Dropout(dropout)
    stages["fc3"] = nn.Linear(fc_width, num_classes)
    return nn.Sequential(stages)


#: VGG-11: 8 conv layers in 5 blocks (plus 3 fully connected layers).
VGG11_ARCH: tuple[tuple[int, int], ...] = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def vgg11(
    ratio: int = 1,
    input_size: int = 224,
    fc_width: int = 4096,
    dropout: float = 0.5,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """VGG-11 with every conv's channel count divided by ``ratio``.

    The lecture uses ``ratio=4``: a 1-channel, 10-class task needs far less capacity than
    ImageNet, and a quarter of the channels trains about 16x faster (conv cost is quadratic
    in the width). ``fc_width`` stays 4096 unless given.
    """
    if ratio < 1:
        raise ValueError(f"ratio must be a positive integer, got {ratio}")
    if any(c // ratio < 1 for _, c in VGG11_ARCH):
        raise ValueError(f"ratio must be at most {min(c for _, c in VGG11_ARCH)}, got {ratio}")
    arch = tuple((num_convs, channels // ratio) for num_convs, channels in VGG11_ARCH)
    return vgg(arch, input_size, fc_width, dropout, in_channels=in_channels, num_classes=num_classes)
