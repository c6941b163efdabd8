"""The pictures: they draw what they are given, and refuse shapes they cannot draw.
(The architecture pictures are tested in test_drawing.py.)"""
import subprocess
import sys

import matplotlib
import pytest
import torch

import course_utils as cu
from course_utils.train import History

matplotlib.use("Agg")


def test_show_images_with_titles():
    fig = cu.show_images(torch.rand(5, 1, 28, 28), titles=list("abcde"), ncols=3)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == list("abcde") and len(fig.axes) == 6  # 2 rows x 3, the last one blank
    with pytest.raises(ValueError, match="2 titles"):
        cu.show_images(torch.rand(3, 28, 28), titles=["a", "b"])
    with pytest.raises(ValueError, match="3 channels"):
        cu.show_images(torch.rand(2, 3, 28, 28))


def test_filters_keep_the_sign_of_each_weight():
    weight = torch.tensor([[[[1.0, -0.5], [0.0, 0.25]]]])
    image = cu.show_filters(weight).axes[0].images[0]
    assert image.get_clim() == (-1.0, 1.0)  # zero maps to the middle of the colour map
    grid = cu.show_filters(torch.randn(4, 3, 3, 3), in_channel=None)
    assert len(grid.axes) == 12 and grid.axes[4].get_title() == "out 1, in 1"
    with pytest.raises(ValueError, match="in_channel 5"):
        cu.show_filters(torch.randn(4, 3, 3, 3), in_channel=5)


def test_feature_maps_and_curves():
    fig = cu.show_feature_maps(torch.rand(1, 6, 14, 14))
    assert [ax.get_title() for ax in fig.axes] == [f"channel {i}" for i in range(6)]
    history = History(epoch=[1, 2], train_loss=[1.0, 0.5], train_acc=[0.6, 0.8], test_acc=[0.6, 0.7],
                      examples_per_sec=[1.0, 1.0], wall_time=[1.0, 2.0],
                      curve=[[0.5, 1.2, 0.5], [1, 1.0, 0.6], [2, 0.5, 0.8]])
    loss_ax, acc_ax = cu.plot_history(history).axes
    assert list(loss_ax.lines[0].get_ydata()) == [1.2, 1.0, 0.5]
    assert list(acc_ax.lines[1].get_ydata()) == [0.6, 0.7]
    both = cu.compare_histories({"a": history, "b": history})
    assert len(both.axes[1].lines) == 4


def curve_history(losses, accs, test_acc) -> History:
    """A History with one curve point every tenth of an epoch and test accuracy at each epoch's end."""
    epochs = len(test_acc)
    steps = [round(0.1 * (i + 1), 1) for i in range(len(losses))]
    return History(epoch=list(range(1, epochs + 1)), train_loss=losses[9::10], train_acc=accs[9::10],
                   test_acc=test_acc, examples_per_sec=[1.0] * epochs, wall_time=[1.0] * epochs,
                   curve=[list(point) for point in zip(steps, losses, accs)])


def flat_history() -> History:
    """A run that does not learn: the loss wanders between 2.3045 and 2.3075, accuracy at chance."""
    wander = [0.0, 0.7, 0.2, 1.0, 0.4, 0.9, 0.1, 0.6, 0.3, 0.8] * 2
    return curve_history([2.3045 + 0.003 * w for w in wander], [0.095 + 0.01 * w for w in wander], [0.1, 0.102])


def learning_history() -> History:
    """A run that learns: the loss falls from 2.3 to 0.4, the accuracy climbs from 0.1 to 0.85."""
    t = [i / 19 for i in range(20)]
    return curve_history([2.3 - 1.9 * x for x in t], [0.1 + 0.75 * x for x in t], [0.6, 0.84])


class FakeDisplay:
    """Stands in for IPython's display (outside a notebook it returns no handle to update)."""

    def __call__(self, obj, display_id=False):
        return self

    def update(self, obj):
        pass


def live_axes(history, monkeypatch, epochs: int = 2):
    """The axes of the live plot fit draws, after one redraw."""
    import IPython.display

    from course_utils.plot import LivePlot

    monkeypatch.setattr(IPython.display, "display", FakeDisplay())
    live = LivePlot(epochs)
    live.redraw(history)
    return live.axes


def test_flat_curves_look_flat(monkeypatch):
    history = flat_history()
    for loss_ax, acc_ax in (cu.plot_history(history).axes, cu.compare_histories({"a": history}).axes,
                            live_axes(history, monkeypatch)):
        low, high = loss_ax.get_ylim()
        assert high - low >= 0.5, f"the loss axis spans only {high - low:.4f}: noise would look like progress"
        assert low <= 2.3045 and 2.3075 <= high
        low, high = acc_ax.get_ylim()
        assert high - low >= 0.1 - 1e-9 and 0.0 <= low <= 0.095 and 0.105 <= high <= 1.0
    matplotlib.pyplot.close("all")


def test_moving_curves_still_fill_their_axes(monkeypatch):
    history = learning_history()
    for loss_ax, acc_ax in (cu.plot_history(history).axes, live_axes(history, monkeypatch)):
        for ax, (least, most) in ((loss_ax, (0.4, 2.3)), (acc_ax, (0.1, 0.85))):
            low, high = ax.get_ylim()
            assert low <= least and most <= high
            assert high - low <= 1.15 * (most - least), "a learning curve must not be squashed"
    # Near the top, the accuracy axis widens downwards: it does not run past 1.
    near_one = curve_history([0.1] * 10, [0.975 + 0.002 * (i % 3) for i in range(10)], [0.98])
    low, high = cu.plot_history(near_one).axes[1].get_ylim()
    assert high <= 1.0 and high - low >= 0.1 - 1e-9 and low <= 0.975
    matplotlib.pyplot.close("all")


def test_import_does_not_load_matplotlib():
    code = "import sys, course_utils; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
