"""What a presentation copy of a notebook (``make lecture``, slides/lecture.py) needs in its kernel.

A presentation copy shows a notebook's slides in the static deck's order: the lecture path, then
the deep dives in an appendix after the exercises. The deep dives' code cannot simply move there:
later cells use what it defines (the settings cell's ``cfg``, a loaded data set, a trained
network). So the copy keeps each deep-dive code cell where the notebook has it, hidden from the
slideshow, as ``%%deep_dive KEY``: it runs there, in the notebook's order, and what it shows
(printed text, tables, plots) is kept. On the deep dive's slide in the appendix,
``%deep_dive_output KEY`` shows it again. Run All therefore runs every cell of the notebook once,
in the notebook's order, exactly as the notebook itself does.

The copy's first cell loads this as an IPython extension (``%load_ext course_utils.presenting``),
which also moves the kernel to the notebook's own folder: a copy lives in ``notebooks/lecture/``,
and the notebook's relative paths (its setup cell's ``sys.path.insert(0, "..")``) mean
``notebooks/``. Nothing here is imported by ``import course_utils``.
"""
from __future__ import annotations

import os
from pathlib import Path

COPY_FOLDER = "lecture"  # where slides/lecture.py writes the copies, inside notebooks/

# What each deep dive showed, by key (its cell's id), for %deep_dive_output.
_shown: dict = {}


def load_ipython_extension(ipython) -> None:
    """%load_ext course_utils.presenting: the two magics, and the notebook's folder as working directory."""
    ipython.register_magic_function(deep_dive, magic_kind="cell", magic_name="deep_dive")
    ipython.register_magic_function(deep_dive_output, magic_kind="line", magic_name="deep_dive_output")
    work_in_the_notebooks_folder()


def work_in_the_notebooks_folder() -> Path:
    """Move from notebooks/lecture/ (where the copy is, so where its kernel starts) to notebooks/
    (where the notebook is); anywhere else, stay. Running it twice changes nothing."""
    here = Path.cwd()
    if here.name == COPY_FOLDER and any(here.parent.glob("*.ipynb")):
        os.chdir(here.parent)
    return Path.cwd()


def deep_dive(line: str, cell: str) -> None:
    """%%deep_dive KEY: run the cell's code here and keep what it shows for %deep_dive_output KEY.

    A failure is not kept quiet: what the code showed up to the error is shown here, and the error
    is raised again, so that Run All stops where the notebook would have stopped.
    """
    from IPython import get_ipython
    from IPython.utils.capture import capture_output

    key = line.strip()
    with capture_output() as shown:
        result = get_ipython().run_cell(cell)
    _shown[key] = shown
    if not result.success:
        shown.show()
        result.raise_error()


def deep_dive_output(line: str) -> None:
    """%deep_dive_output KEY: show again what the deep dive KEY showed when it ran."""
    key = line.strip()
    if key not in _shown:
        print(f"(The deep dive {key} has not run yet. It runs, hidden from the slideshow, where the "
              "notebook has it: Run All first, or run the cells above.)")
        return
    _shown[key].show()
