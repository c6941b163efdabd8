#!/usr/bin/env bash
# Every benchmark on a GPU machine, in one go, then benchmarks/RESULTS.md.
#
#   benchmarks/gpu.sh                 # from the repository root or anywhere
#   PY=/path/to/python benchmarks/gpu.sh
#   GPU_PROFILES="full smoke" GPU_QUICK=1 benchmarks/gpu.sh   # a first check: tiny counts
#   GPU_REPEATS=5 (benchmark 1's repeats), BENCH_KEEP=1 (keep the scratch folder, executed notebooks)
#
# What it runs, all on the GPU (COURSE_DEVICE, default cuda), each script warming up first,
# synchronizing before every clock read and reporting medians over repeats:
#   1. one LeNet epoch end to end: course_utils, d2l and the bare loop, alternating;
#   2. the 224x224 and 96x96 input pipelines: course_utils against d2l's DataLoader;
#   3. every architecture at its full setting: fit against train_ch6 (and the bare loop);
#   4. every notebook under the `full` profile (wall time and accuracy).
# Results go to benchmarks/results/*-cuda.json beside the CPU ones; report.py merges them.
# The Python used needs a CUDA build of torch and course_utils installed (`make setup` on the
# GPU machine does both); the d2l baseline is installed here if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
if [ ! -x "$PY" ]; then
  echo "$PY not found: running make setup"
  make setup
fi
"$PY" -c "import d2l.torch" 2>/dev/null || "$PY" -m pip install --quiet --no-deps d2l==1.0.3 pandas requests scipy
"$PY" -c "import d2l.torch, course_utils"

export COURSE_DEVICE="${COURSE_DEVICE:-cuda}"
"$PY" - <<'EOF'
import os, sys, torch
device = os.environ["COURSE_DEVICE"]
if device.startswith("cuda") and not torch.cuda.is_available():
    sys.exit(f"COURSE_DEVICE={device} but torch {torch.__version__} sees no CUDA device: "
             "this script is for a GPU machine (run `make bench` on a CPU).")
print(f"torch {torch.__version__} on", torch.cuda.get_device_name() if device.startswith("cuda") else device)
EOF

scratch="$(mktemp -d -t course-bench-XXXXXX)"
if [ -n "${BENCH_KEEP:-}" ]; then
  trap 'echo "kept the scratch folder $scratch"' EXIT
else
  trap 'rm -rf "$scratch"' EXIT
fi
export BENCH_SCRATCH="$scratch" COURSE_CACHE_DIR="$scratch/course_cache"
export COURSE_DATA_DIR="${COURSE_DATA_DIR:-$PWD/../shared/data/fashion-mnist}"

QUICK=()
[ -n "${GPU_QUICK:-}" ] && QUICK=(--quick)
PROFILES="${GPU_PROFILES:-full}"

t0=$SECONDS
"$PY" benchmarks/bench1_lenet_epoch.py --repeats "${GPU_REPEATS:-5}" "${QUICK[@]}"
"$PY" benchmarks/bench2_input_pipeline.py "${QUICK[@]}"
"$PY" benchmarks/bench3_architectures.py "${QUICK[@]}"
# shellcheck disable=SC2086
"$PY" benchmarks/bench4_notebooks.py --profiles $PROFILES "${QUICK[@]}"
"$PY" benchmarks/report.py
echo "benchmarks/gpu.sh: done in $(( (SECONDS - t0) / 60 )) min"
