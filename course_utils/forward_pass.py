"""One forward pass for looking at a network, not training it: the helpers that ``summary``,
``flops`` and the shape-error explanation share.

X: (batch, channels, height, width) throughout.
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn


def dummy_input(net: nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """Zeros of ``input_shape`` on the module's device, in its floating dtype."""
    for tensor in (*net.parameters(), *net.buffers()):
        if tensor.is_floating_point():
            return torch.zeros(input_shape, device=tensor.device, dtype=tensor.dtype)
    return torch.zeros(input_shape)


def run_in_eval_mode(net: nn.Module, X: torch.Tensor, context: Any = None) -> Any:
    """One forward pass in eval mode without gradients (inside ``context``, e.g. a flop counter);
    every module's mode is restored afterwards."""
    # Eval mode so that batch norm uses (and does not update) its running statistics and
    # dropout is off; restore per module, since a caller may have frozen parts of the net.
    training = {module: module.training for module in net.modules()}
    net.eval()
    try:
        with torch.no_grad(), context or contextlib.nullcontext():
            return net(X)
    finally:
        for module, was_training in training.items():
            module.training = was_training
