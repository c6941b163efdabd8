#!/usr/bin/env python3
"""Presentation copies of the notebooks, for presenting live with RISE in the static decks' order.

    python slides/lecture.py              # every notebook: notebooks/lecture/NN_name.ipynb
    python slides/lecture.py 03_lenet 09  # some of them (names or numbers)

RISE shows a notebook's cells in the notebook's order, and it knows nothing of the `deep-dive`
tag: opened on a notebook itself it would present every deep dive where it stands, the settings
cell as the second slide. A presentation copy is the notebook rearranged by slides/build.py's
arrange(), as the static deck is: the lecture path, then an "Appendix: deep dives" title slide and
the deep dives below it. The notebooks stay the one source, in their reading order; the copies are
generated, ignored by git, and overwritten by the next `make lecture`.

The deep dives' code must still run where the notebook has it, since later cells use what it
defines (the settings cell's `cfg`, a trained network). So in a copy

* each code cell of a deep dive stays at its place, hidden from the slideshow (`skip`), as
  `%%deep_dive ID` (course_utils.presenting): it runs there and keeps what it shows;
* on its slide in the appendix the code is shown (unless the cell is tagged `hide-input`) as a
  Markdown code block, followed by a collapsed `%deep_dive_output ID` cell that shows what the
  code showed when it ran;
* a `hide-input` cell of the lecture path has its code collapsed (JupyterLab's source_hidden), and
  the copies' rise.css hides collapsed code in the slideshow, which thus shows only the output, as
  the static deck does;
* a first, hidden cell loads course_utils.presenting, which also moves the kernel to notebooks/, so
  that the notebook's relative paths mean what they mean in the notebook.

So Run All runs every code cell of the notebook once, in the notebook's order (RISE's `skip`
cells are hidden, not left out: Run All runs them), and the slideshow shows the static deck's
slides in the static deck's order. tests/test_lecture_copy.py checks both for every notebook.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build  # noqa: E402  slides/build.py: arrange(), slide_units(), the tags

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
COPIES = NOTEBOOKS / "lecture"   # course_utils.presenting.COPY_FOLDER
KEY = "course_lecture"            # the copy's own metadata, on the notebook and on its cells
RUN_MAGIC = "%%deep_dive"
SHOW_MAGIC = "%deep_dive_output"


def _with_slide_type(cell, kind: str):
    cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    return cell


def _setup_cell(name: str):
    """The copy's first cell: hidden, it loads what the deep-dive cells need (course_utils.presenting)."""
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(
        f"# The presentation copy of ../{name}.ipynb for RISE, made by `make lecture` (slides/lecture.py).\n"
        f"# Edit the notebook, not this copy: the next `make lecture` overwrites it.\n"
        f"# Deep dives run hidden where the notebook has them (%%deep_dive) and show in the appendix.\n"
        f"%load_ext course_utils.presenting")
    cell.id = "lecture-copy-setup"
    cell.metadata[KEY] = {"role": "setup"}
    return _with_slide_type(cell, "skip")


def _runs_here(cell):
    """A deep dive's code cell at its place in the notebook: hidden, run, what it shows kept."""
    out = copy.deepcopy(cell)
    out.source = f"{RUN_MAGIC} {cell.id}\n{cell.source}"
    out.metadata[KEY] = {"runs": cell.id}
    return _with_slide_type(out, "skip")


def _shown_in_appendix(cell) -> list:
    """What the appendix shows of a deep dive's code cell: its code as a Markdown code block (not for
    hide-input), then a collapsed cell that shows the code's output, kept from where it ran."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    kind = build.slide_type(cell)
    cells = []
    if build.HIDE_INPUT not in build.tags_of(cell):
        fence = "````" if "```" in cell.source else "```"
        code = new_markdown_cell(f"{fence}python\n{cell.source}\n{fence}")
        code.id = f"{cell.id}-code"
        code.metadata[KEY] = {"shows": cell.id}
        cells.append(_with_slide_type(code, kind))
        kind = "notes" if kind == "notes" else "-"
    output = new_code_cell(f"{SHOW_MAGIC} {cell.id}")
    output.id = f"{cell.id}-output"
    output.metadata[KEY] = {"shows": cell.id}
    output.metadata["jupyter"] = {"source_hidden": True}
    cells.append(_with_slide_type(output, kind))
    return cells


def _as_in_the_deck(cell):
    """A cell of the lecture path: as it is, except that hide-input collapses its code."""
    out = copy.deepcopy(cell)
    if out.cell_type == "code" and build.HIDE_INPUT in build.tags_of(out):
        out.metadata.setdefault("jupyter", {})["source_hidden"] = True
    return out


def presentation_copy(nb, name: str):
    """The presentation copy of notebook `nb` (whose file is notebooks/`name`.ipynb); see the docstring."""
    build.check_tags(nb, f"{name}.ipynb")
    if not all(cell.get("id") for cell in nb.cells):  # a %%deep_dive cell names the cell it runs by id
        raise SystemExit(f"{name}.ipynb has cells without an id (nbformat 4.5): open and save it in JupyterLab")
    units = build.slide_units(nb)
    arranged = build.arrange(nb)  # the static deck's order: the lecture path, then the appendix
    on_lecture_path = sum(len(unit) for unit in units if not build.is_deep_dive(unit))
    appendix = arranged.cells[on_lecture_path:]

    cells = [_setup_cell(name)]
    for unit in units:
        if build.is_deep_dive(unit):
            # Only its code stays here, to run; its text is shown in the appendix.
            cells += [_runs_here(c) if build.slide_type(c) != "skip" else copy.deepcopy(c)
                      for c in unit if c.cell_type == "code"]
        else:
            cells += [_as_in_the_deck(c) for c in unit]
    for cell in appendix:
        if cell.cell_type != "code":
            cells.append(copy.deepcopy(cell))
        elif build.slide_type(cell) != "skip":  # a skipped one ran at its place and shows nothing
            cells += _shown_in_appendix(cell)

    out = copy.deepcopy(nb)
    out.cells = cells
    out.metadata[KEY] = {"source": f"../{name}.ipynb",
                         "note": "generated by `make lecture` (slides/lecture.py): edit the notebook, not this copy"}
    return out


# ------------------------------------------------------------------- what the tests compare

def shown_slides(nb) -> list[list[tuple[str, str]]]:
    """The slides a slideshow (RISE, or the static deck's nbconvert) makes of `nb`, each a list of
    (cell, slide type) for the cells it shows, speaker notes included. A cell of a presentation copy
    is named by the notebook cell it shows, so that a copy and arrange() of its notebook compare
    equal when they show the same cells on the same slides in the same order.

    The cells go on slides as build.slides_of says (nbconvert's and RISE's rule).
    """
    slides: list[list[tuple[str, str]]] = []
    for indices in build.slides_of(nb):
        slide: list[tuple[str, str]] = []
        for index in indices:
            cell = nb["cells"][index]
            shows = (cell.get("metadata", {}).get(KEY) or {}).get("shows") or cell.get("id") or "?"
            if build.APPENDIX_TAG in build.tags_of(cell):
                shows = build.APPENDIX_TAG  # arrange() makes this cell anew, with a new random id, each time
            if slide and slide[-1][0] == shows:
                continue  # the output cell after the code of the same notebook cell
            slide.append((shows, build.slide_type(cell)))
        slides.append(slide)
    return slides


def code_in_execution_order(nb) -> list[str]:
    """The notebook code a copy (or a notebook) runs with Run All, in that order: every code cell's
    source, without a copy's own cells (its setup, the appendix's output cells) and without the
    `%%deep_dive ID` line that a deep dive's code runs under."""
    sources = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get(KEY) or {}
        if meta.get("role") == "setup" or "shows" in meta:
            continue
        source = cell["source"]
        if "runs" in meta:
            first, _, rest = source.partition("\n")
            assert first == f"{RUN_MAGIC} {meta['runs']}", first
            source = rest
        sources.append(source)
    return sources


# ------------------------------------------------------------------------------------------- main

# RISE loads rise.css from the notebook's folder. In the slideshow a collapsed input would still
# show its first line, large: a slide shows only the output of such a cell, as the static deck does.
RISE_CSS = """/* Written by `make lecture` (slides/lecture.py) for the presentation copies; RISE loads it.
   A cell whose code is collapsed shows only its output on a slide, as in the static decks: a
   hide-input cell, or a cell that shows what a deep dive's code showed (%deep_dive_output). */
.jp-InputPlaceholder { display: none !important; }
"""


def write_copies(notebooks: list[Path], out_dir: Path = COPIES) -> list[Path]:
    """Write the presentation copy of each notebook into out_dir, with the rise.css they share."""
    import nbformat

    build.check_all_tags(notebooks)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "rise.css").write_text(RISE_CSS, encoding="utf-8")
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        nbformat.write(presentation_copy(nb, path.stem), target)
        counts = build.deck_counts(nb)
        print(f"  {build.shown_path(target)}: "
              f"{counts['lecture']} slides on the lecture path, {counts['appendix']} in the appendix", flush=True)
        written.append(target)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="names (03_lenet, 03) or paths; default: all")
    args = parser.parse_args(argv)
    written = write_copies(build.find_notebooks(args.notebooks))
    print(f"{len(written)} presentation cop{'y' if len(written) == 1 else 'ies'} in {COPIES.relative_to(ROOT)}/: "
          "open one in JupyterLab (make lab), Run All, then Alt+R (slides/README.md).")


if __name__ == "__main__":
    main()
