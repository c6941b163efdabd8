"""LeNet-5 (03_lenet) and LeNet with batch normalization (08_batch_norm), for 28x28 inputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from torch import nn

__all__ = ["lenet", "lenet_bn"]


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

    Batch norm sits between each affine map (conv/linear) and its sigmoid. Those affine maps
    have no bias: batch norm subtracts the mean right after them, which would cancel it, and
    its shift β does the bias's job (226 parameters fewer than d2l's BNLeNet).
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
                ("conv1", nn.Conv2d(in_channels, 6, kernel_size=5, bias=False)),
                ("bn1", bn(6, 4)),
                ("act1", nn.Sigmoid()),
                ("pool1", nn.AvgPool2d(kernel_size=2, stride=2)),
                ("conv2", nn.Conv2d(6, 16, kernel_size=5, bias=False)),
                ("bn2", bn(16, 4)),
                ("act2", nn.Sigmoid()),
                ("pool2", nn.AvgPool2d(kernel_size=2, stride=2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(16 * 4 * 4, 120, bias=False)),
                ("bn3", bn(120, 2)),
                ("act3", nn.Sigmoid()),
                ("fc2", nn.Linear(120, 84, bias=False)),
                ("bn4", bn(84, 2)),
                ("act4", nn.Sigmoid()),
                ("fc3", nn.Linear(84, num_classes)),
            ]
        )
    )
