"""Bundled example submissions, built from the source and the release.

``assignments/examples/<assignment>.toml`` describes each example student as
a base plus edits, so the examples follow the reference solution as it
changes instead of freezing a copy of it::

    [buggy]
    from = "solution"          # or "release": the untouched student copy
    expect = "partial"         # "full", "zero" or "partial" autograded marks
    about = "what is wrong with it"
    [[buggy.edit]]             # replace text that occurs exactly once
    file = "cs231n/classifiers/softmax.py"
    old = "..."
    new = "..."
    remove = ["knn.ipynb"]     # files to delete
    [[buggy.write]]            # files to (over)write verbatim
    file = "svm.ipynb"
    text = "{ not json"
"""
from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import markup
from autograder.course import Course, CourseError

EXPECTATIONS = ("full", "zero", "partial")


@dataclass(frozen=True)
class Example:
    student: str
    base: str
    expect: str
    about: str
    edits: list = field(default_factory=list)
    remove: list = field(default_factory=list)
    writes: list = field(default_factory=list)


def load_examples(course: Course, assignment: str) -> list[Example]:
    path = course.examples / f"{assignment}.toml"
    if not path.exists():
        return []
    examples = []
    for student, spec in tomllib.loads(path.read_text()).items():
        base, expect = spec.get("from"), spec.get("expect")
        if base not in ("solution", "release") or expect not in EXPECTATIONS:
            raise CourseError(f"{path} [{student}]: 'from' must be solution or release and 'expect' one of {EXPECTATIONS}")
        examples.append(Example(student, base, expect, spec.get("about", ""), spec.get("edit", []),
                                spec.get("remove", []), spec.get("write", [])))
    return examples


def build_example(course: Course, assignment: str, example: Example, dest: Path) -> Path:
    """Write ``example`` as a submission folder ``dest`` (replaced if present)."""
    if dest.exists():
        shutil.rmtree(dest)
    if example.base == "release":
        release = course.release(assignment)
        if not release.exists():
            raise CourseError(f"{release} does not exist: release {assignment} first")
        shutil.copytree(release, dest)
    else:
        dest.mkdir(parents=True)
        for path in course.source(assignment).glob("*.ipynb"):
            nbformat.write(_answered(nbformat.read(path, as_version=4)), dest / path.name)
        # this assignment solved, later ones as stubs
        markup.strip_package(course.package, dest / course.package.name, markup.assignment_number(assignment) + 1)

    where = f"example {example.student!r} of {assignment}"
    for edit in example.edits:
        _apply_edit(dest / edit["file"], edit["old"], edit["new"], where)
    for rel in example.remove:
        target = dest / rel
        if not target.exists():
            raise CourseError(f"{where}: cannot remove {rel}, it does not exist")
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    for write in example.writes:
        (dest / write["file"]).write_text(write["text"])
    return dest


def _answered(nb):
    """A source notebook as a perfect student would submit it: solution
    markers gone (their code kept), hidden tests gone (students never see them)."""
    for cell in nb.cells:
        kept, hidden = [], False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                hidden = True
            elif "END HIDDEN TESTS" in line:
                hidden = False
            elif not hidden and "BEGIN SOLUTION" not in line and "END SOLUTION" not in line:
                kept.append(line)
        cell.source = "\n".join(kept)
    return nb


def _apply_edit(path: Path, old: str, new: str, where: str) -> None:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        count = sum(cell.source.count(old) for cell in nb.cells)
        _check_once(count, old, path, where)
        for cell in nb.cells:
            cell.source = cell.source.replace(old, new)
        nbformat.write(nb, path)
    else:
        text = path.read_text()
        _check_once(text.count(old), old, path, where)
        path.write_text(text.replace(old, new))


def _check_once(count: int, old: str, path: Path, where: str) -> None:
    if count != 1:
        raise CourseError(f"{where}: the text to replace occurs {count} times in {path.name}, not once: {old[:60]!r}")


def stage_examples(course: Course, assignment: str) -> list[Example]:
    """Put every example of ``assignment`` into ``submitted/<student>/<assignment>/``."""
    examples = load_examples(course, assignment)
    for example in examples:
        build_example(course, assignment, example, course.submitted / example.student / assignment)
    return examples
