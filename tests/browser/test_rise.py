"""RISE shows a presentation copy (make lecture) with the static deck's slides, in its order.

tests/test_lecture_copy.py compares the copy's slideshow metadata with the static deck's, cell for
cell, on the assumption that RISE turns metadata into slides as nbconvert does. This checks it where
an instructor sees it: a Jupyter server started here serves the copy in RISE (jupyterlab-rise's own
page), Chromium walks it slide by slide with the space bar, as a presenter does, and walks the deck
that `make slides` built the same way; both must have the same number of slides and, slide for
slide, the same first line of text. Two decks: 03 (the first with a training run and a deep dive
whose output the appendix shows) and 09 (the most subslides, fragments and formulas).
"""
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from slides_support import ROOT, current_deck, load_script

lecture = load_script("slides_lecture", ROOT / "slides" / "lecture.py")

TOKEN = "course-rise-test"
# The slide on screen: the present vertical slide in the present horizontal one, and its text.
PRESENT = """() => {
    const stacks = [...document.querySelectorAll('.reveal .slides > section')];
    const h = stacks.findIndex(s => s.classList.contains('present'));
    if (h < 0) return null;
    const slides = [...stacks[h].querySelectorAll(':scope > section')];
    const v = slides.findIndex(s => s.classList.contains('present'));
    return [h, v, (v >= 0 ? slides[v] : stacks[h]).innerText];
}"""
PROMPT = re.compile(r"^\[[ 0-9*]*\]:$")  # a code cell's prompt, which RISE shows and the deck does not


def first_line(text: str) -> str:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line and not PROMPT.match(line):
            return line[:60]
    return ""


def walk(page, url: str) -> list[str]:
    """Each slide's first line, in the order the space bar shows them (fragments step within a slide)."""
    page.goto(url)
    page.wait_for_selector(".reveal .slides > section.present", timeout=120_000)
    time.sleep(2)  # RISE renders the cells' markdown after the slides exist
    seen: dict[tuple[int, int], str] = {}
    still = 0
    while still < 8:  # the last slide: the space bar no longer moves
        h, v, text = page.evaluate(PRESENT)
        if (h, v) in seen:
            still += 1
        else:
            seen[(h, v)], still = first_line(text), 0
        page.keyboard.press("Space")
        time.sleep(0.2)
    return list(seen.values())


@pytest.fixture(scope="module")
def rise_server(tmp_path_factory):
    """A Jupyter server with RISE, serving a folder of presentation copies; yields (url, folder)."""
    folder = tmp_path_factory.mktemp("rise")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / ".jupyter-config"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={folder}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if server.poll() is not None:
                pytest.fail(f"the Jupyter server ended: {server.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Jupyter server did not answer within two minutes")
        yield url, folder
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.mark.parametrize("name", ["03_lenet", "09_resnet"])
def test_rise_shows_the_static_decks_slides(browser, rise_server, name):
    url, folder = rise_server
    source = ROOT / "notebooks" / f"{name}.ipynb"
    deck, _ = current_deck(source)
    [copy] = lecture.write_copies([source], folder / "lecture")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        in_rise = walk(page, f"{url}/rise/lecture/{copy.name}?token={TOKEN}")
        in_deck = walk(page, deck.as_uri())
    finally:
        page.close()
    assert len(in_rise) == len(in_deck), (
        f"{name}: RISE shows {len(in_rise)} slides, the static deck {len(in_deck)}")
    # A formula typeset by MathJax in one and not (yet) in the other ends a line early: compare the
    # shorter as the start of the longer. A code slide whose output is empty in RISE (the copy has
    # not run) has no text there.
    pairs = [(i, r, d) for i, (r, d) in enumerate(zip(in_rise, in_deck), 1) if r and d]
    differ = [p for p in pairs if not (p[1].startswith(p[2]) or p[2].startswith(p[1]))]
    assert not differ, f"{name}: slides whose first lines differ (slide, RISE, deck): {differ}"
    assert len(pairs) >= 0.8 * len(in_deck), f"{name}: too few slides with text to compare: {len(pairs)}"
