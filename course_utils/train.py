"""Training: pick a device, fit a classifier, evaluate it.

``fit`` is the lecture's loop (cross-entropy, minibatch SGD, Xavier initialization) with what
a student needs around it: a progress bar, a live learning curve in notebooks, a clear error
when the loss blows up, Ctrl-C that keeps what was learned, and optional checkpoints.

It reads numbers from the device only a few times per epoch: per-batch loss and accuracy are
summed on the device, so a GPU is never made to wait for Python to print a number.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .profile import rehearsal
from .runtime import checkpoint_dir, default_device


def checkpoint_path(name: str, profile: str | None = None) -> Path:
    """A checkpoint file per model and profile, e.g. ``~/.cache/course_utils/checkpoints/lenet-laptop.pt``.

    Notebooks that train the same model with the same settings (for example the comparison
    notebook) find each other's finished runs here. ``$COURSE_CHECKPOINT_DIR`` moves the folder.
    """
    from .profile import active_profile

    return checkpoint_dir() / f"{name}-{profile or active_profile()}.pt"


def finished_run(path: str | Path) -> History | None:
    """The History of a finished checkpoint at ``path``, or None if there is none (yet).

    A file that cannot be read as a checkpoint of ``fit`` counts as none: it says so and why,
    and ``fit`` with the same path moves it aside and trains again.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = _load_checkpoint(path, "cpu")
    except _UnreadableCheckpoint as error:
        print(f"Could not read the checkpoint {path}: {error.reason}. "
              "fit() with this checkpoint will move it aside and train again.")
        return None
    return History.from_dict(state["history"]) if state["finished"] else None


class _UnreadableCheckpoint(Exception):
    """A checkpoint file that fit cannot use; ``reason`` says why, in words for a student."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


# What _save_checkpoint writes; a file without one of these was not written by this version.
_CHECKPOINT_KEYS = ("key", "config", "finished", "model", "optimizer", "scheduler", "history")


def _load_failure(error: Exception) -> str:
    """Why torch.load failed, without PyTorch's advice to load untrusted pickles."""
    message = str(error)
    if "Weights only load failed" in message:
        return ("it holds Python objects besides tensors and numbers, which torch.load refuses to run "
                "for safety (fit never writes such a file: it may be a whole model saved with "
                "torch.save(net), or a file from elsewhere)")
    if isinstance(error, EOFError) or "central directory" in message or "zip archive" in message:
        return "it is truncated or corrupt (a copy or a save that did not finish?)"
    first_line = message.strip().splitlines()[0][:200] if message.strip() else ""
    return f"it is not a PyTorch file ({type(error).__name__}{': ' + first_line if first_line else ''})"


def _load_checkpoint(path: str | Path, map_location) -> dict:
    """The checkpoint at ``path`` as fit wrote it; raises _UnreadableCheckpoint if it is not one."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # any failure to unpickle: truncated, garbage, refused objects
        raise _UnreadableCheckpoint(path, _load_failure(error)) from None
    if not isinstance(state, dict):
        raise _UnreadableCheckpoint(path, f"it holds a {type(state).__name__}, not a checkpoint written by fit")
    missing = [k for k in _CHECKPOINT_KEYS if k not in state]
    if missing:
        raise _UnreadableCheckpoint(path, f"it lacks {', '.join(missing)}: it was written by another "
                                         "version of course_utils, or not by fit")
    try:
        History.from_dict(state["history"])
    except (TypeError, ValueError) as error:
        raise _UnreadableCheckpoint(path, f"its history does not fit this version of course_utils ({error})") from None
    return state


def _check_fits_model(path: str | Path, net: nn.Module, weights: dict) -> None:
    """Raise _UnreadableCheckpoint unless ``weights`` has exactly the names and shapes of net's state."""
    own = net.state_dict()
    if not isinstance(weights, dict) or set(weights) != set(own):
        raise _UnreadableCheckpoint(path, "its weights have other names than this model's")
    for name, value in own.items():
        if not isinstance(weights[name], torch.Tensor) or weights[name].shape != value.shape:
            raise _UnreadableCheckpoint(path, f"its weight {name} has another shape than this model's")


def _set_aside(path: str | Path, reason: str) -> None:
    """Move an unreadable checkpoint to ``<name>.unreadable`` and say so; fit then trains afresh."""
    path = Path(path)
    aside = path.with_name(path.name + ".unreadable")
    try:
        path.replace(aside)
    except OSError as error:
        raise RuntimeError(f"Could not read the checkpoint {path}: {reason}. Nor could it be moved "
                           f"aside ({error}). Delete it (rm '{path}') and run this cell again to "
                           "train from scratch.") from None
    print(f"Could not read the checkpoint {path}: {reason}. Moved it to {aside} (delete that file "
          "when you no longer need it); training from scratch.")


def init_xavier(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every Linear and Conv2d (use with net.apply)."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class DivergenceError(RuntimeError):
    """The training loss became infinite or NaN."""


@dataclass
class History:
    """What ``fit`` measured, one entry per finished epoch.

    wall_time is cumulative seconds since the start of training (evaluation included);
    examples_per_sec counts training examples over the epoch's training time, data included.
    ``curve`` holds (epoch as a fraction, train loss, train accuracy) at every live update.
    """
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    examples_per_sec: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    curve: list[list[float]] = field(default_factory=list)
    device: str = ""
    interrupted: bool = False

    def summary(self) -> str:
        if not self.epoch:
            return "no epoch finished"
        return (f"epoch {self.epoch[-1]}: loss {self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}, "
                f"test acc {self.test_acc[-1]:.3f}, {self.examples_per_sec[-1]:.0f} examples/sec "
                f"on {self.device}, {self.wall_time[-1]:.1f} s in all")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "History":
        return cls(**values)


def _accuracy_sums(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (y_hat.argmax(dim=1) == y).sum()


def _gpu_paths_by_default(device: torch.device) -> bool:
    """Whether amp and channels_last default to on: on CUDA, and in a rehearsal on the CPU too.

    A rehearsal (COURSE_REHEARSAL) runs what the lecture's GPU will run; the CPU does bf16
    autocast and channels-last as well (slowly, but every code path is taken).
    """
    return device.type == "cuda" or (device.type == "cpu" and rehearsal() is not None)


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


def evaluate_accuracy(net: nn.Module, data_iter: Iterable, device: str | torch.device | None = None,
                      amp: bool | None = None) -> float:
    """Fraction of correctly classified examples in data_iter; one device sync at the end."""
    device = torch.device(device) if device else next(net.parameters()).device
    amp = _gpu_paths_by_default(device) if amp is None else amp
    was_training = net.training
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        for X, y in _first_batches(data_iter):
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            correct += _accuracy_sums(net(X), y)
            count += len(y)
    net.train(was_training)
    return correct.item() / max(count, 1)


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


def _config_key(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fit(net: nn.Module, train_iter, test_iter, *, epochs: int, lr: float,
        device: str | torch.device | None = None, optimizer: str | Callable = "sgd",
        momentum: float = 0.0, weight_decay: float = 0.0, scheduler: str | None = None,
        init: str | None = "xavier", seed: int | None = 0, amp: bool | None = None,
        channels_last: bool | None = None, updates_per_epoch: int = 4, plot: bool | None = None,
        progress: bool = True, checkpoint: str | Path | None = None, verbose: bool = True,
        on_epoch_end: Callable[[int, History, nn.Module], bool | None] | None = None) -> History:
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
    amp, channels_last: bf16 autocast and channels-last memory layout; default on for CUDA only
               (and on the CPU in a rehearsal, COURSE_REHEARSAL, to take the GPU's code paths).
    updates_per_epoch: how often per epoch the device is synchronized to update the progress
               bar, the live plot and the divergence check (on a CPU the check runs every batch).
    plot:      live learning curves; default: on inside a Jupyter notebook.
    checkpoint: a file path. After every epoch the model, optimizer and history are saved there;
               a later call with the same configuration resumes, or returns at once if finished.
               A file that cannot be read (truncated, not fit's, another version's) is moved
               to ``<name>.unreadable``, with a message saying why, and training starts afresh.
    on_epoch_end: called after every finished epoch as ``on_epoch_end(epoch, history, net)``:
               epoch counts from 1, history already holds that epoch's test accuracy, net is the
               model being trained (in training mode; ``evaluate_accuracy`` may be called on it).
               Return True to stop training after this epoch (a checkpoint then counts as
               finished); None or False goes on. Not called for epochs loaded from a checkpoint.

    Returns a History. Raises DivergenceError if the loss becomes non-finite; Ctrl-C stops
    training and returns the history of the finished epochs, with the model as it is.
    """
    device = default_device(device)
    amp = _gpu_paths_by_default(device) if amp is None else amp
    channels_last = _gpu_paths_by_default(device) if channels_last is None else channels_last
    plot = _in_notebook() if plot is None else plot
    steps_per_epoch = len(train_iter)
    limits = rehearsal()
    if limits is not None:
        steps_per_epoch = min(steps_per_epoch, limits.batches)
    if steps_per_epoch == 0:
        raise ValueError("train_iter yields no batches")

    if seed is not None:
        torch.manual_seed(seed)
    if init == "xavier":
        net.apply(init_xavier)
    elif init is not None:
        raise ValueError(f"init must be 'xavier' or None, got {init!r}")
    net.to(device)
    if channels_last:
        net.to(memory_format=torch.channels_last)
    opt = _make_optimizer(optimizer, net.parameters(), lr, momentum, weight_decay)
    sched = _make_scheduler(scheduler, opt, lr, epochs * steps_per_epoch)

    history, start_epoch = History(device=str(device)), 0
    config = dict(model=repr(net), epochs=epochs, lr=lr, optimizer=repr(optimizer), momentum=momentum,
                  weight_decay=weight_decay, scheduler=scheduler, init=init, seed=seed,
                  steps_per_epoch=steps_per_epoch, batch_size=getattr(train_iter, "batch_size", None),
                  train_examples=getattr(train_iter, "num_examples", None),
                  resize=getattr(train_iter, "resize", None), normalize=getattr(train_iter, "normalize", None),
                  data_seed=getattr(train_iter, "seed", None))
    key = _config_key(config)
    state = None
    if checkpoint is not None and Path(checkpoint).is_file():
        try:
            state = _load_checkpoint(checkpoint, device)
            if state["key"] == key:
                _check_fits_model(checkpoint, net, state["model"])
        except _UnreadableCheckpoint as error:
            _set_aside(checkpoint, error.reason)
            state = None
    if state is not None:
        if state["key"] != key:
            print(f"Checkpoint {checkpoint} is from a different configuration; training from scratch "
                  "(it will be overwritten).")
        else:
            net.load_state_dict(state["model"])
            history = History.from_dict(state["history"])
            if state["finished"]:
                print(f"Loaded the finished run from {checkpoint}; skipping training (delete the file to retrain).")
                if plot:
                    from .plot import LivePlot
                    LivePlot(epochs).redraw(history)  # the curves of the run that was loaded
                if verbose:
                    print(history.summary())
                net.eval()
                return history
            opt.load_state_dict(state["optimizer"])
            if sched is not None:
                sched.load_state_dict(state["scheduler"])
            start_epoch = len(history.epoch)
            print(f"Resuming from {checkpoint} after epoch {start_epoch}.")
    if hasattr(train_iter, "epoch"):
        # Epoch e always sees the e-th shuffle: a re-run or a resumed run repeats the same batches.
        train_iter.epoch = start_epoch

    live = None
    if plot:
        from .plot import LivePlot
        live = LivePlot(epochs)
        if history.curve:
            live.redraw(history)

    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=epochs * steps_per_epoch, initial=start_epoch * steps_per_epoch,
                   desc="training", unit="batch", leave=False)

    update_every = max(1, steps_per_epoch // max(1, updates_per_epoch))
    sync_every = 1 if device.type == "cpu" else update_every  # reading a CPU tensor costs no sync
    elapsed = history.wall_time[-1] if history.wall_time else 0.0
    epoch, batch = start_epoch, 0
    try:
        for epoch in range(start_epoch, epochs):
            net.train()
            t0 = time.perf_counter()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), dtype=torch.int64, device=device)
            first_bad = torch.full((), -1, dtype=torch.int64, device=device)  # first non-finite batch
            count = 0
            for batch, (X, y) in enumerate(_first_batches(train_iter, steps_per_epoch)):
                X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
                y_hat, loss = _training_step(net, opt, X, y, amp=amp, channels_last=channels_last)
                if sched is not None:
                    sched.step()
                with torch.no_grad():
                    loss = loss.detach().float()
                    first_bad = torch.where((first_bad < 0) & ~torch.isfinite(loss),
                                            torch.tensor(batch, device=device), first_bad)
                    loss_sum += loss * len(y)
                    correct += _accuracy_sums(y_hat, y)
                count += len(y)
                last = batch == steps_per_epoch - 1
                if (batch + 1) % sync_every == 0 or last:
                    bad = int(first_bad)  # the sync: a few times per epoch on a GPU
                    if bad >= 0:
                        raise DivergenceError(
                            f"The loss became {loss.item()} at epoch {epoch + 1}, batch {bad + 1} (lr={lr}). "
                            f"The learning rate is probably too large for this model: try lr={lr / 10:g}, "
                            "or add batch normalization.")
                if (batch + 1) % update_every == 0 or last:
                    train_loss, train_acc = loss_sum.item() / count, correct.item() / count
                    history.curve.append([epoch + (batch + 1) / steps_per_epoch, train_loss, train_acc])
                    if bar is not None:
                        bar.update(batch + 1 - bar.n + epoch * steps_per_epoch)
                        bar.set_postfix(loss=f"{train_loss:.3f}", acc=f"{train_acc:.3f}")
                    if live is not None:
                        live.redraw(history)
            if device.type == "cuda":
                torch.cuda.synchronize()
            train_time = time.perf_counter() - t0
            test_acc = evaluate_accuracy(net, test_iter, device, amp=amp)
            elapsed += time.perf_counter() - t0
            history.epoch.append(epoch + 1)
            history.train_loss.append(loss_sum.item() / count)
            history.train_acc.append(correct.item() / count)
            history.test_acc.append(test_acc)
            history.examples_per_sec.append(count / train_time)
            history.wall_time.append(elapsed)
            if live is not None:
                live.redraw(history)
            stop = bool(on_epoch_end(epoch + 1, history, net)) if on_epoch_end is not None else False
            if checkpoint is not None:
                _save_checkpoint(checkpoint, key, config, net, opt, sched, history, stop or epoch + 1 == epochs)
            if stop:
                if epoch + 1 < epochs:
                    print(f"on_epoch_end stopped training after epoch {epoch + 1} of {epochs}.")
                break
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"\nInterrupted at epoch {epoch + 1}, batch {batch + 1}: returning the history of the "
              f"{len(history.epoch)} finished epoch(s); the model keeps the weights it has now.")
    finally:
        if bar is not None:
            bar.close()
    net.eval()
    if verbose:
        print(history.summary())
    return history


def _training_step(net: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor, *,
                   amp: bool, channels_last: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on a batch already on the device, as fit and training_throughput take it.

    X: (batch, channels, height, width) or (batch, features); y: (batch,). Returns (logits, loss).
    """
    if channels_last and X.dim() == 4:
        # Only images (batch, channels, height, width) have a channels-last layout;
        # a linear model's (batch, features) input is left as it is.
        X = X.contiguous(memory_format=torch.channels_last)
    with torch.autocast(X.device.type, dtype=torch.bfloat16, enabled=amp):
        y_hat = net(X)
        loss = F.cross_entropy(y_hat, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return y_hat, loss


def _scheduler_state(sched) -> dict | None:
    """The scheduler's state without functions: before torch 2.4 OneCycleLR keeps its annealing
    function in state_dict(), which weights_only loading refuses; __init__ rebuilds it anyway."""
    if sched is None:
        return None
    return {k: v for k, v in sched.state_dict().items() if not callable(v)}


def _save_checkpoint(path, key, config, net, opt, sched, history, finished) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = dict(key=key, config={k: str(v) for k, v in config.items()}, finished=finished,
                 model=net.state_dict(), optimizer=opt.state_dict(),
                 scheduler=_scheduler_state(sched),
                 history=history.to_dict())
    partial = path.with_suffix(path.suffix + ".part")
    torch.save(state, partial)
    partial.replace(path)  # never leave a half-written checkpoint under the real name


def training_throughput(net: nn.Module, input_shape: tuple[int, ...], *, warmup: int = 3, steps: int = 10,
                        num_classes: int = 10, device: str | torch.device | None = None,
                        amp: bool | None = None, channels_last: bool | None = None) -> float:
    """Training examples per second of whole steps (forward, backward, SGD update), set up as fit trains.

    input_shape: (batch, channels, height, width) of the random batch every step trains on.
    warmup:      untimed steps first: the first steps pay for memory allocation and kernel choice.
    steps:       timed steps. GPU work runs asynchronously, so the clock is read only after
                 synchronizing the GPU, before the first timed step and after the last.
    device, amp, channels_last: as in fit (bf16 autocast and channels-last by default on CUDA).
    In a rehearsal (COURSE_REHEARSAL) the batch and the step counts are cut to its limits.
    """
    if steps < 1 or warmup < 0:
        raise ValueError(f"need steps >= 1 and warmup >= 0, got steps={steps}, warmup={warmup}")
    device = default_device(device)
    amp = _gpu_paths_by_default(device) if amp is None else amp
    channels_last = _gpu_paths_by_default(device) if channels_last is None else channels_last
    limits = rehearsal()
    if limits is not None:
        input_shape = (min(input_shape[0], limits.batch_size or input_shape[0]), *input_shape[1:])
        warmup, steps = min(warmup, 1), min(steps, limits.batches)
    net = net.to(device).train()
    X = torch.randn(input_shape, device=device)
    y = torch.randint(0, num_classes, (input_shape[0],), device=device)
    if channels_last and X.dim() == 4:  # converted once: _training_step then has nothing to convert
        net, X = net.to(memory_format=torch.channels_last), X.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for i in range(warmup + steps):
        if i == warmup:
            sync()
            start = time.perf_counter()
        _training_step(net, opt, X, y, amp=amp, channels_last=channels_last)
    sync()
    return steps * input_shape[0] / (time.perf_counter() - start)


class ActivationStats(contextlib.AbstractContextManager):
    """Record the mean and standard deviation of chosen layers' outputs during training.

    with ActivationStats(layers, every=10) as stats:
        fit(...)
    stats.means, stats.stds: (recorded steps, layers), read from the device only at the end.
    Only forward passes in training mode are recorded, so evaluation does not show up.
    """

    def __init__(self, layers: Iterable[nn.Module], every: int = 1, names: list[str] | None = None):
        self.layers = list(layers)
        self.names = names or [f"{i}: {type(m).__name__}" for i, m in enumerate(self.layers)]
        self.every = every
        self._calls = [0] * len(self.layers)
        self._stats: list[list[torch.Tensor]] = [[] for _ in self.layers]
        self._handles = []

    def _hook(self, i: int):
        def hook(module, inputs, output):
            if not module.training:
                return
            if self._calls[i] % self.every == 0:
                out = output.detach().float()
                self._stats[i].append(torch.stack([out.mean(), out.std()]))
            self._calls[i] += 1
        return hook

    def __enter__(self) -> "ActivationStats":
        self._handles = [m.register_forward_hook(self._hook(i)) for i, m in enumerate(self.layers)]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()

    def _stacked(self) -> torch.Tensor:
        steps = min(len(s) for s in self._stats)
        if steps == 0:
            return torch.empty(0, len(self.layers), 2)
        return torch.stack([torch.stack(s[:steps]) for s in self._stats], dim=1).cpu()

    @property
    def means(self) -> torch.Tensor:
        return self._stacked()[..., 0]

    @property
    def stds(self) -> torch.Tensor:
        return self._stacked()[..., 1]
