"""Fashion-MNIST files (sources, checksums, errors) and the on-device loader.

Downloads go through torchvision's ``download_url``; the tests serve the files from a folder over
HTTP on localhost, or stand in for torchvision, so none needs the internet.
"""
import functools
import http.server
import shutil
import subprocess
import sys
import threading
import urllib.error
import warnings

import pytest
import torch
from torchvision.datasets import FashionMNIST
from torchvision.datasets import utils as tv_utils

from course_utils import data
from course_utils.data import DataNotFoundError, DeviceLoader, find_fashion_mnist, load_fashion_mnist

UNREACHABLE = ["http://127.0.0.1:9/"]  # nothing listens on the discard port: fails at once


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log in the test output
        pass


@pytest.fixture
def serve(tmp_path):
    """serve(folder) -> the URL of a mirror that serves that folder over HTTP on localhost."""
    servers = []

    def start(folder) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # torchvision first asks for each file only to follow redirects and hangs up mid-answer.
        server.handle_error = lambda request, client_address: None
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def official_dir():
    """The official files, found the way CI finds them ($COURSE_DATA_DIR)."""
    files = find_fashion_mnist(download=False)
    return next(iter(files.values())).parent


def test_official_files_are_accepted(official_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(official_dir))
    files = find_fashion_mnist(tmp_path / "cache", download=False)
    assert set(files) == set(data.FASHION_MNIST_FILES)
    for name, path in files.items():
        assert path == official_dir / name
        assert data.md5sum(path) == data.FASHION_MNIST_FILES[name]


def test_corrupt_file_is_reported_and_not_used(official_dir, monkeypatch, tmp_path, serve):
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    for name in data.FASHION_MNIST_FILES:
        shutil.copyfile(official_dir / name, bad_dir / name)  # not its read-only mode
    (bad_dir / "train-labels-idx1-ubyte.gz").write_bytes(b"not the real file")
    monkeypatch.setenv("COURSE_DATA_DIR", str(bad_dir))
    cache = tmp_path / "cache"
    # A mirror with the good files lets the download step replace the bad one.
    mirror = [serve(official_dir)]
    with pytest.warns(UserWarning, match="train-labels-idx1-ubyte.gz is corrupt"):
        files = find_fashion_mnist(cache, mirrors=mirror)
    assert files["train-labels-idx1-ubyte.gz"] == cache / "train-labels-idx1-ubyte.gz"
    assert data.md5sum(files["train-labels-idx1-ubyte.gz"]) == data.FASHION_MNIST_FILES["train-labels-idx1-ubyte.gz"]
    assert files["train-images-idx3-ubyte.gz"] == bad_dir / "train-images-idx3-ubyte.gz"


def test_corrupt_download_is_discarded(monkeypatch, tmp_path, serve):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    evil = tmp_path / "evil"
    evil.mkdir()
    for name in data.FASHION_MNIST_FILES:
        (evil / name).write_bytes(b"tampered")
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataNotFoundError, match="wrong MD5"):
            find_fashion_mnist(cache, mirrors=[serve(evil)])
    assert not any(cache.iterdir()), "a file that failed its checksum was kept"


def test_download_into_cache_then_reuse(official_dir, monkeypatch, tmp_path, serve):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    cache = tmp_path / "cache"
    first = find_fashion_mnist(cache, mirrors=UNREACHABLE + [serve(official_dir)])
    assert all(path.parent == cache for path in first.values())
    # Second time round nothing is downloaded: the cache is enough.
    second = find_fashion_mnist(cache, mirrors=UNREACHABLE)
    assert second == first


def test_offline_error_names_files_places_and_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    cache = tmp_path / "empty-cache"
    with pytest.raises(DataNotFoundError) as info:
        find_fashion_mnist(cache, mirrors=UNREACHABLE)
    message = str(info.value)
    for name in data.FASHION_MNIST_FILES:
        assert name in message
    assert str(cache) in message
    assert "COURSE_DATA_DIR" in message
    assert "127.0.0.1:9" in message and "download failed" in message


def test_md5s_are_torchvisions():
    assert data.FASHION_MNIST_FILES == dict(FashionMNIST.resources)


def test_downloads_from_torchvisions_mirrors_with_its_md5_check(official_dir, monkeypatch, tmp_path):
    """Stands in for the network: records what torchvision is asked for and fails the first mirror."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    calls = []

    def fake_download_url(url, root, filename=None, md5=None, **kwargs):
        calls.append((url, md5))
        if len(calls) == 1:
            raise urllib.error.URLError("no network in this test")
        shutil.copyfile(official_dir / filename, f"{root}/{filename}")  # as a download: writable

    monkeypatch.setattr(tv_utils, "download_url", fake_download_url)
    cache = tmp_path / "cache"
    files = find_fashion_mnist(cache)
    assert data.download_mirrors()[0] == FashionMNIST.mirrors[0]
    name = "train-images-idx3-ubyte.gz"
    assert calls[0] == (FashionMNIST.mirrors[0] + name, data.FASHION_MNIST_FILES[name])
    assert calls[1][0] == data.download_mirrors()[1] + name  # the next mirror
    assert all(md5 == data.FASHION_MNIST_FILES[url.rpartition("/")[2]] for url, md5 in calls)
    assert sorted(path.name for path in cache.iterdir()) == sorted(data.FASHION_MNIST_FILES)  # nothing else
    assert all(files[name] == cache / name for name in data.FASHION_MNIST_FILES)


def test_torchvision_is_imported_only_for_a_download():
    """Importing torchvision takes seconds: loading from COURSE_DATA_DIR or the cache never does it."""
    code = ("import sys, course_utils as cu; cu.load_fashion_mnist(256, device='cpu', train_subset=10); "
            "print('torchvision' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_data_dir_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError, match="nowhere"):
        find_fashion_mnist(tmp_path / "cache", download=False)


def test_loader_shapes_types_and_length():
    train_iter, test_iter = load_fashion_mnist(256)
    assert train_iter.num_examples == 60_000 and test_iter.num_examples == 10_000
    assert len(train_iter) == 235 and len(test_iter) == 40
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (256,) and y.dtype == torch.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    batches = list(test_iter)
    assert len(batches) == 40 and batches[-1][0].shape[0] == 10_000 - 39 * 256


def test_resize_subset_and_normalize():
    train_iter, test_iter = load_fashion_mnist(32, resize=64, train_subset=500, test_subset=100,
                                               normalize=True)
    X, y = next(iter(train_iter))
    assert X.shape == (32, 1, 64, 64)
    assert train_iter.num_examples == 500 and test_iter.num_examples == 100
    assert len(train_iter) == 16
    assert X.min() < 0  # normalized: background is below the mean
    # Bilinear resizing of the whole batch equals resizing each image on its own.
    raw = train_iter.images[:4].float() / 255
    one = torch.nn.functional.interpolate(raw[:1], size=(64, 64), mode="bilinear", align_corners=False)
    batch = torch.nn.functional.interpolate(raw, size=(64, 64), mode="bilinear", align_corners=False)
    torch.testing.assert_close(one[0], batch[0])


def test_normalizing_before_resizing_matches_the_textbook_order():
    images = torch.randint(0, 256, (8, 1, 28, 28), dtype=torch.uint8)
    X = DeviceLoader(images, torch.zeros(8, dtype=torch.int64), 8, resize=96, normalize=True).transform(images)
    resized = torch.nn.functional.interpolate(images.float() / 255, size=(96, 96), mode="bilinear",
                                              align_corners=False)
    torch.testing.assert_close(X, (resized - data.MEAN) / data.STD)


@pytest.mark.parametrize("size", [(224, 224), (96, 96), (32, 32), (16, 40), (7, 7)])
def test_resizing_by_matrix_products_equals_interpolate(size):
    X = torch.rand(5, 3, 28, 28)  # several channels too: each is resized on its own
    expected = torch.nn.functional.interpolate(X, size=size, mode="bilinear", align_corners=False)
    torch.testing.assert_close(data._bilinear_by_matmul(X, size), expected)


def test_transform_never_edits_the_data_it_is_given():
    images = torch.rand(4, 1, 28, 28)  # already float: a float() without a copy would be edited in place
    before = images.clone()
    DeviceLoader(images, torch.zeros(4, dtype=torch.int64), 4, normalize=True).transform(images)
    assert torch.equal(images, before)


def test_decoded_pixels_are_cached_under_the_md5_and_rebuilt_when_damaged(official_dir, tmp_path):
    name = "t10k-images-idx3-ubyte.gz"
    direct = data._read_idx(official_dir / name, 2051, 16)
    cache = tmp_path / "cache"
    first = data._decoded(official_dir / name, 2051, 16, cache)
    kept = cache / "decoded" / f"t10k-images-idx3-ubyte.{data.FASHION_MNIST_FILES[name]}.npy"
    assert kept.is_file() and first.flags.writeable
    assert (first == direct).all() and len(first) == 10_000 * 28 * 28
    assert (data._decoded(official_dir / name, 2051, 16, cache) == direct).all()  # read back
    kept.write_bytes(kept.read_bytes()[:1000])  # a truncated cache file, e.g. a full disk
    assert (data._decoded(official_dir / name, 2051, 16, cache) == direct).all()
    assert kept.stat().st_size > 1000  # written again, whole
    assert not list(kept.parent.glob("*.part"))


def test_a_cache_that_cannot_be_written_only_costs_time(official_dir, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    pixels = data._decoded(official_dir / "t10k-labels-idx1-ubyte.gz", 2049, 8, blocked)
    assert len(pixels) == 10_000 and pixels.max() == 9


def test_loader_reads_the_decoded_cache(official_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    data._load_split.cache_clear()
    _, test_iter = load_fashion_mnist(100)
    assert len(list((tmp_path / "fashion-mnist" / "decoded").glob("*.npy"))) == 4
    data._load_split.cache_clear()
    _, again = load_fashion_mnist(100)  # from the .npy files this time
    assert torch.equal(again.images, test_iter.images) and torch.equal(again.labels, test_iter.labels)


def test_shuffling_is_a_permutation_reproducible_and_new_each_epoch():
    images = torch.arange(100, dtype=torch.uint8).reshape(100, 1, 1, 1).expand(100, 1, 28, 28).contiguous()
    labels = torch.arange(100)
    loader = DeviceLoader(images, labels, 16, shuffle=True, seed=3)
    epoch1 = torch.cat([y for _, y in loader])
    epoch2 = torch.cat([y for _, y in loader])
    assert sorted(epoch1.tolist()) == list(range(100))
    assert not torch.equal(epoch1, epoch2)
    again = DeviceLoader(images, labels, 16, shuffle=True, seed=3)
    assert torch.equal(torch.cat([y for _, y in again]), epoch1)
    # Images travel with their labels.
    for X, y in DeviceLoader(images, labels, 16, shuffle=True):
        torch.testing.assert_close(X[:, 0, 0, 0] * 255, y.float())


def test_drop_last_and_bad_batch_size():
    images, labels = torch.zeros(10, 1, 28, 28, dtype=torch.uint8), torch.zeros(10, dtype=torch.int64)
    assert len(DeviceLoader(images, labels, 4)) == 3
    assert len(DeviceLoader(images, labels, 4, drop_last=True)) == 2
    with pytest.raises(ValueError, match="batch_size"):
        DeviceLoader(images, labels, 0)


def test_text_labels():
    assert data.text_labels(torch.tensor([0, 9, 3])) == ["t-shirt", "ankle boot", "dress"]
