"""The oldest versions pyproject.toml allows, for .ci/oldest.sh.

    python3 .ci/lower_bounds.py pins          one 'name==version' line per runtime and test dependency
    python3 .ci/lower_bounds.py pins X.Y      the same for Python X.Y: a bound older than the first
                                              release with wheels for X.Y is raised to that release
    python3 .ci/lower_bounds.py python        the oldest Python that requires-python allows (e.g. 3.9)
    python3 .ci/lower_bounds.py pythons       the Pythons CI proves the bounds on: that oldest one,
                                              then each newer one in FIRST_WHEELS (e.g. 3.9, 3.13)

Every one of those dependencies must have a lower bound (``>=``): a promise that is not written
down cannot be tested. Needs Python 3.11+ (tomllib); the environment it describes need not.
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
EXTRAS = ("test",)  # the extras the oldest environment runs: the unit tests and the notebooks
LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(?:,.*)?$")

# On a Python newer than the oldest, pip cannot install a bound that has no wheel for it (it would
# build torch, numpy or matplotlib from source, and fail). For each newer Python that CI proves the
# bounds on: the first release of each such dependency with Linux x86-64 wheels for that Python,
# checked on PyPI with
#   pip install --dry-run --no-deps --only-binary=:all: --python-version X.Y --target /tmp/x NAME==V
# (`pip index versions torch --python-version X.Y --only-binary=:all:` lists them for torch).
# The dependencies not named here are pure Python: their bounds install on every Python.
FIRST_WHEELS = {
    "3.13": {
        # torch has cp313 wheels from 2.5.0, but torchvision only from 0.21.0, which needs
        # torch==2.6.0: the oldest pair that installs on 3.13.
        "torch": "2.6",
        "torchvision": "0.21",
        "numpy": "2.1",        # 2.0.2 has no cp313 wheels
        "matplotlib": "3.9.2",  # 3.9.0 and 3.9.1 have none
    },
}


def requirements(project: dict) -> list[str]:
    extras = project.get("optional-dependencies", {})
    return [*project["dependencies"], *(r for extra in EXTRAS for r in extras.get(extra, []))]


def version_key(version: str) -> tuple[int, ...]:
    """'3.9.2' -> (3, 9, 2): enough to compare the plain release numbers used here."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        sys.exit(f"lower_bounds.py: {version!r} is not a plain release number (X.Y or X.Y.Z)")
    return tuple(int(part) for part in version.split("."))


def bounds(project: dict) -> dict[str, str]:
    """name -> lower bound, for every requirement (each name once, first occurrence wins)."""
    found: dict[str, str] = {}
    for requirement in requirements(project):
        match = LOWER_BOUND.match(requirement.split(";")[0])
        if not match:
            sys.exit(f"pyproject.toml: {requirement!r} has no lower bound (name>=version); add one")
        name, version = match.groups()
        found.setdefault(name.lower(), version)
    return found


def pins(project: dict, python: str | None = None) -> list[str]:
    """'name==version' for every requirement: its lower bound, on `python` (default: the oldest
    Python) no older than the first release with wheels for that Python."""
    found = bounds(project)
    if python is not None and python != oldest_python(project):
        if python not in FIRST_WHEELS:
            sys.exit(f"lower_bounds.py: no FIRST_WHEELS entry for Python {python}: add one "
                     f"(known: {', '.join(FIRST_WHEELS)})")
        if version_key(python) < version_key(oldest_python(project)):
            sys.exit(f"lower_bounds.py: Python {python} is older than requires-python allows")
        for name, first in FIRST_WHEELS[python].items():
            if name in found and version_key(first) > version_key(found[name]):
                found[name] = first
    return [f"{name}=={version}" for name, version in found.items()]


def oldest_python(project: dict) -> str:
    match = re.fullmatch(r">=\s*(\d+\.\d+)", project.get("requires-python", "").strip())
    if not match:
        sys.exit(f"pyproject.toml: requires-python {project.get('requires-python')!r} is not '>=X.Y'")
    return match.group(1)


def pythons(project: dict) -> list[str]:
    """The oldest Python, then the newer ones FIRST_WHEELS knows, oldest first."""
    oldest = oldest_python(project)
    newer = [p for p in FIRST_WHEELS if version_key(p) > version_key(oldest)]
    return [oldest, *sorted(newer, key=version_key)]


def main(argv: list[str]) -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    if argv[:1] == ["pins"] and len(argv) <= 2:
        print("\n".join(pins(project, *argv[1:])))
    elif argv == ["python"]:
        print(oldest_python(project))
    elif argv == ["pythons"]:
        print("\n".join(pythons(project)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
