#!/usr/bin/env python3
"""Print the built decks to PDF handouts, offline, with headless Chromium and reveal.js's print layout.

    python slides/pdf.py                  # every built deck: slides/pdf/NN_name.pdf, then slides/lecture.pdf
    python slides/pdf.py 03_lenet 07      # some decks (names or numbers); lecture.pdf is then remade
                                          # from every deck PDF there is

A deck's PDF has one page per slide, in the deck's order: the lecture path, then the appendix (its
title slide and the deep dives). slides/lecture.pdf joins every deck's lecture path, in lecture
order, with a bookmark per deck; the appendices are only in the deck PDFs. Handouts are for
students, so they leave out the speaker notes.

Each deck is opened from disk in reveal.js's print view (`?print-pdf`), with every network request
blocked, and printed by Chromium itself (Playwright's page.pdf), so the text stays text: it can be
selected, searched and copied. reveal.js's print view is told to show all of a slide's fragments on
its one page (pdfSeparateFragments=false) and to give no slide more than one page
(pdfMaxPagesPerSlide=1). A slide taller than the deck (on screen it scrolls) would lose its end
there, so it is scaled down to fit its page instead; splitting it would cut a line of code or a
plot in two. Formulas are typeset and images loaded before anything is measured or printed.

Chromium is Debian's `chromium` package, driven by Playwright (no browser is downloaded), as in the
browser tests. Without it the PDFs are skipped with a note, except in CI (CI=true), where that is
an error.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build  # noqa: E402  slides/build.py: where the decks are, the appendix's tag and title

ROOT = build.ROOT
SLIDES = build.SLIDES
PDF_DIR = SLIDES / "pdf"
LECTURE_PDF = SLIDES / "lecture.pdf"

# reveal.js reads its configuration from the address as well: the print view, every fragment shown
# on the slide's page, one page per slide at most, no speaker notes.
PRINT_QUERY = "print-pdf&pdfSeparateFragments=false&pdfMaxPagesPerSlide=1&showNotes=false"
# On screen a slide taller than the deck scrolls (slides/templates: max-height, overflow-y). On paper
# a scroll box would show its top only: the slide gets its full height, and FIT_TALL_SLIDES scales it.
PRINT_CSS = """
html.reveal-print .reveal .slides section:not(.stack) { max-height: none !important; overflow: visible !important; }
"""
# No display, no network of its own (Chromium's update and sync connections are refused noisily
# offline); the browser tests (tests/slides_support.py) launch Chromium with these too.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Where the deck's Reveal object comes from (the require.js module that the deck's own script loads).
REVEAL_MODULE = f"{build.REVEAL_PREFIX}/dist/reveal.js"
PDF_METADATA_KEY = "/CourseLecturePages"  # a deck PDF's pages on the lecture path (lecture.pdf uses it)

# Waits until reveal.js has laid out its print pages, MathJax has typeset every formula again in that
# layout (one typeset while its slide was hidden may have no size) and every image has loaded.
WAIT_FOR_PRINT_LAYOUT = """module => new Promise((resolve, reject) => require([module], R => {
    const ready = () => {
        if (!R.isReady() || !document.querySelector('.reveal .slides > .pdf-page')) return setTimeout(ready, 50);
        const images = [...document.images].map(img => img.complete ? null
            : new Promise(done => { img.onload = img.onerror = done; })).filter(Boolean);
        Promise.all(images).then(() => MathJax.Hub.Queue(['Rerender', MathJax.Hub], () => resolve(null)));
    };
    ready();
}, reject))"""
# Every slide on its page: with `fit`, one taller than the page is zoomed out until its end is on
# the page; all are centred again, now that formulas and pictures have their final size. Returns
# each zoomed slide (page, height, scale) and the page of the appendix's title slide (null if none).
FIT_TALL_SLIDES = """({fit, appendixTag}) => {
    const pages = [...document.querySelectorAll('.reveal .slides > .pdf-page')];
    const result = {tall: [], appendix: null};
    pages.forEach((page, i) => {
        const slide = page.querySelector(':scope > section');
        if (result.appendix === null && slide.querySelector('.celltag_' + appendixTag)) result.appendix = i;
        const room = page.clientHeight, height = slide.scrollHeight;
        // CSS zoom, not a transform: a transform scales the picture only, and Chromium would still
        // lay out (and so print nothing of) what lies below the page's end.
        const scale = fit ? Math.min(1, room / height) : 1;
        if (scale < 1) {
            slide.style.zoom = scale;
            result.tall.push({page: i + 1, height, scale: Math.round(scale * 1000) / 1000});
        }
        // A zoomed element's own left and top are zoomed too: divide them back out.
        const box = slide.getBoundingClientRect();
        slide.style.left = (page.clientWidth - box.width) / 2 / scale + 'px';
        slide.style.top = Math.max((room - box.height) / 2, 0) / scale + 'px';
    });
    return result;
}"""


@dataclass
class PrintedDeck:
    """What printing a deck made: its PDF, how many pages, which of them belong to the lecture path
    (the appendix starts after them), and the slides that were scaled to fit (page, height, scale)."""
    pdf: Path
    pages: int
    lecture_pages: int
    tall: list[dict] = field(default_factory=list)


class ChromiumMissing(RuntimeError):
    """No Chromium to print with; the message says how to install one."""


def find_chromium() -> str | None:
    """Debian's chromium, or the one CHROMIUM names (the browser tests find theirs here too)."""
    candidates = [os.environ.get("CHROMIUM", ""), "/usr/bin/chromium",
                  shutil.which("chromium") or "", shutil.which("chromium-browser") or ""]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def launch(playwright):
    """A headless Chromium, or ChromiumMissing that says how to get one."""
    executable = find_chromium()
    if executable is None:
        raise ChromiumMissing("no Chromium found to print the PDFs with: install Debian's or Ubuntu's "
                              "`chromium` package (sudo apt-get install chromium), or set "
                              "CHROMIUM=/path/to/chromium")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def open_deck(context, deck: Path, query: str):
    """The deck in a new page of `context`, with network requests blocked and Reveal in window.__R."""
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("file:", "data:", "blob:", "about:")) else route.abort())
    page = context.new_page()
    page.goto(deck.resolve().as_uri() + (f"?{query}" if query else ""))
    page.wait_for_function("window.require && window.MathJax && window.MathJax.Hub", timeout=30_000)
    page.evaluate("""module => new Promise((resolve, reject) => require([module], R => {
        window.__R = R;
        const ready = () => R.isReady() ? resolve(null) : setTimeout(ready, 50);
        ready();
    }, reject))""", REVEAL_MODULE)
    return page


def print_deck(browser, deck: Path, pdf: Path, *, fit_tall: bool = True, query: str = PRINT_QUERY) -> PrintedDeck:
    """Print one deck to `pdf` with `browser` (Playwright's Chromium); see the module's docstring.

    fit_tall=False and another query exist for the tests, which check that a print without the
    fixes (reveal.js's defaults: a page per fragment, a tall slide cut at the page's end) fails them.
    """
    from pypdf import PdfReader, PdfWriter

    # The page size comes from reveal.js (an @page rule: the deck's size plus its margin), not from
    # the window, whose size only matters to the screen view.
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    try:
        page = open_deck(context, deck, query)
        if fit_tall:
            page.add_style_tag(content=PRINT_CSS)
        page.evaluate(WAIT_FOR_PRINT_LAYOUT, REVEAL_MODULE)
        layout = page.evaluate(FIT_TALL_SLIDES, {"fit": fit_tall, "appendixTag": build.APPENDIX_TAG})
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)
    finally:
        context.close()
    # Note which pages are the lecture path, for lecture.pdf, and bookmark the appendix.
    writer = PdfWriter(clone_from=PdfReader(pdf))
    pages = len(writer.pages)
    lecture = layout["appendix"] if layout["appendix"] is not None else pages
    # nbconvert titles the page "NN · Name slides"; the handout is the notebook's title.
    title = re.sub(r"\s+slides$", "", str((writer.metadata or {}).get("/Title") or deck.stem))
    writer.add_metadata({"/Title": title, PDF_METADATA_KEY: str(lecture)})
    writer.add_outline_item(title="Lecture", page_number=0)
    if lecture < pages:
        writer.add_outline_item(title=build.APPENDIX_TITLE, page_number=lecture)
    with open(pdf, "wb") as out:
        writer.write(out)
    return PrintedDeck(pdf=pdf, pages=pages, lecture_pages=lecture, tall=layout["tall"])


def lecture_pages(pdf: Path) -> int:
    """How many of a deck PDF's pages are its lecture path (print_deck wrote it into the PDF)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    value = (reader.metadata or {}).get(PDF_METADATA_KEY)
    if value is None:
        raise SystemExit(f"{pdf} was not printed by slides/pdf.py (no {PDF_METADATA_KEY}): print it again")
    return int(value)


def combine(deck_pdfs: list[Path], out: Path) -> int:
    """Every deck's lecture path, in the order given, into one PDF with a bookmark per deck; returns
    its page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for path in deck_pdfs:
        reader = PdfReader(path)
        title = (reader.metadata or {}).get("/Title") or path.stem
        writer.append(reader, outline_item=str(title), pages=(0, lecture_pages(path)), import_outline=False)
    writer.add_metadata({"/Title": "Convolutional Neural Networks: the lecture"})
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        writer.write(handle)
    return len(writer.pages)


def pdf_of(notebook: Path, pdf_dir: Path = PDF_DIR) -> Path:
    return pdf_dir / f"{notebook.stem}.pdf"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def print_all(notebooks: list[Path], every_notebook: list[Path], slides: Path = SLIDES,
              pdf_dir: Path = PDF_DIR, lecture_pdf: Path = LECTURE_PDF) -> list[PrintedDeck]:
    """Print the decks of `notebooks` that are built, then join the PDFs of `every_notebook` that
    exist into lecture_pdf. Prints what it made and the time it took."""
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    printed, missing = [], []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for notebook in notebooks:
                deck = build.deck_path(notebook, slides)
                if not deck.is_file():
                    missing.append(notebook.stem)
                    continue
                t1 = time.perf_counter()
                done = print_deck(browser, deck, pdf_of(notebook, pdf_dir))
                printed.append(done)
                scaled = "".join(f"; page {t['page']} ({t['height']} px) scaled to {t['scale']:.0%}"
                                 for t in done.tall)
                appendix = done.pages - done.lecture_pages
                print(f"  {build.shown_path(done.pdf)}: {done.pages} pages ({done.lecture_pages} lecture, {appendix} appendix) "
                      f"in {time.perf_counter() - t1:.1f} s{scaled}", flush=True)
        finally:
            browser.close()
    if missing:
        print(f"  no deck to print for {', '.join(missing)} (make slides NOTEBOOKS=...)", flush=True)
    pdfs = [pdf_of(n, pdf_dir) for n in every_notebook if pdf_of(n, pdf_dir).is_file()]
    if pdfs:
        pages = combine(pdfs, lecture_pdf)
        print(f"  {build.shown_path(lecture_pdf)}: {pages} pages, the lecture paths of {len(pdfs)} deck(s)", flush=True)
    print(f"PDFs made in {time.perf_counter() - t0:.0f} s.", flush=True)
    return printed


def main(argv=None) -> None:
    # Chromium's PDFs declare one object fewer in their trailer than they hold; pypdf says so on
    # every read, and it is harmless.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="names (03_lenet, 03) or paths; default: all")
    args = parser.parse_args(argv)
    try:
        print_all(build.find_notebooks(args.notebooks), build.find_notebooks([]))
    except ChromiumMissing as error:
        if in_ci():
            raise SystemExit(f"slides/pdf.py: {error}; CI must make the PDFs (.ci/run installs Chromium)")
        print(f"slides/pdf.py: no PDFs made: {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
