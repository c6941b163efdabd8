"""No tensor made on the CPU meets data on the GPU, checked on a CPU-only machine (issue 10).

Two checks, both quick:

- static: inside every function of the notebooks (solutions included) and of course_utils, a
  torch factory sized from a tensor argument (``torch.rand(len(X))``, ``torch.zeros(X.shape[0])``,
  ``n, c, h, w = X.shape; torch.arange(h)``) must say where it goes (``device=``, or a
  ``.to(...)`` around it); and a draw with ``generator=`` must not ask for the data's device
  (``device=X.device``), since a CPU generator cannot draw on a GPU.
- dynamic: course_utils' loading, training, layers and models run with their data on a fake
  second device under ``device_check.DeviceMixCheck``, which raises where a host tensor meets
  device data. The rehearsal (``make rehearse``) runs every notebook under the same check.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_utils as cu
from device_check import FAKE_DEVICE, DeviceMixError, simulated_device

ROOT = Path(__file__).resolve().parents[1]
FACTORIES = {"rand", "randn", "randint", "zeros", "ones", "full", "arange", "tensor", "empty",
             "linspace", "logspace", "eye", "normal", "empty_strided"}
# randperm is left out on purpose: a CPU permutation may index GPU data (X[order]), as CUDA allows.
SIZE_ATTRIBUTES = {"shape", "size", "numel", "dim"}


# -----------------------------------------------------------------------------
# static check


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _moved(call: ast.Call, parents: dict) -> bool:
    """Whether the call sits inside ``(...).to(...)`` in its own statement."""
    node = call
    while node in parents and not isinstance(node, ast.stmt):
        node = parents[node]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "to"
                and call in ast.walk(node.func.value)):
            return True
    return False


def _function_issues(fn: ast.FunctionDef, parents: dict) -> list[tuple[int, str]]:
    args = fn.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} - {"self", "cls"}
    sized_names: set[str] = set()

    def sized(expr: ast.AST) -> bool:
        """Mentions len(P), P.shape, P.size(), ... of a parameter P, or a name computed from one."""
        for node in ast.walk(expr):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"
                    and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in params):
                return True
            if (isinstance(node, ast.Attribute) and node.attr in SIZE_ATTRIBUTES
                    and isinstance(node.value, ast.Name) and node.value.id in params):
                return True
            if isinstance(node, ast.Name) and node.id in sized_names:
                return True
        return False

    changed = True
    while changed:  # names assigned from sizes: n, c, h, w = X.shape; h_out = (X.shape[0] - k) // s + 1
        changed = False
        for node in ast.walk(fn):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None \
                    and sized(node.value):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name) and name.id not in sized_names:
                            sized_names.add(name.id)
                            changed = True

    issues = []
    for call in ast.walk(fn):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "torch"
                and call.func.attr in FACTORIES) or _moved(call, parents):
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        factory = f"torch.{call.func.attr}"
        if "device" in keywords:
            data_device = any(isinstance(n, ast.Attribute) and n.attr == "device" and isinstance(n.value, ast.Name)
                              and n.value.id in params for n in ast.walk(keywords["device"]))
            if "generator" in keywords and data_device:
                issues.append((call.lineno, f"{factory} draws with generator= on the data's device: a CPU "
                                            "generator cannot draw on a GPU. Draw on the generator's device "
                                            "and move the result: (...).to(X.device)"))
        elif any(sized(a) for a in call.args) or any(
                sized(v) for k, v in keywords.items() if k not in ("generator", "dtype", "requires_grad")):
            issues.append((call.lineno, f"{factory} is sized from a tensor argument but made on the CPU: "
                                        "add device=X.device (or move it with .to(X.device))"))
    return issues


def static_issues(source: str) -> list[tuple[int, str]]:
    """(line, message) for every factory in a function of ``source`` that may meet GPU data on the CPU."""
    # IPython magics and shell lines are not Python: blank them, keeping the line numbers.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    tree = ast.parse("\n".join(lines))
    parents = _parents(tree)
    return sorted(issue for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for issue in _function_issues(fn, parents))


def _sources():
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                yield f"{path.relative_to(ROOT)} cell {i}", cell.source
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text()


BROKEN_FLIP = '''
def random_flip(X, generator=None):
    flip = torch.rand(len(X), generator=generator) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), X.flip(-1), X)
'''
BROKEN_CROP = '''
def crop(X, dy, dx, pad):
    n, c, h, w = X.shape
    rows = (dy.view(-1, 1) + torch.arange(h)).view(n, h, 1)
    return rows
'''
GENERATOR_ON_DATA_DEVICE = '''
def random_flip(X, generator=None):
    return torch.rand(len(X), generator=generator, device=X.device) < 0.5
'''
FIXED = '''
def random_flip(X, generator=None):
    device = X.device if generator is None else generator.device
    flip = (torch.rand(len(X), generator=generator, device=device) < 0.5).to(X.device)
    order = torch.randperm(len(X), generator=generator)  # an index may stay on the CPU
    n, c, h, w = X.shape
    cols = torch.arange(w, device=X.device)
    return torch.where(flip.view(-1, 1, 1, 1), X.flip(-1), X)[order][..., cols]

def edge_image(size, shift):  # sizes from plain numbers: a CPU demo
    X = torch.zeros(size, size)
    X[:, shift:] = 1
    return X
'''


@pytest.mark.parametrize("source, expected", [
    (BROKEN_FLIP, ["torch.rand is sized from a tensor argument"]),
    (BROKEN_CROP, ["torch.arange is sized from a tensor argument"]),
    (GENERATOR_ON_DATA_DEVICE, ["torch.rand draws with generator= on the data's device"]),
    (FIXED, []),
], ids=["random_flip", "crop", "generator", "fixed"])
def test_the_static_check_flags_cpu_tensors_sized_from_data(source, expected):
    messages = [message for _, message in static_issues(source)]
    assert len(messages) == len(expected)
    for message, start in zip(messages, expected):
        assert message.startswith(start)


def test_notebooks_and_course_utils_make_no_cpu_tensor_for_device_data():
    problems = [f"{where}, line {line}: {message}" for where, source in _sources()
                for line, message in static_issues(source)]
    assert not problems, "\n".join(problems)


# -----------------------------------------------------------------------------
# dynamic check


@pytest.fixture
def check():
    """Data and models on the fake device (COURSE_DEVICE=cpu:1), every tensor op watched."""
    with simulated_device() as mode:
        # Older torch (2.1, our lower bound) hands X[idx] past TorchFunctionMode unlabelled, so the
        # simulated device cannot be read back there; `make test` runs this on the current torch.
        probe = torch.ones(4).to(FAKE_DEVICE)
        if probe[torch.arange(2).to(FAKE_DEVICE)].device != FAKE_DEVICE:
            pytest.skip(f"torch {torch.__version__} cannot simulate a second device (indexing results "
                        "lose their label); the static check above still runs")
        yield mode


def _random_flip_broken(X, generator=None):
    flip = torch.rand(len(X), generator=generator) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), X.flip(-1), X)


def _random_flip_drawing_on_device(X, generator=None):
    return torch.rand(len(X), generator=generator, device=X.device) < 0.5


def _random_flip_fixed(X, generator=None):
    device = X.device if generator is None else generator.device
    flip = (torch.rand(len(X), generator=generator, device=device) < 0.5).to(X.device)
    return torch.where(flip.view(-1, 1, 1, 1), X.flip(-1), X)


def test_the_dynamic_check_catches_what_a_gpu_would_refuse(check):
    X = torch.rand(4, 1, 6, 6).to(cu.default_device())
    assert X.device == FAKE_DEVICE and check.label(X) == "device"
    with pytest.raises(DeviceMixError, match=r"where: a tensor made on the CPU .*test_device_check.py:\d+: return torch.where"):
        _random_flip_broken(X)
    with pytest.raises(DeviceMixError, match="a CPU torch.Generator cannot draw on the training device"):
        _random_flip_drawing_on_device(X, torch.Generator().manual_seed(0))
    with pytest.raises(DeviceMixError, match="conv2d"):  # a CPU batch into a model on the device
        nn.Conv2d(1, 2, 3).to(X.device)(torch.rand(2, 1, 6, 6))
    with pytest.raises(DeviceMixError, match=r"conv2d: a model's weights .* net.to\(device\)"):  # never moved
        nn.Conv2d(1, 2, 3)(X)
    assert check.label(nn.Conv2d(1, 2, 3, device=X.device)(X)) == "device"  # made there: fine
    for generator in [None, torch.Generator().manual_seed(0), torch.Generator(device=X.device)]:
        assert check.label(_random_flip_fixed(X, generator)) == "device"
    assert check.label(_random_flip_broken(X.cpu())) == "host"  # all on the CPU: fine
    assert check.label(X) == "device"                          # .cpu() made a copy
    # What CUDA allows: scalars and CPU index tensors.
    assert check.label(X * torch.tensor(2.0) + X[torch.tensor([0, 1])].mean()) == "device"


def test_course_utils_keeps_every_tensor_on_the_data_device(check, tmp_path):
    train_iter, test_iter = cu.load_fashion_mnist(64, resize=32, normalize=True, train_subset=256,
                                                  test_subset=128)
    X, y = next(iter(train_iter))
    assert X.device == FAKE_DEVICE and check.label(X) == check.label(y) == "device"

    net = cu.lenet_bn(cu.BatchNorm)
    net[0] = nn.Conv2d(1, 6, kernel_size=9)  # 32x32 in, the 24x24 that lenet_bn expects out
    calls = []
    with cu.ActivationStats([net[1], net[5]]) as stats:
        history = cu.fit(net, train_iter, test_iter, epochs=2, lr=0.1, momentum=0.9, scheduler="onecycle",
                         checkpoint=tmp_path / "bn.pt", progress=False, verbose=False,
                         on_epoch_end=lambda epoch, h, model: calls.append(cu.evaluate_accuracy(model, test_iter)))
    assert history.epoch == [1, 2] and len(calls) == 2 and stats.means.shape[1] == 2
    again = cu.fit(net, train_iter, test_iter, epochs=2, lr=0.1, momentum=0.9, scheduler="onecycle",
                   checkpoint=tmp_path / "bn.pt", progress=False, verbose=False)
    assert again == history

    # A linear model on features computed from device data, with fit's CUDA settings.
    features = [(F.avg_pool2d(X, 4).flatten(1), y) for X, y in train_iter]
    cu.fit(nn.Linear(64, 10), features, features, epochs=1, lr=0.01, optimizer="adam", scheduler="cosine",
           amp=True, channels_last=True, progress=False, verbose=False)

    image, kernel = X[0, 0], torch.randn(3, 3).to(X.device)
    assert check.label(cu.corr2d(image, kernel)) == "device"
    assert check.label(cu.corr2d_multi_in_out(X[0], kernel[None, None])) == "device"
    assert check.label(cu.corr2d_multi_in_out_1x1(X[0], torch.randn(2, 1, 1, 1).to(X.device))) == "device"
    assert check.label(cu.pool2d(X, 3, stride=2, padding=1)) == "device"


@pytest.mark.parametrize("build, side", [
    (lambda: cu.alexnet(input_size=67, width=0.1), 67),
    (lambda: cu.vgg11(ratio=16, input_size=32, fc_width=32), 32),
    (lambda: cu.nin(width=0.1), 67),
    (lambda: cu.googlenet(width=0.1), 32),
    (lambda: cu.resnet18(width=0.1), 32),
    (lambda: cu.densenet(growth_rate=4, arch=(1, 1), width=0.1), 32),
    (lambda: cu.cifar_net(8, True, widths=(4, 8, 8)), 28),
], ids=["alexnet", "vgg11", "nin", "googlenet", "resnet18", "densenet", "cifar_net"])
def test_models_and_their_summaries_on_the_device(check, build, side):
    net = build().to(cu.default_device())
    X = torch.rand(2, 1, side, side).to(FAKE_DEVICE)
    assert check.label(net(X)) == "device"
    assert cu.count_params(net) > 0 and cu.flops(net, (1, 1, side, side)) > 0
    cu.summary(net, (1, 1, side, side))
