"""Every `full` accuracy floor is measured, or at most the `laptop` floor (issue 19).

A floor is a setting that a training run asserts it reached: `min_acc`, `<run>_min_acc` or
`min_acc_<baseline>` in a notebook's settings cell (lecture notebooks and answer keys). `make test`
runs the notebooks under `smoke` and people run them under `laptop`, so those floors meet real
runs; a `full` floor meets one only on a GPU, in the lecture. So a `full` floor must either come
from measured `full` runs, recorded in benchmarks/results/full-floors.json (the floor at or below
the smallest accuracy measured), or be no higher than the `laptop` floor of the same setting.
A record must still describe the notebook: its floor is the notebook's current `full` value.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from course_utils.notebook_settings import read_settings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RECORDS = ROOT / "benchmarks" / "results" / "full-floors.json"
RECORDS_NAME = "benchmarks/results/full-floors.json"
FLOOR = re.compile(r"(?:^|_)min_acc(?:_|$)")
RUN_ACCURACY = re.compile(r"(\d*\.\d+|\d+)\s*$")  # a run's line ends with the accuracy it reached

notebooks = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))


def is_floor(name: str) -> bool:
    return bool(FLOOR.search(name))


def lecture_of(stem: str) -> str | None:
    return stem[:-len("-solutions")] if stem.endswith("-solutions") else None


def load_records(path: Path = RECORDS) -> dict:
    """{stem: {floor: record}} of full-floors.json (its "about" is not a notebook)."""
    data = json.loads(path.read_text())
    return {stem: floors for stem, floors in data.items() if stem != "about"}


def record_for(stem: str, floor: str, records: dict, lecture_settings: dict | None) -> tuple[str, dict] | None:
    """(where, record) of the measurement behind `floor` of notebook `stem`, or None.

    A key's floor that its lecture names too is the lecture's setting (test_solutions checks that
    they are equal), asserted on the lecture's own run: the lecture's record covers it.
    """
    if floor in records.get(stem, {}):
        return stem, records[stem][floor]
    lecture = lecture_of(stem)
    if lecture and lecture_settings and floor in lecture_settings.get("full", {}) \
            and floor in records.get(lecture, {}):
        return lecture, records[lecture][floor]
    return None


def floor_problem(stem: str, floor: str, settings: dict, records: dict,
                  lecture_settings: dict | None = None) -> str | None:
    """What is wrong with the `full` value of `floor` in notebook `stem` (None: nothing)."""
    full, laptop = settings["full"].get(floor), settings["laptop"].get(floor)
    if not isinstance(full, (int, float)) or not isinstance(laptop, (int, float)):
        return (f"{stem}: the floor {floor} should be a number under full and laptop "
                f"(full={full!r}, laptop={laptop!r})")
    found = record_for(stem, floor, records, lecture_settings)
    if found is None:
        if full <= laptop:
            return None
        shared = lecture_of(stem) if lecture_settings and floor in lecture_settings.get("full", {}) else None
        owner = f"\"{shared}\" (the lecture's run, which the key reuses)" if shared else f"\"{stem}\""
        return (f"{stem}: the `full` floor {floor}={full} is above the `laptop` floor {floor}={laptop}, and no "
                f"`full` run is recorded for it in {RECORDS_NAME}. Either measure it (run the notebook under "
                f"COURSE_PROFILE=full with several seeds, e.g. benchmarks/full_cpu.py), set the floor at or below "
                f"the smallest accuracy measured and record the runs under {owner} -> \"{floor}\" there; or "
                f"lower the `full` floor to at most the `laptop` floor ({laptop}).")
    where, record = found
    if record.get("floor") != full:
        return (f"{stem}: {RECORDS_NAME} records {where}'s `full` floor {floor} as {record.get('floor')!r}, "
                f"but the notebook now sets {floor}={full} under `full`: the record is stale. Measure the "
                f"notebook as it is now and record the new runs, or set the floor back to the measured one.")
    measured = record.get("measured_min")
    if not isinstance(measured, (int, float)) or full > measured:
        return (f"{stem}: the `full` floor {floor}={full} is above the smallest accuracy measured for it, "
                f"{measured!r} ({RECORDS_NAME}, {where}): a floor must come from the measurement. Lower it to "
                f"at most {measured!r} (with a margin for seeds not run) and record the new floor.")
    return None


def record_problems(stem: str, floor: str, record, settings: dict | None) -> list[str]:
    """What is wrong with one record of full-floors.json (settings: the notebook's, None if none)."""
    where = f"{RECORDS_NAME}: {stem} -> {floor}"
    if settings is None:
        return [f"{where}: there is no notebook notebooks/{stem}.ipynb or notebooks/solutions/{stem}.ipynb "
                "(renamed? move the record; removed? delete it)"]
    if not is_floor(floor) or floor not in settings["full"]:
        return [f"{where}: {stem} has no `full` floor named {floor} (renamed? move the record; removed? delete it)"]
    if not isinstance(record, dict):
        return [f"{where}: a record is an object with floor, measured_min, runs and source"]
    problems = []
    full, measured, runs = settings["full"][floor], record.get("measured_min"), record.get("runs")
    if record.get("floor") != full:
        problems.append(f"{where}: floor {record.get('floor')!r}, but the notebook sets {floor}={full} under "
                        "`full` (stale: measure again, or delete the record)")
    if not isinstance(runs, list) or not runs or not all(isinstance(r, str) and RUN_ACCURACY.search(r) for r in runs):
        problems.append(f"{where}: runs should list every run measured, one line each, ending with the test "
                        f"accuracy it reached, e.g. \"{stem} seed 0: 0.869\" (got {runs!r})")
    elif not isinstance(measured, (int, float)) or not math.isclose(
            measured, min(float(RUN_ACCURACY.search(r).group(1)) for r in runs), abs_tol=1e-9):
        problems.append(f"{where}: measured_min {measured!r} is not the smallest accuracy of its runs {runs}")
    elif not isinstance(record.get("floor"), (int, float)) or record["floor"] > measured:
        problems.append(f"{where}: floor {record.get('floor')!r} is above measured_min {measured}")
    if not isinstance(record.get("source"), str) or not record["source"].strip():
        problems.append(f"{where}: source should say what measured it: script or notebook, machine, date")
    return problems


# --------------------------------------------------------------------------------------
# The notebooks as they are
# --------------------------------------------------------------------------------------

SETTINGS = {path.stem: read_settings(path) for path in notebooks}
PAIRS = [(stem, name) for stem, settings in SETTINGS.items() for name in settings["full"] if is_floor(name)]


def test_the_notebooks_have_floors():
    assert len(notebooks) >= 20 and len(PAIRS) >= 20, (len(notebooks), PAIRS)
    assert ("03_lenet", "min_acc") in PAIRS and ("03_lenet-solutions", "ablation_min_acc") in PAIRS


def test_the_records_file_is_readable():
    data = json.loads(RECORDS.read_text())
    assert data.get("about"), f"{RECORDS_NAME} should keep its 'about': what it records and how"
    for stem, floors in load_records().items():
        assert isinstance(floors, dict), f"{RECORDS_NAME}: {stem} should map floor names to records"


@pytest.mark.parametrize("stem, floor", PAIRS, ids=[f"{stem}:{floor}" for stem, floor in PAIRS])
def test_full_floor_is_measured_or_at_most_laptop(stem, floor):
    problem = floor_problem(stem, floor, SETTINGS[stem], load_records(), SETTINGS.get(lecture_of(stem) or ""))
    if problem:
        pytest.fail(problem, pytrace=False)


def test_every_record_is_current():
    """A record names a notebook's floor, and its floor is the notebook's `full` value today."""
    problems = [problem for stem, floors in load_records().items() for floor, record in floors.items()
                for problem in record_problems(stem, floor, record, SETTINGS.get(stem))]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------
# The rules themselves, on made-up notebooks
# --------------------------------------------------------------------------------------

def made_up(full: float, laptop: float) -> dict:
    return {"full": dict(min_acc=full, epochs=10), "laptop": dict(min_acc=laptop, epochs=2),
            "smoke": dict(min_acc=0.3, epochs=1)}


def record(floor, runs=("x seed 0: 0.87", "x seed 1: 0.869"), measured_min=0.869, source="a run"):
    return dict(floor=floor, measured_min=measured_min, runs=list(runs), source=source)


def test_a_full_floor_at_most_laptop_needs_no_record():
    assert floor_problem("x", "min_acc", made_up(0.80, 0.80), {}) is None
    assert floor_problem("x", "min_acc", made_up(0.70, 0.80), {}) is None


def test_a_full_floor_above_laptop_needs_a_measurement():
    problem = floor_problem("x", "min_acc", made_up(0.85, 0.80), {})
    assert "x" in problem and "min_acc=0.85" in problem and "min_acc=0.8" in problem
    assert "full-floors.json" in problem and "lower the `full` floor" in problem
    assert floor_problem("x", "min_acc", made_up(0.85, 0.80), {"x": {"min_acc": record(0.85)}}) is None


def test_a_floor_above_what_was_measured_fails():
    problem = floor_problem("x", "min_acc", made_up(0.88, 0.80), {"x": {"min_acc": record(0.88)}})
    assert "above the smallest accuracy measured" in problem
    assert record_problems("x", "min_acc", record(0.88), made_up(0.88, 0.80)) == [
        f"{RECORDS_NAME}: x -> min_acc: floor 0.88 is above measured_min 0.869"]


def test_a_stale_record_fails_even_below_laptop():
    records = {"x": {"min_acc": record(0.85)}}
    assert "stale" in floor_problem("x", "min_acc", made_up(0.86, 0.80), records)
    assert "stale" in floor_problem("x", "min_acc", made_up(0.75, 0.80), records)
    assert any("stale" in p for p in record_problems("x", "min_acc", record(0.85), made_up(0.75, 0.80)))


def test_a_record_must_describe_its_runs():
    settings = made_up(0.85, 0.80)
    assert record_problems("x", "min_acc", record(0.85), settings) == []
    assert record_problems("x", "min_acc", record(0.85), None)[0].endswith("delete it)")
    assert "no `full` floor named epochs" in record_problems("x", "epochs", record(10), settings)[0]
    assert "not the smallest" in record_problems("x", "min_acc", record(0.85, measured_min=0.87), settings)[0]
    assert "ending with the test accuracy" in record_problems("x", "min_acc", record(0.85, runs=()), settings)[0]
    assert "source" in record_problems("x", "min_acc", record(0.85, source=""), settings)[0]


def test_a_key_is_covered_by_its_lectures_record():
    key, lecture = made_up(0.85, 0.80), made_up(0.85, 0.80)
    records = {"x": {"min_acc": record(0.85)}}
    assert floor_problem("x-solutions", "min_acc", key, records, lecture) is None
    assert floor_problem("x-solutions", "min_acc", key, records, None) is not None
    assert '"x" (the lecture\'s run' in floor_problem("x-solutions", "min_acc", key, {}, lecture)


def test_what_counts_as_a_floor():
    assert all(map(is_floor, ["min_acc", "ablation_min_acc", "bs_min_acc", "degr_min_acc", "min_acc_hog"]))
    assert not any(map(is_floor, ["degr_slack", "min_accuracy_gap", "epochs", "admin_acc"]))
