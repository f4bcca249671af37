"""Grading the bundled example submissions end to end through nbgrader."""
import csv
import hashlib
import json
import shutil

import pytest

from autograder import leaks
from autograder.course import copy_course
from autograder.examples import stage_examples
from autograder.grade import SUMMARY, grade_assignment, meets_expectation, notebook_problem
from autograder.release import release_assignment

pytestmark = pytest.mark.e2e
A1 = "assignment1"


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    release_assignment(course, A1)
    examples = {e.student: e for e in stage_examples(course, A1)}
    before = _digest(course.submitted)
    results = {r.student: r for r in grade_assignment(course, A1, jobs=2)}
    return course, examples, results, before


def test_the_bundled_examples_cover_the_cases(graded):
    _, examples, _, _ = graded
    assert {"reference", "release", "buggy", "broken", "endless_loop"} <= set(examples)


def test_every_example_scores_as_it_should(graded):
    _, examples, results, _ = graded
    for name, example in examples.items():
        result = results[name]
        assert result.graded, name
        assert meets_expectation(result, example.expect), (name, example.expect, result.auto_score, result.auto_max)


def test_reference_gets_full_marks_on_every_notebook(graded):
    course, _, results, _ = graded
    ref = results["reference"]
    assert {nb.name for nb in ref.notebooks} == set(course.notebooks(A1))
    for nb in ref.notebooks:
        assert nb.auto_max > 0 and nb.auto_score == nb.auto_max, nb
    assert ref.notes == []


def test_untouched_release_scores_zero_without_breaking_the_run(graded):
    _, _, results, _ = graded
    release = results["release"]
    assert release.graded and release.auto_score == 0
    assert release.auto_max == results["reference"].auto_max


def test_buggy_submission_is_graded_with_its_own_package(graded):
    course, _, results, _ = graded
    buggy = results["buggy"]
    assert 0 < buggy.auto_score < buggy.auto_max
    failed = [grade_id for nb in buggy.notebooks for grade_id, score, top in nb.checks if score < top]
    assert failed
    summary = (course.feedback / "buggy" / A1 / SUMMARY).read_text()
    for grade_id in failed:
        assert f"{grade_id}" in summary and "FAILED" in summary


def test_broken_submission_loses_only_the_broken_parts(graded):
    course, examples, results, _ = graded
    broken, ref = results["broken"], results["reference"]
    notes = " ".join(broken.notes)
    assert "knn.ipynb cannot be graded" in notes
    assert "is missing from the submission" in notes
    assert "SyntaxError" in notes
    by_name = {nb.name: nb for nb in broken.notebooks}
    assert by_name["knn"].auto_score == 0
    full = [nb.name for nb in broken.notebooks if nb.auto_score == nb.auto_max]
    assert full, "the intact notebooks of a broken submission must still earn their points"
    assert "knn.ipynb cannot be graded" in (course.feedback / "broken" / A1 / SUMMARY).read_text()


def test_endless_loop_costs_only_the_cells_that_hang(graded):
    _, _, results, _ = graded
    looped, ref = results["endless_loop"], results["reference"]
    lost = [nb.name for nb in looped.notebooks if nb.auto_score < nb.auto_max]
    assert len(lost) == 1
    assert looped.auto_score > 0.5 * ref.auto_max


def test_submitted_folder_is_never_modified(graded):
    course, _, _, before = graded
    assert _digest(course.submitted) == before


def test_feedback_and_grades_are_written_without_leaks(graded):
    course, examples, _, _ = graded
    for student in examples:
        folder = course.feedback / student / A1
        assert (folder / SUMMARY).exists()
        if student != "broken":
            assert sorted(p.stem for p in folder.glob("*.html")) == course.notebooks(A1)
        own = "\n".join(leaks.read_target(p) for p in leaks.iter_files([course.submitted / student / A1]))
        assert leaks.find_leaks(course.root, [folder], assignment=1, allowed=own) == []
    with open(course.course_dir / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {row["student_id"] for row in rows if row["assignment"] == A1} == set(examples)


def test_notebook_problem_names_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ not json")
    assert "does not appear to be JSON" in notebook_problem(bad)
    bad.write_text('{"cells": 3}')
    assert notebook_problem(bad).startswith("not a valid notebook")



def test_grade_table_and_expectations():
    from autograder.grade import NotebookResult, StudentResult, format_table

    full = StudentResult("ann", notebooks=[NotebookResult("knn", 12, 12, 4, []), NotebookResult("svm", 11, 11, 6, [])])
    part = StudentResult("bob", notes=["knn.ipynb is missing"], notebooks=[NotebookResult("svm", 3, 11, 6, [])])
    assert meets_expectation(full, "full") and not meets_expectation(full, "partial")
    assert meets_expectation(part, "partial") and not meets_expectation(part, "zero")
    table = format_table(A1, [full, part], {"ann": "full", "bob": "zero"})
    lines = table.splitlines()
    assert lines[0] == A1 and lines[1].split() == ["student", "knn", "svm", "autograded", "manual", "notes", "expected"]
    assert "23/23" in lines[3] and "full: ok" in lines[3]
    assert lines[4].split()[:4] == ["bob", "-", "3/11", "3/11"] and "zero: NOT MET" in lines[4]


def _verdicts(course, student):
    """The verdict files of a student (not the cells' printed output, which may print timings)."""
    out = {}
    for path in sorted((course.verdicts / student / A1).glob("*.json")):
        if path.name.endswith(".cells.json"):
            continue
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            data.pop("seconds", None)
        out[path.name] = data
    return out


def test_grading_twice_in_shards_gives_the_same_verdicts_and_feedback(tmp_path):
    """Determinism, and shards recorded together equal one run: same scores, messages, feedback."""
    from autograder.examples import build_example, load_examples

    course = copy_course(tmp_path)
    # two notebooks are enough to compare the runs; the others would only add time
    for name in course.notebooks(A1):
        if name not in ("svm", "two_layer_net"):
            (course.source(A1) / f"{name}.ipynb").unlink()
    release_assignment(course, A1)
    reference = next(e for e in load_examples(course, A1) if e.expect == "full")
    # one check fails, so the comparison covers a failing verdict too
    reference.edits.append({"file": "cs231n/layers.py", "old": "    db = dout.sum(axis=0)\n",
                            "new": "    db = dout.mean(axis=0)\n"})
    build_example(course, A1, reference, course.submitted / "twice" / A1)
    shutil.copytree(course.release(A1), course.submitted / "stub" / A1)

    first = {r.student: r for r in grade_assignment(course, A1, jobs=1)}
    verdicts = {s: _verdicts(course, s) for s in first}
    summaries = {s: (course.feedback / s / A1 / SUMMARY).read_text() for s in first}

    shutil.rmtree(course.verdicts)  # as on a fresh machine
    shutil.rmtree(course.intake)
    assert grade_assignment(course, A1, jobs=2, shard=(1, 2)) == []
    assert sorted(p.name for p in course.verdicts.iterdir()) == ["stub"]  # shard 1 of 2: the first student only
    assert grade_assignment(course, A1, jobs=2, shard=(2, 2)) == []
    second = {r.student: r for r in grade_assignment(course, A1, record_only=True)}

    for student in first:
        assert [(nb.name, nb.checks) for nb in first[student].notebooks] == \
               [(nb.name, nb.checks) for nb in second[student].notebooks]
        assert _verdicts(course, student) == verdicts[student]
        assert (course.feedback / student / A1 / SUMMARY).read_text() == summaries[student]
    assert [nb.name for nb in first["twice"].notebooks] == ["svm", "two_layer_net"]
    assert 0 < first["twice"].auto_score < first["twice"].auto_max
    assert first["stub"].auto_score == 0 and not first["stub"].infrastructure


# ----------------------------------------------------------------- Assignments 2 and 3

A2, A3 = "assignment2", "assignment3"


def grade_examples(tmp_path_factory, assignment: str, students: tuple[str, ...]):
    """Release ``assignment`` in a scratch course and grade those of its examples named in ``students``
    (the others are graded by `make course`; their kinds are covered by Assignment 1 and the seeded bugs)."""
    course = copy_course(tmp_path_factory.mktemp(assignment))
    release_assignment(course, assignment)
    examples = {e.student: e for e in stage_examples(course, assignment)}
    for name in set(examples) - set(students):
        shutil.rmtree(course.submitted / name)
        del examples[name]
    results = {r.student: r for r in grade_assignment(course, assignment, jobs=2)}
    return assignment, course, examples, results


@pytest.fixture(scope="module")
def graded_a2(tmp_path_factory):
    """Assignment 2's reference, untouched release and a submission with bad input."""
    return grade_examples(tmp_path_factory, A2, ("reference", "release", "broken"))


@pytest.fixture(scope="module")
def graded_a3(tmp_path_factory):
    """Assignment 3's reference and untouched release."""
    return grade_examples(tmp_path_factory, A3, ("reference", "release"))


@pytest.mark.parametrize("graded_later", ["graded_a2", "graded_a3"])
def test_reference_gets_full_marks_and_the_release_zero(graded_later, request):
    assignment, course, examples, results = request.getfixturevalue(graded_later)
    ref, release = results["reference"], results["release"]
    assert {nb.name for nb in ref.notebooks} == set(course.notebooks(assignment))
    for nb in ref.notebooks:
        assert nb.auto_max > 0 and nb.auto_score == nb.auto_max, nb
    assert ref.notes == []
    assert release.graded and release.auto_score == 0 and not release.infrastructure
    assert release.auto_max == ref.auto_max
    for name, example in examples.items():
        assert meets_expectation(results[name], example.expect), (name, results[name].auto_score)


def test_assignment2_broken_parts_cost_only_themselves(graded_a2):
    _, _, _, results = graded_a2
    broken = results["broken"]
    notes = " ".join(broken.notes)
    assert "Dropout.ipynb cannot be graded" in notes and "SyntaxError" in notes
    by_name = {nb.name: nb for nb in broken.notebooks}
    assert by_name["Dropout"].auto_score == 0
    # the syntax error in cnn.py costs the ThreeLayerConvNet parts, not the layers' checks
    conv = by_name["ConvolutionalNetworks"]
    assert 0 < conv.auto_score < conv.auto_max
    for name in ("FullyConnectedNets", "BatchNormalization", "PyTorch"):
        assert by_name[name].auto_score == by_name[name].auto_max, name


@pytest.mark.parametrize("graded_later", ["graded_a2", "graded_a3"])
def test_feedback_of_later_assignments_has_no_leaks(graded_later, request):
    assignment, course, examples, _ = request.getfixturevalue(graded_later)
    for student in examples:
        folder = course.feedback / student / assignment
        assert (folder / SUMMARY).exists()
        own = "\n".join(leaks.read_target(p) for p in leaks.iter_files([course.submitted / student / assignment]))
        assert leaks.find_leaks(course.root, [folder], assignment=int(assignment[-1]), allowed=own) == []
