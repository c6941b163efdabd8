"""Benchmark 2: the input pipeline alone, no model: batches per second delivered on the device.

The 224x224 pipeline of AlexNet, VGG and NiN (batch 128), and the 96x96 one of GoogLeNet,
ResNet and DenseNet. A batch counts as delivered when it is a float tensor of the right
shape on the training device (d2l's CPU batches are copied there as its train_ch6 does).

* course_utils: ``load_fashion_mnist(128, resize=size)``: uint8 images already on the device,
  whole batches converted and resized there;
* d2l 1.0.3:    ``load_data_fashion_mnist(128, resize=size)``: a DataLoader with 4 worker
  processes, every image resized through PIL and converted by ToTensor.

For each repeat a fresh iterator is started; the first batches (worker start-up, first
touch) are a warm-up and are timed separately as "time to first batch"; then a fixed number
of batches is timed, with a device synchronize before each clock read. d2l's workers keep
up to 8 batches (4 workers x prefetch 2) ready, which the timed stretch starts by taking:
that favours d2l by at most 8 / --batches (8% at the default 100).

    python benchmarks/bench2_input_pipeline.py            # the real measurement
    python benchmarks/bench2_input_pipeline.py --quick    # a check that it runs
"""
from __future__ import annotations

import common  # first: sets the environment up

import course_utils as cu

BATCH = 128
IMPLS = ("course_utils", "d2l")


def measure(loader, device, warmup: int, batches: int) -> dict:
    c0 = common.cpu_seconds()
    t0 = common.clock(device)
    it = iter(loader)
    X, y = next(it)
    X = X.to(device)
    first = common.clock(device) - t0
    for _ in range(warmup - 1):
        X, y = next(it)
        X = X.to(device)
    shape = tuple(X.shape)
    t0 = common.clock(device)
    for _ in range(batches):
        X, y = next(it)
        X, y = X.to(device), y.to(device)
    seconds = common.clock(device) - t0
    del it  # shuts d2l's workers down before the next measurement
    # CPU time of every process per delivered batch, start-up included; d2l's workers may
    # have made up to 8 batches more than were taken, which this charges to it.
    cpu_per_batch = (common.cpu_seconds() - c0) / (warmup + batches)
    return dict(batches_per_sec=batches / seconds, seconds=seconds, first_batch_seconds=first,
                cpu_ms_per_batch=1000 * cpu_per_batch, shape=list(shape))


def main():
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 96])
    parser.add_argument("--batches", type=int, default=None, help="timed batches per repeat")
    parser.add_argument("--warmup", type=int, default=None, help="untimed batches first (at least 1)")
    parser.add_argument("--impls", nargs="+", default=list(IMPLS), choices=IMPLS)
    args = parser.parse_args()
    if args.quick:
        args.repeats = args.repeats or 1
        args.batches = args.batches or 5
        args.warmup = args.warmup or 2
    repeats, batches, warmup = args.repeats or 3, args.batches or 100, max(1, args.warmup or 3)
    device = common.pick_device(args.device)
    info = common.machine_info(device)
    print(f"Benchmark 2: input pipeline on {info['device_name']} ({device}), batch {BATCH}, "
          f"{warmup} warm-up + {batches} timed batches, {repeats} repeats")
    d2l = common.d2l_baseline(args.impls)

    rows = []
    for size in args.sizes:
        runs = {impl: [] for impl in args.impls}
        for r in range(repeats):
            order = args.impls[r % len(args.impls):] + args.impls[:r % len(args.impls)]
            for impl in order:
                if impl == "course_utils":
                    cu.data._load_split.cache_clear()
                    loader, _ = cu.load_fashion_mnist(BATCH, resize=size, device=device)
                else:
                    loader, _ = d2l.load_data_fashion_mnist(BATCH, resize=size)
                result = measure(loader, device, warmup, batches)
                runs[impl].append(result)
                print(f"  {size}x{size} repeat {r + 1}/{repeats} {impl:>12}: "
                      f"{result['batches_per_sec']:8.1f} batches/s, first batch after "
                      f"{result['first_batch_seconds']:.2f} s, CPU {result['cpu_ms_per_batch']:.1f} ms per batch, "
                      f"shape {tuple(result['shape'])}", flush=True)
        summary = {impl: dict(median_batches_per_sec=common.median([x["batches_per_sec"] for x in res]),
                              median_first_batch_seconds=common.median([x["first_batch_seconds"] for x in res]),
                              median_cpu_ms_per_batch=common.median([x["cpu_ms_per_batch"] for x in res]))
                   for impl, res in runs.items()}
        for impl, s in summary.items():
            print(f"{size}x{size} {impl:>12}: median {s['median_batches_per_sec']:.1f} batches/s "
                  f"({s['median_batches_per_sec'] * BATCH:,.0f} images/s)")
        rows.append(dict(size=size, runs=runs, summary=summary))

    common.save_results("bench2", device, dict(
        benchmark="bench2", title="Input pipeline, no model",
        settings=dict(batch_size=BATCH, sizes=args.sizes, warmup_batches=warmup, timed_batches=batches,
                      repeats=repeats, d2l_workers=4),
        machine=info, rows=rows), args)


if __name__ == "__main__":
    main()
