"""From-scratch reference implementations of the layers built in the lectures.

Each function here is the "finished" version of what a notebook develops step
by step: cross-correlation (single and multiple channels, and the 1x1 special
case), pooling and batch normalisation. They are written for reading, not for
speed; ``tests/test_layers.py`` checks every one of them against its PyTorch
counterpart (``F.conv2d``, ``F.max_pool2d``, ``F.avg_pool2d``,
``nn.BatchNorm1d``, ``nn.BatchNorm2d``).

Shape conventions (as in PyTorch):

* a single-channel image is ``(height, width)``;
* a multi-channel image is ``(channels, height, width)``;
* a minibatch is ``(batch, channels, height, width)``;
* a kernel for ``c_i`` input and ``c_o`` output channels is
  ``(c_o, c_i, k_h, k_w)``.

Like ``nn.Conv2d``, "convolution" here is really cross-correlation: the kernel
is not flipped.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
import torch.nn.functional as F

__all__ = [
    "corr2d",
    "corr2d_multi_in",
    "corr2d_multi_in_out",
    "corr2d_multi_in_out_1x1",
    "pool2d",
    "batch_norm",
    "BatchNorm",
]


# -----------------------------------------------------------------------------
# helpers


def _check_dim(name: str, arg: str, t: Tensor, dim: int, shape: str) -> None:
    if t.dim() != dim:
        raise ValueError(f"{name}: {arg} must be {dim}-D {shape}, got {t.dim()}-D")


def _pair(name: str, arg: str, value: int | tuple[int, int]) -> tuple[int, int]:
    """Turn ``3`` into ``(3, 3)`` and check that a pair really is a pair."""
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        if all(isinstance(v, int) for v in value):
            return (value[0], value[1])
    raise ValueError(f"{name}: {arg} must be an int or a pair of ints, got {value!r}")


def _check_channels(name: str, X: Tensor, k_channels: int) -> None:
    """X's channels (its first axis) must be the kernel's input channels."""
    if X.shape[0] != k_channels:
        raise ValueError(
            f"{name}: X has {X.shape[0]} input channels but K has {k_channels}; they must match"
        )


def _check_fits(
    name: str, window: tuple[int, int], size: tuple[int, int], what: str, input_what: str = "input"
) -> None:
    if window[0] > size[0] or window[1] > size[1]:
        raise ValueError(f"{name}: {what} {window} is larger than {input_what} {size}")


# -----------------------------------------------------------------------------
# cross-correlation


def corr2d(X: Tensor, K: Tensor) -> Tensor:
    """2-D cross-correlation of one channel with one kernel (no padding, stride 1).

    Args:
        X: (h, w) input.
        K: (k_h, k_w) kernel.

    Returns:
        (h - k_h + 1, w - k_w + 1): ``Y[i, j] = (X[i:i+k_h, j:j+k_w] * K).sum()``.

    Differentiable with respect to both ``X`` and ``K``, so it can be used to
    learn a kernel.
    """
    _check_dim("corr2d", "X", X, 2, "(height, width)")
    _check_dim("corr2d", "K", K, 2, "(k_h, k_w)")
    k_h, k_w = K.shape
    h, w = X.shape
    _check_fits("corr2d", (k_h, k_w), (h, w), "kernel")
    # The lecture version is a double loop over (i, j). unfold builds the same
    # windows without a Python loop: windows[i, j] == X[i:i+k_h, j:j+k_w].
    windows = X.unfold(0, k_h, 1).unfold(1, k_w, 1)  # (h', w', k_h, k_w)
    return (windows * K).sum(dim=(-2, -1))


def corr2d_multi_in(X: Tensor, K: Tensor) -> Tensor:
    """Cross-correlation with several input channels and one output channel.

    Args:
        X: (c_i, h, w) input.
        K: (c_i, k_h, k_w) kernel, one 2-D kernel per input channel.

    Returns:
        (h - k_h + 1, w - k_w + 1): the per-channel cross-correlations, summed
        over the input channels.
    """
    name = "corr2d_multi_in"
    _check_dim(name, "X", X, 3, "(channels, height, width)")
    _check_dim(name, "K", K, 3, "(channels, k_h, k_w)")
    _check_channels(name, X, K.shape[0])
    _check_fits(name, tuple(K.shape[1:]), tuple(X.shape[1:]), "kernel")
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X: Tensor, K: Tensor) -> Tensor:
    """Cross-correlation with several input and several output channels.

    Args:
        X: (c_i, h, w) input.
        K: (c_o, c_i, k_h, k_w) kernel, one ``(c_i, k_h, k_w)`` kernel per
            output channel.

    Returns:
        (c_o, h - k_h + 1, w - k_w + 1): output channel ``o`` is
        ``corr2d_multi_in(X, K[o])``.
    """
    name = "corr2d_multi_in_out"
    _check_dim(name, "X", X, 3, "(channels, height, width)")
    _check_dim(name, "K", K, 4, "(out_channels, in_channels, k_h, k_w)")
    _check_channels(name, X, K.shape[1])
    _check_fits(name, tuple(K.shape[2:]), tuple(X.shape[1:]), "kernel")
    return torch.stack([corr2d_multi_in(X, k) for k in K], dim=0)


def corr2d_multi_in_out_1x1(X: Tensor, K: Tensor) -> Tensor:
    """1x1 cross-correlation, computed as a single matrix multiplication.

    A 1x1 kernel never looks at neighbouring pixels: at every pixel it mixes the
    ``c_i`` input values into ``c_o`` output values with the same ``(c_o, c_i)``
    matrix. So it is a fully connected layer applied pixel by pixel.

    Args:
        X: (c_i, h, w) input.
        K: (c_o, c_i, 1, 1) kernel.

    Returns:
        (c_o, h, w), equal to ``corr2d_multi_in_out(X, K)``.
    """
    name = "corr2d_multi_in_out_1x1"
    _check_dim(name, "X", X, 3, "(channels, height, width)")
    if K.dim() != 4 or K.shape[2:] != (1, 1):
        raise ValueError(f"{name}: K must have shape (c_o, c_i, 1, 1), got {tuple(K.shape)}")
    _check_channels(name, X, K.shape[1])
    c_i, h, w = X.shape
    c_o = K.shape[0]
    # Each column of X is one pixel's channel vector.
    Y = K.reshape(c_o, c_i) @ X.reshape(c_i, h * w)  # (c_o, h*w)
    return Y.reshape(c_o, h, w)


# -----------------------------------------------------------------------------
# pooling


def pool2d(
    X: Tensor,
    pool_size: int | tuple[int, int],
    mode: str = "max",
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """2-D max or average pooling, each channel pooled separately.

    Args:
        X: (h, w), (channels, h, w) or (batch, channels, h, w) floating-point input.
        pool_size: window size, ``p`` or ``(p_h, p_w)``.
        mode: ``"max"`` or ``"avg"``.
        stride: step between windows, ``s`` or ``(s_h, s_w)``. Defaults to
            ``pool_size`` (non-overlapping windows), as in PyTorch.
        padding: rows/columns added on each side, ``p`` or ``(pad_h, pad_w)``;
            at most half the window, as in PyTorch.

    Returns:
        Same leading dimensions as ``X``; the last two are
        ``floor((h + 2*pad_h - p_h) / s_h) + 1`` and
        ``floor((w + 2*pad_w - p_w) / s_w) + 1``.

    Matches ``F.max_pool2d`` and ``F.avg_pool2d`` (with its default
    ``count_include_pad=True``: padded zeros count in the average).
    """
    name = "pool2d"
    if X.dim() not in (2, 3, 4):
        raise ValueError(
            f"{name}: X must be 2-D (h, w), 3-D (channels, h, w) or 4-D "
            f"(batch, channels, h, w), got {X.dim()}-D"
        )
    if mode not in ("max", "avg"):
        raise ValueError(f"{name}: mode must be 'max' or 'avg', got {mode!r}")
    p_h, p_w = _pair(name, "pool_size", pool_size)
    s_h, s_w = (p_h, p_w) if stride is None else _pair(name, "stride", stride)
    pad_h, pad_w = _pair(name, "padding", padding)
    if p_h < 1 or p_w < 1:
        raise ValueError(f"{name}: pool_size must be positive, got {(p_h, p_w)}")
    if s_h < 1 or s_w < 1:
        raise ValueError(f"{name}: stride must be positive, got {(s_h, s_w)}")
    if pad_h < 0 or pad_w < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {(pad_h, pad_w)}")
    # PyTorch's rule: with more padding than this, a window could hold nothing
    # but padding.
    if 2 * pad_h > p_h or 2 * pad_w > p_w:
        raise ValueError(
            f"{name}: padding {(pad_h, pad_w)} must be at most half of pool_size {(p_h, p_w)}"
        )
    padded_size = (X.shape[-2] + 2 * pad_h, X.shape[-1] + 2 * pad_w)
    _check_fits(name, (p_h, p_w), padded_size, "pool window", "padded input")

    if pad_h or pad_w:
        # Pad with -inf for max so that padding never wins; with 0 for avg so
        # that it counts in the average (count_include_pad=True).
        fill = float("-inf") if mode == "max" else 0.0
        X = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)
    # windows[..., i, j, :, :] == X[..., i*s_h : i*s_h+p_h, j*s_w : j*s_w+p_w]
    windows = X.unfold(-2, p_h, s_h).unfold(-2, p_w, s_w)  # (..., h', w', p_h, p_w)
    if mode == "max":
        return windows.amax(dim=(-2, -1))
    return windows.mean(dim=(-2, -1))


# -----------------------------------------------------------------------------
# batch normalisation


def batch_norm(
    X: Tensor,
    gamma: Tensor,
    beta: Tensor,
    moving_mean: Tensor,
    moving_var: Tensor,
    eps: float = 1e-5,
    momentum: float = 0.1,
    training: bool = True,
) -> tuple[Tensor, Tensor, Tensor]:
    """Batch normalisation, with PyTorch's conventions.

    Args:
        X: (batch, features) after a fully connected layer, or
            (batch, channels, h, w) after a convolutional layer.
        gamma: (features,) or (channels,) scale.
        beta: (features,) or (channels,) shift.
        moving_mean: (features,) or (channels,) running mean.
        moving_var: (features,) or (channels,) running variance.
        eps: added to the variance to avoid dividing by zero.
        momentum: weight of the current batch in the running statistics:
            ``moving = (1 - momentum) * moving + momentum * batch_stat``.
        training: if True, normalise with the statistics of this batch and
            update the running ones; if False, normalise with the running ones.

    Returns:
        ``(Y, new_moving_mean, new_moving_var)``: ``Y`` has the shape of ``X``;
        the new running statistics are new tensors (the inputs are not
        modified), and do not carry gradients. In prediction mode they are the
        running statistics passed in.

    Statistics are taken per feature over the batch for 2-D ``X``, and per
    channel over batch, height and width for 4-D ``X``. Like PyTorch, ``Y``
    uses the biased batch variance but the running variance is updated with
    the unbiased one.

    Precision, as in ``nn.BatchNorm2d``: a half-precision ``X`` (bf16 or fp16,
    e.g. a conv's output under ``torch.autocast``) is normalised in fp32, since
    a mean and variance summed over thousands of values lose too much in 8
    mantissa bits, and ``Y`` comes back in ``X``'s dtype. The running
    statistics keep their own dtype.
    """
    name = "batch_norm"
    if X.dim() == 2:
        dims = (0,)
        stat_shape = (1, X.shape[1])
        what = "features"
    elif X.dim() == 4:
        dims = (0, 2, 3)
        stat_shape = (1, X.shape[1], 1, 1)
        what = "channels"
    else:
        raise ValueError(
            f"{name}: X must be 2-D (batch, features) or 4-D (batch, channels, h, w), "
            f"got {X.dim()}-D"
        )
    num_channels = X.shape[1]
    per_channel = dict(gamma=gamma, beta=beta, moving_mean=moving_mean, moving_var=moving_var)
    for arg, t in per_channel.items():
        if t.shape != (num_channels,):
            got = f"{t.shape[0]}" if t.dim() == 1 else f"shape {tuple(t.shape)}"
            raise ValueError(f"{name}: X has {num_channels} {what} but {arg} has {got}")

    # At least fp32 (fp64 stays fp64): bf16 or fp16 statistics would be too coarse.
    compute_dtype = torch.promote_types(X.dtype, torch.float32)
    X_c = X.to(compute_dtype)
    if training:
        n = X.numel() // num_channels  # values per channel
        if n < 2:
            # The unbiased variance divides by n - 1 (and X - mean would be 0).
            raise ValueError(
                f"{name}: need more than 1 value per channel in training mode, "
                f"got X of shape {tuple(X.shape)}"
            )
        mean = X_c.mean(dim=dims)
        var = X_c.var(dim=dims, correction=0)  # biased: divide by n
        with torch.no_grad():
            # Running statistics are bookkeeping for prediction, not part of
            # the model we differentiate.
            new_moving_mean = (1 - momentum) * moving_mean + momentum * mean
            new_moving_var = (1 - momentum) * moving_var + momentum * var * (n / (n - 1))
            new_moving_mean = new_moving_mean.to(moving_mean.dtype)
            new_moving_var = new_moving_var.to(moving_var.dtype)
    else:
        mean, var = moving_mean.to(compute_dtype), moving_var.to(compute_dtype)
        new_moving_mean, new_moving_var = moving_mean, moving_var

    X_hat = (X_c - mean.reshape(stat_shape)) / torch.sqrt(var.reshape(stat_shape) + eps)
    Y = gamma.reshape(stat_shape) * X_hat + beta.reshape(stat_shape)
    return Y.to(X.dtype), new_moving_mean, new_moving_var


class BatchNorm(nn.Module):
    """Batch normalisation layer; a drop-in for ``nn.BatchNorm1d``/``nn.BatchNorm2d``.

    Args:
        num_features: number of features (fully connected) or channels
            (convolutional).
        num_dims: 2 for (batch, features) input, 4 for (batch, channels, h, w).
        eps, momentum: as in :func:`batch_norm` and PyTorch.

    ``gamma``/``beta`` are learned (PyTorch calls them ``weight``/``bias``);
    ``moving_mean``/``moving_var`` are buffers (``running_mean``/``running_var``),
    saved in the ``state_dict`` and moved by ``.to()`` but not trained. The
    mode follows ``self.training``: ``.train()`` normalises with batch
    statistics and updates the buffers, ``.eval()`` uses the buffers.
    """

    def __init__(
        self, num_features: int, num_dims: int, eps: float = 1e-5, momentum: float = 0.1
    ) -> None:
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"BatchNorm: num_dims must be 2 or 4, got {num_dims}")
        self.num_features = num_features
        self.num_dims = num_dims
        self.eps = eps
        self.momentum = momentum
        # Start as the identity: scale 1, shift 0.
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("moving_mean", torch.zeros(num_features))
        self.register_buffer("moving_var", torch.ones(num_features))

    def forward(self, X: Tensor) -> Tensor:
        """X: (batch, num_features) or (batch, num_features, h, w), per ``num_dims``."""
        if X.dim() != self.num_dims:
            expected = "(batch, features)" if self.num_dims == 2 else "(batch, channels, h, w)"
            raise ValueError(
                f"BatchNorm: expected {self.num_dims}-D input {expected}, got {X.dim()}-D"
            )
        Y, new_mean, new_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=self.eps, momentum=self.momentum, training=self.training,
        )
        if self.training:
            with torch.no_grad():
                # In place, so the buffers stay the same tensors (state_dict,
                # device placement and any references keep working).
                self.moving_mean.copy_(new_mean)
                self.moving_var.copy_(new_var)
        return Y

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, num_dims={self.num_dims}, "
            f"eps={self.eps}, momentum={self.momentum}"
        )
