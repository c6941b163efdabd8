"""Shape mistakes that name the layer.

A student who drops ``padding=2`` from LeNet's first conv gets, from PyTorch, a long traceback
through its internals that ends in ``mat1 and mat2 shapes cannot be multiplied (1x256 and
400x120)``: it does not say which layer failed nor what the layers before it produced. This module
turns such an error into one short :class:`ShapeError` that names the layer (``fc1``), its type
and what it expects (``Linear, expects 400 input features``), the shape it got, and the shapes of
the layers that ran before it. PyTorch's error is kept as the cause (``raise ... from error``).

Use :class:`explain_shape_errors` around a forward pass::

    with explain_shape_errors(net, X):   # X: (batch, channels, height, width)
        y_hat = net(X)

On the normal path this costs one ``with`` block (no hooks, no copies). Only when the forward
raises a shape or size mismatch does it run the model once more, on the first example of ``X``
alone, with hooks that record which layer failed; any other error goes on unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import torch
from torch import nn

from .forward_pass import dummy_input, run_in_eval_mode

__all__ = ["ShapeError", "explain_shape_errors", "find_shape_error", "is_shape_error"]


# PyTorch's messages for a tensor of the wrong size or number of dimensions, and the course's own
# (course_utils.layers). Anything else (a wrong dtype, a device mismatch, a bug raising
# ValueError) is not a shape mistake and must reach the student as PyTorch raised it.
_TOO_SMALL = (
    r"Kernel size can't be greater than actual input size",
    r"Output size is too small",
    r"Padding size should be less than the corresponding input dimension",
    r"sizes should be greater than 0",
)
_WRONG_DIMS = (
    r"Expected \d+D \(unbatched\) or \d+D \(batched\) input",
    r"expected \d+-?D input",
)
_MISMATCH = (
    r"shapes cannot be multiplied",
    r"expected input\[.*\] to have \d+ channels",
    r"Expected .*input.* size",
    r"size mismatch",
    r"running_mean should contain",
    r"must match the size of tensor",
    r"is invalid for input of size",
    r"don't multiply up to the size",
    r"has \d+ channels but",
)
_TOO_SMALL_RE = re.compile("|".join(_TOO_SMALL), re.IGNORECASE)
_WRONG_DIMS_RE = re.compile("|".join(_WRONG_DIMS), re.IGNORECASE)
_SHAPE_RE = re.compile("|".join(_TOO_SMALL + _WRONG_DIMS + _MISMATCH), re.IGNORECASE)

# Rows of the shape table at most (header not counted), so that a deep network's message stays short.
_MAX_ROWS = 16


class ShapeError(RuntimeError):
    """A layer got an input of the wrong shape; the message names it and shows the shapes before it.

    Attributes: ``layer`` (its name in the model, e.g. ``"fc1"`` or ``"features.3"``; ``""`` for
    the model's own forward code), ``layer_type`` (``"Linear"``), ``input_shape`` (the shape it
    got, for a batch of 1) and ``rows`` (``(name, type, output shape)`` of the layers that ran
    before it, the model's input first). ``__cause__`` is PyTorch's original error.
    """

    def __init__(
        self,
        message: str,
        layer: str = "",
        layer_type: str = "",
        input_shape: Any = None,
        rows: list[tuple[str, str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.layer = layer
        self.layer_type = layer_type
        self.input_shape = input_shape
        self.rows = rows if rows is not None else []

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows: this message and PyTorch's, without the frames inside course_utils
        that a traceback would add before them (the mistake is in the model, which the message
        names; IPython asks an exception for this method, plain Python prints the usual traceback)."""
        lines = [f"ShapeError: {self}"]
        if self.__cause__ is not None:
            lines.append(f"(PyTorch's own message: {type(self.__cause__).__name__}: {self.__cause__})")
        return lines


# Printed as course_utils.ShapeError, the name students import it by (cu.ShapeError).
ShapeError.__module__ = "course_utils"


def is_shape_error(error: BaseException) -> bool:
    """Whether ``error`` is PyTorch's (or the course's) complaint about a tensor's size or dims."""
    # An already explained error is not explained twice (nested wrappers).
    if isinstance(error, ShapeError) or not isinstance(error, (RuntimeError, ValueError)):
        return False
    return _SHAPE_RE.search(str(error)) is not None


@dataclass(eq=False)
class _Call:
    """One module's forward call during the re-run: what it got and, if it finished, what it gave.

    A module called twice (a shared ReLU) gives two calls; ``eq=False`` keeps them apart.
    """

    name: str
    module: nn.Module
    parent: _Call | None  # the call that was running when this one started; None for the model
    input_shape: Any
    output_shape: Any = None
    finished: bool = False
    children: list[_Call] = field(default_factory=list)  # calls started directly inside this one


def _shape_of(value: Any) -> Any:
    """A tensor's shape as a tuple; tuples and lists of tensors give tuples of shapes."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)):
        return tuple(_shape_of(v) for v in value)
    return None


def _first_example(net: nn.Module, X: torch.Tensor | tuple[int, ...]) -> torch.Tensor:
    """A batch of 1 like ``X``: its first example, or zeros if ``X`` is a shape.

    X: (batch, channels, height, width) -> (1, channels, height, width). A shape gives zeros on
    the model's device in its floating dtype, as ``summary`` and ``flops`` use.
    """
    if isinstance(X, torch.Tensor):
        return X[:1].detach()
    return dummy_input(net, (1, *tuple(X)[1:]))


def _rerun_with_hooks(net: nn.Module, X: torch.Tensor) -> tuple[list[_Call], BaseException | None]:
    """Run ``net`` on ``X`` recording every module's call; return the open calls and the error.

    The open calls are those that started and did not finish, outermost first: after an error
    the last one is the module whose forward raised. Runs in eval mode (batch norm leaves its
    running statistics alone and accepts a batch of 1) without gradients; every module's mode
    is restored and every hook removed afterwards.
    """
    stack: list[_Call] = []
    handles = []

    def make_pre_hook(name: str) -> Any:
        def before(module: nn.Module, args: tuple[Any, ...]) -> None:
            parent = stack[-1] if stack else None
            call = _Call(name, module, parent, _shape_of(args[0]) if args else None)
            if parent is not None:
                parent.children.append(call)
            stack.append(call)

        return before

    def after(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        # Pop down to this module's call: a submodule whose error the model caught itself
        # never finished, and must not be taken for the one that fails later.
        while stack:
            call = stack.pop()
            if call.module is module:
                call.output_shape = _shape_of(output)
                call.finished = True
                break

    for name, module in net.named_modules():
        # prepend: record the call before any other pre-hook (one of them may raise).
        handles.append(module.register_forward_pre_hook(make_pre_hook(name), prepend=True))
        handles.append(module.register_forward_hook(after))

    error = None
    try:
        run_in_eval_mode(net, X)
    except Exception as caught:  # whatever it is: the caller decides what to do with it
        error = caught
    finally:
        for handle in handles:
            handle.remove()
    return stack, error


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _kernel_text(module: nn.Module) -> str:
    """A kernel size as the lecture writes it: (5, 5) -> '5x5'; 3 in a MaxPool2d -> '3x3'."""
    size = module.kernel_size
    if isinstance(size, (tuple, list)):
        return "x".join(str(s) for s in size)
    # Pooling layers keep an int for a square window: repeat it once per spatial dimension.
    kind = type(module).__name__
    dims = 3 if kind.endswith("3d") else 2 if kind.endswith("2d") else 1
    return "x".join([str(size)] * dims)


def _expectation(module: nn.Module) -> str:
    """What a layer expects of its input, from its attributes, e.g. 'expects 400 input features'.

    Read from attributes rather than types so that the course's own layers (and a student's)
    that follow PyTorch's names are described too.
    """
    if hasattr(module, "in_features"):  # Linear
        return f"expects {_plural(module.in_features, 'input feature')}"
    if hasattr(module, "in_channels") and hasattr(module, "kernel_size"):  # Conv1d/2d/3d
        return (f"expects {_plural(module.in_channels, 'input channel')}, "
                f"kernel {_kernel_text(module)}")
    if hasattr(module, "num_features"):  # BatchNorm1d/2d, course_utils.layers.BatchNorm
        # BatchNorm1d (and the course's num_dims=2) normalizes features, the others channels.
        if isinstance(module, nn.BatchNorm1d) or getattr(module, "num_dims", None) == 2:
            return f"expects {_plural(module.num_features, 'feature')}"
        return f"expects {_plural(module.num_features, 'channel')}"
    if hasattr(module, "num_channels"):  # GroupNorm
        return f"expects {_plural(module.num_channels, 'channel')}"
    if hasattr(module, "normalized_shape"):  # LayerNorm
        return f"expects an input ending in {tuple(module.normalized_shape)}"
    if hasattr(module, "kernel_size"):  # MaxPool2d, AvgPool2d
        return f"kernel {_kernel_text(module)}"
    return ""


def _describe(net: nn.Module, failing: _Call) -> str:
    """The first line of the message: which layer, what it expects, what it got."""
    model = type(net).__name__
    kind = type(failing.module).__name__
    if failing.parent is None:
        return (f"{model}: the model's own forward code (not one of its layers) failed "
                "after the layers below ran.")
    if failing.children:
        # The error came from the module's own code (e.g. adding a shortcut of another size),
        # after its sublayers ran: there is no single expected size to quote.
        return (f"{model}: layer '{failing.name}' ({kind}) failed in its own forward code, "
                f"after its sublayers, on an input of shape {failing.input_shape}.")
    expectation = _expectation(failing.module)
    what = f"{kind}, {expectation}" if expectation else kind
    return f"{model}: layer '{failing.name}' ({what}) got an input of shape {failing.input_shape}."


def _rows(open_calls: list[_Call], X: torch.Tensor) -> list[tuple[str, str, Any]]:
    """(name, type, output shape) of the layers that ran before the failing one, in order.

    The model's input comes first. Then, for each open call (the model, then the block that
    contains the failing layer, ...), its sublayers that finished before the failure. A layer
    deeper inside a finished block is left out: the block's output shape stands for it.
    """
    rows: list[tuple[str, str, Any]] = [("input", "", tuple(X.shape))]
    for call in open_calls:
        for child in call.children:
            if child.finished:
                rows.append((child.name, type(child.module).__name__, child.output_shape))
    return rows


def _table(open_calls: list[_Call], X: torch.Tensor) -> str:
    """The shapes up to the failing layer as aligned text, with the blocks that contain it.

    Same order as the forward pass: a block that contains the failing layer is listed where it
    started, as running; the failing layer, last, with the input it got.
    """
    failing = open_calls[-1]
    cells = [("layer", "type", "output shape"), ("input", "", str(tuple(X.shape)))]
    for call in open_calls:
        if call is failing and call.parent is not None:
            cells.append((call.name, type(call.module).__name__, f"fails on input {call.input_shape}"))
        elif call.parent is not None:
            cells.append((call.name, type(call.module).__name__, "(running, contains it)"))
        for child in call.children:
            if child.finished:
                shape = "-" if child.output_shape is None else str(child.output_shape)
                cells.append((child.name, type(child.module).__name__, shape))
    if len(cells) > _MAX_ROWS + 1:
        # Keep the header and the last rows: the layers just before the failure matter most.
        left_out = len(cells) - _MAX_ROWS
        cells = [cells[0], (f"... {left_out} earlier rows", "", ""), *cells[-(_MAX_ROWS - 1):]]
    widths = [max(len(cell[i]) for cell in cells) for i in range(2)]
    lines = [f"  {name.ljust(widths[0])}  {kind.ljust(widths[1])}  {text}" for name, kind, text in cells]
    return "\n".join(line.rstrip() for line in lines)


def _advice(error: BaseException, open_calls: list[_Call]) -> str:
    """One sentence on where to look, from the kind of mismatch and where it happened."""
    message = str(error)
    if _TOO_SMALL_RE.search(message):
        return ("The input is too small by the time it reaches this layer: use larger images, or "
                "check the layers before it (a missing padding or an extra pooling shrinks every "
                "later size).")
    if _WRONG_DIMS_RE.search(message):
        return ("It got a different number of dimensions than it works on: conv layers take "
                "X: (batch, channels, height, width), linear layers (batch, features); check for "
                "a missing batch dimension or a Flatten in the wrong place.")
    # The first layer to run failed: nothing before it changed the input's shape.
    nothing_ran = not any(child.finished for call in open_calls for child in call.children)
    if len(open_calls) > 1 and nothing_ran:
        return ("It is the model's first layer, so the input itself does not fit the model: "
                "check the input's shape, X: (batch, channels, height, width), or build the model "
                "for it (the course's builders take in_channels=...).")
    return ("Check the layers before it and the input size (a missing padding or a different "
            "image size changes every later size).")


def find_shape_error(
    net: nn.Module, X: torch.Tensor | tuple[int, ...], error: BaseException
) -> ShapeError | None:
    """The :class:`ShapeError` explaining ``error``, or None if it cannot be explained.

    ``X`` is the input the forward pass failed on, X: (batch, channels, height, width), or its
    shape. Re-runs ``net`` on a batch of 1 like it (the same dtype and device, no gradients, eval
    mode) with hooks on every module, and names the module whose forward raised. None when
    ``error`` is not a shape mistake, or the re-run does not fail with one (a mistake that only
    shows with the full batch): the caller then raises ``error`` itself. The returned error's
    ``__cause__`` is not set; raise it ``from error``.
    """
    if not is_shape_error(error):
        return None
    # A torch.compile'd model keeps the original one, whose modules take hooks, in _orig_mod.
    model = getattr(net, "_orig_mod", net)
    X1 = _first_example(model, X)
    open_calls, rerun_error = _rerun_with_hooks(model, X1)
    if rerun_error is None or not is_shape_error(rerun_error) or not open_calls:
        return None
    failing = open_calls[-1]
    message = "\n".join([
        _describe(model, failing),
        "Shapes up to it, for a batch of 1:",
        _table(open_calls, X1),
        _advice(rerun_error, open_calls),
    ])
    return ShapeError(message, layer=failing.name, layer_type=type(failing.module).__name__,
                      input_shape=failing.input_shape, rows=_rows(open_calls, X1))


class explain_shape_errors:  # lower case, like contextlib.suppress: it reads as a phrase
    """Context manager: a shape mistake in the forward pass inside it becomes a :class:`ShapeError`.

    ::

        with explain_shape_errors(net, X):  # X: (batch, channels, height, width)
            y_hat = net(X)

    Errors that are not shape or size mismatches (and those it cannot locate) go on unchanged.
    The :class:`ShapeError` has PyTorch's error as its ``__cause__``, stripped of its traceback:
    those frames are PyTorch's internals (and, under ``torch.utils.flop_counter``, torch._dynamo's),
    which say nothing about the student's model, and the printed chain stays a few lines long.

    It costs nothing when the forward succeeds: no hooks are registered and ``X`` is not copied.
    After a failure it runs the model once more on ``X[:1]`` (see :func:`find_shape_error`);
    forward hooks already on the model (e.g. activation statistics) see that extra pass.
    """

    __slots__ = ("net", "X")

    def __init__(self, net: nn.Module, X: torch.Tensor | tuple[int, ...]) -> None:
        self.net = net
        self.X = X

    def __enter__(self) -> explain_shape_errors:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        shape_error = None if error is None else find_shape_error(self.net, self.X, error)
        if shape_error is None:
            return False  # no error, or not a shape mistake it can locate: it propagates unchanged
        raise shape_error from error.with_traceback(None)
