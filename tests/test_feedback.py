"""The nbgrader preprocessor that records verdicts: nbgrader must score each cell as its verdict says."""
import json

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.utils import determine_grade

from autograder.feedback import InsertVerdicts, check_line, other_cell_outputs, graded_cell_outputs


def _check(score, points, passed, hidden=False, message="relative error 1e-12 (want < 1e-07)"):
    return {"name": "c", "what": "affine_backward on a batch of 6", "hidden": hidden, "points": points,
            "score": score, "passed": passed, "message": message}


def _graded(outputs, points=2):
    cell = new_code_cell("check('x', 'test_x')", outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": points}
    return determine_grade(cell)


def test_full_partial_and_zero_verdicts_score_as_recorded():
    full = {"points": 2, "score": 2, "checks": [_check(1, 1, True), _check(1, 1, True)]}
    part = {"points": 2, "score": 0.5, "checks": [_check(0.5, 1, False), _check(0, 1, False)]}
    zero = {"points": 2, "score": 0, "checks": [_check(0, 2, False)]}
    assert _graded(graded_cell_outputs(full, [])) == (2, 2)
    assert _graded(graded_cell_outputs(part, [])) == (0.5, 2)
    assert _graded(graded_cell_outputs(zero, [])) == (0, 2)


def test_a_cell_without_verdict_scores_zero_and_says_why():
    outputs = graded_cell_outputs(None, ["notebook cell 4 stopped the grading of this notebook"])
    assert _graded(outputs) == (0, 2)
    assert "notebook cell 4" in outputs[0]["evalue"]


def test_lines_mark_hidden_checks_and_show_the_message():
    line = check_line(_check(0, 1, False, hidden=True, message="dx: relative error 0.3 (want < 1e-07)"))
    assert line.startswith("[FAIL] 0/1") and "(hidden check)" in line and "relative error 0.3" in line


def test_other_cells_get_their_text_figures_and_error():
    record = {"stdout": "hello\n", "figures": ["iVBORw0KGgo="], "error": {
        "exception": "ValueError", "message": "bad shape", "where": "cs231n/layers.py:12"}}
    outputs = other_cell_outputs(record)
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "error"]
    assert "cs231n/layers.py:12" in outputs[2]["traceback"][0]


def test_preprocessor_fills_cells_from_the_verdict_files(tmp_path):
    import hashlib
    folder = tmp_path / "ann" / "assignment1"
    folder.mkdir(parents=True)
    verdict = {"notebook": "knn", "status": "graded", "problems": [],
               "cells": {"test_x": {"points": 2, "score": 0.5, "checks": [_check(0.5, 2, False)]}}}
    (folder / "knn.json").write_text(json.dumps(verdict))
    code = "x = 1\nprint(x)"
    (folder / "knn.cells.json").write_text(json.dumps([
        {"sha": hashlib.sha256(code.encode()).hexdigest(), "stdout": "1\n", "figures": [], "error": None}]))
    test = new_code_cell("check('knn', 'test_x')", outputs=[])
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": 2}
    nb = new_notebook(cells=[new_markdown_cell("# knn"), new_code_cell(code), test])
    pp = InsertVerdicts(directory=str(tmp_path))
    nb, _ = pp.preprocess(nb, {"nbgrader": {"student": "ann", "assignment": "assignment1", "notebook": "knn"}})
    assert nb.cells[1].outputs[0]["text"] == "1\n"
    assert determine_grade(nb.cells[2]) == (0.5, 2)
