"""Pictures: learning curves, image grids, convolution filters, feature maps, activation stats.
(The architecture pictures, plot_architecture and plot_architectures, are drawing.py's.)
The learning curves' axes span at least a set range, so that a run that does not learn looks flat.

Every function draws with matplotlib and returns the Figure, so a notebook shows it and a
script can save it. matplotlib is imported on first use, so `import course_utils` stays fast.
"""
from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Mapping, Sequence

import torch

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
    ax_loss, ax_acc = axes
    if ax_loss.lines:
        _least_range(ax_loss, _LEAST_LOSS_RANGE * abs(ax_loss.dataLim.y1))
    if ax_acc.lines:
        _least_range(ax_acc, _LEAST_ACCURACY_RANGE, ceiling=1.0)


#: The least span of the learning curves' y axes. Autoscaled, the noise of a run that does not
#: learn (a loss between 2.3045 and 2.3075) fills the axis and looks like progress; on at least a
#: quarter of the largest loss, or 0.1 of accuracy, it looks as flat as it is. Curves that move
#: further still fill their axes.
_LEAST_LOSS_RANGE = 0.25  # times the largest loss on the axis
_LEAST_ACCURACY_RANGE = 0.1


def _least_range(ax, span: float, ceiling: float | None = None) -> None:
    """Widen the y axis of ax to at least span, around the curves' middle; not below 0 where the
    curves are not, and not above ceiling."""
    low, high = ax.get_ylim()
    if high - low >= span:
        return
    floor = min(0.0, ax.dataLim.y0)
    low = max((low + high - span) / 2, floor)
    high = low + span
    if ceiling is not None and high > ceiling:
        low, high = ceiling - span, ceiling
    ax.set_ylim(low, high)


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
        self.fig = Figure(figsize=(9, 2.5))
        self.axes = self.fig.subplots(1, 2)
        self.handle = display(self._png(), display_id=True)

    def _png(self):
        # Sent as a PNG, so it shows even before the inline backend has drawn any pyplot figure.
        from IPython.display import Image

        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=100)  # 900 px wide: legible on a slide; narrower windows scale it
        return Image(data=buffer.getvalue(), format="png")

    def redraw(self, history) -> None:
        for ax in self.axes:
            ax.clear()
        _draw_history(self.axes, history)
        _decorate(self.axes, self.epochs)
        self.fig.tight_layout()
        self.handle.update(self._png())

    def clear(self) -> None:
        """Remove the picture (a run that stopped before its first curve point)."""
        from IPython.display import HTML

        self.handle.update(HTML(""))


def plot_activation_stats(stats, title: str | None = None) -> Figure:
    """Mean (left) and standard deviation (right) of each recorded layer over training steps."""
    fig, (ax_mean, ax_std) = _plt().subplots(1, 2, figsize=(10, 3.2))
    means, stds = stats.means, stats.stds
    for i, name in enumerate(stats.names):
        ax_mean.plot(means[:, i].numpy(), label=name)
        ax_std.plot(stds[:, i].numpy(), label=name)
    every = "every batch" if stats.every == 1 else f"every {stats.every} batches"
    for ax, what in ((ax_mean, "mean"), (ax_std, "std")):  # short: a long label overran the axes
        ax.set_xlabel(f"recorded step ({every})")
        ax.set_ylabel(f"activation {what}")
        ax.grid(alpha=0.3)
    ax_std.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the curves, not on them
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
