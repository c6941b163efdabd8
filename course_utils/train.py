"""Training: fit a classifier, evaluate it, time it.

``fit`` is the lecture's loop: for every batch, forward, cross-entropy loss, backward, an
optimizer step; after every epoch, the test accuracy. Everything else a student needs around it
sits in small helpers below the loop: checkpoints (``checkpoints.py``), the number format
(``precision.py``), and ``_Watch``, which draws the progress bar and the live curves and stops a
run whose loss blew up.

It reads numbers from the device only a few times per epoch: per-batch loss and accuracy are
summed on the device, so a GPU is never made to wait for Python to print a number.
"""
from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoints import checkpoint_path, config_key, find_run, finished_run, save_run
from .history import History
from .precision import Precision, choose_precision
from .profile import rehearsal
from .runtime import default_device
from .shape_errors import explain_shape_errors

__all__ = ["fit", "evaluate_accuracy", "History", "DivergenceError", "TrainingStopped", "init_xavier",
           "checkpoint_path", "finished_run"]


def fit(net: nn.Module, train_iter, test_iter, *, epochs: int, lr: float,
        device: str | torch.device | None = None, optimizer: str | Callable = "sgd",
        momentum: float = 0.0, weight_decay: float = 0.0, scheduler: str | None = None,
        init: str | None = "xavier", seed: int | None = 0, precision: str | None = None,
        amp: bool | None = None, channels_last: bool | None = None, updates_per_epoch: int = 4,
        plot: bool | None = None, progress: bool = True, checkpoint: str | Path | None = None,
        verbose: bool = True, on_epoch_end: Callable[[int, History, nn.Module], bool | None] | None = None,
        ) -> History:
    """Train ``net`` on ``train_iter`` with cross-entropy and report accuracy on ``test_iter``.

    train_iter, test_iter: iterables of (X, y), X: (batch, channels, height, width), y: (batch,).
    init:      "xavier" (the lecture's default) re-initializes every Linear/Conv2d; None keeps
               the current weights, e.g. to continue training.
    seed:      seeds the initialization (None: leave the global generator alone).
    optimizer: "sgd" (lecture default, plain), "adam", "adamw", or a function params -> optimizer;
               momentum and weight_decay apply where the optimizer has them.
    scheduler: None (constant lr), "onecycle" or "cosine" (stepped every batch). Note that
               "onecycle" is PyTorch's OneCycleLR with its defaults: it also cycles SGD's momentum
               (Adam's beta1) between 0.95 and 0.85, whatever `momentum` says.
    precision: "bf16", "fp16" (with loss scaling), "fp32", or None: what the device does best
               (precision.py: bf16 on A100/H100-class GPUs, fp16 on T4/V100-class, fp32 on
               Apple GPUs and CPUs). amp=True/False is the older switch (mixed precision or fp32).
    channels_last: channels-last memory layout; default on where autocast is (CUDA 7.0 and up).
    updates_per_epoch: how often per epoch the device is synchronized to update the progress
               bar, the live plot and the divergence check (on a CPU the check runs every batch).
    plot:      live learning curves; default: on inside a Jupyter notebook.
    checkpoint: a name from ``checkpoint_path``. After every epoch the run is saved under it,
               in a file of its own per configuration (checkpoints.py): a later call with the
               same configuration resumes, or returns at once if finished; another configuration
               (an exercise that changes the learning rate) trains and keeps its own run.
    on_epoch_end: called after every finished epoch as ``on_epoch_end(epoch, history, net)``
               (epoch counts from 1; history holds that epoch's test accuracy). Return True to
               stop after this epoch (the run then counts as finished).

    Returns a History. Raises DivergenceError if the loss becomes non-finite, a ShapeError naming
    the layer if the model does not fit its input, and TrainingStopped (a KeyboardInterrupt) on
    Ctrl-C / Stop, after saving the finished epochs: the cell stops, and so do loops and Run All.
    """
    device = default_device(device)
    prec = choose_precision(device, precision, amp, channels_last)
    steps = _steps_per_epoch(train_iter)
    _initialize(net, init, seed)
    net.to(device, memory_format=torch.channels_last if prec.channels_last else torch.preserve_format)
    opt = _make_optimizer(optimizer, net.parameters(), lr, momentum, weight_decay)
    sched = _make_scheduler(scheduler, opt, lr, epochs * steps)
    scaler = prec.grad_scaler()
    config = _configuration(net, train_iter, steps, epochs=epochs, lr=lr, optimizer=optimizer,
                            momentum=momentum, weight_decay=weight_decay, scheduler=scheduler, init=init, seed=seed)
    run = _Run(checkpoint, config, net, device)
    history = run.resume(net, opt, sched, scaler) or History(device=str(device), precision=prec.description)
    plot = _in_notebook() if plot is None else plot
    if run.finished:
        return _report_loaded(net, history, run, epochs, plot, verbose)
    if verbose:
        print(f"Training on {prec.description}.")
    if hasattr(train_iter, "epoch"):  # epoch e always sees the e-th shuffle, also when resumed
        train_iter.epoch = len(history.epoch)
    watch = _Watch(history, epochs, steps, device, lr, plot, progress, updates_per_epoch, _run_name(net, checkpoint))
    try:
        for epoch in range(len(history.epoch), epochs):
            net.train()
            t0, sums = time.perf_counter(), _Sums(device)
            for batch, (X, y) in enumerate(_first_batches(train_iter, steps)):
                X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
                y_hat, loss = training_step(net, opt, X, y, prec, scaler)
                if sched is not None:
                    sched.step()
                sums.add(loss, y_hat, y, batch)
                watch.after_batch(epoch, batch, sums, scaler)
            watch.synchronize()
            train_time = time.perf_counter() - t0
            test_acc = evaluate_accuracy(net, test_iter, device, precision=prec.name)
            watch.elapsed += time.perf_counter() - t0
            loss_mean, acc = sums.means()
            history.add_epoch(epoch + 1, loss_mean, acc, test_acc, sums.count / train_time, watch.elapsed)
            watch.after_epoch()
            run.save(net, opt, sched, scaler, history, finished=epoch + 1 == epochs)
            if on_epoch_end is not None and on_epoch_end(epoch + 1, history, net) and epoch + 1 < epochs:
                run.save(net, opt, sched, scaler, history, finished=True)  # stopped early: finished
                print(f"on_epoch_end stopped training after epoch {epoch + 1} of {epochs}.")
                break
    except KeyboardInterrupt:
        watch.close()
        raise TrainingStopped(history, epochs, run.path) from None
    finally:
        watch.close()
    net.eval()
    if verbose:
        print(history.summary())
    return history


def training_step(net: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor,
                   prec: Precision, scaler=None) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on a batch already on the device, as fit and training_throughput take it.

    X: (batch, channels, height, width) or (batch, features); y: (batch,). Returns (logits, loss).
    With fp16 the loss is scaled before backward and the gradients unscaled before the step.
    """
    if prec.channels_last and X.dim() == 4:
        # Only images (batch, channels, height, width) have a channels-last layout;
        # a linear model's (batch, features) input is left as it is.
        X = X.contiguous(memory_format=torch.channels_last)
    with prec.autocast(), explain_shape_errors(net, X):
        y_hat = net(X)
        loss = F.cross_entropy(y_hat, y)
    opt.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        opt.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(opt)   # skipped if a gradient overflowed fp16
        scaler.update()    # then the scale is lowered
    return y_hat, loss


class DivergenceError(RuntimeError):
    """The training loss became infinite or NaN."""


class TrainingStopped(KeyboardInterrupt):
    """Training was stopped (Ctrl-C, Jupyter's Stop button); ``history`` holds the finished epochs.

    A KeyboardInterrupt, so that a loop over several runs and Run All stop too.
    """

    def __init__(self, history: History, epochs: int, path: Path | None):
        self.history = history
        history.interrupted = True
        done = len(history.epoch)
        where = f"Stopped during epoch {done + 1} of {epochs}"
        if done == 0:
            message = f"{where}, before any epoch finished: nothing to keep. Run the cell again to start over."
        elif path is not None:
            message = (f"{where}; epochs 1-{done} are saved in {path}. "
                       f"Run the cell again to resume after epoch {done}.")
        else:
            message = (f"{where}, after {done} finished epoch(s); without a checkpoint they are not saved. "
                       "Run the cell again to start over.")
        print(message)
        super().__init__(message)

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows below the line printed above: one line, not a traceback into fit.

        A Stop is not a bug, and the 20 lines of a traceback only repeat the message (IPython asks
        an exception for this method; Python outside Jupyter prints the usual traceback)."""
        return ["TrainingStopped: the cell stopped here, and Run All with it (the line above says what was kept)."]


# --------------------------------------------------------------------------------------
# The bookkeeping around the loop
# --------------------------------------------------------------------------------------

class _Sums:
    """Loss and accuracy of an epoch, summed on the device (reading them is a sync)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.loss = torch.zeros((), device=device)
        self.correct = torch.zeros((), dtype=torch.int64, device=device)
        self.first_bad = torch.full((), -1, dtype=torch.int64, device=device)  # first non-finite batch
        self.last_loss = self.loss
        self.count = 0

    def add(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor, batch: int) -> None:
        with torch.no_grad():
            loss = loss.detach().float()
            self.first_bad = torch.where((self.first_bad < 0) & ~torch.isfinite(loss),
                                         torch.tensor(batch, device=self.device), self.first_bad)
            self.loss += loss * len(y)
            self.correct += (y_hat.argmax(dim=1) == y).sum()
            self.last_loss = loss
        self.count += len(y)

    def means(self) -> tuple[float, float]:
        return self.loss.item() / self.count, self.correct.item() / self.count


class _Watch:
    """What the student sees while fit runs: progress bar, live curves, and the divergence check.

    Reads the device only every few batches (``updates_per_epoch``; every batch on the CPU,
    where reading costs nothing), so the GPU runs ahead of Python.
    """

    def __init__(self, history: History, epochs: int, steps: int, device: torch.device, lr: float,
                 plot: bool, progress: bool, updates_per_epoch: int, name: str):
        self.history, self.epochs, self.steps, self.device, self.lr = history, epochs, steps, device, lr
        self.elapsed = history.wall_time[-1] if history.wall_time else 0.0
        self.update_every = max(1, steps // max(1, updates_per_epoch))
        self.sync_every = 1 if device.type == "cpu" else self.update_every
        self.live = None
        if plot:
            from .plot import LivePlot
            self.live = LivePlot(epochs)
            if history.curve:
                self.live.redraw(history)
        self.bar, self.moved = None, False  # moved: a batch was shown (bar and plot updated)
        if progress:
            from tqdm.auto import tqdm
            done = len(history.epoch) * steps
            self.bar = tqdm(total=epochs * steps, initial=done, desc=f"training {name}", unit="batch", leave=False)
            _one_line(self.bar)

    def after_batch(self, epoch: int, batch: int, sums: _Sums, scaler) -> None:
        last = batch == self.steps - 1
        if (batch + 1) % self.sync_every == 0 or last:
            self._check(epoch, sums, scaler)
        if (batch + 1) % self.update_every == 0 or last:
            loss, acc = sums.means()
            self.history.curve.append([epoch + (batch + 1) / self.steps, loss, acc])
            self.moved = True
            if self.bar is not None:
                self.bar.update(batch + 1 - self.bar.n + epoch * self.steps)
                self.bar.set_postfix(loss=f"{loss:.3f}", acc=f"{acc:.3f}")
            if self.live is not None:
                self.live.redraw(self.history)

    def _check(self, epoch: int, sums: _Sums, scaler) -> None:
        bad = int(sums.first_bad)  # the sync: a few times per epoch on a GPU
        if bad >= 0:
            raise DivergenceError(
                f"The loss became {sums.last_loss.item()} at epoch {epoch + 1}, batch {bad + 1} (lr={self.lr}). "
                f"The learning rate is probably too large for this model: try lr={self.lr / 10:g}, "
                "or add batch normalization.")
        if scaler is not None and scaler.get_scale() < 1.0:
            # fp16's loss scaling skips steps whose gradients overflow and halves the scale; below
            # 1 the gradients overflow even unscaled: the run is diverging, with every step skipped.
            raise DivergenceError(
                f"The gradients overflow fp16 at every step (loss scale {scaler.get_scale():g}) at epoch "
                f"{epoch + 1} (lr={self.lr}): training is diverging. Try lr={self.lr / 10:g}, or precision='fp32'.")

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def after_epoch(self) -> None:
        if self.live is not None:
            self.live.redraw(self.history)

    def close(self) -> None:
        """End the progress bar. If not one batch was shown (a shape mistake in the first batch, or
        Stop at once), the bar at 0% and empty axes are removed: left, they look like a hung run."""
        if self.bar is not None:
            self.bar.close()
            if not self.moved and hasattr(self.bar, "container"):  # a notebook's widget bar
                self.bar.container.close()
            self.bar = None
        if self.live is not None and not self.history.curve:
            self.live.clear()
        self.live = None


def _one_line(bar) -> None:
    """Keep a notebook's progress bar on one line. By default JupyterLab wraps both of tqdm's texts
    ("training lenet-" / "laptop: 8%") even beside a short bar; here the texts keep their width,
    the bar takes what is left (100-400 px), and only a window too narrow for all three wraps."""
    box = getattr(bar, "container", None)  # only tqdm's notebook bar has one (a text bar has not)
    if box is None or len(getattr(box, "children", ())) != 3:
        return
    left, progress, right = box.children
    left.layout.min_width = right.layout.min_width = "max-content"
    progress.layout.flex, progress.layout.width, progress.layout.max_width = "1 1 100px", "auto", "400px"
    box.layout.flex_flow, box.layout.align_items = "row wrap", "center"


class _Run:
    """The checkpoint of one run: found (or set aside) at the start, saved after every epoch."""

    def __init__(self, checkpoint: str | Path | None, config: dict, net: nn.Module, device: torch.device):
        self.config, self.key = config, config_key(config)
        self.path, self.state, self.finished = None, None, False
        if checkpoint is not None:
            self.path, self.state = find_run(checkpoint, self.key, net, device)
            self.finished = bool(self.state and self.state["finished"])

    def resume(self, net: nn.Module, opt, sched, scaler) -> History | None:
        """Load the saved run into net (and, if unfinished, the optimizer); its History or None."""
        if self.state is None:
            return None
        net.load_state_dict(self.state["model"])
        history = History.from_dict(self.state["history"])
        if not self.finished:
            opt.load_state_dict(self.state["optimizer"])
            if sched is not None:
                sched.load_state_dict(self.state["scheduler"])
            if scaler is not None and self.state.get("scaler"):
                scaler.load_state_dict(self.state["scaler"])
            print(f"Resuming from {self.path} after epoch {len(history.epoch)}.")
        return history

    def save(self, net, opt, sched, scaler, history: History, finished: bool) -> None:
        if self.path is not None:
            save_run(self.path, self.key, self.config, net, opt, sched, scaler, history, finished)


def _report_loaded(net: nn.Module, history: History, run: _Run, epochs: int, plot: bool, verbose: bool) -> History:
    # The file's name, not its path (cu.list_runs() prints the folder), and two short lines: a
    # slide's output box breaks a long line anywhere, even inside a name.
    print(f"Loaded the finished run {run.path.name}; skipping training.\n"
          f"(To train it again: cu.delete_runs('{run.path.name}'), then run the cell again.)")
    if plot:
        from .plot import LivePlot
        LivePlot(epochs).redraw(history)  # the curves of the run that was loaded
    if verbose:
        print(history.summary())
    net.eval()
    return history


def _run_name(net: nn.Module, checkpoint: str | Path | None) -> str:
    """What the progress bar calls the run: its checkpoint name, else the model's class."""
    return Path(checkpoint).stem if checkpoint is not None else type(net).__name__


def _configuration(net: nn.Module, train_iter, steps: int, **settings) -> dict:
    """What makes two runs the same run (their checkpoints are then interchangeable)."""
    data = {k: getattr(train_iter, attr, None) for k, attr in
            (("batch_size", "batch_size"), ("train_examples", "num_examples"), ("resize", "resize"),
             ("normalize", "normalize"), ("data_seed", "seed"))}
    settings["optimizer"] = repr(settings["optimizer"])
    return dict(model=repr(net), **settings, steps_per_epoch=steps, **data)


def _steps_per_epoch(train_iter) -> int:
    steps = len(train_iter)
    limits = rehearsal()
    if limits is not None:
        steps = min(steps, limits.batches)
    if steps == 0:
        raise ValueError("train_iter yields no batches")
    return steps


def _initialize(net: nn.Module, init: str | None, seed: int | None) -> None:
    if seed is not None:
        torch.manual_seed(seed)
    if init == "xavier":
        net.apply(init_xavier)
    elif init is not None:
        raise ValueError(f"init must be 'xavier' or None, got {init!r}")


def init_xavier(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every Linear and Conv2d (use with net.apply)."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def _make_optimizer(optimizer: str | Callable, params, lr: float, momentum: float,
                    weight_decay: float) -> torch.optim.Optimizer:
    if callable(optimizer):
        return optimizer(params)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd', 'adam', 'adamw' or a function of the parameters, got {optimizer!r}")


def _make_scheduler(scheduler: str | None, opt: torch.optim.Optimizer, lr: float, total_steps: int):
    if scheduler is None:
        return None
    if scheduler == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps)
    if scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    raise ValueError(f"scheduler must be None, 'onecycle' or 'cosine', got {scheduler!r}")


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _first_batches(batches: Iterable, count: int | None = None) -> Iterable:
    """batches itself, or in a rehearsal only its first few, each cut to the rehearsal's size.

    (A DeviceLoader limits the number of batches itself; a plain list is limited here.)
    """
    limits = rehearsal()
    if limits is None:
        return batches
    first = itertools.islice(batches, min(limits.batches, count or limits.batches))
    if limits.batch_size is None:
        return first
    return ((X[:limits.batch_size], y[:limits.batch_size]) for X, y in first)


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------

def evaluate_accuracy(net: nn.Module, data_iter: Iterable, device: str | torch.device | None = None,
                      amp: bool | None = None, precision: str | None = None) -> float:
    """Fraction of correctly classified examples in data_iter; one device sync at the end.

    precision / amp: as in fit (default: the device's, see precision.py).
    """
    device = torch.device(device) if device else next(net.parameters()).device
    prec = choose_precision(device, precision, amp)
    was_training = net.training
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    with torch.no_grad(), prec.autocast():
        for X, y in _first_batches(data_iter):
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            correct += (net(X).argmax(dim=1) == y).sum()
            count += len(y)
    net.train(was_training)
    return correct.item() / max(count, 1)
