"""The presentation copies for RISE (make lecture, slides/lecture.py) against the static decks.

For every notebook: its copy shows the static deck's slides, cell for cell, in the static deck's
order (build.arrange: the lecture path, then the appendix of deep dives), with the settings cell
off the lecture path; and Run All on the copy runs every code cell of the notebook once, in the
notebook's order. A small notebook's copy is also run in a kernel: the deep dives' code runs
hidden where the notebook has it, later cells can use what it defined, and the appendix shows what
it printed and drew.
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from slides_support import ROOT, SAMPLE_DEEP_DIVE, load_build, load_script, sample_notebook

build = load_build()
lecture = load_script("slides_lecture", ROOT / "slides" / "lecture.py")
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SETTINGS_CALL = re.compile(r"\bcu\.settings\s*\(")


def _first_line(cell) -> str:
    return (cell.source.strip().splitlines() or [""])[0]


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_the_copy_shows_the_static_decks_slides_in_its_order(path):
    nb = nbformat.read(path, as_version=4)
    copy = lecture.presentation_copy(nb, path.stem)
    static = build.arrange(nb)  # what the static deck is converted from
    shown, expected = lecture.shown_slides(copy), lecture.shown_slides(static)
    for i, (a, b) in enumerate(zip(shown, expected)):
        assert a == b, f"{path.stem}: slide {i + 1} differs between the copy ({a}) and the static deck ({b})"
    assert len(shown) == len(expected), f"{path.stem}: {len(shown)} slides in the copy, {len(expected)} in the deck"
    assert build.expected_counts(copy) == build.expected_counts(static)
    assert copy.metadata.get("rise") == nb.metadata.get("rise"), "RISE's settings (scroll) are kept"
    nbformat.validate(copy)

    # The settings cell runs hidden at its place, and is not on the lecture path of either.
    lecture_path = build.deck_counts(nb)["lecture"]
    cells = {c.id: c for c in nb.cells}
    for name, deck in (("copy", copy), ("static deck", static)):
        for number, slide in enumerate(lecture.shown_slides(deck)[:lecture_path], 1):
            settings = [cells[i] for i, _ in slide if i in cells and SETTINGS_CALL.search(cells[i].source)]
            assert not settings, f"{path.stem}: the settings cell is on slide {number} of the {name}'s lecture path"
    runners = [c for c in copy.cells if SETTINGS_CALL.search(c.source) and c.cell_type == "code"]
    assert runners, f"{path.stem}: no settings cell (cu.settings(...)) found; CONTRIBUTING.md asks for one"
    assert all(build.slide_type(c) == "skip" for c in runners), f"{path.stem}: the settings cell shows in place"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_run_all_on_the_copy_runs_the_notebooks_code_in_its_order(path):
    nb = nbformat.read(path, as_version=4)
    copy = lecture.presentation_copy(nb, path.stem)
    assert lecture.code_in_execution_order(copy) == [c.source for c in nb.cells if c.cell_type == "code"]
    assert copy.cells[0].source.rstrip().endswith("%load_ext course_utils.presenting")
    ran = []
    for cell in copy.cells:
        if cell.cell_type != "code":
            continue
        first = _first_line(cell)
        if first.startswith(lecture.RUN_MAGIC + " "):
            assert build.slide_type(cell) == "skip", f"{path.stem}: a deep dive's code shows at its place: {first}"
            ran.append(first.split()[1])
        elif first.startswith(lecture.SHOW_MAGIC + " "):
            assert first.split()[1] in ran, f"{path.stem}: {first} comes before the code it shows runs"


def test_a_sample_copy_in_the_appendix_order():
    nb = sample_notebook()
    heads = [_first_line(c) for c in lecture.presentation_copy(nb, "99_sample").cells
             if build.slide_type(c) not in ("skip", "notes")]
    # The lecture path as in the notebook; the appendix title, then the deep dive's text and code.
    assert heads == ["# 99 · Sample deck", "## Batch normalization", "- it normalizes each channel over the minibatch",
                     "- then scales and shifts with learned $\\gamma$ and $\\beta$", "x = np.linspace(0, 6, 100)",
                     "for _ in tqdm(range(3), desc='training', leave=False):", "import course_utils as cu",
                     "## Summary", "## Exercises", f"# {build.APPENDIX_TITLE}", f"## {SAMPLE_DEEP_DIVE}",
                     "```python", f"{lecture.SHOW_MAGIC} {nb.cells[11].id}"]


def _kernel_notebook():
    """The sample with a settings slide tagged deep-dive, as the lecture notebooks have it, whose
    `cfg` the lecture path uses, a deep dive that draws, and a cell that prints the working folder."""
    nb = sample_notebook()
    settings = [
        new_markdown_cell("## Settings", metadata={"slideshow": {"slide_type": "subslide"}, "tags": ["deep-dive"]}),
        new_code_cell("cfg = dict(points=100)\nprint('settings:', cfg)", metadata={"slideshow": {"slide_type": "-"}}),
    ]
    plot = [
        new_markdown_cell("## A picture for later", metadata={"slideshow": {"slide_type": "subslide"},
                                                              "tags": ["deep-dive"]}),
        new_code_cell("plt.figure(figsize=(2, 2)); plt.plot(x, np.cos(x)); plt.show()",
                      metadata={"slideshow": {"slide_type": "-"}, "tags": ["hide-input"]}),
    ]
    uses = new_code_cell("import os\nassert len(x) == cfg['points']\nprint('working in', os.getcwd())",
                         metadata={"slideshow": {"slide_type": "-"}})
    nb.cells[3:3] = settings  # before the batch-norm slide, after the imports
    sine = next(i for i, c in enumerate(nb.cells) if "np.sin" in c.source)
    nb.cells.insert(sine + 1, uses)
    deep = next(i for i, c in enumerate(nb.cells) if c.source.startswith(f"## {SAMPLE_DEEP_DIVE}"))
    nb.cells[deep:deep] = plot  # a deep dive of its own, before the sample's
    for cell in nb.cells:
        if "plot_architecture" in cell.source:  # no course picture needed here: keep the kernel quick
            cell.source = "print('an architecture picture')"
    return nb


@pytest.fixture(autouse=True)
def _kernel_as_in_jupyterlab(monkeypatch):
    """The kernel inherits our environment: CI's MPLBACKEND=Agg would leave a copy no inline plots,
    which JupyterLab's kernel (ipykernel picks the inline backend) shows."""
    monkeypatch.delenv("MPLBACKEND", raising=False)


def _run(nb, folder: Path):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            kernel_manager_class=build._kernel_manager_class(),
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_a_copy_runs_its_deep_dives_in_place_and_shows_them_in_the_appendix(tmp_path):
    nb = _kernel_notebook()
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nb, notebooks / "99_sample.ipynb")
    [path] = lecture.write_copies([notebooks / "99_sample.ipynb"], notebooks / "lecture")
    assert ".jp-InputPlaceholder" in (path.parent / "rise.css").read_text(), "RISE hides collapsed code"
    copy = _run(nbformat.read(path, as_version=4), path.parent)

    by_first_line = {_first_line(c): c for c in copy.cells if c.cell_type == "code"}
    settings_id = nb.cells[4].id
    runner = by_first_line[f"{lecture.RUN_MAGIC} {settings_id}"]
    assert runner.outputs == [], "a deep dive shows nothing where it runs (it is hidden there)"
    assert "working in " + str(notebooks) in _text(by_first_line["import os"]), \
        "the copy runs in the notebook's folder, as the notebook does"
    shown = by_first_line[f"{lecture.SHOW_MAGIC} {settings_id}"]
    assert "settings: {'points': 100}" in _text(shown)
    picture = next(c for c in nb.cells if "np.cos" in c.source)
    outputs = by_first_line[f"{lecture.SHOW_MAGIC} {picture.id}"].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), "the deep dive's plot shows in the appendix"
    assert copy.cells.index(runner) < copy.cells.index(by_first_line["import os"]) < copy.cells.index(shown)


def test_a_failing_deep_dive_stops_run_all(tmp_path):
    from nbclient.exceptions import CellExecutionError

    nb = _kernel_notebook()
    settings_code = nb.cells[4]
    settings_code.source = "raise ValueError('a broken settings cell')"
    copy = lecture.presentation_copy(nb, "99_sample")
    with pytest.raises(CellExecutionError, match="a broken settings cell"):
        _run(copy, tmp_path)
    later = next(c for c in copy.cells if c.source.startswith("import os"))
    assert later.get("outputs") == [], "the cells after the failing deep dive must not run"
