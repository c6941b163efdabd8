"""The PDF handouts (slides/pdf.py): one page per slide, nothing cut, nothing blank, text selectable.

Each PDF is checked against its deck, opened in headless Chromium in the ordinary screen view (not
the print view the PDF came from): it has one page per slide, as many as the notebook's slideshow
metadata implies (the lecture path, the appendix's title, the deep dives; fragments add no page),
and page N holds slide N: the beginning of the slide's first block of text (a heading, paragraph,
list item, code or printed output) and the end of its last, both found in the text that pypdf
extracts from the page, so that text is selectable and the slide's end was printed, not cut. A
slide with no text must have an image on its page. slides/lecture.pdf holds each deck's lecture
path, in lecture order.

test_sample_pdf prints a small notebook of its own with a slide taller than the deck, and shows
that the checks fail on what reveal.js's print view makes without slides/pdf.py's settings (a page
per fragment; a tall slide cut at the page's end).
"""
import re
import unicodedata
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell
from slides_support import IN_CI, ROOT, current_deck, load_build, load_script, sample_notebook, unavailable

build = load_build()
pdf = load_script("slides_pdf", ROOT / "slides" / "pdf.py")
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SNIPPET = 24  # characters (letters and digits) from the start of a slide's text and from its end

# Text blocks of a slide, in order, without speaker notes and without formulas (MathJax's fonts
# do not extract as the letters they show).
SLIDE_TEXT = r"""() => __R.getSlides().map(slide => {
    const norm = t => t.normalize('NFKC').toLowerCase().replace(/[^a-z0-9]/g, '');
    const blocks = [...slide.querySelectorAll('h1, h2, h3, h4, h5, h6, p, li, pre, th, td')]
        .filter(e => !e.closest('aside.notes'))
        .filter(e => !e.querySelector('.MathJax, .MathJax_CHTML, .mjx-chtml, .MathJax_Preview, script'))
        .map(e => norm(e.textContent)).filter(t => t.length >= 3);
    return {first: blocks.length ? blocks[0] : '', last: blocks.length ? blocks[blocks.length - 1] : '',
            images: [...slide.querySelectorAll('img')].filter(i => !i.closest('aside.notes')).length,
            heading: (slide.querySelector('h1, h2, h3') || {}).textContent || ''};
})"""


def normalize(text: str) -> str:
    """Letters and digits only, lower case, ligatures undone: what survives any PDF's spacing."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", text).lower())


def slides_of(browser, deck: Path) -> list[dict]:
    """Each slide's first and last text (normalized) and image count, from the deck's screen view."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    try:
        page = pdf.open_deck(context, deck, "")
        return page.evaluate(SLIDE_TEXT)
    finally:
        context.close()


def page_texts(path: Path) -> list[tuple[str, int]]:
    """Each page's extracted text (normalized) and how many images it draws. The text is read in
    pypdf's layout mode, line by line as it shows on the page: Chromium may draw a line's inline
    code or link after the rest of the line, and plain extraction follows the drawing order."""
    from pypdf import PdfReader

    return [(normalize(page.extract_text(extraction_mode="layout") or ""), len(page.images))
            for page in PdfReader(path).pages]


def check_pdf(path: Path, slides: list[dict], name: str, expected_pages: int) -> None:
    """One page per slide, in order; on each, the slide's first and last text (or an image)."""
    pages = page_texts(path)
    assert len(slides) == expected_pages, f"{name}: the deck has {len(slides)} slides, its notebook implies {expected_pages}"
    assert len(pages) == expected_pages, \
        f"{name}: {path.name} has {len(pages)} pages for {expected_pages} slides (one page per slide, fragments included)"
    problems = []
    for number, (slide, (text, images)) in enumerate(zip(slides, pages), 1):
        where = f"page {number} ({slide['heading'].strip()[:40]!r})"
        if not slide["first"]:
            if not images:
                problems.append(f"{where} is blank: its slide has no text, and the page no image")
            continue
        if not text:
            problems.append(f"{where} has no selectable text")
        elif slide["first"][:SNIPPET] not in text:
            problems.append(f"{where} does not hold the slide's beginning {slide['first'][:SNIPPET]!r}")
        elif slide["last"][-SNIPPET:] not in text:
            problems.append(f"{where} does not hold the slide's end {slide['last'][-SNIPPET:]!r}: cut off?")
        if slide["images"] and not images:
            problems.append(f"{where} shows none of the slide's {slide['images']} image(s)")
    assert not problems, f"{name}: " + "; ".join(problems)


# ------------------------------------------------------------------------------------ the sample

TALL_END = "This sentence is the end of the tall slide."


def tall_sample():
    """The browser test's sample notebook with a slide far taller than the deck, ending in a fragment."""
    nb = sample_notebook()
    lines = "\n".join(f"- line {i} of a slide that is taller than the deck" for i in range(1, 36))
    summary = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Summary"))
    nb.cells[summary:summary] = [
        new_markdown_cell(f"## A tall slide\n\n{lines}", metadata={"slideshow": {"slide_type": "subslide"}}),
        new_markdown_cell(TALL_END, metadata={"slideshow": {"slide_type": "fragment"}}),
    ]
    return nb


@pytest.fixture(scope="module")
def sample_deck(browser, tmp_path_factory):
    """The tall sample, built into a deck (executed in seconds), and its slides as the deck shows them."""
    folder = tmp_path_factory.mktemp("pdf")
    source = folder / "notebooks" / "99_tall.ipynb"
    source.parent.mkdir()
    nb = tall_sample()
    nbformat.write(nb, source)
    [deck] = build.build([source], folder / "slides", folder / "build", timeout=120)
    return deck, nb, slides_of(browser, deck)


def test_sample_pdf(browser, sample_deck, tmp_path):
    deck, nb, slides = sample_deck
    printed = pdf.print_deck(browser, deck, tmp_path / "99_tall.pdf")
    expected = build.expected_counts(build.arrange(nb))["slides"]
    check_pdf(printed.pdf, slides, "99_tall", expected)
    assert printed.lecture_pages == build.deck_counts(nb)["lecture"] and printed.pages == expected
    assert [t["page"] for t in printed.tall] == [1 + next(i for i, s in enumerate(slides) if "tall" in s["heading"])]
    assert 0.3 < printed.tall[0]["scale"] < 1
    assert normalize(TALL_END) in dict(enumerate(page_texts(printed.pdf)))[printed.tall[0]["page"] - 1][0]

    joined = tmp_path / "lecture.pdf"
    assert pdf.combine([printed.pdf, printed.pdf], joined) == 2 * printed.lecture_pages


def test_the_checks_catch_a_page_per_fragment(browser, sample_deck, tmp_path):
    """reveal.js's own default prints a page for every fragment: the page count gives it away."""
    deck, nb, slides = sample_deck
    printed = pdf.print_deck(browser, deck, tmp_path / "fragments.pdf", query="print-pdf&pdfMaxPagesPerSlide=1")
    with pytest.raises(AssertionError, match=r"pages for \d+ slides"):
        check_pdf(printed.pdf, slides, "99_tall", build.expected_counts(build.arrange(nb))["slides"])


def test_the_checks_catch_a_cut_slide(browser, sample_deck, tmp_path):
    """Without scaling, the tall slide is cut at its page's end: the check misses the slide's end."""
    deck, nb, slides = sample_deck
    printed = pdf.print_deck(browser, deck, tmp_path / "cut.pdf", fit_tall=False)
    with pytest.raises(AssertionError, match=r"does not hold the slide's end .*cut off"):
        check_pdf(printed.pdf, slides, "99_tall", build.expected_counts(build.arrange(nb))["slides"])


# ------------------------------------------------------------------------- the lecture's PDFs

def current_pdf(source_path: Path):
    """The deck and PDF of a lecture notebook; skips (fails in CI) if either is missing or stale."""
    deck, _ = current_deck(source_path)
    handout = pdf.pdf_of(source_path)
    if not handout.is_file() or handout.stat().st_mtime < deck.stat().st_mtime:
        unavailable(f"{handout.relative_to(ROOT)} is missing or older than its deck: run `make slides`")
    return deck, handout


@pytest.mark.parametrize("source_path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_lecture_pdf(browser, source_path):
    deck, handout = current_pdf(source_path)
    source = nbformat.read(source_path, as_version=4)
    check_pdf(handout, slides_of(browser, deck), source_path.stem, build.expected_counts(build.arrange(source))["slides"])
    assert pdf.lecture_pages(handout) == build.deck_counts(source)["lecture"], \
        f"{source_path.stem}: the PDF's lecture path is not the deck's"


def test_the_lecture_pdf_joins_every_lecture_path_in_order(browser):
    if not pdf.LECTURE_PDF.is_file():
        unavailable("slides/lecture.pdf is not made: run `make slides`")
    from pypdf import PdfReader

    handouts = [pdf.pdf_of(p) for p in NOTEBOOK_PATHS]
    if IN_CI:
        assert all(h.is_file() for h in handouts), "every deck's PDF must be made in CI"
    handouts = [h for h in handouts if h.is_file()]
    if any(h.stat().st_mtime > pdf.LECTURE_PDF.stat().st_mtime for h in handouts):
        unavailable("slides/lecture.pdf is older than a deck's PDF: run `make slides`")
    joined = PdfReader(pdf.LECTURE_PDF)
    texts = [normalize(page.extract_text() or "") for page in joined.pages]
    offset = 0
    for handout in handouts:
        first = normalize(PdfReader(handout).pages[0].extract_text() or "")
        assert texts[offset] == first, f"lecture.pdf page {offset + 1} is not the title of {handout.stem}"
        offset += pdf.lecture_pages(handout)
    assert len(texts) == offset, f"lecture.pdf has {len(texts)} pages, the decks' lecture paths {offset}"
    assert [item.title for item in joined.outline] == [PdfReader(h).metadata.title for h in handouts]
