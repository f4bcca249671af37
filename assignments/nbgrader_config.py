"""nbgrader configuration of the course (the course root is this folder)."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader/traitlets)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "cs231n"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# The stub a student sees in a notebook solution cell.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Graded cells a student deleted come back from the gradebook.
c.OverwriteCells.add_missing_cells = True

# `nbgrader autograde` runs no student code: the checks ran in a sandbox
# (`python -m autograder grade`), and InsertVerdicts writes their verdicts into
# the test cells' outputs, from which nbgrader scores the cells as usual.
c.Autograde.autograde_preprocessors = [
    "autograder.feedback.InsertVerdicts",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.InsertVerdicts.directory = os.path.join(c.CourseDirectory.root, "verdicts")

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
