"""How much a seed moves 09's plain-versus-residual experiment: the table in 09's appendix.

09 (ResNet) trains plain and residual networks of two depths and asserts what held in every seed
measured: the deep plain network trains worse than its residual twin, depth costs the residual
network less, and (under `smoke` only, where the margin is wide) the deeper plain network trains
worse than the shallower one. This script measures those seeds: for each profile and seed, the same
four runs as 09's experiment cell (its settings read from the notebook, not copied), with the seed
given to both the data (training subset and order) and `fit` (initialization). Seed 0 is exactly
the notebook's run. With --warmup, also the plain networks with a one-cycle schedule (a warm-up)
instead of the cosine one: exercise 2 of 09's answer key, over the same seeds.

    python benchmarks/degradation_seeds.py                          # laptop 0-2, smoke 0-5
    python benchmarks/degradation_seeds.py --profiles smoke --seeds 0 1 2 3 4 5
    python benchmarks/degradation_seeds.py --threads 1              # one torch thread
    python benchmarks/degradation_seeds.py --warmup --profiles laptop  # and the key's exercise 2

Results: benchmarks/results/degradation-seeds.json (training and test error of every run, the
torch thread count and the machine), and the appendix's table printed as Markdown.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "fashion-mnist"
RESULTS = REPO / "benchmarks" / "results" / "degradation-seeds.json"
NOTEBOOK = "09_resnet"
DEFAULT_SEEDS = {"laptop": [0, 1, 2], "smoke": list(range(6))}  # in the order of 09's table

sys.path.insert(0, str(REPO))

import torch  # noqa: E402

import course_utils as cu  # noqa: E402
from course_utils import notebook_settings  # noqa: E402


def run_name(residual: bool, depth: int) -> str:
    return f"{'ResNet' if residual else 'plain'}-{depth}"


def names(depths) -> list[str]:
    """The four runs in 09's order: plain-8, ResNet-8, plain-32, ResNet-32 (for depths (8, 32))."""
    return [run_name(residual, depth) for depth in depths for residual in (False, True)]


def measure(profile: str, seed: int, warmup: bool = False) -> dict:
    """09's four runs under `profile` with `seed`: {run: {"train_err": %, "test_err": %}}; with
    `warmup`, also {"plain-8 onecycle": ..., "plain-32 onecycle": ...}."""
    s = notebook_settings(NOTEBOOK, profile)
    train, test = cu.load_fashion_mnist(s.degr_batch_size, normalize=True, train_subset=s.degr_subset,
                                        test_subset=s.degr_test_subset, seed=seed)
    runs = [(residual, depth, "cosine") for depth in s.depths for residual in (False, True)]
    if warmup:
        runs += [(False, depth, "onecycle") for depth in s.depths]
    errors = {}
    for residual, depth, scheduler in runs:
        name = run_name(residual, depth) + ("" if scheduler == "cosine" else f" {scheduler}")
        net = cu.cifar_net(depth, residual, s.widths)
        # As 09's experiment cell calls it (and its key's exercise 2, with "onecycle"), without the
        # plot and the checkpoint.
        history = cu.fit(net, train, test, epochs=s.degr_epochs, lr=s.degr_lr, momentum=0.9,
                         scheduler=scheduler, updates_per_epoch=20, plot=False, seed=seed,
                         progress=False, verbose=False)
        errors[name] = {"train_err": round(100 * (1 - history.train_acc[-1]), 1),
                        "test_err": round(100 * (1 - history.test_acc[-1]), 1)}
        print(f"{profile} seed {seed} {name}: training error {errors[name]['train_err']} %, "
              f"test error {errors[name]['test_err']} %", flush=True)
    return errors


def table(results: dict) -> str:
    """The appendix's table: one row per laptop seed, one row with smoke's range over its seeds."""
    lines = []
    for profile in sorted(results, key=list(DEFAULT_SEEDS).index):
        by_seed = results[profile]
        runs = names(notebook_settings(NOTEBOOK, profile).depths)
        if not lines:
            lines += ["| | " + " | ".join(runs) + " |", "|---" * (len(runs) + 1) + "|"]
        seeds = sorted(by_seed, key=int)
        if profile == "smoke" and len(seeds) > 1:
            cells = [f"{min(by_seed[k][r]['train_err'] for k in seeds)}–"
                     f"{max(by_seed[k][r]['train_err'] for k in seeds)}" for r in runs]
            lines.append(f"| `{profile}`, seeds {seeds[0]}–{seeds[-1]} | " + " | ".join(cells) + " |")
        else:
            for k in seeds:
                lines.append(f"| `{profile}`, seed {k} | "
                             + " | ".join(str(by_seed[k][r]["train_err"]) for r in runs) + " |")
    return "\n".join(lines)


def margins(results: dict) -> str:
    """The smallest margin of each comparison 09 makes, over all seeds of each profile (points)."""
    out = []
    for profile, by_seed in results.items():
        shallow, deep = notebook_settings(NOTEBOOK, profile).depths
        e = lambda k, r: by_seed[k][r]["train_err"]  # noqa: E731
        twin = [e(k, f"plain-{deep}") - e(k, f"ResNet-{deep}") for k in by_seed]
        cost = [(e(k, f"plain-{deep}") - e(k, f"plain-{shallow}"))
                - (e(k, f"ResNet-{deep}") - e(k, f"ResNet-{shallow}")) for k in by_seed]
        degr = [e(k, f"plain-{deep}") - e(k, f"plain-{shallow}") for k in by_seed]
        test = [by_seed[k][f"ResNet-{shallow}"]["test_err"] - by_seed[k][f"ResNet-{deep}"]["test_err"]
                for k in by_seed]
        out.append(f"{profile}: plain-{deep} above ResNet-{deep} by {min(twin):.1f} to {max(twin):.1f}; "
                   f"depth costs plain more than ResNet by {min(cost):.1f} to {max(cost):.1f}; "
                   f"plain-{deep} above plain-{shallow} by {min(degr):.1f} to {max(degr):.1f}; "
                   f"ResNet-{deep}'s test error below ResNet-{shallow}'s by {min(test):.1f} to {max(test):.1f}")
        if all(f"plain-{deep} onecycle" in by_seed[k] for k in by_seed):
            warm = {k: e(k, f"plain-{deep} onecycle") - e(k, f"plain-{shallow} onecycle") for k in by_seed}
            out.append(f"{profile}: plain-{deep} minus plain-{shallow}, seed by seed: cosine "
                       + ", ".join(f"{d:+.1f}" for d in degr) + "; one-cycle (warm-up) "
                       + ", ".join(f"{warm[k]:+.1f}" for k in by_seed))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", nargs="+", default=list(DEFAULT_SEEDS), choices=list(DEFAULT_SEEDS))
    parser.add_argument("--seeds", nargs="+", type=int, help="the same seeds for every profile "
                        "(default: laptop 0-2, smoke 0-5)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--warmup", action="store_true", help="also the plain networks with a "
                        "one-cycle schedule (09's answer key, exercise 2)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if SHARED_DATA.is_dir():
        os.environ.setdefault("COURSE_DATA_DIR", str(SHARED_DATA))
    if args.threads:
        torch.set_num_threads(args.threads)
    results, started = {}, time.time()
    for profile in args.profiles:
        results[profile] = {str(seed): measure(profile, seed, args.warmup)
                            for seed in (args.seeds or DEFAULT_SEEDS[profile])}
    record = {"date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - started),
              "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
              "device": str(cu.default_device()), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "errors_percent": results}
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"\n{table(results)}\n\n{margins(results)}\n\nwritten to {args.out} "
          f"({record['seconds']} s, {record['torch_threads']} torch threads)")


if __name__ == "__main__":
    main()
