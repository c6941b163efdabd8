"""Benchmark 1: one LeNet epoch at the lecture's settings, end to end.

sigmoid LeNet, batch 256, plain SGD with lr 0.9, one pass over the 60,000 training images
and an evaluation pass over the 10,000 test images. Three ways, alternating in one process:

* course_utils: ``load_fashion_mnist(256)`` + ``fit(net, ..., epochs=1, lr=0.9)`` with its
  defaults (progress bar, per-epoch summary), the data read again for every run as by a fresh
  kernel: MD5 check of the four files, then the pixels from the decoded cache (the very
  first load, which decompresses and writes that cache, is timed once on its own);
* d2l 1.0.3:    ``load_data_fashion_mnist(256)`` + ``train_ch6(net, ..., 1, 0.9, device)``
  (its Animator draws as in a notebook; its printing goes to a buffer);
* bare loop:    the floor. The same model and optimizer, the data already as float tensors
  in memory on the device, shuffled index batches, no metrics and no logging; then the
  same evaluation pass (one sum of correct predictions).

Every run builds and initializes a fresh model. The clock covers everything from asking
for the data to the test accuracy being known on the host.

    python benchmarks/bench1_lenet_epoch.py            # the real measurement (5 repeats)
    python benchmarks/bench1_lenet_epoch.py --quick    # a check that it runs (seconds)
"""
from __future__ import annotations

import re

import common  # first: sets the environment up

import torch
import torch.nn.functional as F

import course_utils as cu
import course_utils.data as cu_data

BATCH, LR = 256, 0.9
IMPLS = ("course_utils", "d2l", "bare")


def run_course_utils(device, limit):
    cu_data._load_split.cache_clear()  # a fresh kernel reads the files again: so do we
    c0, t0 = common.cpu_seconds(), common.clock(device)
    train_iter, test_iter = cu.load_fashion_mnist(BATCH, device=device)
    t_data = common.clock(device) - t0
    net = cu.lenet()
    with common.quiet():
        history = cu.fit(net, common.Limited(train_iter, limit[0]), common.Limited(test_iter, limit[1]),
                         epochs=1, lr=LR, device=device)
    total = common.clock(device) - t0
    return dict(seconds=total, data_seconds=t_data, test_acc=history.test_acc[-1],
                cpu_seconds=common.cpu_seconds() - c0)


def run_d2l(d2l, device, limit):
    c0, t0 = common.cpu_seconds(), common.clock(device)
    train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH)
    t_data = common.clock(device) - t0
    net = cu.lenet()
    with common.quiet() as out:
        d2l.train_ch6(net, common.Limited(train_iter, limit[0]), common.Limited(test_iter, limit[1]),
                      1, LR, device)
    total = common.clock(device) - t0
    cpu = common.cpu_seconds() - c0  # the workers have exited with their loops
    common.close_figures()
    found = re.findall(r"test acc ([0-9.]+)", out.getvalue())
    return dict(seconds=total, data_seconds=t_data, test_acc=float(found[-1]) if found else None,
                cpu_seconds=cpu)


class BareData:
    """Fashion-MNIST as float tensors in [0, 1] on the device, made once, outside the clock."""

    def __init__(self, device):
        train_iter, test_iter = cu.load_fashion_mnist(BATCH, device=device)
        self.X = train_iter.images.float().div_(255)
        self.y = train_iter.labels
        self.X_test = test_iter.images.float().div_(255)
        self.y_test = test_iter.labels


def run_bare(data: BareData, device, limit, seed):
    c0, t0 = common.cpu_seconds(), common.clock(device)
    torch.manual_seed(seed)
    net = cu.lenet().to(device)
    net.apply(cu.init_xavier)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    n = len(data.y)
    order = torch.randperm(n, device=device)
    batches = range(0, n, BATCH)
    if limit[0] is not None:
        batches = batches[:limit[0]]
    net.train()
    for i in batches:
        idx = order[i:i + BATCH]
        loss = F.cross_entropy(net(data.X[idx]), data.y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()
    correct, count = torch.zeros((), dtype=torch.int64, device=device), 0
    test_batches = range(0, len(data.y_test), BATCH)
    if limit[1] is not None:
        test_batches = test_batches[:limit[1]]
    with torch.no_grad():
        for i in test_batches:
            y = data.y_test[i:i + BATCH]
            correct += (net(data.X_test[i:i + BATCH]).argmax(dim=1) == y).sum()
            count += len(y)
    acc = correct.item() / count  # the one synchronization
    return dict(seconds=common.clock(device) - t0, data_seconds=0.0, test_acc=acc,
                cpu_seconds=common.cpu_seconds() - c0)


def main():
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--max-batches", type=int, default=None,
                        help="train on only this many batches per run (default: the whole epoch)")
    parser.add_argument("--max-test-batches", type=int, default=None,
                        help="evaluate on only this many test batches (default: all 10,000 images)")
    parser.add_argument("--impls", nargs="+", default=list(IMPLS), choices=IMPLS)
    args = parser.parse_args()
    if args.max_batches is not None and args.max_batches < 5:
        parser.error("--max-batches must be at least 5 (d2l's train_ch6 divides by len // 5)")
    if args.quick:
        args.repeats = args.repeats or 1
        args.max_batches = args.max_batches or 20
        args.max_test_batches = args.max_test_batches or 5
    repeats = args.repeats or 5
    limit = (args.max_batches, args.max_test_batches)
    device = common.pick_device(args.device)
    info = common.machine_info(device)
    print(f"Benchmark 1: LeNet epoch on {info['device_name']} ({device}), torch {info['torch']}, "
          f"{repeats} repeats, batches limited to {limit}")

    d2l = common.d2l_baseline(args.impls)
    # The first load ever (empty cache: decompress, write the decoded cache), timed on its own.
    cu_data._load_split.cache_clear()
    t0 = common.clock(device)
    cu.load_fashion_mnist(BATCH, device=device)
    first_load = common.clock(device) - t0
    print(f"  first load with an empty cache: {first_load:.2f} s")
    bare = BareData(device) if "bare" in args.impls else None

    def run(impl, lim, seed):
        if impl == "course_utils":
            return run_course_utils(device, lim)
        if impl == "d2l":
            return run_d2l(d2l, device, lim)
        return run_bare(bare, device, lim, seed)

    # Warm-up: imports, kernels, allocator, DataLoader workers, file cache; not recorded.
    for impl in args.impls:
        run(impl, (5, 1), 0)

    runs = {impl: [] for impl in args.impls}
    for r in range(repeats):
        # Rotate the order so that no implementation always runs first (or after d2l's workers).
        order = args.impls[r % len(args.impls):] + args.impls[:r % len(args.impls)]
        for impl in order:
            result = run(impl, limit, r)
            runs[impl].append(result)
            print(f"  repeat {r + 1}/{repeats} {impl:>12}: {result['seconds']:7.2f} s "
                  f"(setup {result['data_seconds']:.2f} s, CPU {result['cpu_seconds']:.1f} s), "
                  f"test acc {result['test_acc']}", flush=True)

    summary = {}
    for impl, results in runs.items():
        summary[impl] = dict(
            median_seconds=common.median([x["seconds"] for x in results]),
            min_seconds=min(x["seconds"] for x in results),
            max_seconds=max(x["seconds"] for x in results),
            median_data_seconds=common.median([x["data_seconds"] for x in results]),
            median_cpu_seconds=common.median([x.get("cpu_seconds") for x in results]),
            median_test_acc=common.median([x["test_acc"] for x in results]),
        )
    for impl, s in summary.items():
        print(f"{impl:>12}: median {s['median_seconds']:.2f} s per epoch "
              f"(min {s['min_seconds']:.2f}, max {s['max_seconds']:.2f}), test acc {s['median_test_acc']}")
    common.save_results("bench1", device, dict(
        benchmark="bench1", title="One LeNet epoch, end to end",
        settings=dict(model="lenet (sigmoid, avg pool)", batch_size=BATCH, lr=LR, epochs=1,
                      train_batches=args.max_batches or "all (235)",
                      test_batches=args.max_test_batches or "all (40)", repeats=repeats,
                      d2l_workers=4),
        machine=info, runs=runs, summary=summary, first_load_seconds=first_load), args)


if __name__ == "__main__":
    main()
