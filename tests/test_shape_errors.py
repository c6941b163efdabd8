"""Tests for course_utils.shape_errors: a shape mistake names the layer (issue 22, item 3).

The mistakes are the ones students make in the lecture: LeNet's first conv without its padding
(fc1 then gets 256 features instead of 400), a 3-channel image given to a 1-channel model, and
images of another size. Each must give one short ShapeError through cu.summary, cu.flops and
explain_shape_errors (what fit uses), with PyTorch's error as its cause.
"""
from __future__ import annotations

import re
import traceback
from collections import OrderedDict

import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils.shape_errors import ShapeError, explain_shape_errors, find_shape_error, is_shape_error

LENET_INPUT = (1, 1, 28, 28)


def lenet_without_padding() -> nn.Sequential:
    """LeNet whose first conv forgot padding=2: 28x28 -> 24x24, so flatten gives 256, not 400."""
    net = cu.lenet()
    net.conv1 = nn.Conv2d(1, 6, kernel_size=5)  # replaces the module in place, same name and order
    return net


def printed(error: BaseException, *, chain: bool = True) -> str:
    """What Python prints for ``error`` (its cause first when ``chain``)."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__, chain=chain))


def check_missing_padding(error: ShapeError) -> None:
    """The missing-padding message: layer, type, expected size, shape got, table, cause."""
    message = str(error)
    first_line = message.splitlines()[0]
    assert "'fc1'" in first_line and "Linear" in first_line
    assert "expects 400 input features" in first_line
    assert "(1, 256)" in first_line
    # The partial table: every layer that ran, with its output shape, then the failing one.
    for row in ("conv1    Conv2d     (1, 6, 24, 24)", "pool1    AvgPool2d  (1, 6, 12, 12)",
                "conv2    Conv2d     (1, 16, 8, 8)", "pool2    AvgPool2d  (1, 16, 4, 4)",
                "flatten  Flatten    (1, 256)", "fc1      Linear     fails on input (1, 256)"):
        assert row in message, message
    assert "fc2" not in message  # nothing after the failing layer
    assert "padding" in message.splitlines()[-1]
    assert (error.layer, error.layer_type, error.input_shape) == ("fc1", "Linear", (1, 256))
    assert error.rows[0] == ("input", "", (1, 1, 28, 28))
    assert error.rows[-1] == ("flatten", "Flatten", (1, 256))
    assert [name for name, _, _ in error.rows] == [
        "input", "conv1", "act1", "pool1", "conv2", "act2", "pool2", "flatten"]
    # PyTorch's error is kept as the cause, its message untouched.
    assert type(error.__cause__) is RuntimeError
    assert re.search(r"mat1 and mat2 shapes cannot be multiplied \(\d+x256 and 400x120\)", str(error.__cause__))
    check_short_traceback(error)


def check_short_traceback(error: ShapeError) -> None:
    """No PyTorch internals in what is printed, with or without the chain; a few lines in all."""
    for chain in (False, True):
        text = printed(error, chain=chain)
        for internal in ("torch/_dynamo", "flop_counter.py", "torch/nn/modules"):
            assert internal not in text, text
    # The message itself is ~15 lines; the cause and a few frames of the student's call add the rest.
    # Frames are counted, not lines: Python 3.13 underlines each frame's code (one line more each).
    frames = [line for line in printed(error).splitlines() if line.lstrip().startswith('File "')]
    assert len(frames) <= 6, printed(error)


# ---------------------------------------------------------------------------------------------
# The missing padding, through summary, flops and the context manager


def test_summary_names_the_layer_when_padding_is_missing(capsys):
    with pytest.raises(ShapeError) as info:
        cu.summary(lenet_without_padding(), LENET_INPUT)
    check_missing_padding(info.value)
    assert capsys.readouterr().out == ""  # no half-printed summary table


def test_flops_names_the_layer_when_padding_is_missing():
    with pytest.raises(ShapeError) as info:
        cu.flops(lenet_without_padding(), LENET_INPUT)
    check_missing_padding(info.value)


def test_context_manager_names_the_layer_in_a_training_batch():
    """As in fit: a batch of 8 in training mode; the message shows the batch of 1 it re-ran."""
    net = lenet_without_padding().train()
    X = torch.randn(8, 1, 28, 28)
    with pytest.raises(ShapeError) as info:
        with explain_shape_errors(net, X):
            net(X)
    check_missing_padding(info.value)
    assert "(8x256 and 400x120)" in str(info.value.__cause__)  # the cause is the real batch's error
    assert all(module.training for module in net.modules())  # the re-run restored the modes


def test_fit_names_the_layer_when_padding_is_missing():
    net = lenet_without_padding()
    data = [(torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))) for _ in range(2)]
    with pytest.raises(ShapeError) as info:
        cu.fit(net, data, data, epochs=1, lr=0.1, device="cpu", progress=False, verbose=False)
    check_missing_padding(info.value)
    # In Jupyter: the message and PyTorch's, no frames of fit's internals in between.
    shown = "\n".join(info.value._render_traceback_())
    assert shown.startswith("ShapeError: ") and "'fc1'" in shown and "(8x256 and 400x120)" in shown
    assert "train.py" not in shown and "Traceback" not in shown


def test_shape_error_is_exported_and_is_a_runtime_error():
    assert cu.ShapeError is ShapeError
    assert issubclass(ShapeError, RuntimeError)
    assert printed(ShapeError("x")).strip() == "course_utils.ShapeError: x"


# ---------------------------------------------------------------------------------------------
# Other mistakes: channels, input size, dimensions, nested and non-leaf layers


def test_three_channel_input_names_the_first_conv():
    with pytest.raises(ShapeError) as info:
        cu.summary(cu.lenet(), (1, 3, 28, 28), print_table=False)
    error = info.value
    first_line = str(error).splitlines()[0]
    assert "'conv1' (Conv2d, expects 1 input channel, kernel 5x5)" in first_line
    assert "(1, 3, 28, 28)" in first_line
    assert "first layer" in str(error) and "in_channels" in str(error)
    assert "to have 1 channels, but got 3 channels" in str(error.__cause__)
    check_short_traceback(error)


@pytest.mark.parametrize("size, features", [(32, 576), (14, 16)])
def test_other_image_sizes_name_fc1(size, features):
    with pytest.raises(ShapeError) as info:
        cu.flops(cu.lenet(), (1, 1, size, size))
    first_line = str(info.value).splitlines()[0]
    assert f"'fc1' (Linear, expects 400 input features) got an input of shape (1, {features})" in first_line
    assert f"flatten  Flatten    (1, {features})" in str(info.value)
    check_short_traceback(info.value)


def test_too_small_input_names_the_pooling_layer():
    """AlexNet on 28x28 images: pool2's 3x3 window does not fit the 2x2 feature map."""
    with pytest.raises(ShapeError) as info:
        cu.summary(cu.alexnet(width=0.1), (1, 1, 28, 28), print_table=False)
    message = str(info.value)
    assert "'pool2' (MaxPool2d, kernel 3x3) got an input of shape (1, 26, 2, 2)" in message
    assert "conv2  Conv2d     (1, 26, 2, 2)" in message
    assert "too small" in message.splitlines()[-1]
    assert "Output size is too small" in str(info.value.__cause__)


def test_flat_input_to_a_conv_net_mentions_dimensions():
    with pytest.raises(ShapeError) as info:
        cu.summary(cu.lenet(), (1, 784), print_table=False)
    assert "'conv1' (Conv2d" in str(info.value) and "(1, 784)" in str(info.value)
    assert "(batch, channels, height, width)" in str(info.value).splitlines()[-1]


def test_batch_norm_with_the_wrong_channel_count():
    net = nn.Sequential(nn.Conv2d(1, 6, kernel_size=3), nn.BatchNorm2d(16))
    with pytest.raises(ShapeError) as info:
        cu.summary(net, (1, 1, 8, 8), print_table=False)
    assert "'1' (BatchNorm2d, expects 16 channels) got an input of shape (1, 6, 6, 6)" in str(info.value)


def test_nested_layer_is_named_by_its_path():
    """A layer inside a block is named as in named_modules ('features.3'), its block shown running."""
    net = nn.Sequential(OrderedDict([
        ("features", nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3))),
        ("classifier", nn.Sequential(nn.Flatten(), nn.Linear(8, 10))),
    ]))
    with pytest.raises(ShapeError) as info:
        cu.flops(net, (1, 1, 12, 12))
    message = str(info.value)
    assert "'features.3' (Conv2d, expects 4 input channels, kernel 3x3) got an input of shape (1, 8, 5, 5)" in message
    assert re.search(r"features\s+Sequential\s+\(running, contains it\)", message)
    assert re.search(r"features\.2\s+MaxPool2d\s+\(1, 8, 5, 5\)", message)
    assert "classifier" not in message
    assert info.value.layer == "features.3"


class AddShortcut(nn.Module):
    """A residual block whose shortcut has the wrong channel count: the error is in its own code."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Conv2d(4, 8, kernel_size=3, padding=1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.body(X) + X


def test_error_in_a_blocks_own_forward_names_the_block():
    net = nn.Sequential(OrderedDict([("stem", nn.Conv2d(1, 4, 3)), ("block", AddShortcut())]))
    X = torch.zeros(2, 1, 10, 10)
    with pytest.raises(ShapeError) as info:
        with explain_shape_errors(net, X):
            net(X)
    message = str(info.value)
    assert "layer 'block' (AddShortcut) failed in its own forward code" in message
    assert re.search(r"block\.body\s+Conv2d\s+\(1, 8, 8, 8\)", message)
    assert "must match the size of tensor" in str(info.value.__cause__)


def test_a_deep_network_keeps_the_table_short():
    net = nn.Sequential(*[nn.ReLU() for _ in range(40)], nn.Flatten(), nn.Linear(3, 2))
    with pytest.raises(ShapeError) as info:
        cu.summary(net, (1, 1, 4, 4), print_table=False)
    message = str(info.value)
    assert len(message.splitlines()) < 25
    assert "earlier rows" in message
    assert re.search(r"41\s+Linear\s+fails on input \(1, 16\)", message)


# ---------------------------------------------------------------------------------------------
# What must not change: other errors, correct models, the model's state


class Broken(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        raise ValueError("not a shape problem")


def test_other_errors_are_raised_unchanged():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), Broken())
    for run in (lambda: cu.summary(net, (1, 1, 8, 8), print_table=False),
                lambda: cu.flops(net, (1, 1, 8, 8))):
        with pytest.raises(ValueError, match="not a shape problem") as info:
            run()
        assert type(info.value) is ValueError and info.value.__cause__ is None

    error = ValueError("not a shape problem")
    with pytest.raises(ValueError) as info:
        with explain_shape_errors(net, torch.zeros(1, 1, 8, 8)):
            raise error
    assert info.value is error and info.value.__traceback__ is not None


def test_a_dtype_mismatch_is_not_a_shape_error():
    net = nn.Linear(4, 2).double()
    X = torch.zeros(3, 4)
    with pytest.raises(RuntimeError) as info:
        with explain_shape_errors(net, X):
            net(X)
    assert type(info.value) is RuntimeError
    assert not is_shape_error(info.value)


def test_an_error_the_rerun_does_not_reproduce_is_raised_unchanged():
    """A shape-like message from a model that runs fine on one example: nothing to explain."""
    net = cu.lenet()
    error = RuntimeError("size mismatch somewhere else")
    assert is_shape_error(error)
    assert find_shape_error(net, torch.zeros(2, 1, 28, 28), error) is None
    with pytest.raises(RuntimeError) as info:
        with explain_shape_errors(net, torch.zeros(2, 1, 28, 28)):
            raise error
    assert info.value is error


def test_a_correct_model_is_unaffected(capsys):
    net = cu.lenet()
    X = torch.randn(4, 1, 28, 28)
    with explain_shape_errors(net, X):
        y_hat = net(X)
    assert y_hat.shape == (4, 10)
    rows = cu.summary(net, LENET_INPUT)
    assert [r["output_shape"] for r in rows][-1] == (1, 10)
    assert "Total params" in capsys.readouterr().out
    assert cu.flops(net, LENET_INPUT) == 833_040


def test_the_rerun_leaves_the_model_as_it_was():
    """No hooks left behind, modes restored, batch norm statistics untouched by the re-run."""
    net = cu.lenet_bn().train()
    net.bn1.eval()  # a frozen part keeps its own mode
    before = {k: v.clone() for k, v in net.state_dict().items()}
    X = torch.randn(4, 1, 32, 32)  # 32x32: fc1 gets 400 features, lenet_bn's fc1 wants 256
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x400 and 256x120)")
    shape_error = find_shape_error(net, X, error)
    assert shape_error is not None and shape_error.layer == "fc1"
    assert "expects 256 input features" in str(shape_error)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert net.training and not net.bn1.training and net.bn2.training
    for module in net.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
