"""Counting what a network costs: parameters, layers, FLOPs, and the per-layer summary table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..forward_pass import dummy_input, run_in_eval_mode
from ..shape_errors import explain_shape_errors
from .resnet import BasicBlock

__all__ = ["count_params", "count_layers", "flops", "summary"]


def count_layers(net: nn.Module) -> int:
    """Number of conv and linear layers, not counting residual shortcuts.

    This is the "depth" in names like ResNet-18: ``count_layers(resnet18()) == 18``.
    Projection shortcuts (the 1x1 convs of :class:`BasicBlock`) are skipped because they sit
    beside the main path, not on it. Parallel paths of multi-branch blocks (Inception) are
    all counted, so the result is a depth only for chain-like networks.
    """
    if isinstance(net, (nn.Conv2d, nn.Linear)):
        return 1
    return sum(
        count_layers(child)
        for name, child in net.named_children()
        if not (isinstance(net, BasicBlock) and name == "shortcut")
    )


def count_params(net: nn.Module) -> int:
    """Total number of parameters (trainable or not; buffers such as BN statistics excluded)."""
    return sum(p.numel() for p in net.parameters())


def flops(net: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of one forward pass on an input of ``input_shape`` (batch included).

    Counted by ``torch.utils.flop_counter``: convs, linear layers and matrix products, at
    2 FLOPs per multiply-add; elementwise ops (activations, pooling, batch norm) are free.
    A layer that gets an input of the wrong shape raises a :class:`~course_utils.ShapeError`
    naming it, with the output shapes of the layers before it.
    """
    mode = FlopCounterMode(display=False)
    X = dummy_input(net, input_shape)
    # The flop counter runs every op through torch._dynamo, so PyTorch's own error would come
    # with a long traceback of internals: explain it from a plain forward pass instead.
    with explain_shape_errors(net, X):
        run_in_eval_mode(net, X, mode)
    return mode.get_total_flops()


def _modules_at_depth(net: nn.Module, depth: int, prefix: str = "") -> list[tuple[str, nn.Module]]:
    """Children ``depth`` levels down; modules without children stop the descent early."""
    rows = []
    for name, child in net.named_children():
        full_name = f"{prefix}{name}"
        if depth > 1 and any(True for _ in child.children()):
            rows += _modules_at_depth(child, depth - 1, prefix=f"{full_name}.")
        else:
            rows.append((full_name, child))
    return rows


def _shape_of(output: Any) -> tuple | None:
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return tuple(_shape_of(o) for o in output)
    return None


def _human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f}"


def summary(
    net: nn.Module,
    input_shape: tuple[int, ...],
    *,
    depth: int = 1,
    print_table: bool = True,
) -> list[dict[str, Any]]:
    """Output shape, parameters and FLOPs of each child module, from one forward pass.

    Runs ``net`` once on zeros of ``input_shape`` (batch included, e.g. ``(1, 1, 28, 28)``)
    in eval mode under ``torch.no_grad``. ``depth=1`` reports the top-level children,
    ``depth=2`` goes one level further (``stage1.0``, ``stage1.1``, ...). Returns one dict per
    row with keys ``name``, ``type``, ``output_shape``, ``params`` and ``flops``, and prints
    them as a table with a total line unless ``print_table=False``. A layer that gets an input
    of the wrong shape raises a :class:`~course_utils.ShapeError` naming it, with the output
    shapes of the layers before it.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    modules = _modules_at_depth(net, depth) or [(type(net).__name__, net)]
    rows: list[dict[str, Any]] = [
        {"name": name, "type": type(module).__name__, "output_shape": None, "params": count_params(module), "flops": 0}
        for name, module in modules
    ]

    # One counter for the whole pass; each row's FLOPs is the growth of the running total
    # while its module runs. Rows at one depth never nest, so nothing is counted twice.
    mode = FlopCounterMode(display=False)
    handles = []
    for row, (_, module) in zip(rows, modules):

        def before(module: nn.Module, args: Any, row: dict[str, Any] = row) -> None:
            row["_start"] = mode.get_total_flops()

        def after(module: nn.Module, args: Any, output: Any, row: dict[str, Any] = row) -> None:
            row["flops"] += mode.get_total_flops() - row.pop("_start")
            row["output_shape"] = _shape_of(output)

        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    X = dummy_input(net, input_shape)
    # Outside the try: the row hooks are gone before a shape mistake is explained by a re-run.
    with explain_shape_errors(net, X):
        try:
            run_in_eval_mode(net, X, mode)
        finally:
            for handle in handles:
                handle.remove()

    if print_table:
        _print_summary(rows, count_params(net), mode.get_total_flops())
    return rows


def _print_summary(rows: list[dict[str, Any]], total_params: int, total_flops: int) -> None:
    header = ("Layer", "Type", "Output shape", "Params", "FLOPs")
    cells = [
        (r["name"], r["type"], str(r["output_shape"]), f"{r['params']:,}", _human(r["flops"]) if r["flops"] else "0")
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]

    def line(cols: Sequence[str]) -> str:
        # Names left-aligned, numbers right-aligned so that digits line up.
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))

    print(line(header))
    print("-" * len(line(header)))
    for c in cells:
        print(line(c))
    print("-" * len(line(header)))
    flops_text = f"{total_flops / 1e9:.2f} G" if total_flops >= 1e9 else f"{total_flops / 1e6:.2f} M"
    print(f"Total params: {total_params:,}    Total FLOPs: {flops_text}")
