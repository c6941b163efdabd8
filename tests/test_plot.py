"""The pictures: they draw what they are given, and refuse shapes they cannot draw."""
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
