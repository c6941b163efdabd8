"""AlexNet (04_alexnet), as in d2l: one input channel, Fashion-MNIST resized to 224x224."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from ._utils import _check_width, _conv_out, _scale

__all__ = ["ALEXNET_MIN_INPUT", "alexnet"]


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
