"""Shared pieces of the benchmark scripts: environment, machine description, d2l's data,
clocks that respect asynchronous devices, loader wrappers, and the JSON results files.

Every script imports this module first (``import common``): it fixes the environment before
torch, matplotlib or d2l are imported.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
SCRIPT = Path(os.path.abspath(sys.argv[0]))  # before any chdir (prepare_d2l_data changes it)
SHARED_DATA = REPO.parent / "shared" / "data" / "fashion-mnist"
FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# --------------------------------------------------------------------------------------
# Environment: set before torch / matplotlib / d2l are imported
# --------------------------------------------------------------------------------------

ORIGINAL_MPLBACKEND = os.environ.get("MPLBACKEND")  # what the user set, if anything


def _setup_environment() -> Path:
    """Headless plots, the offline data copy, and a private scratch folder for every cache.

    Returns the scratch folder. Nothing outside it (and benchmarks/results) is written:
    course_utils' cache and checkpoints, d2l's ../data, IPython's profile all live there.
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "COURSE_DATA_DIR" not in os.environ and SHARED_DATA.is_dir():
        os.environ["COURSE_DATA_DIR"] = str(SHARED_DATA)
    given = os.environ.get("BENCH_SCRATCH")
    scratch = Path(given or tempfile.mkdtemp(prefix="course-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    if not given and not os.environ.get("BENCH_KEEP"):
        # Our own folder: remove it when the script ends (BENCH_KEEP=1 keeps it, e.g. to read
        # the executed notebooks). make bench and gpu.sh share one folder and remove it themselves.
        import atexit
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ["BENCH_SCRATCH"] = str(scratch)  # child processes (notebooks) share it
    os.environ.setdefault("COURSE_CACHE_DIR", str(scratch / "course_cache"))
    # d2l's Animator creates an IPython shell, which would write its history under ~/.ipython.
    os.environ.setdefault("IPYTHONDIR", str(scratch / "ipython"))
    return scratch


SCRATCH = _setup_environment()

import warnings  # noqa: E402

# d2l asks for 4 DataLoader workers whatever the machine; that is the baseline, not news.
warnings.filterwarnings("ignore", message="This DataLoader will create")


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------

def base_parser(description: str, repeats: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="tiny repeat counts and batch limits: checks that the script works, "
                             "measures nothing (results are marked as a quick run)")
    parser.add_argument("--device", default=None,
                        help="training device (default: $COURSE_DEVICE, else CUDA, MPS, CPU)")
    if repeats:
        parser.add_argument("--repeats", type=int, default=None, help="timed repeats (median reported)")
    parser.add_argument("--no-save", action="store_true", help="print only; do not write results JSON")
    return parser


def command_line() -> str:
    """The command that made the figures, as one could type it again from the repository root."""
    try:
        script = str(SCRIPT.relative_to(REPO))
    except ValueError:
        script = str(SCRIPT)
    return " ".join(["python", script, *sys.argv[1:]])


# --------------------------------------------------------------------------------------
# Device and clocks
# --------------------------------------------------------------------------------------

def pick_device(name: str | None = None):
    import course_utils as cu
    return cu.default_device(name)


def synchronize(device) -> None:
    """Wait for queued device work, so that a clock read after it means something."""
    import torch
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def clock(device) -> float:
    synchronize(device)
    return time.perf_counter()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (d2l's DataLoader workers).

    Workers count once they have exited and been reaped, which DataLoader does when its
    iterator is dropped: read this after the loop that used them, and after gc.collect().
    Busy-waiting threads count too, so on a crowded machine it overstates the work.
    """
    import gc
    import resource
    gc.collect()
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------------------
# Machine description
# --------------------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (rev + ("+uncommitted changes" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info(device) -> dict:
    import torch
    device = torch.device(device)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = dict(
        host=socket.gethostname(),
        platform=platform.platform(),
        python=platform.python_version(),
        cpu=_cpu_model(),
        cpu_count=os.cpu_count(),
        usable_cpus=usable,
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        device=str(device),
        device_name=_cpu_model(),
        load_average_start=_load_average(),
        date=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        git=_git_revision(),
    )
    try:
        import torchvision
        info["torchvision"] = torchvision.__version__
    except ImportError:
        pass
    try:
        from importlib.metadata import version
        info["d2l"] = version("d2l")
    except Exception:
        info["d2l"] = None
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        info["device_name"] = torch.cuda.get_device_name(index)
        info["cuda"] = torch.version.cuda
    elif device.type == "mps":
        info["device_name"] = "Apple MPS"
    return info


# --------------------------------------------------------------------------------------
# Results files
# --------------------------------------------------------------------------------------

def save_results(name: str, device, payload: dict, args) -> Path | None:
    """Write benchmarks/results/<name>-<device type>.json and print where it went.

    One file per benchmark and device type, so a GPU run does not replace the CPU figures
    and a partial rerun replaces only its own file.
    """
    import torch
    payload = dict(payload)
    payload["machine"]["load_average_end"] = _load_average()
    payload.setdefault("quick", bool(getattr(args, "quick", False)))
    payload["command"] = command_line()
    if getattr(args, "no_save", False):
        print(json.dumps(payload, indent=1)[:4000])
        return None
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{torch.device(device).type}.json"
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {path.relative_to(REPO)}")
    return path


# --------------------------------------------------------------------------------------
# d2l: the baseline, with its data where it expects it
# --------------------------------------------------------------------------------------

def import_d2l():
    """d2l 1.0.3's torch module; a clear message if `make bench`'s setup has not installed it."""
    try:
        from d2l import torch as d2l
    except ImportError as error:
        raise SystemExit(
            f"d2l is not importable ({error}). Install the baseline with\n"
            "  .venv/bin/pip install --no-deps d2l==1.0.3 pandas requests scipy\n"
            "or run `make bench`, which does it.") from error
    return d2l


def prepare_d2l_data() -> Path:
    """Put the official Fashion-MNIST files where d2l's loader looks, offline, and go there.

    d2l.load_data_fashion_mnist reads torchvision.datasets.FashionMNIST(root="../data",
    download=True). We copy the four .gz files from $COURSE_DATA_DIR into
    <scratch>/d2l/data/FashionMNIST/raw/, let torchvision verify (MD5) and extract them (it
    downloads nothing when verified files are there), and change into <scratch>/d2l/work so
    that "../data" is that folder. Returns the data root.
    """
    source = Path(os.environ.get("COURSE_DATA_DIR", SHARED_DATA))
    root = SCRATCH / "d2l" / "data"
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in FASHION_FILES:
        target = raw / name
        if not target.is_file():
            if not (source / name).is_file():
                raise SystemExit(f"{source / name} is missing: set COURSE_DATA_DIR to a folder with "
                                 f"the four official Fashion-MNIST files ({', '.join(FASHION_FILES)}).")
            shutil.copyfile(source / name, target)
    import torchvision
    with contextlib.redirect_stdout(io.StringIO()):  # "Using downloaded and verified file"
        for train in (True, False):
            torchvision.datasets.FashionMNIST(root=str(root), train=train, download=True)
    work = SCRATCH / "d2l" / "work"
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    return root


def d2l_baseline(impls):
    """d2l, imported and with its data in place, when "d2l" is among the implementations; else None."""
    if "d2l" not in impls:
        return None
    d2l = import_d2l()
    prepare_d2l_data()
    return d2l


@contextlib.contextmanager
def quiet():
    """Capture stdout and stderr; yields the buffer.

    d2l's Animator prints a figure on every update and course_utils' progress bar writes to
    stderr: both still do their work, into a buffer instead of the terminal.
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


def close_figures() -> None:
    import matplotlib.pyplot as plt
    plt.close("all")


# --------------------------------------------------------------------------------------
# Loader wrappers
# --------------------------------------------------------------------------------------

class Limited:
    """The first `limit` batches of a loader (None: all of them); len() says how many.

    Used by --quick to shorten an epoch for both sides in the same way.
    """

    def __init__(self, loader, limit: int | None):
        self.loader, self.limit = loader, limit

    def __len__(self) -> int:
        n = len(self.loader)
        return n if self.limit is None else min(n, self.limit)

    def __iter__(self):
        for i, batch in enumerate(self.loader):
            if self.limit is not None and i >= self.limit:
                break
            yield batch

    def __getattr__(self, name):  # batch_size, num_examples, resize, seed, epoch ...
        return getattr(self.loader, name)


class TimedBatches:
    """Yield `warmup + windows * window` batches of a loader and time the windows.

    The consumer (fit, train_ch6, a bare loop) does not know it is timed: the clock is read
    (after a device synchronize) when the consumer asks for the first batch of a window, and
    when it asks for the batch after the window's last one, i.e. after that batch's training
    step was issued and, thanks to the synchronize, finished. So a window covers fetching,
    transforming and training on its batches. On a GPU the only extra synchronizations are
    at window edges; keep windows long there. On a CPU a window of 1 batch costs nothing.

    ``len()`` reports the wrapped loader's full length, so the consumer behaves as in the
    middle of a real epoch (d2l's plot and course_utils' progress updates happen every
    len // 5 or len // 4 batches, i.e. not inside a short timed stretch).
    """

    def __init__(self, loader, device, warmup: int, windows: int, window: int):
        self.loader, self.device = loader, device
        self.warmup, self.windows, self.window = warmup, windows, window
        self.times: list[float] = []  # seconds per window
        self.examples: list[int] = []  # examples per window

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        it = iter(self.loader)
        for _ in range(self.warmup):
            yield next(it)
        for _ in range(self.windows):
            t0, n = clock(self.device), 0
            for _ in range(self.window):
                X, y = next(it)
                n += len(y)
                yield X, y
            self.times.append(clock(self.device) - t0)
            self.examples.append(n)

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def rates(self) -> list[float]:
        return [n / t for n, t in zip(self.examples, self.times)]


def fmt(x, digits=1):
    if x is None:
        return "—"
    return f"{x:,.{digits}f}"


# --------------------------------------------------------------------------------------
# The lecture's architectures at their full settings (benchmarks 3 and 4)
# --------------------------------------------------------------------------------------

def architectures() -> dict[str, dict]:
    """name -> builder, input size, batch size, lr: the lecture's (d2l's) full settings.

    The same builder serves course_utils, d2l and the bare loop, so all train the same model.
    ``keywords`` map a notebook's file name to the model it trains (benchmark 4).
    """
    import course_utils as cu
    return {
        "LeNet": dict(build=lambda: cu.lenet(), size=28, batch=256, lr=0.9, keywords=("lenet",)),
        "LeNet-BN": dict(build=lambda: cu.lenet_bn(), size=28, batch=256, lr=0.1,
                         keywords=("batchnorm", "batch_norm", "batch-norm", "bn")),
        "AlexNet": dict(build=lambda: cu.alexnet(), size=224, batch=128, lr=0.01, keywords=("alexnet",)),
        "VGG-11/4": dict(build=lambda: cu.vgg11(ratio=4), size=224, batch=128, lr=0.05, keywords=("vgg",)),
        "NiN": dict(build=lambda: cu.nin(), size=224, batch=128, lr=0.1, keywords=("nin",)),
        "GoogLeNet": dict(build=lambda: cu.googlenet(), size=96, batch=128, lr=0.1,
                          keywords=("googlenet", "inception")),
        "ResNet-18": dict(build=lambda: cu.resnet18(), size=96, batch=128, lr=0.05, keywords=("resnet",)),
        "DenseNet": dict(build=lambda: cu.densenet(), size=96, batch=128, lr=0.1, keywords=("densenet",)),
    }


def training_flops_per_example(build, size: int) -> float:
    """3 x the forward FLOPs of one example: forward, and a backward pass costing about twice it."""
    import course_utils as cu
    return 3.0 * cu.flops(build(), (1, 1, size, size))
