#!/usr/bin/env bash
# The lower bounds in pyproject.toml, proven: a virtual environment with exactly the oldest
# version of every runtime and test dependency (torch, torchvision, numpy, matplotlib, tqdm,
# jupyterlab, ipywidgets, pytest, nbval, ...) on the oldest Python that requires-python allows,
# then the unit tests and every notebook (smoke profile) in it. CI runs it after `make test`;
# run it yourself from anywhere in the checkout, no make needed:
#
#   .ci/oldest.sh
#
#   OLDEST_VENV=path    where the environment goes (default .venv-oldest, git-ignored); it is
#                       reused while the pins and the Python are unchanged, rebuilt otherwise
#   OLDEST_PYTHON=exe   the interpreter (default: pythonX.Y for requires-python's X.Y, from PATH
#                       or pyenv; if this machine has none, python3, and the script says so)
#
# The first build downloads about 2.5 GB (torch 2.1 from PyPI comes with CUDA 12 libraries).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
# As make does: the offline copy beside the checkout serves the data when COURSE_DATA_DIR is unset.
shared="$(cd .. && pwd)/shared/data/fashion-mnist"
if [ -z "${COURSE_DATA_DIR:-}" ] && [ -d "$shared" ]; then export COURSE_DATA_DIR="$shared"; fi
VENV="${OLDEST_VENV:-.venv-oldest}"

pins="$(python3 .ci/lower_bounds.py pins)"
want="$(python3 .ci/lower_bounds.py python)"

find_python() {
  local exe
  for exe in "python$want" "$(pyenv root 2>/dev/null)/versions/$want"*/bin/"python$want"; do
    if command -v "$exe" >/dev/null 2>&1 && "$exe" -c "" 2>/dev/null; then
      command -v "$exe"; return
    fi
  done
  echo "oldest.sh: no python$want on this machine (requires-python >=$want); using python3 instead" >&2
  command -v python3
}
PY_EXE="${OLDEST_PYTHON:-$(find_python)}"
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
         "pytest", "nbval", "nbformat", "nbconvert", "ipykernel"]
print("oldest.sh: Python", platform.python_version() + ",", ", ".join(f"{n} {md.version(n)}" for n in names))
EOF
"$VENV/bin/python" -c "import course_utils"

# Its own cache: no checkpoint or decoded file of the newest-versions run is reused.
cache="$(mktemp -d -t course-oldest-XXXXXX)"
trap 'rm -rf "$cache"' EXIT
export COURSE_PROFILE=smoke COURSE_CACHE_DIR="$cache" MPLBACKEND=Agg
unset COURSE_CHECKPOINT_DIR
# The slide tests are left out: building decks needs the slides extra, which has no lower-bound
# promise here (pyproject.toml, [project.optional-dependencies] slides).
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests --ignore=tests/browser --ignore=tests/test_slides.py
# The lecture notebooks, then the answer keys (which reuse the lecture's finished runs), as make test.
"$VENV/bin/python" -m pytest -p no:cacheprovider -q notebooks --nbval-lax --nbval-current-env
echo "oldest.sh: passed in $((SECONDS - started)) s"
