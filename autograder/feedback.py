"""nbgrader preprocessor that records the grader's verdicts in the notebook.

It takes the place of nbgrader's ``Execute`` in ``nbgrader autograde``: no
kernel runs. Each graded test cell gets, as its output, one line per check
(what was tested, points, the observed-versus-expected summary), and nbgrader
then scores the cell as usual from that output: an error output scores 0, an
``execute_result`` holding a number is partial credit, anything else is full
marks. The other code cells get the text and figures they produced in the
sandbox. So the gradebook, ``formgrader``, manual grading, feedback and
``export`` work as with plain nbgrader, with verdicts no student code computed.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from nbformat.v4 import new_output
from traitlets import Unicode

from nbgrader.preprocessors import NbGraderPreprocessor

from cs231n.checks.judges import Verdict, verdict_line


def check_line(check: dict) -> str:
    """One check of a verdict file as a line of feedback, as the student's own check prints it."""
    fraction = 1.0 if check["passed"] else (check["score"] / check["points"] if check["points"] else 0.0)
    what = check["what"] + (" (hidden check)" if check["hidden"] else "")
    return verdict_line(what, Verdict(fraction, check["message"]), check["points"], check["score"])


def graded_cell_outputs(cell_verdict: dict | None, problems: list[str]) -> list:
    """The outputs that make nbgrader give a test cell the score of its verdict."""
    if not cell_verdict or not cell_verdict.get("checks"):
        why = "; ".join(problems) or "no verdict was recorded for this cell"
        return [new_output("error", ename="NotGraded", evalue=why, traceback=[f"Not graded: {why}"])]
    lines = [check_line(c) for c in cell_verdict["checks"]]
    score, points = cell_verdict["score"], cell_verdict["points"]
    outputs = [new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    if score >= points:
        return outputs
    if score > 0:
        outputs.append(new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=1))
        return outputs
    failed = sum(not c["passed"] for c in cell_verdict["checks"])
    outputs.append(new_output("error", ename="ChecksFailed", evalue=f"{failed} check(s) failed",
                              traceback=[f"ChecksFailed: {failed} check(s) failed: 0 of {points:g} points"]))
    return outputs


def other_cell_outputs(record: dict | None) -> list:
    if not record:
        return []
    outputs = []
    if record.get("stdout"):
        outputs.append(new_output("stream", name="stdout", text=record["stdout"]))
    for png in record.get("figures", []):
        outputs.append(new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}))
    error = record.get("error")
    if error:
        where = f" ({error['where']})" if error.get("where") else ""
        outputs.append(new_output("error", ename=error["exception"], evalue=error["message"],
                                  traceback=[f"{error['exception']}: {error['message']}{where}"]))
    return outputs


class InsertVerdicts(NbGraderPreprocessor):
    """Fill a notebook's outputs from ``<directory>/<student>/<assignment>/<notebook>.json``."""

    directory = Unicode("", help="folder holding the verdict files").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        base = Path(self.directory) / info["student"] / info["assignment"]
        verdict_file = base / f"{info['notebook']}.json"
        verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else {}
        cells_file = base / f"{info['notebook']}.cells.json"
        records = {r["sha"]: r for r in json.loads(cells_file.read_text())} if cells_file.exists() else {}
        problems = verdict.get("problems", []) if verdict else [f"no verdict file {verdict_file.name}"]
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                cell.outputs = graded_cell_outputs(verdict.get("cells", {}).get(meta.get("grade_id")), problems)
            else:
                cell.outputs = other_cell_outputs(records.get(hashlib.sha256(cell.source.encode()).hexdigest()))
        return nb, resources
