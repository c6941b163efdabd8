"""The slide build's logic, without a browser or a kernel (tests/browser/ opens the built decks)."""
import pytest

from slides_support import (ROOT, SAMPLE_ARCHITECTURE, SAMPLE_COUNTS, SAMPLE_DEEP_DIVE, SAMPLE_EXPECTED,
                            has_math, image_cells, image_outputs, load_build, sample_notebook,
                            write_sample)

build = load_build()


def test_expected_counts_follow_nbconvert():
    assert build.expected_counts(build.arrange(sample_notebook())) == SAMPLE_EXPECTED


def test_the_first_visible_cell_opens_the_first_slide_whatever_its_type():
    nb = sample_notebook()
    nb.cells[0].metadata.slideshow.slide_type = "skip"
    nb.cells[3].metadata.slideshow.slide_type = "-"  # now the first visible cell
    # batch norm (now the first), sine, deep dive, picture, summary, exercises: in notebook order
    assert build.expected_counts(nb) == dict(slides=6, fragments=2, notes=1)


def test_notes_before_the_first_visible_cell_go_on_the_first_slide():
    nb = sample_notebook()
    nb.cells[0].metadata.slideshow.slide_type = "notes"  # the title, now notes before a `slide` cell
    nb.cells[1].metadata.slideshow.slide_type = "slide"
    before = build.expected_counts(sample_notebook())
    first = build.slides_of(nb)[0]
    assert first[:2] == [0, 1], "the notes and the first visible cell share a slide"
    assert build.expected_counts(nb) == dict(before, notes=before["notes"] + 1)


def _sources(nb):
    return [c.source.splitlines()[0] if c.source else "" for c in nb.cells]


def test_deep_dives_move_to_an_appendix_after_the_exercises():
    nb = sample_notebook()
    arranged = build.arrange(nb)
    heads = _sources(arranged)
    deep = heads.index(f"## {SAMPLE_DEEP_DIVE}")
    title = heads.index(f"# {build.APPENDIX_TITLE}")
    assert heads.index("## Exercises") < title < deep
    # The deep dive moved with every cell of its slide, in order, as a subslide under the title.
    assert heads[deep + 1] == "print(len(x), 'samples')" and len(arranged.cells) == len(nb.cells) + 1
    assert build.slide_type(arranged.cells[deep]) == "subslide"
    assert build.slide_type(arranged.cells[title]) == "slide" and SAMPLE_DEEP_DIVE in arranged.cells[title].source
    # The lecture path keeps everything else in the notebook's order; the notebook is not changed.
    lecture = [h for h in heads[:title]]
    assert lecture == [h for h in _sources(nb) if h not in (f"## {SAMPLE_DEEP_DIVE}", "print(len(x), 'samples')")]
    assert build.slide_type(nb.cells[heads.index(f"## {SAMPLE_DEEP_DIVE}")]) == "subslide"
    assert build.deck_counts(nb) == SAMPLE_COUNTS


def test_a_deck_without_deep_dives_has_no_appendix():
    nb = sample_notebook()
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    arranged = build.arrange(nb)
    assert _sources(arranged) == _sources(nb)
    assert build.deck_counts(nb) == dict(lecture=SAMPLE_COUNTS["lecture"] + 1, appendix=0)


def test_a_deep_dive_slide_can_be_a_horizontal_slide_with_fragments_and_notes():
    from nbformat.v4 import new_markdown_cell

    nb = sample_notebook()
    bn = 3  # the batch-norm slide: math, two fragments and a note
    nb.cells[bn].metadata["tags"] = ["deep-dive"]
    arranged = build.arrange(nb)
    assert build.expected_counts(arranged) == dict(slides=SAMPLE_EXPECTED["slides"], fragments=2, notes=1)
    assert build.deck_counts(nb) == dict(lecture=SAMPLE_COUNTS["lecture"] - 1, appendix=2)
    heads = _sources(arranged)
    assert heads.index("# " + build.APPENDIX_TITLE) < heads.index("## Batch normalization") \
        < heads.index("- it normalizes each channel over the minibatch")
    # Tagging every cell of a deep-dive slide is fine; a tag on a cell of a lecture slide is not.
    for cell in nb.cells[bn:bn + 4]:
        cell.metadata["tags"] = ["deep-dive"]
    build.check_tags(nb)
    nb.cells[bn].metadata["tags"] = []
    with pytest.raises(SystemExit, match=r"cell 4 .*tag that slide's first cell"):
        build.check_tags(nb, "99_sample.ipynb")
    nb.cells[bn + 1].metadata["tags"] = nb.cells[bn + 2].metadata["tags"] = []
    nb.cells[0].metadata["tags"] = ["deep-dive"]
    with pytest.raises(SystemExit, match="title slide"):
        build.check_tags(nb)
    nb.cells.insert(1, new_markdown_cell("x", metadata={"slideshow": {"slide_type": "skip"}, "tags": ["deep-dive"]}))
    nb.cells[0].metadata["tags"] = []
    build.check_tags(nb)  # a skipped cell shows nowhere: its tag moves nothing and harms nothing


def test_count_table_reports_lecture_path_and_appendix(tmp_path):
    a = write_sample(tmp_path, "03_lenet")
    b = write_sample(tmp_path, "04_alexnet")
    table = build.count_table([a, b]).splitlines()
    assert table[0].split() == ["deck", "lecture", "appendix"]
    assert table[2].split() == ["03_lenet", str(SAMPLE_COUNTS["lecture"]), str(SAMPLE_COUNTS["appendix"])]
    assert table[-1].split() == ["total", str(2 * SAMPLE_COUNTS["lecture"]), str(2 * SAMPLE_COUNTS["appendix"])]


def test_hide_input_shows_the_output_only(tmp_path):
    import nbformat
    from nbformat.v4 import new_output

    nb = sample_notebook()
    [picture] = [c for c in nb.cells if "hide-input" in c.metadata.get("tags", [])]
    picture.outputs = [new_output("stream", name="stdout", text="the picture's caption\n")]
    executed = tmp_path / "99_sample.ipynb"
    nbformat.write(nb, executed)
    build.convert(executed, tmp_path / "deck.html", "t")
    text = (tmp_path / "deck.html").read_text()
    assert "the picture&#39;s caption" in text or "the picture's caption" in text
    assert "plot_architecture" not in text  # the code of the hidden cell
    assert "linspace" in text  # other code stays
    assert text.index("Exercises") < text.index(build.APPENDIX_TITLE) < text.index(SAMPLE_DEEP_DIVE + "<")
    assert nbformat.read(executed, as_version=4).cells[12].source.endswith(SAMPLE_ARCHITECTURE)


def test_image_cells_flags_architecture_pictures():
    from nbformat.v4 import new_output

    nb = sample_notebook()
    png = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    for cell in nb.cells:
        if cell.cell_type == "code" and ("plt.plot" in cell.source or "plot_architecture" in cell.source):
            cell.outputs = [new_output("display_data", data=png)]
    assert image_cells(build.arrange(nb)) == [False, True]
    assert image_outputs(nb) == 2


def test_title_math_and_images():
    nb = sample_notebook()
    assert build.title_of(nb, "x") == "99 · Sample deck"
    assert has_math(nb)
    nb.cells[3].source = nb.cells[4].source = nb.cells[5].source = "no math here"
    nb.cells[10].source = "## Under the hood"
    assert not has_math(nb)
    assert image_outputs(nb) == 0  # not executed


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


def test_the_appendix_lists_its_slides_without_cutting_formulas():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    nb = sample_notebook()
    slide = {"slideshow": {"slide_type": "subslide"}, "tags": ["deep-dive"]}
    nb.cells += [new_markdown_cell("The output has $c_0 + n k$ channels, as **counted** in the long sentence "
                                   "that goes on and on well past seventy characters.", metadata=slide),
                 new_code_cell("x = 1\nprint(x)", metadata=slide)]
    [title] = [c for c in build.arrange(nb).cells if build.APPENDIX_TAG in c.metadata.get("tags", [])]
    items = [line for line in title.source.splitlines() if line.startswith("- ")]
    assert items == [f"- {SAMPLE_DEEP_DIVE}",
                     "- The output has … channels, as counted in the long sentence that goes …",
                     "- code: `x = 1`"]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_lecture_notebooks_tag_whole_slides(path):
    """Every deep-dive tag moves a whole slide (the build would stop on one that moves nothing)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    build.check_tags(nb, path.name)
    counts = build.deck_counts(nb)
    assert counts["lecture"] >= 1 and counts["lecture"] + counts["appendix"] == build.expected_counts(nb)["slides"]


def test_the_build_refuses_misplaced_tags_before_running_anything(tmp_path):
    import nbformat

    good = write_sample(tmp_path, "03_lenet")
    nb = sample_notebook()
    nb.cells[4].metadata["tags"] = ["deep-dive"]  # a fragment of the batch-norm slide
    bad = tmp_path / "04_alexnet.ipynb"
    nbformat.write(nb, bad)
    with pytest.raises(SystemExit, match=r"04_alexnet.ipynb: cell 4 .*deep-dive"):
        build.build([good, bad], tmp_path / "out", tmp_path / "build")
    assert not (tmp_path / "build").exists(), "no notebook may run before the tags are checked"
