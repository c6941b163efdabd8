"""Fashion-MNIST, held in memory on the training device.

The whole data set is 70,000 images of 28x28 bytes: 55 MB as uint8. We keep it as one
tensor on the device that trains, shuffle by permuting indices, and convert and resize
whole batches there. No DataLoader workers, no PIL, no per-image Python.

Where the four official files come from, in order:

1. the folder named by ``COURSE_DATA_DIR`` (may be read-only, e.g. a shared copy);
2. the local cache (``root``, else ``COURSE_CACHE_DIR``, else ``~/.cache/course_utils``);
3. a download into that cache by torchvision's ``download_url``, from the mirrors torchvision
   lists for ``FashionMNIST`` (kept up to date there), then from Zalando's own repository.

Every file is checked against its official MD5; a file that fails is reported and not used.
torchvision is imported only for a download: importing it takes seconds, longer than reading
the whole data set from the cache, and a local file is checked just as well by ``hashlib``.
A verified file is decompressed once and its pixels kept in the cache as ``.npy`` (what
torchvision does with its raw files), so later runs start in milliseconds.
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .profile import rehearsal
from .runtime import data_cache, default_device

FASHION_MNIST_FILES = {  # name -> official MD5
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# The data set's home, tried after torchvision's mirrors (see download_mirrors).
ZALANDO = "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"
TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]
# Pixel statistics of the training set (in [0, 1]), for normalize=True.
MEAN, STD = 0.2860, 0.3530


class DataNotFoundError(FileNotFoundError):
    """No usable copy of a Fashion-MNIST file could be found or downloaded."""


def md5sum(path: str | Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(path: Path, expected_md5: str, report: list[str]) -> bool:
    """True if `path` exists and has the official checksum; a mismatch is reported."""
    if not path.is_file():
        report.append(f"{path}: not there")
        return False
    actual = md5sum(path)
    if actual != expected_md5:
        message = (f"{path} is corrupt or not the official file (MD5 {actual}, expected "
                   f"{expected_md5}); ignoring it. Delete it or replace it with the official file.")
        warnings.warn(message, stacklevel=3)
        report.append(f"{path}: MD5 mismatch ({actual}), not used")
        return False
    return True


def download_mirrors() -> list[str]:
    """Where Fashion-MNIST is downloaded from: torchvision's mirrors, then Zalando's repository."""
    from torchvision.datasets import FashionMNIST  # seconds to import: only when downloading

    return list(dict.fromkeys([*FashionMNIST.mirrors, ZALANDO]))


def _download(name: str, expected_md5: str, cache: Path, mirrors: Sequence[str] | None,
              report: list[str]) -> Path | None:
    """Download ``name`` into ``cache`` from the first mirror that serves the official file."""
    # Looked up at call time (not imported by name) so that tests can stand in for the network.
    from torchvision.datasets import utils as tv_utils

    staging = cache / ".download"  # only a verified file ever gets its real name in the cache
    try:
        staging.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        report.append(f"cache {cache}: cannot create it ({error})")
        return None
    partial = staging / name
    try:
        for mirror in download_mirrors() if mirrors is None else mirrors:
            url = mirror + name
            partial.unlink(missing_ok=True)
            try:
                # Checks the MD5 after downloading and raises RuntimeError if it is wrong.
                tv_utils.download_url(url, str(staging), filename=name, md5=expected_md5)
            except Exception as error:  # a network failure or a wrong file: try the next mirror
                if isinstance(error, RuntimeError) and partial.is_file():  # torchvision's MD5 check
                    report.append(f"{url}: downloaded file has the wrong MD5 ({md5sum(partial)}), discarded")
                else:
                    report.append(f"{url}: download failed ({type(error).__name__}: {error})")
                continue
            return partial.replace(cache / name)
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def find_fashion_mnist(root: str | Path | None = None, *, download: bool = True,
                       mirrors: Sequence[str] | None = None) -> dict[str, Path]:
    """Return a verified local path for each of the four official files.

    Looks in ``$COURSE_DATA_DIR``, then the cache ``root``, then downloads into ``root`` (from
    ``mirrors``, URLs of folders; by default :func:`download_mirrors`).
    Raises DataNotFoundError naming every file and place it tried, and what to do.
    """
    cache = data_cache(root)
    data_dir = os.environ.get("COURSE_DATA_DIR")
    found, report = {}, []
    for name, md5 in FASHION_MNIST_FILES.items():
        places = ([Path(data_dir).expanduser() / name] if data_dir else []) + [cache / name]
        path = next((p for p in places if _verified(p, md5, report)), None)
        if path is None and download:
            path = _download(name, md5, cache, mirrors, report)
        if path is not None:
            found[name] = path
    missing = [name for name in FASHION_MNIST_FILES if name not in found]
    if missing:
        tried = "\n".join(f"  - {line}" for line in report)
        raise DataNotFoundError(
            f"Could not get the Fashion-MNIST file(s) {', '.join(missing)}.\n"
            f"COURSE_DATA_DIR is {'set to ' + repr(data_dir) if data_dir else 'not set'}; "
            f"cache folder: {cache}; downloads {'tried' if download else 'switched off'}.\n"
            f"What was tried:\n{tried}\n"
            "To fix it: connect to the internet and run again, or copy the four official files "
            f"({', '.join(FASHION_MNIST_FILES)}) into a folder and set COURSE_DATA_DIR to it "
            "(e.g. export COURSE_DATA_DIR=/path/to/fashion-mnist)."
        )
    return found


def _read_idx(path: Path, magic: int, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if int.from_bytes(raw[:4], "big") != magic:
        raise ValueError(f"{path} is not an IDX file of the expected kind (magic number)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def _decoded(path: Path, magic: int, header: int, cache: Path | None) -> np.ndarray:
    """The bytes after the IDX header of a verified ``.gz`` file, as a writable uint8 array.

    Decompressing the 26 MB of training images takes about a third of a second, as long as
    a whole LeNet batch step dozens of times over; the result is kept in ``cache/decoded/``
    under the file's official MD5, so a changed or replaced file can never be served from it.
    A cache that cannot be written is only a missed speed-up.
    """
    md5 = FASHION_MNIST_FILES.get(path.name)
    kept = cache / "decoded" / f"{path.name.removesuffix('.gz')}.{md5}.npy" if cache and md5 else None
    if kept is not None and kept.is_file():
        try:
            array = np.load(kept)
            if array.dtype == np.uint8 and array.ndim == 1:
                return array
        except (OSError, ValueError):  # truncated or not ours: decode again below
            pass
    array = _read_idx(path, magic, header).copy()  # frombuffer is read-only; torch wants writable
    if kept is not None:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(kept.name + ".part")
            with open(partial, "wb") as f:
                np.save(f, array)
            partial.replace(kept)  # never leave a half-written file under the real name
        except OSError:
            pass
    return array


@lru_cache(maxsize=2)
def _load_split(images: Path, labels: Path, cache: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One split, once per process: X uint8 (n, 1, 28, 28), y int64 (n,)."""
    pixels = _decoded(images, 2051, 16, cache)
    if pixels.size % (28 * 28):
        raise ValueError(f"{images} holds {pixels.size} pixels, not a whole number of 28x28 images")
    X = torch.from_numpy(pixels).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(_decoded(labels, 2049, 8, cache).astype(np.int64))
    if len(X) != len(y):
        raise ValueError(f"{images} has {len(X)} images but {labels} has {len(y)} labels")
    return X, y


@lru_cache(maxsize=8)
def _resize_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """Bilinear resizing along one axis as a matrix (n_out, n_in): row i weights output pixel i.

    Made by F.interpolate itself from the identity, so it holds exactly its weights.
    """
    eye = torch.eye(n_in).reshape(n_in, 1, n_in, 1)  # n_in one-pixel "images", one column each
    columns = F.interpolate(eye, size=(n_out, 1), mode="bilinear", align_corners=False)
    return columns.reshape(n_in, n_out).T.contiguous()


def _bilinear_by_matmul(X: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """F.interpolate(X, size, mode="bilinear", align_corners=False), as two matrix products.

    X: (batch, channels, h, w) float -> (batch, channels, H, W). Bilinear resizing acts on each
    axis separately and linearly: Y = R_h X R_w^T. On a CPU the matrix library does this about
    a quarter faster than interpolate's per-pixel loop for Fashion-MNIST at 224x224.
    """
    (b, c, h, w), (H, W) = X.shape, size
    # The cached matrices live on the CPU; moved to X (a no-op there) so any device can use them.
    R_h, R_w = _resize_matrix(h, H).to(X.device, X.dtype), _resize_matrix(w, W).to(X.device, X.dtype)
    rows = X.reshape(-1, w) @ R_w.T                       # (batch * channels * h, W)
    return torch.matmul(R_h, rows.reshape(b * c, h, W)).reshape(b, c, H, W)


class DeviceLoader:
    """Minibatches from a uint8 image tensor that already lives on the device.

    Yields ``(X, y)``: X float32 (batch, 1, H, W) in [0, 1] (or normalized), y int64 (batch,).
    Each pass over a shuffled loader uses a new permutation, reproducible from ``seed``.
    In a rehearsal (``COURSE_REHEARSAL``, see ``profile.rehearsal``) a pass is only its first
    few batches (``len`` counts them, ``num_examples`` their examples at the full batch size). A
    shuffled (training) loader then also cuts each batch to the rehearsal's batch size, as ``fit``
    does, so that a training loop written in a notebook sees the batches ``fit`` sees; an
    unshuffled one keeps whole batches, because notebooks take their pictures from the first test batch.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, *,
                 shuffle: bool = False, resize: int | tuple[int, int] | None = None,
                 normalize: bool = False, seed: int = 0, drop_last: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.resize = (resize, resize) if isinstance(resize, int) else resize
        self.normalize, self.seed = normalize, seed
        self.epoch = 0  # how many shuffled passes have started; fit() sets it when resuming

    @property
    def device(self) -> torch.device:
        return self.images.device

    @property
    def num_examples(self) -> int:
        """Examples in one pass: all of them, or a rehearsal's few batches."""
        limits = rehearsal()
        return len(self.labels) if limits is None else min(len(self.labels), limits.batches * self.batch_size)

    def __len__(self) -> int:
        n, b = self.num_examples, self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        """uint8 (batch, 1, 28, 28) -> float32 (batch, 1, H, W), the whole batch at once."""
        X = X.to(torch.float32, copy=True).div_(255)  # a copy even if X was float: never edit the data
        if self.normalize:
            # Before resizing: bilinear weights sum to one, so the result is the same, and
            # 28x28 is up to 64 times fewer pixels to touch than 224x224.
            X = X.sub_(MEAN).div_(STD)
        if self.resize is not None and tuple(X.shape[-2:]) != tuple(self.resize):
            if X.device.type == "cpu":
                X = _bilinear_by_matmul(X, self.resize)
            else:
                X = F.interpolate(X, size=self.resize, mode="bilinear", align_corners=False)
        return X

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.shuffle:
            # The permutation is drawn on the CPU so that every device sees the same order.
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(len(self.labels), generator=g).to(self.device)
            self.epoch += 1
        else:
            order = None
        limits = rehearsal()
        cut = limits.batch_size if self.shuffle and limits is not None else None
        for i in range(len(self)):
            idx = slice(i * self.batch_size, (i + 1) * self.batch_size)
            if order is not None:
                idx = order[idx][:cut]
            yield self.transform(self.images[idx]), self.labels[idx]

    def __repr__(self) -> str:
        return (f"DeviceLoader({self.num_examples} examples, batch_size={self.batch_size}, "
                f"{len(self)} batches, resize={self.resize}, shuffle={self.shuffle}, device={self.device})")


def _subset(X: torch.Tensor, y: torch.Tensor, size: int | None, seed: int):
    if size is None or size >= len(y):
        return X, y
    if size < 1:
        raise ValueError(f"a subset needs at least one example, got {size}")
    keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:size]
    return X[keep], y[keep]


def load_fashion_mnist(batch_size: int, resize: int | tuple[int, int] | None = None, *,
                       root: str | Path | None = None, device: str | torch.device | None = None,
                       train_subset: int | None = None, test_subset: int | None = None,
                       normalize: bool = False, seed: int = 0, download: bool = True,
                       ) -> tuple[DeviceLoader, DeviceLoader]:
    """Fashion-MNIST as ``(train_iter, test_iter)``, kept on ``device``.

    batch_size:   examples per batch; ``len(train_iter)`` is the number of batches.
    resize:       side length (or (H, W)) to which whole batches are resized on the device.
    root:         cache folder for downloads (default ``~/.cache/course_utils/fashion-mnist``).
    device:       where the data lives; by default the training device (``default_device()``).
    train_subset: use a fixed random subset of this many training images (small profiles).
    test_subset:  likewise for the 10,000 test images.
    normalize:    subtract the training mean and divide by its std (otherwise pixels are in [0, 1]).
    seed:         fixes the subsets and the shuffling order of every epoch.
    """
    device = default_device(device)
    files = find_fashion_mnist(root, download=download)
    cache = data_cache(root)
    X_train, y_train = _load_split(files["train-images-idx3-ubyte.gz"], files["train-labels-idx1-ubyte.gz"], cache)
    X_test, y_test = _load_split(files["t10k-images-idx3-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"], cache)
    X_train, y_train = _subset(X_train, y_train, train_subset, seed)
    X_test, y_test = _subset(X_test, y_test, test_subset, seed + 1)
    common = dict(resize=resize, normalize=normalize, seed=seed)
    train_iter = DeviceLoader(X_train.to(device), y_train.to(device), batch_size, shuffle=True, **common)
    test_iter = DeviceLoader(X_test.to(device), y_test.to(device), batch_size, shuffle=False, **common)
    return train_iter, test_iter


def text_labels(y: torch.Tensor | Sequence[int]) -> list[str]:
    """Class names for labels y: (n,) ints in 0..9."""
    return [TEXT_LABELS[int(i)] for i in y]
