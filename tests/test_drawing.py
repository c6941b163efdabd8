"""The architecture pictures (drawing.py): every lecture network and block is drawn with its layers,
labels, shapes and colours, nothing overlaps, and every picture fits a slide."""
from itertools import combinations

import matplotlib
import pytest
from torch import nn

import course_utils as cu

matplotlib.use("Agg")

# The lecture's networks at their lecture input sizes (narrow where the builder has a width: the
# picture's layout does not depend on it, and the forward pass that finds the shapes is faster).
LECTURE_NETS = {
    "lenet": (lambda: cu.lenet(), 28),
    "alexnet": (lambda: cu.alexnet(width=0.125), 224),
    "vgg11": (lambda: cu.vgg11(ratio=16, fc_width=64), 224),
    "nin": (lambda: cu.nin(width=0.125), 224),
    "googlenet": (lambda: cu.googlenet(width=0.125), 96),
    "lenet_bn": (lambda: cu.lenet_bn(), 28),
    "resnet18": (lambda: cu.resnet18(width=0.125), 96),
    "densenet": (lambda: cu.densenet(width=0.25), 96),
}
# The blocks as the notebooks show them.
LECTURE_BLOCKS = {
    "inception": (lambda: cu.Inception(192, c1=64, c2=(96, 128), c3=(16, 32), c4=32), (1, 192, 12, 12)),
    "residual": (lambda: cu.Residual(3, 3), (1, 3, 6, 6)),
    "residual_1x1": (lambda: cu.Residual(3, 6, stride=2), (1, 3, 6, 6)),
    "plain_block": (lambda: cu.BasicBlock(3, 3, residual=False), (1, 3, 6, 6)),
    "dense_block": (lambda: cu.DenseBlock(num_convs=2, in_channels=3, growth_rate=10), (1, 3, 8, 8)),
    "transition_block": (lambda: cu.transition_block(in_channels=23, out_channels=10), (1, 23, 8, 8)),
    "nin_block": (lambda: cu.nin_block(1, 96, 11, 4, 0), (1, 1, 224, 224)),
    "vgg_block": (lambda: cu.vgg_block(2, 3, 8), (1, 3, 16, 16)),
}
LEGEND = {"conv": "convolution", "pool": "pooling", "norm": "normalization", "act": "activation",
          "fc": "fully connected", "block": "block of several layers", "other": "other"}
SLIDE_INCHES = (12.4, 6.5)  # at the notebooks' 100 dpi: inside a 1280×720 slide


def shape_of(shape) -> str:
    return "×".join(str(s) for s in shape[1:])


def by_gid_of(ax) -> dict:
    """Every text and patch in ax that names what it shows ("label:conv1", "box:conv1", ...)."""
    return {a.get_gid(): a for a in [*ax.texts, *ax.patches] if a.get_gid()}


def by_gid(fig) -> dict:
    return by_gid_of(fig.axes[0])


def check_layout(fig):
    """No two texts overlap, every text lies inside the figure, every box's texts inside the box,
    no two boxes overlap, and the picture fits a slide."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.get_size_inches()
    assert width <= SLIDE_INCHES[0] and height <= SLIDE_INCHES[1], f"{width:.1f} x {height:.1f} in is larger than a slide"
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    extents = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    page = fig.bbox
    for text, box in extents:
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 and page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, \
            f"{text!r} is cut off at the figure's edge"
    for (a, box_a), (b, box_b) in combinations(extents, 2):
        assert not box_a.overlaps(box_b), f"the labels {a!r} and {b!r} overlap"
    artists = by_gid(fig)
    boxes = {gid[4:]: p.get_window_extent(renderer) for gid, p in artists.items() if gid.startswith("box:")}
    for (a, box_a), (b, box_b) in combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"the boxes of {a!r} and {b!r} overlap"
    for gid, artist in artists.items():  # a text clears every box but its own
        part, _, key = gid.partition(":")
        if isinstance(artist, matplotlib.text.Text) and artist.get_text().strip():
            extent = artist.get_window_extent(renderer)
            for other, box in boxes.items():
                assert other == key or not extent.overlaps(box), f"{artist.get_text()!r} runs into the box of {other!r}"
        if part in ("label", "detail") and key in boxes and not key == "add":
            inner, outer = artist.get_window_extent(renderer), boxes[key]
            assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1 and outer.y0 <= inner.y0 and inner.y1 <= outer.y1, \
                f"the text {artist.get_text()!r} sticks out of its box"


def check_colours(fig, expected: dict[str, str]):
    """Each box {key: kind} has the face colour the legend gives its kind."""
    legend = fig.axes[0].get_legend()
    colours = {text.get_text(): handle.get_facecolor()
               for text, handle in zip(legend.get_texts(), legend.legend_handles)}
    artists = by_gid(fig)
    for key, kind in expected.items():
        assert LEGEND[kind] in colours, f"the legend does not explain {kind} ({key})"
        assert artists[f"box:{key}"].get_facecolor() == colours[LEGEND[kind]], f"{key} is not coloured as a {kind}"
    assert set(colours) == {LEGEND[k] for k in expected.values()}, "the legend lists a colour no box has"


def expected_kind(module) -> str:
    """The kind a box must show, decided here from the module's class (not by drawing's code)."""
    if any(True for _ in module.children()):
        return "block"
    for classes, kind in [((nn.Conv2d,), "conv"), ((nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d), "pool"),
                          ((nn.BatchNorm1d, nn.BatchNorm2d, cu.BatchNorm), "norm"),
                          ((nn.ReLU, nn.Sigmoid), "act"), ((nn.Linear,), "fc")]:
        if isinstance(module, classes):
            return kind
    return "other"


@pytest.mark.parametrize("name", LECTURE_NETS)
def test_every_lecture_network_is_drawn_with_its_children_and_shapes(name):
    build, size = LECTURE_NETS[name]
    net = build()
    fig = cu.plot_architecture(net, (1, 1, size, size))
    try:
        artists = by_gid(fig)
        rows = cu.summary(net, (1, 1, size, size), print_table=False)
        kinds = {}
        for row in rows:
            child = net.get_submodule(row["name"])
            label = artists[f"label:{row['name']}"].get_text()
            if any(True for _ in child.children()):
                assert label, f"{name}.{row['name']}: a block without a heading"
            else:
                assert label == cu.layer_label(child)[1]
            assert artists[f"shape:{row['name']}"].get_text() == shape_of(row["output_shape"])
            kinds[row["name"]] = expected_kind(child)
        assert artists["shape:input"].get_text() == f"1×{size}×{size}"
        check_colours(fig, kinds)
        check_layout(fig)
    finally:
        matplotlib.pyplot.close(fig)


def test_deep_networks_collapse_their_stages():
    fig = cu.plot_architecture(cu.resnet18(width=0.125), (1, 1, 96, 96))
    artists = by_gid(fig)
    assert artists["label:stage2"].get_text() == "stage 2"
    assert artists["detail:stage2"].get_text() == "2 × residual, 16"  # 128 channels at width 1/8
    googlenet = by_gid(cu.plot_architecture(cu.googlenet(width=0.125), (1, 1, 96, 96)))
    assert googlenet["detail:b4"].get_text().startswith("5 × inception")
    densenet = by_gid(cu.plot_architecture(cu.densenet(width=0.25), (1, 1, 96, 96)))
    assert densenet["label:dense1"].get_text() == "dense block"
    assert densenet["label:transition1"].get_text() == "transition"
    matplotlib.pyplot.close("all")


def test_labels_name_kind_and_hyperparameters():
    assert cu.layer_label(nn.Conv2d(1, 96, 11, stride=4, padding=1)) == ("conv", "conv 11×11 /4, 96")
    assert cu.layer_label(nn.Conv2d(3, 6, 5, padding=2)) == ("conv", "conv 5×5, 6")
    assert cu.layer_label(nn.MaxPool2d(2)) == ("pool", "max pool 2×2 /2")
    assert cu.layer_label(nn.MaxPool2d(3, stride=1, padding=1)) == ("pool", "max pool 3×3")
    assert cu.layer_label(nn.AvgPool2d(2, 2)) == ("pool", "avg pool 2×2 /2")
    assert cu.layer_label(nn.AdaptiveAvgPool2d(1)) == ("pool", "global avg pool")
    assert cu.layer_label(nn.BatchNorm2d(6)) == cu.layer_label(cu.BatchNorm(6, 4)) == ("norm", "BN")
    assert cu.layer_label(nn.ReLU()) == ("act", "ReLU")
    assert cu.layer_label(nn.Linear(400, 120)) == ("fc", "dense 120")
    assert cu.layer_label(nn.Dropout(0.5)) == ("other", "dropout 0.5")
    assert cu.layer_label(nn.Flatten()) == ("other", "flatten")


@pytest.mark.parametrize("name", LECTURE_BLOCKS)
def test_every_block_is_drawn_from_its_inside(name):
    build, shape = LECTURE_BLOCKS[name]
    block = build()
    fig = cu.plot_architecture(block, shape)
    try:
        artists = by_gid(fig)
        # Every layer inside the block has its box, label and output shape.
        leaves = cu.summary(block, shape, depth=3, print_table=False)
        kinds = {}
        for row in leaves:
            layer = block.get_submodule(row["name"])
            assert artists[f"label:{row['name']}"].get_text() == cu.layer_label(layer)[1], row["name"]
            assert artists[f"shape:{row['name']}"].get_text() == shape_of(row["output_shape"]), row["name"]
            kinds[row["name"]] = expected_kind(layer)
        check_colours(fig, {**kinds, **{k[4:]: "act" for k in artists if k.startswith("box:relu")}})
        check_layout(fig)
    finally:
        matplotlib.pyplot.close(fig)


def centre(artist, renderer):
    box = artist.get_window_extent(renderer)
    return (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2


def test_inception_draws_four_paths_joined_by_a_concatenation():
    block = cu.Inception(192, c1=64, c2=(96, 128), c3=(16, 32), c4=32)
    fig = cu.plot_architecture(block, (1, 192, 12, 12))
    fig.canvas.draw()
    renderer, artists = fig.canvas.get_renderer(), by_gid(fig)
    rows = {round(centre(artists[f"box:branch{i}.0"], renderer)[1]) for i in range(1, 5)}
    assert len(rows) == 4, "the four paths must be parallel rows"
    assert artists["label:concat"].get_text() == "concat" and artists["shape:concat"].get_text() == "256×12×12"
    concat_x = centre(artists["box:concat"], renderer)[0]
    assert all(centre(artists[f"box:branch{i}.0"], renderer)[0] < concat_x for i in range(1, 5))
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("stride, shortcut", [(1, {"shortcut": "identity"}),
                                              (2, {"shortcut.0": "conv 1×1 /2, 6", "shortcut.1": "BN"})])
def test_residual_block_draws_main_path_and_shortcut_meeting_at_the_addition(stride, shortcut):
    block = cu.Residual(3, 3 if stride == 1 else 6, stride=stride)
    fig = cu.plot_architecture(block, (1, 3, 6, 6))
    fig.canvas.draw()
    renderer, artists = fig.canvas.get_renderer(), by_gid(fig)
    assert {key: artists[f"label:{key}"].get_text() for key in shortcut} == shortcut
    assert artists["label:add"].get_text() == "+"
    main_y = centre(artists["box:conv1"], renderer)[1]
    for key in shortcut:
        assert centre(artists[f"box:{key}"], renderer)[1] < main_y, "the shortcut runs beside (below) the main path"
    assert centre(artists["box:bn2"], renderer)[0] < centre(artists["box:add"], renderer)[0]
    plain = by_gid(cu.plot_architecture(cu.BasicBlock(3, 3, residual=False), (1, 3, 6, 6)))
    assert "box:add" not in plain and "box:shortcut" not in plain
    matplotlib.pyplot.close("all")


def test_dense_block_concatenates_each_output_to_its_input():
    fig = cu.plot_architecture(cu.DenseBlock(num_convs=2, in_channels=3, growth_rate=10), (1, 3, 8, 8))
    artists = by_gid(fig)
    assert [artists[f"shape:concat {i}"].get_text() for i in (1, 2)] == ["13×8×8", "23×8×8"]
    matplotlib.pyplot.close(fig)


def test_side_by_side_on_one_scale():
    """LeNet beside AlexNet as in the lecture: each box a layer with the activation, normalization
    or dropout after it ("conv 5×5, 6 + sigmoid"), its output shape beside it (a flatten's left
    out: AlexNet's last pooling shows 256×5×5, not 6400), one box width."""
    nets = {"LeNet": cu.lenet(), "AlexNet": cu.alexnet(width=0.125)}
    shapes = {"LeNet": (1, 1, 28, 28), "AlexNet": (1, 1, 224, 224)}
    fig = cu.plot_architectures(nets, shapes)
    try:
        fig.canvas.draw()
        renderer, artists = fig.canvas.get_renderer(), by_gid(fig)
        widths, drawn = set(), set()
        for name, net in nets.items():
            assert artists[f"heading:{name}"].get_text() == name
            assert artists[f"input:{name}"].get_text() == f"input {shape_of(shapes[name])}"
            rows = {row["name"]: row for row in cu.summary(net, shapes[name], print_table=False)}
            for gid in artists:
                if gid.startswith(f"box:{name}/"):
                    parts = gid.split("/", 1)[1].split("+")
                    key = gid[4:]
                    label = artists[f"label:{key}"].get_text().split("\n")[0]
                    assert label.startswith(cu.layer_label(net.get_submodule(parts[0]))[1])
                    # a flatten folded into a box leaves its shape out: the box shows its layer's own
                    shown = [p for p in parts if not isinstance(net.get_submodule(p), nn.Flatten)][-1]
                    assert artists[f"shape:{key}"].get_text() == shape_of(rows[shown]["output_shape"])
                    widths.add(round(artists[gid].get_window_extent(renderer).width))
                    drawn.update(parts)
            assert drawn >= set(rows) - {"flatten"}, f"{name}: a layer is missing"
        assert len(widths) == 1, "every box of both networks has the same width"
        check_layout(fig)
        unfolded = by_gid(cu.plot_architectures({"LeNet": nets["LeNet"]}, shapes["LeNet"], fold=False))
        assert [unfolded[f"label:LeNet/{n}"].get_text() for n in ("conv1", "act1", "pool1")] == \
            ["conv 5×5, 6", "sigmoid", "avg pool 2×2 /2"]
    finally:
        matplotlib.pyplot.close("all")


def test_all_eight_networks_fit_one_slide():
    nets = {name: build() for name, (build, _) in LECTURE_NETS.items()}
    shapes = {name: (1, 1, size, size) for name, (_, size) in LECTURE_NETS.items()}
    fig = cu.plot_architectures(nets, shapes)  # activations, BN and dropout share the box before them
    try:
        artists = by_gid(fig)
        assert all(artists[f"heading:{name}"].get_text() == name for name in nets)
        assert artists["label:lenet/conv1+act1"].get_text() == "conv 5×5, 6"
        assert "sigmoid" in artists["detail:lenet/conv1+act1"].get_text() \
            or "sigmoid" in artists["label:lenet/conv1+act1"].get_text()
        check_layout(fig)
    finally:
        matplotlib.pyplot.close(fig)


def test_draws_into_given_axes():
    fig, (left, right) = matplotlib.pyplot.subplots(1, 2, figsize=(14, 3))
    try:
        assert cu.plot_architecture(cu.vgg_block(2, 3, 8), (1, 3, 16, 16), ax=right) is fig
        assert by_gid_of(right)["label:4"].get_text() == "max pool 2×2 /2" and not left.texts
    finally:
        matplotlib.pyplot.close(fig)


def test_depth_two_draws_every_block_of_a_stage():
    net = cu.resnet18(width=0.125)
    fig = cu.plot_architecture(net, (1, 1, 96, 96), depth=2)
    try:
        artists = by_gid(fig)
        blocks = [artists[f"label:stage{s}.{b}"].get_text() for s in range(1, 5) for b in range(2)]
        assert blocks == ["residual, 8", "residual, 8", "residual, 16 /2", "residual, 16",
                          "residual, 32 /2", "residual, 32", "residual, 64 /2", "residual, 64"]
        check_layout(fig)
    finally:
        matplotlib.pyplot.close(fig)


def test_rows_asks_for_a_flatter_picture():
    net = cu.googlenet(width=0.125)
    free, flat = (cu.plot_architecture(net, (1, 1, 96, 96), rows=r) for r in (None, 1))
    try:
        fig_heights = free.get_size_inches()[1], flat.get_size_inches()[1]
        assert fig_heights[1] < fig_heights[0]
        y = {round(a.get_y(), 3) for gid, a in by_gid(flat).items() if gid.startswith("box:")}
        assert len(y) == 1, "rows=1 puts every box in one row"
        check_layout(flat)
        with pytest.raises(ValueError, match="rows must be at least 1"):
            cu.plot_architecture(net, (1, 1, 96, 96), rows=0)
    finally:
        matplotlib.pyplot.close("all")


def test_folded_layers_keep_their_colour_as_a_strip():
    fig = cu.plot_architectures({"LeNet + BN": cu.lenet_bn()}, (1, 1, 28, 28))
    try:
        artists = by_gid(fig)
        key = "LeNet + BN/conv1+bn1+act1"
        assert artists[f"label:{key}"].get_text().startswith("conv 5×5, 6")
        legend = fig.axes[0].get_legend()
        colours = {t.get_text(): h.get_facecolor() for t, h in zip(legend.get_texts(), legend.legend_handles)}
        assert artists[f"fold0:{key}"].get_facecolor() == colours["normalization"]
        assert artists[f"fold1:{key}"].get_facecolor() == colours["activation"]
        assert artists[f"fold0:{key}"].get_x() < artists[f"fold1:{key}"].get_x(), "strips in the label's order"
        check_layout(fig)
    finally:
        matplotlib.pyplot.close(fig)
