"""09's appendix table of seeds is the measurement it cites, and 09's asserts stay under it.

09 (ResNet) asserts what held in every seed measured (its experiment cell), and its appendix shows
those seeds as a table of training errors. Both come from benchmarks/degradation_seeds.py, recorded
in benchmarks/results/degradation-seeds.json: this test checks that the table is the one the script
prints from the record (no hand-typed number drifts from its source), that the recorded seed 0 is the
notebook's own settings, and that every floor the experiment asserts holds in every recorded seed
with a margin.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from course_utils.notebook_settings import read_settings
from slides_support import load_script

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "09_resnet.ipynb"
RECORD = ROOT / "benchmarks" / "results" / "degradation-seeds.json"
script = load_script("degradation_seeds", ROOT / "benchmarks" / "degradation_seeds.py")


def record() -> dict:
    return json.loads(RECORD.read_text())["errors_percent"]


def appendix_table() -> list[str]:
    """The table's lines in the markdown cell 'How much a seed moves these runs'."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown" and "How much a seed moves" in c.source]
    assert len(cells) == 1, "09 should have one appendix slide with the table of seeds"
    return [line for line in cells[0].splitlines() if line.startswith("|")]


def runs(profile: str) -> list[str]:
    return script.names(read_settings(NOTEBOOK)[profile]["depths"])


def test_the_table_prints_the_recorded_errors():
    assert appendix_table() == script.table(record()).splitlines()


@pytest.mark.parametrize("profile", ["smoke", "laptop"])
def test_every_asserted_comparison_holds_in_every_recorded_seed_with_a_margin(profile):
    settings = read_settings(NOTEBOOK)[profile]
    shallow, deep = settings["depths"]
    by_seed = record()[profile]
    assert len(by_seed) >= 3, f"{profile}: a floor needs several seeds"
    for seed, err in by_seed.items():
        e = {name: err[name]["train_err"] for name in runs(profile)}
        cost_plain = e[f"plain-{deep}"] - e[f"plain-{shallow}"]
        cost_resnet = e[f"ResNet-{deep}"] - e[f"ResNet-{shallow}"]
        # The experiment cell's asserts, each with at least 2 points to spare in every seed.
        assert e[f"plain-{deep}"] - e[f"ResNet-{deep}"] >= 2, (profile, seed)
        assert cost_plain - cost_resnet >= 2, (profile, seed)
        if settings["degr_plain_gap"] is not None:
            assert cost_plain >= 100 * settings["degr_plain_gap"] + 2, (profile, seed)
        # And its accuracy floor, on the test set.
        assert all(100 - err[name]["test_err"] >= 100 * settings["degr_min_acc"] + 2
                   for name in runs(profile)), (profile, seed)


def test_the_keys_warm_up_answer_quotes_the_recorded_seeds():
    """09's key, exercise 2: the gaps it quotes, seed by seed, are those of the warm-up record."""
    recorded = json.loads(RECORD.with_name("degradation-seeds-warmup.json").read_text())["errors_percent"]["laptop"]
    shallow, deep = read_settings(NOTEBOOK)["laptop"]["depths"]
    seeds = sorted(recorded, key=int)

    def gaps(suffix: str) -> str:
        values = [f"{recorded[s][f'plain-{deep}{suffix}']['train_err'] - recorded[s][f'plain-{shallow}{suffix}']['train_err']:+.1f}"
                  for s in seeds]
        return ", ".join(values[:-1]) + " and " + values[-1]

    key = nbformat.read(ROOT / "notebooks" / "solutions" / "09_resnet-solutions.ipynb", as_version=4)
    answer = " ".join(c.source for c in key.cells if "without warm-up (cosine)" in c.source).split()
    answer = " ".join(answer)
    assert f"without warm-up (cosine): {gaps('')} points" in answer
    assert f"with the one-cycle warm-up: {gaps(' onecycle')} points" in answer
