"""The repository address lives in pyproject.toml; every notebook's Colab badge and setup cell follow it."""
import shutil
from pathlib import Path

import pytest
from slides_support import load_script

ROOT = Path(__file__).resolve().parents[1]


set_repo = load_script("set_repo", ROOT / ".ci" / "set_repo.py")


def test_every_notebook_points_at_the_repository_in_pyproject():
    assert set_repo.notebooks(), "no notebooks found"
    problems = set_repo.disagreements()
    assert not problems, (
        "notebooks disagree with pyproject.toml's [project.urls] Repository "
        f"({set_repo.repository()}):\n" + "\n".join(problems)
        + "\nRun `python3 .ci/set_repo.py OWNER/NAME` to point every notebook at one address."
    )


@pytest.fixture
def checkout(tmp_path):
    """A copy of what set_repo.py edits."""
    for name in ("pyproject.toml", "README.md", "CONTRIBUTING.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for path in set_repo.notebooks():
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return tmp_path


def test_one_command_points_a_fork_everywhere_and_back(checkout):
    original = {p: p.read_bytes() for p in checkout.rglob("*") if p.is_file()}
    home = set_repo.repository(checkout)
    changed = set_repo.set_repository("my-uni/cnn-fork", checkout)
    assert checkout / "pyproject.toml" in changed and len(changed) >= len(set_repo.notebooks()) + 1
    assert set_repo.repository(checkout) == "my-uni/cnn-fork"
    assert set_repo.disagreements(checkout) == []
    for path in set_repo.notebooks(checkout):
        text = path.read_text()
        assert home not in text and "git+https://github.com/my-uni/cnn-fork" in text
    # Only the addresses changed: pointing back gives the same bytes.
    set_repo.set_repository(home, checkout)
    assert {p: p.read_bytes() for p in checkout.rglob("*") if p.is_file()} == original


def test_a_notebook_that_names_another_repository_is_reported(checkout):
    path = set_repo.notebooks(checkout)[0]
    path.write_text(path.read_text().replace(f"git+https://github.com/{set_repo.repository(checkout)}",
                                             "git+https://github.com/someone/else"))
    problems = set_repo.disagreements(checkout)
    assert any(path.name in p and "someone/else" in p for p in problems)


def test_bad_names_are_refused(checkout):
    with pytest.raises(SystemExit, match="OWNER/NAME"):
        set_repo.set_repository("not a repository", checkout)
