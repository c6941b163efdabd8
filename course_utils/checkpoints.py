"""Checkpoints: every training run of ``fit`` saved under its name and its configuration.

``fit(..., checkpoint=cu.checkpoint_path("lenet"))`` names a run. The file it writes also carries
the run's configuration (model, learning rate, epochs, data, ...), as a short key in the file
name: ``lenet-laptop.3f9a1c0b2e.pt``. So the lecture's run and an exercise that changes one
setting under the same name are two files, and neither overwrites the other:

    cu.list_runs("lenet")          # what is saved under a name: settings, epochs, accuracy, size
    cu.delete_runs("lenet-sgd")    # delete runs (older_than_days=... keeps recent ones)

Saved runs never take more than ``$COURSE_CHECKPOINT_LIMIT_MB`` (default 4000) in all: past it,
the runs used longest ago are deleted (and retrained when needed), never the one being written.
A file that cannot be read as a checkpoint (truncated, not written by fit, another version's)
is moved to ``<file>.unreadable`` with a message saying why, and the run trains afresh.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import torch
from torch import nn

from .history import History
from .runtime import checkpoint_dir

DEFAULT_LIMIT_MB = 4000
# What save() writes; a file without one of these was not written by this version.
_KEYS = ("key", "config", "finished", "model", "optimizer", "scheduler", "history")


def checkpoint_path(name: str, profile: str | None = None) -> Path:
    """The checkpoint name of a model under a profile, e.g. ``~/.cache/course_utils/checkpoints/lenet-laptop.pt``.

    Notebooks that train the same model with the same settings (for example the comparison
    notebook) find each other's finished runs under it. ``$COURSE_CHECKPOINT_DIR`` moves the folder.
    The runs themselves are saved beside it, one file per configuration (see ``run_file``).
    """
    from .profile import active_profile

    return checkpoint_dir() / f"{name}-{profile or active_profile()}.pt"


def config_key(config: dict) -> str:
    """A short, stable fingerprint of a run's configuration (what makes two runs the same run)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_file(path: str | Path, key: str) -> Path:
    """Where the run of configuration ``key`` under the checkpoint name ``path`` is saved."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{key[:10]}{path.suffix}")


def _runs_of(path: Path) -> list[Path]:
    """Every run saved under the name ``path`` (and a file of an older version at ``path`` itself)."""
    runs = sorted(path.parent.glob(f"{path.stem}.*{path.suffix}")) if path.parent.is_dir() else []
    runs = [p for p in runs if len(p.name) == len(path.name) + 11]  # <stem>.<10 hex digits><suffix>
    return runs + ([path] if path.is_file() else [])


class UnreadableCheckpoint(Exception):
    """A checkpoint file that fit cannot use; ``reason`` says why, in words for a student."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


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


def load_run(path: str | Path, map_location="cpu") -> dict:
    """The checkpoint at ``path`` as fit wrote it; raises UnreadableCheckpoint if it is not one."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # any failure to unpickle: truncated, garbage, refused objects
        raise UnreadableCheckpoint(path, _load_failure(error)) from None
    if not isinstance(state, dict):
        raise UnreadableCheckpoint(path, f"it holds a {type(state).__name__}, not a checkpoint written by fit")
    missing = [k for k in _KEYS if k not in state]
    if missing:
        raise UnreadableCheckpoint(path, f"it lacks {', '.join(missing)}: it was written by another "
                                         "version of course_utils, or not by fit")
    try:
        History.from_dict(state["history"])
    except (TypeError, ValueError) as error:
        raise UnreadableCheckpoint(path, f"its history does not fit this version of course_utils ({error})") from None
    return state


def check_fits_model(path: str | Path, net: nn.Module, weights: dict) -> None:
    """Raise UnreadableCheckpoint unless ``weights`` has exactly the names and shapes of net's state."""
    own = net.state_dict()
    if not isinstance(weights, dict) or set(weights) != set(own):
        raise UnreadableCheckpoint(path, "its weights have other names than this model's")
    for name, value in own.items():
        if not isinstance(weights[name], torch.Tensor) or weights[name].shape != value.shape:
            raise UnreadableCheckpoint(path, f"its weight {name} has another shape than this model's")


def set_aside(path: str | Path, reason: str) -> None:
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


def find_run(path: str | Path, key: str, net: nn.Module, map_location) -> tuple[Path, dict | None]:
    """The file of the run ``key`` under the name ``path``, and its state if one is saved there.

    A file of an older version saved at ``path`` itself is adopted when its configuration matches.
    An unreadable file, or one whose weights do not fit ``net``, is set aside (state None).
    """
    path = Path(path)
    target = run_file(path, key)
    candidates = [target] + ([path] if path.is_file() else [])
    for candidate in candidates:
        if not candidate.is_file():
            continue
        try:
            state = load_run(candidate, map_location)
            if state["key"] != key:
                continue  # the older version's single file holds another configuration: leave it
            check_fits_model(candidate, net, state["model"])
        except UnreadableCheckpoint as error:
            set_aside(candidate, error.reason)
            continue
        if candidate != target:
            candidate.replace(target)
        os.utime(target)  # "used now": the disk limit deletes the runs used longest ago first
        return target, state
    return target, None


def save_run(path: Path, key: str, config: dict, net: nn.Module, opt, sched, scaler, history: History,
         finished: bool) -> None:
    """Write the run atomically; a finished run keeps its weights and history, not the optimizer's state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = dict(key=key, config={k: str(v) for k, v in config.items()}, finished=finished,
                 model=net.state_dict(),
                 optimizer=None if finished else opt.state_dict(),
                 scheduler=None if finished else _scheduler_state(sched),
                 scaler=None if finished or scaler is None else scaler.state_dict(),
                 history=history.to_dict())
    partial = path.with_suffix(path.suffix + ".part")
    torch.save(state, partial)
    partial.replace(path)  # never leave a half-written checkpoint under the real name
    _keep_under_limit(path)


def _scheduler_state(sched) -> dict | None:
    """The scheduler's state without functions: before torch 2.4 OneCycleLR keeps its annealing
    function in state_dict(), which weights_only loading refuses; __init__ rebuilds it anyway."""
    if sched is None:
        return None
    return {k: v for k, v in sched.state_dict().items() if not callable(v)}


def _limit_bytes() -> int:
    value = os.environ.get("COURSE_CHECKPOINT_LIMIT_MB", "").strip()
    try:
        megabytes = float(value) if value else DEFAULT_LIMIT_MB
    except ValueError:
        raise ValueError(f"COURSE_CHECKPOINT_LIMIT_MB={value!r} should be a number of megabytes, "
                         f"e.g. {DEFAULT_LIMIT_MB}") from None
    return int(megabytes * 1e6)


def _keep_under_limit(keep: Path) -> None:
    """Delete the runs used longest ago until all runs fit the disk limit; never ``keep``."""
    files = sorted(keep.parent.glob("*.pt"), key=lambda p: p.stat().st_mtime)
    total, limit = sum(p.stat().st_size for p in files), _limit_bytes()
    for old in files:
        if total <= limit:
            break
        if old == keep:
            continue
        size = old.stat().st_size
        old.unlink()
        total -= size
        print(f"Deleted the saved run {old.name} ({size / 1e6:.0f} MB, used longest ago) to keep the "
              f"checkpoints under {limit / 1e6:.0f} MB (COURSE_CHECKPOINT_LIMIT_MB); it retrains when needed.")


def finished_run(path: str | Path) -> History | None:
    """The History of the finished run saved under the name ``path`` most recently used, or None.

    (To get the run of one configuration, call ``fit`` with it: a finished run loads at once.)
    A file that cannot be read counts as none: it says so and why.
    """
    for candidate in sorted(_runs_of(Path(path)), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            state = load_run(candidate)
        except UnreadableCheckpoint as error:
            print(f"Could not read the checkpoint {candidate}: {error.reason}. "
                  "fit() with this checkpoint will move it aside and train again.")
            continue
        if state["finished"]:
            return History.from_dict(state["history"])
    return None


def _matching(name: str) -> list[Path]:
    """The saved runs whose file name starts with ``name`` (a whole file name matches itself)."""
    folder = checkpoint_dir()
    pattern = name if name.endswith(".pt") else f"{name}*.pt"
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def list_runs(name: str = "", *, show: bool = True) -> list[dict]:
    """The saved runs whose file name starts with ``name`` ("" for all), as a table and as dicts.

    Each dict: file, finished, epochs (done/total), lr, optimizer, test_acc, size_mb, last_used.
    """
    runs = []
    for path in _matching(name):
        info = dict(file=path.name, size_mb=path.stat().st_size / 1e6,
                    last_used=time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime)))
        try:
            state = load_run(path)
        except UnreadableCheckpoint as error:
            runs.append(dict(info, finished=False, epochs="?", lr="?", optimizer="?", test_acc=None,
                             problem=error.reason))
            continue
        history, config = History.from_dict(state["history"]), state["config"]
        runs.append(dict(info, finished=state["finished"],
                         epochs=f"{len(history.epoch)}/{config.get('epochs', '?')}", lr=config.get("lr", "?"),
                         optimizer=config.get("optimizer", "?").strip("'"),
                         test_acc=history.test_acc[-1] if history.test_acc else None))
    if show:
        print(f"{len(runs)} saved run(s) in {checkpoint_dir()}" + (f" starting with {name!r}" if name else ""))
        for r in runs:
            acc = "-" if r["test_acc"] is None else f"{r['test_acc']:.3f}"
            state = "finished" if r["finished"] else r.get("problem", "unfinished")
            print(f"  {r['file']:44s} {state:10s} epochs {r['epochs']:>5s}  lr {r['lr']:>6s}  "
                  f"{r['optimizer']:5s} test acc {acc:5s}  {r['size_mb']:7.1f} MB  {r['last_used']}")
    return runs


def delete_runs(name: str, *, older_than_days: float = 0.0) -> list[Path]:
    """Delete the saved runs whose file name starts with ``name`` and that were last used more
    than ``older_than_days`` ago (0: all of them). Returns the deleted files and says which."""
    if not name:
        raise ValueError('name the runs to delete, e.g. delete_runs("lenet-sgd"); '
                         'delete_runs("", ...) is refused so that no call deletes every run by accident')
    cutoff = time.time() - older_than_days * 86400
    deleted = [p for p in _matching(name) if p.stat().st_mtime <= cutoff]
    for path in deleted:
        path.unlink()
    print(f"Deleted {len(deleted)} saved run(s) starting with {name!r}" +
          (f" last used over {older_than_days:g} day(s) ago" if older_than_days else "") +
          "".join(f"\n  {p.name}" for p in deleted))
    return deleted
