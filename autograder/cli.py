"""Instructor commands: ``python -m autograder {release,examples,grade,course,check-leaks}``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import leaks
from autograder.course import REPO_ROOT, Course, CourseError
from autograder.examples import stage_examples
from autograder.grade import format_table, grade_assignment, meets_expectation, parse_shard
from autograder.release import release_assignment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--root", type=Path, default=REPO_ROOT,
                        help="course checkout holding cs231n/ and assignments/ (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("release", "generate release/<assignment>/: notebooks and a student copy of cs231n, checked for leaks"),
        ("examples", "put the bundled example submissions into submitted/"),
        ("grade", "autograde submitted/*/<assignment>, write feedback and grades.csv, print the grade table"),
        ("course", "release, stage the examples and grade them: the whole instructor pipeline"),
    ]:
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("assignments", nargs="+", metavar="assignment")
        if name in ("grade", "course"):
            cmd.add_argument("--jobs", "-j", type=int, default=1, help="notebooks checked at once (default 1)")
        if name == "grade":
            cmd.add_argument("--shard", metavar="I/N", help="check only every N-th submission, starting at the "
                             "I-th, and record nothing (for spreading a large class over machines)")
            cmd.add_argument("--record", action="store_true", help="record the verdicts the shards wrote: "
                             "gradebook, feedback, grades.csv, report")
    scan = sub.add_parser("check-leaks", help="search files or folders (a built book, say) for solution text")
    scan.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    course = Course(args.root.resolve())

    try:
        if args.command == "check-leaks":
            found = leaks.find_leaks(course.root, args.paths)
            for leak in found:
                print(leak)
            print(f"{len(found)} leak(s) found in {', '.join(map(str, args.paths))}")
            return 1 if found else 0
        ok = True
        options = {k: getattr(args, k, None) for k in ("jobs", "shard", "record")}
        for assignment in args.assignments:
            ok &= _run(course, args.command, assignment, **options)
        if args.command == "course":
            book = course.root / "_build" / "html" / "index.html"
            print(f"\nBook:     {book if book.exists() else 'not built (make book)'}")
            print(f"Feedback: {course.feedback}/<student>/<assignment>/ (summary.txt and one HTML per notebook)")
            print(f"Grades:   {course.course_dir / 'grades.csv'}")
        return 0 if ok else 1
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _run(course: Course, command: str, assignment: str, jobs=None, shard=None, record=None) -> bool:
    if command in ("release", "course"):
        files = release_assignment(course, assignment)
        print(f"released {assignment}: {len(files)} files in {course.release(assignment)} (no solution text found)")
    examples = []
    if command in ("examples", "course"):
        examples = stage_examples(course, assignment)
        print(f"staged {len(examples)} example submissions of {assignment} in {course.submitted}")
    if command not in ("grade", "course"):
        return True
    results = grade_assignment(course, assignment, jobs=jobs or 1, shard=parse_shard(shard) if shard else None,
                               record_only=bool(record))
    if shard:
        return True
    expected = {e.student: e.expect for e in examples}
    print()
    print(format_table(assignment, results, expected))
    for result in results:
        for note in result.notes:
            print(f"  {result.student}: {note}")
    ungraded = [r.student for r in results if not r.graded or r.infrastructure]
    missed = [r.student for r in results if r.student in expected and not meets_expectation(r, expected[r.student])]
    withheld = [r for r in results if r.leaks]
    for r in withheld:
        print(f"feedback of {r.student} withheld, it would show:\n  " + "\n  ".join(r.leaks[:10]), file=sys.stderr)
    if ungraded:
        print(f"the grader failed on: {', '.join(ungraded)} (see the report)", file=sys.stderr)
    print(f"Report:   {course.report(assignment) / 'report.html'}")
    if missed:
        print(f"examples that did not score as expected: {', '.join(missed)}", file=sys.stderr)
    return not ungraded and not missed and not withheld
