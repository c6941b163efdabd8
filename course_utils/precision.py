"""Numeric precision: which number format training runs in, chosen from what the device can do.

A GPU multiplies matrices fastest in a 16-bit format its tensor cores support; which one depends
on the card, not on the word "CUDA". The policy, one row per class of device:

==========================  ==============================  ==============================  =============
device                      examples                        precision                       channels-last
==========================  ==============================  ==============================  =============
CUDA, capability >= 8.0     A100, H100, L4, RTX 30xx/40xx   bf16 autocast                   on
CUDA, capability 7.x        T4 (Colab), V100, RTX 20xx      fp16 autocast + loss scaling    on
CUDA, capability < 7.0      P100, GTX 10xx                  fp32                            off
Apple GPU (MPS)             MacBooks                        fp32                            off
CPU                         laptops                         fp32                            off
==========================  ==============================  ==============================  =============

Why fp16 with loss scaling on 7.x cards: their tensor cores run fp16 (a T4: about 65 TFLOP/s in
fp16 against 8 in fp32) but have no bf16 hardware. ``torch.cuda.is_bf16_supported()`` still says
True there (it only checks that a bf16 tensor can be made), and cuDNN has no bf16 convolutions
below capability 8.0, so bf16 would fail or crawl. fp16 keeps more mantissa bits than bf16 but
far fewer exponent bits: gradients below about 6e-8 become zero. Loss scaling multiplies the loss
by a large factor before ``backward`` and divides the gradients by it before the update
(``torch.amp.GradScaler``), skipping a step whose gradients overflowed and lowering the factor.
bf16 has fp32's exponent range and needs no scaling. Cards below 7.0 have no tensor cores worth
the trouble, and Apple GPUs and CPUs gain little from autocast, so they train in fp32.

Channels-last (``torch.channels_last``) stores images as (batch, height, width, channels), the
layout tensor cores' convolutions want; it pays only where autocast does.

``COURSE_PRECISION`` (bf16, fp16 or fp32) overrides the default everywhere. A rehearsal on the
CPU (``COURSE_REHEARSAL``, see profile.py) takes a GPU's code paths: ``COURSE_REHEARSAL_GPU=a100``
(the default: bf16) or ``t4`` (fp16 with loss scaling), both with channels-last.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from .profile import rehearsal

PRECISIONS = ("bf16", "fp16", "fp32")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}
_WORDS = {"bf16": "bf16 autocast", "fp16": "fp16 autocast with loss scaling", "fp32": "fp32"}
# What a rehearsal on the CPU pretends to be: the GPU classes of the table above.
REHEARSAL_GPUS = {"a100": ("bf16", (8, 0)), "t4": ("fp16", (7, 5))}


def policy(device_type: str, capability: tuple[int, int] | None = None) -> tuple[str, bool]:
    """The table above as a function: (precision, channels_last) for a device type and capability.

    device_type: "cuda", "mps" or "cpu"; capability: a CUDA card's (major, minor), e.g. (7, 5).
    """
    if device_type == "cuda":
        if capability is None:
            raise ValueError("a CUDA device needs its compute capability, e.g. (7, 5) for a T4")
        if capability >= (8, 0):
            return "bf16", True
        if capability >= (7, 0):
            return "fp16", True
    return "fp32", False


def cannot_run(precision: str, device_type: str, capability: tuple[int, int] | None = None) -> str | None:
    """Why ``device_type`` (with ``capability``) cannot train in ``precision``, or None if it can."""
    if precision not in PRECISIONS:
        return f"precision must be one of {', '.join(PRECISIONS)} (or None for the device's default), got {precision!r}"
    if precision == "fp32":
        return None
    if device_type == "mps":
        return f"course_utils trains on Apple GPUs (MPS) in fp32 only; {precision} autocast is not supported there"
    if device_type == "cuda" and precision == "bf16" and capability is not None and capability < (8, 0):
        major, minor = capability
        return (f"this GPU (compute capability {major}.{minor}) has no bf16 hardware: bf16 needs "
                "capability 8.0 (A100, L4, RTX 30xx) or newer; use precision='fp16' (or 'fp32')")
    if device_type == "cpu" and precision == "fp16" and not hasattr(torch.amp, "GradScaler"):
        return (f"torch {torch.__version__} has no fp16 autocast with loss scaling on the CPU "
                "(torch.amp.GradScaler needs torch 2.3 or newer)")
    if device_type not in ("cuda", "cpu"):
        return f"course_utils runs {precision} autocast on CUDA and the CPU only, not on {device_type}"
    return None


@dataclass(frozen=True)
class Precision:
    """The number format a training run uses on its device, and how to apply it.

    name: "bf16", "fp16" or "fp32"; channels_last: store images channels-last;
    description: the choice in plain words, e.g. "cuda: Tesla T4 (compute capability 7.5),
    fp16 autocast with loss scaling, channels-last".
    """
    name: str
    device: torch.device
    channels_last: bool
    description: str

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, None for fp32 (no autocast)."""
        return _DTYPES[self.name]

    def autocast(self) -> torch.autocast:
        """A context in which the forward pass (and the loss) runs in this precision."""
        return torch.autocast(self.device.type, dtype=self.dtype or torch.bfloat16,
                              enabled=self.dtype is not None)

    @property
    def loss_scaling(self) -> bool:
        """Whether the loss is scaled before backward (fp16 only: its exponent range is narrow)."""
        return self.name == "fp16"

    def grad_scaler(self):
        """A torch.amp.GradScaler for fp16, None otherwise (bf16 and fp32 need no loss scaling)."""
        if not self.loss_scaling:
            return None
        if hasattr(torch.amp, "GradScaler"):
            return torch.amp.GradScaler(self.device.type)
        return torch.cuda.amp.GradScaler()  # torch < 2.3: CUDA only (cannot_run refuses the CPU)


def _capability(device: torch.device) -> tuple[int, int] | None:
    return tuple(torch.cuda.get_device_capability(device)) if device.type == "cuda" else None


def _describe(device: torch.device, capability: tuple[int, int] | None, name: str, channels_last: bool,
              rehearsing: str | None) -> str:
    where = device.type
    if device.type == "cuda":
        major, minor = capability
        where = f"cuda: {torch.cuda.get_device_name(device)} (compute capability {major}.{minor})"
    elif device.type == "mps":
        where = "mps: Apple GPU"
    if rehearsing:
        where += f", rehearsing a {rehearsing.upper()}"
    return f"{where}, {_WORDS[name]}" + (", channels-last" if channels_last else "")


def choose_precision(device: torch.device, precision: str | None = None, amp: bool | None = None,
                     channels_last: bool | None = None) -> Precision:
    """The precision ``fit``, ``evaluate_accuracy`` and ``training_throughput`` use on ``device``.

    precision: "bf16", "fp16", "fp32", or None for the default: ``$COURSE_PRECISION`` if set,
               else the policy above (in a CPU rehearsal, the rehearsed GPU's).
    amp:       the older switch: False means fp32; True means the device's mixed precision
               (its default if that is 16-bit, bf16 on the CPU, fp16 on older CUDA cards).
    channels_last: None follows the policy (on wherever autocast is on by default).
    Raises ValueError for a precision the device cannot run, or amp and precision that disagree.
    """
    device = torch.device(device)
    capability = _capability(device)
    rehearsing = None
    default, layout = policy(device.type, capability)
    if device.type == "cpu" and rehearsal() is not None:
        rehearsing = os.environ.get("COURSE_REHEARSAL_GPU", "a100").strip().lower() or "a100"
        if rehearsing not in REHEARSAL_GPUS:
            raise ValueError(f"COURSE_REHEARSAL_GPU={rehearsing!r}: choose one of {', '.join(REHEARSAL_GPUS)}")
        default, layout = REHEARSAL_GPUS[rehearsing][0], True
    if precision is None and amp is None:
        precision = os.environ.get("COURSE_PRECISION", "").strip().lower() or default
    elif precision is None:
        mixed = default if default != "fp32" else ("fp16" if device.type == "cuda" else "bf16")
        precision = mixed if amp else "fp32"
    elif amp is not None and amp != (precision != "fp32"):
        raise ValueError(f"amp={amp} and precision={precision!r} disagree: give one of them")
    reason = cannot_run(precision, device.type, capability)
    if reason is not None:
        raise ValueError(f"Cannot train in {precision} on {device}: {reason}.")
    channels_last = layout if channels_last is None else channels_last
    return Precision(precision, device, channels_last, _describe(device, capability, precision, channels_last, rehearsing))
