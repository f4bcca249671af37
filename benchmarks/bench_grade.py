"""Sandboxed grading against plain nbgrader, and 2 workers against 1.

In one run, on scratch copies of the course holding the same N copies of the
reference submission:

- baseline: plain ``nbgrader autograde`` (nbgrader's own ``Execute``: the
  notebooks run in a kernel and their test cells call the checks in-process,
  the untrusted way), one command for all N submissions;
- the course's grader (``grade_assignment``): sandboxed workers, verdicts
  judged outside student code, then recorded by ``nbgrader autograde``,
  ``generate_feedback`` and ``export``, with ``--jobs 1`` and ``--jobs 2``.

Prints seconds per submission, submissions per minute and the ratios (goals:
sandboxed <= 1.2x plain nbgrader, 2 workers >= 1.8x one). Never fails on time.

    python benchmarks/bench_grade.py [N=2] [ASSIGNMENT=assignment1]

The time to grade one submission of an assignment is its "s/submission" row.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.course import copy_course, run_nbgrader
from autograder.examples import build_example, load_examples
from autograder.grade import grade_assignment
from autograder.release import release_assignment

PLAIN_CONFIG = '''
# nbgrader's own autograde pipeline: execute the notebooks in a kernel.
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.ExecutePreprocessor.timeout = 120  # the longest step limit of any notebook
'''


def _course(tmp: Path, n: int, assignment: str):
    course = copy_course(tmp)
    release_assignment(course, assignment)
    reference = next(e for e in load_examples(course, assignment) if e.expect == "full")
    first = course.submitted / "student00" / assignment
    build_example(course, assignment, reference, first)
    for i in range(1, n):
        shutil.copytree(first, course.submitted / f"student{i:02d}" / assignment)
    return course


def main(n: int = 2, assignment: str = "assignment1") -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        course = _course(Path(tmp) / "plain", n, assignment)
        with open(course.course_dir / "nbgrader_config.py", "a") as f:
            f.write(PLAIN_CONFIG)
        t0 = time.perf_counter()
        run_nbgrader(course, "autograde", assignment, "--force")
        with Gradebook(course.gradebook_url, "cs231n") as gb:
            plain_scores = {gb.find_submission(assignment, f"student{i:02d}").code_score for i in range(n)}
        rows.append(("plain nbgrader autograde (in-process checks)", time.perf_counter() - t0))

        for jobs in (1, 2):
            course = _course(Path(tmp) / f"jobs{jobs}", n, assignment)
            t0 = time.perf_counter()
            results = grade_assignment(course, assignment, jobs=jobs, log=lambda *_: None)
            rows.append((f"sandboxed grader, {jobs} worker{'s' * (jobs > 1)}", time.perf_counter() - t0))
            scores = {r.auto_score for r in results}
            assert len(scores) == 1, f"the copies of one submission scored differently: {scores}"
            assert scores == plain_scores, f"the graders disagree: {scores} vs plain nbgrader {plain_scores}"

    print(f"{n} copies of the reference submission of {assignment}")
    print(f"{'grader':<48}{'s/submission':>14}{'subs/min':>10}")
    for name, seconds in rows:
        print(f"{name:<48}{seconds / n:>14.1f}{60 * n / seconds:>10.2f}")
    plain, one, two = (s for _, s in rows)
    print(f"sandboxed / plain nbgrader: {one / plain:.2f}x the time (goal <= 1.2x)")
    print(f"2 workers / 1 worker: {one / two:.2f}x the throughput (goal >= 1.8x)")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 2, *args[1:2])
