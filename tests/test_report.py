"""The class report: numbers from synthetic verdicts, escaping, self-containment, determinism.

The verdicts dir has four students and two notebooks (knn: 3 points, svm: 2):
alice passes everything, bob fails three checks (one message holds a
``<script>`` tag), carol's svm notebook is missing (its cells listed, all 0) and dave's knn notebook hit
an infrastructure failure. bob and carol fail ``two_loops_digits`` with
messages that differ only in numbers.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.report import normalise, summarize, write_report

REPO = Path(__file__).resolve().parents[1]
A = "assignment1"
SCRIPT = "<script>alert('x')</script> returned 3 labels"


def check(name, passed, points=1.0, hidden=False, message="ok"):
    return {"name": name, "what": f"{name} on toy data", "hidden": hidden, "points": points,
            "score": points if passed else 0.0, "passed": passed, "message": message}


def cell(*checks):
    return {"points": sum(c["points"] for c in checks), "score": sum(c["score"] for c in checks),
            "checks": list(checks)}


def knn(toy=True, digits=True, predict=True, digits_msg="ok", predict_msg="ok"):
    return {"test_two_loops": cell(check("two_loops_toy", toy),
                                   check("two_loops_digits", digits, hidden=True, message=digits_msg)),
            "test_predict": cell(check("predict", predict, message=predict_msg))}


def svm(passed=True, message="ok"):
    return {"test_loss": cell(check("loss_value", passed, points=2.0, message=message))}


VERDICTS = {
    ("alice", "knn"): ("graded", [], knn()),
    ("alice", "svm"): ("graded", [], svm()),
    ("bob", "knn"): ("graded", [], knn(digits=False, predict=False, predict_msg=SCRIPT,
                                       digits_msg="Frobenius error 0.31 (want < 1e-06)")),
    ("bob", "svm"): ("graded", [], svm(False, "ValueError: shapes (3,) and (4,) (linear_svm.py:42)")),
    ("carol", "knn"): ("graded", [], knn(digits=False, digits_msg="Frobenius error 0.57 (want < 1e-06)")),
    # A missing notebook may still list its cells, all scoring 0: not counted as graded.
    ("carol", "svm"): ("missing", ["svm.ipynb is not in the submission"], svm(False, "not submitted")),
    ("dave", "knn"): ("infrastructure", ["sandbox could not start: docker timed out"], {}),
    ("dave", "svm"): ("graded", [], svm()),
}


@pytest.fixture
def verdicts(tmp_path):
    root = tmp_path / "verdicts"
    for (student, notebook), (status, problems, cells) in VERDICTS.items():
        path = root / student / A / f"{notebook}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"student": student, "assignment": A, "notebook": notebook,
                                    "status": status, "problems": problems, "seconds": 1.0,
                                    "cells": cells}))
    # Another assignment's verdicts must not leak into this report.
    other = root / "alice" / "assignment2" / "knn.json"
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps({"status": "graded", "problems": [], "cells": svm(False, "nope")}))
    return root


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def section(page, heading):
    """The HTML from the <h2> titled ``heading`` to the next <h2>."""
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def test_checks_csv_counts_and_pass_rates(verdicts, tmp_path):
    write_report(verdicts, A, tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "checks.csv")
    assert list(rows[0]) == ["notebook", "cell", "check", "what", "hidden", "points",
                             "passed", "graded", "pass_rate"]
    got = [(r["notebook"], r["cell"], r["check"], r["hidden"], float(r["points"]),
            int(r["passed"]), int(r["graded"]), round(float(r["pass_rate"]), 3)) for r in rows]
    assert got == [
        ("knn", "test_predict", "predict", "False", 1.0, 2, 3, 0.667),
        ("knn", "test_two_loops", "two_loops_toy", "False", 1.0, 3, 3, 1.0),
        ("knn", "test_two_loops", "two_loops_digits", "True", 1.0, 1, 3, 0.333),
        # carol's missing notebook is not "graded": 2 of alice, bob and dave.
        ("svm", "test_loss", "loss_value", "False", 2.0, 2, 3, 0.667),
    ]
    assert rows[0]["what"] == "predict on toy data"


def test_scores_csv_totals(verdicts, tmp_path):
    write_report(verdicts, A, tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "scores.csv")
    assert list(rows[0]) == ["student", "knn", "svm", "total", "max", "status"]
    got = {r["student"]: (float(r["knn"]), float(r["svm"]), float(r["total"]), float(r["max"]), r["status"])
           for r in rows}
    assert got == {"alice": (3, 2, 5, 5, "graded"), "bob": (1, 0, 1, 5, "graded"),
                   "carol": (2, 0, 2, 5, "missing"), "dave": (0, 2, 2, 5, "infrastructure")}
    assert [r["student"] for r in rows] == ["alice", "bob", "carol", "dave"]


def test_summary_statistics_leave_out_infrastructure_failures(verdicts):
    summary = summarize(verdicts, A)
    assert summary.maxima == {"knn": 3.0, "svm": 2.0}
    assert summary.scored() == ["alice", "bob", "carol"]
    assert summary.scored("svm") == ["alice", "bob", "carol", "dave"]


def test_normalise_replaces_numbers_only():
    assert normalise("error 0.31 (want < 1e-06) at x.py:81, -2.5") == "error # (want < #) at x.py:#, #"
    assert normalise("dtype float64 in conv2d") == "dtype float64 in conv2d"


def test_failures_group_messages_differing_only_in_numbers(verdicts):
    failures = summarize(verdicts, A).failures
    top = failures[0]
    assert (top["notebook"], top["check"], top["count"]) == ("knn", "two_loops_digits", 2)
    assert top["message"] == "Frobenius error # (want < #)"
    assert top["example"] == "Frobenius error 0.31 (want < 1e-06)"
    assert sorted(g["count"] for g in failures) == [1, 1, 2]


def test_html_is_self_contained_with_embedded_pngs(verdicts, tmp_path):
    page = write_report(verdicts, A, tmp_path / "out").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3  # knn, svm and the total
    assert all(base64.b64decode(img).startswith(b"\x89PNG\r\n\x1a\n") for img in images)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "4 submissions" in page and "out of 5" in page


def test_html_flags_low_pass_rates_and_lists_incidents(verdicts, tmp_path):
    page = write_report(verdicts, A, tmp_path / "out").read_text(encoding="utf-8")
    low = re.findall(r'<tr class="low">(.*?)</tr>', section(page, "Checks"))
    assert len(low) == 1 and "two_loops_digits" in low[0]
    infra = section(page, "Grader failures (infrastructure)")
    assert "dave" in infra and "docker timed out" in infra and "carol" not in infra
    missing = section(page, "Missing notebooks")
    assert "carol" in missing and "svm.ipynb is not in the submission" in missing and "dave" not in missing


def test_same_input_gives_identical_bytes(verdicts, tmp_path):
    write_report(verdicts, A, tmp_path / "one")
    first = {name: (tmp_path / "one" / name).read_bytes() for name in ("report.html", "checks.csv", "scores.csv")}
    write_report(verdicts, A, tmp_path / "one")
    write_report(verdicts, A, tmp_path / "two")
    for name, data in first.items():
        assert (tmp_path / "one" / name).read_bytes() == data
        assert (tmp_path / "two" / name).read_bytes() == data


def test_identical_bytes_across_processes(verdicts, tmp_path):
    """Set and dict order must not leak into the output: other hash seeds, same bytes."""
    code = "import sys; from autograder.report import write_report; write_report(*sys.argv[1:])"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, "-c", code, str(verdicts), A, str(tmp_path / seed)],
                       env=env, cwd=REPO, check=True)
    for name in ("report.html", "checks.csv", "scores.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def test_no_verdicts_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        summarize(tmp_path, A)
