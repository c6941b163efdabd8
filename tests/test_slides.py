"""The slide build's logic, without a browser or a kernel (tests/browser/ opens the built decks)."""
import pytest

from slides_support import ROOT, SAMPLE_EXPECTED, load_build, sample_notebook, write_sample

build = load_build()


def test_expected_counts_follow_nbconvert():
    assert build.expected_counts(sample_notebook()) == SAMPLE_EXPECTED


def test_the_first_visible_cell_opens_the_first_slide_whatever_its_type():
    nb = sample_notebook()
    nb.cells[0].metadata.slideshow.slide_type = "skip"
    nb.cells[3].metadata.slideshow.slide_type = "-"  # now the first visible cell
    assert build.expected_counts(nb) == dict(slides=4, fragments=2, notes=1)


def test_title_math_and_images():
    nb = sample_notebook()
    assert build.title_of(nb, "x") == "99 · Sample deck"
    assert build.has_math(nb)
    nb.cells[3].source = nb.cells[4].source = nb.cells[5].source = "no math here"
    assert not build.has_math(nb)
    assert build.image_outputs(nb) == 0  # not executed


def test_remote_references_catch_every_way_of_loading():
    page = """
    <script src="https://unpkg.com/reveal.js@4.0.2/dist/reveal.js"></script>
    <link rel="stylesheet" href="//example.org/x.css">
    <style>@import url(https://fonts.googleapis.com/css?family=Lato); .a { background: url('http://e.org/i.png') }</style>
    <img alt="" src="https://example.org/plot.png">
    <script>require({waitSeconds: 15}, ["https://example.org/reveal.js", "assets/reveal.js/plugin/notes/notes"]);</script>
    <a href="https://arxiv.org/abs/1502.03167">a paper is only a link</a>
    <img src="data:image/png;base64,AAAA">
    """
    found = build.remote_references(page)
    assert "https://unpkg.com/reveal.js@4.0.2/dist/reveal.js" in found
    assert "//example.org/x.css" in found
    assert "https://fonts.googleapis.com/css?family=Lato" in found
    assert "http://e.org/i.png" in found
    assert "https://example.org/plot.png" in found
    assert "https://example.org/reveal.js" in found
    assert not any("arxiv" in f for f in found)
    assert build.local_references(page) == ["assets/reveal.js/plugin/notes/notes.js"]


def test_a_converted_deck_names_no_remote_asset(tmp_path):
    """nbconvert's defaults are CDNs: every one of them must be overridden (or left out by the template)."""
    import nbformat

    executed = tmp_path / "99_sample.ipynb"
    nbformat.write(sample_notebook(), executed)
    deck = tmp_path / "99_sample.slides.html"
    build.convert(executed, deck, "99 · Sample deck")
    text = deck.read_text()
    assert build.remote_references(text) == []
    assert "colab-badge" not in text  # a skipped cell
    assert 'src="assets/mathjax/MathJax.js?config=' in text
    assert '"assets/reveal.js/plugin/notes/notes.js"' in text
    assert set(build.local_references(text)) == {
        "assets/jquery.min.js", "assets/require.js", "assets/mathjax/MathJax.js",
        "assets/reveal.js/dist/reveal.css", "assets/reveal.js/dist/theme/white.css",
        "assets/reveal.js/dist/reveal.js", "assets/reveal.js/plugin/notes/notes.js"}


def test_widget_outputs_are_left_out(tmp_path):
    import nbformat
    from nbformat.v4 import new_output

    nb = sample_notebook()
    bar = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "training:   0%|          | 0/3"})
    nb.cells[8].outputs = [bar, new_output("stream", name="stdout", text="trained\n")]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    executed = tmp_path / "99_sample.ipynb"
    nbformat.write(nb, executed)
    build.convert(executed, tmp_path / "deck.html", "t")
    text = (tmp_path / "deck.html").read_text()
    assert "trained" in text and "0/3" not in text and "widget-state+json" not in text


def test_find_notebooks_by_name_or_number(tmp_path):
    a = write_sample(tmp_path, "03_lenet")
    b = write_sample(tmp_path, "04_alexnet")
    assert build.find_notebooks([], tmp_path) == [a, b]
    assert build.find_notebooks(["04"], tmp_path) == [b.resolve()]
    assert build.find_notebooks(["03_lenet", str(b)], tmp_path) == [a.resolve(), b.resolve()]
    with pytest.raises(SystemExit):
        build.find_notebooks(["05"], tmp_path)


def test_index_lists_decks_in_lecture_order(tmp_path):
    a = write_sample(tmp_path, "04_alexnet")
    b = write_sample(tmp_path, "03_lenet")
    (tmp_path / "03_lenet.slides.html").write_text("<html></html>")
    index = build.write_index(tmp_path, sorted([a, b]), "smoke")
    text = index.read_text()
    assert text.index("03_lenet.slides.html") < text.index("NOTEBOOKS=04_alexnet")
    assert "smoke" in text and build.remote_references(text) == []


@pytest.mark.skipif(not (ROOT / "slides" / "node_modules" / ".package-lock.json").is_file(),
                    reason="slides/node_modules is not installed (make slides installs it)")
def test_assets_hold_what_decks_load(tmp_path):
    assets = build.install_assets(tmp_path)
    for ref in ["jquery.min.js", "require.js", "mathjax/MathJax.js", "mathjax/config/TeX-AMS_CHTML-full.js",
                "mathjax/fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff", "reveal.js/dist/reveal.js",
                "reveal.js/dist/theme/white.css", "reveal.js/plugin/notes/notes.js"]:
        assert (assets / ref).is_file(), ref
    assert not (assets / "mathjax" / "unpacked").exists()
    assert not (assets / "mathjax" / "fonts" / "HTML-CSS" / "STIX-Web").exists()
