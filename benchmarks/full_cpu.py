"""The `full` profile of the LeNet-sized notebooks, measured on the CPU, to set their floors.

03 (LeNet) and 08 (batch norm) are small enough to run at the lecture's real settings (10 epochs of
all 60,000 images at 28x28) on a CPU in minutes. This script executes them, and their answer keys,
under ``COURSE_PROFILE=full`` on the CPU, top to bottom in fresh kernels, and records what every
cell printed and every cell that failed, so that each `full` floor can be set from the measured
minimum with a margin (issue 19). With ``--profile laptop`` it does the same for the `laptop`
profile, whose floors students' CPUs meet with other thread counts, and another thread count moves
a run like another seed (09's laptop ResNet-32: training error 13.1 % with one torch thread, 14.4 %
with two; seeds 0-2 with two: 13.8 to 15.1 %).

Seeds: seed 0 is the notebooks as they are. ``--seeds 0 1`` runs the lecture notebooks again with
every ``cu.fit`` and ``cu.load_fashion_mnist`` call that names no seed given seed 1 instead (the
initialization and the data order both change; a call that names its seed keeps it), in a
checkpoint folder of its own.

    python benchmarks/full_cpu.py                       # seed 0: 03, 08 and both keys
    python benchmarks/full_cpu.py --seeds 0 1           # and seed 1 of the lecture notebooks
    python benchmarks/full_cpu.py --notebooks 03_lenet  # one notebook
    python benchmarks/full_cpu.py --profile laptop --seeds 1 2 --notebooks 03_lenet 09_resnet --out F
                                                        # another profile's floors, other seeds

Results: benchmarks/results/full-cpu.json (per seed and notebook: seconds, the summary lines of
every run, the printed output of the cells that print accuracies, and every failed cell).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "fashion-mnist"
DEFAULT = ["03_lenet", "solutions/03_lenet-solutions", "08_batch_norm", "solutions/08_batch_norm-solutions"]
ACC = re.compile(r"acc|accuracy|test|seed", re.IGNORECASE)

# Injected before the notebook's first cell when the seed is not 0: every fit and every
# load_fashion_mnist that names no seed gets this one.
RESEED = '''
import functools, course_utils as _cu
def _reseeded(f, seed):
    @functools.wraps(f)
    def call(*args, **kwargs):
        kwargs.setdefault("seed", seed)
        return f(*args, **kwargs)
    return call
_cu.fit = _reseeded(_cu.fit, {seed})
_cu.load_fashion_mnist = _reseeded(_cu.load_fashion_mnist, {seed})
'''


def run(name: str, seed: int, checkpoints: Path, timeout: int, profile: str = "full") -> dict:
    path = REPO / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    if seed != 0:
        nb.cells.insert(0, nbformat.v4.new_code_cell(RESEED.format(seed=seed)))
    os.environ.update(COURSE_PROFILE=profile, COURSE_DEVICE="cpu", COURSE_CHECKPOINT_DIR=str(checkpoints),
                      MPLBACKEND="Agg")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    printed, errors, summaries = [], [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        summaries += re.findall(r"^epoch \d+: loss .*$", text, re.MULTILINE)
        if text.strip() and ACC.search(text):
            printed.append({"cell": i, "text": text[-3000:]})
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                errors.append({"cell": i, "source": cell.source[-600:], "error": f"{o['ename']}: {o['evalue']}"[:600]})
    return dict(notebook=name, seed=seed, seconds=round(seconds, 1), summaries=summaries,
                printed=printed, errors=errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=DEFAULT)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--profile", default="full", choices=["full", "laptop", "smoke"],
                        help="the profile the notebooks run under (default full)")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds per cell")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "full-cpu.json")
    args = parser.parse_args()
    if "COURSE_DATA_DIR" not in os.environ and SHARED_DATA.is_dir():
        os.environ["COURSE_DATA_DIR"] = str(SHARED_DATA)
    import torch
    results = dict(machine=dict(processor=platform.processor() or platform.machine(), cpus=os.cpu_count(),
                                torch=torch.__version__, threads=torch.get_num_threads(),
                                date=time.strftime("%Y-%m-%d")), profile=args.profile, runs=[])
    scratch = Path(tempfile.mkdtemp(prefix="course-full-cpu-"))
    for seed in args.seeds:
        checkpoints = scratch / f"seed{seed}"
        for name in args.notebooks:
            if seed != 0 and name.startswith("solutions/"):
                continue  # the keys reuse the lecture's seed-0 runs; their own comparisons name seeds
            result = run(name, seed, checkpoints, args.timeout, args.profile)
            results["runs"].append(result)
            print(f"{name} seed {seed}: {result['seconds']:.0f} s, {len(result['errors'])} failed cell(s)", flush=True)
            for s in result["summaries"]:
                print("   ", s, flush=True)
            for e in result["errors"]:
                print("    FAILED cell", e["cell"], e["error"], flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
