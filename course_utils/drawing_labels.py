"""What a module is called in the architecture pictures: its kind (the colour) and its label.

layer_label names a layer without children by its kind and key hyperparameters ("conv 5×5, 6",
"max pool 2×2 /2", "dense 120"); _describe names a child made of several layers by what it is
("residual, 128", "VGG block", or its name, "stage 2") and lists what it holds in few words;
_shape_text writes an output shape as the pictures show it ("6×28×28", batch left out).
"""
from __future__ import annotations

import re

from torch import nn

from .layers import BatchNorm
from .models import BasicBlock, DenseBlock, Inception


def layer_label(module) -> tuple[str, str]:
    """(kind, label) of a layer without children, e.g. ("conv", "conv 5×5, 6") or ("pool", "max pool 2×2 /2").

    kind is one of "conv", "pool", "norm", "act", "fc", "other" (the colours of the pictures).
    """
    if isinstance(module, nn.modules.conv._ConvNd):
        return "conv", f"conv {_window(module.kernel_size)}{_stride(module.stride)}, {module.out_channels}"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        return "pool", f"{kind} pool {_window(module.kernel_size)}{_stride(module.stride)}"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        kind = "max" if isinstance(module, nn.AdaptiveMaxPool2d) else "avg"
        if _pair(module.output_size) == (1, 1):
            return "pool", f"global {kind} pool"
        return "pool", f"adaptive {kind} pool → {_window(module.output_size)}"
    if isinstance(module, (nn.modules.batchnorm._BatchNorm, BatchNorm)):
        return "norm", "BN"
    if isinstance(module, nn.LayerNorm):
        return "norm", "LN"
    if isinstance(module, nn.GroupNorm):
        return "norm", "GN"
    if type(module).__name__ in _ACTIVATION_NAMES:
        return "act", _ACTIVATION_NAMES[type(module).__name__]
    if isinstance(module, nn.Linear):
        return "fc", f"dense {module.out_features}"
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return "other", f"dropout {module.p:g}"
    if isinstance(module, nn.Flatten):
        return "other", "flatten"
    if isinstance(module, nn.Identity):
        return "other", "identity"
    return "other", type(module).__name__


def _describe(name: str, module) -> tuple[str, str, list[str]]:
    """(kind, first line, further items) of a child: a layer is one line; a block has a heading
    (what it is, or the child's name, e.g. "stage 2") and lists what it holds."""
    children = list(module.children())
    if not children:
        kind, label = layer_label(module)
        return kind, label, []
    block = _block_name(module)
    if isinstance(module, DenseBlock):
        layers = list(module.net.children())
        return "block", "dense block", [f"{len(layers)} × conv 3×3, +{layers[0][-1].out_channels}",
                                        "BN, ReLU before each"]
    if block is not None:
        stride = _stride(module.conv1.stride) if hasattr(module, "conv1") else ""
        return "block", f"{block[0]}, {block[1]}{stride}", []
    known = None
    if all(not any(True for _ in c.children()) for c in children):
        known = _leaf_block_name([layer_label(c)[1] for c in children])
    return "block", known or _pretty(name), _items(children)


def _block_name(module) -> tuple[str, int | None] | None:
    """("residual", out channels) etc. for the course's branching blocks; None for anything else."""
    if isinstance(module, Inception):
        return "inception", module.out_channels
    if isinstance(module, BasicBlock):
        return ("residual" if module.residual else "plain block"), module.conv2.out_channels
    if isinstance(module, DenseBlock):
        return "dense block", module.out_channels
    return None


def _leaf_block_name(labels: list[str]) -> str | None:
    """The course's chains of layers (vgg_block, nin_block, transition_block), known by their labels."""
    n = len(labels)
    if (n >= 3 and n % 2 == 1 and labels[-1].startswith("max pool") and len(set(labels[0:-1:2])) == 1
            and labels[0].startswith("conv 3×3,") and set(labels[1:-1:2]) == {"ReLU"}):
        return "VGG block"
    if (n == 6 and labels[0].startswith("conv") and labels[1::2] == ["ReLU"] * 3
            and labels[2] == labels[4] and labels[2].startswith("conv 1×1,")):
        return "NiN block"
    if n == 4 and labels[:2] == ["BN", "ReLU"] and labels[2].startswith("conv 1×1,") and labels[3].startswith("avg pool"):
        return "transition"
    return None


def _items(children: list) -> list[str]:
    """What a block holds, in order and in few words: an activation or normalization joins the
    layer before it ("conv 3×3, 64 + ReLU"), and runs of equal items collapse ("2 × residual, 128")."""
    items: list[list] = []  # [text, channels (blocks only), is a branching block]
    for child in children:
        block = _block_name(child)
        if block is not None:
            items.append([block[0], block[1], True])
        elif any(True for _ in child.children()):
            _, first, rest = _describe("", child)
            items.append([" · ".join([first, *rest]), None, False])
        else:
            kind, label = layer_label(child)
            if kind in ("act", "norm") and items and not items[-1][2]:
                items[-1][0] += f" + {label}"
            else:
                items.append([label, None, False])
    runs: list[list] = []  # [text, channels, is block, count]
    for text, channels, is_block in items:
        if runs and runs[-1][0] == text and runs[-1][2] == is_block:
            runs[-1][3] += 1
            if runs[-1][1] != channels:
                runs[-1][1] = None  # channels differ along the run: the shapes tell them
        else:
            runs.append([text, channels, is_block, 1])
    return [(f"{n} × " if n > 1 else "") + text + (f", {c}" if c is not None else "") for text, c, _, n in runs]


def _pretty(name: str) -> str:
    """A child's name as a heading: "stage2" -> "stage 2", "b3" stays, "stage1.0" -> "stage1.0"."""
    m = re.fullmatch(r"([A-Za-z]{2,})(\d+)", name)
    return f"{m.group(1)} {m.group(2)}" if m else name


def _shape_text(shape) -> str:
    """(1, 6, 28, 28) -> "6×28×28": the batch left out; several outputs joined by " | "."""
    if shape is None:
        return "?"
    if shape and isinstance(shape[0], tuple):
        return " | ".join(_shape_text(s) for s in shape)
    return "×".join(str(s) for s in shape[1:]) or "scalar"


# ---- hyperparameters as text

_ACTIVATION_NAMES = {"ReLU": "ReLU", "Sigmoid": "sigmoid", "Tanh": "tanh", "LeakyReLU": "leaky ReLU",
                     "GELU": "GELU", "SiLU": "SiLU", "Softmax": "softmax", "ELU": "ELU"}


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _window(value) -> str:
    h, w = _pair(value)
    return f"{h}×{w}"


def _stride(value) -> str:
    h, w = _pair(value)
    if (h, w) == (1, 1):
        return ""
    return f" /{h}" if h == w else f" /{h}×{w}"
