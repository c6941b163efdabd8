"""Benchmark 3: every architecture at its full setting, training examples per second.

For each model of the lecture at its lecture input size and batch size (LeNet and LeNet-BN
28x28, batch 256; AlexNet, VGG-11 (channels / 4) and NiN 224x224, GoogLeNet, ResNet-18
and DenseNet 96x96, batch 128), on the present device:

* course_utils: ``fit`` on ``load_fashion_mnist(batch, resize=size)`` (its defaults: bf16
  autocast and channels-last on CUDA, plain fp32 elsewhere);
* d2l 1.0.3:    ``train_ch6`` on ``load_data_fashion_mnist(batch, resize=size)``;
* bare loop:    the floor and the arithmetic bound: the same model, SGD, fp32, on batches
  already resized and resident on the device, no metrics.

The training loaders are wrapped so that each implementation sees ``warmup`` batches and
then ``windows`` timed stretches of ``window`` batches (clock read after a device
synchronize at each window's edges; on a CPU a window is one batch). The figure is the
median of the windows' examples per second, data loading included. The wrapper reports the
loader's full length, so both loops behave as in the middle of a real epoch; evaluation is
one test batch and is not timed.

Also reported: training FLOPs per example (3 x forward, counted by course_utils.flops) and
the arithmetic rate the bare loop reaches, which is the bound on this device.

    python benchmarks/bench3_architectures.py                  # CPU: 1 warm-up + 3 timed batches
    python benchmarks/bench3_architectures.py --models AlexNet LeNet
    python benchmarks/bench3_architectures.py --quick          # 1 + 1 batches, a check that it runs
"""
from __future__ import annotations

import re

import common  # first: sets the environment up

import torch
import torch.nn.functional as F

import course_utils as cu

IMPLS = ("course_utils", "d2l", "bare")


def run_course_utils(spec, device, plan):
    train_iter, test_iter = cu.load_fashion_mnist(spec["batch"], resize=_resize(spec), device=device)
    timed = common.TimedBatches(train_iter, device, *plan)
    with common.quiet():
        cu.fit(spec["build"](), timed, common.Limited(test_iter, 1), epochs=1, lr=spec["lr"], device=device)
    return timed.rates()


def run_d2l(d2l, spec, device, plan):
    train_iter, test_iter = d2l.load_data_fashion_mnist(spec["batch"], resize=_resize(spec))
    timed = common.TimedBatches(train_iter, device, *plan)
    with common.quiet() as out:
        d2l.train_ch6(spec["build"](), timed, common.Limited(test_iter, 1), 1, spec["lr"], device)
    common.close_figures()
    # d2l's own figure leaves data loading out (its timer runs only around each step).
    own = re.findall(r"([0-9.]+) examples/sec", out.getvalue())
    return timed.rates(), float(own[-1]) if own else None


def run_bare(spec, device, plan):
    warmup, windows, window = plan
    train_iter, _ = cu.load_fashion_mnist(spec["batch"], resize=_resize(spec), device=device)
    it = iter(train_iter)
    # The data "already as tensors in memory": as many distinct resized batches as we train on.
    batches = [next(it) for _ in range(warmup + windows * window)]
    del it
    torch.manual_seed(0)
    net = spec["build"]().to(device)
    net.apply(cu.init_xavier)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=spec["lr"])

    def step(X, y):
        loss = F.cross_entropy(net(X), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for X, y in batches[:warmup]:
        step(X, y)
    rates = []
    for w in range(windows):
        chunk = batches[warmup + w * window: warmup + (w + 1) * window]
        t0 = common.clock(device)
        for X, y in chunk:
            step(X, y)
        rates.append(sum(len(y) for _, y in chunk) / (common.clock(device) - t0))
    return rates


def _resize(spec):
    return None if spec["size"] == 28 else spec["size"]


def default_plan(device, quick):
    """(warm-up batches, timed windows, batches per window) for this device."""
    if torch.device(device).type == "cpu":
        return (1, 1, 1) if quick else (1, 3, 1)
    return (3, 2, 3) if quick else (10, 5, 20)


def main():
    models = common.architectures()
    parser = common.base_parser(__doc__.split("\n\n")[0], repeats=False)
    parser.add_argument("--models", nargs="+", default=list(models), choices=list(models))
    parser.add_argument("--impls", nargs="+", default=list(IMPLS), choices=IMPLS)
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument("--windows", "--repeats", type=int, default=None,
                        help="timed windows (median reported)")
    parser.add_argument("--window", type=int, default=None, help="batches per timed window")
    args = parser.parse_args()
    device = common.pick_device(args.device)
    plan = list(default_plan(device, args.quick))
    for i, value in enumerate((args.warmup, args.windows, args.window)):
        if value is not None:
            plan[i] = value
    plan = tuple(plan)
    info = common.machine_info(device)
    print(f"Benchmark 3: architectures on {info['device_name']} ({device}); per model and "
          f"implementation {plan[0]} warm-up batches, then {plan[1]} timed windows of {plan[2]}")
    d2l = common.d2l_baseline(args.impls)

    rows = []
    for m, name in enumerate(args.models):
        spec = models[name]
        flops = common.training_flops_per_example(spec["build"], spec["size"])
        row = dict(model=name, input_size=spec["size"], batch_size=spec["batch"], lr=spec["lr"],
                   train_gflops_per_example=flops / 1e9, rates={}, errors={})
        order = args.impls[m % len(args.impls):] + args.impls[:m % len(args.impls)]
        for impl in order:
            try:
                if impl == "course_utils":
                    rates = run_course_utils(spec, device, plan)
                elif impl == "d2l":
                    rates, row["d2l_own_examples_per_sec"] = run_d2l(d2l, spec, device, plan)
                else:
                    rates = run_bare(spec, device, plan)
            except Exception as error:  # report it in the table; go on with the others
                row["errors"][impl] = f"{type(error).__name__}: {error}"
                print(f"  {name:>10} {impl:>12}: FAILED {row['errors'][impl]}", flush=True)
                continue
            row["rates"][impl] = rates
            print(f"  {name:>10} {impl:>12}: {common.median(rates):9.1f} examples/s "
                  f"(windows: {', '.join(f'{r:.1f}' for r in rates)})", flush=True)
        row["median"] = {impl: common.median(r) for impl, r in row["rates"].items()}
        bare = row["median"].get("bare")
        row["bare_gflops_per_sec"] = bare * flops / 1e9 if bare else None
        rows.append(row)

    common.save_results("bench3", device, dict(
        benchmark="bench3", title="Every architecture at its full setting",
        settings=dict(warmup_batches=plan[0], timed_windows=plan[1], batches_per_window=plan[2],
                      test_batches=1, d2l_workers=4),
        machine=info, rows=rows), args)


if __name__ == "__main__":
    main()
