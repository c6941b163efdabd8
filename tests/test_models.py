"""Tests for course_utils.models: shapes, parameter counts, FLOPs and the summary table.

Full-size parameter counts are checked on the meta device (no memory, no forward pass);
forward passes of the big 224x224 models use narrow variants to keep the file fast on CPU.
"""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from course_utils.models import (
    ALEXNET_MIN_INPUT,
    VGG11_ARCH,
    BasicBlock,
    DenseBlock,
    Inception,
    Residual,
    alexnet,
    cifar_net,
    count_layers,
    count_params,
    densenet,
    flops,
    googlenet,
    lenet,
    lenet_bn,
    nin,
    nin_block,
    resnet18,
    summary,
    transition_block,
    vgg,
    vgg11,
    vgg_block,
)


def forward(net: nn.Module, *shape: int) -> torch.Tensor:
    with torch.no_grad():
        return net(torch.randn(*shape))


def on_meta(builder, *args, **kwargs) -> nn.Module:
    """Build without allocating weights: enough for parameter counts."""
    with torch.device("meta"):
        return builder(*args, **kwargs)


# ------------------------------------------------------------------------------------
# Hand-derived parameter counts (weights + biases; BN has 2 per channel, and a conv or
# linear layer directly followed by BN has no bias)
# ------------------------------------------------------------------------------------


def conv(cin: int, cout: int, k: int, bias: bool = True) -> int:
    return cin * cout * k * k + (cout if bias else 0)


def linear(fin: int, fout: int, bias: bool = True) -> int:
    return fin * fout + (fout if bias else 0)


def vgg_params(arch, input_size: int, fc_width: int, cin: int = 1, classes: int = 10) -> int:
    total = 0
    for num_convs, cout in arch:
        for _ in range(num_convs):
            total += conv(cin, cout, 3)
            cin = cout
    s = input_size // 2 ** len(arch)
    return total + linear(cin * s * s, fc_width) + linear(fc_width, fc_width) + linear(fc_width, classes)


def inception_params(cin, c1, c2, c3, c4) -> int:
    return (
        conv(cin, c1, 1)
        + conv(cin, c2[0], 1) + conv(c2[0], c2[1], 3)
        + conv(cin, c3[0], 1) + conv(c3[0], c3[1], 5)
        + conv(cin, c4, 1)
    )  # fmt: skip


def block_params(cin: int, cout: int, shortcut: bool) -> int:
    """Two 3x3 convs with BN (+ an optional 1x1 projection with BN), none with a bias."""
    projection = conv(cin, cout, 1, bias=False) + 2 * cout if shortcut else 0
    return conv(cin, cout, 3, bias=False) + conv(cout, cout, 3, bias=False) + 4 * cout + projection


def resnet18_params() -> int:
    total = conv(1, 64, 7, bias=False) + 2 * 64  # stem
    cin = 64
    for c in (64, 128, 256, 512):
        total += block_params(cin, c, shortcut=cin != c) + block_params(c, c, shortcut=False)
        cin = c
    return total + linear(512, 10)


def cifar_params(depth: int, residual: bool, widths=(16, 32, 64)) -> int:
    n = (depth - 2) // 6
    total = conv(1, widths[0], 3, bias=False) + 2 * widths[0]
    cin = widths[0]
    for c in widths:
        total += block_params(cin, c, shortcut=residual and cin != c)
        total += (n - 1) * block_params(c, c, shortcut=False)
        cin = c
    return total + linear(widths[-1], 10)


def densenet_params(growth=32, arch=(4, 4, 4, 4)) -> int:
    total = conv(1, 64, 7, bias=False) + 2 * 64  # the ResNet stem
    c = 64
    for i, num_convs in enumerate(arch):
        for _ in range(num_convs):
            total += 2 * c + conv(c, growth, 3)  # BN, ReLU, conv
            c += growth
        if i < len(arch) - 1:
            total += 2 * c + conv(c, c // 2, 1)
            c //= 2
    return total + 2 * c + linear(c, 10)


GOOGLENET_INCEPTIONS = [
    (192, 64, (96, 128), (16, 32), 32),
    (256, 128, (128, 192), (32, 96), 64),
    (480, 192, (96, 208), (16, 48), 64),
    (512, 160, (112, 224), (24, 64), 64),
    (512, 128, (128, 256), (24, 64), 64),
    (512, 112, (144, 288), (32, 64), 64),
    (528, 256, (160, 320), (32, 128), 128),
    (832, 256, (160, 320), (32, 128), 128),
    (832, 384, (192, 384), (48, 128), 128),
]


def googlenet_params() -> int:
    stem = conv(1, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)
    return stem + sum(inception_params(*cfg) for cfg in GOOGLENET_INCEPTIONS) + linear(1024, 10)


# Measured at default settings and equal to the hand derivations below.
EXPECTED_PARAMS = {
    "lenet": (lenet, 61_706),
    "lenet_bn": (lenet_bn, 44_652),
    "alexnet": (alexnet, 46_764_746),
    "vgg11": (vgg11, 128_806_154),
    "nin": (nin, 1_992_166),
    "googlenet": (googlenet, 5_977_530),
    "resnet18": (resnet18, 11_175_370),
    "densenet": (densenet, 758_162),
}


@pytest.mark.parametrize("name", EXPECTED_PARAMS)
def test_parameter_counts_at_full_size(name):
    builder, expected = EXPECTED_PARAMS[name]
    assert count_params(on_meta(builder)) == expected


def test_parameter_counts_match_hand_derivation():
    lenet5 = conv(1, 6, 5) + conv(6, 16, 5) + linear(400, 120) + linear(120, 84) + linear(84, 10)
    assert lenet5 == EXPECTED_PARAMS["lenet"][1] == 61_706
    bn = 2 * (6 + 16 + 120 + 84)
    affine = conv(1, 6, 5, False) + conv(6, 16, 5, False) + linear(256, 120, False) + linear(120, 84, False)
    assert affine + linear(84, 10) + bn == 44_652
    # Without bias=False (d2l's BNLeNet) it would be 6 + 16 + 120 + 84 = 226 parameters more.
    assert 44_652 + 226 == conv(1, 6, 5) + conv(6, 16, 5) + linear(256, 120) + linear(120, 84) + linear(84, 10) + bn
    alex = (
        conv(1, 96, 11) + conv(96, 256, 5) + conv(256, 384, 3) + conv(384, 384, 3) + conv(384, 256, 3)
        + linear(6400, 4096) + linear(4096, 4096) + linear(4096, 10)
    )  # fmt: skip
    assert alex == EXPECTED_PARAMS["alexnet"][1]
    # VGG-11 with 3 channels and 1000 classes is the well-known 132,863,336.
    assert vgg_params(VGG11_ARCH, 224, 4096, cin=3, classes=1000) == 132_863_336
    assert vgg_params(VGG11_ARCH, 224, 4096) == EXPECTED_PARAMS["vgg11"][1]
    nin_blocks = [(1, 96, 11), (96, 256, 5), (256, 384, 3), (384, 10, 3)]
    nin_total = sum(conv(cin, cout, k) + 2 * conv(cout, cout, 1) for cin, cout, k in nin_blocks)
    assert nin_total == EXPECTED_PARAMS["nin"][1]
    assert googlenet_params() == EXPECTED_PARAMS["googlenet"][1]
    assert resnet18_params() == EXPECTED_PARAMS["resnet18"][1]
    assert densenet_params() == EXPECTED_PARAMS["densenet"][1]


@pytest.mark.parametrize("depth", [20, 56])
@pytest.mark.parametrize("residual", [True, False])
def test_cifar_net_parameter_counts(depth, residual):
    assert count_params(cifar_net(depth, residual)) == cifar_params(depth, residual)


def test_vgg11_ratio_parameter_count():
    arch = [(n, c // 4) for n, c in VGG11_ARCH]
    assert count_params(on_meta(vgg11, ratio=4)) == vgg_params(arch, 224, 4096) == 43_093_322


# ------------------------------------------------------------------------------------
# Output shapes at the lecture's input sizes (batch 2)
# ------------------------------------------------------------------------------------

SHAPE_CASES = {
    "lenet": (lambda: lenet(), 28),
    "lenet_relu_max": (lambda: lenet("relu", "max"), 28),
    "lenet_bn": (lambda: lenet_bn(), 28),
    "alexnet": (lambda: alexnet(), 224),
    "vgg11_ratio4": (lambda: vgg11(ratio=4), 224),
    "nin": (lambda: nin(), 224),
    "googlenet": (lambda: googlenet(), 96),
    "resnet18": (lambda: resnet18(), 96),
    "densenet": (lambda: densenet(), 96),
}


@pytest.mark.parametrize("name", SHAPE_CASES)
def test_output_shape(name):
    builder, size = SHAPE_CASES[name]
    torch.manual_seed(0)
    assert forward(builder(), 2, 1, size, size).shape == (2, 10)


@pytest.mark.parametrize(
    "builder, size",
    [
        (lambda: alexnet(input_size=96, width=0.25), 96),
        (lambda: vgg11(ratio=8, input_size=96, fc_width=128), 96),
        (lambda: nin(width=0.25), 224),
        (lambda: googlenet(width=0.25), 96),
        (lambda: resnet18(width=0.25), 96),
        (lambda: densenet(growth_rate=8, arch=(2, 2), width=0.5), 96),
    ],
)
def test_scaled_models(builder, size):
    assert forward(builder(), 2, 1, size, size).shape == (2, 10)


def test_in_channels_and_num_classes():
    assert forward(lenet(in_channels=3, num_classes=5), 2, 3, 28, 28).shape == (2, 5)
    assert forward(resnet18(width=0.125, in_channels=3, num_classes=7), 2, 3, 96, 96).shape == (2, 7)
    assert forward(nin(width=0.125, num_classes=4), 2, 1, 224, 224).shape == (2, 4)


def test_top_level_children():
    assert [n for n, _ in resnet18().named_children()] == ["stem", "stage1", "stage2", "stage3", "stage4", "head"]
    assert [n for n, _ in googlenet(width=0.125).named_children()] == ["b1", "b2", "b3", "b4", "b5", "fc"]
    assert len(list(lenet().children())) == 12
    assert [n for n, _ in cifar_net(8, True).named_children()] == ["stem", "stage1", "stage2", "stage3", "head"]


# ------------------------------------------------------------------------------------
# LeNet variants
# ------------------------------------------------------------------------------------


def test_lenet_activation_and_pool_choices():
    types = {type(m) for m in lenet("relu", "max")}
    assert nn.ReLU in types and nn.MaxPool2d in types and nn.Sigmoid not in types
    types = {type(m) for m in lenet()}
    assert nn.Sigmoid in types and nn.AvgPool2d in types


@pytest.mark.parametrize(
    "kwargs, allowed", [({"activation": "tanh"}, "'sigmoid', 'relu'"), ({"pool": "min"}, "'avg', 'max'")]
)
def test_lenet_rejects_unknown_choices(kwargs, allowed):
    with pytest.raises(ValueError, match=allowed):
        lenet(**kwargs)


def test_lenet_bn_uses_given_batch_norm():
    calls = []

    def batch_norm(num_features: int, num_dims: int) -> nn.Module:
        calls.append((num_features, num_dims))
        return nn.BatchNorm2d(num_features) if num_dims == 4 else nn.BatchNorm1d(num_features)

    net = lenet_bn(batch_norm=batch_norm)
    assert calls == [(6, 4), (16, 4), (120, 2), (84, 2)]
    assert forward(net, 2, 1, 28, 28).shape == (2, 10)
    default = lenet_bn()
    assert isinstance(default.bn1, nn.BatchNorm2d) and isinstance(default.bn3, nn.BatchNorm1d)


# ------------------------------------------------------------------------------------
# AlexNet, VGG, NiN
# ------------------------------------------------------------------------------------


def test_alexnet_minimum_input_size():
    assert ALEXNET_MIN_INPUT == 65
    assert forward(alexnet(input_size=65, width=0.125), 2, 1, 65, 65).shape == (2, 10)
    with pytest.raises(ValueError, match="at least 65"):
        alexnet(input_size=64)


def test_alexnet_width_scales_channels_and_fc():
    net = alexnet(width=0.5)
    assert net.conv1.out_channels == 48 and net.conv5.out_channels == 128
    assert net.fc1.in_features == 128 * 5 * 5 and net.fc1.out_features == 2048
    with pytest.raises(ValueError, match="width"):
        alexnet(width=0)


def test_vgg_block():
    block = vgg_block(2, 3, 8)
    assert sum(isinstance(m, nn.Conv2d) for m in block) == 2
    assert forward(block, 2, 3, 16, 16).shape == (2, 8, 8, 8)


def test_vgg_generic_and_errors():
    net = vgg(((1, 4), (1, 8)), input_size=28, fc_width=32)
    assert net.fc1.in_features == 8 * 7 * 7
    assert forward(net, 2, 1, 28, 28).shape == (2, 10)
    with pytest.raises(ValueError):
        vgg((), input_size=28)
    with pytest.raises(ValueError, match="at least 32"):
        vgg(VGG11_ARCH, input_size=31)
    with pytest.raises(ValueError):
        vgg11(ratio=0)


def test_vgg11_ratio_divides_channels():
    net = on_meta(vgg11, ratio=4)
    convs = [m.out_channels for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert convs == [16, 32, 64, 64, 128, 128, 128, 128]
    assert net.fc1.out_features == 4096


def test_nin_block_and_width():
    block = nin_block(1, 8, kernel_size=11, stride=4, padding=0)
    assert forward(block, 2, 1, 224, 224).shape == (2, 8, 54, 54)
    net = nin(width=0.5)
    assert net.nin1[0].out_channels == 48 and net.nin4[0].out_channels == 10


# ------------------------------------------------------------------------------------
# Inception, residual and dense blocks
# ------------------------------------------------------------------------------------


def test_inception_out_channels():
    block = Inception(192, 64, (96, 128), (16, 32), 32)
    assert block.out_channels == 64 + 128 + 32 + 32 == 256
    assert forward(block, 2, 192, 12, 12).shape == (2, 256, 12, 12)
    assert count_params(block) == inception_params(192, 64, (96, 128), (16, 32), 32)


def test_residual_identity_shortcut():
    block = Residual(8, 8)
    assert isinstance(block.shortcut, nn.Identity)
    assert forward(block, 2, 8, 12, 12).shape == (2, 8, 12, 12)


def test_residual_projection_shortcut():
    block = Residual(8, 16, stride=2)
    projection, bn = block.shortcut  # a 1x1 conv and batch norm, as in torchvision and the paper
    assert isinstance(projection, nn.Conv2d) and projection.kernel_size == (1, 1) and projection.bias is None
    assert projection.stride == (2, 2) and isinstance(bn, nn.BatchNorm2d) and bn.num_features == 16
    assert forward(block, 2, 8, 12, 12).shape == (2, 16, 6, 6)
    assert isinstance(Residual(8, 8, use_1x1conv=True).shortcut[0], nn.Conv2d)
    with pytest.raises(ValueError, match="use_1x1conv"):
        Residual(8, 16, stride=2, use_1x1conv=False)


def test_plain_block_has_no_shortcut():
    block = BasicBlock(8, 16, stride=2, residual=False)
    assert block.shortcut is None and not block.residual
    assert forward(block, 2, 8, 12, 12).shape == (2, 16, 6, 6)


def test_dense_block_and_transition():
    block = DenseBlock(2, 3, 10)
    assert block.out_channels == 3 + 2 * 10
    assert forward(block, 2, 3, 8, 8).shape == (2, 23, 8, 8)
    assert forward(transition_block(23, 10), 2, 23, 8, 8).shape == (2, 10, 4, 4)


# ------------------------------------------------------------------------------------
# ResNet depth and the degradation networks
# ------------------------------------------------------------------------------------


def test_resnet18_has_18_layers():
    assert count_layers(on_meta(resnet18)) == 18
    # The three 1x1 projections exist but are not on the main path.
    assert sum(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in on_meta(resnet18).modules()) == 3


@pytest.mark.parametrize("depth", [20, 56])
@pytest.mark.parametrize("residual", [True, False])
def test_cifar_net(depth, residual):
    net = cifar_net(depth, residual)
    assert count_layers(net) == depth
    assert forward(net, 2, 1, 28, 28).shape == (2, 10)
    has_shortcut = any(isinstance(m, BasicBlock) and m.shortcut is not None for m in net.modules())
    assert has_shortcut == residual


@pytest.mark.parametrize("depth", [21, 2, 0])
def test_cifar_net_rejects_bad_depth(depth):
    with pytest.raises(ValueError, match="6n"):
        cifar_net(depth, residual=True)


# ------------------------------------------------------------------------------------
# summary, flops, count_params
# ------------------------------------------------------------------------------------

LENET_TABLE = [
    ("conv1", "Conv2d", (1, 6, 28, 28), 156, 2 * 6 * 28 * 28 * 25),
    ("act1", "Sigmoid", (1, 6, 28, 28), 0, 0),
    ("pool1", "AvgPool2d", (1, 6, 14, 14), 0, 0),
    ("conv2", "Conv2d", (1, 16, 10, 10), 2_416, 2 * 16 * 10 * 10 * 6 * 25),
    ("act2", "Sigmoid", (1, 16, 10, 10), 0, 0),
    ("pool2", "AvgPool2d", (1, 16, 5, 5), 0, 0),
    ("flatten", "Flatten", (1, 400), 0, 0),
    ("fc1", "Linear", (1, 120), 48_120, 2 * 400 * 120),
    ("act3", "Sigmoid", (1, 120), 0, 0),
    ("fc2", "Linear", (1, 84), 10_164, 2 * 120 * 84),
    ("act4", "Sigmoid", (1, 84), 0, 0),
    ("fc3", "Linear", (1, 10), 850, 2 * 84 * 10),
]


def test_summary_lenet_table(capsys):
    rows = summary(lenet(), (1, 1, 28, 28))
    assert [(r["name"], r["type"], r["output_shape"], r["params"], r["flops"]) for r in rows] == LENET_TABLE
    assert sum(r["flops"] for r in rows) == flops(lenet(), (1, 1, 28, 28)) == 833_040
    out = capsys.readouterr().out
    assert "Total params: 61,706" in out and "0.83 M" in out
    assert out.splitlines()[0].split() == ["Layer", "Type", "Output", "shape", "Params", "FLOPs"]


def test_summary_quiet_and_depth_2(capsys):
    net = resnet18(width=0.25)
    rows = summary(net, (1, 1, 96, 96), depth=2, print_table=False)
    assert capsys.readouterr().out == ""
    names = [r["name"] for r in rows]
    assert names[:4] == ["stem.0", "stem.1", "stem.2", "stem.3"] and "stage2.0" in names and names[-1] == "head.2"
    assert sum(r["params"] for r in rows) == count_params(net)
    assert sum(r["flops"] for r in rows) == flops(net, (1, 1, 96, 96))
    top = summary(net, (1, 1, 96, 96), print_table=False)
    assert [r["output_shape"] for r in top] == [
        (1, 16, 24, 24), (1, 16, 24, 24), (1, 32, 12, 12), (1, 64, 6, 6), (1, 128, 3, 3), (1, 10)
    ]  # fmt: skip
    with pytest.raises(ValueError):
        summary(net, (1, 1, 96, 96), depth=0)


def test_summary_and_flops_restore_training_mode():
    net = lenet_bn()
    net.train()
    net.bn1.eval()  # a frozen layer must stay frozen
    running_mean = net.bn3.running_mean.clone()
    summary(net, (2, 1, 28, 28), print_table=False)
    flops(net, (2, 1, 28, 28))
    assert net.training and net.conv1.training and not net.bn1.training
    assert torch.equal(net.bn3.running_mean, running_mean)  # ran in eval mode


def test_flops_scale_with_batch():
    net = lenet()
    assert flops(net, (4, 1, 28, 28)) == 4 * flops(net, (1, 1, 28, 28))


# ------------------------------------------------------------------------------------
# Parity with torchvision: the same networks where the lecture follows the paper, and a
# pinned difference where it follows d2l's variant
# ------------------------------------------------------------------------------------

ALL_BUILDERS = [lenet, lenet_bn, alexnet, vgg11, nin, googlenet, resnet18, densenet, lambda: cifar_net(8, True)]


def layers_followed_by_batch_norm(net: nn.Module):
    """(name, layer) for each conv or linear layer whose next sibling is batch norm.

    Siblings in registration order are the order of the computation in every Sequential and
    in BasicBlock (conv1, bn1, conv2, bn2), which is all this needs to see.
    """
    for parent_name, parent in net.named_modules():
        children = list(parent.named_children())
        for (name, layer), (_, after) in zip(children, children[1:]):
            if isinstance(layer, (nn.Conv2d, nn.Linear)) and isinstance(after, nn.modules.batchnorm._BatchNorm):
                yield f"{parent_name}.{name}", layer


@pytest.mark.parametrize("builder", ALL_BUILDERS)
def test_no_bias_right_before_batch_norm(builder):
    net = on_meta(builder)
    with_bias = [name for name, layer in layers_followed_by_batch_norm(net) if layer.bias is not None]
    assert with_bias == [], f"batch norm cancels these layers' bias: {with_bias}"


def parameter_shapes(net: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(p.shape) for p in net.parameters()]


def test_resnet18_matches_torchvision():
    ours = on_meta(resnet18, in_channels=3, num_classes=1000)
    theirs = on_meta(torchvision.models.resnet18)
    assert count_params(ours) == count_params(theirs) == 11_689_512
    assert parameter_shapes(ours) == parameter_shapes(theirs)  # layer by layer, in order


def test_vgg11_matches_torchvision():
    ours = on_meta(vgg11, in_channels=3, num_classes=1000)  # at the default input size, 224
    theirs = on_meta(torchvision.models.vgg11)
    assert count_params(ours) == count_params(theirs) == 132_863_336
    assert parameter_shapes(ours) == parameter_shapes(theirs)


def conv_layers(net: nn.Module) -> list[nn.Conv2d]:
    return [m for m in net.modules() if isinstance(m, nn.Conv2d)]


def batch_norms(net: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())


def test_alexnet_is_d2ls_not_torchvisions():
    """d2l's AlexNet has the paper's channels; torchvision's is the later one-GPU variant."""
    ours = on_meta(alexnet, in_channels=3, num_classes=1000)
    theirs = on_meta(torchvision.models.alexnet)
    assert [c.out_channels for c in conv_layers(ours)] == [96, 256, 384, 384, 256]
    assert [c.out_channels for c in conv_layers(theirs)] == [64, 192, 384, 256, 256]
    # Flattened features: ours 256 x 5 x 5 at 224x224, torchvision's pooled to 256 x 6 x 6.
    assert ours.fc1.in_features == 256 * 5 * 5 and theirs.classifier[1].in_features == 256 * 6 * 6
    assert (count_params(ours), count_params(theirs)) == (50_844_008, 61_100_840)


def test_googlenet_is_d2ls_not_torchvisions():
    """torchvision adds batch norm after every conv and uses 3x3 where the paper has 5x5."""
    ours = on_meta(googlenet, in_channels=3, num_classes=1000)
    theirs = on_meta(torchvision.models.googlenet, aux_logits=False, init_weights=False)
    assert (batch_norms(ours), batch_norms(theirs)) == (0, 57)
    assert ours.b3[0].branch3[2].kernel_size == (5, 5)
    assert theirs.inception3a.branch3[1].conv.kernel_size == (3, 3)
    assert (count_params(ours), count_params(theirs)) == (6_998_552, 6_624_904)


def test_densenet_is_d2ls_not_torchvisions():
    """d2l: 4 blocks of 4 BN-ReLU-3x3 convs; DenseNet-121: 6-12-24-16 bottlenecks (1x1, then 3x3)."""
    ours = on_meta(densenet, in_channels=3, num_classes=1000)
    theirs = on_meta(torchvision.models.densenet121)

    def kernel_sizes(net: nn.Module) -> dict[int, int]:
        sizes = [c.kernel_size[0] for c in conv_layers(net)]
        return {k: sizes.count(k) for k in sorted(set(sizes))}

    # Ours: 16 3x3 convs in the dense blocks, 3 transitions (1x1), the 7x7 stem.
    assert kernel_sizes(ours) == {1: 3, 3: 16, 7: 1}
    # DenseNet-121: 58 bottleneck layers (1x1 then 3x3), 3 transitions, the stem.
    assert kernel_sizes(theirs) == {1: 58 + 3, 3: 58, 7: 1}
    assert (count_params(ours), count_params(theirs)) == (1_010_944, 7_978_856)
