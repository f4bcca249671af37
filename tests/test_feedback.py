from nbformat.v4 import new_code_cell, new_output

from autograder.feedback import HIDDEN_NOTE, HideHiddenTestTracebacks, hide_cell_frames

TRACEBACK = [
    "\x1b[31m-----------\x1b[39m",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[3]\x1b[39m, line 4\n      3 ### BEGIN HIDDEN TESTS\n----> 4 assert secret_value == 42\n",
    "File cs231n/layers.py:36, in affine_forward(x, w, b)\n---> 36 out = x @ w\n",
    "\x1b[31mAssertionError\x1b[39m: ",
]


def test_cell_frames_are_dropped_and_student_frames_kept():
    kept = hide_cell_frames(TRACEBACK)
    text = "\n".join(kept)
    assert "secret_value" not in text and "HIDDEN" not in text
    assert "cs231n/layers.py:36" in text and "AssertionError" in text
    assert HIDDEN_NOTE in kept


def test_traceback_without_cell_frames_is_unchanged():
    assert hide_cell_frames(TRACEBACK[2:]) == TRACEBACK[2:]


def test_only_cells_with_hidden_tests_are_rewritten():
    error = new_output("error", ename="AssertionError", evalue="", traceback=list(TRACEBACK))
    hidden = new_code_cell("assert 1\n### BEGIN HIDDEN TESTS\nassert secret_value == 42\n### END HIDDEN TESTS", outputs=[error])
    public = new_code_cell("assert secret_value == 42", outputs=[new_output("error", ename="E", evalue="", traceback=list(TRACEBACK))])
    pp = HideHiddenTestTracebacks()
    pp.preprocess_cell(hidden, {}, 0)
    pp.preprocess_cell(public, {}, 1)
    assert "secret_value" not in "".join(hidden.outputs[0]["traceback"])
    assert public.outputs[0]["traceback"] == TRACEBACK
