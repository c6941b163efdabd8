"""The course's branching blocks drawn from their inside, for plot_architecture.

Inception: four parallel paths from the input to a concatenation. Residual (BasicBlock): the main
path in a row and the shortcut in a row below, meeting at the addition. DenseBlock: each layer a
column whose input is carried over it into the concatenation. Each block has a layout (boxes
placed around (0, 0) at a font size) and a function that draws it at the largest size that fits.
"""
from __future__ import annotations

from torch import nn

from .drawing_canvas import _GAP_X, _Node, _finish, _fit, _frame, _size_box, _text_width
from .drawing_labels import _shape_text, layer_label
from .models import summary


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


# ---- shared by the blocks

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
