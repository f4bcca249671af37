"""Judges: compare what a probe observed with what was expected.

A judge never trusts the observed data: it may be any plain value a probe (or
a tampered submission) returned. It validates type, shape and finiteness
before comparing, and says what it found in a one-line message that shows
sizes of errors, never the expected values of hidden checks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: the fraction of its points earned, and why."""

    fraction: float
    message: str

    @property
    def passed(self) -> bool:
        return self.fraction >= 1.0


def as_array(observed, expected, name="the result"):
    """``observed`` as a float64 array shaped like ``expected``, or a failing Verdict."""
    expected = np.asarray(expected)
    try:
        arr = np.asarray(observed, dtype=np.float64)
    except (TypeError, ValueError):
        return Verdict(0.0, f"{name} should be an array of numbers of shape {expected.shape}, "
                            f"got {type(observed).__name__}")
    if arr.shape != expected.shape:
        return Verdict(0.0, f"{name} has shape {arr.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(arr)):
        return Verdict(0.0, f"{name} has {int(np.sum(~np.isfinite(arr)))} nan or inf entries")
    return arr


def close(tol: float, metric: str = "rel", name: str = "the result"):
    """Judge arrays (or numbers) equal to the expected ones within ``tol``.

    ``metric`` is ``"rel"`` (largest relative error, as ``rel_error``),
    ``"fro"`` (Frobenius norm of the difference) or ``"max"`` (largest
    absolute difference).
    """
    def judge(observed, expected):
        arr = as_array(observed, expected, name)
        if isinstance(arr, Verdict):
            return arr
        exp = np.asarray(expected, dtype=np.float64)
        if metric == "rel":
            err = float(np.max(np.abs(arr - exp) / np.maximum(1e-8, np.abs(arr) + np.abs(exp)), initial=0.0))
            label = "relative error"
        elif metric == "fro":
            err, label = float(np.linalg.norm(arr - exp)), "Frobenius error"
        else:
            err, label = float(np.max(np.abs(arr - exp), initial=0.0)), "largest difference"
        return Verdict(1.0 if err < tol else 0.0, f"{name}: {label} {err:.2g} (want < {tol:g})")
    return judge


def equal(name: str = "the result"):
    """Judge integer-valued arrays (labels, counts) exactly equal to the expected ones."""
    def judge(observed, expected):
        arr = as_array(observed, expected, name)
        if isinstance(arr, Verdict):
            return arr
        wrong = int(np.sum(arr != np.asarray(expected, dtype=np.float64)))
        return Verdict(1.0 if wrong == 0 else 0.0,
                       f"{name}: {wrong} of {arr.size} entries differ from the expected ones")
    return judge


def accuracy(at_least: float, name: str = "accuracy", reference: float | None = None):
    """Judge predicted labels: the share equal to the expected labels must be ``>= at_least``."""
    def judge(observed, expected):
        arr = as_array(observed, expected, "the predictions")
        if isinstance(arr, Verdict):
            return arr
        acc = float(np.mean(arr == np.asarray(expected)))
        ref = f", reference {reference:.3f}" if reference is not None else ""
        return Verdict(1.0 if acc >= at_least else 0.0, f"{name} {acc:.3f} (need >= {at_least:g}{ref})")
    return judge


def fields(**judges):
    """Judge a dict of results key by key: the check passes only if every key passes."""
    def judge(observed, expected):
        if not isinstance(observed, dict):
            return Verdict(0.0, f"expected a dict with {', '.join(judges)}, got {type(observed).__name__}")
        verdicts = [judge_one(observed[key], expected[key]) if key in observed else Verdict(0.0, f"no {key}")
                    for key, judge_one in judges.items()]
        return Verdict(min(v.fraction for v in verdicts), "; ".join(v.message for v in verdicts))
    return judge


def verdict_of(check, observation, expected, missing: str = "the check did not run") -> Verdict:
    """The verdict on one observation of a probe (see :mod:`cs231n.checks.worker`).

    ``observation`` is ``{"kind": "value", "value": ...}``, an error
    description, or None when the probe never reported (``missing`` says why).
    """
    if observation is None:
        return Verdict(0.0, missing)
    if not isinstance(observation, dict) or observation.get("kind") not in ("value", "error"):
        return Verdict(0.0, "the check returned malformed data")
    if observation["kind"] == "error":
        where = f" ({observation.get('where')})" if observation.get("where") else ""
        message = str(observation.get("message", ""))[:300]
        return Verdict(0.0, f"{str(observation.get('exception', 'Error'))[:60]}"
                            f"{': ' + message if message else ''}{where}")
    try:
        verdict = check.judge(observation.get("value"), expected)
        return Verdict(min(1.0, max(0.0, float(verdict.fraction))), str(verdict.message))
    except Exception as err:  # whatever the data, judging it must not stop the grading
        return Verdict(0.0, f"the result could not be judged ({type(err).__name__}: {str(err)[:200]})")


def verdict_line(what: str, verdict: Verdict, points: float | None = None, earned: float | None = None) -> str:
    """One line of feedback: ``[pass] 1/1  what: message``."""
    mark = "pass" if verdict.passed else ("part" if verdict.fraction > 0 else "FAIL")
    score = f"{earned:g}/{points:g}  " if points is not None else ""
    return f"[{mark}] {score}{what}: {verdict.message}"
