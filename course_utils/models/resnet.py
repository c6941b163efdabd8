"""ResNet (09_resnet): the residual block, ResNet-18, and the CIFAR-style networks of the
degradation experiment (plain or residual, depth 6n+2).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._utils import _check_width, _scale

__all__ = ["BasicBlock", "Residual", "resnet18", "cifar_net"]


class BasicBlock(nn.Module):
    """Two 3x3 convs with batch norm, with (``residual=True``) or without a shortcut.

    Main path: conv3x3 (stride) -> BN -> ReLU -> conv3x3 -> BN. The residual version outputs
    ``ReLU(main(X) + shortcut(X))``; the plain version ``ReLU(main(X))``, which is what the
    degradation experiment compares. ``X: (batch, in_channels, h, w) ->
    (batch, out_channels, h', w')`` with ``h' = ceil(h / stride)``.

    The shortcut is the identity, or a strided 1x1 conv followed by batch norm when the output
    shape differs from the input's (the paper's projection shortcut, as in torchvision; d2l
    leaves out the batch norm). ``use_1x1conv=None`` decides automatically; ``True`` forces the
    1x1 conv even when the identity would fit.

    No conv here has a bias: batch norm follows each one directly, subtracts the channel's
    mean, and adds its own shift β, so a bias would be cancelled and relearned. The block
    then has exactly the parameters of torchvision's ``BasicBlock``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        *,
        residual: bool = True,
        use_1x1conv: bool | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)

        shape_changes = in_channels != out_channels or stride != 1
        if not residual:
            if use_1x1conv:
                raise ValueError("use_1x1conv only applies to residual blocks")
            self.shortcut: nn.Module | None = None
            return
        if use_1x1conv is None:
            use_1x1conv = shape_changes
        if shape_changes and not use_1x1conv:
            raise ValueError(
                "use_1x1conv=False needs in_channels == out_channels and stride == 1, got "
                f"{in_channels} -> {out_channels} channels with stride {stride}"
            )
        if use_1x1conv:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    @property
    def residual(self) -> bool:
        return self.shortcut is not None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.shortcut is not None:
            Y = Y + self.shortcut(X)
        return F.relu(Y)


class Residual(BasicBlock):
    """d2l's residual block: :class:`BasicBlock` with the shortcut always present."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, use_1x1conv: bool | None = None) -> None:
        super().__init__(in_channels, out_channels, stride, residual=True, use_1x1conv=use_1x1conv)


def _resnet_stem(in_channels: int, out_channels: int) -> nn.Sequential:
    """7x7 conv (stride 2), BN, ReLU, 3x3 max pool (stride 2): a 4x smaller resolution."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )


def resnet18(width: float = 1.0, *, in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """ResNet-18 (d2l) for 96x96 inputs; ``width`` scales every channel count.

    18 = stem conv + 4 stages x 2 residual blocks x 2 convs + the final linear layer (the 1x1
    shortcut convs are not counted, see :func:`count_layers`). For ``X: (batch, 1, 96, 96)``::

        stem   -> (batch, 64, 24, 24)
        stage1 -> (batch, 64, 24, 24)   (no downsampling: the stem already pooled)
        stage2 -> (batch, 128, 12, 12)
        stage3 -> (batch, 256, 6, 6)
        stage4 -> (batch, 512, 3, 3)
        head (global avg pool, flatten, linear) -> (batch, num_classes)
    """
    _check_width(width)
    channels = [_scale(c, width) for c in (64, 128, 256, 512)]
    stages: OrderedDict[str, nn.Module] = OrderedDict(stem=_resnet_stem(in_channels, channels[0]))
    previous = channels[0]
    for i, c in enumerate(channels, start=1):
        stride = 1 if i == 1 else 2
        stages[f"stage{i}"] = nn.Sequential(Residual(previous, c, stride), Residual(c, c))
        previous = c
    stages["head"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(previous, num_classes))
    return nn.Sequential(stages)


def cifar_net(
    depth: int,
    residual: bool,
    widths: Sequence[int] = (16, 32, 64),
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """The ResNet paper's CIFAR networks (depth 6n+2), plain or residual, for small inputs.

    Used for the degradation experiment: the plain network gets worse with depth, the
    residual one does not. ``depth = 6n + 2``: a 3x3 conv stem, three stages of ``n``
    :class:`BasicBlock` (two convs each) and the final linear layer. Stages 2 and 3 start
    with stride 2. For ``X: (batch, 1, 28, 28)`` and the default widths::

        stem   -> (batch, 16, 28, 28)
        stage1 -> (batch, 16, 28, 28)
        stage2 -> (batch, 32, 14, 14)
        stage3 -> (batch, 64, 7, 7)
        head (global avg pool, flatten, linear) -> (batch, num_classes)
    """
    if depth < 8 or (depth - 2) % 6 != 0:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got {depth}")
    if len(widths) != 3:
        raise ValueError(f"widths must give the channels of the 3 stages, got {tuple(widths)}")
    n = (depth - 2) // 6
    stages: OrderedDict[str, nn.Module] = OrderedDict(
        stem=nn.Sequential(
            nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        )
    )
    previous = widths[0]
    for i, c in enumerate(widths, start=1):
        stride = 1 if i == 1 else 2
        blocks = [BasicBlock(previous, c, stride, residual=residual)]
        blocks += [BasicBlock(c, c, residual=residual) for _ in range(n - 1)]
        stages[f"stage{i}"] = nn.Sequential(*blocks)
        previous = c
    stages["head"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(previous, num_classes))
    return nn.Sequential(stages)
