"""import course_utils stays light: every kernel start and benchmark process pays for it (issue 14).

matplotlib (about 0.5-1 s) is imported where a picture is drawn, tqdm where a bar is shown.
torch itself imports tqdm when it is installed (torch.hub), so for tqdm (and IPython) the test
blocks the package and checks that course_utils does not need it to import.
"""
import subprocess
import sys

CODE = """
import sys
for name in ("tqdm", "IPython", "ipywidgets"):
    sys.modules[name] = None  # any `import name` now fails, as if it were not installed
import course_utils
print("matplotlib" in sys.modules)
"""


def test_import_loads_neither_matplotlib_nor_tqdm():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"import course_utils needs tqdm or IPython:\n{result.stderr}"
    assert result.stdout.strip() == "False", "import course_utils imported matplotlib"
