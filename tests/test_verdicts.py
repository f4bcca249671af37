"""The grader's reference data and per-notebook settings (autograder/verdicts.py)."""
import pytest

from autograder import verdicts
from autograder.course import CourseError, copy_course

A1 = "assignment1"


@pytest.fixture
def course(tmp_path):
    return copy_course(tmp_path)


def test_reference_is_computed_once_per_package_version(course, monkeypatch):
    first = verdicts.reference(course, A1, "knn")
    calls = []
    real = verdicts._compute_reference
    monkeypatch.setattr(verdicts, "_compute_reference", lambda *a: calls.append(a) or real(*a))

    again = verdicts.reference(course, A1, "knn")
    assert calls == [] and sorted(again) == sorted(first)
    for name in first:  # the cached copy holds the same data
        assert repr(again[name]) == repr(first[name])

    # any change to the package is a new reference
    layers = course.package / "layers.py"
    layers.write_text(layers.read_text() + "\n# edited\n")
    verdicts.reference(course, A1, "knn")
    assert len(calls) == 1
    assert len(list((course.course_dir / "references" / A1).glob("knn-*.npz"))) == 1  # stale copies go


def test_a_corrupt_cached_reference_is_computed_anew(course):
    verdicts.reference(course, A1, "knn")
    (cached,) = (course.course_dir / "references" / A1).glob("knn-*.npz")
    cached.write_bytes(b"not a data file")
    assert verdicts.reference(course, A1, "knn")
    assert cached.read_bytes() != b"not a data file"


def test_step_limit_defaults_and_can_be_set_by_the_check_module(monkeypatch):
    import cs231n.checks.assignment1.knn as knn_checks

    assert verdicts.step_seconds_of(A1, "knn") == verdicts.STEP_SECONDS
    monkeypatch.setattr(knn_checks, "STEP_SECONDS", 75, raising=False)
    assert verdicts.step_seconds_of(A1, "knn") == 75
    monkeypatch.setattr(knn_checks, "STEP_SECONDS", "forever", raising=False)
    with pytest.raises(CourseError, match="STEP_SECONDS"):
        verdicts.step_seconds_of(A1, "knn")
