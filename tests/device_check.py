"""Catch, on a CPU-only machine, a tensor made on the CPU that meets data on the GPU.

On a GPU, ``X + torch.rand(len(X))`` fails with "Expected all tensors to be on the same
device"; on a CPU it runs, so the bug hides until the lecture. This module simulates a second
device: ``FAKE_DEVICE`` (``cpu:1``, which PyTorch accepts and computes on the CPU) stands for
the GPU. Run code with ``COURSE_DEVICE=cpu:1`` inside ``DeviceMixCheck()`` and every tensor is
labelled as it is made:

- ``device``: moved or created there (``.to("cpu:1")``, ``device=X.device`` where X is on it,
  ``load_fashion_mnist``'s data, a model after ``net.to(device)``), and whatever is computed
  from such a tensor;
- ``host``: created without ``device=`` (``torch.rand(n)``, ``torch.arange(h)``, ``torch.tensor``,
  ``torch.from_numpy``), or brought back with ``.cpu()`` / ``.to("cpu")``.

An operation that combines a ``device`` tensor with a ``host`` tensor of one or more dimensions
raises ``DeviceMixError``, naming the operation and the line, as CUDA would. What CUDA allows
stays allowed: 0-dimensional host tensors (scalars), host index tensors in ``X[idx]``, copies
between devices. Drawing with a CPU ``torch.Generator`` directly on the device
(``torch.rand(n, generator=g, device=X.device)``) is refused too, as CUDA refuses it; a
generator made with ``torch.Generator(device=...)`` for the device may draw there.

``X.device`` of a device tensor reads ``cpu:1``, so ``device=X.device`` does what it would do
on a GPU. What this cannot see: tensors made in C++ (autograd's gradients) carry no label and
never count as host; CPU-only branches taken because the fake device's type is ``cpu``.
"""
from __future__ import annotations

import contextlib
import os
import sys
import traceback
from pathlib import Path
from typing import Iterator

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakTensorKeyDictionary

FAKE_DEVICE = torch.device("cpu", 1)
HOST, DEVICE = "host", "device"
_HERE = str(Path(__file__).resolve())
_TORCH_DIR = str(Path(torch.__file__).resolve().parent)

# torch functions that create a tensor from sizes or data; on a GPU they need device=.
FACTORIES = {
    "rand", "randn", "randint", "randperm", "zeros", "ones", "full", "arange", "tensor", "empty",
    "linspace", "logspace", "eye", "as_tensor", "from_numpy", "asarray", "normal", "range",
    "empty_strided", "tril_indices", "triu_indices", "scalar_tensor",
}
# Ops that accept tensors on different devices (cross-device copies), or whose index
# arguments may be host tensors (advanced indexing with CPU indices works on CUDA tensors).
MIXING_ALLOWED = {"copy_", "to", "cpu", "cuda", "set_", "__get__", "__set__",
                  "_has_compatible_shallow_copy_type"}  # Module.to asks it of the old and new weights
INDEXING = {"__getitem__", "__setitem__"}


class DeviceMixError(RuntimeError):
    """A host tensor met device data: on a GPU this operation raises a device mismatch."""


def is_fake_device(device) -> bool:
    if device is None or isinstance(device, torch.Tensor):
        return False
    try:
        device = torch.device(device)
    except (TypeError, RuntimeError):
        return False
    return device == FAKE_DEVICE or device.type in ("cuda", "mps")


_BaseGenerator = torch.Generator


class TrackedGenerator(_BaseGenerator):
    """torch.Generator that remembers the device it was made for (cpu:1 reads back as cpu)."""

    def __new__(cls, device="cpu"):
        generator = _BaseGenerator.__new__(cls, device=device)
        generator.made_for = torch.device(device)
        return generator


def _user_frame() -> str:
    """file:line and source of the innermost frame outside torch and this module."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if frame.filename != _HERE and not frame.filename.startswith(_TORCH_DIR):
            return f"{frame.filename}:{frame.lineno}: {(frame.line or '').strip()}"
    return "?"


def _tensors(values):
    """The tensors among values, one level into lists, tuples and dicts (as torch functions take them)."""
    for value in values:
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, torch.Tensor))
        elif isinstance(value, dict):
            yield from (v for v in value.values() if isinstance(v, torch.Tensor))


class DeviceMixCheck(TorchFunctionMode):
    """Label every tensor host or device and raise DeviceMixError where the two meet (see module)."""

    def __init__(self):
        super().__init__()
        self.labels = WeakTensorKeyDictionary()
        self.calls = 0

    def label(self, tensor: torch.Tensor) -> str | None:
        return self.labels.get(tensor)

    def _mark(self, result, label: str | None) -> None:
        if label is None:
            return
        for tensor in _tensors([result]):
            self.labels[tensor] = label

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.calls += 1
        name = getattr(func, "__name__", "")
        if name == "__get__" and args and getattr(getattr(func, "__self__", None), "__name__", "") == "device":
            # X.device of device data reads cpu:1, as it would read cuda:0; not inside torch
            # itself, where it would tag saved storages with a device that does not exist.
            if (isinstance(args[0], torch.Tensor) and self.label(args[0]) == DEVICE
                    and not sys._getframe(1).f_code.co_filename.startswith(_TORCH_DIR)):
                return FAKE_DEVICE
        if name == "__set__" and getattr(getattr(func, "__self__", None), "__name__", "") == "data":
            result = func(*args, **kwargs)  # param.data = tensor (Module.to): the parameter follows
            self._mark(args[0], self.label(args[1]) if len(args) > 1 else None)
            return result
        if name in FACTORIES and func is getattr(torch, name, None) and next(
                _tensors(list(args) + list(kwargs.values())), None) is None:
            return self._factory(func, name, args, kwargs)  # torch.normal(X, 1) etc. follow X below
        if name in ("to", "cpu", "cuda"):
            return self._move(func, name, args, kwargs)
        if name.endswith("_like") and args:
            result = func(*args, **kwargs)
            device = kwargs.get("device")
            self._mark(result, (DEVICE if is_fake_device(device) else HOST) if device is not None
                       else self.label(args[0]))
            return result

        inputs = list(_tensors(args[:1] if name in INDEXING else args)) + list(_tensors(kwargs.values()))
        labels = [self.label(t) for t in inputs]
        if DEVICE in labels and name not in MIXING_ALLOWED:
            host = [t for t, lab in zip(inputs, labels) if lab == HOST and t.dim() > 0]
            if host:
                shapes = ", ".join(str(tuple(t.shape)) for t in host)
                if any(isinstance(t, torch.nn.Parameter) for t in host):
                    what, fix = "a model's weights", "Move the model first: net.to(device)."
                else:
                    what = "a tensor made on the CPU"
                    fix = "Create it with device=X.device (or move it with .to(X.device))."
                raise DeviceMixError(
                    f"{name}: {what} (shape {shapes}; created without device=, or moved with .cpu()) "
                    f"meets data on the training device, at {_user_frame()}. "
                    f"On a GPU this raises 'Expected all tensors to be on the same device'. {fix}")
        result = func(*args, **kwargs)
        self._mark(result, DEVICE if DEVICE in labels else HOST if HOST in labels else None)
        return result

    def _factory(self, func, name, args, kwargs):
        device = kwargs.get("device")
        generator = kwargs.get("generator")
        if is_fake_device(device) and generator is not None:
            made_for = getattr(generator, "made_for", generator.device)
            if not is_fake_device(made_for):
                raise DeviceMixError(
                    f"torch.{name}: a CPU torch.Generator cannot draw on the training device, at "
                    f"{_user_frame()}. On a GPU this raises \"Expected a 'cuda' device type for "
                    "generator\". Draw on the CPU and move the result, "
                    f"torch.{name}(..., generator=g).to(X.device), or make the generator there.")
        result = func(*args, **kwargs)
        self._mark(result, DEVICE if is_fake_device(device) else HOST)
        return result

    def _move(self, func, name, args, kwargs):
        source = args[0] if args and isinstance(args[0], torch.Tensor) else None
        result = func(*args, **kwargs)
        if name == "cpu":
            label = HOST
        elif name == "cuda":
            label = DEVICE
        else:
            target = kwargs.get("device", args[1] if len(args) > 1 else None)
            if isinstance(target, torch.Tensor):
                label = self.label(target)
            elif isinstance(target, (str, torch.device, int)) and not isinstance(target, bool):
                label = DEVICE if is_fake_device(target) else HOST
            else:  # a dtype or memory format only: stays where it was
                label = self.label(source) if source is not None else None
        if source is not None and result is source and label is not None and label != self.label(source):
            # On a GPU, .to(device) and .cpu() copy; on the CPU they return the same tensor, which
            # would then carry two labels. A copy keeps the original's label and the GPU's meaning.
            result = source.clone()
        self._mark(result, label)
        return result


_real_load = torch.load


def _load(f, map_location=None, *args, **kwargs):
    """torch.load, reading ``map_location=cpu:1`` as the CPU (PyTorch cannot restore to cpu:1)."""
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict) \
            and torch.device(map_location) == FAKE_DEVICE:
        map_location = "cpu"
    return _real_load(f, map_location, *args, **kwargs)


_real_parameter_new = torch.nn.Parameter.__new__


def _labelled_parameters(mode: DeviceMixCheck):
    """nn.Parameter.__new__ that gives a parameter its data's label.

    A parameter is a new tensor object wrapped around its data in C++, so it would carry no label,
    and a model never moved to the device (``net = LeNet()`` then ``net(X)`` on GPU data) would
    pass unseen: the commonest GPU bug. Labelled, its weights count as host until ``net.to(device)``.
    """
    def parameter_new(cls, data=None, requires_grad=True):
        param = _real_parameter_new(cls, data, requires_grad)
        if isinstance(data, torch.Tensor):
            mode._mark(param, mode.label(data))
        return param
    return parameter_new


@contextlib.contextmanager
def simulated_device() -> Iterator[DeviceMixCheck]:
    """Within: ``COURSE_DEVICE=cpu:1``, generators that remember their device, parameters that
    carry their data's label, and the check on."""
    saved = os.environ.get("COURSE_DEVICE"), torch.Generator, torch.load
    os.environ["COURSE_DEVICE"] = str(FAKE_DEVICE)
    torch.Generator, torch.load = TrackedGenerator, _load
    try:
        with DeviceMixCheck() as mode:
            torch.nn.Parameter.__new__ = _labelled_parameters(mode)
            yield mode
    finally:
        torch.nn.Parameter.__new__ = _real_parameter_new
        torch.Generator, torch.load = saved[1], saved[2]
        if saved[0] is None:
            os.environ.pop("COURSE_DEVICE", None)
        else:
            os.environ["COURSE_DEVICE"] = saved[0]


_installed: list = []  # keeps the context alive: collected, it would switch the check off


def install() -> DeviceMixCheck:
    """Switch the simulated device and the check on for the rest of this process (a notebook kernel)."""
    if not _installed:
        context = simulated_device()
        _installed.append((context, context.__enter__()))
    return _installed[0][1]
