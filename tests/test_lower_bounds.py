"""The lower bounds are written once and kept the same everywhere they are written.

pyproject.toml holds them; .ci/oldest.sh installs exactly those versions and runs the tests and
notebooks with them, on the oldest Python and on the newest one .ci/lower_bounds.py knows (there
with each bound raised to the first release with wheels for it; CI runs both); environment.yml
repeats them for conda users.
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


def test_matplotlib_is_new_enough_for_ipython_9(lower_bounds):
    # matplotlib < 3.9 imports IPython.core.pylabtools.backend2gui, which IPython 9.16 removed: on
    # Python 3.11+ a notebook's first plot then fails (MPLBACKEND=Agg) or shows no picture.
    pins = dict(pin.split("==") for pin in lower_bounds.pins(project(lower_bounds)))
    assert lower_bounds.version_key(pins["matplotlib"]) >= (3, 9)


def test_ci_proves_the_bounds_on_the_oldest_and_a_newer_python(lower_bounds):
    pythons = lower_bounds.pythons(project(lower_bounds))
    assert pythons[0] == lower_bounds.oldest_python(project(lower_bounds))
    assert len(pythons) >= 2 and lower_bounds.version_key(pythons[-1]) >= (3, 13), pythons
    assert pythons == sorted(pythons, key=lower_bounds.version_key)


def test_a_newer_python_gets_the_first_releases_with_its_wheels(lower_bounds):
    bounds = lower_bounds.bounds(project(lower_bounds))
    for python in lower_bounds.pythons(project(lower_bounds))[1:]:
        pins = dict(pin.split("==") for pin in lower_bounds.pins(project(lower_bounds), python))
        assert pins.keys() == bounds.keys()
        for name, version in pins.items():
            first = lower_bounds.FIRST_WHEELS[python].get(name, bounds[name])
            key = lower_bounds.version_key
            assert key(version) == max(key(bounds[name]), key(first)), (python, name, version)
        # The dependencies with compiled code, which pip cannot build here: each needs its entry.
        assert {"torch", "torchvision", "numpy", "matplotlib"} <= lower_bounds.FIRST_WHEELS[python].keys()


def test_a_python_without_a_wheel_table_is_refused(lower_bounds):
    with pytest.raises(SystemExit, match="no FIRST_WHEELS entry for Python 3.99"):
        lower_bounds.pins(project(lower_bounds), "3.99")


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


def test_environment_yml_asks_for_the_same_python(lower_bounds):
    conda = re.search(r"^\s*-\s*python\s*>=\s*([0-9.]+)\s*$", (ROOT / "environment.yml").read_text(), re.M)
    assert conda, "environment.yml names no python>=X.Y"
    assert conda.group(1) == lower_bounds.oldest_python(project(lower_bounds)), \
        f"environment.yml: python>={conda.group(1)}, pyproject.toml: requires-python {project(lower_bounds)['requires-python']}"


# What pip accepts on a line of a requirements file, besides a requirement (pip's documentation,
# "Requirements File Format"); conda hands environment.yml's pip section to pip as such a file.
REQUIREMENTS_FILE_OPTIONS = ("-e", "--editable", "-r", "--requirement", "-c", "--constraint", "-i",
                             "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links",
                             "--pre", "--prefer-binary", "--only-binary", "--no-binary",
                             "--require-hashes", "--trusted-host", "--use-feature")


def pip_section(text: str) -> list:
    """The entries of environment.yml's `- pip:` list (PyYAML comes with JupyterLab)."""
    import yaml

    entries = yaml.safe_load(text)["dependencies"]
    return next((e["pip"] for e in entries if isinstance(e, dict) and "pip" in e), [])


def pip_problems(lines: list) -> list:
    """What pip would refuse in these requirements-file lines."""
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for line in lines:
        if line.startswith("-"):
            option = line.split()[0].split("=")[0]
            if option not in REQUIREMENTS_FILE_OPTIONS:
                problems.append(f"{line!r}: {option} is not allowed in a requirements file")
        else:
            try:
                Requirement(line)
            except InvalidRequirement as error:
                problems.append(f"{line!r} is no requirement: {error}")
    return problems


def test_environment_yml_pip_lines_are_what_a_requirements_file_takes():
    lines = pip_section((ROOT / "environment.yml").read_text())
    assert any(re.match(r"^(-e|--editable)\s+\.$", line) for line in lines), \
        f"environment.yml does not install course_utils from the checkout: {lines}"
    assert pip_problems(lines) == [], f"environment.yml's pip section: {pip_problems(lines)}"


def test_the_check_refuses_what_pip_refuses():
    bad = "dependencies:\n  - pip\n  - pip:\n      - --no-deps -e .\n      - torch>=2.1\n"
    assert pip_section(bad) == ["--no-deps -e .", "torch>=2.1"]
    assert pip_problems(pip_section(bad)) == ["'--no-deps -e .': --no-deps is not allowed in a requirements file"]
