"""The canvas the architecture pictures are drawn on: boxes, arrows and text measured in inches.

The axes span the whole figure with one data unit per inch, so font sizes (points) and box sizes
(inches) can be measured against each other before anything is drawn, and no label can outgrow
its box. A layout (drawing.py, drawing_blocks.py) places _Node boxes, _fit picks the largest font
size at which it fits a slide, and _frame and _finish put a title above and the legend of the
colours below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:  # matplotlib is imported where a picture is drawn: `import course_utils` stays fast
    from matplotlib.figure import Figure


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
_GAP_X = 0.32       # inches between boxes along a row (the arrow), in a chain and in a block
_STRIP = 0.075      # width of a folded layer's strip of colour
_STRIP_MARGIN = 0.04  # between the strips and the box's right edge


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


# ---- drawing

class _Canvas:
    """Axes with one data unit per inch over a figure of the given size (or over a given axes)."""

    def __init__(self, width: float, height: float, size: float, ax=None):
        self.size = size
        self.own_figure = ax is None
        if ax is None:
            import matplotlib.pyplot as plt  # on first use: it costs about half a second

            self.fig = plt.figure(figsize=(width, height))
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


def _fit(make: Callable[[float], tuple[float, float]]) -> float:
    """The largest font size of _FONT_SIZES at which make(size) -> (width, height) fits the slide."""
    for size in _FONT_SIZES:
        width, height = make(size)
        if width <= _MAX_WIDTH and height <= _MAX_HEIGHT:
            return size
    return _FONT_SIZES[-1]


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


def _size_box(node: _Node, size: float, min_width: float = 0.8) -> None:
    """Set node.w and node.h to hold its label and shape (shape one point smaller, grey)."""
    lines = node.label.count("\n") + 1
    node.w = max(min_width, _label_width(node, size) + 2 * _PAD,
                 _text_width(node.shape, size - 1) + 2 * _PAD if node.shape else 0)
    node.h = lines * _line_height(size) + (_line_height(size - 1) if node.shape else 0) + 2 * _PAD


def _strips_width(node: _Node) -> float:
    """The room a box's folded-layer strips take at its right edge (none without folded layers)."""
    return len(node.folded) * _STRIP + _STRIP_MARGIN if node.folded else 0.0
