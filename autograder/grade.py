"""Grade every submission of an assignment with nbgrader, with the student's own package.

1. Intake: each ``submitted/<student>/<assignment>/`` is copied to
   ``intake/`` (``submitted/`` is never modified) and checked. A notebook
   that cannot be read, or that repeats a grade id (which aborts a whole
   nbgrader run), is set aside and scores 0; a package file the student
   deleted is replaced by the released stub, so the instructor's package is
   never imported in its place; syntax errors are reported with their line.
2. ``nbgrader autograde`` on the intake: the kernel starts in the student's
   folder, so ``import cs231n`` imports the student's copy. Endless loops
   cost the cell its points (per-cell timeout in ``nbgrader_config.py``).
3. ``nbgrader generate_feedback``, plus a ``summary.txt`` per student listing
   every check and what went wrong; the feedback is searched for hidden tests
   and instructor code before anyone sees it.
4. ``nbgrader export`` writes ``grades.csv``.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder import leaks, markup
from autograder.course import Course, CourseError, run_nbgrader

SUMMARY = "summary.txt"


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

    @property
    def auto_score(self) -> float:
        return sum(nb.auto_score for nb in self.notebooks)

    @property
    def auto_max(self) -> float:
        return sum(nb.auto_max for nb in self.notebooks)


def grade_assignment(course: Course, assignment: str) -> list[StudentResult]:
    """Autograde, give feedback and export grades for every submission.

    Raises CourseError only for problems of the course itself (no release, no
    submissions); a broken submission is graded and reported. Feedback that
    would show solution text or hidden tests is deleted and listed in the
    student's ``leaks``.
    """
    number = markup.assignment_number(assignment)
    if not course.release(assignment).exists():
        raise CourseError(f"{course.release(assignment)} does not exist: release {assignment} first")
    students = sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())
    if not students:
        raise CourseError(f"no submissions in {course.submitted}/<student>/{assignment}/")

    for stale in course.intake.glob(f"*/{assignment}"):
        shutil.rmtree(stale)  # a withdrawn submission must not be graded from an old intake
    results = {s: StudentResult(s, notes=prepare_intake(course, assignment, s)) for s in students}
    proc = run_nbgrader(course, "autograde", assignment, "--force",
                        "--CourseDirectory.submitted_directory=intake", check=False)
    run_nbgrader(course, "generate_feedback", assignment, "--force")

    with Gradebook(course.gradebook_url, "cs231n") as gb:
        for result in results.values():
            _read_scores(gb, assignment, result)
    secrets = leaks.collect_secrets(course.root, number)
    for result in results.values():
        if not result.graded:
            result.notes.append("nbgrader could not grade this submission; see assignments/autograder.log. "
                                + _log_excerpt(proc.stdout + proc.stderr, result.student))
        found = _withhold_leaking_feedback(course, assignment, secrets, result)
        if found:
            result.leaks = [str(leak) for leak in found]
        else:
            _write_summary(course, assignment, result)
    run_nbgrader(course, "export", "--to", str(course.course_dir / "grades.csv"))
    return [results[s] for s in students]


def prepare_intake(course: Course, assignment: str, student: str) -> list[str]:
    """Copy one submission to the intake and make it gradable; return notes for the student."""
    src = course.submitted / student / assignment
    dst = course.intake / student / assignment
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc"))
    notes = []
    for name in course.notebooks(assignment):
        path = dst / f"{name}.ipynb"
        if not path.exists():
            notes.append(f"{name}.ipynb is missing from the submission: its autograded parts score 0.")
            continue
        problem = notebook_problem(path)
        if problem:
            path.unlink()
            notes.append(f"{name}.ipynb cannot be graded ({problem}): its autograded parts score 0. "
                         "Your file is kept as you submitted it.")

    release = course.release(assignment)
    for path in sorted((release / course.package.name).rglob("*.py")):
        rel = path.relative_to(release)
        if not (dst / rel).exists():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dst / rel)
            notes.append(f"{rel.as_posix()} is missing from the submission: the released stub was graded in its place.")
    for path in sorted((dst / course.package.name).rglob("*.py")):
        try:
            compile(path.read_bytes(), str(path), "exec")
        except (SyntaxError, ValueError) as err:
            rel = path.relative_to(dst).as_posix()
            line = getattr(err, "lineno", None)
            notes.append(f"{rel}{f':{line}' if line else ''}: {type(err).__name__}: "
                         f"{getattr(err, 'msg', err)}; every check that imports it scores 0.")
    return notes


def notebook_problem(path: Path) -> str | None:
    """Why nbgrader cannot grade this notebook, or None if it can."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat's NotJSONError, ValidationError, UnicodeDecodeError, ...
        return f"not a valid notebook: {str(err).splitlines()[0]}"
    seen: set[str] = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in seen:
            return f"the graded cell {grade_id!r} appears twice"
        if grade_id:
            seen.add(grade_id)
    return None


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


def _log_excerpt(log: str, student: str) -> str:
    lines = [line for line in log.splitlines() if student in line and ("ERROR" in line or "error" in line.lower())]
    return lines[-1][-300:] if lines else ""


def _write_summary(course: Course, assignment: str, result: StudentResult) -> None:
    folder = course.feedback / result.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    out = [f"{assignment}: autograded score {result.auto_score:g} / {result.auto_max:g}", ""]
    if result.notes:
        out += ["Problems with the submission:"] + [f"  - {note}" for note in result.notes] + [""]
    for nb in result.notebooks:
        out.append(f"{nb.name}.ipynb: {nb.auto_score:g} / {nb.auto_max:g} autograded"
                   + (f", {nb.manual_max:g} points of written answers graded by hand" if nb.manual_max else ""))
        for grade_id, score, max_score in nb.checks:
            verdict = "passed" if score == max_score else ("partly passed" if score else "FAILED")
            out.append(f"    {grade_id:<36} {score:g} / {max_score:g}  {verdict}")
    out += ["", "The notebooks' HTML files beside this summary show each check's output."]
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
               str(len(r.notes)) if r.notes else ""]
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
