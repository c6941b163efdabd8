# Sourced by the .ci scripts (from the repository root): what they share.

# As make does: the offline copy of Fashion-MNIST beside the checkout serves the data when
# COURSE_DATA_DIR is unset.
shared_data="$(cd .. && pwd)/shared/data/fashion-mnist"
if [ -z "${COURSE_DATA_DIR:-}" ] && [ -d "$shared_data" ]; then export COURSE_DATA_DIR="$shared_data"; fi

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
