"""Pictures of networks, drawn from the modules themselves: plot_architecture, plot_architectures.

plot_architecture draws one network as a chain of boxes, left to right and wrapping into rows:
the input, then one box per child (as ``summary`` lists them) with its kind, its key
hyperparameters and its output shape, coloured by kind. Given one of the course's branching
blocks on its own (Inception, Residual, DenseBlock), it draws the block's inside instead
(drawing_blocks.py). plot_architectures sets several networks side by side, each a column of
boxes on one scale (a box is a layer or a whole block, so length is not depth).

How: every label is measured before anything is drawn, in inches at a font size (drawing_canvas.py),
and the largest font size at which the layout fits a slide wins. What a layer or a block is
called ("conv 5×5, 6", "2 × residual, 128") comes from drawing_labels.py.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Callable, Mapping

from .drawing_blocks import _plot_dense_block, _plot_inception, _plot_residual
from .drawing_canvas import (_FONT_SIZES, _GAP_X, _GREY, _MAX_HEIGHT, _MAX_WIDTH, _PAD, _Canvas, _finish,
                             _fit, _frame, _label_width, _line_height, _Node, _size_box, _strips_width, _text_width)
from .drawing_labels import _describe, _shape_text, layer_label
from .models import BasicBlock, DenseBlock, Inception, summary

if TYPE_CHECKING:  # matplotlib is imported where a picture is drawn: `import course_utils` stays fast
    from matplotlib.figure import Figure


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


def plot_architectures(nets: Mapping[str, object], input_shapes, depth: int = 1, *, fold: bool = True,
                       show_shapes: bool | None = None, title: str | None = None) -> "Figure":
    """Several networks side by side on one scale, each a column of boxes from input (top) to output.

    nets: {"LeNet": cu.lenet(), "AlexNet": cu.alexnet()}; input_shapes: one shape for all, e.g.
    ``(1, 1, 224, 224)``, or {name: shape}. Every box has the same width and every line of text
    the same height. A box is one child of the network at `depth`: a layer, or a block of several
    layers (drawn in the block colour), so a column's length is not the network's depth when
    the networks are built from blocks to different degrees. fold (default): activations,
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


# ---- a network's children as boxes: what each one says

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


_MINOR = re.compile(r"^(\d+ × )?(ReLU|sigmoid|tanh|BN|flatten|dropout |(max|avg) pool |global .* pool)")


def _brief(items: list[str]) -> list[str]:
    """A block's one telling item, without what joined it: the first that is no activation,
    normalization, pooling, dropout or flatten ("conv 7×7 /2, 64", "2 × residual, 128")."""
    telling = [item for item in items if not _MINOR.match(item)] or items
    return [telling[0].split(" + ")[0]] if telling else []


def _wrap(items: list[str], width: float, size: float) -> list[str]:
    """Join items with " · " into lines no wider than width inches (an item longer stays whole)."""
    lines: list[str] = []
    for item in items:
        if lines and _text_width(f"{lines[-1]} · {item}", size) <= width:
            lines[-1] = f"{lines[-1]} · {item}"
        else:
            lines.append(item)
    return lines


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


# ---- a chain of children, left to right in rows

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


# ---- several networks side by side, top-down, on one scale

_FOLDED_KINDS = ("act", "norm", "other")  # elementwise layers (and flatten) that can share a box


def _fold(nodes: list[_Node]) -> list[_Node]:
    """Each activation, normalization, dropout or flatten joins the box before it, as d2l's figures
    draw them ("conv 5×5, 6 + sigmoid"); the box keeps the kind of its first layer, the last shape
    (a flatten leaves no trace: the box shows the shape before it)."""
    out: list[_Node] = []
    for node in nodes:
        if out and node.kind in _FOLDED_KINDS and out[-1].kind != "data" and "\n" not in node.label:
            head = out[-1]
            if node.label != "flatten":
                head.label = f"{head.label} + {node.label}" if "\n" not in head.label else f"{head.label}\n+ {node.label}"
                head.folded.append(node.kind)
                head.shape = node.shape
            # A flatten is left out, as in d2l's figures, and so is its shape: the box keeps the
            # shape its own layer made (256×5×5 after AlexNet's last pooling, not 6400).
            head.key = f"{head.key}+{node.key}"
        else:
            out.append(node)
    return out


_COLUMN_GAP = 0.25   # between networks
_STEP = 0.13         # between boxes in a column (the arrow)
_HEADING_H = 0.36    # a column's heading (the network's name)


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
