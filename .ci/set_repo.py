"""The course's GitHub address, kept in one place: pyproject.toml, [project.urls] Repository.

Every notebook's Colab badge and setup cell (``pip install git+https://github.com/OWNER/NAME``)
spell it out, because Colab opens a notebook on its own. A fork points them all at itself with

    python3 .ci/set_repo.py OWNER/NAME

which rewrites pyproject.toml, every notebook (notebooks/ and notebooks/solutions/), README.md and
CONTRIBUTING.md, changing those addresses and nothing else. ``--check`` lists what disagrees with
pyproject.toml and exits 1 if anything does (tests/test_repository_address.py runs the same check).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"  # the branch the Colab badges open
NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+"  # OWNER/NAME as GitHub allows
REPOSITORY_LINE = re.compile(rf'^(Repository\s*=\s*"https://github\.com/)({NAME})(")', re.M)
# Everything that names the course's repository, as (pattern, replacement given the new name).
BADGE = re.compile(rf"colab\.research\.google\.com/github/({NAME})/blob/[^/\s]+/")
INSTALL = re.compile(rf"git\+https://github\.com/({NAME})(?=[\"'@#\s\\])")


def repository(root: Path = ROOT) -> str:
    """OWNER/NAME from pyproject.toml's [project.urls] Repository."""
    match = REPOSITORY_LINE.search((root / "pyproject.toml").read_text())
    if not match:
        sys.exit(f'{root / "pyproject.toml"}: no line Repository = "https://github.com/OWNER/NAME" under [project.urls]')
    return match.group(2)


def notebooks(root: Path = ROOT) -> list[Path]:
    return sorted([*(root / "notebooks").glob("*.ipynb"), *(root / "notebooks" / "solutions").glob("*.ipynb")])


def addresses(text: str) -> list[str]:
    """Every OWNER/NAME that a badge or an install line in ``text`` points at."""
    return [m.group(1) for pattern in (BADGE, INSTALL) for m in pattern.finditer(text)]


def rewrite(text: str, repo: str) -> str:
    text = BADGE.sub(f"colab.research.google.com/github/{repo}/blob/{BRANCH}/", text)
    return INSTALL.sub(f"git+https://github.com/{repo}", text)


def disagreements(root: Path = ROOT) -> list[str]:
    """One line per notebook that is missing an address or names another repository."""
    repo, problems = repository(root), []
    for path in notebooks(root):
        text, relative = path.read_text(), path.relative_to(root).as_posix()
        badge = f"colab.research.google.com/github/{repo}/blob/{BRANCH}/{relative}"
        if badge not in text:
            problems.append(f"{relative}: no Colab badge pointing at {badge}")
        if f"git+https://github.com/{repo}" not in text:
            problems.append(f"{relative}: the setup cell does not install git+https://github.com/{repo}")
        if others := sorted(set(addresses(text)) - {repo}):
            problems.append(f"{relative}: names {', '.join(others)} instead of {repo}")
    return problems


def set_repository(repo: str, root: Path = ROOT) -> list[Path]:
    """Point pyproject.toml, the notebooks and the docs at ``repo``; return the files changed."""
    if not re.fullmatch(NAME, repo):
        sys.exit(f"{repo!r} is not OWNER/NAME (e.g. my-university/cnn-lecture)")
    pyproject = root / "pyproject.toml"
    previous = repository(root)  # fails clearly if the Repository line is missing
    changed = []
    for path in [*notebooks(root), root / "README.md", root / "CONTRIBUTING.md", pyproject]:
        if not path.is_file():
            continue
        old = path.read_text()
        new = rewrite(old, repo)
        if path == pyproject:
            new = REPOSITORY_LINE.sub(rf"\g<1>{repo}\g<3>", new)
        else:
            # Docs and notebooks may also link the repository itself (github.com/OWNER/NAME).
            new = new.replace(f"github.com/{previous}", f"github.com/{repo}")
        if new != old:
            path.write_text(new)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", nargs="?", help="OWNER/NAME of the GitHub repository, e.g. my-university/cnn-lecture")
    parser.add_argument("--check", action="store_true", help="only report notebooks that disagree with pyproject.toml")
    args = parser.parse_args(argv)
    if args.check or not args.repo:
        problems = disagreements()
        print("\n".join(problems) or f"every notebook points at {repository()}")
        return 1 if problems else 0
    for path in set_repository(args.repo):
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
