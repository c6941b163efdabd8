"""The oldest versions pyproject.toml allows, for .ci/oldest.sh.

    python3 .ci/lower_bounds.py pins      one 'name==version' line per runtime and test dependency
    python3 .ci/lower_bounds.py python    the oldest Python that requires-python allows (e.g. 3.9)

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


def requirements(project: dict) -> list[str]:
    extras = project.get("optional-dependencies", {})
    return [*project["dependencies"], *(r for extra in EXTRAS for r in extras.get(extra, []))]


def pins(project: dict) -> list[str]:
    """'name==lower bound' for every requirement (each name once, first occurrence wins)."""
    found: dict[str, str] = {}
    for requirement in requirements(project):
        match = LOWER_BOUND.match(requirement.split(";")[0])
        if not match:
            sys.exit(f"pyproject.toml: {requirement!r} has no lower bound (name>=version); add one")
        name, version = match.groups()
        found.setdefault(name.lower(), version)
    return [f"{name}=={version}" for name, version in found.items()]


def oldest_python(project: dict) -> str:
    match = re.fullmatch(r">=\s*(\d+\.\d+)", project.get("requires-python", "").strip())
    if not match:
        sys.exit(f"pyproject.toml: requires-python {project.get('requires-python')!r} is not '>=X.Y'")
    return match.group(1)


def main(argv: list[str]) -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    if argv == ["pins"]:
        print("\n".join(pins(project)))
    elif argv == ["python"]:
        print(oldest_python(project))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
