"""Check the from-scratch layers in course_utils.layers against PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.layers import (
    BatchNorm,
    batch_norm,
    corr2d,
    corr2d_multi_in,
    corr2d_multi_in_out,
    corr2d_multi_in_out_1x1,
    pool2d,
)

ATOL = 1e-5
RTOL = 1e-5


def randn(*shape: int, seed: int = 0, requires_grad: bool = False) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).requires_grad_(requires_grad)


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL, rtol: float = RTOL):
    torch.testing.assert_close(actual, expected, atol=atol, rtol=rtol)


# -----------------------------------------------------------------------------
# cross-correlation


def test_corr2d_lecture_example():
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.arange(4.0).reshape(2, 2)
    assert torch.equal(corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


@pytest.mark.parametrize(
    "hw, khw",
    [
        ((3, 3), (2, 2)),
        ((6, 8), (1, 2)),
        ((7, 5), (3, 3)),
        ((5, 9), (5, 4)),
        ((4, 4), (4, 4)),
        ((10, 11), (2, 7)),
    ],
)
def test_corr2d_matches_conv2d(hw, khw):
    X, K = randn(*hw, seed=1), randn(*khw, seed=2)
    Y = corr2d(X, K)
    assert Y.shape == (hw[0] - khw[0] + 1, hw[1] - khw[1] + 1)
    close(Y, F.conv2d(X[None, None], K[None, None])[0, 0])


def test_corr2d_gradients_match_conv2d():
    X, K = randn(6, 7, seed=3, requires_grad=True), randn(3, 2, seed=4, requires_grad=True)
    X2, K2 = X.detach().clone().requires_grad_(), K.detach().clone().requires_grad_()
    weights = randn(4, 6, seed=5)
    (corr2d(X, K) * weights).sum().backward()
    (F.conv2d(X2[None, None], K2[None, None])[0, 0] * weights).sum().backward()
    close(X.grad, X2.grad)
    close(K.grad, K2.grad)


@pytest.mark.parametrize(
    "c_i, hw, khw",
    [
        (1, (5, 5), (2, 2)),
        (2, (3, 3), (2, 2)),
        (3, (6, 7), (3, 2)),
        (5, (8, 4), (1, 3)),
        (4, (4, 4), (4, 4)),
    ],
)
def test_corr2d_multi_in_matches_conv2d(c_i, hw, khw):
    X, K = randn(c_i, *hw, seed=6), randn(c_i, *khw, seed=7)
    close(corr2d_multi_in(X, K), F.conv2d(X[None], K[None])[0, 0])


@pytest.mark.parametrize(
    "c_o, c_i, hw, khw",
    [
        (1, 1, (4, 4), (2, 2)),
        (3, 2, (3, 3), (2, 2)),
        (2, 3, (7, 6), (3, 3)),
        (4, 5, (5, 9), (2, 4)),
        (6, 1, (8, 8), (1, 1)),
    ],
)
def test_corr2d_multi_in_out_matches_conv2d(c_o, c_i, hw, khw):
    X, K = randn(c_i, *hw, seed=8), randn(c_o, c_i, *khw, seed=9)
    Y = corr2d_multi_in_out(X, K)
    assert Y.shape == (c_o, hw[0] - khw[0] + 1, hw[1] - khw[1] + 1)
    close(Y, F.conv2d(X[None], K)[0])


@pytest.mark.parametrize(
    "c_o, c_i, hw", [(1, 1, (3, 3)), (2, 3, (3, 3)), (5, 4, (6, 7)), (3, 8, (1, 9)), (7, 2, (10, 4))]
)
def test_corr2d_1x1_matches_conv2d_and_general_version(c_o, c_i, hw):
    X, K = randn(c_i, *hw, seed=10), randn(c_o, c_i, 1, 1, seed=11)
    Y = corr2d_multi_in_out_1x1(X, K)
    assert Y.shape == (c_o, *hw)
    close(Y, F.conv2d(X[None], K)[0])
    close(Y, corr2d_multi_in_out(X, K))


def test_corr2d_1x1_accepts_non_contiguous_input():
    X = randn(3, 5, 4, seed=12).transpose(1, 2)  # (3, 4, 5), not contiguous
    K = randn(2, 3, 1, 1, seed=13)
    close(corr2d_multi_in_out_1x1(X, K), F.conv2d(X[None], K)[0])


@pytest.mark.parametrize(
    "fn, X, K, match",
    [
        (
            corr2d, randn(3, 3), randn(5, 5),
            r"corr2d: kernel \(5, 5\) is larger than input \(3, 3\)",
        ),
        (
            corr2d, randn(4, 4), randn(2, 5),
            r"corr2d: kernel \(2, 5\) is larger than input \(4, 4\)",
        ),
        (corr2d, randn(1, 3, 3), randn(2, 2), r"corr2d: X must be 2-D \(height, width\), got 3-D"),
        (corr2d, randn(3, 3), randn(2), r"corr2d: K must be 2-D \(k_h, k_w\), got 1-D"),
        (
            corr2d_multi_in,
            randn(3, 5, 5),
            randn(2, 2, 2),
            r"corr2d_multi_in: X has 3 input channels but K has 2; they must match",
        ),
        (
            corr2d_multi_in, randn(5, 5), randn(2, 2),
            r"corr2d_multi_in: X must be 3-D \(channels, height, width\), got 2-D",
        ),
        (
            corr2d_multi_in, randn(2, 5, 5), randn(2, 2),
            r"corr2d_multi_in: K must be 3-D \(channels, k_h, k_w\), got 2-D",
        ),
        (
            corr2d_multi_in, randn(2, 3, 3), randn(2, 4, 1),
            r"corr2d_multi_in: kernel \(4, 1\) is larger than input \(3, 3\)",
        ),
        (
            corr2d_multi_in_out,
            randn(3, 5, 5),
            randn(4, 2, 2, 2),
            r"corr2d_multi_in_out: X has 3 input channels but K has 2; they must match",
        ),
        (
            corr2d_multi_in_out, randn(3, 5, 5), randn(3, 2, 2),
            r"corr2d_multi_in_out: K must be 4-D",
        ),
        (
            corr2d_multi_in_out, randn(1, 3, 5, 5), randn(1, 3, 2, 2),
            r"corr2d_multi_in_out: X must be 3-D",
        ),
        (
            corr2d_multi_in_out, randn(2, 3, 3), randn(1, 2, 3, 4),
            r"corr2d_multi_in_out: kernel \(3, 4\) is larger than input \(3, 3\)",
        ),
        (
            corr2d_multi_in_out_1x1,
            randn(3, 5, 5),
            randn(4, 2, 1, 1),
            r"corr2d_multi_in_out_1x1: X has 3 input channels but K has 2; they must match",
        ),
        (
            corr2d_multi_in_out_1x1,
            randn(3, 5, 5),
            randn(4, 3, 2, 2),
            r"corr2d_multi_in_out_1x1: K must have shape \(c_o, c_i, 1, 1\), got \(4, 3, 2, 2\)",
        ),
        (
            corr2d_multi_in_out_1x1, randn(3, 5, 5), randn(4, 3),
            r"corr2d_multi_in_out_1x1: K must have shape \(c_o, c_i, 1, 1\)",
        ),
        (
            corr2d_multi_in_out_1x1, randn(5, 5), randn(4, 3, 1, 1),
            r"corr2d_multi_in_out_1x1: X must be 3-D",
        ),
    ],
)
def test_corr2d_errors(fn, X, K, match):
    with pytest.raises(ValueError, match=match):
        fn(X, K)


# -----------------------------------------------------------------------------
# pooling

# (input shape, pool_size, stride, padding); stride None means "= pool_size"
POOL_CASES = [
    ((4, 4), 2, None, 0),
    ((5, 7), 3, 1, 1),
    ((6, 6), (2, 3), (1, 2), 0),
    ((8, 9), 3, 2, 1),
    ((7, 5), (4, 2), 2, (2, 1)),
    ((3, 3), 3, None, 0),
    ((9, 10), (3, 5), (3, 1), (1, 2)),
]
LEADING = [(), (3,), (2, 3)]  # 2-D, 3-D and 4-D inputs


def _torch_pool(X, mode, pool_size, stride, padding):
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    if X.dim() == 2:  # PyTorch wants at least (channels, h, w)
        return fn(X[None], pool_size, stride, padding)[0]
    return fn(X, pool_size, stride, padding)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("leading", LEADING, ids=["2d", "3d", "4d"])
@pytest.mark.parametrize("hw, pool_size, stride, padding", POOL_CASES)
def test_pool2d_matches_torch(mode, leading, hw, pool_size, stride, padding):
    X = randn(*leading, *hw, seed=14)
    expected = _torch_pool(X, mode, pool_size, stride, padding)
    close(pool2d(X, pool_size, mode, stride, padding), expected)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("hw, pool_size, stride, padding", POOL_CASES)
def test_pool2d_output_shape_formula(mode, hw, pool_size, stride, padding):
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = pair(stride) if stride is not None else (k_h, k_w)
    expected = ((hw[0] + 2 * p_h - k_h) // s_h + 1, (hw[1] + 2 * p_w - k_w) // s_w + 1)
    Y = pool2d(randn(2, 3, *hw, seed=15), pool_size, mode, stride, padding)
    assert Y.shape == (2, 3, *expected)


def test_pool2d_lecture_example():
    X = torch.arange(9.0).reshape(3, 3)
    assert torch.equal(pool2d(X, 2, stride=1), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert torch.equal(pool2d(X, 2, "avg", stride=1), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))


def test_pool2d_padding_is_minus_inf_for_max_and_zero_for_avg():
    X = -torch.ones(1, 2, 2)  # all negative, so a zero pad would win a max
    assert torch.equal(pool2d(X, 2, "max", stride=1, padding=1), -torch.ones(1, 3, 3))
    # corners see one real value out of four
    assert pool2d(X, 2, "avg", stride=1, padding=1)[0, 0, 0].item() == pytest.approx(-0.25)


def test_pool2d_pools_channels_separately():
    X = torch.stack([torch.zeros(4, 4), torch.ones(4, 4)])  # (2, 4, 4)
    Y = pool2d(X, 2)
    assert torch.equal(Y, torch.stack([torch.zeros(2, 2), torch.ones(2, 2)]))


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_gradients_match_torch(mode):
    X = randn(2, 3, 6, 7, seed=16, requires_grad=True)
    X2 = X.detach().clone().requires_grad_()
    Y = pool2d(X, 3, mode, 2, 1)
    weights = randn(*Y.shape, seed=17)
    (Y * weights).sum().backward()
    (_torch_pool(X2, mode, 3, 2, 1) * weights).sum().backward()
    close(X.grad, X2.grad)


@pytest.mark.parametrize(
    "X, kwargs, match",
    [
        (
            randn(4, 4), dict(pool_size=2, mode="min"),
            r"pool2d: mode must be 'max' or 'avg', got 'min'",
        ),
        (
            randn(4), dict(pool_size=2),
            r"pool2d: X must be 2-D \(h, w\), 3-D \(channels, h, w\) or 4-D \(batch, channels, h, w\), got 1-D",
        ),
        (randn(1, 1, 1, 4, 4), dict(pool_size=2), r"pool2d: X must be .*got 5-D"),
        (
            randn(3, 3), dict(pool_size=5),
            r"pool2d: pool window \(5, 5\) is larger than padded input \(3, 3\)",
        ),
        (
            randn(3, 3), dict(pool_size=(2, 4)),
            r"pool2d: pool window \(2, 4\) is larger than padded input \(3, 3\)",
        ),
        (
            randn(4, 4), dict(pool_size=3, padding=2),
            r"pool2d: padding \(2, 2\) must be at most half of pool_size \(3, 3\)",
        ),
        (randn(4, 4), dict(pool_size=0), r"pool2d: pool_size must be positive"),
        (randn(4, 4), dict(pool_size=2, stride=0), r"pool2d: stride must be positive"),
        (randn(4, 4), dict(pool_size=2, padding=-1), r"pool2d: padding must be non-negative"),
        (
            randn(4, 4), dict(pool_size=(2, 2, 2)),
            r"pool2d: pool_size must be an int or a pair of ints",
        ),
        (
            randn(4, 4), dict(pool_size=2, stride=1.5),
            r"pool2d: stride must be an int or a pair of ints",
        ),
    ],
)
def test_pool2d_errors(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pool2d(X, **kwargs)


def test_pool2d_padded_input_may_fit_window():
    # 3x3 input, window 4, padding 1: the padded 5x5 input fits, so no error
    X = randn(1, 3, 3, seed=18)
    close(pool2d(X, 4, padding=1), F.max_pool2d(X, 4, 4, 1))


# -----------------------------------------------------------------------------
# batch normalisation

BN_SHAPES = [(8, 5), (3, 1), (16, 7), (4, 3, 5, 6), (2, 1, 3, 3), (5, 4, 1, 7)]
BN_STEPS = 3


def _torch_bn(shape, eps, momentum):
    cls = nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d
    return cls(shape[1], eps=eps, momentum=momentum)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("eps, momentum", [(1e-5, 0.1), (1e-3, 0.5)])
def test_batch_norm_function_matches_torch(shape, eps, momentum):
    c = shape[1]
    ref = _torch_bn(shape, eps, momentum)
    gamma = randn(c, seed=20, requires_grad=True)
    beta = randn(c, seed=21, requires_grad=True)
    with torch.no_grad():
        ref.weight.copy_(gamma)
        ref.bias.copy_(beta)
    moving_mean, moving_var = torch.zeros(c), torch.ones(c)

    for step in range(BN_STEPS):
        # shifted and scaled, so the running statistics have something to track
        X = (3 * randn(*shape, seed=30 + step) + 2).requires_grad_()
        X_ref = X.detach().clone().requires_grad_()
        Y, moving_mean, moving_var = batch_norm(
            X, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum, training=True
        )
        Y_ref = ref(X_ref)
        close(Y, Y_ref)
        close(moving_mean, ref.running_mean)
        close(moving_var, ref.running_var)
        assert not moving_mean.requires_grad and not moving_var.requires_grad

        gamma.grad = beta.grad = None
        ref.zero_grad()
        weights = randn(*shape, seed=40 + step)
        (Y * weights).sum().backward()
        (Y_ref * weights).sum().backward()
        close(X.grad, X_ref.grad, atol=1e-4, rtol=1e-4)
        close(gamma.grad, ref.weight.grad, atol=1e-4, rtol=1e-4)
        close(beta.grad, ref.bias.grad, atol=1e-4, rtol=1e-4)

    ref.eval()
    X = randn(*shape, seed=50)
    Y, mm, mv = batch_norm(
        X, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum, training=False
    )
    close(Y, ref(X))
    # prediction mode leaves the running statistics alone
    assert torch.equal(mm, moving_mean) and torch.equal(mv, moving_var)


def test_batch_norm_does_not_modify_inputs():
    X = randn(6, 3, seed=51)
    gamma, beta = torch.ones(3), torch.zeros(3)
    moving_mean, moving_var = torch.zeros(3), torch.ones(3)
    _, new_mean, new_var = batch_norm(X, gamma, beta, moving_mean, moving_var)
    assert torch.equal(moving_mean, torch.zeros(3)) and torch.equal(moving_var, torch.ones(3))
    assert not torch.equal(new_mean, moving_mean)


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_module_matches_torch(shape):
    c = shape[1]
    ours = BatchNorm(c, num_dims=len(shape))
    ref = _torch_bn(shape, eps=1e-5, momentum=0.1)
    with torch.no_grad():  # non-trivial scale and shift, identical in both
        for p in (ours.gamma, ref.weight):
            p.copy_(randn(c, seed=60))
        for p in (ours.beta, ref.bias):
            p.copy_(randn(c, seed=61))

    for step in range(BN_STEPS):
        X = (0.5 * randn(*shape, seed=70 + step) - 1).requires_grad_()
        X_ref = X.detach().clone().requires_grad_()
        Y, Y_ref = ours(X), ref(X_ref)
        close(Y, Y_ref)
        close(ours.moving_mean, ref.running_mean)
        close(ours.moving_var, ref.running_var)

        ours.zero_grad()
        ref.zero_grad()
        weights = randn(*shape, seed=80 + step)
        (Y * weights).sum().backward()
        (Y_ref * weights).sum().backward()
        close(X.grad, X_ref.grad, atol=1e-4, rtol=1e-4)
        close(ours.gamma.grad, ref.weight.grad, atol=1e-4, rtol=1e-4)
        close(ours.beta.grad, ref.bias.grad, atol=1e-4, rtol=1e-4)

    ours.eval()
    ref.eval()
    mean_before = ours.moving_mean.clone()
    X = randn(*shape, seed=90)
    close(ours(X), ref(X))
    assert torch.equal(ours.moving_mean, mean_before)  # eval mode does not update


def test_batch_norm_module_eval_works_with_batch_of_one():
    ours, ref = BatchNorm(4, 2), nn.BatchNorm1d(4)
    ours.eval()
    ref.eval()
    X = randn(1, 4, seed=91)
    close(ours(X), ref(X))


def test_batch_norm_module_parameters_and_buffers():
    bn = BatchNorm(3, 4)
    assert dict(bn.named_parameters()).keys() == {"gamma", "beta"}
    assert dict(bn.named_buffers()).keys() == {"moving_mean", "moving_var"}
    assert torch.equal(bn.gamma, torch.ones(3)) and torch.equal(bn.beta, torch.zeros(3))
    assert torch.equal(bn.moving_mean, torch.zeros(3)) and torch.equal(bn.moving_var, torch.ones(3))
    buffer = bn.moving_mean
    bn(randn(2, 3, 4, 4, seed=92))
    assert bn.moving_mean is buffer  # updated in place
    assert not bn.moving_mean.requires_grad and not bn.moving_var.requires_grad
    assert set(bn.state_dict()) == {"gamma", "beta", "moving_mean", "moving_var"}


def test_batch_norm_module_in_a_network_trains():
    # one optimiser step through a small CNN: gradients reach the layer before BN
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3), BatchNorm(2, 4), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)
    )
    X = randn(4, 1, 6, 6, seed=93)
    loss = net(X).pow(2).mean()
    loss.backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
    assert net[1].gamma.grad is not None


@pytest.mark.parametrize(
    "X, c, match",
    [
        (randn(2, 4, 3, 3), 3, r"batch_norm: X has 4 channels but gamma has 3"),
        (randn(5, 4), 3, r"batch_norm: X has 4 features but gamma has 3"),
        (
            randn(2, 4, 3), 4,
            r"batch_norm: X must be 2-D \(batch, features\) or 4-D \(batch, channels, h, w\), got 3-D",
        ),
        (randn(4), 4, r"batch_norm: X must be 2-D .*got 1-D"),
        (randn(1, 4), 4, r"batch_norm: need more than 1 value per channel in training mode"),
        (randn(1, 2, 1, 1), 2, r"batch_norm: need more than 1 value per channel in training mode"),
    ],
)
def test_batch_norm_errors(X, c, match):
    with pytest.raises(ValueError, match=match):
        batch_norm(X, torch.ones(c), torch.zeros(c), torch.zeros(c), torch.ones(c))


@pytest.mark.parametrize(
    "arg, match",
    [
        ("beta", r"batch_norm: X has 4 channels but beta has 3"),
        ("moving_mean", r"batch_norm: X has 4 channels but moving_mean has 3"),
        ("moving_var", r"batch_norm: X has 4 channels but moving_var has 3"),
    ],
)
def test_batch_norm_errors_for_each_statistic(arg, match):
    kwargs = dict(
        gamma=torch.ones(4), beta=torch.zeros(4), moving_mean=torch.zeros(4), moving_var=torch.ones(4)
    )
    kwargs[arg] = torch.ones(3)
    with pytest.raises(ValueError, match=match):
        batch_norm(randn(2, 4, 3, 3), **kwargs)


def test_batch_norm_error_for_non_vector_gamma():
    gamma, beta, mean, var = torch.ones(1, 4, 1, 1), torch.zeros(4), torch.zeros(4), torch.ones(4)
    match = r"batch_norm: X has 4 channels but gamma has shape \(1, 4, 1, 1\)"
    with pytest.raises(ValueError, match=match):
        batch_norm(randn(2, 4, 3, 3), gamma, beta, mean, var)


@pytest.mark.parametrize("num_dims", [1, 3, 5])
def test_batch_norm_module_rejects_bad_num_dims(num_dims):
    with pytest.raises(ValueError, match=r"BatchNorm: num_dims must be 2 or 4"):
        BatchNorm(3, num_dims)


@pytest.mark.parametrize(
    "num_dims, X, match",
    [
        (2, randn(2, 3, 4, 4), r"BatchNorm: expected 2-D input \(batch, features\), got 4-D"),
        (4, randn(5, 3), r"BatchNorm: expected 4-D input \(batch, channels, h, w\), got 2-D"),
    ],
)
def test_batch_norm_module_rejects_wrong_input_dims(num_dims, X, match):
    with pytest.raises(ValueError, match=match):
        BatchNorm(3, num_dims)(X)


def test_batch_norm_module_channel_mismatch():
    with pytest.raises(ValueError, match=r"batch_norm: X has 4 channels but gamma has 3"):
        BatchNorm(3, 4)(randn(2, 4, 3, 3))


# -----------------------------------------------------------------------------
# batch norm under mixed precision (what fit does on a GPU: bf16 autocast)


def _paired_bn(c: int, num_dims: int) -> tuple[BatchNorm, nn.Module]:
    """Our layer and PyTorch's, with the same non-trivial scale and shift."""
    ours, ref = BatchNorm(c, num_dims), _torch_bn((1, c) + (1,) * (num_dims - 2), 1e-5, 0.1)
    with torch.no_grad():
        for p in (ours.gamma, ref.weight):
            p.copy_(randn(c, seed=100))
        for p in (ours.beta, ref.bias):
            p.copy_(randn(c, seed=101))
    return ours, ref


@pytest.mark.parametrize("shape", [(64, 6), (8, 4, 12, 12)])
def test_batch_norm_under_autocast_matches_torch(shape):
    """bf16 in, bf16 out like nn.BatchNorm1d/2d; the statistics are taken in fp32.

    The input sits far from zero with a small spread (100 + 0.1 noise): bf16 has 8 bits of
    mantissa, so a mean rounded to bf16 (steps of 0.5 near 100) would be off by several
    standard deviations, and the output would show it.
    """
    c = shape[1]
    ours, ref = _paired_bn(c, len(shape))
    for step in range(BN_STEPS):
        X = (100 + 0.1 * randn(*shape, seed=110 + step)).to(torch.bfloat16).requires_grad_()
        X_ref = X.detach().clone().requires_grad_()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            Y, Y_ref = ours(X), ref(X_ref)
        assert Y.dtype == Y_ref.dtype == torch.bfloat16
        # One bf16 rounding of values of size ~1: a relative error of 2**-8.
        close(Y.float(), Y_ref.float(), atol=2e-2, rtol=1e-2)
        assert ours.moving_mean.dtype == ours.moving_var.dtype == torch.float32
        close(ours.moving_mean, ref.running_mean)
        close(ours.moving_var, ref.running_var, atol=1e-5, rtol=1e-4)

        weights = randn(*shape, seed=120 + step)
        (Y.float() * weights).sum().backward()
        (Y_ref.float() * weights).sum().backward()
        assert X.grad.dtype == torch.bfloat16 and ours.gamma.grad.dtype == torch.float32
        close(ours.gamma.grad, ref.weight.grad, atol=5e-2, rtol=2e-2)
        close(ours.beta.grad, ref.bias.grad, atol=5e-2, rtol=2e-2)
        ours.zero_grad()
        ref.zero_grad()

    ours.eval()
    ref.eval()
    X = (100 + 0.1 * randn(*shape, seed=130)).to(torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        Y, Y_ref = ours(X), ref(X)
    assert Y.dtype == Y_ref.dtype == torch.bfloat16
    close(Y.float(), Y_ref.float(), atol=2e-2, rtol=1e-2)


def test_batch_norm_after_a_conv_under_autocast_has_torchs_dtype():
    """fp32 images -> conv (bf16 under autocast) -> batch norm: the same dtype and values as torch's."""
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3)
    ours, ref = _paired_bn(4, 4)
    X = randn(8, 1, 10, 10, seed=140)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        Y, Y_ref = ours(conv(X)), ref(conv(X))
    assert Y.dtype == Y_ref.dtype == torch.bfloat16
    close(Y.float(), Y_ref.float(), atol=2e-2, rtol=1e-2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batch_norm_keeps_full_precision_inputs(dtype):
    """Without autocast nothing changes: fp32 stays fp32 and fp64 is not rounded to fp32."""
    X = randn(6, 3, seed=150).to(dtype)
    Y, mean, var = batch_norm(X, torch.ones(3, dtype=dtype), torch.zeros(3, dtype=dtype),
                              torch.zeros(3, dtype=dtype), torch.ones(3, dtype=dtype))
    assert Y.dtype == mean.dtype == var.dtype == dtype
    expected = (X - X.mean(0)) / torch.sqrt(X.var(0, correction=0) + 1e-5)
    torch.testing.assert_close(Y, expected, atol=1e-12 if dtype == torch.float64 else 1e-6, rtol=0)
