"""Release an assignment: student notebooks and a student copy of ``cs231n``.

nbgrader's ``generate_assignment`` clears the notebooks; the package copy is
stripped here (nbgrader copies ``.py`` files byte for byte). The release is
then searched for any solution text, and a finding fails the release.
"""
from __future__ import annotations

import shutil

from cs231n import checks as checklib
from cs231n.checks import codec

from autograder import leaks, markup, verdicts
from autograder.course import ENVIRONMENT_FILES, Course, CourseError, run_nbgrader


def release_assignment(course: Course, assignment: str) -> list:
    """Generate ``release/<assignment>/`` and verify it holds no solution.

    Returns the list of released files. Raises CourseError if nbgrader fails
    or if solution text survives anywhere in the release.
    """
    number = markup.assignment_number(assignment)
    course.notebooks(assignment)  # fails clearly for an unknown assignment
    run_nbgrader(course, "generate_assignment", assignment, "--force")
    release = course.release(assignment)
    target = release / course.package.name
    if target.exists():
        shutil.rmtree(target)
    markup.strip_package(course.package, target, number)
    ship_expected(course, assignment, target / "checks" / "expected" / assignment)
    for name in ENVIRONMENT_FILES:  # students build the course environment from these
        shutil.copy(course.root / name, release / name)

    found = leaks.find_leaks(course.root, [release], assignment=number)
    if found:
        shutil.rmtree(release)  # nothing of a leaking release may be handed out
        listing = "\n".join(f"  {leak}" for leak in found[:20])
        raise CourseError(f"the release of {assignment} contains solution text; nothing may be handed out:\n{listing}")
    return sorted(p for p in release.rglob("*") if p.is_file())


def ship_expected(course: Course, assignment: str, folder) -> None:
    """What the public package checks expect, computed by the reference: students
    check their code against it with ``check(...)`` and ``python -m cs231n.checks``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in course.notebooks(assignment):
        expected = verdicts.reference(course, assignment, name)
        checks = checklib.load(assignment, name)
        weights: dict[str, float] = {}
        for c in checks:  # students see the points each public check is worth in the grader
            weights[c.cell] = weights.get(c.cell, 0.0) + c.weight
        public = {c.name: expected[c.name] for c in checks if not c.hidden and c.expect is None}
        codec.save(folder / f"{name}.npz", {"expected": public, "weights": weights})
