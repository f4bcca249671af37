"""Grade every submission of an assignment: sandboxed checks, nbgrader's gradebook.

1. Intake: each ``submitted/<student>/<assignment>/`` is copied to
   ``intake/`` (``submitted/`` is never modified) and checked. A notebook
   that cannot be read is set aside and scores 0; a graded cell that appears
   twice is kept once and its checks score 0; a package file the student
   deleted is replaced by the released stub; syntax errors are reported with
   their line.
2. Verdicts (:mod:`autograder.verdicts`): every notebook's checks run in a
   sandbox, one worker per notebook, ``jobs`` at a time; their output is
   judged here, outside student code, against the reference.
3. ``nbgrader autograde`` records the verdicts in the gradebook (its
   ``Execute`` step is replaced by :class:`autograder.feedback.InsertVerdicts`:
   no student code runs in it), ``generate_feedback`` writes the feedback, and
   a ``summary.txt`` per student lists every check; feedback is searched for
   hidden tests and instructor code before anyone sees it.
4. ``nbgrader export`` writes ``grades.csv``; :mod:`autograder.report` writes
   the instructor report.

A large class can be split: ``shard=(i, n)`` runs steps 1-2 for every n-th
submission only (on as many machines as there are shards, sharing or copying
back ``intake/`` and ``verdicts/``), and ``record_only=True`` runs steps 3-4
on everything the shards produced.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder import feedback, leaks, markup, report, sandbox, verdicts
from autograder.course import Course, CourseError, run_nbgrader

SUMMARY = "summary.txt"
INTAKE_NOTES = "intake.json"


@dataclass
class NotebookResult:
    name: str
    auto_score: float
    auto_max: float
    manual_max: float
    checks: list[tuple[str, float, float]]  # (grade id, score, max) of autograded cells


@dataclass
class StudentResult:
    student: str
    notes: list[str] = field(default_factory=list)
    notebooks: list[NotebookResult] = field(default_factory=list)
    graded: bool = False
    leaks: list[str] = field(default_factory=list)  # why this student's feedback was withheld
    infrastructure: list[str] = field(default_factory=list)  # where the grader itself failed

    @property
    def auto_score(self) -> float:
        return sum(nb.auto_score for nb in self.notebooks)

    @property
    def auto_max(self) -> float:
        return sum(nb.auto_max for nb in self.notebooks)


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4)."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise CourseError(f"a shard looks like 2/4 (the second of four), got {text!r}") from None
    if not 1 <= i <= n:
        raise CourseError(f"shard {text}: the first number must be between 1 and {n}")
    return i, n


def submissions(course: Course, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())


def grade_assignment(course: Course, assignment: str, jobs: int = 1, shard: tuple[int, int] | None = None,
                     record_only: bool = False, limits: sandbox.Limits = sandbox.Limits(),
                     log=print) -> list[StudentResult]:
    """Grade, record, give feedback and export grades for every submission.

    With ``shard``, only the shard's submissions are checked and nothing is
    recorded (returns []); with ``record_only``, the verdicts the shards wrote
    are recorded. Raises CourseError only for problems of the course itself;
    a broken or hostile submission is graded and reported.
    """
    if not course.release(assignment).exists():
        raise CourseError(f"{course.release(assignment)} does not exist: release {assignment} first")
    students = submissions(course, assignment)
    if not students:
        raise CourseError(f"no submissions in {course.submitted}/<student>/{assignment}/")
    for warning in sandbox.warnings():
        log(f"warning: {warning}")
    if not record_only:
        mine = students if shard is None else students[shard[0] - 1::shard[1]]
        check_submissions(course, assignment, mine, jobs, limits, log)
        if shard is not None:
            log(f"shard {shard[0]}/{shard[1]}: checked {len(mine)} of {len(students)} submissions; "
                f"record them with: python -m autograder grade {assignment} --record")
            return []
    return record(course, assignment, students)


def check_submissions(course: Course, assignment: str, students: list[str], jobs: int,
                      limits: sandbox.Limits, log=print) -> None:
    """Intake and sandboxed checks of ``students``: writes ``verdicts/<student>/<assignment>/``."""
    names = course.notebooks(assignment)
    specs = {name: verdicts.notebook_spec(course, assignment, name) for name in names}
    expected = {name: verdicts.reference(course, assignment, name) for name in names}
    forfeits = {}
    for student in students:
        for stale in (course.intake / student / assignment, course.verdicts / student / assignment):
            if stale.exists():
                shutil.rmtree(stale)  # a withdrawn or resubmitted notebook must not be graded from old files
        notes, forfeits[student] = prepare_intake(course, assignment, student)
        folder = course.verdicts / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / INTAKE_NOTES).write_text(json.dumps({"notes": notes, "forfeit": forfeits[student]}))

    def one(task):
        student, name = task
        verdict = verdicts.grade_notebook(course, assignment, student, specs[name], expected[name], limits)
        for cell in forfeits[student].get(name, []):
            _forfeit(verdict, cell)
        verdicts.verdict_path(course, student, assignment, name).write_text(json.dumps(verdict, indent=1, sort_keys=True))
        return verdict

    tasks = [(s, n) for s in students for n in names]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for verdict in pool.map(one, tasks):
            score = sum(c["score"] for c in verdict["cells"].values())
            top = sum(c["points"] for c in verdict["cells"].values())
            log(f"  {verdict['student']}/{verdict['notebook']}: {score:g}/{top:g} in {verdict['seconds']:g} s"
                + (f" ({verdict['status']})" if verdict["status"] != "graded" else ""))


def _forfeit(verdict: dict, cell: str) -> None:
    entry = verdict["cells"].get(cell)
    if not entry:
        return
    entry["score"] = 0.0
    for check in entry["checks"]:
        check.update(score=0.0, passed=False,
                     message=f"the graded cell {cell} appears more than once in your notebook: its checks score 0")


def record(course: Course, assignment: str, students: list[str]) -> list[StudentResult]:
    """Put the verdicts in nbgrader's gradebook, write feedback, grades.csv and the report."""
    results = {}
    names = course.notebooks(assignment)
    for student in students:
        folder = course.verdicts / student / assignment
        result = results[student] = StudentResult(student)
        notes_file = folder / INTAKE_NOTES
        if not notes_file.exists() or not (course.intake / student / assignment).exists():
            result.infrastructure.append("this submission was not checked by any shard")
            continue
        result.notes = json.loads(notes_file.read_text())["notes"]
        for name in names:
            path = verdicts.verdict_path(course, student, assignment, name)
            verdict = json.loads(path.read_text()) if path.exists() else {"status": "infrastructure", "problems": [
                f"{name}: no verdict was written"]}
            if verdict["status"] == "infrastructure":
                result.infrastructure += verdict["problems"]
    proc = run_nbgrader(course, "autograde", assignment, "--force",
                        "--CourseDirectory.submitted_directory=intake", check=False)
    run_nbgrader(course, "generate_feedback", assignment, "--force")
    with Gradebook(course.gradebook_url, "cs231n") as gb:
        for result in results.values():
            _read_scores(gb, assignment, result)
    secrets = leaks.collect_secrets(course.root, markup.assignment_number(assignment))
    for result in results.values():
        if not result.graded:
            result.infrastructure.append("nbgrader could not record this submission; see assignments/autograder.log. "
                                         + _log_excerpt(proc.stdout + proc.stderr, result.student))
        result.infrastructure += _unrecorded(course, assignment, result)
        found = _withhold_leaking_feedback(course, assignment, secrets, result)
        if found:
            result.leaks = [str(leak) for leak in found]
        else:
            _write_summary(course, assignment, result)
    run_nbgrader(course, "export", "--to", str(course.course_dir / "grades.csv"))
    report.write_report(course.verdicts, assignment, course.report(assignment))
    return [results[s] for s in students]


def prepare_intake(course: Course, assignment: str, student: str) -> tuple[list[str], dict[str, list[str]]]:
    """Copy one submission to the intake and make it gradable.

    Returns notes for the student, and per notebook the graded cells whose
    checks score 0 because the cell appears more than once. A submission that
    cannot be read at all is noted and graded as empty.
    """
    dst = course.intake / student / assignment
    try:
        return _intake(course, assignment, student, dst)
    except Exception as err:  # whatever a submission holds, it must not stop the class's grading
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True, exist_ok=True)
        return [f"the submission could not be read ({type(err).__name__}: {str(err)[:200]}): it scores 0."], {}


def _regular(folder, names):
    """copytree's ignore: everything but files, folders and links (FIFOs, sockets, devices)."""
    skipped = []
    for name in names:
        mode = os.lstat(os.path.join(folder, name)).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            skipped.append(name)
    return skipped + [n for n in names if n in ("__pycache__", ".ipynb_checkpoints") or n.endswith(".pyc")]


def _intake(course: Course, assignment: str, student: str, dst: Path):
    src = course.submitted / student / assignment
    shutil.copytree(src, dst, symlinks=True, ignore=_regular)
    for link in [p for p in dst.rglob("*") if p.is_symlink()]:
        link.unlink()  # a link could point at another submission or the instructor's files
    notes, forfeit = [], {}
    release = course.release(assignment)
    for name in course.notebooks(assignment):
        path = dst / f"{name}.ipynb"
        if path.is_dir():
            shutil.rmtree(path)
            notes.append(f"{name}.ipynb is a folder, not a notebook: its autograded parts score 0.")
            continue
        if not path.exists():
            notes.append(f"{name}.ipynb is missing from the submission: its autograded parts score 0.")
            continue
        problem = notebook_problem(path)
        if problem:
            path.unlink()
            notes.append(f"{name}.ipynb cannot be graded ({problem}): its autograded parts score 0. "
                         "Your file is kept as you submitted it.")
            continue
        duplicated = drop_duplicate_cells(path)
        if duplicated:
            forfeit[name] = duplicated
            notes.append(f"{name}.ipynb: the graded cell(s) {', '.join(duplicated)} appear more than once; "
                         "the first copy was kept and their checks score 0.")
        notes += restore_graded_cells(path, release / f"{name}.ipynb")

    for path in sorted((release / course.package.name).rglob("*.py")):
        rel = path.relative_to(release)
        target = dst / rel
        if target.exists() and not target.is_file():
            shutil.rmtree(target)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            notes.append(f"{rel.as_posix()} is missing from the submission: the released stub was graded in its place.")
    for path in sorted((dst / course.package.name).rglob("*.py")):
        if not path.is_file():
            continue
        try:
            compile(path.read_bytes(), str(path), "exec")
        except (SyntaxError, ValueError) as err:
            rel = path.relative_to(dst).as_posix()
            line = getattr(err, "lineno", None)
            notes.append(f"{rel}{f':{line}' if line else ''}: {type(err).__name__}: "
                         f"{getattr(err, 'msg', err)}; every check that imports it scores 0.")
    return notes, forfeit


def notebook_problem(path: Path) -> str | None:
    """Why this file cannot be graded as a notebook, or None if it can."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat's NotJSONError, ValidationError, UnicodeDecodeError, ...
        return f"not a valid notebook: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is not None and (not isinstance(meta, dict) or not isinstance(meta.get("grade_id", ""), str)):
            return "a cell's nbgrader metadata was edited into something nbgrader cannot read"
    return None


GRADER_FIELDS = ("grade", "solution", "locked", "task", "points", "grade_id")  # not the checksum: answers change it


def restore_graded_cells(path: Path, released: Path) -> list[str]:
    """Make a notebook's graded cells those of the release: deleted ones come back
    (nbgrader 0.9.6 cannot always restore them itself), edited nbgrader metadata is
    reset, and nbgrader metadata on cells the release does not grade is dropped."""
    if not released.exists():
        return []
    nb = nbformat.read(path, as_version=4)
    ref = nbformat.read(released, as_version=4)
    ref_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in ref.cells]
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in ref.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    notes, changed = [], False
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id")
        if grade_id not in by_id:
            del cell.metadata["nbgrader"]
            changed = True
            continue
        want = by_id[grade_id].metadata["nbgrader"]
        if any(meta.get(k) != want.get(k) for k in GRADER_FIELDS) or cell.cell_type != by_id[grade_id].cell_type:
            cell.metadata["nbgrader"] = dict(want)
            notes.append(f"{path.name}: the nbgrader metadata of cell {grade_id} was changed; the release's was put back.")
            if cell.cell_type != by_id[grade_id].cell_type:
                cell.update({k: v for k, v in by_id[grade_id].items() if k != "id"})
            changed = True
    have = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for i, grade_id in enumerate(ref_ids):
        if grade_id and grade_id not in have:
            earlier = set(ref_ids[:i]) - {None}  # after the last graded cell that precedes it in the release
            position = max((j + 1 for j, c in enumerate(nb.cells)
                            if c.metadata.get("nbgrader", {}).get("grade_id") in earlier), default=0)
            restored = nbformat.from_dict(dict(by_id[grade_id]))
            if "id" in restored and any(c.get("id") == restored["id"] for c in nb.cells):
                restored["id"] = f"restored-{grade_id}"
            nb.cells.insert(position, restored)
            have.add(grade_id)
            notes.append(f"{path.name}: the graded cell {grade_id} was deleted; the release's was put back.")
            changed = True
    if changed:
        nbformat.write(nb, path)
    return notes


def drop_duplicate_cells(path: Path) -> list[str]:
    """Keep the first of the cells sharing a grade id (a duplicate aborts nbgrader); return those ids."""
    nb = nbformat.read(path, as_version=4)
    seen, duplicated, kept = set(), [], []
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and grade_id in seen:
            duplicated.append(grade_id) if grade_id not in duplicated else None
            continue
        seen.add(grade_id)
        kept.append(cell)
    if duplicated:
        nb.cells = kept
        nbformat.write(nb, path)
    return duplicated


def _read_scores(gb: Gradebook, assignment: str, result: StudentResult) -> None:
    try:
        submission = gb.find_submission(assignment, result.student)
    except MissingEntry:
        return
    result.graded = any(grade.auto_score is not None for nb in submission.notebooks for grade in nb.grades)
    for nb in sorted(submission.notebooks, key=lambda n: n.name):
        checks = [
            (grade.name, grade.score, grade.max_score)
            for grade in sorted(nb.grades, key=lambda g: g.name)
            if grade.cell.cell_type == "code"
        ]
        result.notebooks.append(NotebookResult(nb.name, nb.code_score, nb.max_code_score, nb.max_written_score, checks))


def _unrecorded(course: Course, assignment: str, result: StudentResult) -> list[str]:
    """Where the gradebook disagrees with the verdicts (nbgrader failed on a notebook)."""
    recorded = {nb.name: nb.auto_score for nb in result.notebooks}
    problems = []
    for name in course.notebooks(assignment):
        path = verdicts.verdict_path(course, result.student, assignment, name)
        if not path.exists() or not result.graded:
            continue
        verdict = json.loads(path.read_text())
        if verdict["status"] != "graded":
            continue
        earned = round(sum(cell["score"] for cell in verdict["cells"].values()), 6)
        if name not in recorded or abs(recorded[name] - earned) > 1e-6:
            problems.append(f"{name}: the verdicts give {earned:g} points but nbgrader recorded "
                            f"{recorded.get(name, 'nothing')}; see assignments/autograder.log")
    return problems


def _log_excerpt(log: str, student: str) -> str:
    lines = [line for line in log.splitlines() if student in line and ("ERROR" in line or "error" in line.lower())]
    return lines[-1][-300:] if lines else ""


def _write_summary(course: Course, assignment: str, result: StudentResult) -> None:
    folder = course.feedback / result.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    out = [f"{assignment}: autograded score {result.auto_score:g} / {result.auto_max:g}", ""]
    problems = result.notes + result.infrastructure
    if problems:
        out += ["Problems with the submission:"] + [f"  - {note}" for note in problems] + [""]
    for nb in result.notebooks:
        out.append(f"{nb.name}.ipynb: {nb.auto_score:g} / {nb.auto_max:g} autograded"
                   + (f", {nb.manual_max:g} points of written answers graded by hand" if nb.manual_max else ""))
        path = verdicts.verdict_path(course, result.student, assignment, nb.name)
        verdict = json.loads(path.read_text()) if path.exists() else {"cells": {}, "problems": []}
        out += [f"  ! {problem}" for problem in verdict["problems"]]
        for grade_id, score, max_score in nb.checks:
            state = "passed" if score == max_score else ("partly passed" if score else "FAILED")
            out.append(f"  {grade_id:<36} {score:g} / {max_score:g}  {state}")
            for check in verdict["cells"].get(grade_id, {}).get("checks", []):
                out.append("      " + feedback.check_line(check))
    out += ["", "The notebooks' HTML files beside this summary show the same verdicts in each test cell."]
    (folder / SUMMARY).write_text("\n".join(out) + "\n")


def _withhold_leaking_feedback(course: Course, assignment: str, secrets: list, result: StudentResult) -> list:
    """Delete a student's feedback if it shows anything the student did not write."""
    folder = course.feedback / result.student / assignment
    own = "\n".join(leaks.read_target(p) for p in leaks.iter_files([course.submitted / result.student / assignment]))
    found = leaks.find_leaks(course.root, [folder], allowed=own, secrets=secrets)
    if found:
        shutil.rmtree(folder)
    return found


def format_table(assignment: str, results: list[StudentResult], expected: dict[str, str] | None = None) -> str:
    """A plain-text grade table: autograded points per notebook and in total."""
    expected = expected or {}
    names = sorted({nb.name for r in results for nb in r.notebooks})
    header = ["student", *names, "autograded", "manual", "notes"] + (["expected"] if expected else [])
    rows = [header]
    for r in results:
        by_name = {nb.name: nb for nb in r.notebooks}
        cells = [f"{by_name[n].auto_score:g}/{by_name[n].auto_max:g}" if n in by_name else "-" for n in names]
        manual = sum(nb.manual_max for nb in r.notebooks)
        row = [r.student, *cells, f"{r.auto_score:g}/{r.auto_max:g}", f"{manual:g} pts to grade",
               str(len(r.notes) + len(r.infrastructure)) if r.notes or r.infrastructure else ""]
        if expected:
            row.append(_expectation(r, expected.get(r.student)))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return f"{assignment}\n" + "\n".join(lines)


def meets_expectation(result: StudentResult, expect: str | None) -> bool:
    score, top = result.auto_score, result.auto_max
    return {
        "full": top > 0 and score == top,
        "zero": score == 0,
        "partial": 0 < score < top,
        None: True,
    }[expect]


def _expectation(result: StudentResult, expect: str | None) -> str:
    if expect is None:
        return ""
    return f"{expect}: {'ok' if meets_expectation(result, expect) else 'NOT MET'}"
