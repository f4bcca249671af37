"""Seconds to grade one Assignment 1 submission, and how much of it is nbgrader start-up.

Grades the reference example submission in a scratch copy of the course and
times an nbgrader command that does nothing (``nbgrader --version``) in the
same run as the baseline for start-up cost. Prints figures; never fails on time.

    python benchmarks/bench_grade.py [assignment1]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from autograder.course import copy_course, run_nbgrader
from autograder.examples import build_example, load_examples
from autograder.grade import grade_assignment
from autograder.release import release_assignment

NBGRADER_COMMANDS_PER_GRADE = 3  # autograde, generate_feedback, export


def main(assignment: str = "assignment1") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(Path(tmp))
        t0 = time.perf_counter()
        release_assignment(course, assignment)
        t_release = time.perf_counter() - t0

        starts = []
        for _ in range(3):
            t0 = time.perf_counter()
            run_nbgrader(course, "--version")
            starts.append(time.perf_counter() - t0)
        startup = min(starts)

        reference = next(e for e in load_examples(course, assignment) if e.expect == "full")
        build_example(course, assignment, reference, course.submitted / reference.student / assignment)
        t0 = time.perf_counter()
        (result,) = grade_assignment(course, assignment)
        t_grade = time.perf_counter() - t0

    overhead = NBGRADER_COMMANDS_PER_GRADE * startup
    print(f"{'step':<44}{'seconds':>10}")
    print(f"{'release ' + assignment:<44}{t_release:>10.1f}")
    print(f"{'nbgrader start-up (no-op command, best of 3)':<44}{startup:>10.1f}")
    print(f"{'grade one submission (all notebooks)':<44}{t_grade:>10.1f}")
    print(f"{'  of which nbgrader start-ups (3 commands)':<44}{overhead:>10.1f}  ({100 * overhead / t_grade:.0f}%)")
    print(f"score {result.auto_score:g}/{result.auto_max:g}")


if __name__ == "__main__":
    main(*sys.argv[1:])
