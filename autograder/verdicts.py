"""Verdicts on one submission, computed outside the student's code.

For each notebook of a submission:

1. a private copy of the student's folder is made, with the instructor's
   ``cs231n/checks/`` (hidden checks included) in place of the student's;
2. the worker (:mod:`cs231n.checks.worker`) runs there in the sandbox: the
   package checks' probes, the notebook's cells, the notebook checks' probes.
   When the process dies or hangs, the step it was in is skipped and the
   worker starts again, so an ``os._exit``, a segfault or an endless loop
   costs that step and nothing else;
3. this process reads the plain data the probes wrote, never executing any of
   it, and judges it against the reference's data (computed by the same probes
   on the instructor's package, in a separate process) with the check's judge;
4. the verdicts go to ``verdicts/<student>/<assignment>/<notebook>.json``,
   the cells' printed output and figures beside them, for nbgrader to record
   (:mod:`autograder.feedback`) and for the instructor report.
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cs231n import checks as checklib
from cs231n.checks import codec
from cs231n.checks.judges import verdict_of
from cs231n.checks.local import graded_test_cells, import_error, read_events, read_observation, write_job

from autograder import markup, sandbox
from autograder.course import Course, CourseError

STEP_SECONDS = 30      # one notebook cell or one probe, unless the notebook's check module sets its own
RESTARTS = 4           # worker restarts per notebook after a step killed it
MAX_FIGURE_BYTES = 2**20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Notebook:
    """A source notebook as the grader needs it: its test cells and their points."""

    name: str
    test_cells: tuple[str, ...]
    points: dict  # grade id -> points, test cells only
    step_seconds: int = STEP_SECONDS  # time limit of one cell or one probe



def notebook_spec(course: Course, assignment: str, name: str) -> Notebook:
    nb = json.loads((course.source(assignment) / f"{name}.ipynb").read_text(encoding="utf-8"))
    tests = tuple(graded_test_cells(nb))
    points = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") in tests:
            points[meta["grade_id"]] = float(meta.get("points", 0))
    return Notebook(name, tests, points, step_seconds_of(assignment, name))


def step_seconds_of(assignment: str, notebook: str) -> int:
    """The time limit of one cell or probe of a notebook: ``STEP_SECONDS`` of its
    (instructor's) check module, for notebooks that train models, else the default."""
    seconds = checklib.step_seconds(assignment, notebook, STEP_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise CourseError(f"STEP_SECONDS of the checks of {assignment}/{notebook} must be a positive int")
    return seconds


def verdict_path(course: Course, student: str, assignment: str, notebook: str) -> Path:
    return course.verdicts / student / assignment / f"{notebook}.json"


def outputs_path(course: Course, student: str, assignment: str, notebook: str) -> Path:
    return course.verdicts / student / assignment / f"{notebook}.cells.json"


# ------------------------------------------------------------------ reference

def reference(course: Course, assignment: str, notebook: str) -> dict:
    """Expected data of every check of a notebook, from the instructor's package.

    Runs the worker (unsandboxed: this is the instructor's code) in reference
    mode. Raises CourseError if the reference fails one of its own checks'
    probes: that is a bug in the course, not in a submission.

    The result is kept in ``assignments/references/``, keyed by a digest of
    the package and the notebook, so that releasing and then grading an
    assignment computes it once; any change to the package computes it anew.
    """
    cache = course.course_dir / "references" / assignment / f"{notebook}-{_package_digest(course)}.npz"
    if cache.exists():
        try:
            return codec.load(cache)
        except codec.CodecError:
            cache.unlink(missing_ok=True)
    expected = _compute_reference(course, assignment, notebook)
    cache.parent.mkdir(parents=True, exist_ok=True)
    for stale in cache.parent.glob(f"{notebook}-*.npz"):
        stale.unlink(missing_ok=True)
    codec.save(cache, expected)  # atomic
    return expected


def _package_digest(course: Course) -> str:
    """Digest of the instructor's package sources (what the reference depends on)."""
    h = hashlib.sha256()
    for path in sorted(course.package.rglob("*")):
        rel = path.relative_to(course.package)
        if path.is_file() and not markup.skipped(rel) and rel.parts[:2] != ("checks", "expected"):
            h.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def _compute_reference(course: Course, assignment: str, notebook: str) -> dict:
    checks = checklib.load(assignment, notebook)
    with tempfile.TemporaryDirectory(prefix="cs231n-reference-") as out:
        write_job(Path(out), assignment=assignment, notebook=notebook, mode="reference",
                  step_seconds=10 * step_seconds_of(assignment, notebook))
        subprocess.run([sys.executable, str(course.package / "checks" / "worker.py"), out], cwd=course.root,
                       env=sandbox.environment({"MPLCONFIGDIR": str(Path(out) / "mpl"), "HOME": out}),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        failure = import_error(Path(out))
        expected = {}
        for check in checks:
            obs = failure or read_observation(Path(out), check.name)
            if not obs or obs.get("kind") != "value":
                raise CourseError(f"the reference solution fails the probe of {assignment}/{notebook} check "
                                  f"{check.name!r}: {obs}")
            expected[check.name] = obs["value"]
    return expected


# ------------------------------------------------------------------ one notebook

def _private_copy(course: Course, submission: Path, root: Path) -> Path:
    work = root / "work"
    shutil.copytree(submission, work, symlinks=False, ignore_dangling_symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    trusted = work / course.package.name / "checks"
    if trusted.is_symlink() or trusted.is_file():
        trusted.unlink()
    elif trusted.exists():
        shutil.rmtree(trusted)
    shutil.copytree(course.package / "checks", trusted,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "expected"))
    return work


def _step_name(step: str | None, checks: list) -> str:
    if not step:
        return "the grader's worker"
    kind, _, name = step.partition(":")
    if kind == "cell":
        return f"notebook cell {name}"
    if kind == "check":
        what = next((c.what for c in checks if c.name == name), name)
        return f"the check '{what}'"
    return "importing cs231n"


def _why(outcome: sandbox.Outcome) -> str:
    if outcome.stopped:
        return outcome.stopped
    if outcome.signal:
        return f"the process was killed by {outcome.signal}" + (
            " (memory or CPU limit, or a crash)" if outcome.signal in ("SIGKILL", "SIGSEGV", "SIGXCPU") else "")
    return f"the process exited with status {outcome.returncode} (os._exit or sys.exit?)"


def grade_notebook(course: Course, assignment: str, student: str, spec: Notebook, expected: dict,
                   limits: sandbox.Limits = sandbox.Limits(), execute: bool = True) -> dict:
    """Run and judge every check of one notebook of one submission; write and return the verdict.

    With ``execute=False`` the notebook's cells are not run, so only the
    package checks can pass (a quick check of package code).
    """
    checks = checklib.load(assignment, spec.name)
    submission = course.intake / student / assignment
    verdict = {"student": student, "assignment": assignment, "notebook": spec.name, "status": "graded",
               "problems": [], "seconds": 0.0, "cells": {}}
    t0 = time.monotonic()
    outputs = []
    if not (submission / f"{spec.name}.ipynb").exists():
        verdict["status"] = "missing"
        verdict["problems"].append(f"{spec.name}.ipynb is missing or cannot be read: its checks score 0")
        observations, missing = {}, f"{spec.name}.ipynb was not graded"
    else:
        with tempfile.TemporaryDirectory(prefix="cs231n-sandbox-") as tmp:
            work = _private_copy(course, submission, Path(tmp))
            out = Path(tmp) / "out"
            out.mkdir()
            observations, missing, outputs = _run_worker(spec, checks, work, out, limits, verdict, execute)
    for cell, points in spec.points.items():
        shares = checklib.points_of(checks, cell, points)
        entry = {"points": points, "score": 0.0, "checks": []}
        if not shares and points:
            verdict["problems"].append(f"the test cell {cell} has no checks: the course must define some")
        earned = 0.0
        for check in (c for c in checks if c.cell == cell):
            result = verdict_of(check, observations.get(check.name), expected[check.name], missing)
            earned += shares[check.name] * result.fraction
            entry["checks"].append({"name": check.name, "what": check.what, "hidden": check.hidden,
                                    "points": round(shares[check.name], 6),
                                    "score": round(shares[check.name] * result.fraction, 6),
                                    "passed": result.passed, "message": result.message})
        # a cell whose checks all pass scores its points exactly (thirds do not add up in floating point)
        passed = entry["checks"] and all(c["passed"] for c in entry["checks"])
        entry["score"] = points if passed else min(points, round(earned, 6))
        verdict["cells"][cell] = entry
    verdict["seconds"] = round(time.monotonic() - t0, 1)
    path = verdict_path(course, student, assignment, spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(verdict, indent=1, sort_keys=True))
    outputs_path(course, student, assignment, spec.name).write_text(json.dumps(outputs))
    return verdict


def _run_worker(spec: Notebook, checks: list, work: Path, out: Path, limits: sandbox.Limits, verdict: dict,
                execute: bool = True):
    skip: list[str] = []
    missing = "the check did not run"
    for attempt in range(RESTARTS + 1):
        (out / "events.jsonl").unlink(missing_ok=True)
        argv, inside_work, inside_out = sandbox.command(
            [sys.executable, "-B", "cs231n/checks/worker.py", str(out)], work, out, limits)
        if inside_out != out:
            argv[-1] = str(inside_out)
        done = [c.name for c in checks if (out / f"check-{c.name}.npz").exists()]
        write_job(out, assignment=verdict["assignment"], notebook=spec.name, mode="observe",
                  notebook_file=f"{spec.name}.ipynb" if execute else None, test_cells=list(spec.test_cells),
                  skip=skip, done=done, step_seconds=spec.step_seconds)

        first_seen: dict[str, float] = {}
        most_steps = len(checks) + _code_cells(work / f"{spec.name}.ipynb") + 2

        def watch():
            # The event log is written by a process that runs student code: its
            # times are not trusted, the grader's own clock times each step from
            # the first time it saw it, and a log with more steps than exist is forged.
            state = read_events(out)
            if state["starts"] > most_steps:
                return "its event log lists more steps than the notebook has (the log was forged)"
            step = state["step"]
            if step is not None:
                since = first_seen.setdefault(str(step), time.monotonic())
                if time.monotonic() - since > spec.step_seconds + 10:
                    return f"it ran longer than {spec.step_seconds} s and did not stop when interrupted"
            return ""

        outcome = sandbox.run(argv, work, out, limits, watch=watch,
                              env=sandbox.environment({"MPLCONFIGDIR": "/tmp/matplotlib"}))
        state = read_events(out)
        if state["finished"]:
            break
        if not state["ready"]:
            verdict["status"] = "infrastructure"
            verdict["problems"].append(f"the grader's worker did not start: {_why(outcome)}")
            missing = "not graded: the grader failed on this submission (see the problems above)"
            break
        culprit = state["step"]
        verdict["problems"].append(f"{_step_name(culprit, checks)} stopped the grading of this notebook: "
                                   f"{_why(outcome)}")
        if culprit is None or culprit == "import" or attempt == RESTARTS:
            missing = f"not run: {_step_name(culprit, checks)} stopped the grading of this notebook"
            break
        skip.append(culprit)
        if culprit.startswith("check:"):
            codec.save(out / f"check-{culprit[6:]}.npz", {
                "kind": "error", "exception": "Stopped", "where": "",
                "message": f"this check stopped the grader's process: {_why(outcome)}"})
    failure = import_error(out)
    observations = {c.name: failure or read_observation(out, c.name) for c in checks}
    return observations, missing, _cell_outputs(out)


def _code_cells(path: Path) -> int:
    try:
        return sum(c.get("cell_type") == "code" for c in json.loads(path.read_text())["cells"])
    except Exception:  # the intake vetted the notebook; a file it removed has no cells
        return 0


def _cell_outputs(out: Path) -> list[dict]:
    """The executed cells' output, validated: text and PNG figures only."""
    cells = []
    for path in sorted(out.glob("cell-*.npz")):
        try:
            data = codec.load(path)
            figures = [bytes(memoryview(f.astype("uint8"))) for f in data.get("figures", [])[:4]]
            error = data.get("error")
            cells.append({
                "sha": str(data["sha"])[:64], "stdout": str(data.get("stdout", ""))[:20_000],
                "error": None if not isinstance(error, dict) else
                {k: str(error.get(k, ""))[:500] for k in ("exception", "message", "where")},
                "figures": [base64.b64encode(f).decode() for f in figures
                            if f.startswith(PNG_MAGIC) and len(f) <= MAX_FIGURE_BYTES],
            })
        except (codec.CodecError, KeyError, TypeError, ValueError, AttributeError):
            continue  # a cell whose output cannot be read shows no output
    return cells
