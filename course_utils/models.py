"""Model builders for the CNN lectures (Fashion-MNIST variants of the d2l book's networks).

Every builder takes ``in_channels`` (1 for Fashion-MNIST) and ``num_classes`` (10) as keyword
arguments and returns an ``nn.Module``, usually an ``nn.Sequential`` of named stages so that
:func:`summary` over the top-level children reads like the tables in the lecture.

All layers are created with explicit input sizes (no ``Lazy*`` modules), so parameter counts
are known right after construction, without a forward pass.

Shapes in docstrings use ``X: (batch, channels, height, width)``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = [
    "lenet",
    "lenet_bn",
    "alexnet",
    "ALEXNET_MIN_INPUT",
    "vgg_block",
    "vgg",
    "VGG11_ARCH",
    "vgg11",
    "nin_block",
    "nin",
    "Inception",
    "googlenet",
    "BasicBlock",
    "Residual",
    "resnet18",
    "cifar_net",
    "count_layers",
    "DenseBlock",
    "conv_block",
    "transition_block",
    "densenet",
    "count_params",
    "flops",
    "summary",
]


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Spatial size after a conv or pooling layer (floor mode, dilation 1)."""
    return (size + 2 * padding - kernel) // stride + 1


def _check_width(width: float) -> None:
    if not width > 0:
        raise ValueError(f"width must be positive, got {width}")


def _scale(channels: int, width: float) -> int:
    # Never round down to zero channels: a very narrow model should still build.
    return max(1, round(channels * width))


# --------------------------------------------------------------------------------------
# LeNet
# --------------------------------------------------------------------------------------

_ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
_POOLS: dict[str, type[nn.Module]] = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


def _choose(kind: str, value: str, options: dict[str, type[nn.Module]]) -> type[nn.Module]:
    if value not in options:
        allowed = ", ".join(repr(k) for k in options)
        raise ValueError(f"{kind} must be one of {allowed}, got {value!r}")
    return options[value]


def lenet(
    activation: str = "sigmoid",
    pool: str = "avg",
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """LeNet-5 for 28x28 inputs.

    ``activation`` is ``"sigmoid"`` (original) or ``"relu"``; ``pool`` is ``"avg"`` (original)
    or ``"max"``. Shape flow for ``X: (batch, 1, 28, 28)``::

        conv1 (padding 2) -> (batch, 6, 28, 28) -> pool1 -> (batch, 6, 14, 14)
        conv2             -> (batch, 16, 10, 10) -> pool2 -> (batch, 16, 5, 5)
        flatten -> (batch, 400) -> fc1 (120) -> fc2 (84) -> fc3 -> (batch, num_classes)
    """
    act = _choose("activation", activation, _ACTIVATIONS)
    pool_cls = _choose("pool", pool, _POOLS)
    return nn.Sequential(
        OrderedDict(
            [
                # padding=2 keeps 28x28, standing in for the 32x32 inputs of the original paper.
                ("conv1", nn.Conv2d(in_channels, 6, kernel_size=5, padding=2)),
                ("act1", act()),
                ("pool1", pool_cls(kernel_size=2, stride=2)),
                ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
                ("act2", act()),
                ("pool2", pool_cls(kernel_size=2, stride=2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(16 * 5 * 5, 120)),
                ("act3", act()),
                ("fc2", nn.Linear(120, 84)),
                ("act4", act()),
                ("fc3", nn.Linear(84, num_classes)),
            ]
        )
    )


BatchNormFactory = Callable[[int, int], nn.Module]


def _torch_batch_norm(num_features: int, num_dims: int) -> nn.Module:
    """PyTorch's batch norm for (batch, features) or (batch, channels, height, width) inputs."""
    if num_dims == 2:
        return nn.BatchNorm1d(num_features)
    if num_dims == 4:
        return nn.BatchNorm2d(num_features)
    raise ValueError(f"num_dims must be 2 or 4, got {num_dims}")


def lenet_bn(
    batch_norm: BatchNormFactory | None = None,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """LeNet with batch normalization (d2l's BNLeNet) for 28x28 inputs.

    Batch norm sits between each affine map (conv/linear) and its sigmoid.
    ``batch_norm(num_features, num_dims)`` builds the normalization layer, ``num_dims`` being
    4 after a conv and 2 after a linear layer; ``None`` uses ``nn.BatchNorm2d``/``nn.BatchNorm1d``.
    Pass the from-scratch ``BatchNorm`` class to compare it with PyTorch's.

    Unlike :func:`lenet` the first conv has no padding::

        X: (batch, 1, 28, 28) -> conv1 -> (batch, 6, 24, 24) -> pool1 -> (batch, 6, 12, 12)
        conv2 -> (batch, 16, 8, 8) -> pool2 -> (batch, 16, 4, 4) -> flatten -> (batch, 256)
        fc1 (120) -> fc2 (84) -> fc3 -> (batch, num_classes)
    """
    bn = _torch_batch_norm if batch_norm is None else batch_norm
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(in_channels, 6, kernel_size=5)),
                ("bn1", bn(6, 4)),
                ("act1", nn.Sigmoid()),
                ("pool1", nn.AvgPool2d(kernel_size=2, stride=2)),
                ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
                ("bn2", bn(16, 4)),
                ("act2", nn.Sigmoid()),
                ("pool2", nn.AvgPool2d(kernel_size=2, stride=2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(16 * 4 * 4, 120)),
                ("bn3", bn(120, 2)),
                ("act3", nn.Sigmoid()),
                ("fc2", nn.Linear(120, 84)),
                ("bn4", bn(84, 2)),
                ("act4", nn.Sigmoid()),
                ("fc3", nn.Linear(84, num_classes)),
            ]
        )
    )


# --------------------------------------------------------------------------------------
# AlexNet
# --------------------------------------------------------------------------------------


def _alexnet_feature_size(input_size: int) -> int:
    """Height (= width) of AlexNet's last feature map for a square input."""
    size = _conv_out(input_size, 11, stride=4, padding=1)
    size = _conv_out(size, 3, stride=2)  # pool1
    size = _conv_out(size, 3, stride=2)  # pool2 (conv2..conv5 keep the size)
    return _conv_out(size, 3, stride=2)  # pool3


#: Smallest square input for which AlexNet's last feature map is not empty (65).
ALEXNET_MIN_INPUT: int = next(s for s in range(1, 1024) if _alexnet_feature_size(s) >= 1)


def alexnet(
    input_size: int = 224,
    width: float = 1.0,
    dropout: float = 0.5,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """AlexNet as in d2l (one input channel, Fashion-MNIST resized to ``input_size``).

    ``width`` scales every channel count and the hidden fully connected width (4096), so a
    narrower model can be trained on a laptop. For ``X: (batch, 1, 224, 224)``::

        conv1 (11x11, stride 4) -> (batch, 96, 54, 54) -> pool1 -> (batch, 96, 26, 26)
        conv2 (5x5)             -> (batch, 256, 26, 26) -> pool2 -> (batch, 256, 12, 12)
        conv3, conv4, conv5     -> (batch, 256, 12, 12) -> pool3 -> (batch, 256, 5, 5)
        flatten -> (batch, 6400) -> fc1 (4096) -> fc2 (4096) -> fc3 -> (batch, num_classes)
    """
    _check_width(width)
    feature_size = _alexnet_feature_size(input_size)
    if feature_size < 1:
        raise ValueError(f"input_size must be at least {ALEXNET_MIN_INPUT} for AlexNet, got {input_size}")
    c1, c2, c3, c4, c5 = (_scale(c, width) for c in (96, 256, 384, 384, 256))
    hidden = _scale(4096, width)
    return nn.Sequential(
        OrderedDict(
            [
                # A large stride-4 window to shrink the 224x224 image early, as in the original.
                ("conv1", nn.Conv2d(in_channels, c1, kernel_size=11, stride=4, padding=1)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(kernel_size=3, stride=2)),
                ("conv2", nn.Conv2d(c1, c2, kernel_size=5, padding=2)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(kernel_size=3, stride=2)),
                ("conv3", nn.Conv2d(c2, c3, kernel_size=3, padding=1)),
                ("relu3", nn.ReLU()),
                ("conv4", nn.Conv2d(c3, c4, kernel_size=3, padding=1)),
                ("relu4", nn.ReLU()),
                ("conv5", nn.Conv2d(c4, c5, kernel_size=3, padding=1)),
                ("relu5", nn.ReLU()),
                ("pool3", nn.MaxPool2d(kernel_size=3, stride=2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(c5 * feature_size * feature_size, hidden)),
                ("relu6", nn.ReLU()),
                # Dropout is what keeps the huge fully connected layers from overfitting.
                ("dropout1", nn.Dropout(dropout)),
                ("fc2", nn.Linear(hidden, hidden)),
                ("relu7", nn.ReLU()),
                ("dropout2", nn.Dropout(dropout)),
                ("fc3", nn.Linear(hidden, num_classes)),
            ]
        )
    )


# --------------------------------------------------------------------------------------
# VGG
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Network in Network
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# GoogLeNet
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# ResNet
# --------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    """Two 3x3 convs with batch norm, with (``residual=True``) or without a shortcut.

    Main path: conv3x3 (stride) -> BN -> ReLU -> conv3x3 -> BN. The residual version outputs
    ``ReLU(main(X) + shortcut(X))``; the plain version ``ReLU(main(X))``, which is what the
    degradation experiment compares. ``X: (batch, in_channels, h, w) ->
    (batch, out_channels, h', w')`` with ``h' = ceil(h / stride)``.

    The shortcut is the identity, or a strided 1x1 conv (without batch norm, as in d2l) when
    the output shape differs from the input's. ``use_1x1conv=None`` decides automatically;
    ``True`` forces the 1x1 conv even when the identity would fit.

    The convs keep their bias, as in d2l, so parameter counts match the lecture, although
    batch norm right after them makes the bias redundant.
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
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
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
            self.shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)
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
        nn.Conv2d(in_channels, out_channels, kernel_size=7, stride=2, padding=3),
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
            nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1),
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


def count_layers(net: nn.Module) -> int:
    """Number of conv and linear layers, not counting residual shortcuts.

    This is the "depth" in names like ResNet-18: ``count_layers(resnet18()) == 18``.
    Projection shortcuts (the 1x1 convs of :class:`BasicBlock`) are skipped because they sit
    beside the main path, not on it. Parallel paths of multi-branch blocks (Inception) are
    all counted, so the result is a depth only for chain-like networks.
    """
    if isinstance(net, (nn.Conv2d, nn.Linear)):
        return 1
    return sum(
        count_layers(child)
        for name, child in net.named_children()
        if not (isinstance(net, BasicBlock) and name == "shortcut")
    )


# --------------------------------------------------------------------------------------
# DenseNet
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Parameter and FLOP accounting
# --------------------------------------------------------------------------------------


def count_params(net: nn.Module) -> int:
    """Total number of parameters (trainable or not; buffers such as BN statistics excluded)."""
    return sum(p.numel() for p in net.parameters())


def _dummy_input(net: nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """Zeros of ``input_shape`` on the module's device, in its floating dtype."""
    for tensor in (*net.parameters(), *net.buffers()):
        if tensor.is_floating_point():
            return torch.zeros(input_shape, device=tensor.device, dtype=tensor.dtype)
    return torch.zeros(input_shape)


def _run_in_eval_mode(net: nn.Module, X: torch.Tensor, mode: FlopCounterMode) -> Any:
    """One forward pass in eval mode without gradients; every module's mode is restored."""
    # Eval mode so that batch norm uses (and does not update) its running statistics and
    # dropout is off; restore per module, since a caller may have frozen parts of the net.
    training = {module: module.training for module in net.modules()}
    net.eval()
    try:
        with torch.no_grad(), mode:
            return net(X)
    finally:
        for module, was_training in training.items():
            module.training = was_training


def flops(net: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of one forward pass on an input of ``input_shape`` (batch included).

    Counted by ``torch.utils.flop_counter``: convs, linear layers and matrix products, at
    2 FLOPs per multiply-add; elementwise ops (activations, pooling, batch norm) are free.
    """
    mode = FlopCounterMode(display=False)
    _run_in_eval_mode(net, _dummy_input(net, input_shape), mode)
    return mode.get_total_flops()


def _modules_at_depth(net: nn.Module, depth: int, prefix: str = "") -> list[tuple[str, nn.Module]]:
    """Children ``depth`` levels down; modules without children stop the descent early."""
    rows = []
    for name, child in net.named_children():
        full_name = f"{prefix}{name}"
        if depth > 1 and any(True for _ in child.children()):
            rows += _modules_at_depth(child, depth - 1, prefix=f"{full_name}.")
        else:
            rows.append((full_name, child))
    return rows


def _shape_of(output: Any) -> tuple | None:
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return tuple(_shape_of(o) for o in output)
    return None


def _human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f}"


def summary(
    net: nn.Module,
    input_shape: tuple[int, ...],
    *,
    depth: int = 1,
    print_table: bool = True,
) -> list[dict[str, Any]]:
    """Output shape, parameters and FLOPs of each child module, from one forward pass.

    Runs ``net`` once on zeros of ``input_shape`` (batch included, e.g. ``(1, 1, 28, 28)``)
    in eval mode under ``torch.no_grad``. ``depth=1`` reports the top-level children,
    ``depth=2`` goes one level further (``stage1.0``, ``stage1.1``, ...). Returns one dict per
    row with keys ``name``, ``type``, ``output_shape``, ``params`` and ``flops``, and prints
    them as a table with a total line unless ``print_table=False``.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    modules = _modules_at_depth(net, depth) or [(type(net).__name__, net)]
    rows: list[dict[str, Any]] = [
        {"name": name, "type": type(module).__name__, "output_shape": None, "params": count_params(module), "flops": 0}
        for name, module in modules
    ]

    # One counter for the whole pass; each row's FLOPs is the growth of the running total
    # while its module runs. Rows at one depth never nest, so nothing is counted twice.
    mode = FlopCounterMode(display=False)
    handles = []
    for row, (_, module) in zip(rows, modules):

        def before(module: nn.Module, args: Any, row: dict[str, Any] = row) -> None:
            row["_start"] = mode.get_total_flops()

        def after(module: nn.Module, args: Any, output: Any, row: dict[str, Any] = row) -> None:
            row["flops"] += mode.get_total_flops() - row.pop("_start")
            row["output_shape"] = _shape_of(output)

        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    try:
        _run_in_eval_mode(net, _dummy_input(net, input_shape), mode)
    finally:
        for handle in handles:
            handle.remove()

    if print_table:
        _print_summary(rows, count_params(net), mode.get_total_flops())
    return rows


def _print_summary(rows: list[dict[str, Any]], total_params: int, total_flops: int) -> None:
    header = ("Layer", "Type", "Output shape", "Params", "FLOPs")
    cells = [
        (r["name"], r["type"], str(r["output_shape"]), f"{r['params']:,}", _human(r["flops"]) if r["flops"] else "0")
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]

    def line(cols: Sequence[str]) -> str:
        # Names left-aligned, numbers right-aligned so that digits line up.
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))

    print(line(header))
    print("-" * len(line(header)))
    for c in cells:
        print(line(c))
    print("-" * len(line(header)))
    flops_text = f"{total_flops / 1e9:.2f} G" if total_flops >= 1e9 else f"{total_flops / 1e6:.2f} M"
    print(f"Total params: {total_params:,}    Total FLOPs: {flops_text}")
