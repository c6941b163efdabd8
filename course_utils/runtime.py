"""Where things run and where files go: the training device and the course's cache folders.

``data.py`` and ``train.py`` both need these, so they live here, below both, and neither of
those modules imports the other. Every folder can be moved with an environment variable:

- ``COURSE_DEVICE``: the device to train on (``cpu``, ``cuda``, ``cuda:1``, ``mps``);
- ``COURSE_CACHE_DIR``: the cache (default ``~/.cache/course_utils``);
- ``COURSE_CHECKPOINT_DIR``: the checkpoints (default ``<cache>/checkpoints``).

(``COURSE_DATA_DIR``, a read-only copy of the data set, is read by ``data.py`` alone.)
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

__all__ = ["default_device", "cache_root", "data_cache", "checkpoint_dir"]


def default_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train on: ``device`` or ``$COURSE_DEVICE`` if given, else CUDA, MPS, CPU."""
    device = device or os.environ.get("COURSE_DEVICE")
    if device:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def cache_root() -> Path:
    """Where the course keeps downloads and checkpoints: $COURSE_CACHE_DIR or ~/.cache/course_utils."""
    return Path(os.environ.get("COURSE_CACHE_DIR", Path.home() / ".cache" / "course_utils")).expanduser()


def data_cache(root: str | Path | None = None) -> Path:
    """The folder for downloads and decoded pixels: ``root`` if given, else ``<cache>/fashion-mnist``."""
    return Path(root).expanduser() if root is not None else cache_root() / "fashion-mnist"


def checkpoint_dir() -> Path:
    """The folder for checkpoints: $COURSE_CHECKPOINT_DIR, else ``<cache>/checkpoints``."""
    return Path(os.environ.get("COURSE_CHECKPOINT_DIR", cache_root() / "checkpoints")).expanduser()
