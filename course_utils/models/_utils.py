"""Small helpers shared by the model builders: output sizes and channel scaling."""

from __future__ import annotations


def _conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Spatial size after a conv or pooling layer (floor mode, dilation 1)."""
    return (size + 2 * padding - kernel) // stride + 1


def _check_width(width: float) -> None:
    if not width > 0:
        raise ValueError(f"width must be positive, got {width}")


def _scale(channels: int, width: float) -> int:
    # Never round down to zero channels: a very narrow model should still build.
    return max(1, round(channels * width))
