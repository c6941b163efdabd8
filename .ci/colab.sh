#!/usr/bin/env bash
# Colab, simulated as far as it can be here (issue 18, item 7): a fresh environment with the
# Python and the versions of torch, torchvision, numpy, matplotlib, tqdm and ipywidgets that
# Colab's GPU runtime preinstalls, and nothing else but their dependencies and what executing a
# notebook needs (ipykernel, nbclient, nbformat, which Colab has too, at Colab's versions);
# course_utils installed as the notebooks' setup cell installs it on Colab (pip --no-deps, from
# this checkout instead of the repository's address); then one training notebook under the
# smoke profile, in a kernel whose working folder holds no checkout. A runtime import that this
# set does not provide (jupyterlab, pandas, an ipywidgets 8 name...) fails it.
#
#   .ci/colab.sh
#
#   COLAB_VENV=path       the environment (default .venv-colab, git-ignored); reused while the
#                         pins and the Python are unchanged, rebuilt otherwise
#   COLAB_PYTHON=exe      the interpreter (default: python3.12 from PATH or pyenv)
#   COLAB_NOTEBOOK=path   the notebook (default notebooks/03_lenet.ipynb)
#   COLAB_KEEP=1          keep the executed notebook (its path is printed)
#
# Where the versions come from: Google's own record of the runtime, github.com/googlecolab/
# backend-info, files pip-freeze.gpu.txt (commit 03a89033b7dd106f98e45f7c6090d467134330e8; its
# astropy-iers-data 0.2026.6.1 dates it to June 2026) and os-info-gpu.txt (commit
# 318e1b5b2da3e6e8211c2deb7b43f5e9f1e2c24d: Ubuntu 22.04.5, Python 3.12.13). Update the pins
# below from the newest pip-freeze.gpu.txt there; tests/test_colab.py checks they stay written
# down. Known differences from Colab, which this cannot reproduce:
#   - torch: PyPI's torch 2.11.0 wheel (built for CUDA 13, ~3.5 GB with its nvidia-* wheels)
#     instead of Colab's 2.11.0+cu128 from download.pytorch.org (not reachable here); the Python
#     side is the same release. Its nvidia-*/cuda-* wheels are left to torch's own pins.
#   - jedi: IPython 7.34 requires it and pip installs it; Colab's freeze has none.
#   - Python 3.12 from this machine (pyenv: 3.12.1) rather than Colab's 3.12.13; no GPU (the CPU
#     runs the notebook), no google.colab module; the data come from the offline copy.
# The first run downloads about 3.5 GB (measured: see the report of issue 18); later runs reuse
# the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
VENV="${COLAB_VENV:-.venv-colab}"
NOTEBOOK="${COLAB_NOTEBOOK:-notebooks/03_lenet.ipynb}"
WANT=3.12

. .ci/common.sh   # the offline data copy beside the checkout, and find_python

# What Colab preinstalls that the course relies on (pyproject.toml's runtime dependencies less
# jupyterlab, which Colab does not have), and the notebook runner Colab also has.
TOP="torch==2.11.0 torchvision==0.26.0 numpy==2.0.2 matplotlib==3.10.0 tqdm==4.67.3 ipywidgets==7.7.1"
RUNNER="ipykernel==6.17.1 nbclient==0.10.4 nbformat==5.10.4"
# Every dependency of those, at the version Colab's pip freeze shows (same source as above).
read -r -d '' CONSTRAINTS <<'EOF' || true
torch==2.11.0
torchvision==0.26.0
numpy==2.0.2
matplotlib==3.10.0
tqdm==4.67.3
ipywidgets==7.7.1
ipykernel==6.17.1
nbclient==0.10.4
nbformat==5.10.4
anyio==4.13.0
argon2-cffi==25.1.0
argon2-cffi-bindings==25.1.0
arrow==1.4.0
attrs==26.1.0
backcall==0.2.0
beautifulsoup4==4.13.5
bleach==6.3.0
cffi==2.0.0
contourpy==1.3.3
cycler==0.12.1
debugpy==1.8.15
decorator==4.4.2
defusedxml==0.7.1
entrypoints==0.4
fastjsonschema==2.21.2
filelock==3.29.0
fonttools==4.63.0
fqdn==1.5.1
fsspec==2025.3.0
idna==3.18
ipython==7.34.0
ipython-genutils==0.2.0
isoduration==20.11.0
Jinja2==3.1.6
jsonpointer==3.1.1
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
jupyter-events==0.12.1
jupyter_client==7.4.9
jupyter_core==5.9.1
jupyter_server==2.14.0
jupyter_server_terminals==0.5.4
jupyterlab_pygments==0.3.0
jupyterlab_widgets==3.0.16
kiwisolver==1.5.0
lark==1.3.1
MarkupSafe==3.0.3
matplotlib-inline==0.2.2
mistune==3.2.1
mpmath==1.3.0
nbclassic==1.3.3
nbconvert==7.17.1
nest-asyncio==1.6.0
networkx==3.6.1
notebook==6.5.7
notebook_shim==0.2.4
overrides==7.7.0
packaging==26.2
pandocfilters==1.5.1
parso==0.8.7
pexpect==4.9.0
pickleshare==0.7.5
pillow==11.3.0
platformdirs==4.10.0
prometheus_client==0.25.0
prompt_toolkit==3.0.52
psutil==5.9.5
ptyprocess==0.7.0
pycparser==3.0
Pygments==2.20.0
pyparsing==3.3.2
python-dateutil==2.9.0.post0
python-json-logger==4.1.0
PyYAML==6.0.3
pyzmq==26.2.1
referencing==0.37.0
rfc3339-validator==0.1.4
rfc3986-validator==0.1.1
rfc3987-syntax==1.1.0
rpds-py==2026.5.1
Send2Trash==2.1.0
setuptools==75.2.0
six==1.17.0
soupsieve==2.8.4
sympy==1.14.0
terminado==0.18.1
tinycss2==1.4.0
tornado==6.5.1
traitlets==5.7.1
triton==3.6.0
typing_extensions==4.15.0
tzdata==2026.2
uri-template==1.3.0
wcwidth==0.7.0
webcolors==25.10.0
webencodings==0.5.1
websocket-client==1.9.0
widgetsnbextension==3.6.10
EOF

PY_EXE="${COLAB_PYTHON:-$(find_python "$WANT")}" || {
  echo "colab.sh: no python$WANT on this machine (Colab runs Python $WANT; set COLAB_PYTHON=exe)" >&2
  exit 1
}
py_version="$("$PY_EXE" -c 'import platform; print(platform.python_version())')"

work="$(mktemp -d -t course-colab-XXXXXX)"
if [ -n "${COLAB_KEEP:-}" ]; then trap 'echo "colab.sh: kept $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi
printf '%s\n' "$CONSTRAINTS" > "$work/constraints.txt"

stamp="$VENV/.colab-pins"
wanted_stamp="$(printf 'python %s\n%s\n%s\n%s\n' "$py_version" "$TOP" "$RUNNER" "$CONSTRAINTS")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted_stamp" ]; then
  echo "colab.sh: reusing $VENV (Python $py_version, same pins)"
else
  echo "colab.sh: building $VENV on Python $py_version with Colab's $TOP"
  rm -rf "$VENV"
  "$PY_EXE" -m venv "$VENV"
  t=$SECONDS
  # The pins are requirements and constraints at once: pip fails rather than pick another version.
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --progress-bar off -c "$work/constraints.txt" $TOP $RUNNER
  echo "colab.sh: installed in $((SECONDS - t)) s"
  printf '%s\n' "$wanted_stamp" > "$stamp"
fi

# course_utils as the setup cell installs it on Colab: `pip install -q --no-deps git+<repository>`,
# here from a copy of this checkout's package files (the build writes nothing into the checkout).
src="$work/src"
mkdir -p "$src"
cp pyproject.toml README.md "$src/"
cp -r course_utils "$src/"
find "$src" -name __pycache__ -prune -exec rm -rf {} +
t=$SECONDS
"$VENV/bin/python" -m pip install --quiet --progress-bar off --no-deps --force-reinstall "$src"
echo "colab.sh: course_utils installed (--no-deps) in $((SECONDS - t)) s"

# Say what runs, and what in the environment Colab's freeze does not pin (torch's CUDA wheels, jedi).
"$VENV/bin/python" - "$work/constraints.txt" <<'EOF'
import importlib.metadata as md, platform, re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
pinned = {norm(line.split("==")[0]): line.split("==")[1].strip()
          for line in open(sys.argv[1]) if "==" in line}
installed = {norm(d.metadata["Name"]): d.version for d in md.distributions()}
names = ["torch", "torchvision", "numpy", "matplotlib", "tqdm", "ipywidgets", "ipykernel", "nbclient"]
print("colab.sh: Python", platform.python_version() + ",", ", ".join(f"{n} {installed[n]}" for n in names))
wrong = {n: (v, pinned[n]) for n, v in installed.items() if n in pinned and v.split("+")[0] != pinned[n]}
if wrong:
    sys.exit(f"colab.sh: not Colab's versions: {wrong}")
extra = sorted(f"{n} {v}" for n, v in installed.items()
               if n not in pinned and n not in {"pip", "course-utils"})
print(f"colab.sh: not in Colab's freeze as pinned here ({len(extra)}):", ", ".join(extra))
EOF

# The notebook, as on Colab: a fresh kernel of this environment, its working folder an empty one
# (Colab's /content), nothing of the checkout on the path, the smoke profile, no device forced.
t=$SECONDS
env -u PYTHONPATH -u MPLBACKEND -u COURSE_DEVICE -u COURSE_REHEARSAL -u COURSE_PRECISION \
  COURSE_PROFILE=smoke COURSE_CACHE_DIR="$work/cache" COURSE_CHECKPOINT_DIR="$work/checkpoints" \
  JUPYTER_DATA_DIR="$work/jupyter" JUPYTER_CONFIG_DIR="$work/jupyter-config" IPYTHONDIR="$work/ipython" \
  PYDEVD_DISABLE_FILE_VALIDATION=1 \
  "$VENV/bin/python" - "$NOTEBOOK" "$work" <<'EOF'
import os, re, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, work = Path(sys.argv[1]), Path(sys.argv[2])
content = work / "content"
content.mkdir()
nb = nbformat.read(source, as_version=4)
# Last, in the same kernel: which interpreter and which course_utils ran (the installed copy).
nb.cells.append(nbformat.v4.new_code_cell(
    "import sys, course_utils, torch\n"
    "print('colab-check', sys.executable, course_utils.__file__, torch.__version__)\n"
    "assert sys.prefix in course_utils.__file__, course_utils.__file__"))
client = NotebookClient(nb, timeout=900, kernel_name="python3",
                        resources={"metadata": {"path": str(content)}})
started = time.perf_counter()
failed = None
try:
    client.execute()
except CellExecutionError as error:
    failed = error
seconds = time.perf_counter() - started
out = work / f"{source.stem}-colab.ipynb"
nbformat.write(nb, out)
text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
for line in text.splitlines():
    if re.search(r"epoch \d+: loss|colab-check", line):
        print("  " + line.strip())
if failed is not None:
    print(str(failed)[-3000:])
    sys.exit(f"colab.sh: {source} FAILED under smoke after {seconds:.0f} s (executed copy: {out})")
print(f"colab.sh: {source} ran under smoke in {seconds:.0f} s (kernel start included)")
EOF
echo "colab.sh: notebook in $((SECONDS - t)) s; passed in $((SECONDS - started)) s"
drop_venv_in_ci "$VENV" "${COLAB_VENV:-}"
