"""Write benchmarks/RESULTS.md from the JSON files in benchmarks/results/.

Every benchmark script writes its own file (``<benchmark>-<device type>.json``; benchmark 4
one per profile), so a partial rerun replaces only its own figures. This script only reads
them; it measures nothing.

    python benchmarks/report.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
OUT = BENCH_DIR / "RESULTS.md"
DEVICE_ORDER = {"cpu": 0, "mps": 1, "cuda": 2}
QUICK_TARGETS = "- Targets are not assessed for a quick run."
# d2l's published test accuracies, the book's (d2l.ai, PyTorch edition) train_ch6 runs of each
# architecture at the lecture's settings (issue 19): the targets of a `full` run, shown beside it,
# never asserted (the notebooks' own floors are what fails a run).
D2L_PUBLISHED = {"LeNet": 0.80, "LeNet-BN": 0.88, "AlexNet": 0.89, "VGG-11/4": 0.92, "NiN": 0.87,
                 "GoogLeNet": 0.89, "ResNet-18": 0.92, "DenseNet": 0.91}


def num(x, digits=1, unit=""):
    if x is None:
        return "—"
    return f"{x:,.{digits}f}{unit}"


def minutes(seconds):
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else ("es" if word.endswith("ch") else "s"))


def flops(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.0f}"


def ratio(a, b, digits=2):
    return f"{a / b:.{digits}f}×" if a and b else "—"


def load() -> list[dict]:
    results = []
    for path in sorted(RESULTS_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "benchmark" not in data or "machine" not in data:
            continue  # another tool's file (full_cpu.py's full-cpu.json, full-floors.json), not a benchmark's
        data["_file"] = path.name
        data["_device_type"] = data["machine"]["device"].split(":")[0]
        results.append(data)
    results.sort(key=lambda d: (DEVICE_ORDER.get(d["_device_type"], 9), d["_file"]))
    return results


def machine_line(d: dict) -> str:
    m = d["machine"]
    load_avg = f"{m.get('load_average_start')} → {m.get('load_average_end')}"
    return (f"| `{d['_file']}` | {m['device_name']} (`{m['device']}`) | {m['cpu']}, "
            f"{m['usable_cpus']} of {m['cpu_count']} CPUs, {m['torch_threads']} torch threads | "
            f"{m['torch']} | {m.get('d2l') or '—'} | {m['date']} | {load_avg} | "
            f"{m.get('git') or '—'} | {'**quick**' if d.get('quick') else 'full'} |")


def provenance(d: dict, label: str = "") -> list[str]:
    m = d["machine"]
    flag = " **Quick run: a check that the script works, not a measurement.**" if d.get("quick") else ""
    label = f"{label}: " if label else ""
    return [f"*{label}{m['device_name']} (`{m['device']}`), {m['date']}, torch {m['torch']}; "
            f"made by `{d['command']}`.*{flag}", ""]


def first_load(d: dict) -> str:
    seconds = d.get("first_load_seconds")
    return "" if seconds is None else (f"; the very first load, which decompresses the files and "
                                       f"writes that cache, took {seconds:.2f} s")


def bench1(d: dict) -> list[str]:
    s, st = d["summary"], d["settings"]
    lines = [f"### On {d['machine']['device_name']} (`{d['machine']['device']}`)", ""]
    lines += provenance(d)
    lines += [f"Sigmoid LeNet, batch {st['batch_size']}, SGD lr {st['lr']}, {st['epochs']} epoch: "
              f"train batches {st['train_batches']}, test batches {st['test_batches']}; "
              f"median of {st['repeats']} alternating runs in one process. Wall time from asking for "
              f"the data to the test accuracy. \"Loader setup\" is the part before training starts "
              f"(course_utils: MD5 check of the four files and reading the decoded pixels that its "
              f"cache keeps{first_load(d)}; d2l: building the torchvision datasets from the files that "
              f"torchvision extracted once, its images are converted later, in the workers, during "
              f"training).", "",
              "| implementation | median wall time | min – max | of which loader setup | CPU time, all processes | "
              "test acc | time relative to course_utils |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    cu = s.get("course_utils", {}).get("median_seconds")
    names = {"course_utils": "course_utils (`load_fashion_mnist` + `fit`)",
             "d2l": "d2l 1.0.3 (`load_data_fashion_mnist` + `train_ch6`)",
             "bare": "bare loop (tensors in memory, no metrics)"}
    for impl, x in s.items():
        lines.append(f"| {names.get(impl, impl)} | {num(x['median_seconds'], 2, ' s')} | "
                     f"{num(x['min_seconds'], 2)} – {num(x['max_seconds'], 2)} s | "
                     f"{num(x['median_data_seconds'], 2, ' s')} | {num(x.get('median_cpu_seconds'), 1, ' s')} | "
                     f"{num(x['median_test_acc'], 3)} | "
                     f"{ratio(x['median_seconds'], cu)} |")
    d2l, bare = s.get("d2l", {}).get("median_seconds"), s.get("bare", {}).get("median_seconds")
    lines += ["", "CPU time: user + system time of the process and of its exited children (d2l's "
              "DataLoader workers), a second view of the work done; threads that busy-wait count too.", ""]
    if d.get("quick"):
        return lines + [QUICK_TARGETS, ""]
    if cu and d2l:
        lines.append(f"- course_utils against d2l: **{d2l / cu:.2f}× faster** (target: at least 2×).")
    if cu and bare:
        lines.append(f"- course_utils against the bare loop: **{(cu / bare - 1) * 100:+.1f}%** "
                     f"(target: within +10%).")
    return lines + [""]


def bench2(d: dict) -> list[str]:
    st = d["settings"]
    lines = [f"### On {d['machine']['device_name']} (`{d['machine']['device']}`)", ""]
    lines += provenance(d)
    lines += [f"Batch {st['batch_size']}, {st['warmup_batches']} warm-up + {st['timed_batches']} timed "
              f"batches per repeat, median of {st['repeats']}; a batch counts when it is a float tensor "
              "on the device. No model.", "",
              "| input | course_utils batches/s | d2l batches/s | course_utils ÷ d2l | "
              "course_utils images/s | d2l images/s | first batch: course_utils | first batch: d2l | "
              "CPU per batch: course_utils | CPU per batch: d2l |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    targets = []
    for row in d["rows"]:
        s = row["summary"]
        cu = s.get("course_utils", {}).get("median_batches_per_sec")
        d2 = s.get("d2l", {}).get("median_batches_per_sec")
        b = st["batch_size"]
        lines.append(f"| {row['size']}×{row['size']} | {num(cu)} | {num(d2)} | {ratio(cu, d2, 1)} | "
                     f"{num(cu and cu * b, 0)} | {num(d2 and d2 * b, 0)} | "
                     f"{num(s.get('course_utils', {}).get('median_first_batch_seconds'), 2, ' s')} | "
                     f"{num(s.get('d2l', {}).get('median_first_batch_seconds'), 2, ' s')} | "
                     f"{num(s.get('course_utils', {}).get('median_cpu_ms_per_batch'), 1, ' ms')} | "
                     f"{num(s.get('d2l', {}).get('median_cpu_ms_per_batch'), 1, ' ms')} |")
        if row["size"] == 224 and cu and d2 and not d.get("quick"):
            targets.append(f"- 224×224: course_utils delivers **{cu / d2:.1f}×** d2l's batches per second "
                           "(target: at least 5×).")
    lines += ["", "CPU per batch: user + system time of every process (d2l's workers included), start-up "
              "included, per delivered batch; d2l's workers may have prepared up to 8 batches more than "
              "were taken, which is charged to it."]
    if d.get("quick"):
        targets = [QUICK_TARGETS]
    return lines + [""] + targets + [""]


def bench3(d: dict) -> list[str]:
    st = d["settings"]
    lines = [f"### On {d['machine']['device_name']} (`{d['machine']['device']}`)", ""]
    lines += provenance(d)
    per = ("batches" if st["batches_per_window"] == 1
           else f"windows of {st['batches_per_window']} batches")
    lines += [f"Training examples per second, data loading included: {plural(st['warmup_batches'], 'warm-up batch')}, "
              f"then the median over {st['timed_windows']} timed "
              f"{per if st['timed_windows'] != 1 else per.replace('batches', 'batch').replace('windows', 'window')}. "
              "\"d2l's own figure\" is what train_ch6 prints (its timer leaves data loading out). "
              "The bare loop trains the same model on batches already resized on the device: on this "
              "device it is the arithmetic bound, and its GFLOP/s (3 × forward FLOPs per example) "
              "says how hard the device is working.", "",
              "| model | input | batch | training FLOPs per example | course_utils ex/s | d2l ex/s | "
              "d2l's own figure | bare ex/s | course_utils ÷ d2l | course_utils ÷ bare | bare GFLOP/s |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    notes = []
    for row in d["rows"]:
        m = row.get("median", {})
        cu, d2, bare = m.get("course_utils"), m.get("d2l"), m.get("bare")
        lines.append(f"| {row['model']} | {row['input_size']} | {row['batch_size']} | "
                     f"{flops(row['train_gflops_per_example'] * 1e9)} | {num(cu)} | {num(d2)} | "
                     f"{num(row.get('d2l_own_examples_per_sec'))} | {num(bare)} | {ratio(cu, d2)} | "
                     f"{ratio(cu, bare)} | {num(row.get('bare_gflops_per_sec'))} |")
        for impl, error in row.get("errors", {}).items():
            notes.append(f"- {row['model']}, {impl}: failed: `{error}`")
    pairs = [(r["model"], r["median"].get("course_utils"), r["median"].get("d2l")) for r in d["rows"]
             if r.get("median", {}).get("course_utils") and r.get("median", {}).get("d2l")]
    if d.get("quick"):
        notes.append(QUICK_TARGETS)
    elif pairs:
        slower = [f"{m} ({(c / x - 1) * 100:+.0f}%)" for m, c, x in pairs if c < x]
        notes.append(f"- course_utils is no slower than d2l for {len(pairs) - len(slower)} of {len(pairs)} "
                     f"models (target on a CPU: no slower; on a GPU the gap is the point)"
                     + (f"; slower: {', '.join(slower)}." if slower else "."))
    return lines + [""] + notes + ([""] if notes else [])


def bench4(profiles: list[dict], estimates: list[dict]) -> list[str]:
    lines = []
    by_device: dict[str, dict] = {}
    for d in profiles:
        by_device.setdefault(d["machine"]["device"], {})[d["profile"]] = d
    for d in estimates:
        by_device.setdefault(d["machine"]["device"], {})["lecture"] = d
    for device, runs in by_device.items():
        order = [p for p in ("smoke", "laptop", "full") if p in runs]
        est = runs.get("lecture")
        some = next(iter(runs.values()))
        lines += [f"### On {some['machine']['device_name']} (`{device}`)", ""]
        for p in order + (["lecture"] if est else []):
            label = "lecture-settings estimate" if p == "lecture" else f"{p} profile"
            lines += [provenance(runs[p], label)[0] + "  "]
        lines[-1] = lines[-1].rstrip()
        lines.append("")
        notebooks: list[str] = []
        for p in order:
            for r in runs[p]["notebooks"]:
                if r["notebook"] not in notebooks:
                    notebooks.append(r["notebook"])
        if est:
            for name in est.get("notebooks", {}):
                if name not in notebooks:
                    notebooks.append(name)
        if notebooks:
            header = ["notebook", "model"]
            for p in order:
                header += [f"{p}: wall time", f"{p}: test acc"]
            if est:
                header.append("lecture settings here (est.)")
            lines += ["| " + " | ".join(header) + " |",
                      "| " + " | ".join(["---", "---"] + ["---:"] * (len(header) - 2)) + " |"]
            totals = {p: 0.0 for p in order}
            kept = []
            for name in sorted(notebooks):
                cells = [name]
                model = None
                for p in order:
                    r = next((x for x in runs[p]["notebooks"] if x["notebook"] == name), None)
                    model = model or (r or {}).get("model")
                if est:
                    model = model or est["notebooks"].get(name, {}).get("model")
                cells.append(model or "—")
                for p in order:
                    r = next((x for x in runs[p]["notebooks"] if x["notebook"] == name), None)
                    if r is None:
                        cells += ["—", "—"]
                        continue
                    totals[p] += r["seconds"]
                    status = "" if r["status"] == "ok" else f" ({r['status']})"
                    if r.get("date") and r["date"] != runs[p]["machine"]["date"]:
                        kept.append(f"{name} ({p}): {r['date']}, `{r.get('command')}`")
                        status += f" [{len(kept)}]"
                    accs = ", ".join(f"{a:.3f}" for a in r.get("test_acc", [])) or "—"
                    cells += [minutes(r["seconds"]) + status, accs]
                if est:
                    cost = est["models"].get(model) if model else None
                    epochs = est["notebooks"].get(name, {}).get("full_settings", {}).get("epochs")
                    if cost and epochs:
                        cells.append(minutes(cost["seconds_per_epoch"] * epochs) + f" ({epochs} epochs)")
                    else:
                        cells.append(minutes(cost["seconds_lecture"]) if cost else "—")
                lines.append("| " + " | ".join(cells) + " |")
            total_cells = ["**all notebooks**", ""]
            for p in order:
                total_cells += [f"**{minutes(totals[p])}**", ""]
            if est:
                total_cells.append("")
            lines += ["| " + " | ".join(total_cells) + " |", ""]
            if kept:
                lines += ["Made by an earlier command than this file's last one, on this machine (a partial "
                          "rerun keeps the other notebooks' figures; benchmarks/gpu.sh runs the notebooks in "
                          "several commands):", ""]
                lines += [f"{i}. {k}" for i, k in enumerate(kept, 1)] + [""]
            lines += ["Wall time: `jupyter nbconvert --to notebook --execute` of the notebook in a fresh "
                      "kernel, kernel start included, one fresh checkpoint folder per profile shared by "
                      "the notebooks in order. Test acc: the final test accuracy of every `fit` in the "
                      "notebook, in order.", ""]
        else:
            lines += ["No notebooks were found when this ran.", ""]
        if "full" in runs:
            lines += d2l_targets(runs["full"])
        if est:
            st = est["settings"]
            lines += [f"The lecture's settings on this machine, estimated: {st['epochs']} epochs of "
                      f"{st['train_examples']:,} training images plus {st['test_examples']:,} test images "
                      f"per epoch (evaluation counted at {st['eval_cost']}), from fit()'s training rate "
                      "at the model's full setting. In the notebook table: the notebook's main model "
                      "(matched by file name) for the `epochs` of its `full` settings; other runs in "
                      "the same notebook (ablations, a second model) come on top.", "",
                      "| model | input | batch | fit ex/s | one epoch | 10 epochs | measured by |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
            for name, c in est["models"].items():
                lines.append(f"| {name} | {c['input_size']} | {c['batch_size']} | "
                             f"{num(c['train_examples_per_sec'])} | {minutes(c['seconds_per_epoch'])} | "
                             f"{minutes(c['seconds_lecture'])} | {c['source']} |")
            lines.append("")
    return lines


def d2l_targets(run: dict) -> list[str]:
    """The `full` run's accuracies beside d2l's published ones: a comparison, not a test."""
    rows = []
    for r in sorted(run["notebooks"], key=lambda x: x["notebook"]):
        target = D2L_PUBLISHED.get(r.get("model"))
        if target is None:
            continue
        accs = r.get("test_acc", [])
        best = max(accs) if accs else None
        status = "" if r["status"] == "ok" else f" ({r['status']})"
        rows.append(f"| {r['notebook']}{status} | {r['model']} | {target:.2f} | "
                    f"{', '.join(f'{a:.3f}' for a in accs) or '—'} | {num(best, 3)} | "
                    f"{'—' if best is None else f'{best - target:+.3f}'} |")
    if not rows:
        return []
    quick = " This was a quick run: the comparison means nothing." if run.get("quick") else ""
    return ["Against d2l's published test accuracies (the book's runs of the same architectures at the "
            "lecture's settings): targets to compare with, not checked. \"best\" is the highest final "
            "test accuracy among the notebook's fits (a notebook may also train ablations or a second "
            f"model).{quick}", "",
            "| notebook (`full`) | model | d2l published | test acc of every fit | best | best − d2l |",
            "| --- | --- | ---: | --- | ---: | ---: |"] + rows + [""]


def precision_runs(found: list[dict], results: list[dict]) -> list[str]:
    """Notebooks run with COURSE_PRECISION forced (gpu.sh: fp16, a T4's path), beside the default run."""
    lines = []
    for d in found:
        device = d["machine"]["device"]
        lines += [f"### On {d['machine']['device_name']} (`{device}`)", ""]
        lines += provenance(d)
        lines += ["| notebook | profile | precision | status | wall time | test acc | training on |",
                  "| --- | --- | --- | --- | ---: | --- | --- |"]
        for r in d["runs"]:
            accs = ", ".join(f"{a:.3f}" for a in r.get("test_acc", [])) or "—"
            status = r["status"] + (f": `{r['error']}`" if r.get("error") else "")
            lines.append(f"| {r['notebook']} | {r['profile']} | {r['precision']} | {status} | "
                         f"{minutes(r['seconds'])} | {accs} | {'; '.join(r.get('training_on', [])) or '—'} |")
            same = next((x for b in results if b["benchmark"] == "bench4" and b.get("profile") == r["profile"]
                         and b["machine"]["device"] == device
                         for x in b.get("notebooks", []) if x["notebook"] == r["notebook"]), None)
            if same is not None:
                accs = ", ".join(f"{a:.3f}" for a in same.get("test_acc", [])) or "—"
                lines.append(f"| {r['notebook']} | {r['profile']} | the device's default (benchmark 4) | "
                             f"{same['status']} | {minutes(same['seconds'])} | {accs} | — |")
        lines.append("")
    return lines


def main() -> int:
    results = load()
    lines = ["# Benchmark results", "",
             "Generated by `benchmarks/report.py` (run by `make bench`) from `benchmarks/results/*.json`; "
             "do not edit by hand. How each figure is measured: `benchmarks/README.md`.", ""]
    if not results:
        lines += ["No results yet: run `make bench`.", ""]
    if any(d.get("quick") for d in results):
        lines += ["> **Some figures below come from `--quick` runs** (tiny repeat counts and batch limits, "
                  "marked *quick* in the machine table). They show that the scripts work; they are not "
                  "measurements. Rerun `make bench` on a quiet machine.", ""]
    loads = [d["machine"].get("load_average_start") for d in results]
    cpus = [d["machine"]["usable_cpus"] for d in results]
    if any(l and l[0] > 0.5 * c for l, c in zip(loads, cpus)):
        lines += ["> **The machine was busy during some runs** (1-minute load average above half its CPU "
                  "count at the start: see the machine table). Timings from a shared machine are not "
                  "comparable between runs.", ""]
    if results:
        lines += ["## Machines and runs", "",
                  "| results file | device | CPU | torch | d2l | date | load average start → end | "
                  "commit | run |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [machine_line(d) for d in results] + [""]
    sections = [
        ("1. One LeNet epoch, end to end", "bench1", bench1),
        ("2. The input pipeline alone", "bench2", bench2),
        ("3. Every architecture at its full setting", "bench3", bench3),
    ]
    for title, key, render in sections:
        found = [d for d in results if d["benchmark"] == key]
        if found:
            lines += [f"## {title}", ""]
            for d in found:
                lines += render(d)
    profiles = [d for d in results if d["benchmark"] == "bench4" and d.get("profile") != "lecture-estimate"]
    estimates = [d for d in results if d["benchmark"] == "bench4" and d.get("profile") == "lecture-estimate"]
    if profiles or estimates:
        lines += ["## 4. Notebooks: time and accuracy per profile, against the lecture's settings", ""]
        lines += bench4(profiles, estimates)
    precision = [d for d in results if d["benchmark"] == "precision"]
    if precision:
        lines += ["## 5. A notebook in another precision", "",
                  "`benchmarks/gpu.sh` runs one notebook with `COURSE_PRECISION=fp16` (fp16 autocast with "
                  "loss scaling, what a T4 on Colab runs) in a checkpoint folder of its own, so that path is "
                  "executed on real CUDA; below it, the same notebook at the device's default precision.", ""]
        lines += precision_runs(precision, results)
    OUT.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {OUT.relative_to(BENCH_DIR.parent)} from {len(results)} result file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
