"""Every built deck, opened from disk in headless Chromium with the network blocked.

For each deck: it loads without console errors or failed requests (and asks the network for
nothing); it has as many slides, fragments and speaker notes as its notebook's slideshow metadata
implies (deep dives moved to the appendix); math is typeset by the local MathJax (required on the
batch-norm deck); every plot is loaded and visible on its slide, and every architecture picture
wholly inside a 1280×720 screen; the appendix comes after the exercises exactly where the notebook
tags deep dives; no code of a hide-input cell shows; the speaker view opens and shows the notes; no
slide of the lecture path is taller than the deck (one in the appendix may be: it scrolls inside the
deck, so that its end can be shown, and is listed as a warning). Screenshots of each
deck's title slide (and its first math and plot slides) go to slides/screenshots/.

Run after `make slides` (make test does both). A deck that is missing or older than its notebook
fails in CI and skips elsewhere; test_sample_deck builds a small notebook of its own, so the whole
pipeline is checked even before the lecture's notebooks exist.
"""
import re
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from slides_support import (IN_CI, ROOT, SAMPLE_ARCHITECTURE, SAMPLE_COUNTS, SAMPLE_EXPECTED, SAMPLE_NOTES,
                            current_deck, has_math, image_cells, image_outputs, load_build, unavailable,
                            write_sample)

build = load_build()
SLIDES = ROOT / "slides"
SCREENSHOTS = SLIDES / "screenshots"
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# A 720p projector or laptop screen; reveal.js scales the 1280×800 deck to fit it.
VIEWPORT = {"width": 1280, "height": 720}
REVEAL_MODULE = f"{build.REVEAL_PREFIX}/dist/reveal.js"
VISIBLE = "section img:not(aside.notes img)"
MATH = 'script[type^="math/tex"]'


class Deck:
    """One deck in its own offline browser context, collecting everything that goes wrong."""

    def __init__(self, browser, path: Path):
        self.path = path
        self.problems = []
        self.context = browser.new_context(offline=True, viewport=VIEWPORT)
        self.context.route("**/*", self._route)
        self.context.on("page", self._watch)
        self.page = self.context.new_page()

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.problems.append(f"network request: {url}")
            route.abort()

    def _watch(self, page):
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text} at {m.location.get('url', '')}:{m.location.get('lineNumber', '')}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed request: {r.url} ({r.failure})"))

    def open(self):
        self.page.goto(self.path.as_uri())
        try:
            self.page.wait_for_function("window.require && window.MathJax && window.MathJax.Hub", timeout=20_000)
            self.page.evaluate("""module => new Promise((resolve, reject) => require([module], R => {
                window.__R = R;
                const ready = () => R.isReady() ? MathJax.Hub.Queue(resolve) : setTimeout(ready, 50);
                ready();
            }, reject))""", REVEAL_MODULE)
        except Exception as error:
            pytest.fail(f"{self.path.name} did not load ({error}); problems: {self.problems}", pytrace=False)
        # The deck typesets a slide's formulas again each time it shows the slide: count when done.
        self.js("""() => { window.__rerendered = 0;
            MathJax.Hub.Register.MessageHook('End Rerender', () => { window.__rerendered += 1; }); }""")
        # Fragments and slides appear at once (no animation), so a check sees the final state.
        self.page.evaluate("() => __R.configure({transition: 'none', backgroundTransition: 'none'})")
        self.page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
        return self

    def js(self, script, arg=None):
        return self.page.evaluate(script, arg)

    def show(self, selector, index=0, all_fragments=True):
        """Go to the slide holding the index-th match of selector, with its fragments shown."""
        moved = self.js("""([selector, index, all]) => {
            const el = document.querySelectorAll(selector)[index];
            const {h, v} = __R.getIndices(el.closest('section'));
            const now = __R.getIndices(), moved = now.h !== h || (now.v || 0) !== (v || 0);
            window.__rerenderedBefore = window.__rerendered;
            __R.slide(h, v);
            const fragment = el.closest('.fragment');
            const f = fragment ? +fragment.getAttribute('data-fragment-index') : -1;
            __R.slide(h, v, all ? 1e6 : f);
            return moved;
        }""", [selector, index, all_fragments])
        # On a new slide the deck typesets its formulas again (one typeset while its slide was hidden
        # has no size), and for a moment they are gone: wait until that is done and all are back.
        try:
            self.page.wait_for_function("""moved => (!moved || window.__rerendered > window.__rerenderedBefore)
                && [...__R.getCurrentSlide().querySelectorAll('.MathJax_CHTML')]
                   .filter(m => !m.closest('aside.notes')).every(m => m.getBoundingClientRect().width > 0)""",
                arg=moved, timeout=10_000, polling=20)
        except Exception:
            pytest.fail(f"{self.path.name}: the formulas on slide {self.js('() => __R.getIndices()')} "
                        "did not appear (MathJax)", pytrace=False)
        self.page.wait_for_timeout(50)

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name))

    def close(self):
        self.context.close()


def check_deck(browser, deck_path: Path, source, executed, name: str, math_required=False):
    arranged = build.arrange(source)
    expected = build.expected_counts(arranged)
    deck = Deck(browser, deck_path).open()
    try:
        assert deck.problems == [], f"{name}: " + "\n".join(deck.problems)
        counts = deck.js("""() => ({
            slides: __R.getTotalSlides(),
            fragments: document.querySelectorAll('.reveal .slides .fragment').length,
            notes: document.querySelectorAll('.reveal .slides aside.notes').length})""")
        assert counts == expected, f"{name}: the deck has {counts}, its notebook's metadata implies {expected}"

        deck.js("() => __R.slide(0, 0, -1)")
        deck.screenshot(f"{name}.png")

        # Math: every TeX snippet typeset by MathJax (CommonHTML output), none with an error.
        if math_required:
            assert has_math(source), f"{name}: the notebook should hold formulas, but none were found"
        if has_math(source):
            math = deck.js(r"""selector => {
                const jax = [...document.querySelectorAll(selector)];
                const text = [...document.querySelectorAll('.reveal .slides .jp-RenderedMarkdown')]
                             .map(m => m.innerText);
                return {jax: jax.length,
                        typeset: jax.filter(s => { const j = MathJax.Hub.getJaxFor(s);
                                     return j && j.outputJax === 'CommonHTML' && document.getElementById(s.id + '-Frame'); }).length,
                        rendered: document.querySelectorAll('.mjx-chtml').length,
                        leftover: text.filter(t => /\$\$|\\\(|\\\[|\\begin\{/.test(t)),
                        errors: document.querySelectorAll('.mjx-merror, .MathJax_Error').length
                                + (document.body.innerText.includes('Math Processing Error') ? 1 : 0)};
            }""", MATH)
            assert math["jax"] > 0 and math["typeset"] == math["jax"] and math["rendered"] > 0 and not math["leftover"], \
                f"{name}: MathJax did not typeset the formulas: {math}"
            assert math["errors"] == 0, f"{name}: MathJax reported errors: {math}"
            deck.show(MATH)
            box = deck.js(f"""() => {{
                const r = document.getElementById(document.querySelector('{MATH}').id + '-Frame').getBoundingClientRect();
                return [r.width, r.height, r.top, r.left];
            }}""")
            assert box[0] > 0 and box[1] > 0 and 0 <= box[2] < VIEWPORT["height"] and 0 <= box[3] < VIEWPORT["width"], \
                f"{name}: the first formula is not visible on its slide: {box}"
            deck.screenshot(f"{name}-math.png")

        # Plots: as many images as the executed notebook's visible outputs, each loaded and on screen;
        # an architecture picture (plot_architecture) wholly on screen, for it is read box by box.
        images = deck.js(f"() => document.querySelectorAll('{VISIBLE}').length")
        assert images == image_outputs(executed), \
            f"{name}: {images} images in the deck, {image_outputs(executed)} image outputs in the notebook"
        architecture = image_cells(build.arrange(executed))
        for i in range(images):
            deck.show(VISIBLE, i)
            seen = deck.js(f"""i => {{
                const img = document.querySelectorAll('{VISIBLE}')[i];
                const r = img.getBoundingClientRect();
                const w = Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
                const h = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
                return {{loaded: img.complete && img.naturalWidth > 0,
                         shown: img.checkVisibility({{opacityProperty: true, visibilityProperty: true}}),
                         onScreen: r.width * r.height > 0 ? (w * h) / (r.width * r.height) : 0,
                         size: [Math.round(r.width), Math.round(r.height)]}};
            }}""", i)
            assert seen["loaded"] and seen["shown"] and seen["onScreen"] >= 0.5 and min(seen["size"]) >= 32, \
                f"{name}: image {i + 1} of {images} is not visible on its slide: {seen}"
            if architecture[i]:
                assert seen["onScreen"] >= 0.999, \
                    f"{name}: architecture picture {i + 1} of {images} is not wholly inside the " \
                    f"{VIEWPORT['width']}×{VIEWPORT['height']} screen: {seen}"
                deck.screenshot(f"{name}-architecture-{i + 1}.png")
            if i == 0:
                deck.screenshot(f"{name}-plot.png")

        check_appendix(deck, source, name)
        # hide-input: the picture shows, the code that drew it does not.
        code = deck.js("() => [...document.querySelectorAll('.reveal .slides .jp-InputArea')].map(e => e.innerText)")
        code = {" ".join(c.split()) for c in code}
        for cell in source.cells:
            if cell.cell_type == "code" and build.HIDE_INPUT in build.tags_of(cell) and cell.source.strip():
                assert " ".join(cell.source.split()) not in code, \
                    f"{name}: the code of a hide-input cell shows: {cell.source.splitlines()[0]!r}"

        # Speaker notes: the speaker view (key S) opens and shows the first note. A note that follows
        # a fragment belongs to it: reveal.js shows it while that fragment is the current one.
        if expected["notes"]:
            note = deck.js("() => document.querySelector('.reveal .slides aside.notes').textContent.trim()")
            words = " ".join(note.split()[:6])
            with deck.page.expect_popup(timeout=10_000) as popup:
                deck.page.keyboard.press("s")
            speaker = popup.value
            # The speaker view loads the deck twice (current and upcoming slide) before it answers the
            # deck's handshake; from then on every move in the deck updates its notes.
            shown, deadline = "", time.monotonic() + 45
            while words not in shown and time.monotonic() < deadline:
                deck.js("() => __R.slide(0, 0)")
                deck.show("aside.notes", 0, all_fragments=False)
                speaker.wait_for_timeout(700)
                shown = " ".join(speaker.evaluate(
                    "() => (document.querySelector('.speaker-controls-notes .value') || {}).textContent || ''").split())
            assert words in shown, f"{name}: the speaker view does not show the notes {words!r} (it shows {shown!r})"
            deck.js("() => __R.slide(0, 0)")
            speaker.close()

        # Slides taller than the deck: none on the lecture path, which is presented (tests/test_notebooks.py
        # bounds the source, this the rendered height); an appendix slide may be taller, for study after
        # class: it is listed, and it must scroll inside the deck (the template's CSS) so its end can be shown.
        tall = deck.js("""title => {
            const height = __R.getConfig().height, tall = [], cut = [];
            const head = [...document.querySelectorAll('.reveal .slides section h1')]
                         .find(h => h.textContent.trim().startsWith(title));
            const appendix = head ? __R.getIndices(head.closest('section')).h : -1;
            __R.getSlides().forEach(s => {
                const {h, v} = __R.getIndices(s), where = `${h + 1}.${(v || 0) + 1}`;
                __R.slide(h, v, 1e6);
                if (s.scrollHeight <= height) return;
                const what = (s.querySelector('h1, h2, h3') || {}).textContent || (s.innerText || '').trim().split('\\n')[0];
                tall.push({where, height: s.scrollHeight, appendix: h === appendix,
                           what: what.replace(/\\u00b6/g, '').trim().slice(0, 60)});
                s.scrollTop = s.scrollHeight;
                const box = s.getBoundingClientRect();
                const shown = [...s.querySelectorAll('*')].filter(e => !e.closest('aside.notes')
                    && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().height > 0);
                const end = Math.max(...shown.map(e => e.getBoundingClientRect().bottom));
                if (!['auto', 'scroll'].includes(getComputedStyle(s).overflowY) || s.clientHeight > height
                    || box.bottom > window.innerHeight + 1 || end > box.bottom + 1)
                    cut.push(`${where} (its end at ${Math.round(end)}px, the slide's at ${Math.round(box.bottom)}px, `
                             + `the screen's at ${window.innerHeight}px)`);
                s.scrollTop = 0;
            });
            __R.slide(0, 0);
            return {height, tall, cut};
        }""", build.APPENDIX_TITLE)
        assert not tall["cut"], f"{name}: slides whose end cannot be shown: {', '.join(tall['cut'])}"
        listed = lambda slides: ", ".join(f"{t['where']} {t['what']!r}: {t['height']}px" for t in slides)
        lecture = [t for t in tall["tall"] if not t["appendix"]]
        assert not lecture, (
            f"{name}: lecture-path slides taller than the deck's {tall['height']}px: {listed(lecture)}. Split such a "
            "slide, shorten it, hide the code of a picture (hide-input), or move a long check to the appendix (deep-dive)")
        if tall["tall"]:
            warnings.warn(f"{name}: appendix slides taller than the deck's {tall['height']}px "
                          f"(they scroll): {listed(tall['tall'])}")
        assert deck.problems == [], f"{name}: " + "\n".join(deck.problems)
    finally:
        deck.close()


def check_appendix(deck, source, name: str) -> None:
    """Deep dives sit behind the appendix's title slide, the deck's last horizontal slide, after the
    exercises; a notebook without deep dives has no appendix."""
    counts = build.deck_counts(source)
    found = deck.js("""title => {
        const heads = [...document.querySelectorAll('.reveal .slides section h1, .reveal .slides section h2')];
        const at = h => __R.getIndices(h.closest('section'));
        const appendix = heads.find(h => h.textContent.trim().startsWith(title));
        const exercises = heads.filter(h => /exercises/i.test(h.textContent));
        if (!appendix) return null;
        const {h, v} = at(appendix);
        return {h, v: v || 0, last: __R.getHorizontalSlides().length - 1,
                below: __R.getHorizontalSlides()[h].querySelectorAll(':scope > section').length,
                exercises: exercises.map(e => at(e).h)};
    }""", build.APPENDIX_TITLE)
    if counts["appendix"] == 0:
        assert found is None, f"{name}: an appendix, but the notebook tags no deep dive"
        return
    assert found is not None, f"{name}: {counts['appendix']} deep dive(s) tagged, but the deck has no appendix"
    assert found["h"] == found["last"] and found["v"] == 0, f"{name}: the appendix is not the deck's last slide: {found}"
    assert found["exercises"] and max(found["exercises"]) < found["h"], f"{name}: the appendix is not after the exercises: {found}"
    assert found["below"] == 1 + counts["appendix"], \
        f"{name}: {found['below'] - 1} deep dives in the appendix, {counts['appendix']} tagged in the notebook"
    deck.js("h => __R.slide(h, 0)", found["h"])
    deck.screenshot(f"{name}-appendix.png")


def test_sample_deck(browser, tmp_path):
    """The whole pipeline on a small notebook: execute, convert, install assets, open offline."""
    source_path = write_sample(tmp_path / "notebooks")
    out = tmp_path / "slides"
    [deck_path] = build.build([source_path], out, tmp_path / "build", timeout=120)
    source = nbformat.read(source_path, as_version=4)
    executed = nbformat.read(tmp_path / "build" / source_path.name, as_version=4)
    assert build.expected_counts(build.arrange(source)) == SAMPLE_EXPECTED
    assert build.deck_counts(source) == SAMPLE_COUNTS
    assert image_cells(build.arrange(executed)) == [False, True]  # the sine, LeNet's picture
    text = deck_path.read_text()
    assert SAMPLE_NOTES in text and SAMPLE_ARCHITECTURE not in text
    check_deck(browser, deck_path, source, executed, "_sample", math_required=True)


@pytest.mark.parametrize("source_path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_lecture_deck(browser, source_path):
    deck, executed = current_deck(source_path)
    source = nbformat.read(source_path, as_version=4)
    check_deck(browser, deck, source, executed, source_path.stem,
               math_required=bool(re.search(r"batch.?norm", source_path.stem)))


def test_index_links_every_deck_in_lecture_order(browser):
    index = SLIDES / "index.html"
    if not index.is_file():
        unavailable("slides/index.html is not built: run `make slides`")
    deck = Deck(browser, index)
    try:
        deck.page.goto(index.as_uri())
        links = deck.js("() => [...document.querySelectorAll('ol a')].map(a => [a.getAttribute('href'), a.textContent])")
        expected = [[f"{p.stem}{build.DECK_SUFFIX}", build.title_of(nbformat.read(p, as_version=4), p.stem)]
                    for p in NOTEBOOK_PATHS]
        if IN_CI:
            assert links == expected
        else:  # a partial build (make slides NOTEBOOKS=...) links what it built, in order
            assert links == [e for e in expected if (SLIDES / e[0]).is_file()]
        for href, _ in links:
            assert (SLIDES / href).is_file(), href
        deck.screenshot("index.png")
        assert deck.problems == [], "\n".join(deck.problems)
    finally:
        deck.close()
