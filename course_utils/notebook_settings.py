"""A notebook's settings, read from its settings cell without running the notebook.

Every notebook of the course (lecture or answer key) states its settings once, in one code cell
that calls ``cu.settings(full=dict(...), laptop=dict(...), smoke=dict(...))`` (see profile.py).
This module is the one reader of that cell, for the comparison notebook (11), the tests and the
benchmarks::

    read_settings("03_lenet")               # {"full": {...}, "laptop": {...}, "smoke": {...}}
    notebook_settings("03_lenet")           # what cu.settings gives in 03 under the active profile
    notebook_settings("03_lenet", "full")   # ... under `full`, whatever the active profile is

The cell is not executed: it is parsed, and every setting's value is read with
``ast.literal_eval``, so a setting must be written as a literal (a number, a string, None,
True/False, or a tuple, list or dict of those). Nothing is printed.

A notebook is named by its path, or by its stem (``"03_lenet"``, ``"03_lenet-solutions"``), which
is looked for in the caller's working directory, in the notebooks folder next to this package
(``notebooks/`` of the checkout), and in their ``solutions/`` folders.
"""
from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

from .profile import PROFILES, settings

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SETTINGS_CALL = re.compile(r"\bsettings\s*\(")


def find_notebook(notebook: str | Path) -> Path:
    """The notebook file that `notebook` (a path, or a stem such as ``"03_lenet"``) names.

    A path that exists is taken as it is. Otherwise ``<name>.ipynb`` is looked for in the
    working directory, the notebooks folder next to course_utils, ``./notebooks``, and (from
    ``notebooks/solutions``) the folder above, each with its ``solutions/`` folder.
    """
    given = Path(notebook)
    if given.is_file():
        return given
    name = given if given.suffix == ".ipynb" else Path(f"{given}.ipynb")
    if name.is_absolute():
        candidates = [name]
    else:
        cwd = Path.cwd()
        folders = [cwd, NOTEBOOKS, cwd / "notebooks"] + ([cwd.parent] if cwd.name == "solutions" else [])
        candidates = []
        for folder in folders:
            subfolders = [folder] if folder.name == "solutions" else [folder, folder / "solutions"]
            for place in (sub / name for sub in subfolders):
                if place not in candidates:
                    candidates.append(place)
    for place in candidates:
        if place.is_file():
            return place
    looked = "\n  ".join(str(place) for place in candidates)
    raise FileNotFoundError(f"no notebook {str(notebook)!r}; looked for:\n  {looked}\n"
                            "Give the notebook's path, or its stem (e.g. '03_lenet') from a checkout.")


def read_settings(notebook: str | Path | Mapping) -> dict[str, dict]:
    """{profile: {setting: value}} for ``full``, ``laptop`` and ``smoke``, from the notebook's settings cell.

    `notebook`: a path, a stem (see find_notebook), or a notebook already loaded (nbformat's
    NotebookNode or the plain JSON dict). The values are exactly what the cell writes; that all
    three profiles name the same settings is checked by notebook_settings (as by cu.settings).
    Raises ValueError if the notebook has no settings cell, more than one, or a value that is not
    a literal.
    """
    if isinstance(notebook, Mapping):
        nb, where = notebook, "the notebook given"
    else:
        path = find_notebook(notebook)
        nb, where = json.loads(path.read_text(encoding="utf-8")), str(path)
    if "cells" not in nb:
        raise ValueError(f"{where} is not a version-4 notebook (it has no 'cells'); convert it with "
                         "`jupyter nbconvert --to notebook --nbformat 4`")
    calls = []
    for index, cell in enumerate(nb["cells"]):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") != "code" or not SETTINGS_CALL.search(source):
            continue
        try:
            tree = ast.parse(_without_magics(source))
        except SyntaxError as error:
            raise ValueError(f"{where}, cell {index}: cannot parse the settings cell ({error})") from None
        calls += [(index, node) for node in ast.walk(tree) if _is_settings_call(node)]
    if not calls:
        raise ValueError(f"{where} has no settings cell: no code cell calls "
                         "cu.settings(full=dict(...), laptop=dict(...), smoke=dict(...))")
    if len(calls) > 1:
        cells = ", ".join(str(index) for index, _ in calls)
        raise ValueError(f"{where} calls settings(...) {len(calls)} times (cells {cells}); "
                         "a notebook states its settings once")
    index, call = calls[0]
    return _profiles(call, f"{where}, cell {index}")


def notebook_settings(notebook: str | Path | Mapping, profile: str | None = None) -> SimpleNamespace:
    """What ``cu.settings`` gives in `notebook` under `profile` (default: the active profile).

    The same namespace as the notebook's own ``cfg`` (``cfg.epochs``, ``cfg.profile``), read from
    its settings cell without running it, and without printing anything.
    """
    return settings(**read_settings(notebook), profile=profile, verbose=False)


def _without_magics(source: str) -> str:
    """IPython's %magic and !shell lines become `pass`, so that the cell parses as Python."""
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.splitlines())


def _is_settings_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "settings") or (
        isinstance(func, ast.Name) and func.id == "settings")


def _profiles(call: ast.Call, where: str) -> dict[str, dict]:
    if call.args or any(kw.arg is None for kw in call.keywords):
        raise ValueError(f"{where}: write the settings call as settings(full=dict(...), laptop=dict(...), "
                         "smoke=dict(...)), with no positional or ** arguments")
    given = {kw.arg: kw.value for kw in call.keywords}
    missing = [name for name in PROFILES if name not in given]
    if missing:
        raise ValueError(f"{where}: the settings call names no {', '.join(missing)} profile")
    return {name: _literal_dict(given[name], f"{where}, profile {name!r}") for name in PROFILES}


def _literal_dict(node: ast.AST, where: str) -> dict:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
            and not node.args and all(kw.arg for kw in node.keywords)):
        pairs = [(kw.arg, kw.value) for kw in node.keywords]
    elif isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                           for k in node.keys):
        pairs = [(k.value, v) for k, v in zip(node.keys, node.values)]
    else:
        raise ValueError(f"{where}: write the profile's settings as dict(name=value, ...)")
    values = {}
    for name, value in pairs:
        if name in values:
            raise ValueError(f"{where}: setting {name!r} is given twice")
        try:
            values[name] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"{where}: setting {name}={ast.unparse(value)} "
                             "is not a literal; write it as a number, string, None, True/False, or a "
                             "tuple, list or dict of those, so that it can be read without running "
                             "the notebook") from None
    return values

