#!/usr/bin/env bash
# The lower bounds in pyproject.toml, proven: a virtual environment with exactly the oldest
# version of every runtime and test dependency (torch, torchvision, numpy, matplotlib, tqdm,
# jupyterlab, ipywidgets, pytest, nbval, ...) on the oldest Python that requires-python allows,
# then the unit tests and every notebook (smoke profile) in it. With a Python version, the same on
# that newer Python, with each bound raised to the first release that has wheels for it (torch 2.6,
# numpy 2.1, ... on 3.13: .ci/lower_bounds.py, FIRST_WHEELS). CI runs it after `make test`, once
# for each of `python3 .ci/lower_bounds.py pythons`; run it yourself from anywhere in the
# checkout, no make needed:
#
#   .ci/oldest.sh          the oldest Python (3.9)
#   .ci/oldest.sh 3.13     a newer one that lower_bounds.py knows
#
#   OLDEST_VENV=path    where the environment goes (default .venv-oldest, or .venv-oldest-X.Y for
#                       a newer Python; git-ignored); it is reused while the pins and the Python
#                       are unchanged, rebuilt otherwise
#   OLDEST_PYTHON=exe   the interpreter (default: pythonX.Y from PATH or pyenv; for the oldest
#                       Python, if this machine has none, python3, and the script says so; for a
#                       newer one, none is an error)
#
# A first build downloads about 2.5 GB (torch from PyPI comes with its CUDA 12 libraries).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
. .ci/common.sh   # the offline data copy beside the checkout, and find_python
oldest="$(python3 .ci/lower_bounds.py python)"
want="${1:-$oldest}"
if [ "$want" = "$oldest" ]; then VENV="${OLDEST_VENV:-.venv-oldest}"; else VENV="${OLDEST_VENV:-.venv-oldest-$want}"; fi
pins="$(python3 .ci/lower_bounds.py pins "$want")"

pick_python() {
  find_python "$want" && return
  if [ "$want" != "$oldest" ]; then
    echo "oldest.sh: no python$want on this machine (set OLDEST_PYTHON=exe)" >&2; return 1
  fi
  echo "oldest.sh: no python$want on this machine (requires-python >=$want); using python3 instead" >&2
  command -v python3
}
PY_EXE="${OLDEST_PYTHON:-$(pick_python)}" || exit 1
py_version="$("$PY_EXE" -c 'import platform; print(platform.python_version())')"

stamp="$VENV/.oldest-pins"
wanted_stamp="$(printf 'python %s\n%s\n' "$py_version" "$pins")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted_stamp" ]; then
  echo "oldest.sh: reusing $VENV (Python $py_version, same pins)"
else
  if [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "python $py_version" ]; then
    echo "oldest.sh: updating $VENV to the new pins:" $pins   # pip changes only what differs
  else
    echo "oldest.sh: building $VENV on Python $py_version with:" $pins
    rm -rf "$VENV"
    "$PY_EXE" -m venv "$VENV"
  fi
  rm -f "$stamp"
  t=$SECONDS
  # The pins are requirements, so pip fails if pyproject.toml's own ranges exclude one of them.
  "$VENV/bin/python" -m pip install --quiet --progress-bar off $(printf '%s\n' $pins) -e ".[test]"
  echo "oldest.sh: installed in $((SECONDS - t)) s"
  "$VENV/bin/python" -m pip check
  printf '%s\n' "$wanted_stamp" > "$stamp"
fi

# Say what actually runs: the pins must have won over anything newer.
"$VENV/bin/python" - <<'EOF'
import importlib.metadata as md, platform
names = ["torch", "torchvision", "numpy", "matplotlib", "tqdm", "jupyterlab", "ipywidgets",
         "pytest", "nbval", "nbformat", "nbconvert", "ipykernel",
         "ipython", "matplotlib-inline"]  # not pinned: the newest pip picks, which matplotlib must work with
print("oldest.sh: Python", platform.python_version() + ",", ", ".join(f"{n} {md.version(n)}" for n in names))
EOF
"$VENV/bin/python" -c "import course_utils"

# Its own cache: no checkpoint or decoded file of the newest-versions run is reused.
cache="$(mktemp -d -t course-oldest-XXXXXX)"
trap 'rm -rf "$cache"' EXIT
export COURSE_PROFILE=smoke COURSE_CACHE_DIR="$cache" MPLBACKEND=Agg
export PYDEVD_DISABLE_FILE_VALIDATION=1  # the kernels' debugger: no frozen-modules warning on 3.11+
unset COURSE_CHECKPOINT_DIR
# The slide tests are left out: building decks needs the slides extra, which has no lower-bound
# promise here (pyproject.toml, [project.optional-dependencies] slides).
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests --ignore=tests/browser --ignore=tests/test_slides.py
# The lecture notebooks, then the answer keys (which reuse the lecture's finished runs), as make test.
"$VENV/bin/python" -m pytest -p no:cacheprovider -q notebooks --nbval-lax --nbval-current-env
echo "oldest.sh: passed in $((SECONDS - started)) s"
drop_venv_in_ci "$VENV" "${OLDEST_VENV:-}"
