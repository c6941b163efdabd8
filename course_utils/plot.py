"""Pictures: learning curves, image grids, convolution filters, feature maps, activation stats,
and architectures drawn from the modules themselves (plot_architecture, plot_architectures).

Every function draws with matplotlib and returns the Figure, so a notebook shows it and a
script can save it. matplotlib is imported on first use, so `import course_utils` stays fast.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import torch
from torch import nn

from .layers import BatchNorm
from .models import BasicBlock, DenseBlock, Inception, summary

if TYPE_CHECKING:  # matplotlib is imported where a picture is drawn: `import course_utils` stays fast
    from matplotlib.figure import Figure


def _plt():
    """matplotlib.pyplot, imported on first use (it costs about half a second)."""
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int, ncols: int | None) -> tuple[int, int]:
    ncols = min(n, ncols or math.ceil(math.sqrt(n)))
    return math.ceil(n / ncols), ncols


def show_images(images: torch.Tensor, titles: Sequence[str] | None = None, *, ncols: int | None = 8,
                scale: float = 1.5, cmap: str = "gray", normalize_each: bool = False,
                symmetric: bool = False) -> Figure:
    """A grid of images with optional titles.

    images: (n, height, width) or (n, 1, height, width); float or uint8.
    normalize_each: stretch each image to its own min..max (for feature maps).
    symmetric: colour limits of each image at -max|x|..max|x|, so that zero is always the middle
               colour and a weight's sign is never misstated (for filters, with a diverging cmap).
    """
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() == 4:
        if images.shape[1] != 1:
            raise ValueError(f"show_images draws one-channel images; got {images.shape[1]} channels")
        images = images[:, 0]
    if images.dim() != 3:
        raise ValueError(f"images must be (n, h, w) or (n, 1, h, w), got shape {tuple(images.shape)}")
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    nrows, ncols = _grid(n, ncols)
    fig, axes = _plt().subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img, limits = images[i], {}
        if normalize_each:
            img = (img - img.min()) / (img.max() - img.min() + 1e-8)
        if symmetric:
            bound = float(img.abs().max()) or 1.0
            limits = dict(vmin=-bound, vmax=bound)
        ax.imshow(img.numpy(), cmap=cmap, **limits)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def show_filters(weight: torch.Tensor, *, in_channel: int | None = 0, ncols: int | None = 16,
                 scale: float = 0.8, title: str | None = None) -> Figure:
    """The kernels of a convolution, weight: (c_out, c_in, k_h, k_w).

    in_channel: which input channel's slice to show for every output channel; None shows the
    whole c_out x c_in grid (one row per output channel). Red is positive, blue negative, white 0.
    """
    weight = weight.detach().float().cpu()
    if weight.dim() != 4:
        raise ValueError(f"weight must be (c_out, c_in, k_h, k_w), got shape {tuple(weight.shape)}")
    c_out, c_in = weight.shape[:2]
    if in_channel is None:
        kernels, ncols = weight.reshape(c_out * c_in, *weight.shape[2:]), c_in
        titles = [f"out {o}, in {i}" for o in range(c_out) for i in range(c_in)]
    else:
        if not 0 <= in_channel < c_in:
            raise ValueError(f"in_channel {in_channel} does not exist; the weight has {c_in} input channels")
        kernels, titles = weight[:, in_channel], None
    fig = show_images(kernels, titles, ncols=ncols, scale=scale, symmetric=True, cmap="RdBu_r")
    if title:
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def show_feature_maps(fmap: torch.Tensor, *, ncols: int | None = 8, scale: float = 1.2,
                      title: str | None = None) -> Figure:
    """Feature maps of one image, fmap: (channels, height, width) or (1, channels, height, width)."""
    fmap = fmap.detach().float().cpu()
    if fmap.dim() == 4:
        fmap = fmap[0]
    fig = show_images(fmap, titles=[f"channel {i}" for i in range(len(fmap))], ncols=ncols,
                      scale=scale, normalize_each=True, cmap="viridis")
    if title:
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def _draw_history(axes, history, label: str = "", style: str = "-") -> None:
    ax_loss, ax_acc = axes
    if history.curve:
        steps, losses, accs = zip(*history.curve)
        ax_loss.plot(steps, losses, style, label=f"{label}train loss".strip())
        ax_acc.plot(steps, accs, style, label=f"{label}train acc".strip())
    if history.epoch:
        # The last epoch's marker sits on the right edge of the axes: drawn whole, not cut in half.
        ax_acc.plot(history.epoch, history.test_acc, style, marker="o", clip_on=False,
                    label=f"{label}test acc".strip())


def _decorate(axes, epochs: int | None = None) -> None:
    for ax, name in zip(axes, ("loss", "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if epochs:
            ax.set_xlim(0, epochs)
        if ax.lines:
            ax.legend(fontsize=8)


def plot_history(history, title: str | None = None) -> Figure:
    """Training loss (left) and train/test accuracy (right) of one History."""
    fig, axes = _plt().subplots(1, 2, figsize=(9, 3.2))
    _draw_history(axes, history)
    _decorate(axes)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def compare_histories(histories: Mapping[str, object], title: str | None = None) -> Figure:
    """Several runs on one pair of axes, e.g. {"sigmoid + avg pool": h1, "ReLU + max pool": h2}."""
    fig, axes = _plt().subplots(1, 2, figsize=(10, 3.5))
    for (name, history), style in zip(histories.items(), ["-", "--", ":", "-."] * 4):
        _draw_history(axes, history, label=f"{name}: ", style=style)
    _decorate(axes)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


class LivePlot:
    """Learning curves redrawn in place in a notebook while ``fit`` runs."""

    def __init__(self, epochs: int):
        from IPython.display import display
        from matplotlib.figure import Figure

        self.epochs = epochs
        # A bare Figure, not pyplot's: the inline backend would otherwise show it a second time.
        # Flat enough to share a slide with the code that trains (the decks are 800px high).
        self.fig = Figure(figsize=(9, 2.8))
        self.axes = self.fig.subplots(1, 2)
        self.handle = display(self._png(), display_id=True)

    def _png(self):
        # Sent as a PNG, so it shows even before the inline backend has drawn any pyplot figure.
        from IPython.display import Image

        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=80)
        return Image(data=buffer.getvalue(), format="png")

    def redraw(self, history) -> None:
        for ax in self.axes:
            ax.clear()
        _draw_history(self.axes, history)
        _decorate(self.axes, self.epochs)
        self.fig.tight_layout()
        self.handle.update(self._png())


def plot_activation_stats(stats, title: str | None = None) -> Figure:
    """Mean (left) and standard deviation (right) of each recorded layer over training steps."""
    fig, (ax_mean, ax_std) = _plt().subplots(1, 2, figsize=(10, 3.2))
    means, stds = stats.means, stats.stds
    for i, name in enumerate(stats.names):
        ax_mean.plot(means[:, i].numpy(), label=name)
        ax_std.plot(stds[:, i].numpy(), label=name)
    for ax, what in ((ax_mean, "mean"), (ax_std, "standard deviation")):
        ax.set_xlabel(f"recorded step (every {stats.every} batches)")
        ax.set_ylabel(f"activation {what}")
        ax.grid(alpha=0.3)
    ax_std.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- architecture pictures
#
# A network is drawn as boxes in inch coordinates: the axes span the whole figure with one data
# unit per inch, so font sizes (points) and box sizes (inches) can be measured against each other
# before anything is drawn, and no label can outgrow its box.

#: The kinds of layer the pictures tell apart: kind -> (legend text, face colour).
_KINDS: dict[str, tuple[str, str]] = {
    "conv": ("convolution", "#9ecae1"),
    "pool": ("pooling", "#fdc98f"),
    "norm": ("normalization", "#fff09a"),
    "act": ("activation", "#b5e2a3"),
    "fc": ("fully connected", "#d6bfe3"),
    "block": ("block of several layers", "#f5b8bd"),
    "other": ("other", "#e2e2e2"),
}
_EDGE = "#3c3c3c"
_GREY = "#5a5a5a"
_SHAPE_NOTE = "shapes: channels × height × width after each layer (batch left out)"
_MAX_WIDTH = 12.0   # inches of drawing: 1200 px at the notebooks' 100 dpi, inside a 1280×720 slide
_MAX_HEIGHT = 4.9   # inches of drawing: with title and legend under 6 in, room for a slide's heading
_FONT_SIZES = (13.0, 12.0, 11.0, 10.0, 9.0, 8.0)  # largest that fits the slide; 8 pt is ~11 px


@dataclass
class _Node:
    """One box: a child module (or the input, or a merge of paths) with its label and output shape."""

    key: str          # the child's name in its parent (the gid of its artists); "input" for the input
    kind: str         # a key of _KINDS, or "data" (the input) or "merge" (add, concatenation)
    label: str        # kind and key hyperparameters; a block has several lines
    shape: str = ""   # the output shape, e.g. "6×28×28"
    x: float = 0.0    # lower-left corner and size in inches, set by a layout
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    round: bool = False  # drawn as a circle of diameter h, centred in the width (the addition)
    folded: list = field(default_factory=list)  # kinds of the layers folded into this box (_fold)

    @property
    def left(self) -> tuple[float, float]:
        inset = (self.w - self.h) / 2 if self.round else 0.0
        return self.x + inset, self.y + self.h / 2

    @property
    def right(self) -> tuple[float, float]:
        inset = (self.w - self.h) / 2 if self.round else 0.0
        return self.x + self.w - inset, self.y + self.h / 2

    @property
    def top(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h

    @property
    def bottom(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y


# ---- what a module is: kind and label

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


_ACTIVATION_NAMES = {"ReLU": "ReLU", "Sigmoid": "sigmoid", "Tanh": "tanh", "LeakyReLU": "leaky ReLU",
                     "GELU": "GELU", "SiLU": "SiLU", "Softmax": "softmax", "ELU": "ELU"}


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


def _block_name(module) -> tuple[str, int | None] | None:
    """("residual", out channels) etc. for the course's branching blocks; None for anything else."""
    if isinstance(module, Inception):
        return "inception", module.out_channels
    if isinstance(module, BasicBlock):
        return ("residual" if module.residual else "plain block"), module.conv2.out_channels
    if isinstance(module, DenseBlock):
        return "dense block", module.out_channels
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


# ---- measuring text (in inches, before drawing)

@lru_cache(maxsize=None)
def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in inches of the widest line of text at size points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=size, weight="bold" if bold else "normal")
    return max(TextToPath().get_text_width_height_descent(line, font, ismath=False)[0]
               for line in text.split("\n")) / 72


def _label_width(node: "_Node", size: float) -> float:
    """A block's heading (its first line) is bold."""
    head, _, rest = node.label.partition("\n")
    return max(_text_width(head, size, bold=node.kind == "block"), _text_width(rest, size) if rest else 0)


def _line_height(size: float) -> float:
    return size * _LINE_SPACING / 72


_LINE_SPACING = 1.3
_PAD = 0.09  # inches between a box's text and its edge


def _wrap(items: list[str], width: float, size: float) -> list[str]:
    """Join items with " · " into lines no wider than width inches (an item longer stays whole)."""
    lines: list[str] = []
    for item in items:
        if lines and _text_width(f"{lines[-1]} · {item}", size) <= width:
            lines[-1] = f"{lines[-1]} · {item}"
        else:
            lines.append(item)
    return lines


def _size_box(node: _Node, size: float, min_width: float = 0.8) -> None:
    """Set node.w and node.h to hold its label and shape (shape one point smaller, grey)."""
    lines = node.label.count("\n") + 1
    node.w = max(min_width, _label_width(node, size) + 2 * _PAD,
                 _text_width(node.shape, size - 1) + 2 * _PAD if node.shape else 0)
    node.h = lines * _line_height(size) + (_line_height(size - 1) if node.shape else 0) + 2 * _PAD


_MINOR = re.compile(r"^(\d+ × )?(ReLU|sigmoid|tanh|BN|flatten|dropout |(max|avg) pool |global .* pool)")


def _brief(items: list[str]) -> list[str]:
    """A block's one telling item, without what joined it: the first that is no activation,
    normalization, pooling, dropout or flatten ("conv 7×7 /2, 64", "2 × residual, 128")."""
    telling = [item for item in items if not _MINOR.match(item)] or items
    return [telling[0].split(" + ")[0]] if telling else []


def _nodes_of_chain(net, input_shape: tuple[int, ...], depth: int, size: float,
                    brief: bool = False) -> list[_Node]:
    """The input, then one node per child at `depth`, with the output shapes from `summary`;
    brief: a block names only its telling item (for pictures of several networks)."""
    rows = summary(net, input_shape, depth=depth, print_table=False)
    nodes = [_Node("input", "data", "input", _shape_text(input_shape))]
    # A block's lines may be as wide as its widest layer's label, or about 24 characters.
    leaf_width = max([_text_width(layer_label(m)[1], size) for m in net.modules()] + [size * 24 / 72 * 0.55])
    for row in rows:
        try:
            module = net.get_submodule(row["name"])
        except AttributeError:  # summary names a childless net after its type
            module = net
        kind, first, items = _describe(row["name"].rsplit(".", 1)[-1] if depth == 1 else row["name"], module)
        detail = _wrap_label("\n".join(_wrap(_brief(items) if brief else items, leaf_width, size)), leaf_width, size)
        label = "\n".join([first, detail]) if detail else first
        nodes.append(_Node(row["name"], kind, label, _shape_text(row["output_shape"])))
    return nodes


# ---- drawing

class _Canvas:
    """Axes with one data unit per inch over a figure of the given size (or over a given axes)."""

    def __init__(self, width: float, height: float, size: float, ax=None):
        self.size = size
        self.own_figure = ax is None
        if ax is None:
            self.fig = _plt().figure(figsize=(width, height))
            self.ax = self.fig.add_axes((0, 0, 1, 1))
        else:
            self.ax, self.fig = ax, ax.figure
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.kinds: set[str] = set()

    def box(self, node: _Node) -> None:
        from matplotlib.patches import FancyBboxPatch

        if node.kind == "data":
            face, style = "white", dict(linestyle=(0, (3, 2)))
        elif node.kind == "merge":
            face, style = "white", {}
        else:
            face, style = _KINDS[node.kind][1], {}
            self.kinds.add(node.kind)
        self.ax.add_patch(FancyBboxPatch((node.x, node.y), node.w, node.h, gid=f"box:{node.key}",
                                         boxstyle="round,pad=0,rounding_size=0.05", facecolor=face,
                                         edgecolor=_EDGE, linewidth=1.0, **style))
        self._folded_strips(node)
        lines = node.label.count("\n") + 1
        lh = _line_height(self.size)
        text_h = lines * lh + (_line_height(self.size - 1) if node.shape else 0)
        top = node.y + (node.h + text_h) / 2  # the text block centred in the box
        cx = node.x + (node.w - _strips_width(node)) / 2  # left of the strips
        head, _, rest = node.label.partition("\n")
        self.ax.text(cx, top - lh / 2, head, ha="center", va="center", fontsize=self.size,
                     weight="bold" if node.kind == "block" else "normal", gid=f"label:{node.key}")
        if rest:  # what a block holds, under its heading
            self.ax.text(cx, top - lh - (lines - 1) * lh / 2, rest, ha="center", va="center", fontsize=self.size,
                         linespacing=_LINE_SPACING, gid=f"detail:{node.key}")
        if node.shape:
            self.ax.text(cx, top - lines * _line_height(self.size) - _line_height(self.size - 1) / 2,
                         node.shape, ha="center", va="center", fontsize=self.size - 1, color=_GREY,
                         gid=f"shape:{node.key}")

    def _folded_strips(self, node: _Node) -> None:
        """One strip of colour per folded layer at the box's right edge (green: an activation)."""
        from matplotlib.patches import Rectangle

        for k, kind in enumerate(node.folded):
            x = node.x + node.w - _STRIP_MARGIN - (len(node.folded) - k) * _STRIP  # in the label's order
            self.ax.add_patch(Rectangle((x + 0.01, node.y + 0.035), _STRIP - 0.02, node.h - 0.07,
                                        facecolor=_KINDS[kind][1], edgecolor=_EDGE, linewidth=0.5,
                                        gid=f"fold{k}:{node.key}"))
            self.kinds.add(kind)

    def circle(self, node: _Node, symbol: str = "+") -> None:
        """A merge point: a circle of the node's height, centred in its width, its shape above it."""
        from matplotlib.patches import Circle

        r = node.h / 2
        cx, cy = node.x + node.w / 2, node.y + r
        self.ax.add_patch(Circle((cx, cy), r, facecolor="white", edgecolor=_EDGE, lw=1.2, gid=f"box:{node.key}"))
        self.ax.text(cx, cy, symbol, ha="center", va="center", fontsize=self.size + 3, gid=f"label:{node.key}")
        # Above: the paths come in from the left and from below.
        self.ax.text(cx, cy + r + 0.04, node.shape, ha="center", va="bottom",
                     fontsize=self.size - 1, color=_GREY, gid=f"shape:{node.key}")

    def path(self, points: Sequence[tuple[float, float]], arrow: bool = True, **style) -> None:
        """A polyline through points; an arrowhead at its end."""
        xs, ys = zip(*points)
        if len(points) > 2:
            self.ax.plot(xs[:-1], ys[:-1], color=_EDGE, lw=1.2, solid_capstyle="butt", **style)
        start = points[-2]
        self.ax.annotate("", xy=points[-1], xytext=start, arrowprops=dict(
            arrowstyle="-|>" if arrow else "-", color=_EDGE, lw=1.2, shrinkA=0, shrinkB=0, mutation_scale=11))

    def text(self, x: float, y: float, s: str, **kw) -> None:
        self.ax.text(x, y, s, fontsize=kw.pop("fontsize", self.size), **kw)

    def legend(self, x: float, y: float, note: str | None = _SHAPE_NOTE) -> None:
        """The colours present, in one row centred at x with its top at y; the shape note below."""
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=colour, edgecolor=_EDGE, label=text)
                   for kind, (text, colour) in _KINDS.items() if kind in self.kinds]
        if handles:
            legend = self.ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(x, y),
                                    bbox_transform=self.ax.transData, ncol=len(handles), frameon=False,
                                    fontsize=self.size - 1, handlelength=1.4, columnspacing=1.4, borderaxespad=0)
            self._widen_to(legend.get_window_extent(self.fig.canvas.get_renderer()).width / self.fig.dpi + 0.2)
        if note:
            self.text(x, y - _LEGEND_H + 0.04, note, ha="center", va="top", fontsize=self.size - 2, color=_GREY)

    def _widen_to(self, width: float) -> None:
        """A narrow picture (one column, a short chain) widens, centred, to fit its legend."""
        x0, x1 = self.ax.get_xlim()
        extra = width - (x1 - x0)
        if extra > 0 and self.own_figure:
            self.fig.set_size_inches(width, self.fig.get_size_inches()[1])
            self.ax.set_xlim(x0 - extra / 2, x1 + extra / 2)


_LEGEND_H = 0.32   # inches for the legend row
_NOTE_H = 0.22     # and for the note under it
_TITLE_H = 0.42


def _frame(content_w: float, content_h: float, title: str | None, size: float, ax=None,
           note: bool = True) -> tuple[_Canvas, float, float]:
    """A canvas for a drawing of content_w x content_h inches with a title above and the legend
    below; returns it with the (x, y) of the drawing's top-left corner."""
    # Wide enough for the title and the note under the legend too: the drawing is centred.
    least = max(_text_width(title, size + 3, bold=True) if title else 0.0,
                _text_width(_SHAPE_NOTE, size - 2) if note else 0.0)
    margin = 0.1 + max(0.0, least - content_w) / 2
    bottom = _LEGEND_H + (_NOTE_H if note else 0) + 0.25
    top = _TITLE_H if title else 0.1
    width, height = content_w + 2 * margin, content_h + bottom + top
    canvas = _Canvas(width, height, size, ax)
    if title:
        canvas.text(width / 2, height - 0.08, title, ha="center", va="top", fontsize=size + 3, weight="bold")
    return canvas, margin, height - top


def _finish(canvas: _Canvas, note: bool = True) -> "Figure":
    canvas.legend(canvas.ax.get_xlim()[1] / 2, _LEGEND_H + (_NOTE_H if note else 0) + 0.05,
                  _SHAPE_NOTE if note else None)
    return canvas.fig


# ---- a chain of children, left to right in rows

_GAP_X = 0.32   # inches between boxes along a row (the arrow)
_GAP_Y = 0.45   # between rows (room for the arrow back to the next row's start)


def _rows(nodes: list[_Node], max_width: float) -> list[list[_Node]]:
    """Split the chain into rows of balanced length, each no wider than max_width."""
    for n_rows in range(1, len(nodes) + 1):
        per_row = math.ceil(len(nodes) / n_rows)
        rows = [nodes[i:i + per_row] for i in range(0, len(nodes), per_row)]
        if all(sum(n.w for n in row) + _GAP_X * (len(row) - 1) <= max_width for row in rows):
            return rows
    return [[n] for n in nodes]


def _layout_chain(nodes: list[_Node], size: float) -> tuple[list[list[_Node]], float, float]:
    """Place the nodes in rows (origin: top-left, y downwards negative); returns rows, width, height."""
    for node in nodes:
        _size_box(node, size)
    height = max(n.h for n in nodes)
    for node in nodes:  # one height for all boxes: rows line up
        node.h = height
    rows = _rows(nodes, _MAX_WIDTH)
    width = max(sum(n.w for n in row) + _GAP_X * (len(row) - 1) for row in rows)
    for r, row in enumerate(rows):
        x = 0.0
        for node in row:
            node.x, node.y = x, -(r + 1) * height - r * _GAP_Y
            x += node.w + _GAP_X
    return rows, width, len(rows) * height + (len(rows) - 1) * _GAP_Y


def _draw_chain(canvas: _Canvas, rows: list[list[_Node]], x0: float, y0: float) -> None:
    for row in rows:
        for node in row:
            node.x += x0
            node.y += y0
            canvas.box(node)
    for r, row in enumerate(rows):
        for a, b in zip(row, row[1:]):
            canvas.path([a.right, b.left])
        if r + 1 < len(rows):  # down from the row's last box, back left, down into the next row's first
            last, first = row[-1], rows[r + 1][0]
            mid = last.y - _GAP_Y / 2
            canvas.path([last.bottom, (last.bottom[0], mid), (first.top[0], mid), first.top])


def _fit(make: Callable[[float], tuple[float, float]]) -> float:
    """The largest font size of _FONT_SIZES at which make(size) -> (width, height) fits the slide."""
    for size in _FONT_SIZES:
        width, height = make(size)
        if width <= _MAX_WIDTH and height <= _MAX_HEIGHT:
            return size
    return _FONT_SIZES[-1]


def _fit_chain(layout: Callable[[float], tuple[list, float, float]], max_rows: int | None = None) -> float:
    """The font size for a chain: one row fewer is worth up to 3 points less (one row at 10 pt reads
    better than two at 12), but only while it fits the slide (and max_rows)."""
    best = None
    for size in _FONT_SIZES:
        rows, width, height = layout(size)
        if width <= _MAX_WIDTH and height <= _MAX_HEIGHT and len(rows) <= (max_rows or len(rows)):
            score = 1.5 * len(rows) + 0.5 * (_FONT_SIZES[0] - size)
            if best is None or score < best[0]:
                best = (score, size)
    return best[1] if best else _FONT_SIZES[-1]


def plot_architecture(net, input_shape: tuple[int, ...], depth: int = 1, ax=None, *,
                      title: str | None = None, rows: int | None = None) -> "Figure":
    """A picture of a network, drawn from the module itself.

    A chain of boxes, left to right and wrapping into rows: the input, then one box per child
    module at `depth` (as in `summary`), labelled with its kind and key hyperparameters
    (``conv 5×5, 6``, ``max pool 2×2 /2``, ``dense 120``) and its output shape, found by running
    zeros of `input_shape` (batch included, e.g. ``(1, 1, 28, 28)``) through the net. Colours tell
    convolution, pooling, normalization, activation, fully connected layers and blocks apart
    (legend below). A child made of several layers is one box that names what it holds
    (``stage 2`` / ``2 × residual, 128``).

    Given one of the course's branching blocks on its own, it draws the block's inside instead:
    ``Inception`` its four parallel paths joined by a concatenation, ``Residual``/``BasicBlock``
    the main path and the shortcut meeting at the addition, ``DenseBlock`` each layer's output
    concatenated to its input. A ``vgg_block``, ``nin_block`` or ``transition_block`` is a chain
    of layers, so it is drawn as one.

    rows: at most this many rows of boxes (a flatter picture, in a smaller font, for a slide that
    also holds text); None: the most readable layout that fits a slide. ax: draw into these axes
    instead of a new figure (laid out for the size this function would choose: give the axes
    about that much room). Returns the Figure.
    """
    if rows is not None and rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    if isinstance(net, Inception):
        return _plot_inception(net, input_shape, ax, title)
    if isinstance(net, BasicBlock):
        return _plot_residual(net, input_shape, ax, title)
    if isinstance(net, DenseBlock):
        return _plot_dense_block(net, input_shape, ax, title)
    if title is None:
        title = _default_title(net)

    def layout(size: float):
        return _layout_chain(_nodes_of_chain(net, input_shape, depth, size), size)

    size = _fit_chain(layout, rows)
    chain, width, height = layout(size)
    canvas, x0, y0 = _frame(width, height, title, size, ax)
    _draw_chain(canvas, chain, x0, y0)
    return _finish(canvas)


def _default_title(net) -> str | None:
    """A block's name for a picture of a block on its own (vgg_block, nin_block, ...); else none."""
    kind, first, _ = _describe("", net)
    names = {"VGG block": "VGG block", "NiN block": "NiN block", "transition": "Transition block"}
    return names.get(first) if kind == "block" else None


# ---- the course's branching blocks, drawn from their inside

def _child_nodes(block, input_shape: tuple[int, ...], depth: int, size: float) -> dict[str, _Node]:
    """One node per layer `depth` levels into the block, by name, with output shapes from `summary`."""
    nodes = {}
    for row in summary(block, input_shape, depth=depth, print_table=False):
        kind, label = layer_label(block.get_submodule(row["name"]))
        nodes[row["name"]] = _Node(row["name"], kind, label, _shape_text(row["output_shape"]))
    return nodes


def _output_shape(block, input_shape: tuple[int, ...]) -> str:
    """The block's output shape, from `summary` of a Sequential that holds only the block."""
    return _shape_text(summary(nn.Sequential(block), input_shape, print_table=False)[0]["output_shape"])


def _block_canvas(nodes: list[_Node], title: str | None, size: float, ax, top_room: float = 0.35):
    """Frame nodes laid out around (0, 0) (y up): shift them into a canvas with title and legend,
    top_room inches above the highest node (for paths drawn over the nodes)."""
    x_min, x_max = min(n.x for n in nodes), max(n.x + n.w for n in nodes)
    y_min, y_max = min(n.y for n in nodes) - 0.35, max(n.y + n.h for n in nodes) + top_room
    canvas, x0, y0 = _frame(x_max - x_min, y_max - y_min, title, size, ax)
    for node in nodes:
        node.x += x0 - x_min
        node.y += y0 - y_max
    return canvas


def _inception_layout(block, input_shape, size: float):
    inner = _child_nodes(block, input_shape, 2, size)
    branches = [[inner[f"{name}.{i}"] for i in range(len(branch))] for name, branch in block.named_children()]
    source = _Node("input", "data", "input", _shape_text(input_shape))
    concat = _Node("concat", "merge", "concat", _output_shape(block, input_shape))
    for node in [source, concat, *inner.values()]:
        _size_box(node, size)
    height = max(n.h for n in inner.values())
    columns = max(len(b) for b in branches)
    col_w = [max(b[j].w for b in branches if j < len(b)) for j in range(columns)]
    fan = 0.5  # room for the lines that fan out to (and in from) the paths
    x = source.w + fan
    for j in range(columns):
        for r, branch in enumerate(branches):
            if j < len(branch):
                node = branch[j]
                node.w, node.h = col_w[j], height
                node.x, node.y = x, -r * (height + 0.3) - height
        x += col_w[j] + _GAP_X
    x += fan - _GAP_X
    mid = -(len(branches) * (height + 0.3) - 0.3) / 2
    source.x, source.y = 0.0, mid - source.h / 2
    concat.x, concat.y = x, mid - concat.h / 2
    width = concat.x + concat.w
    total_h = len(branches) * (height + 0.3) - 0.3
    return source, branches, concat, width, total_h


def _plot_inception(block, input_shape, ax, title):
    size = _fit(lambda s: _inception_layout(block, input_shape, s)[3:])
    source, branches, concat, *_ = _inception_layout(block, input_shape, size)
    nodes = [source, concat, *(n for b in branches for n in b)]
    canvas = _block_canvas(nodes, title or f"Inception block: four parallel paths, {block.out_channels} channels out",
                           size, ax)
    split, join = source.right[0] + 0.25, concat.left[0] - 0.25
    for branch in branches:
        first, last = branch[0], branch[-1]
        canvas.path([source.right, (split, source.right[1]), (split, first.left[1]), first.left])
        for a, b in zip(branch, branch[1:]):
            canvas.path([a.right, b.left])
        canvas.path([last.right, (join, last.right[1]), (join, concat.left[1]), concat.left])
    for node in nodes:
        canvas.box(node)
    return _finish(canvas)


def _residual_layout(block, input_shape, size: float):
    """Main path in a row (with the two ReLUs of forward(), which are functions, not children);
    the shortcut (nn.Identity, or a 1×1 conv with batch norm) in a row below, from the input to
    the addition. A plain BasicBlock (residual=False) has neither shortcut nor addition."""
    inner = _child_nodes(block, input_shape, 2, size)
    shape = _output_shape(block, input_shape)
    relu1 = _Node("relu (F.relu after bn1)", "act", "ReLU", inner["bn1"].shape)
    add = _Node("add", "merge", "+", shape, round=True) if block.residual else None
    relu2 = _Node("relu (F.relu at the end)", "act", "ReLU", shape)
    source = _Node("input", "data", "input", _shape_text(input_shape))
    main = [source, inner["conv1"], inner["bn1"], relu1, inner["conv2"], inner["bn2"], add, relu2]
    main = [node for node in main if node is not None]
    shortcut = [node for key, node in inner.items() if key == "shortcut" or key.startswith("shortcut.")]
    for node in main + shortcut:
        _size_box(node, size)
    height = max(n.h for n in main)
    x = 0.0
    for node in main:
        if node is add:
            # As wide as the shape written above the circle, so that it clears the boxes beside.
            node.h, node.w = 0.42, max(0.42, _text_width(node.shape, size - 1) + 0.1)
            node.x, node.y = x, -height / 2 - node.h / 2
        else:
            node.h, node.x, node.y = height, x, -height
        x += node.w + _GAP_X
    if not shortcut:
        return main, shortcut, x - _GAP_X, height
    # The shortcut's boxes, centred under the main path's layers.
    span = sum(n.w for n in shortcut) + _GAP_X * (len(shortcut) - 1)
    x = (main[1].x + main[5].x + main[5].w) / 2 - span / 2
    for node in shortcut:
        node.h, node.x, node.y = height, x, -2 * height - 0.45
        x += node.w + _GAP_X
    return main, shortcut, max(n.x + n.w for n in main), 2 * height + 0.45


def _plot_residual(block, input_shape, ax, title):
    size = _fit(lambda s: _residual_layout(block, input_shape, s)[2:])
    main, shortcut, *_ = _residual_layout(block, input_shape, size)
    if block.residual:
        what = "identity" if isinstance(block.shortcut, nn.Identity) else "1×1 conv"
        title = title or f"Residual block: main path and shortcut ({what}) meet at the addition"
    else:
        title = title or "Plain block: the residual block without its shortcut"
    canvas = _block_canvas(main + shortcut, title, size, ax)
    for a, b in zip(main, main[1:]):
        canvas.path([a.right, b.left])
    if shortcut:
        source, add = main[0], main[6]
        y = shortcut[0].left[1]
        canvas.path([source.bottom, (source.bottom[0], y), shortcut[0].left])
        for a, b in zip(shortcut, shortcut[1:]):
            canvas.path([a.right, b.left])
        canvas.path([shortcut[-1].right, (add.bottom[0], y), add.bottom])
    for node in main + shortcut:
        if node.round:
            canvas.circle(node, "+")
        else:
            canvas.box(node)
    return _finish(canvas)


def _dense_layout(block, input_shape, size: float):
    """Each layer (BN, ReLU, conv) as a column that ends on the row of the input and the
    concatenations; the layer's input reaches the column's top from the left, and is carried
    over the column into the concatenation."""
    inner = _child_nodes(block, input_shape, 3, size)
    source = _Node("input", "data", "input", _shape_text(input_shape))
    stacks, concats = [], []
    channels = input_shape[1]
    for i, layer in enumerate(block.net):
        stacks.append([inner[f"net.{i}.{j}"] for j in range(len(layer))])
        out = stacks[-1][-1].shape.split("×")
        channels += int(out[0])
        concats.append(_Node(f"concat {i + 1}", "merge", "concat", "×".join([str(channels), *out[1:]])))
    every = [source, *concats, *(n for stack in stacks for n in stack)]
    for node in every:
        _size_box(node, size, min_width=0.7)
    height = max(n.h for n in every)
    column_w = max(n.w for stack in stacks for n in stack)
    step = height + 0.3
    bottom = -0.45 - max(len(s) for s in stacks) * step + 0.3  # room above for the carried input
    x = 0.0
    for node in [source, *concats]:
        node.h, node.y = height, bottom
    source.x = 0.0
    x = source.w
    for stack, concat in zip(stacks, concats):
        x += 0.5  # the elbow up to the column's top
        for k, node in enumerate(reversed(stack)):
            node.w, node.h, node.x, node.y = column_w, height, x, bottom + k * step
        x += column_w + _GAP_X
        concat.x = x
        x += concat.w
    top = max(n.y + n.h for n in every)
    return source, stacks, concats, x, top - bottom + 0.45


def _plot_dense_block(block, input_shape, ax, title):
    size = _fit(lambda s: _dense_layout(block, input_shape, s)[3:])
    source, stacks, concats, *_ = _dense_layout(block, input_shape, size)
    nodes = [source, *concats, *(n for stack in stacks for n in stack)]
    canvas = _block_canvas(nodes, title or "Dense block: each layer's input is the concatenation of all before",
                           size, ax, top_room=0.6)
    arc = max(n.y + n.h for n in nodes) + 0.3
    previous = source
    for stack, concat in zip(stacks, concats):
        first, last = stack[0], stack[-1]
        elbow = first.x - 0.25
        canvas.path([previous.right, (elbow, previous.right[1]), (elbow, first.left[1]), first.left])
        for a, b in zip(stack, stack[1:]):
            canvas.path([a.bottom, b.top])
        canvas.path([last.right, concat.left])
        # The layer's input, carried over the layer into the concatenation.
        start = (previous.top[0] + (0.12 if previous is not source else 0), previous.top[1])
        end = (concat.top[0] - 0.12, concat.top[1])
        canvas.path([start, (start[0], arc), (end[0], arc), end])
        previous = concat
    for node in nodes:
        canvas.box(node)
    return _finish(canvas)


# ---- several networks side by side, top-down, on one scale

_FOLDED_KINDS = ("act", "norm", "other")  # elementwise layers (and flatten) that can share a box


def _fold(nodes: list[_Node]) -> list[_Node]:
    """Each activation, normalization, dropout or flatten joins the box before it, as d2l's figures
    draw them ("conv 5×5, 6 + sigmoid"); the box keeps the kind of its first layer, the last shape."""
    out: list[_Node] = []
    for node in nodes:
        if out and node.kind in _FOLDED_KINDS and out[-1].kind != "data" and "\n" not in node.label:
            head = out[-1]
            if node.label != "flatten":  # the next box's shape shows it; d2l's figures leave it out too
                head.label = f"{head.label} + {node.label}" if "\n" not in head.label else f"{head.label}\n+ {node.label}"
                head.folded.append(node.kind)
            head.shape = node.shape
            head.key = f"{head.key}+{node.key}"
        else:
            out.append(node)
    return out


_COLUMN_GAP = 0.25   # between networks
_STRIP = 0.075        # width of a folded layer's strip of colour
_STRIP_MARGIN = 0.04  # between the strips and the box's right edge
_STEP = 0.13         # between boxes in a column (the arrow)
_HEADING_H = 0.36    # a column's heading (the network's name)


def _strips_width(node: _Node) -> float:
    """The room a box's folded-layer strips take at its right edge (none without folded layers)."""
    return len(node.folded) * _STRIP + _STRIP_MARGIN if node.folded else 0.0


def _wrap_label(label: str, width: float, size: float) -> str:
    """Break each line of a label that is wider than width inches at its " + " and " · " joints."""
    out = []
    for line in label.split("\n"):
        parts = re.split(r"(?= \+ )|(?<= ·) ", line)
        parts = [p.strip() for p in parts if p.strip()]
        lines: list[str] = []
        for part in parts:
            joined = f"{lines[-1]} {part}" if lines else part
            if lines and _text_width(joined, size) <= width:
                lines[-1] = joined
            else:
                lines.append(part)
        out += lines
    return "\n".join(out)


def _atom_width(node: _Node, size: float) -> float:
    """The widest piece of a label that _wrap_label cannot break (a block's heading is bold)."""
    head, _, rest = node.label.partition("\n")
    pieces = [(p, node.kind == "block") for p in re.split(r" \+ | · ", head)]
    pieces += [(p, False) for p in re.split(r"\n| \+ | · ", rest) if p]
    return max(_text_width(p, size, bold) for p, bold in pieces)


def _columns_layout(nets, shapes, depth: int, fold: bool, show_shapes: bool, size: float, strips: bool = True):
    """Nodes of every network placed in columns of one box width; returns columns, width, height.
    strips: a folded layer's colour as a strip at its box's edge (else only its name in the label)."""
    columns = []
    for name, net in nets.items():
        nodes = _nodes_of_chain(net, shapes[name], depth, size, brief=True)[1:]  # the heading gives the input
        nodes = _fold(nodes) if fold else nodes
        for node in nodes:
            node.key = f"{name}/{node.key}"  # the networks' children share names (conv1, fc1, ...)
            if not strips:
                node.folded = []
        columns.append((name, nodes))
    every = [n for _, nodes in columns for n in nodes]
    shape_w = max(_text_width(n.shape, size - 1) for n in every) + 0.1 if show_shapes else 0.0
    # As wide as the widest one-line label, but no wider than the slide allows: longer labels wrap.
    # The folded layers' strips of colour get their own room at the right of every box.
    strips_w = max(_strips_width(n) for n in every)
    natural = max(_label_width(n, size) for n in every if "\n" not in n.label) + 2 * _PAD
    room = (_MAX_WIDTH - _COLUMN_GAP * (len(columns) - 1)) / len(columns) - shape_w - strips_w
    text_w = max(min(natural, room), max(_atom_width(n, size) for n in every) + 2 * _PAD)
    box_w = text_w + strips_w
    col_w = max([box_w + shape_w] + [_text_width(name, size + 1) for name, _ in columns])
    height = 0.0
    for c, (name, nodes) in enumerate(columns):
        y = -_HEADING_H - _line_height(size - 1)
        for node in nodes:
            node.label = _wrap_label(node.label, text_w - 2 * _PAD, size)
            node.w = box_w
            node.h = (node.label.count("\n") + 1) * _line_height(size) + 2 * 0.045
            node.x, node.y = c * (col_w + _COLUMN_GAP), y - node.h
            y -= node.h + _STEP
        height = max(height, -y - _STEP)
    return columns, col_w, len(columns) * (col_w + _COLUMN_GAP) - _COLUMN_GAP, height


def plot_architectures(nets: Mapping[str, object], input_shapes, depth: int = 1, *, fold: bool = True,
                       show_shapes: bool | None = None, title: str | None = None) -> "Figure":
    """Several networks side by side on one scale, each a column of boxes from input (top) to output.

    nets: {"LeNet": cu.lenet(), "AlexNet": cu.alexnet()}; input_shapes: one shape for all, e.g.
    ``(1, 1, 224, 224)``, or {name: shape}. Every box has the same width and every line of text
    the same height, so a longer column is a deeper network. fold (default): activations,
    normalization, dropout and flatten share the box of the layer before them ("conv 5×5, 6 +
    sigmoid"), as in the lecture's figures. show_shapes: the output shape right of each box;
    None: where the columns still fit a slide. Returns the Figure.
    """
    if not nets:
        raise ValueError("plot_architectures needs at least one network, e.g. {'LeNet': cu.lenet()}")
    shapes = {name: input_shapes[name] for name in nets} if isinstance(input_shapes, Mapping) \
        else {name: tuple(input_shapes) for name in nets}
    # What gives way when the slide is too small: first the shapes, then the strips, then both.
    shown_choices = [show_shapes] if show_shapes is not None else [True, False]
    choices = [(shown, strips) for strips in (True, False) for shown in shown_choices]
    for shown, strips in choices:
        size = _fit(lambda s: _columns_layout(nets, shapes, depth, fold, shown, s, strips)[2:])
        columns, col_w, width, height = _columns_layout(nets, shapes, depth, fold, shown, size, strips)
        if width <= _MAX_WIDTH and height <= _MAX_HEIGHT:
            break
    canvas, x0, y0 = _frame(width, height, title, size, note=shown)
    for name, nodes in columns:
        left = nodes[0].x + x0
        canvas.text(left + nodes[0].w / 2, y0 - 0.05, name, ha="center", va="top", fontsize=size + 1,
                    weight="bold", gid=f"heading:{name}")
        canvas.text(left + nodes[0].w / 2, y0 - _HEADING_H + 0.02, f"input {_shape_text(shapes[name])}",
                    ha="center", va="top", fontsize=size - 1, color=_GREY, gid=f"input:{name}")
        for node in nodes:
            node.x += x0
            node.y += y0
            shape, node.shape = node.shape, ""  # beside the box, not in it
            canvas.box(node)
            if shown:
                canvas.text(node.x + node.w + 0.06, node.y + node.h / 2, shape, ha="left", va="center",
                            fontsize=size - 1, color=_GREY, gid=f"shape:{node.key}")
                node.shape = shape
        for a, b in zip(nodes, nodes[1:]):
            canvas.path([a.bottom, b.top])
    return _finish(canvas, note=shown)
