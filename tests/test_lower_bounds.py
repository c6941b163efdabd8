"""The lower bounds are written once and kept the same everywhere they are written.

pyproject.toml holds them; .ci/oldest.sh installs exactly those versions and runs the tests and
notebooks with them (CI runs it); environment.yml repeats them for conda users.
"""
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # conda-forge's names where they differ from PyPI's


@pytest.fixture(scope="module")
def lower_bounds():
    if sys.version_info < (3, 11):
        pytest.skip(".ci/lower_bounds.py reads pyproject.toml with tomllib (Python 3.11+)")
    spec = importlib.util.spec_from_file_location("lower_bounds", ROOT / ".ci" / "lower_bounds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project(lower_bounds) -> dict:
    return lower_bounds.tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_runtime_and_test_dependency_is_pinned_at_its_bound(lower_bounds):
    pins = dict(pin.split("==") for pin in lower_bounds.pins(project(lower_bounds)))
    for name in ("torch", "torchvision", "numpy", "matplotlib", "tqdm", "jupyterlab", "ipywidgets",
                 "pytest", "nbval", "nbformat", "nbconvert", "ipykernel"):
        assert name in pins, f"{name} has no pinned lower bound for .ci/oldest.sh"
    assert lower_bounds.oldest_python(project(lower_bounds)) == "3.9"


def test_a_dependency_without_a_lower_bound_is_refused(lower_bounds):
    with pytest.raises(SystemExit, match="no lower bound"):
        lower_bounds.pins({"dependencies": ["torch"], "optional-dependencies": {}})


def test_environment_yml_repeats_the_same_bounds(lower_bounds):
    conda = dict(re.findall(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9.]*)\s*$",
                            (ROOT / "environment.yml").read_text(), re.M))
    for pin in lower_bounds.pins(project(lower_bounds)):
        name, version = pin.split("==")
        name = CONDA_NAMES.get(name, name)
        assert conda.get(name) == version, f"environment.yml: {name}>={conda.get(name)}, pyproject.toml: >={version}"
