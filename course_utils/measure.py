"""Measuring a network while it trains: its speed, and the statistics of its activations.

``training_throughput`` times whole training steps exactly as ``fit`` takes them (same precision,
same memory layout); ``ActivationStats`` records the mean and spread of chosen layers' outputs.
"""
from __future__ import annotations

import contextlib
import time
from typing import Iterable

import torch
from torch import nn

from .precision import choose_precision
from .profile import rehearsal
from .runtime import default_device
from .train import training_step


def training_throughput(net: nn.Module, input_shape: tuple[int, ...], *, warmup: int = 3, steps: int = 10,
                        num_classes: int = 10, device: str | torch.device | None = None,
                        amp: bool | None = None, channels_last: bool | None = None,
                        precision: str | None = None) -> float:
    """Training examples per second of whole steps (forward, backward, SGD update), set up as fit trains.

    input_shape: (batch, channels, height, width) of the random batch every step trains on.
    warmup:      untimed steps first: the first steps pay for memory allocation and kernel choice.
    steps:       timed steps. GPU work runs asynchronously, so the clock is read only after
                 synchronizing the GPU, before the first timed step and after the last.
    device, precision, amp, channels_last: as in fit (the device's policy by default, precision.py).
    In a rehearsal (COURSE_REHEARSAL) the batch and the step counts are cut to its limits.
    """
    if steps < 1 or warmup < 0:
        raise ValueError(f"need steps >= 1 and warmup >= 0, got steps={steps}, warmup={warmup}")
    device = default_device(device)
    prec = choose_precision(device, precision, amp, channels_last)
    limits = rehearsal()
    if limits is not None:
        input_shape = (min(input_shape[0], limits.batch_size or input_shape[0]), *input_shape[1:])
        warmup, steps = min(warmup, 1), min(steps, limits.batches)
    net = net.to(device).train()
    X = torch.randn(input_shape, device=device)
    y = torch.randint(0, num_classes, (input_shape[0],), device=device)
    if prec.channels_last and X.dim() == 4:  # converted once: training_step then has nothing to convert
        net, X = net.to(memory_format=torch.channels_last), X.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    scaler = prec.grad_scaler()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for i in range(warmup + steps):
        if i == warmup:
            sync()
            start = time.perf_counter()
        training_step(net, opt, X, y, prec, scaler)
    sync()
    return steps * input_shape[0] / (time.perf_counter() - start)


class ActivationStats(contextlib.AbstractContextManager):
    """Record the mean and standard deviation of chosen layers' outputs during training.

    with ActivationStats(layers, every=10) as stats:
        fit(...)
    stats.means, stats.stds: (recorded steps, layers), read from the device only at the end.
    Only forward passes in training mode are recorded, so evaluation does not show up.
    """

    def __init__(self, layers: Iterable[nn.Module], every: int = 1, names: list[str] | None = None):
        self.layers = list(layers)
        self.names = names or [f"{i}: {type(m).__name__}" for i, m in enumerate(self.layers)]
        self.every = every
        self._calls = [0] * len(self.layers)
        self._stats: list[list[torch.Tensor]] = [[] for _ in self.layers]
        self._handles = []

    def _hook(self, i: int):
        def hook(module, inputs, output):
            if not module.training:
                return
            if self._calls[i] % self.every == 0:
                out = output.detach().float()
                self._stats[i].append(torch.stack([out.mean(), out.std()]))
            self._calls[i] += 1
        return hook

    def __enter__(self) -> "ActivationStats":
        self._handles = [m.register_forward_hook(self._hook(i)) for i, m in enumerate(self.layers)]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()

    def _stacked(self) -> torch.Tensor:
        steps = min(len(s) for s in self._stats)
        if steps == 0:
            return torch.empty(0, len(self.layers), 2)
        return torch.stack([torch.stack(s[:steps]) for s in self._stats], dim=1).cpu()

    @property
    def means(self) -> torch.Tensor:
        return self._stacked()[..., 0]

    @property
    def stds(self) -> torch.Tensor:
        return self._stacked()[..., 1]
