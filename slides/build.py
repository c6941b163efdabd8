#!/usr/bin/env python3
"""Build one reveal.js deck per lecture notebook, and slides/index.html linking them in lecture order.

    python slides/build.py                       # every notebook in notebooks/
    python slides/build.py 03_lenet 07_batch_norm  # some of them (names or paths)
    python slides/build.py --reuse               # keep executed copies that are still current

Each notebook is executed under the active profile (COURSE_PROFILE; unset: full on a GPU, laptop
otherwise) into slides/build/NAME.ipynb, then converted with nbconvert's reveal template into
slides/NAME.slides.html. A deck loads nothing from the network: reveal.js (with its speaker-notes
plugin), MathJax 2, require.js and jQuery are copied from slides/node_modules (`npm ci` in slides/)
into slides/assets/, and every deck refers to them by relative paths, so the folder slides/ works
opened straight from disk. After writing a deck the build fails if it still names a remote asset or
a local one that is not there.

Two cell tags shape a deck (see CONTRIBUTING.md): a slide or subslide whose first cell is tagged
`deep-dive` moves, with all its cells, to an appendix at the end of the deck, behind an "Appendix:
deep dives" title slide, so that the lecture path stays lean; a code cell tagged `hide-input`
shows only its output. The build prints each deck's slide count on the lecture path and in the
appendix; `python slides/build.py --count` prints that table for every notebook without building.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLIDES = ROOT / "slides"
NOTEBOOKS = ROOT / "notebooks"
BUILD = SLIDES / "build"
NODE_MODULES = SLIDES / "node_modules"
TEMPLATES = SLIDES / "templates"
TEMPLATE = "course_reveal"
DECK_SUFFIX = ".slides.html"

# Where a deck finds its assets, relative to the folder that holds the deck.
ASSETS = "assets"
REVEAL_PREFIX = f"{ASSETS}/reveal.js"
MATHJAX_URL = f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
REQUIRE_URL = f"{ASSETS}/require.js"
JQUERY_URL = f"{ASSETS}/jquery.min.js"

# What to copy from slides/node_modules into assets/: (package, path inside it, path under assets/).
ASSET_FILES = [
    ("reveal.js", "dist", "reveal.js/dist"),
    ("reveal.js", "plugin/notes", "reveal.js/plugin/notes"),
    ("reveal.js", "LICENSE", "reveal.js/LICENSE"),
    ("mathjax", ".", "mathjax"),
    ("requirejs", "require.js", "require.js"),
    ("jquery", "dist/jquery.min.js", "jquery.min.js"),
    ("jquery", "LICENSE.txt", "jquery.LICENSE.txt"),
]
# MathJax 2 ships its sources and six font families; the decks use CommonHTML output with TeX fonts.
MATHJAX_SKIP = re.compile(
    r"^(unpacked|test|docs)(/|$)"
    r"|^fonts/HTML-CSS/(?!TeX(/|$))"
    r"|^fonts/HTML-CSS/TeX/(eot|otf|svg)(/|$)"
    r"|^jax/output/(HTML-CSS|SVG)/fonts/(?!TeX(/|$))"
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CDN_HOSTS = ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "fonts.googleapis.com",
             "fonts.gstatic.com", "code.jquery.com", "ajax.googleapis.com", "cdn.mathjax.org",
             "esm.sh", "cdn.plot.ly")
# Attributes and CSS through which a page loads something (plain <a href> links load nothing).
_LOADING_REFS = [
    re.compile(r"""<(?:script|img|iframe|embed|source|audio|video|track|input)\b[^>]*?\ssrc\s*=\s*["']([^"']*)["']""", re.I),
    re.compile(r"""<link\b[^>]*?\shref\s*=\s*["']([^"']*)["']""", re.I),
    re.compile(r"""<object\b[^>]*?\sdata\s*=\s*["']([^"']*)["']""", re.I),
    re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.I),
    re.compile(r"""url\(\s*["']?([^"')\s]+)""", re.I),
    re.compile(r"""\bimport\s+[\w{}\s,*]*\s*from\s*["']([^"']+)["']"""),
]
_REQUIRED_MODULES = re.compile(r"require\(\s*\{[^}]*\}\s*,\s*\[([^\]]*)\]", re.S)


# ----------------------------------------------------------------------------------------- metadata

def slide_type(cell) -> str:
    return (cell.get("metadata", {}).get("slideshow") or {}).get("slide_type", "-")


DEEP_DIVE = "deep-dive"      # on a slide's first cell: the slide goes to the appendix
HIDE_INPUT = "hide-input"    # on a code cell: the deck shows its output only
APPENDIX_TITLE = "Appendix: deep dives"
APPENDIX_TAG = "course-appendix-title"  # marks the title cell that arrange() adds


def tags_of(cell) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def slide_units(nb) -> list[list]:
    """The cells grouped by the slide they are on: a `slide` or `subslide` cell opens a new group.
    The first group also holds the cells before the first slide (skipped setup cells)."""
    units: list[list] = [[]]
    for cell in nb["cells"]:
        if slide_type(cell) in ("slide", "subslide") and any(slide_type(c) not in ("skip", "notes") for c in units[-1]):
            units.append([])
        units[-1].append(cell)
    return units


def is_deep_dive(unit: list) -> bool:
    return slide_type(unit[0]) in ("slide", "subslide") and DEEP_DIVE in tags_of(unit[0])


def check_tags(nb, name: str = "notebook") -> None:
    """A deep-dive tag that would move nothing is a mistake: say where it is and what to do."""
    units = slide_units(nb)
    if is_deep_dive(units[0]):
        raise SystemExit(f"{name}: the title slide is tagged {DEEP_DIVE!r}; the deck must start on the lecture path")
    index = 0
    for unit in units:
        for offset, cell in enumerate(unit):
            if (DEEP_DIVE in tags_of(cell) and not is_deep_dive(unit)
                    and slide_type(cell) not in ("skip", "notes")):
                first = (cell["source"].strip().splitlines() or [""])[0][:60]
                raise SystemExit(
                    f"{name}: cell {index + offset} ({first!r}) is tagged {DEEP_DIVE!r}, but the slide it is on "
                    f"starts at cell {index}, which is not: tag that slide's first cell (the `slide` or "
                    f"`subslide` cell) to move the whole slide to the appendix, or make this cell a subslide")
        index += len(unit)


def check_all_tags(notebooks: list[Path]) -> None:
    """check_tags on every notebook; one error that lists every misplaced tag."""
    import nbformat

    problems = []
    for path in notebooks:
        try:
            check_tags(nbformat.read(path, as_version=4), path.name)
        except SystemExit as error:
            problems.append(str(error))
    if problems:
        raise SystemExit("\n".join(problems))


def _heading(unit: list) -> str:
    """What a slide is about, for the appendix's contents: its first markdown heading, else the
    start of its first markdown text, else its first line of code."""
    visible = [c for c in unit if slide_type(c) not in ("skip", "notes") and c["source"].strip()]
    text = [c for c in visible if c["cell_type"] == "markdown"]
    if text:
        line = text[0]["source"].strip().splitlines()[0]
        # Plain words only: a cut formula would be an unbalanced $ for MathJax.
        line = re.sub(r"[$*_`#>]", " ", re.sub(r"\$[^$]*\$", "…", line))
        line = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s+", " ", line)).strip()
        if len(line) > 70:
            line = line[:70].rsplit(" ", 1)[0] + " …"
        return title_of({"cells": visible}, line)
    if visible:
        return f"code: `{visible[0]['source'].strip().splitlines()[0][:60]}`"
    return "(empty slide)"


def arrange(nb):
    """A copy of the notebook in deck order: the lecture path (every slide not tagged deep-dive),
    then, if any slide is, an appendix title slide listing them and the deep dives as its subslides."""
    import copy

    import nbformat

    units = slide_units(nb)
    lecture = [c for u in units if not is_deep_dive(u) for c in u]
    deep = [copy.deepcopy(u) for u in units if is_deep_dive(u)]
    out = copy.deepcopy(nb)
    if not deep:
        return out
    contents = [f"- {_heading(u)}" for u in deep[:12]] + ([f"- and {len(deep) - 12} more"] if len(deep) > 12 else [])
    title = nbformat.v4.new_markdown_cell(
        f"# {APPENDIX_TITLE}\n\nFor study after class; the lecture does not present them.\n\n" + "\n".join(contents),
        metadata={"slideshow": {"slide_type": "slide"}, "tags": [APPENDIX_TAG]})
    for unit in deep:  # one vertical stack under the title
        unit[0].setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = "subslide"
    out["cells"] = copy.deepcopy(lecture) + [title] + [c for u in deep for c in u]
    return out


def deck_counts(nb) -> dict:
    """Slides on the lecture path and in the appendix (the deep dives, without the appendix's title)."""
    units = slide_units(nb)
    lecture = {**nb, "cells": [c for u in units if not is_deep_dive(u) for c in u]}
    return dict(lecture=expected_counts(lecture)["slides"], appendix=sum(is_deep_dive(u) for u in units))


def count_table(notebooks: list[Path]) -> str:
    """Each deck's slides on the lecture path and in its appendix, and the totals."""
    import nbformat

    rows = [(p.stem, deck_counts(nbformat.read(p, as_version=4))) for p in notebooks]
    width = max([len("deck"), len("total")] + [len(name) for name, _ in rows])
    lines = [f"{'deck':<{width}}  lecture  appendix", "-" * (width + 19)]
    lines += [f"{name:<{width}}  {c['lecture']:>7}  {c['appendix']:>8}" for name, c in rows]
    lines += ["-" * (width + 19), f"{'total':<{width}}  {sum(c['lecture'] for _, c in rows):>7}  "
              f"{sum(c['appendix'] for _, c in rows):>8}"]
    return "\n".join(lines)


def slides_of(nb) -> list[list[int]]:
    """The slides nbconvert's reveal template (and RISE) make of a notebook: for each slide, the
    indices of the cells on it, speaker notes included, `skip` cells left out.

    The first visible cell opens the first slide whatever its type (notes before it count on that
    slide); after it every `slide` or `subslide` cell opens a new (vertical) slide, which is what
    Reveal.getTotalSlides() counts.
    """
    slides: list[list[int]] = []
    notes_before: list[int] = []
    for index, cell in enumerate(nb["cells"]):
        kind = slide_type(cell)
        if kind == "skip":
            continue
        if not slides:
            if kind == "notes":
                notes_before.append(index)
            else:
                slides.append(notes_before + [index])
        elif kind in ("slide", "subslide"):
            slides.append([index])
        else:
            slides[-1].append(index)
    return slides


def expected_counts(nb) -> dict:
    """What nbconvert's reveal template makes of a notebook's slideshow metadata (slides_of):
    `fragment` cells become `.fragment` blocks (except the first visible cell, which opens the first
    slide), `notes` cells speaker notes."""
    slides = slides_of(nb)
    if not slides:
        return dict(slides=0, fragments=0, notes=0)
    kinds = {i: slide_type(nb["cells"][i]) for slide in slides for i in slide}
    first = next(i for i in slides[0] if kinds[i] != "notes")
    return dict(
        slides=len(slides),
        fragments=sum(k == "fragment" for i, k in kinds.items() if i != first),
        notes=sum(k == "notes" for k in kinds.values()),
    )


def title_of(nb, default: str) -> str:
    """The notebook's first markdown heading, without its '#'s."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in cell["source"].splitlines():
                m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    return m.group(1)
    return default


# ------------------------------------------------------------------------------------ offline check

def remote_references(text: str) -> list[str]:
    """Every remote address through which the page would load something, and any CDN host named."""
    found = []
    for pattern in _LOADING_REFS:
        found += [u for u in pattern.findall(text) if re.match(r"^(https?:)?//", u.strip(), re.I)]
    for block in _REQUIRED_MODULES.findall(text):
        found += [u for u in re.findall(r"""["']([^"']+)["']""", block) if re.match(r"^(https?:)?//", u)]
    for host in CDN_HOSTS:
        if host in text:
            found.append(host)
    return sorted(set(found))


def local_references(text: str) -> list[str]:
    """Every local path a page loads (scripts, styles, images, require()d modules), without query."""
    refs = []
    for pattern in _LOADING_REFS:
        refs += pattern.findall(text)
    for block in _REQUIRED_MODULES.findall(text):
        refs += [u if u.endswith(".js") else u + ".js" for u in re.findall(r"""["']([^"']+)["']""", block)]
    paths = set()
    for ref in refs:
        ref = ref.strip()
        if not ref or re.match(r"^([a-z][a-z0-9+.-]*:|//|#)", ref, re.I) or "{" in ref:
            continue  # data:, http:, about:, anchors, and template text in inline scripts
        paths.add(ref.split("#")[0].split("?")[0])
    return sorted(paths)


def check_offline(deck: Path) -> None:
    text = deck.read_text(encoding="utf-8")
    remote = remote_references(text)
    if remote:
        raise SystemExit(f"{deck}: a deck must load nothing from the network, but it names: {', '.join(remote)}")
    missing = [p for p in local_references(text) if not (deck.parent / p).is_file()]
    if missing:
        raise SystemExit(f"{deck}: these local assets are missing: {', '.join(missing)} "
                         "(run `npm ci` in slides/, or `make slides`)")


# -------------------------------------------------------------------------------------------- assets

def install_assets(out_dir: Path, node_modules: Path = NODE_MODULES) -> Path:
    """Copy what the decks load from node_modules into out_dir/assets (skipped when current)."""
    dest = out_dir / ASSETS
    lock = node_modules / ".package-lock.json"
    if not lock.is_file():
        raise SystemExit(f"{node_modules} is missing: run `npm ci` in slides/ (or `make slides`) first")
    key = hashlib.sha256(lock.read_bytes() + json.dumps(ASSET_FILES).encode()
                         + MATHJAX_SKIP.pattern.encode()).hexdigest()
    stamp = dest / ".installed"
    if stamp.is_file() and stamp.read_text() == key:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    for package, src, target in ASSET_FILES:
        source = node_modules / package / src
        if not source.exists():
            raise SystemExit(f"{source} is missing: run `npm ci` in slides/")
        if source.is_dir():
            ignore = None
            if package == "mathjax":
                def ignore(folder, names, base=source):
                    rel = Path(folder).relative_to(base).as_posix()
                    return [n for n in names if MATHJAX_SKIP.search(n if rel == "." else f"{rel}/{n}")]
            shutil.copytree(source, dest / target, ignore=ignore)
        else:
            (dest / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / target)
    stamp.write_text(key)
    return dest


# ----------------------------------------------------------------------------------------- execution

def _kernel_manager_class():
    from jupyter_client.manager import KernelManager

    class CurrentEnvKernelManager(KernelManager):
        """The kernel runs on this interpreter (the course's venv), whatever kernelspecs exist."""

        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]

    return CurrentEnvKernelManager


def source_key(path: Path, profile: str) -> str:
    return hashlib.sha256(path.read_bytes() + profile.encode()).hexdigest()


def execute(source: Path, executed: Path, profile: str, timeout: int, reuse: bool) -> bool:
    """Run the notebook into `executed`; returns False when --reuse found a current copy."""
    import nbformat
    from nbclient import NotebookClient

    key = source_key(source, profile)
    if reuse and executed.is_file():
        old = nbformat.read(executed, as_version=4)
        if old.metadata.get("course_slides", {}).get("source_key") == key:
            return False
    nb = nbformat.read(source, as_version=4)
    # The kernel inherits our environment; CI sets MPLBACKEND=Agg, which would leave no inline plots.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    # Widget state is stored (nbclient fails on Output widgets without it) and dropped by convert().
    # shutdown_kernel="immediate": the finished kernel is stopped, not asked to shut down, which
    # with ipykernel 7.4 here races its own control stream and prints a ZMQError traceback ("Socket
    # operation on non-socket") into the build's output while the next notebook runs (2 builds in
    # 3 of decks 01 and 02). Nothing is lost: every cell has run and the notebook is saved below.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            shutdown_kernel="immediate", kernel_manager_class=_kernel_manager_class(),
                            resources={"metadata": {"path": str(source.parent)}})
    client.execute()
    nb.metadata["course_slides"] = dict(source_key=key, profile=profile,
                                        executed=datetime.now().isoformat(timespec="seconds"))
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    return True


# ---------------------------------------------------------------------------------------- conversion

def exporter():
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    c = Config()
    c.SlidesExporter.reveal_url_prefix = REVEAL_PREFIX
    c.SlidesExporter.reveal_theme = "white"  # the themes that use web fonts import them from Google
    c.SlidesExporter.reveal_number = "c/t"
    c.SlidesExporter.reveal_width = "1280"
    c.SlidesExporter.reveal_height = "800"
    c.SlidesExporter.font_awesome_url = ""
    c.SlidesExporter.mathjax_url = MATHJAX_URL
    c.SlidesExporter.require_js_url = REQUIRE_URL
    c.SlidesExporter.jquery_url = JQUERY_URL
    c.SlidesExporter.jupyter_widgets_base_url = f"{ASSETS}/"
    c.SlidesExporter.widget_renderer_url = ""
    c.SlidesExporter.exclude_input_prompt = True   # In [3]: takes width a projector needs
    c.SlidesExporter.exclude_output_prompt = True
    # `hide-input`: the picture is the point, not the code that draws it (it stays in the notebook).
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {HIDE_INPUT}
    return SlidesExporter(config=c, extra_template_basedirs=[str(TEMPLATES)], template_name=TEMPLATE)


def convert(executed: Path, deck: Path, title: str) -> None:
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    check_tags(nb, executed.name)
    nb = arrange(nb)
    nb.metadata["title"] = title
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":  # progress bars are live widgets: nothing to show on a slide
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": executed.stem}})
    deck.write_text(body, encoding="utf-8")


# -------------------------------------------------------------------------------------------- index

def deck_path(notebook: Path, out_dir: Path = SLIDES) -> Path:
    """Where the deck of a notebook is built: slides/NN_name.slides.html."""
    return out_dir / f"{notebook.stem}{DECK_SUFFIX}"


def shown_path(path: Path) -> str:
    """A path as the slide scripts print it: relative to the checkout when inside it."""
    return str(path.relative_to(ROOT)) if ROOT in path.parents else str(path)


def write_index(out_dir: Path, notebooks: list[Path], profile: str) -> Path:
    import nbformat

    rows = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        title = html.escape(title_of(nb, path.stem))
        deck = deck_path(path, out_dir)
        if deck.is_file():
            rows.append(f'  <li><a href="{html.escape(deck.name)}">{title}</a></li>')
        else:
            rows.append(f'  <li class="missing">{title} <small>(not built: '
                        f'<code>make slides NOTEBOOKS={html.escape(path.stem)}</code>)</small></li>')
    items = "\n".join(rows) or "  <li class=\"missing\">No notebooks yet.</li>"
    built = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Convolutional Neural Networks: slides</title>
<style>
  body {{ font-family: "Source Sans Pro", Helvetica, Arial, sans-serif; max-width: 46em;
         margin: 3em auto; padding: 0 1em; line-height: 1.5; color: #222; }}
  h1 {{ font-weight: 600; }}
  ol {{ font-size: 1.25em; list-style: none; padding-left: 0; }}
  li {{ margin: 0.35em 0; }}
  a {{ color: #2a76dd; text-decoration: none; }} a:hover {{ text-decoration: underline; }}
  .missing {{ color: #888; }}
  kbd {{ border: 1px solid #bbb; border-radius: 3px; padding: 0 0.3em; font-size: 0.9em; }}
  footer {{ margin-top: 3em; color: #666; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>Convolutional Neural Networks</h1>
<p>The lecture's slides, one deck per notebook, in lecture order.</p>
<ol>
{items}
</ol>
<p>In a deck: <kbd>&rarr;</kbd>/<kbd>Space</kbd> next, <kbd>&darr;</kbd> next sub-slide,
<kbd>Esc</kbd> overview, <kbd>S</kbd> speaker notes (in a new window), <kbd>F</kbd> full screen.</p>
<footer>Built {built} from notebooks executed under the <code>{html.escape(profile)}</code> profile.
Works offline: everything a deck loads is in <code>assets/</code> beside it.</footer>
</body>
</html>
"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


# ---------------------------------------------------------------------------------------------- main

def find_notebooks(names: list[str], folder: Path = NOTEBOOKS) -> list[Path]:
    everything = sorted(folder.glob("*.ipynb"))
    if not names:
        return everything
    chosen = []
    for name in names:
        path = Path(name)
        if not path.is_file():
            stem = path.name.removesuffix(".ipynb")
            matches = [p for p in everything if p.stem == stem or p.stem.startswith(stem + "_")]
            if len(matches) != 1:
                raise SystemExit(f"no single notebook matches {name!r} in {folder}")
            path = matches[0]
        chosen.append(path.resolve())
    return chosen


def build(notebooks: list[Path], out_dir: Path = SLIDES, build_dir: Path = BUILD, *, timeout: int = 3600,
          reuse: bool = False, index_notebooks: list[Path] | None = None) -> list[Path]:
    import nbformat
    from course_utils.profile import active_profile

    check_all_tags(notebooks)  # in seconds, before any notebook runs
    profile = active_profile()
    out_dir.mkdir(parents=True, exist_ok=True)
    install_assets(out_dir)
    print(f"Building {len(notebooks)} deck(s) under the '{profile}' profile into {out_dir}", flush=True)
    decks, failed = [], []
    for source in notebooks:
        t0 = time.perf_counter()
        executed = build_dir / source.name
        try:
            ran = execute(source, executed, profile, timeout, reuse)
        except Exception as error:  # a failing notebook: report it, build the others
            failed.append(source.name)
            message = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()
            print(f"  FAILED {source.name} after {time.perf_counter() - t0:.0f} s: "
                  + "\n    ".join(message[-12:]), file=sys.stderr, flush=True)
            continue
        t1 = time.perf_counter()
        deck = deck_path(source, out_dir)
        convert(executed, deck, title_of(nbformat.read(source, as_version=4), source.stem))
        check_offline(deck)
        decks.append(deck)
        what = f"executed in {t1 - t0:.0f} s" if ran else "reused the executed copy"
        print(f"  {deck.relative_to(out_dir.parent) if out_dir.parent in deck.parents else deck}: "
              f"{what}, converted in {time.perf_counter() - t1:.1f} s", flush=True)
    index = write_index(out_dir, sorted(index_notebooks if index_notebooks is not None else notebooks), profile)
    check_offline(index)
    print(f"  {index}", flush=True)
    built = [n for n in notebooks if n.name not in failed]
    if built:
        print("Slides per deck (lecture path; appendix of deep dives, after its title slide):")
        print(count_table(built), flush=True)
    if failed:
        raise SystemExit(f"{len(failed)} notebook(s) failed to execute, so their decks were not "
                         f"(re)built: {', '.join(failed)}")
    return decks


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="names (03_lenet, 03) or paths; default: all")
    parser.add_argument("--reuse", action="store_true",
                        help="keep an executed copy in slides/build/ made from the same notebook and profile")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may run (default 3600)")
    parser.add_argument("--count", action="store_true",
                        help="only print each deck's slide count (lecture path, appendix); builds nothing")
    args = parser.parse_args(argv)
    if args.count:
        notebooks = find_notebooks(args.notebooks)
        check_all_tags(notebooks)
        print(count_table(notebooks))
        return
    t0 = time.perf_counter()
    build(find_notebooks(args.notebooks), reuse=args.reuse, timeout=args.timeout,
          index_notebooks=find_notebooks([]))
    print(f"Done in {time.perf_counter() - t0:.0f} s. Open slides/index.html in a browser.")


if __name__ == "__main__":
    main()
