"""The Colab simulation (.ci/colab.sh) keeps its pins written down, with where they come from.

The script itself downloads about 3.5 GB and runs in CI (.ci/run); these checks only read it.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "colab.sh"
# What the course needs at run time and Colab preinstalls (pyproject.toml's dependencies, less
# jupyterlab, which Colab does not have).
PREINSTALLED = {"torch", "torchvision", "numpy", "matplotlib", "tqdm", "ipywidgets"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(words: str) -> dict[str, str]:
    pins = {}
    for word in words.split():
        name, _, version = word.partition("==")
        assert version, f"{word!r} in .ci/colab.sh is not pinned with =="
        pins[_norm(name)] = version
    return pins


def _script() -> tuple[str, dict[str, str], dict[str, str], list[str]]:
    text = SCRIPT.read_text()
    top = _pins(re.search(r'^TOP="([^"]*)"', text, re.M).group(1))
    runner = _pins(re.search(r'^RUNNER="([^"]*)"', text, re.M).group(1))
    block = re.search(r"^read -r -d '' CONSTRAINTS <<'EOF'.*?\n(.*?)^EOF$", text, re.M | re.S).group(1)
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    return text, top, runner, lines


def test_colab_preinstalled_versions_are_pinned():
    _, top, _, _ = _script()
    assert set(top) == PREINSTALLED


def test_pins_agree_with_the_constraints_and_appear_once():
    _, top, runner, lines = _script()
    constraints = _pins(" ".join(lines))
    names = [_norm(line.partition("==")[0]) for line in lines]
    assert len(names) == len(set(names)), "a package is pinned twice"
    for name, version in {**top, **runner}.items():
        assert constraints.get(name) == version, f"{name}: TOP/RUNNER says {version}, the constraints {constraints.get(name)}"


def test_the_source_of_the_versions_is_written_down():
    text, _, _, _ = _script()
    assert "github.com/googlecolab/" in text and "backend-info" in text
    assert "pip-freeze.gpu.txt" in text and re.search(r"commit [0-9a-f]{40}", text)
    assert re.search(r"Python 3\.\d+\.\d+", text)  # Colab's Python, as os-info-gpu.txt gives it
    assert re.search(r'^WANT=3\.\d+$', text, re.M)


def test_preinstalled_set_matches_pyproject_dependencies():
    text = (REPO / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", text, re.M | re.S).group(1)
    declared = {_norm(re.match(r'\s*"([A-Za-z0-9_.-]+)', line).group(1))
                for line in block.splitlines() if line.strip().startswith('"')}
    assert declared - {"jupyterlab"} == PREINSTALLED


def test_course_utils_is_installed_as_on_colab():
    text, _, _, _ = _script()
    install = [line for line in text.splitlines() if "pip install" in line and '"$src"' in line]
    assert install and all("--no-deps" in line for line in install)
