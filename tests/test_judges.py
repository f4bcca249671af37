"""Judges validate untrusted data before comparing it."""
import numpy as np
import pytest

from cs231n.checks import Check
from cs231n.checks.judges import Verdict, accuracy, close, equal, verdict_of


def test_close_passes_within_tolerance_and_reports_the_error():
    exp = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert close(1e-7)(exp + 1e-12, exp).passed
    bad = close(1e-7)(exp * 1.01, exp)
    assert not bad.passed and "relative error" in bad.message


@pytest.mark.parametrize("garbage", [None, "abc", [[1, 2]], np.full((2, 2), np.nan), {"x": 1}, object()])
def test_close_refuses_garbage_with_a_reason(garbage):
    verdict = close(1e-7)(garbage, np.ones((2, 2)))
    assert verdict.fraction == 0 and verdict.message


def test_equal_and_accuracy():
    assert equal()(np.array([1, 2, 3]), np.array([1, 2, 3])).passed
    assert not equal()(np.array([1, 2, 4]), np.array([1, 2, 3])).passed
    assert accuracy(0.6)(np.array([1, 2, 0, 4, 5]), np.array([1, 2, 3, 4, 5])).passed
    assert not accuracy(0.9)(np.array([1, 2, 0, 4, 5]), np.array([1, 2, 3, 4, 5])).passed


def _check(judge):
    return Check("test_x", "x", "what", lambda ns: None, judge)


def test_verdict_of_errors_missing_and_broken_judges():
    assert verdict_of(_check(close(1)), None, 0, missing="never ran").message == "never ran"
    err = {"kind": "error", "exception": "ValueError", "message": "shapes", "where": "cs231n/layers.py:3"}
    assert verdict_of(_check(close(1)), err, 0).message == "ValueError: shapes (cs231n/layers.py:3)"
    assert verdict_of(_check(close(1)), ["not", "an", "observation"], 0).fraction == 0

    def crashing(observed, expected):
        raise RuntimeError("boom")
    assert "could not be judged" in verdict_of(_check(crashing), {"kind": "value", "value": 1}, 1).message
    over = verdict_of(_check(lambda o, e: Verdict(7.0, "too much")), {"kind": "value", "value": 1}, 1)
    assert over.fraction == 1.0
