"""Rehearse the lecture: every notebook with the ``full`` settings, but only a few batches.

    python tests/rehearse.py [NOTEBOOK ...] [--gpu a100|t4] [--batches 2x4] [--profile full] [--keep]
    make rehearse [REHEARSE_FLAGS="..."]

What a lecture on the GPU runs -- full resolution, full width, the lecture's models and
epochs -- taken through every code path in minutes on any machine:

- ``COURSE_PROFILE=full`` and ``COURSE_REHEARSAL=2x4``: every pass over a DeviceLoader (and
  every epoch in ``fit``) is 2 batches, of which ``fit``, ``evaluate_accuracy`` and
  ``training_throughput`` use at most 4 examples, so 10 epochs are 20 small steps;
- ``fit`` takes the code paths of a GPU class (``--gpu``, course_utils/precision.py): ``a100``
  (the default: bf16 autocast, as on an A100/H100/L4) or ``t4`` (fp16 autocast with loss
  scaling, as on Colab's T4, a V100 or an RTX 20xx), both with channels-last; the CPU runs both;
- checkpoints go to a scratch folder, so nothing is reused from, or left in, the course cache
  (a notebook that reuses another's finished runs, 11_comparison, finds this rehearsal's);
- without a GPU, the data lives on a simulated second device (``tests/device_check.py``): a
  tensor made on the CPU that meets it stops the cell, as it would on a GPU.

Every cell runs, in order, in one kernel per notebook. An ``assert`` that mentions ``min_acc``
or the word ``floor`` (an accuracy floor, which a few batches cannot reach) is turned into a
check that only reports: it is listed as a skipped floor and the cell goes on. Any other error
is a failure. Exit status 1 if any notebook failed.
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FLOOR_MARK = "REHEARSAL-FLOOR:"
FLOOR_WORDS = re.compile(r"min_acc|\bfloor\b", re.IGNORECASE)

SETUP = f'''
import sys
def _rehearsal_floor(source, message=None):
    """A floor assert that did not hold: reported, not raised."""
    print({FLOOR_MARK!r}, " ".join(source.split()), "" if message is None else f"-> {{message}}")
'''
DEVICE_CHECK = f'''
sys.path.insert(0, {str(ROOT / "tests")!r})
import device_check
device_check.install()
'''


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    cells: int = 0
    floors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def soften_floors(source: str) -> str:
    """Turn every ``assert`` that mentions min_acc or 'floor' into a call that only reports.

    ``assert acc >= cfg.min_acc, msg`` becomes
    ``if not (acc >= cfg.min_acc): _rehearsal_floor("assert acc >= cfg.min_acc, msg", msg)``.
    Cells that are not plain Python (magics) and asserts that share a line with other code
    are left as they are.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    for node in sorted(asserts, key=lambda n: n.lineno, reverse=True):
        first, last = node.lineno - 1, node.end_lineno - 1
        text = "".join(lines[first:last + 1])
        before = lines[first][:node.col_offset]
        after = lines[last][node.end_col_offset:].strip()
        if not FLOOR_WORDS.search(text) or before.strip() or (after and not after.startswith("#")):
            continue
        test = ast.get_source_segment(source, node.test)
        message = ast.get_source_segment(source, node.msg) if node.msg is not None else "None"
        original = ast.get_source_segment(source, node)
        lines[first:last + 1] = [f"{before}if not ({test}):\n",
                                 f"{before}    _rehearsal_floor({original!r}, {message})\n"]
    return "".join(lines)


def _error_text(output) -> str:
    return f"{output.get('ename')}: {output.get('evalue')}".strip()


def _failing_line(output) -> str:
    """The line IPython marks with an arrow in the innermost frame of the notebook's code."""
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", frame) for frame in output.get("traceback", [])]
    marked = [line for frame in plain for line in frame.splitlines() if line.lstrip().startswith("---->")]
    return marked[-1].split("---->", 1)[1].strip() if marked else ""


def rehearse(path: Path, timeout: int, device_check: bool, keep: Path | None) -> Result:
    nb = nbformat.read(path, as_version=4)
    result = Result(path.stem)
    # "immediate": stop the finished kernel rather than ask it to shut down, which prints a
    # harmless ZMQError traceback between notebooks (slides/build.py's execute says more).
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        setup = nbformat.v4.new_code_cell(SETUP + (DEVICE_CHECK if device_check else ""))
        client.execute_cell(setup, -1)
        errors = [o for o in setup.outputs if o.output_type == "error"]
        if errors:
            result.failures.append(f"rehearsal setup: {_error_text(errors[0])}")
            return result
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            original = cell.source
            cell.source = soften_floors(original)
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)
            seconds = time.perf_counter() - cell_start
            cell.source = original
            result.cells += 1
            for output in cell.outputs:
                if output.output_type == "stream":
                    for line in output.text.splitlines():
                        if line.startswith(FLOOR_MARK):
                            result.floors.append(f"cell {index}: {line[len(FLOOR_MARK):].strip()}")
                elif output.output_type == "error":
                    line = _failing_line(output)
                    if output.get("ename") == "AssertionError" and FLOOR_WORDS.search(line):
                        # A floor inside a function: the cell stopped there, but it is a floor.
                        result.floors.append(f"cell {index} (stopped): {line}")
                    else:
                        result.failures.append(f"cell {index}: {_error_text(output)}"
                                               + (f"\n      at: {line}" if line else ""))
            if seconds > 60:
                print(f"    {path.stem} cell {index}: {seconds:.0f} s", flush=True)
    result.seconds = time.perf_counter() - start
    if keep is not None:
        nbformat.write(nb, keep / path.name)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="names or paths (default: every lecture notebook)")
    parser.add_argument("--batches", default="2x4",
                        help="COURSE_REHEARSAL: batches per pass, optionally x the largest batch (default 2x4)")
    parser.add_argument("--profile", default="full", help="the profile to rehearse (default full)")
    parser.add_argument("--gpu", default="a100", choices=["a100", "t4"],
                        help="the GPU class whose precision to take (a100: bf16; t4: fp16 with loss scaling)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    parser.add_argument("--no-device-check", action="store_true",
                        help="do not simulate a second device (it is skipped anyway on a GPU)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and the executed notebooks")
    args = parser.parse_args(argv)

    available = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.notebooks:
        chosen = []
        for name in args.notebooks:
            matches = [p for p in available if p.stem.startswith(Path(name).stem)]
            if not matches:
                parser.error(f"no notebook matches {name!r} in notebooks/")
            chosen += matches
    else:
        chosen = available

    import torch  # after argument parsing: --help stays quick
    gpu = torch.cuda.is_available() or bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    device_check = not (args.no_device_check or gpu)
    scratch = Path(tempfile.mkdtemp(prefix="course-rehearsal-"))
    os.environ.pop("COURSE_PRECISION", None)
    os.environ.update(COURSE_PROFILE=args.profile, COURSE_REHEARSAL=args.batches, MPLBACKEND="Agg",
                      COURSE_REHEARSAL_GPU=args.gpu,
                      COURSE_CHECKPOINT_DIR=str(scratch / "checkpoints"))
    from course_utils.precision import choose_precision
    from course_utils.profile import rehearsal
    limits = rehearsal()  # checks the value
    precision = choose_precision(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    print(f"Rehearsing {len(chosen)} notebook(s) under profile {args.profile!r}: {limits.batches} batch(es) "
          f"per pass{f' of at most {limits.batch_size} examples' if limits.batch_size else ''}, "
          f"training as {precision.description}, checkpoints in {scratch / 'checkpoints'}, "
          + ("data on a simulated second device (tests/device_check.py)." if device_check
             else "on this machine's GPU." if gpu else "no device check."), flush=True)

    results, total = [], time.perf_counter()
    for path in chosen:
        print(f"  {path.stem} ...", flush=True)
        result = rehearse(path, args.timeout, device_check, scratch if args.keep else None)
        results.append(result)
        status = "FAILED" if result.failures else "ok"
        print(f"  {path.stem}: {status} in {result.seconds:.0f} s ({result.cells} cells, "
              f"{len(result.floors)} floor(s) skipped)", flush=True)
    total = time.perf_counter() - total

    print(f"\nRehearsal of {len(results)} notebook(s) in {total / 60:.1f} min "
          f"(profile {args.profile}, COURSE_REHEARSAL={args.batches}, {precision.description}):")
    for result in results:
        print(f"  {result.name:16s} {result.seconds:6.0f} s  {'FAILED' if result.failures else 'ok'}")
        for floor in result.floors:
            print(f"      floor skipped, {floor}")
        for failure in result.failures:
            print(f"      FAILURE, {failure}")
    failed = [r.name for r in results if r.failures]
    print(f"\n{len(failed)} notebook(s) failed{': ' + ', '.join(failed) if failed else ''}; "
          f"{sum(len(r.floors) for r in results)} accuracy floor(s) skipped.")
    if args.keep:
        print(f"Kept {scratch} (executed notebooks and checkpoints).")
    else:
        import shutil
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
