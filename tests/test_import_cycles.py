"""No import cycles inside course_utils.

The graph is read from the source with ``ast``, so it also sees the imports inside functions:
a cycle that is only closed at call time (``data`` importing ``train`` inside a function and
``train`` importing ``data`` inside another) still ties the modules together and is reported.
A package's own ``__init__`` is not counted as imported by its submodules (Python runs it first
anyway); an explicit ``from .. import x`` or ``import course_utils`` is.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils

PACKAGE_DIR = Path(course_utils.__file__).parent


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package."""
    root = package_dir.name
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [root, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's own modules that ``name`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # "from .models import resnet" imports the submodule; "from .models import summary"
            # imports the package. Either way the package itself is imported.
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            # "import course_utils.models.resnet" imports the deepest module that exists.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    modules = module_files(package_dir)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None. Depth-first search with the current path on a stack."""
    state: dict[str, str] = {}  # "open" while on the path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = "open", path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node], _ = "done", path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_in_course_utils():
    cycle = find_cycle(import_graph(PACKAGE_DIR))
    assert cycle is None, (
        f"import cycle: {' -> '.join(cycle)}. Move what both modules need into a module below "
        "them (as course_utils/runtime.py holds the device and the cache folders)."
    )


def test_the_graph_sees_the_imports():
    graph = import_graph(PACKAGE_DIR)
    assert {"course_utils.runtime"} <= graph["course_utils.data"]
    assert {"course_utils.runtime"} <= graph["course_utils.train"]
    assert "course_utils.models.resnet" in graph["course_utils.models.counting"]
    assert "course_utils.models.lenet" in graph["course_utils.models"]
    assert "course_utils.profile" in graph["course_utils.train"]  # imported inside a function
    # The issue that asked for this test: data and train each used to import the other.
    assert "course_utils.train" not in graph["course_utils.data"]
    assert "course_utils.data" not in graph["course_utils.train"]


def test_a_cycle_closed_inside_functions_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    from .sub.b import g\n    return g()\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def g():\n    from ..a import f\n    return f\n")
    assert find_cycle(import_graph(pkg)) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    (pkg / "sub" / "b.py").write_text("def g():\n    return 1\n")
    assert find_cycle(import_graph(pkg)) is None


@pytest.mark.parametrize("module", ["course_utils", "course_utils.models", "course_utils.runtime"])
def test_imports_in_a_fresh_interpreter(module):
    """Nothing depends on what an earlier test happened to import."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
