"""Where things are in the course, and how nbgrader is run on it.

The repository root holds the instructor's ``cs231n/`` package; its
``assignments/`` folder is an ordinary nbgrader course (``source/``,
``release/``, ``submitted/``, ``autograded/``, ``feedback/``, one gradebook).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The course environment, at the repository root; every release ships them.
ENVIRONMENT_FILES = ("environment.yml", "requirements.txt")


class CourseError(RuntimeError):
    """A step of the course pipeline failed; the message says what to do."""


@dataclass(frozen=True)
class Course:
    """A course checkout: ``root`` holds ``cs231n/`` and ``assignments/``."""

    root: Path = REPO_ROOT

    @property
    def course_dir(self) -> Path:
        return self.root / "assignments"

    @property
    def package(self) -> Path:
        return self.root / "cs231n"

    def source(self, assignment: str) -> Path:
        return self.course_dir / "source" / assignment

    def release(self, assignment: str) -> Path:
        return self.course_dir / "release" / assignment

    @property
    def submitted(self) -> Path:
        return self.course_dir / "submitted"

    @property
    def intake(self) -> Path:
        """Checked copies of the submissions that nbgrader actually grades."""
        return self.course_dir / "intake"

    @property
    def verdicts(self) -> Path:
        """The grader's verdicts per student, assignment and notebook (JSON)."""
        return self.course_dir / "verdicts"

    def report(self, assignment: str) -> Path:
        """The instructor report of an assignment's last grading run."""
        return self.course_dir / "reports" / assignment

    @property
    def autograded(self) -> Path:
        return self.course_dir / "autograded"

    @property
    def feedback(self) -> Path:
        return self.course_dir / "feedback"

    @property
    def gradebook_url(self) -> str:
        return "sqlite:///" + str(self.course_dir / "gradebook.db")

    @property
    def examples(self) -> Path:
        return self.course_dir / "examples"

    def notebooks(self, assignment: str) -> list[str]:
        """Names (without .ipynb) of the assignment's source notebooks."""
        names = sorted(p.stem for p in self.source(assignment).glob("*.ipynb"))
        if not names:
            raise CourseError(f"no notebooks in {self.source(assignment)}: is {assignment!r} a course assignment?")
        return names

    def assignments(self) -> list[str]:
        return sorted(p.name for p in (self.course_dir / "source").iterdir() if p.is_dir())


def run_nbgrader(course: Course, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an ``nbgrader`` command in the course directory; output is captured.

    nbgrader needs ``alembic`` on PATH: the interpreter's bin folder goes first.
    """
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    # Notebooks do small matrix products: extra BLAS threads only add contention.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = [str(Path(bin_dir) / "nbgrader"), *args]
    proc = subprocess.run(cmd, cwd=course.course_dir, env=env, capture_output=True, text=True)
    log = course.course_dir / "autograder.log"
    with log.open("a") as f:
        f.write(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise CourseError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return proc


def copy_course(dst: Path, src: Course = Course()) -> Course:
    """A fresh copy of the instructor's materials (package, source, examples,
    nbgrader config) at ``dst``: a scratch course for dry runs and tests."""
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    for rel in ("cs231n", "assignments/source", "assignments/examples"):
        if (src.root / rel).exists():
            shutil.copytree(src.root / rel, dst / rel, ignore=ignore)
    shutil.copy(src.course_dir / "nbgrader_config.py", dst / "assignments" / "nbgrader_config.py")
    for name in ENVIRONMENT_FILES:
        shutil.copy(src.root / name, dst / name)
    return Course(dst)
