"""Benchmark 4: what each notebook costs under a profile, and what the lecture's settings would.

For every notebook in notebooks/ (in lecture order) and every profile asked for, the notebook
is executed as a student would run it, top to bottom in a fresh kernel:

    COURSE_PROFILE=<profile> jupyter nbconvert --to notebook --execute <notebook>

and its wall time (kernel start included) and the test accuracies it reached (every fit()
prints "epoch N: loss ..., train acc ..., test acc X, ...") are recorded. Per profile one
fresh, empty checkpoint folder is shared by the notebooks in order, as on a student's
machine: nothing is loaded from an earlier benchmark run, while a later notebook (the
comparison) may reuse a finished run of an earlier one. Plots render inline as in Jupyter
(MPLBACKEND is not forced). Executed copies go to a scratch folder, never into notebooks/.

Beside it, on a CPU: what the lecture's own settings (the `full` profile: the model at its
full size and input resolution, 10 epochs of 60,000 images) would cost on this machine,
extrapolated from a few timed batches of fit() per model (benchmark 3's figures when it ran
here, else measured now). Evaluation is counted at a third of a training example's cost
(forward only). A notebook is matched to its model by its file name (03_lenet -> LeNet).

    python benchmarks/bench4_notebooks.py                          # smoke, every notebook
    python benchmarks/bench4_notebooks.py --profiles laptop         # ~40 minutes on a 2-core CPU
    python benchmarks/bench4_notebooks.py --profiles smoke laptop --notebooks 03_lenet 05_alexnet
    python benchmarks/bench4_notebooks.py --quick                   # smoke, and a quick estimate
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import common  # first: sets the environment up

import torch
from course_utils.notebook_settings import read_settings

NOTEBOOKS = common.REPO / "notebooks"
SUMMARY = re.compile(r"epoch (\d+): loss (\S+), train acc ([0-9.]+), test acc ([0-9.]+), "
                     r"([0-9.]+) examples/sec on (\S+), ([0-9.]+) s in all")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EPOCHS_LECTURE = 10
TRAIN_EXAMPLES, TEST_EXAMPLES = 60_000, 10_000


# --------------------------------------------------------------------------------------
# Reading notebooks
# --------------------------------------------------------------------------------------

def _tokens(stem: str) -> list[str]:
    return re.split(r"[_\-\s.]+", stem.lower())


def model_of(stem: str, models: dict) -> str | None:
    """The architecture a notebook trains, from its file name; the most specific match wins."""
    tokens = _tokens(stem)
    joined = "_".join(tokens)
    # LeNet-BN before LeNet: "07_batch_norm_lenet" is about batch norm.
    for name in sorted(models, key=lambda n: n != "LeNet-BN"):
        for keyword in models[name]["keywords"]:
            keyword = keyword.replace("-", "_")
            if keyword in tokens or ("_" in keyword and keyword in joined):
                return name
    return None


def full_settings(path: Path) -> dict:
    """The notebook's `full` settings, read from its settings cell ({} where it has none that can be read)."""
    try:
        return read_settings(path)["full"]
    except ValueError as error:
        print(f"  {path.name}: no lecture settings read ({error})")
        return {}


def read_outputs(path: Path) -> dict:
    """Test accuracies and other facts from an executed notebook's outputs."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    text = []
    errors = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text.append(out.get("text", ""))
            elif out.get("output_type") == "error":
                errors.append(f"{out.get('ename')}: {out.get('evalue')}")
    return dict(parse_fits("".join(text)), errors=errors)


def parse_fits(text: str, unique: bool = False) -> dict:
    """fit()'s summary lines in `text`; unique: drop repeats (an error report quotes one twice)."""
    found = SUMMARY.findall(text)
    if unique:
        found = list(dict.fromkeys(found))
    fits = [dict(epochs=int(m[0]), loss=m[1], train_acc=float(m[2]), test_acc=float(m[3]),
                 examples_per_sec=float(m[4]), device=m[5], fit_seconds=float(m[6]))
            for m in found]
    return dict(fits=fits, test_acc=[f["test_acc"] for f in fits],
                reused_checkpoints=text.count("Loaded the finished run from"))


# --------------------------------------------------------------------------------------
# Executing notebooks
# --------------------------------------------------------------------------------------

def kernel_environment(profile: str, checkpoints: Path) -> dict:
    env = dict(os.environ)
    env["COURSE_PROFILE"] = profile
    env["COURSE_CHECKPOINT_DIR"] = str(checkpoints)
    if common.ORIGINAL_MPLBACKEND is None:
        env.pop("MPLBACKEND", None)  # let the kernel draw inline, as it does for a student
    else:
        env["MPLBACKEND"] = common.ORIGINAL_MPLBACKEND
    return env


def execute(path: Path, profile: str, outdir: Path, env: dict, timeout: float | None) -> dict:
    output = outdir / f"{path.stem}-{profile}.ipynb"
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path),
           "--output-dir", str(outdir), "--output", output.stem,
           "--ExecutePreprocessor.timeout=-1", "--ExecutePreprocessor.kernel_name=python3"]
    output.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        status, log = ("ok" if proc.returncode == 0 else "failed"), proc.stderr
    except subprocess.TimeoutExpired as error:
        status, log = f"timeout after {timeout:.0f} s", (error.stderr or b"").decode(errors="replace") \
            if isinstance(error.stderr, bytes) else (error.stderr or "")
    seconds = time.perf_counter() - t0
    result = dict(notebook=path.stem, profile=profile, status=status, seconds=seconds)
    log = ANSI.sub("", log or "")
    if output.is_file():
        result.update(read_outputs(output))
    else:  # nbconvert writes no copy when a cell fails: what fit() printed is in its error report
        result.update(parse_fits(log, unique=True))
    if status != "ok":
        lines = [line for line in log.strip().splitlines() if line.strip()]
        result["log_tail"] = lines[-15:]
    return result


# --------------------------------------------------------------------------------------
# The lecture's settings on this CPU
# --------------------------------------------------------------------------------------

def estimate(models: dict, device, quick: bool, reuse: bool) -> dict:
    """Seconds per lecture run (10 epochs of 60k + evaluation of 10k) per model, on `device`."""
    import bench3_architectures as bench3
    rates, source = {}, {}
    if not models:
        print("  no notebook trains one of the lecture's architectures (matched by file name)")
        return {}
    previous = common.RESULTS_DIR / f"bench3-{torch.device(device).type}.json"
    if reuse and previous.is_file():
        data = json.loads(previous.read_text())
        if not data.get("quick") and data["machine"]["host"] == common.machine_info(device)["host"]:
            for row in data["rows"]:
                rate = row.get("median", {}).get("course_utils")
                if rate and row["model"] in models:
                    rates[row["model"]] = rate
                    source[row["model"]] = f"benchmark 3 ({data['machine']['date']})"
    plan = (1, 1, 1) if quick else (1, 2, 1)
    for name, spec in models.items():
        if name in rates:
            continue
        print(f"  timing {name} at its full setting ({plan[0]} + {plan[1] * plan[2]} batches of fit)", flush=True)
        try:
            rates[name] = common.median(bench3.run_course_utils(spec, device, plan))
            source[name] = f"{plan[1] * plan[2]} timed batch(es) after {plan[0]} warm-up, measured now"
        except Exception as error:
            print(f"    failed: {type(error).__name__}: {error}")
    out = {}
    for name, rate in rates.items():
        per_epoch = TRAIN_EXAMPLES / rate + TEST_EXAMPLES / (3 * rate)
        out[name] = dict(train_examples_per_sec=rate, seconds_per_epoch=per_epoch,
                         seconds_lecture=EPOCHS_LECTURE * per_epoch, source=source[name],
                         batch_size=models[name]["batch"], input_size=models[name]["size"])
        print(f"  {name:>10}: {rate:8.1f} examples/s -> {per_epoch / 60:7.1f} min per epoch, "
              f"{EPOCHS_LECTURE * per_epoch / 3600:6.2f} h for {EPOCHS_LECTURE} epochs", flush=True)
    return out


def _results_path(name: str, device) -> Path:
    return common.RESULTS_DIR / f"{name}-{torch.device(device).type}.json"


def _same_setup(previous: dict, info: dict, args) -> bool:
    """Merge with an earlier results file only if it is from this host and of the same kind."""
    return (previous["machine"].get("host") == info["host"]
            and previous["machine"].get("torch") == info["torch"]
            and bool(previous.get("quick")) == bool(args.quick))


def earlier(name: str, device, info: dict, args, key: str) -> list[dict]:
    """Entries of an earlier run of this benchmark that this run does not replace.

    A partial rerun (some notebooks, one profile) keeps the other notebooks' figures, each
    with the date and command that made it; a run on another host or torch, or a quick run
    beside a real one, starts the file afresh.
    """
    path = _results_path(name, device)
    if not path.is_file():
        return []
    previous = json.loads(path.read_text())
    if not _same_setup(previous, info, args):
        return []
    return [dict(entry, date=entry.get("date", previous["machine"]["date"]),
                 command=entry.get("command", previous.get("command")))
            for entry in previous.get(key, [])]


def main():
    parser = common.base_parser(__doc__.split("\n\n")[0], repeats=False)
    parser.add_argument("--profiles", nargs="+", default=["smoke"], choices=["smoke", "laptop", "full"])
    parser.add_argument("--notebooks", nargs="+", default=None,
                        help="notebook names (stems, e.g. 03_lenet) or globs; default: all")
    parser.add_argument("--notebook-dir", type=Path, default=NOTEBOOKS)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per notebook before it is stopped (default: none)")
    parser.add_argument("--estimate", dest="estimate", action="store_true", default=None,
                        help="estimate the lecture settings' cost (default: on a CPU only)")
    parser.add_argument("--no-estimate", dest="estimate", action="store_false")
    parser.add_argument("--estimate-all", action="store_true",
                        help="estimate every architecture, not only those of the notebooks found")
    parser.add_argument("--remeasure", action="store_true",
                        help="time the estimate's batches now even if benchmark 3 ran on this machine")
    args = parser.parse_args()
    device = common.pick_device(args.device)
    if args.device:
        os.environ["COURSE_DEVICE"] = args.device  # the notebooks' kernels train there too
    info = common.machine_info(device)
    models = common.architectures()

    paths = sorted(args.notebook_dir.glob("*.ipynb"))
    if args.notebooks:
        wanted = args.notebooks
        paths = [p for p in paths if any(p.stem == w or p.name == w or p.match(w) for w in wanted)]
    print(f"Benchmark 4: {len(paths)} notebook(s) in {args.notebook_dir} under {', '.join(args.profiles)} "
          f"on {info['device_name']} ({device})")
    if not paths:
        print("  no notebooks found: the profile tables stay empty")

    outdir = common.SCRATCH / "executed"
    outdir.mkdir(parents=True, exist_ok=True)
    lecture = {p.stem: dict(model=model_of(p.stem, models), full_settings=full_settings(p)) for p in paths}
    for profile in args.profiles:
        checkpoints = common.SCRATCH / f"checkpoints-{profile}-{int(time.time())}"
        if checkpoints.exists():
            shutil.rmtree(checkpoints)
        env = kernel_environment(profile, checkpoints)
        results = []
        for path in paths:
            result = execute(path, profile, outdir, env, args.timeout)
            result.update(lecture[path.stem], date=info["date"], command=common.command_line())
            results.append(result)
            accs = ", ".join(f"{a:.3f}" for a in result.get("test_acc", [])) or "—"
            print(f"  {profile:>6} {path.stem:<28} {result['status']:>7} {result['seconds']:8.1f} s   "
                  f"test acc {accs}", flush=True)
            for line in result.get("log_tail", [])[-3:]:
                print(f"           {line}")
        total = sum(r["seconds"] for r in results)
        print(f"  {profile}: {total / 60:.1f} min for {len(results)} notebook(s)")
        kept = earlier(f"bench4-{profile}", device, info, args, "notebooks")
        existing = {p.stem for p in args.notebook_dir.glob("*.ipynb")}
        results += [r for r in kept if r["notebook"] not in {x["notebook"] for x in results}
                    and r["notebook"] in existing]
        results.sort(key=lambda r: r["notebook"])
        total = sum(r["seconds"] for r in results)
        common.save_results(f"bench4-{profile}", device, dict(
            benchmark="bench4", profile=profile, title=f"Notebooks under the {profile} profile",
            settings=dict(notebook_dir=str(args.notebook_dir), timeout=args.timeout,
                          executed_copies=str(outdir)),
            machine=info, notebooks=results, total_seconds=total), args)

    do_estimate = args.estimate if args.estimate is not None else torch.device(device).type == "cpu"
    if do_estimate:
        print(f"Lecture settings on this {torch.device(device).type}: {EPOCHS_LECTURE} epochs of 60,000 images")
        wanted = models if args.estimate_all else {
            name: spec for name, spec in models.items() if any(x["model"] == name for x in lecture.values())}
        costs = estimate(wanted, device, args.quick, reuse=not args.remeasure)
        path = _results_path("bench4-lecture", device)
        previous = json.loads(path.read_text()) if path.is_file() else None
        if previous and _same_setup(previous, info, args):  # keep the models not estimated now
            costs = {**previous.get("models", {}), **costs}
            lecture = {**previous.get("notebooks", {}), **lecture}
        common.save_results("bench4-lecture", device, dict(
            benchmark="bench4", profile="lecture-estimate",
            title="The lecture's settings on this machine (estimate)",
            settings=dict(epochs=EPOCHS_LECTURE, train_examples=TRAIN_EXAMPLES, test_examples=TEST_EXAMPLES,
                          eval_cost="1/3 of a training example"),
            machine=info, models=costs, notebooks=lecture), args)


if __name__ == "__main__":
    main()
