"""What the slide tests share: slides/build.py as a module, and a small notebook shaped like a lecture."""
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]



def unavailable(reason: str):
    """Skip a browser test for a missing prerequisite; in CI (CI=true) fail instead."""
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Chromium)", pytrace=False)
    pytest.skip(reason)


def load_script(name: str, path: Path):
    """A script of a folder that is no package (slides/, .ci/), imported once as ``name``."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    module = sys.modules[name]
    if Path(getattr(module, "__file__", "") or "").resolve() != path.resolve():
        raise ImportError(f"the module {name!r} already imported is {module!r}, not {path}")
    return module


def load_build():
    """slides/build.py, as `build`: the name slides/lecture.py and slides/pdf.py import it by, so
    that the tests and those scripts share one copy of the module."""
    return load_script("build", ROOT / "slides" / "build.py")


# The browser the PDFs are printed with (slides/pdf.py) is the one the tests drive: its flags
# (no display, no network of its own), where it is found, and what counts as CI.
_pdf = load_script("slides_pdf", ROOT / "slides" / "pdf.py")
CHROMIUM_ARGS, find_chromium, IN_CI = _pdf.CHROMIUM_ARGS, _pdf.find_chromium, _pdf.in_ci()


def current_deck(source_path: Path):
    """The built deck of a lecture notebook and its executed copy (a notebook object); skips (fails
    in CI) if either is missing or was built from an older version of the notebook."""
    build = load_build()
    deck = build.deck_path(source_path)
    executed_path = build.BUILD / source_path.name
    if not deck.is_file() or not executed_path.is_file():
        unavailable(f"{deck.relative_to(ROOT)} is not built: run `make slides`")
    executed = nbformat.read(executed_path, as_version=4)
    info = executed.metadata.get("course_slides", {})
    if info.get("source_key") != build.source_key(source_path, info.get("profile", "")):
        message = f"{deck.relative_to(ROOT)} is older than its notebook: run `make slides NOTEBOOKS={source_path.stem}`"
        pytest.fail(message, pytrace=False) if IN_CI else pytest.skip(message)
    if deck.stat().st_mtime < executed_path.stat().st_mtime:
        unavailable(f"{deck.relative_to(ROOT)} is older than its executed notebook: run `make slides`")
    return deck, executed


# What the tests expect of a deck, read from its notebook (build.py itself never needs these).

def has_math(nb) -> bool:
    """Whether a visible markdown cell holds TeX that MathJax should typeset."""
    pattern = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$[^$\n]+?\$|\\\(|\\\[|\\begin\{", re.S)
    return any(c["cell_type"] == "markdown" and load_build().slide_type(c) not in ("skip", "notes")
               and pattern.search(c["source"]) for c in nb["cells"])


def image_cells(nb) -> list[bool]:
    """One entry per image a deck shows, in order: whether it is an architecture picture (its
    cell calls plot_architecture or plot_architectures)."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or load_build().slide_type(cell) in ("skip", "notes"):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k in data for k in ("image/png", "image/jpeg", "image/gif", "image/webp")):
                found.append("plot_architecture" in cell["source"])
    return found


def image_outputs(nb) -> int:
    """How many images a deck shows: image outputs of visible code cells."""
    return len(image_cells(nb))


def _cell(cell, kind, *tags):
    cell.metadata["slideshow"] = {"slide_type": kind}
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


SAMPLE_NOTES = "Say why the running statistics matter at test time."


SAMPLE_ARCHITECTURE = "cu.plot_architecture(cu.lenet(), (1, 1, 28, 28));"
SAMPLE_DEEP_DIVE = "Under the hood"


def sample_notebook():
    """Everything a deck can hold, executed in seconds: math, a plot, fragments, notes, skipped
    cells, a subslide, a progress bar (a widget, which the decks leave out), a deep dive (which
    moves to the appendix) and an architecture picture whose code is hidden (hide-input)."""
    md, code = new_markdown_cell, new_code_cell
    cells = [
        _cell(md("# 99 · Sample deck\n\nA small notebook shaped like a lecture: math, a plot, "
                 "fragments and speaker notes."), "slide"),
        _cell(md("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                 "(https://colab.research.google.com/github/cnn-course/cnn-lecture/blob/main/"
                 "notebooks/99_sample.ipynb)"), "skip"),
        _cell(code("import matplotlib.pyplot as plt\nimport numpy as np\nfrom tqdm.auto import tqdm"), "skip"),
        _cell(md("## Batch normalization\n\n"
                 "$$\\hat{x}_i = \\frac{x_i - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}, \\qquad "
                 "y_i = \\gamma \\hat{x}_i + \\beta$$\n\n"
                 "with the minibatch mean $\\mu_B = \\frac{1}{m}\\sum_{i=1}^m x_i$."), "slide"),
        _cell(md("- it normalizes each channel over the minibatch"), "fragment"),
        _cell(md("- then scales and shifts with learned $\\gamma$ and $\\beta$"), "fragment"),
        _cell(md(SAMPLE_NOTES), "notes"),
        _cell(code("x = np.linspace(0, 6, 100)\nplt.figure(figsize=(6, 3))\nplt.plot(x, np.sin(x))\n"
                   "plt.title('a sine')\nplt.show()"), "subslide"),
        _cell(code("for _ in tqdm(range(3), desc='training', leave=False):\n    pass\nprint('trained')"), "-"),
        _cell(code("assert 1 + 1 == 2"), "skip"),
        _cell(md(f"## {SAMPLE_DEEP_DIVE}\n\nA detail for later: how finely the sine is sampled."),
              "subslide", "deep-dive"),
        _cell(code("print(len(x), 'samples')"), "-"),
        _cell(code(f"import course_utils as cu\n{SAMPLE_ARCHITECTURE}"), "subslide", "hide-input"),
        _cell(md("## Summary\n\nThat is all."), "slide"),
        _cell(md("## Exercises\n\n1. One.\n2. Two.\n3. Three."), "subslide"),
    ]
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


# What the deck holds (build.arrange, then nbconvert): slides = title, batch norm, sine (subslide),
# LeNet's picture (subslide), summary, exercises, then the appendix's title and the deep dive.
SAMPLE_EXPECTED = dict(slides=8, fragments=2, notes=1)
SAMPLE_COUNTS = dict(lecture=6, appendix=1)


def write_sample(folder: Path, name: str = "99_sample") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(sample_notebook(), path)
    return path
