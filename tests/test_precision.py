"""The precision policy (precision.py), for every class of device, simulated on the CPU.

No GPU is needed: what the policy reads from a CUDA device (its compute capability and name) is
monkeypatched, and the fp16-with-loss-scaling path that a T4 runs trains here on the CPU.
"""
import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils import precision as P
from course_utils.train import DivergenceError, TrainingStopped, fit

from test_train import InterruptAfter, saved_run, small_mlp, toy_loaders

CPU_FP16 = pytest.mark.skipif(P.cannot_run("fp16", "cpu") is not None,
                              reason=f"torch {torch.__version__}: {P.cannot_run('fp16', 'cpu')}")

# (class, device type, capability, name) -> (precision, channels-last)
CLASSES = [
    ("H100", "cuda", (9, 0), "NVIDIA H100 80GB HBM3", "bf16", True),
    ("A100", "cuda", (8, 0), "NVIDIA A100-SXM4-40GB", "bf16", True),
    ("L4 / RTX 40xx", "cuda", (8, 9), "NVIDIA L4", "bf16", True),
    ("RTX 30xx", "cuda", (8, 6), "NVIDIA GeForce RTX 3090", "bf16", True),
    ("T4 (Colab)", "cuda", (7, 5), "Tesla T4", "fp16", True),
    ("RTX 20xx", "cuda", (7, 5), "NVIDIA GeForce RTX 2080", "fp16", True),
    ("V100", "cuda", (7, 0), "Tesla V100-SXM2-16GB", "fp16", True),
    ("P100", "cuda", (6, 0), "Tesla P100-PCIE-16GB", "fp32", False),
    ("GTX 1080", "cuda", (6, 1), "NVIDIA GeForce GTX 1080", "fp32", False),
    ("Apple GPU", "mps", None, None, "fp32", False),
    ("laptop CPU", "cpu", None, None, "fp32", False),
]


@pytest.fixture
def simulate(monkeypatch):
    """Make torch report a CUDA card of the given capability and name (nothing runs on it)."""
    monkeypatch.delenv("COURSE_PRECISION", raising=False)
    monkeypatch.delenv("COURSE_REHEARSAL", raising=False)

    def card(capability, name):
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # what a T4 says
    return card


@pytest.mark.parametrize("label, kind, capability, name, precision, layout", CLASSES, ids=[c[0] for c in CLASSES])
def test_each_class_of_device_gets_its_precision(simulate, label, kind, capability, name, precision, layout):
    assert P.policy(kind, capability) == (precision, layout)
    if kind == "cuda":
        simulate(capability, name)
    chosen = P.choose_precision(torch.device(kind))
    assert (chosen.name, chosen.channels_last) == (precision, layout)
    assert chosen.dtype == {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[precision]
    assert chosen.loss_scaling == (precision == "fp16")
    if name:
        assert chosen.description.startswith(f"cuda: {name} (compute capability {capability[0]}.{capability[1]})")


@pytest.mark.parametrize("capability", [(7, 0), (7, 2), (7, 5), (6, 1), (5, 2)])
def test_bf16_is_never_chosen_below_capability_8(simulate, capability):
    """is_bf16_supported() says True on a T4; the policy must not believe it."""
    simulate(capability, "Tesla T4")
    assert P.choose_precision(torch.device("cuda")).name != "bf16"
    assert P.choose_precision(torch.device("cuda"), amp=True).name == "fp16"
    with pytest.raises(ValueError, match=r"no bf16 hardware.*use precision='fp16'"):
        P.choose_precision(torch.device("cuda"), precision="bf16")


def test_the_t4_description_says_what_runs(simulate):
    simulate((7, 5), "Tesla T4")
    assert P.choose_precision(torch.device("cuda")).description == (
        "cuda: Tesla T4 (compute capability 7.5), fp16 autocast with loss scaling, channels-last")


def test_amp_and_precision_switches(simulate):
    cpu = torch.device("cpu")
    assert P.choose_precision(cpu, amp=True).name == "bf16"   # what the CPU's autocast runs best
    assert P.choose_precision(cpu, amp=False).name == "fp32"
    assert P.choose_precision(cpu, precision="fp32", amp=False).name == "fp32"
    with pytest.raises(ValueError, match="disagree"):
        P.choose_precision(cpu, precision="bf16", amp=False)
    with pytest.raises(ValueError, match="precision must be one of bf16, fp16, fp32"):
        P.choose_precision(cpu, precision="fp8")
    with pytest.raises(ValueError, match="Apple GPUs"):
        P.choose_precision(torch.device("mps"), precision="fp16")
    with pytest.raises(ValueError, match="Apple GPUs"):
        P.choose_precision(torch.device("mps"), amp=True)


def test_course_precision_overrides_the_default(simulate, monkeypatch):
    simulate((9, 0), "NVIDIA H100")
    monkeypatch.setenv("COURSE_PRECISION", "fp16")   # gpu.sh forces the T4's path on an H100
    assert P.choose_precision(torch.device("cuda")).name == "fp16"
    monkeypatch.setenv("COURSE_PRECISION", "bf16")
    simulate((7, 5), "Tesla T4")
    with pytest.raises(ValueError, match="no bf16 hardware"):
        P.choose_precision(torch.device("cuda"))


@pytest.mark.parametrize("gpu, precision", [("a100", "bf16"), pytest.param("t4", "fp16", marks=CPU_FP16), ("", "bf16")])
def test_a_rehearsal_on_the_cpu_takes_a_gpu_class_path(simulate, monkeypatch, gpu, precision):
    monkeypatch.setenv("COURSE_REHEARSAL", "2x4")
    monkeypatch.setenv("COURSE_REHEARSAL_GPU", gpu)
    chosen = P.choose_precision(torch.device("cpu"))
    assert chosen.name == precision and chosen.channels_last
    assert f"rehearsing a {gpu.upper() or 'A100'}" in chosen.description
    monkeypatch.setenv("COURSE_REHEARSAL_GPU", "k80")
    with pytest.raises(ValueError, match="a100, t4"):
        P.choose_precision(torch.device("cpu"))


def test_fit_prints_and_records_the_choice(tmp_path, capsys):
    train_iter, test_iter = toy_loaders()
    history = fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, device="cpu",
                  checkpoint=tmp_path / "run.pt")
    assert "Training on cpu, fp32." in capsys.readouterr().out
    assert history.precision == "cpu, fp32"
    assert torch.load(saved_run(tmp_path / "run.pt"), weights_only=True)["history"]["precision"] == "cpu, fp32"
    with pytest.raises(ValueError, match="Cannot train in fp16 on mps"):
        fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, device="mps", precision="fp16")


@CPU_FP16
def test_the_t4_path_fp16_with_loss_scaling_trains_on_the_cpu():
    train_iter, test_iter = toy_loaders()
    net = small_mlp()
    seen = []
    net[1].register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    history = fit(net, train_iter, test_iter, epochs=3, lr=0.5, precision="fp16", channels_last=True,
                  progress=False, verbose=False)
    assert set(seen) == {torch.float16}
    assert history.test_acc[-1] > 0.9 and history.precision == "cpu, fp16 autocast with loss scaling, channels-last"
    assert all(p.dtype == torch.float32 for p in net.parameters())  # master weights stay fp32


@CPU_FP16
def test_an_fp16_run_resumes_with_its_loss_scale(tmp_path):
    """The scaler's state is saved with the run: a resumed fp16 run matches an uninterrupted one."""
    path = tmp_path / "run.pt"
    train_iter, test_iter = toy_loaders()
    reference = fit(small_mlp(), train_iter, test_iter, epochs=3, lr=0.5, precision="fp16", progress=False)
    train_iter, test_iter = toy_loaders()
    with pytest.raises(TrainingStopped):
        fit(InterruptAfter(small_mlp(), n=len(train_iter) + 2), train_iter, test_iter, epochs=3, lr=0.5,
            precision="fp16", progress=False, checkpoint=path)
    state = torch.load(saved_run(path), weights_only=True)
    assert state["scaler"]["scale"] == 65536.0 and state["finished"] is False
    train_iter, test_iter = toy_loaders()
    resumed = fit(InterruptAfter(small_mlp(), n=-1), train_iter, test_iter, epochs=3, lr=0.5,
                  precision="fp16", progress=False, checkpoint=path)
    assert resumed.test_acc == pytest.approx(reference.test_acc)
    assert resumed.train_loss == pytest.approx(reference.train_loss, rel=1e-4)


@CPU_FP16
@pytest.mark.parametrize("lr", [1e20, 1e6])
def test_a_diverging_fp16_run_still_raises_divergence(lr):
    """Loss scaling skips steps whose gradients overflow; a diverging run must not hide behind it."""
    train_iter, test_iter = toy_loaders()
    with pytest.raises(DivergenceError, match=r"lr="):
        fit(small_mlp(), train_iter, test_iter, epochs=5, lr=lr, precision="fp16", progress=False)


@CPU_FP16
def test_evaluate_and_throughput_follow_the_precision():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    calls = []
    net.register_forward_hook(lambda module, inputs, output: calls.append(output.dtype))
    assert cu.training_throughput(net, (8, 1, 8, 8), warmup=0, steps=2, device="cpu", precision="fp16") > 0
    assert calls == [torch.float16] * 2
    calls.clear()
    batches = [(torch.randn(4, 1, 8, 8), torch.randint(0, 10, (4,)))]
    cu.evaluate_accuracy(net, batches, "cpu", precision="fp16")
    cu.evaluate_accuracy(net, batches, "cpu")
    assert calls == [torch.float16, torch.float32]
