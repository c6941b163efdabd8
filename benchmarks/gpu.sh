#!/usr/bin/env bash
# Every benchmark on a GPU machine, in one go, within a time budget, then benchmarks/RESULTS.md.
#
#   benchmarks/gpu.sh                          # from the repository root or anywhere
#   GPU_OUT=$OUT benchmarks/gpu.sh             # on the lent machine (README.md, "On a GPU")
#   COURSE_DEVICE=cpu GPU_QUICK=1 benchmarks/gpu.sh   # a dry run on a CPU: every step, tiny counts
#
# In this order, each step started only if its estimate fits in what is left of the budget:
#   1. notebooks 03, 08 and 09 under `full` (the floors of issue 19 need them first);
#   2. notebook 03 under `full` again with COURSE_PRECISION=fp16: the T4's path (fp16 autocast and
#      loss scaling) executed on real CUDA once (results/precision-fp16-<device>.json);
#   3. benchmarks 1-3: one LeNet epoch, the input pipelines, every architecture, against d2l;
#   4. the other notebooks under `full`, in lecture order, as long as the budget allows; what does
#      not fit is listed as skipped;
#   5. report.py: RESULTS.md, with d2l's published accuracies beside the notebooks' as targets.
# A failed step is reported and the next one runs; the exit status says whether any failed.
#
# Python: $PY if set; else .venv/bin/python if there is one (as on a machine set up with `make
# setup`); else, where benchmarks/prepare_gpu_wheels.sh's carried folder is, a virtual environment
# .venv-gpu over the machine's python3 (its CUDA torch, torchvision, numpy, matplotlib...) with the
# rest installed from the carried wheels, offline (`pip --no-index`); else `make setup`.
#
# Settings (environment):
#   COURSE_DEVICE     cuda (default); cpu runs it as a dry run on a CPU: results/ and RESULTS.md
#                     are restored afterwards (GPU_KEEP_RESULTS=1 keeps the dry run's) and the dry
#                     run's report is left in $GPU_OUT or printed
#   GPU_QUICK=1       tiny counts in benchmarks 1-3, and the notebooks under smoke (a check)
#   GPU_PROFILES      the notebooks' profiles (default full; smoke with GPU_QUICK)
#   GPU_BUDGET_S      seconds for the whole script (default 570: a 10-minute device call, with
#                     margin); a started step is stopped when the budget runs out
#   GPU_FIRST         the notebooks run first (default "03_lenet 08_batch_norm 09_resnet")
#   GPU_REST          the notebooks after the benchmarks (default: all the others, in order)
#   GPU_FP16          the notebook run with COURSE_PRECISION=fp16 (default 03_lenet; empty: none)
#   GPU_BENCH         which of benchmarks 1-3 run (default "1 2 3")
#   GPU_REPEATS       benchmark 1's repeats (default 5)
#   GPU_OUT=dir       a copy of the log (gpu.log) and of the results (gpu-results.tar.gz: results/
#                     and RESULTS.md), refreshed after every step, so a run cut short keeps them
#   GPU_CARRY=dir     the carried folder (default benchmarks/gpu-carry)
#   BENCH_KEEP=1      keep the scratch folder (executed notebooks, caches)
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
export PYTHONUNBUFFERED=1
BUDGET="${GPU_BUDGET_S:-570}"
CARRY="${GPU_CARRY:-benchmarks/gpu-carry}"
if [ -n "${GPU_OUT:-}" ]; then
  mkdir -p "$GPU_OUT"
  GPU_OUT="$(cd "$GPU_OUT" && pwd)"
  exec > >(tee -a "$GPU_OUT/gpu.log") 2>&1
fi
say() { echo "gpu.sh [$((SECONDS - t0)) s]: $*"; }

# ---------------------------------------------------------------------------------------------
# Python
# ---------------------------------------------------------------------------------------------
RUNNER_MODULES="nbconvert nbclient nbformat ipykernel jupyter_client ipywidgets"
has_all() {  # has_all PYTHON: everything the scripts import
  "$1" -c "import $(echo $RUNNER_MODULES | tr ' ' ','), d2l.torch, course_utils" 2>/dev/null
}

offline_venv() {  # a venv over the machine's python3, the rest from the carried wheels
  local base="${GPU_BASE_PYTHON:-python3}" venv=.venv-gpu site
  if [ -x "$venv/bin/python" ] && has_all "$venv/bin/python"; then
    say "reusing $venv"
    PY="$venv/bin/python"; return
  fi
  say "building $venv over $(command -v "$base") with the wheels in $CARRY/wheels (no index)"
  rm -rf "$venv"
  "$base" -m venv --system-site-packages --without-pip "$venv"
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
  # Where python3 is itself a virtual environment (on the lent machine: /opt/torch/.venv),
  # --system-site-packages reaches the interpreter under it, not that environment's packages (its
  # CUDA torch): a .pth file adds them, after this environment's own. Its pip comes along too.
  "$base" -c 'import site; print("\n".join(site.getsitepackages()))' > "$site/_gpu_base_python.pth"
  echo "$PWD" > "$site/_course_checkout.pth"   # course_utils from this checkout, as `pip install -e .`
  "$venv/bin/python" -c "import torch" || { echo "gpu.sh: $base has no torch" >&2; exit 1; }
  "$venv/bin/python" -m pip --version >/dev/null || { echo "gpu.sh: $base has no pip" >&2; exit 1; }
  # pip keeps what the machine has where it satisfies the requirements and installs the rest.
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet --no-index --find-links "$CARRY/wheels" $RUNNER_MODULES
  "$venv/bin/python" -m pip install --quiet --no-index --find-links "$CARRY/wheels" --no-deps d2l==1.0.3
  PY="$venv/bin/python"
}

if [ -n "${PY:-}" ]; then
  :
elif [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
elif [ -d "$CARRY/wheels" ]; then
  offline_venv
else
  say "no .venv and no $CARRY: running make setup (needs the network)"
  make setup
  PY=.venv/bin/python
fi
# The d2l baseline, as `make bench` installs it (the offline environment has it already).
"$PY" -c "import d2l.torch" 2>/dev/null || "$PY" -m pip install --quiet --no-deps d2l==1.0.3 pandas requests scipy
if ! has_all "$PY"; then
  "$PY" -c "import $(echo $RUNNER_MODULES | tr ' ' ','), d2l.torch, course_utils"  # says what is missing
fi

export COURSE_DEVICE="${COURSE_DEVICE:-cuda}"
DRY=""
case "$COURSE_DEVICE" in cuda*) ;; *) DRY=1 ;; esac
"$PY" - <<'EOF'
import os, platform, sys, torch
device = os.environ["COURSE_DEVICE"]
if device.startswith("cuda") and not torch.cuda.is_available():
    sys.exit(f"COURSE_DEVICE={device} but torch {torch.__version__} sees no CUDA device: this script "
             "is for a GPU machine (COURSE_DEVICE=cpu GPU_QUICK=1 runs it as a dry run on a CPU; "
             "`make bench` measures the CPU).")
where = torch.cuda.get_device_name() if device.startswith("cuda") else f"{device} (a dry run)"
print(f"gpu.sh: Python {platform.python_version()} at {sys.executable}, torch {torch.__version__} on {where}")
EOF

# ---------------------------------------------------------------------------------------------
# Scratch, data, results
# ---------------------------------------------------------------------------------------------
scratch="$(mktemp -d -t course-bench-XXXXXX)"
export BENCH_SCRATCH="$scratch" COURSE_CACHE_DIR="$scratch/course_cache"
if [ -z "${COURSE_DATA_DIR:-}" ]; then
  if [ -d ../shared/data/fashion-mnist ]; then COURSE_DATA_DIR="$(cd ../shared/data/fashion-mnist && pwd)"
  else COURSE_DATA_DIR="$PWD/$CARRY/fashion-mnist"; fi
fi
export COURSE_DATA_DIR
if [ ! -f "$COURSE_DATA_DIR/train-images-idx3-ubyte.gz" ]; then
  echo "gpu.sh: no Fashion-MNIST files in $COURSE_DATA_DIR: set COURSE_DATA_DIR, or run" \
       "benchmarks/prepare_gpu_wheels.sh and carry $CARRY" >&2
  exit 1
fi

if [ -n "$DRY" ]; then  # a dry run must not replace the CPU measurements in results/ and RESULTS.md
  cp -a benchmarks/results "$scratch/results-before"
  cp -a benchmarks/RESULTS.md "$scratch/RESULTS-before.md" 2>/dev/null || true
fi
finish() {
  if [ -n "$DRY" ] && [ -z "${GPU_KEEP_RESULTS:-}" ] && [ -d "$scratch/results-before" ]; then
    local report="${GPU_OUT:-${TMPDIR:-/tmp}}/gpu-dry-run-RESULTS.md"
    cp benchmarks/RESULTS.md "$report" 2>/dev/null || true
    rm -rf benchmarks/results && cp -a "$scratch/results-before" benchmarks/results
    cp -a "$scratch/RESULTS-before.md" benchmarks/RESULTS.md 2>/dev/null || true
    echo "gpu.sh: dry run: benchmarks/results and RESULTS.md restored; its report: $report"
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then echo "gpu.sh: kept the scratch folder $scratch"; else rm -rf "$scratch"; fi
}
trap finish EXIT

save_out() {
  [ -n "${GPU_OUT:-}" ] || return 0
  tar -czf "$GPU_OUT/gpu-results.tar.gz" benchmarks/results benchmarks/RESULTS.md 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Steps, within the budget
# ---------------------------------------------------------------------------------------------
QUICK=()
[ -n "${GPU_QUICK:-}" ] && QUICK=(--quick)
if [ -n "${GPU_QUICK:-}" ]; then PROFILES="${GPU_PROFILES:-smoke}"; else PROFILES="${GPU_PROFILES:-full}"; fi
FIRST="${GPU_FIRST-03_lenet 08_batch_norm 09_resnet}"
FP16="${GPU_FP16-03_lenet}"
if [ -n "${GPU_REST+x}" ]; then
  REST="$GPU_REST"
else
  REST=""
  for nb in notebooks/*.ipynb; do
    stem="$(basename "$nb" .ipynb)"
    case " $FIRST " in *" $stem "*) ;; *) REST="$REST $stem" ;; esac
  done
fi

# Estimated seconds on one H100 under `full`, kernel start included: rough figures made from the
# models' FLOPs and kernel counts, not yet measured (README.md, "On a GPU"); replace them with the
# times of a first run. They only decide whether a step starts; the budget stops a late one.
# Under smoke, and in a dry run: 40 s per notebook, 30 s per quick benchmark.
estimate() {
  local what="$1" profile="$2"
  if [ "$profile" != full ] || [ -n "$DRY" ]; then
    case "$what" in bench*) [ -n "${GPU_QUICK:-}" ] && { echo 30; return; } ;; *) echo 40; return ;; esac
  fi
  case "$what" in
    bench1) echo 60 ;;  bench2) echo 45 ;;  bench3) echo 150 ;;
    01_channels|02_pooling) echo 30 ;;  03_lenet) echo 45 ;;  08_batch_norm) echo 60 ;;  09_resnet) echo 180 ;;
    04_alexnet|05_vgg|06_nin|07_googlenet|10_densenet) echo 150 ;;  11_comparison) echo 900 ;;  *) echo 150 ;;
  esac
}

failed=(); skipped=()
# step NAME ESTIMATE COMMAND...: runs COMMAND (a program or one of the functions below) if ESTIMATE
# seconds fit in what is left of the budget, and stops it when the budget runs out.
step() {
  local name="$1" est="$2"; shift 2
  local left=$((BUDGET - (SECONDS - t0))) started=$SECONDS rc=0
  if [ "$est" -gt "$left" ] || [ "$left" -lt 5 ]; then
    say "SKIPPED $name: estimated ${est} s, ${left} s of the ${BUDGET} s budget left"
    skipped+=("$name"); return 0
  fi
  say "$name (estimated ${est} s, ${left} s left)"
  STEP_LEFT="$left" timeout --kill-after=15 "$left" bash -c '"$@"' step "$@" || rc=$?
  if [ "$rc" = 0 ]; then
    say "$name: done in $((SECONDS - started)) s"
  elif [ "$rc" = 124 ]; then
    say "$name: STOPPED at the end of the budget, after $((SECONDS - started)) s"; failed+=("$name")
  else
    say "$name: FAILED (exit $rc) after $((SECONDS - started)) s"; failed+=("$name")
  fi
  save_out
}
bench4() {  # bench4 PROFILE NOTEBOOK...: benchmark 4, each notebook limited to the budget left
  local profile="$1" limit=$((${STEP_LEFT:-600} - 20)); shift
  "$PY" benchmarks/bench4_notebooks.py --profiles "$profile" --notebooks "$@" --no-estimate \
    --timeout "$((limit > 30 ? limit : 30))" || return
  # bench4 records a failed or stopped notebook and exits 0: say so here.
  "$PY" - "$profile" "$@" <<'EOF'
import json, os, sys
from pathlib import Path
profile, names = sys.argv[1], sys.argv[2:]
kind = os.environ["COURSE_DEVICE"].split(":")[0]
runs = json.loads(Path(f"benchmarks/results/bench4-{profile}-{kind}.json").read_text())["notebooks"]
bad = [f"{r['notebook']}: {r['status']}" for r in runs if r["notebook"] in names and r["status"] != "ok"]
sys.exit(f"gpu.sh: {'; '.join(bad)}" if bad else 0)
EOF
}
export -f bench4
export PY

say "device $COURSE_DEVICE, notebooks under $PROFILES, budget $BUDGET s${GPU_QUICK:+, quick}${DRY:+, DRY RUN}"
# 1. The floors' notebooks first, whatever the budget says (they are why the machine was lent).
# One command per notebook, so that each one's figures are saved as soon as it ends.
for profile in $PROFILES; do
  for nb in $FIRST; do
    step "notebook $nb ($profile)" 0 bench4 "$profile" "$nb"
  done
done

# 2. The fp16 path (a T4's) on this device, once: notebook, profile, time, accuracies, errors.
fp16_run() {  # fp16_run PROFILE NOTEBOOK
  COURSE_PRECISION=fp16 COURSE_PROFILE="$1" "$PY" - "$2" "$1" <<'EOF'
import json, os, sys, time
sys.path.insert(0, "benchmarks")
import common  # first: sets the environment up (scratch, data, caches)
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from bench4_notebooks import parse_fits

name, profile = sys.argv[1], sys.argv[2]
path = common.REPO / "notebooks" / f"{name}.ipynb"
device = common.pick_device()
info = common.machine_info(device)
# A checkpoint folder of its own: the notebook trains in fp16 rather than load step 1's bf16 runs.
os.environ["COURSE_CHECKPOINT_DIR"] = str(common.SCRATCH / f"checkpoints-fp16-{int(time.time())}")
if common.ORIGINAL_MPLBACKEND is None:
    os.environ.pop("MPLBACKEND", None)  # plots inline, as bench4 lets them
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=None, kernel_name="python3",
                        resources={"metadata": {"path": str(path.parent)}})
started, status, error = time.perf_counter(), "ok", None
try:
    client.execute()
except CellExecutionError as exc:
    status, error = "failed", str(exc).strip().splitlines()[-1][:500]
seconds = time.perf_counter() - started
text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
               if o.get("output_type") == "stream")
fits = parse_fits(text)
training_on = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.startswith("Training on")))
accs = ", ".join(f"{a:.3f}" for a in fits["test_acc"]) or "—"
print(f"  fp16 {name} ({profile}): {status} in {seconds:.1f} s, test acc {accs}; {' '.join(training_on)}"
      + (f"; {error}" if error else ""))
info["load_average_end"] = common._load_average()
out = common.RESULTS_DIR / f"precision-fp16-{device.type}.json"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(dict(
    benchmark="precision", title="A notebook with COURSE_PRECISION=fp16 (the T4's path)",
    machine=info, quick=bool(os.environ.get("GPU_QUICK")),
    command=f"COURSE_PRECISION=fp16 COURSE_PROFILE={profile}: notebooks/{name}.ipynb (benchmarks/gpu.sh)",
    runs=[dict(notebook=name, profile=profile, precision="fp16", status=status, seconds=seconds,
               error=error, training_on=training_on, **fits)]), indent=1) + "\n")
print(f"wrote {out.relative_to(common.REPO)}")
sys.exit(0 if status == "ok" else 1)
EOF
}
export -f fp16_run
if [ -n "$FP16" ]; then
  fp16_profile="${PROFILES%% *}"
  step "$FP16 with COURSE_PRECISION=fp16 ($fp16_profile)" "$(estimate "$FP16" "$fp16_profile")" \
    fp16_run "$fp16_profile" "$FP16"
fi

# 3. Benchmarks 1-3.
for b in ${GPU_BENCH-1 2 3}; do
  case $b in
    1) step "benchmark 1" "$(estimate bench1 full)" \
         "$PY" benchmarks/bench1_lenet_epoch.py --repeats "${GPU_REPEATS:-5}" "${QUICK[@]}" ;;
    2) step "benchmark 2" "$(estimate bench2 full)" "$PY" benchmarks/bench2_input_pipeline.py "${QUICK[@]}" ;;
    3) step "benchmark 3" "$(estimate bench3 full)" "$PY" benchmarks/bench3_architectures.py "${QUICK[@]}" ;;
    *) say "GPU_BENCH: unknown benchmark $b (choose from 1 2 3)"; failed+=("benchmark $b") ;;
  esac
done

# 4. The other notebooks, one at a time, while the budget lasts.
for profile in $PROFILES; do
  for nb in $REST; do
    step "notebook $nb ($profile)" "$(estimate "$nb" "$profile")" bench4 "$profile" "$nb"
  done
done

# 5. The report.
"$PY" benchmarks/report.py || failed+=("report.py")
save_out
say "done in $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s of the ${BUDGET} s budget"
[ ${#skipped[@]} -eq 0 ] || say "skipped for lack of time (run them in another session, e.g. GPU_FIRST= GPU_FP16= GPU_BENCH= GPU_REST=\"...\"): ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]}"
  exit 1
fi
