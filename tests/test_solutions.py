"""The answer key (notebooks/solutions/) answers every exercise of every lecture notebook.

- every lecture notebook with exercises has notebooks/solutions/<name>-solutions.ipynb;
- every numbered exercise N of the lecture has a markdown cell in the key that starts with
  `### Exercise N` and quotes the exercise (`> ` lines) word for word, so changing an exercise
  in a lecture fails here until its answer is changed too; the key answers nothing else;
- the keys follow the lecture notebooks' conventions (no outputs, title, Colab badge, setup
  cell, one settings call, slideshow metadata) and link back to their lecture notebook;
- each lecture's exercises cell points to its key.
- a key's settings agree with its lecture's, read by course_utils' one settings reader
  (course_utils/notebook_settings.py), which gives what each notebook's settings cell gives.
nbval executes the keys under `make test` like the lecture notebooks (pytest ... notebooks).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course_utils.notebook_settings import read_settings

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}

lectures = sorted(NOTEBOOKS.glob("*.ipynb"))
keys = sorted(SOLUTIONS.glob("*.ipynb"))


def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def normalized(text: str) -> str:
    return " ".join(text.split())


def exercises_cell(nb: nbformat.NotebookNode) -> str | None:
    cells = [c.source for c in nb.cells
             if c.cell_type == "markdown" and c.source.lstrip().startswith("## Exercises")]
    return cells[-1] if cells else None


def lecture_exercises(source: str) -> dict[int, str]:
    """{N: text} of the numbered items '1. ...' of an exercises cell; an item runs over its indented
    continuation lines and ends at a blank or unindented line (the pointer to the key, say)."""
    items, current = {}, None
    for line in source.splitlines():
        item = re.match(r"^\s*(\d+)\.\s+(.*)$", line)
        if item:
            current = int(item.group(1))
            items[current] = [item.group(2)]
        elif current is not None and line.strip() and line.startswith(" "):
            items[current].append(line)
        else:
            current = None
    return {n: normalized(" ".join(lines)) for n, lines in items.items()}


def key_answers(nb: nbformat.NotebookNode) -> dict[int, str]:
    """{N: quoted exercise text} of the key's '### Exercise N' cells (the '> ' lines after the heading)."""
    answers = {}
    for cell in nb.cells:
        heading = re.match(r"\s*### Exercise (\d+)\s*\n", cell.source + "\n")
        if cell.cell_type != "markdown" or not heading:
            continue
        n = int(heading.group(1))
        assert n not in answers, f"two cells answer exercise {n}"
        quoted = [line[1:] for line in cell.source.splitlines() if line.startswith(">")]
        answers[n] = normalized(" ".join(quoted))
    return answers


def key_for(lecture: Path) -> Path:
    return SOLUTIONS / f"{lecture.stem}-solutions.ipynb"


@pytest.mark.parametrize("lecture", lectures, ids=lambda p: p.stem)
def test_every_exercise_has_an_answer(lecture):
    exercises = lecture_exercises(exercises_cell(load(lecture)) or "")
    if not exercises:
        pytest.skip(f"{lecture.name} has no exercises")
    key = key_for(lecture)
    assert key.is_file(), (f"{lecture.name} has exercises but no answer key: write "
                           f"notebooks/solutions/{key.name} (see CONTRIBUTING.md)")
    answers = key_answers(load(key))
    for n, text in exercises.items():
        assert n in answers, (f"exercise {n} of {lecture.name} has no answer in solutions/{key.name}: "
                              f"add a markdown cell starting '### Exercise {n}' that quotes it")
        assert answers[n] == text, (
            f"solutions/{key.name} quotes exercise {n} differently from {lecture.name}; the exercise "
            f"changed, so check its answer and quote the new text.\n lecture: {text}\n key:     {answers[n]}")
    extra = sorted(set(answers) - set(exercises))
    assert not extra, f"solutions/{key.name} answers exercises {extra} that {lecture.name} does not have"


@pytest.mark.parametrize("lecture", lectures, ids=lambda p: p.stem)
def test_the_exercises_point_to_the_key(lecture):
    source = exercises_cell(load(lecture))
    if not source or not lecture_exercises(source):
        pytest.skip(f"{lecture.name} has no exercises")
    link = f"(solutions/{key_for(lecture).name})"
    assert link in source, f"the exercises cell of {lecture.name} should link to its key: [...]{link}"


def test_every_key_belongs_to_a_lecture():
    stems = {p.stem for p in lectures}
    for key in keys:
        assert key.stem.endswith("-solutions") and key.stem[:-len("-solutions")] in stems, (
            f"solutions/{key.name} matches no lecture notebook (name it <lecture>-solutions.ipynb)")


@pytest.mark.parametrize("key", keys, ids=lambda p: p.stem)
def test_key_conventions(key):
    cells = load(key).cells
    lecture = key.stem[:-len("-solutions")]
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "first cell: a title"
    assert cells[0].source.splitlines()[0].endswith(": solutions"), "title: '# NN · Name: solutions'"
    assert f"](../{lecture}.ipynb)" in cells[0].source, "the title cell links to its lecture notebook"
    text = "\n".join(c.source for c in cells)
    assert f"colab.research.google.com/github/" in text and f"notebooks/solutions/{key.name}" in text, "Colab badge"
    code = [c.source for c in cells if c.cell_type == "code"]
    assert 'find_spec("course_utils")' in code[0] and 'sys.path.insert(0, "../..")' in code[0], (
        "the first code cell is the setup cell, with the path two folders up")
    assert sum(len(re.findall(r"\bsettings\(", src)) for src in code) == 1, "settings are read exactly once"
    for i, cell in enumerate(cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} has outputs: clear them"
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        assert kind in SLIDE_TYPES, f"cell {i} has no valid slideshow slide_type ({kind!r})"


@pytest.mark.parametrize("key", keys, ids=lambda p: p.stem)
def test_key_settings_match_the_lecture(key):
    """A key reuses its lecture's trained models only with the same settings: a setting both name
    must have the same value under every profile (change the key's settings with the lecture's)."""
    lecture = NOTEBOOKS / f"{key.stem[:-len('-solutions')]}.ipynb"
    ours, theirs = read_settings(key), read_settings(lecture)
    for profile, values in theirs.items():
        for name, value in values.items():
            if name in ours.get(profile, {}):
                assert ours[profile][name] == value, (
                    f"{key.name}: {name}={ours[profile][name]!r} under {profile}, the lecture has {value!r}")


# --------------------------------------------------------------------------------------
# The settings reader (course_utils/notebook_settings.py) that the test above, 11_comparison,
# tests/test_floors.py and benchmarks/bench4_notebooks.py share
# --------------------------------------------------------------------------------------

def settings_cell(path: Path) -> str:
    return next(c.source for c in load(path).cells if c.cell_type == "code" and re.search(r"\bsettings\(", c.source))


@pytest.mark.parametrize("notebook", lectures + keys, ids=lambda p: p.stem)
def test_the_reader_gives_what_the_settings_cell_gives(notebook, monkeypatch):
    """Read without running, a notebook's settings are what its own settings cell makes of them."""
    import contextlib
    import io

    import course_utils as cu
    from course_utils.notebook_settings import notebook_settings

    for profile in ("full", "laptop", "smoke"):
        monkeypatch.setenv("COURSE_PROFILE", profile)
        scope = {"cu": cu}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(settings_cell(notebook), scope)
        assert notebook_settings(notebook) == scope["cfg"], f"{notebook.name} under {profile}"
        monkeypatch.delenv("COURSE_PROFILE")
        assert notebook_settings(notebook, profile) == scope["cfg"], f"{notebook.name}, {profile} asked for"


def test_a_notebook_is_found_by_its_stem(monkeypatch, capsys):
    from course_utils.notebook_settings import find_notebook, notebook_settings

    for where in (NOTEBOOKS.parent, NOTEBOOKS, SOLUTIONS):
        monkeypatch.chdir(where)
        assert find_notebook("03_lenet").resolve() == NOTEBOOKS / "03_lenet.ipynb"
        assert find_notebook("03_lenet-solutions").resolve() == SOLUTIONS / "03_lenet-solutions.ipynb"
    assert notebook_settings("03_lenet", "smoke").min_acc == read_settings(NOTEBOOKS / "03_lenet.ipynb")["smoke"]["min_acc"]
    assert capsys.readouterr().out == "", "the reader prints nothing"


def test_a_missing_notebook_says_where_it_looked(tmp_path, monkeypatch):
    from course_utils.notebook_settings import find_notebook

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no notebook '99_missing'") as error:
        find_notebook("99_missing")
    assert str(tmp_path / "99_missing.ipynb") in str(error.value)
    assert str(NOTEBOOKS / "99_missing.ipynb") in str(error.value)


def write_notebook(path: Path, *sources: str) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_the_reader_refuses_what_it_cannot_read_safely(tmp_path):
    good = "cfg = cu.settings(full=dict(a=1), laptop=dict(a=2), smoke=dict(a=(3, None)))"
    assert read_settings(write_notebook(tmp_path / "ok.ipynb", "%matplotlib inline\n" + good)) == {
        "full": {"a": 1}, "laptop": {"a": 2}, "smoke": {"a": (3, None)}}
    cases = {
        "none": ("print(1)", "no settings cell"),
        "twice": ((good, good), "2 times"),
        "code": ("cfg = cu.settings(full=dict(a=open('x')), laptop=dict(a=2), smoke=dict(a=3))", "not a literal"),
        "missing": ("cfg = cu.settings(full=dict(a=1), laptop=dict(a=2))", "no smoke profile"),
        "splat": ("cfg = cu.settings(**table)", "no positional or \\*\\* arguments"),
    }
    for name, (sources, message) in cases.items():
        sources = sources if isinstance(sources, tuple) else (sources,)
        with pytest.raises(ValueError, match=message):
            read_settings(write_notebook(tmp_path / f"{name}.ipynb", *sources))


def test_profiles_that_name_different_settings_are_refused_as_by_settings(tmp_path):
    from course_utils.notebook_settings import notebook_settings

    path = write_notebook(tmp_path / "x.ipynb", "cfg = cu.settings(full=dict(a=1), laptop=dict(b=2), smoke=dict(a=3))")
    with pytest.raises(ValueError, match="names different settings"):
        notebook_settings(path, "full")
