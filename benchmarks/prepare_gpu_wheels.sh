#!/usr/bin/env bash
# Gathers here what benchmarks/gpu.sh needs on the lent GPU machine and cannot download there
# (nothing outside that machine can be reached from it), into one git-ignored folder to carry:
#
#   benchmarks/gpu-carry/wheels/         Jupyter's notebook runner (nbconvert, nbclient, nbformat,
#                                        ipykernel, jupyter_client), ipywidgets and d2l 1.0.3, with
#                                        every dependency, as wheels for the machine's Python
#   benchmarks/gpu-carry/fashion-mnist/  the four official data files (the machine has no ../shared)
#
#   benchmarks/prepare_gpu_wheels.sh     # then, with the device tool:
#   run(command="GPU_OUT=$OUT benchmarks/gpu.sh", carry=["benchmarks/gpu-carry"], timeout_s=600)
#
# The machine's python3 (/opt/torch/.venv/bin/python3, Python 3.12.3: .library/device/KINDS.md)
# already holds a CUDA torch 2.11, torchvision, numpy, matplotlib, tqdm, pandas, requests, scipy
# and pillow, so none of those travel: d2l comes without its dependencies (its pins, numpy 1.23 and
# matplotlib 3.7, would replace the machine's), and what d2l.torch imports at import time beyond
# them, IPython and matplotlib_inline, comes with ipykernel. gpu.sh installs from these wheels with
# `pip --no-index` into a virtual environment over that python3, which keeps every package that is
# already there and adds only what is missing.
#
#   GPU_CARRY=dir              where to put them (default benchmarks/gpu-carry)
#   GPU_PYTHON_VERSION=X.Y     the machine's Python (default 3.12): binary wheels are per version
#   COURSE_DATA_DIR=dir        where the data files are (default ../shared/data/fashion-mnist)
#   PIP="python3 -m pip"       the pip that downloads (any Python: it fetches for X.Y)
#
# The working tree that travels with the carried folder may not exceed 64 MiB (the device tool's
# README); the script prints the total.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY="${GPU_CARRY:-benchmarks/gpu-carry}"
PYVER="${GPU_PYTHON_VERSION:-3.12}"
PIP="${PIP:-python3 -m pip}"
DATA="${COURSE_DATA_DIR:-$(cd .. && pwd)/shared/data/fashion-mnist}"
WANT="nbconvert nbclient nbformat ipykernel jupyter_client jupyter_core ipywidgets"
# Never carried: the machine has them, in the versions its CUDA torch was built with.
ON_DEVICE="torch torchvision numpy matplotlib tqdm pillow pandas scipy requests triton"

abi="cp${PYVER/./}"
platforms=()
for n in 5 12 17 24 25 26 27 28 31 34 35; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
target=(--only-binary=:all: --python-version "$PYVER" --implementation cp --abi "$abi" --abi abi3
        --abi none "${platforms[@]}")

rm -rf "$CARRY/wheels"
mkdir -p "$CARRY/wheels" "$CARRY/fashion-mnist"
t=$SECONDS
# shellcheck disable=SC2086
$PIP download --quiet --progress-bar off "${target[@]}" -d "$CARRY/wheels" $WANT
$PIP download --quiet --progress-bar off "${target[@]}" --no-deps -d "$CARRY/wheels" d2l==1.0.3

# None of the machine's own packages may travel (a second numpy would shadow the one torch uses).
for name in $ON_DEVICE; do
  found=$(find "$CARRY/wheels" -maxdepth 1 -iname "${name}-*.whl")
  if [ -n "$found" ]; then
    echo "prepare_gpu_wheels.sh: $found is something the GPU machine has; not carried" >&2
    rm -f $found
  fi
done

for name in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
            t10k-labels-idx1-ubyte.gz; do
  if [ ! -f "$DATA/$name" ]; then
    echo "prepare_gpu_wheels.sh: $DATA/$name is missing (set COURSE_DATA_DIR)" >&2
    exit 1
  fi
  install -m 0644 "$DATA/$name" "$CARRY/fashion-mnist/$name"   # a copy, not a link: links travel as links
done

(cd "$CARRY/wheels" && ls -1 ./*.whl | sed 's|^\./||') > "$CARRY/wheels/MANIFEST.txt"
wheels_kib=$(du -sk "$CARRY/wheels" | cut -f1)
data_kib=$(du -sk "$CARRY/fashion-mnist" | cut -f1)
tree_kib=0
if git rev-parse --git-dir >/dev/null 2>&1; then
  # What travels besides: tracked files, and untracked files that git does not ignore.
  tree_kib=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r du -ck 2>/dev/null | tail -n1 | cut -f1)
fi
total=$((wheels_kib + data_kib + tree_kib))
echo "prepare_gpu_wheels.sh: $(wc -l < "$CARRY/wheels/MANIFEST.txt") wheels for Python $PYVER, $((wheels_kib / 1024)) MiB;" \
     "data $((data_kib / 1024)) MiB; working tree $((tree_kib / 1024)) MiB; in all $((total / 1024)) MiB of 64 ($((SECONDS - t)) s)"
if [ "$total" -gt $((64 * 1024)) ]; then
  echo "prepare_gpu_wheels.sh: over the device tool's 64 MiB: the call would be refused" >&2
  exit 1
fi
echo "prepare_gpu_wheels.sh: carry [\"$CARRY\"] and run GPU_OUT=\$OUT benchmarks/gpu.sh"
