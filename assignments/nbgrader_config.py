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

# Per-cell limit: an endless loop costs that cell its points, not the run.
# The slowest reference cell takes under 10 s on a busy 2-core machine.
c.ExecutePreprocessor.timeout = 30
c.ExecutePreprocessor.interrupt_on_timeout = True
# Graded cells a student deleted come back from the gradebook.
c.OverwriteCells.add_missing_cells = True

# Feedback shows no hidden test: neither in the cell (nbgrader's feedback keeps
# it by default) nor in the traceback of a failing check.
c.GenerateFeedback.preprocessors = [
    "autograder.feedback.HideHiddenTestTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
