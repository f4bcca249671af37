"""nbgrader preprocessor for feedback: tracebacks must not show hidden tests.

nbgrader's feedback template hides the hidden part of a test cell's source,
but a failing check's traceback quotes the cell's lines around the failure,
hidden asserts included. In cells with hidden tests, this drops the frames
of the cell itself and keeps the exception and the frames in the student's
own files (which say where their code went wrong).
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_FRAME = re.compile(r"^\s*(Cell In\s*\[|Input In\s*\[|<ipython-input-)")
HIDDEN_NOTE = "(this check has hidden parts: its own lines are not shown)"


def hide_cell_frames(traceback: list[str]) -> list[str]:
    """Drop the traceback entries quoting the notebook cell itself."""
    kept = [entry for entry in traceback if not _CELL_FRAME.match(_ANSI.sub("", entry))]
    return kept[:1] + [HIDDEN_NOTE] + kept[1:] if len(kept) < len(traceback) else kept


class HideHiddenTestTracebacks(Preprocessor):
    """Runs on autograded notebooks before nbgrader's ClearHiddenTests."""

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = hide_cell_frames(output.get("traceback", []))
        return cell, resources
