"""Running checks on your own copy, and reading what a worker wrote.

``python -m cs231n.checks assignment1 [notebook ...]`` executes each notebook
the way the grader does (its cells, without the test cells, then every public
check) and prints the verdicts. The grader reads worker output with the same
functions, so the verdicts are the same.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cs231n import checks as _checks
from cs231n.checks import codec
from cs231n.checks.judges import Verdict, verdict_line, verdict_of
from cs231n.checks.worker import describe

CHECKS_DIR = Path(__file__).resolve().parent
PACKAGE_ROOT = CHECKS_DIR.parent.parent  # the folder holding cs231n/
WORKER = CHECKS_DIR / "worker.py"


# ----------------------------------------------------------------- expected data

def find_assignment(notebook: str) -> str:
    """The assignment whose checks include ``notebook``."""
    found = sorted(p.parent.name for p in CHECKS_DIR.glob(f"assignment*/{notebook}.py"))
    if len(found) != 1:
        raise LookupError(f"no checks for a notebook named {notebook!r}" if not found
                          else f"{notebook!r} is in several assignments: {found}")
    return found[0]


def shipped_expected(assignment: str, notebook: str) -> dict | None:
    """Data shipped with a released assignment (None in the instructor's copy):
    ``{"expected": {check: data}, "weights": {cell: weight of all its checks}}``."""
    path = CHECKS_DIR / "expected" / assignment / f"{notebook}.npz"
    return codec.load(path) if path.exists() else None


def expected_of(check, shipped: dict | None):
    """What ``check`` expects: ``expect()``, the shipped reference data, or (in the
    instructor's copy, where the package is the reference) the probe's own output.

    Raises LookupError when the expected data cannot be had.
    """
    try:
        if check.expect is not None:
            return check.expect()
        if shipped is not None:
            return shipped["expected"][check.name]
        return check.probe(None)
    except Exception as err:
        raise LookupError(f"no expected data for the check {check.name!r} ({type(err).__name__}: {err}); "
                          "is cs231n/checks/expected/ from the released assignment?") from None


# ----------------------------------------------------------------- worker files

def write_job(out_dir: Path, **job) -> None:
    (Path(out_dir) / "job.json").write_text(json.dumps(job))


def read_events(out_dir: Path) -> dict:
    """What the worker's event log says: ready, finished, and the step running when it stopped."""
    state = {"ready": False, "finished": False, "step": None, "since": None, "ended": [], "starts": 0}
    path = Path(out_dir) / "events.jsonl"
    if not path.exists():
        return state
    for line in path.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue  # a line cut by a crash
        if not isinstance(event, dict):
            continue
        state["starts"] = state.get("starts", 0) + (event.get("event") == "start")
        kind = event.get("event")
        if kind == "ready":
            state["ready"] = True
        elif kind == "finished":
            state["finished"] = True
        elif kind == "start":
            state["step"], state["since"] = event.get("step"), event.get("t")
        elif kind == "end":
            state["ended"].append(event.get("step"))
            state["step"] = state["since"] = None
    return state


def read_observation(out_dir: Path, name: str):
    """The observation of check ``name``, or None if there is none (or it is unreadable)."""
    path = Path(out_dir) / f"check-{name}.npz"
    try:
        return codec.load(path) if path.exists() else None
    except codec.CodecError:
        return None


def import_error(out_dir: Path):
    path = Path(out_dir) / "import-error.npz"
    try:
        return codec.load(path) if path.exists() else None
    except codec.CodecError:
        return {"kind": "error", "exception": "ImportError", "message": "importing cs231n failed", "where": ""}


def graded_test_cells(nb: dict) -> list[str]:
    """Grade ids of a notebook's graded test cells (graded code cells that are not answers)."""
    ids = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            ids.append(meta.get("grade_id"))
    return ids


def cell_points(nb: dict) -> dict[str, float]:
    return {c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"].get("points", 0))
            for c in nb.get("cells", []) if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


# ----------------------------------------------------------------- in a notebook

def _judge(check, observation, shipped, missing="the check did not run"):
    try:
        expected = expected_of(check, shipped)
    except LookupError as err:
        return Verdict(0.0, str(err))
    return verdict_of(check, observation, expected, missing)


def run_in_namespace(notebook: str, cell: str | None, ns: dict, assignment: str | None = None) -> list[str]:
    """Run the checks of ``cell`` (or all) of ``notebook`` in this process; print verdicts.

    Returns the names of the failed checks.
    """
    assignment = assignment or find_assignment(notebook)
    shipped = shipped_expected(assignment, notebook)
    failed = []
    for check in _checks.load(assignment, notebook):
        if cell is not None and check.cell != cell:
            continue
        try:
            observation = {"kind": "value", "value": check.probe(ns if check.notebook else None)}
        except Exception as exc:
            observation = describe(exc, str(PACKAGE_ROOT))
        verdict = _judge(check, observation, shipped)
        print(verdict_line(check.what, verdict))
        if not verdict.passed:
            failed.append(check.name)
    return failed


# ----------------------------------------------------------------- the command

LOCAL_STEP_SECONDS = 60  # one cell, for notebooks whose checks set no STEP_SECONDS

def run_notebook(assignment: str, notebook_file: Path, seconds: float | None = None, timeout: float = 1800) -> int:
    """Execute one notebook through the worker, print per-check verdicts; return the number failed.

    ``seconds`` limits one cell; by default the grader's limit for the notebook,
    and at least ``LOCAL_STEP_SECONDS`` (a student's machine may be slower).
    """
    nb = json.loads(Path(notebook_file).read_text(encoding="utf-8"))
    notebook = Path(notebook_file).stem
    if seconds is None:
        seconds = max(LOCAL_STEP_SECONDS, _checks.step_seconds(assignment, notebook, LOCAL_STEP_SECONDS))
    checks = _checks.load(assignment, notebook)
    shipped = shipped_expected(assignment, notebook)
    tests = graded_test_cells(nb)
    points = {cell: pts for cell, pts in cell_points(nb).items() if cell in tests}
    with tempfile.TemporaryDirectory() as out:
        write_job(Path(out), assignment=assignment, notebook=notebook, mode="observe",
                  notebook_file=str(Path(notebook_file).resolve()), test_cells=tests, step_seconds=seconds)
        env = dict(os.environ, MPLBACKEND="Agg")
        t0 = time.time()
        try:
            subprocess.run([sys.executable, str(WORKER), out], cwd=PACKAGE_ROOT, env=env, timeout=timeout,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pass
        state = read_events(Path(out))
        failure = import_error(Path(out))
        why = ("the notebook stopped during " + state["step"]) if state["step"] else "the check did not run"
        print(f"{notebook_file.name} ({time.time() - t0:.0f} s)")
        failed, earned, total = 0, 0.0, 0.0
        for cell, cell_pts in points.items():
            mine = [c for c in checks if c.cell == cell]
            weight = shipped["weights"].get(cell) if shipped else None
            shares = _checks.points_of(checks, cell, cell_pts, weight)
            for check in mine:
                observation = failure or read_observation(Path(out), check.name)
                verdict = _judge(check, observation, shipped, why)
                got = shares[check.name] * verdict.fraction
                earned, total = earned + got, total + shares[check.name]
                failed += not verdict.passed
                print("  " + verdict_line(check.what, verdict, shares[check.name], got))
        hidden = round(sum(points.values()) - total, 6)
        print(f"  {earned:g} / {total:g} points from these checks"
              + (f" (hidden checks hold {hidden:g} more)" if hidden > 0 else "") + "\n")
    return failed


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    assignment, names = argv[0], argv[1:]
    folder = Path.cwd()
    files = [folder / f"{n}.ipynb" for n in names] if names else sorted(
        p for p in folder.glob("*.ipynb") if (CHECKS_DIR / assignment / f"{p.stem}.py").exists())
    if not files:
        print(f"no notebooks of {assignment} in {folder}: run this in the assignment's folder")
        return 2
    failed = sum(run_notebook(assignment, f) for f in files)
    print("all public checks passed" if not failed else f"{failed} public check(s) failed")
    return 1 if failed else 0
