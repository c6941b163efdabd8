# Sourced by the .ci scripts (from the repository root): what they share.

# As make does: the offline copy of Fashion-MNIST beside the checkout serves the data when
# COURSE_DATA_DIR is unset.
shared_data="$(cd .. && pwd)/shared/data/fashion-mnist"
if [ -z "${COURSE_DATA_DIR:-}" ] && [ -d "$shared_data" ]; then export COURSE_DATA_DIR="$shared_data"; fi

# drop_venv_in_ci PATH OVERRIDE: in CI (.ci/run exports CI_DROP_VENVS unless CI_KEEP_VENVS=1),
# an environment at its default path (OVERRIDE, the user's *_VENV, empty) is removed once its run
# passed, so that CI's disk holds one of them at a time beside .venv. Run by hand, nothing is removed.
drop_venv_in_ci() {
  if [ -n "${CI_DROP_VENVS:-}" ] && [ -z "$2" ]; then
    rm -rf "$1"; echo "removed $1 (CI_KEEP_VENVS=1 keeps it)"
  fi
}

# find_python X.Y: the path of a working pythonX.Y, from PATH or pyenv; status 1 if there is none.
find_python() {
  local want="$1" exe
  for exe in "python$want" "$(pyenv root 2>/dev/null)/versions/$want"*/bin/"python$want"; do
    if command -v "$exe" >/dev/null 2>&1 && "$exe" -c "" 2>/dev/null; then
      command -v "$exe"; return 0
    fi
  done
  return 1
}
