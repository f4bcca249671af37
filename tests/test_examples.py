import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.course import Course, CourseError
from autograder.examples import Example, build_example, load_examples


@pytest.fixture
def tiny_course(tmp_path):
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "m.py").write_text(
        "def f():\n    ### BEGIN SOLUTION assignment1\n    return 41 + 1\n    ### END SOLUTION\n")
    source = tmp_path / "assignments" / "source" / "assignment1"
    source.mkdir(parents=True)
    nb = new_notebook(cells=[
        new_code_cell("x = None\n### BEGIN SOLUTION\nx = 3\n### END SOLUTION"),
        new_code_cell("assert x\n### BEGIN HIDDEN TESTS\nassert x == 3\n### END HIDDEN TESTS"),
    ])
    nbformat.write(nb, source / "nb.ipynb")
    return Course(tmp_path)


def test_solution_base_is_answered_like_a_student_would(tiny_course, tmp_path):
    dest = build_example(tiny_course, "assignment1", Example("ref", "solution", "full", ""), tmp_path / "out")
    cells = [c.source for c in nbformat.read(dest / "nb.ipynb", as_version=4).cells]
    assert cells == ["x = None\nx = 3", "assert x"]
    assert (dest / "cs231n" / "m.py").read_text() == "def f():\n    return 41 + 1\n"


def test_edits_remove_and_write(tiny_course, tmp_path):
    example = Example("bug", "solution", "partial", "", edits=[
        {"file": "cs231n/m.py", "old": "41 + 1", "new": "41 - 1"},
        {"file": "nb.ipynb", "old": "x = 3", "new": "x = 0"},
    ], remove=["cs231n/m.py"], writes=[{"file": "extra.txt", "text": "hi"}])
    with pytest.raises(CourseError, match="cannot remove"):
        build_example(tiny_course, "assignment1", Example("x", "solution", "zero", "", remove=["nope.py"]), tmp_path / "x")
    dest = build_example(tiny_course, "assignment1", example, tmp_path / "out")
    assert not (dest / "cs231n" / "m.py").exists()
    assert "x = 0" in nbformat.read(dest / "nb.ipynb", as_version=4).cells[0].source
    assert (dest / "extra.txt").read_text() == "hi"


def test_an_edit_must_match_exactly_once(tiny_course, tmp_path):
    example = Example("bug", "solution", "partial", "", edits=[{"file": "cs231n/m.py", "old": "not there", "new": ""}])
    with pytest.raises(CourseError, match="occurs 0 times"):
        build_example(tiny_course, "assignment1", example, tmp_path / "out")


def test_release_base_needs_a_release(tiny_course, tmp_path):
    with pytest.raises(CourseError, match="release assignment1 first"):
        build_example(tiny_course, "assignment1", Example("r", "release", "zero", ""), tmp_path / "out")


def test_spec_errors_are_named(tiny_course):
    tiny_course.examples.mkdir()
    (tiny_course.examples / "assignment1.toml").write_text('[a]\nfrom = "nowhere"\nexpect = "full"\n')
    with pytest.raises(CourseError, match=r"\[a\]"):
        load_examples(tiny_course, "assignment1")


def test_bundled_examples_apply_to_the_current_solution(tmp_path):
    course = Course()
    for assignment in course.assignments():
        for example in load_examples(course, assignment):
            assert example.about, f"{assignment}/{example.student}: say what the example shows"
            if example.base == "solution":
                build_example(course, assignment, example, tmp_path / example.student)
