"""A student's own check gives the grader's verdicts on the public checks."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder.course import copy_course
from autograder.examples import build_example, load_examples
from autograder.feedback import check_line
from autograder.release import release_assignment
from autograder.verdicts import grade_notebook, notebook_spec, reference

pytestmark = pytest.mark.e2e
A1 = "assignment1"
NOTEBOOKS = ["svm", "two_layer_net"]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    release_assignment(course, A1)
    buggy = next(e for e in load_examples(course, A1) if e.student == "buggy")
    folder = course.intake / "buggy" / A1
    build_example(course, A1, buggy, folder)
    grader = {nb: grade_notebook(course, A1, "buggy", notebook_spec(course, A1, nb), reference(course, A1, nb))
              for nb in NOTEBOOKS}
    # the student's folder: their submission plus the checks shipped with the release
    student = tmp_path_factory.mktemp("student") / A1
    shutil.copytree(folder, student)
    shutil.rmtree(student / "cs231n" / "checks")
    shutil.copytree(course.release(A1) / "cs231n" / "checks", student / "cs231n" / "checks")
    env = dict(os.environ, PYTHONPATH=str(student))
    proc = subprocess.run([sys.executable, "-m", "cs231n.checks", A1, *NOTEBOOKS], cwd=student, env=env,
                          capture_output=True, text=True, timeout=900)
    return grader, proc


def test_the_command_reports_the_failures(both):
    _, proc = both
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "public check(s) failed" in proc.stdout
    # the points the hidden checks hold are whole shares, not rounding residue
    held = [float(x) for x in re.findall(r"hidden checks hold (\S+) more", proc.stdout)]
    assert all(x >= 0.01 for x in held), held


def test_every_public_verdict_line_is_the_graders(both):
    grader, proc = both
    local = {line.strip() for line in proc.stdout.splitlines() if re.match(r"\s+\[(pass|FAIL|part)\]", line)}
    public = [c for v in grader.values() for cell in v["cells"].values() for c in cell["checks"] if not c["hidden"]]
    assert public and any(not c["passed"] for c in public)
    missing = [check_line(c) for c in public if check_line(c) not in local]
    assert not missing, "lines the grader gives but the student's check does not:\n" + "\n".join(missing)
    assert len(local) == len(public)
