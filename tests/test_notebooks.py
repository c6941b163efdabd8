"""Every notebook follows the course's conventions (nbval executes them separately).

- committed without outputs or execution counts;
- opens with a title, a Colab badge and the setup cell; reads its settings once;
- ends with a summary and 3-5 exercises;
- every cell carries slideshow metadata, and no slide is longer than MAX_SLIDE_LINES lines.
"""
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# Lecture order. A notebook is listed here when it lands; all must exist.
EXPECTED = ["01_channels", "02_pooling", "03_lenet", "04_alexnet", "05_vgg", "06_nin", "07_googlenet", "08_batch_norm", "09_resnet", "10_densenet", "11_comparison"]
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
# What fits on a projected slide at a readable font: lines of source per slide or subslide.
MAX_SLIDE_LINES = 24

paths = sorted(NOTEBOOKS.glob("*.ipynb"))


def load(path):
    return nbformat.read(path, as_version=4)


def test_the_lecture_notebooks_exist():
    names = [p.stem for p in paths]
    for name in EXPECTED:
        assert name in names, f"notebooks/{name}.ipynb is missing"
    assert names == sorted(names)


@pytest.mark.parametrize("path", paths, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    for i, cell in enumerate(load(path).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", paths, ids=lambda p: p.stem)
def test_opening_setup_and_settings(path):
    cells = load(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "first cell: a title"
    text = "\n".join(c.source for c in cells)
    assert f"colab.research.google.com/github/" in text and f"notebooks/{path.name}" in text, "Colab badge"
    code = [c.source for c in cells if c.cell_type == "code"]
    assert any('find_spec("course_utils")' in src for src in code[:2]), "the setup cell comes first"
    assert sum(len(re.findall(r"\bsettings\(", src)) for src in code) == 1, "settings are read exactly once"


@pytest.mark.parametrize("path", paths, ids=lambda p: p.stem)
def test_summary_and_exercises(path):
    markdown = [c.source for c in load(path).cells if c.cell_type == "markdown"]
    assert any(src.lstrip().startswith("## Summary") for src in markdown), "a '## Summary' section"
    exercises = [src for src in markdown if src.lstrip().startswith("## Exercises")]
    assert exercises, "an '## Exercises' section"
    items = re.findall(r"^\s*\d+\.\s", exercises[-1], flags=re.M)
    assert 3 <= len(items) <= 5, f"{len(items)} exercises; give 3 to 5"


@pytest.mark.parametrize("path", paths, ids=lambda p: p.stem)
def test_a_tall_slide_scrolls_when_presented_live(path):
    # jupyterlab-rise reads its settings from the notebook's "rise" metadata too; with "scroll" a
    # slide taller than the window gets a scroll bar instead of losing its end, as the static decks
    # do (slides/templates/course_reveal).
    assert load(path).metadata.get("rise", {}).get("scroll") is True, 'metadata {"rise": {"scroll": true}}'


@pytest.mark.parametrize("path", paths, ids=lambda p: p.stem)
def test_slideshow_metadata_and_slide_length(path):
    cells = load(path).cells
    slides, current = [], None
    for i, cell in enumerate(cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        assert kind in SLIDE_TYPES, f"cell {i} has no valid slideshow slide_type ({kind!r})"
        if i == 0:
            assert kind == "slide", "the first cell opens the first slide"
        if kind in ("slide", "subslide"):
            current = [i, 0]
            slides.append(current)
        if kind in ("skip", "notes"):
            continue
        if cell.cell_type == "code" and "hide-input" in cell.metadata.get("tags", []):
            # The deck shows only this cell's output (slides/build.py), none of its source, so its
            # lines take no room on the slide; the output's room is the browser test's to check.
            continue
        current[1] += len(cell.source.splitlines())
    for start, lines in slides:
        assert lines <= MAX_SLIDE_LINES, (
            f"the slide starting at cell {start} has {lines} lines (at most {MAX_SLIDE_LINES}); "
            "split it with a subslide or skip a long check cell")
