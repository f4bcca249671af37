"""Run a notebook's checks on one copy of the package and write what they observed.

    python cs231n/checks/worker.py OUT_DIR

is run (as a script, so that importing it runs none of the package) with the
submission's folder as the working directory. ``OUT_DIR/job.json`` says what
to do::

    {"assignment": "assignment1", "notebook": "knn", "mode": "observe",
     "notebook_file": "knn.ipynb", "test_cells": ["test_two_loops", ...],
     "skip": ["cell:7"], "done": ["two_loops_toy"], "step_seconds": 60}

``mode`` is ``"observe"`` (run the package checks, then execute the
notebook's cells except its test cells, then run the notebook checks) or
``"reference"`` (run the package checks and the ``expect`` of the notebook
checks: the expected data, on the instructor's copy).

Everything the worker learns goes to files in OUT_DIR: ``events.jsonl`` (which
step started and ended: when the process dies, the last step that started and
did not end is the one that killed it), ``check-<name>.npz`` per check and
``cell-<index>.npz`` per executed cell (see :mod:`cs231n.checks.codec`). The
worker decides nothing: judging happens elsewhere.
"""
import hashlib
import io
import json
import os
import signal
import sys
import time
import traceback
import warnings

MAX_TEXT = 20_000   # characters of printed output kept per step
MAX_FIGURES = 4     # figures kept per cell


class StepTimeout(BaseException):
    """Raised in the student's code when a step runs out of time."""


class CappedText(io.TextIOBase):
    """A text stream that keeps the first MAX_TEXT characters and counts the rest."""

    def __init__(self):
        self.parts, self.size, self.dropped = [], 0, 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = MAX_TEXT - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self):
        tail = f"\n[{self.dropped} more characters of output not kept]\n" if self.dropped else ""
        return "".join(self.parts) + tail


class Events:
    """Appends one JSON line per event, unbuffered, so it survives a crash."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def __call__(self, event, **info):
        os.write(self.fd, (json.dumps({"event": event, "t": time.time(), **info}) + "\n").encode())


def describe(exc, root):
    """An exception as plain data: type, message and the last line of student code it passed."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.startswith("<cell "):
            where = f"notebook {name[1:-1]}, line {frame.lineno}"
        elif name.startswith(root) and os.sep + "checks" + os.sep not in name:
            where = f"{os.path.relpath(name, root)}:{frame.lineno}"
    message = str(exc)
    if isinstance(exc, StepTimeout):
        message = f"stopped after {exc.args[0]:g} s: this step ran out of time"
    return {"kind": "error", "exception": type(exc).__name__, "message": message[:500], "where": where}


def run_step(step, seconds, fn, events, root):
    """Run ``fn()`` with a time limit and its printed output captured: (result, error, text)."""
    def on_alarm(signum, frame):
        raise StepTimeout(seconds)

    out = CappedText()
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    events("start", step=step)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    result, error = None, None
    try:
        result = fn()
    except BaseException as exc:  # the student's code may raise anything, SystemExit included
        error = describe(exc, root)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr = old
    events("end", step=step)
    return result, error, out.text()


def notebook_cells(path, test_cells):
    """(index, source) of the code cells to execute: everything but the graded test cells."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code":
            continue
        if meta.get("grade_id") in test_cells or (meta.get("grade") and not meta.get("solution")):
            continue
        source = cell.get("source", "")
        cells.append((i, "".join(source) if isinstance(source, list) else str(source)))
    return cells


class Shell:
    """Stands in for IPython's ``get_ipython()``: line magics and shell escapes do
    nothing; a cell magic (``%%time``) runs its body as plain Python."""

    def __init__(self, ns):
        self.ns = ns

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, name, line, body):
        exec(compile(body, "<cell magic>", "exec"), self.ns)

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def python_source(source):
    """A cell's source as plain Python: IPython's own transformer rewrites magics
    and shell escapes into ``get_ipython()`` calls."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


def figures():
    """PNG bytes of the open matplotlib figures (then closed)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return []
    import numpy as np
    pngs = []
    for num in plt.get_fignums()[:MAX_FIGURES]:
        buf = io.BytesIO()
        plt.figure(num).savefig(buf, format="png", dpi=60)
        pngs.append(np.frombuffer(buf.getvalue(), dtype=np.uint8))
    plt.close("all")
    return pngs


def main(out_dir):
    root = os.getcwd()
    sys.path[0] = root  # the submission's package, not this script's folder
    with open(os.path.join(out_dir, "job.json")) as f:
        job = json.load(f)
    events = Events(os.path.join(out_dir, "events.jsonl"))
    import numpy  # noqa: F401  (the worker's own imports, before any student code)
    warnings.simplefilter("ignore")
    events("ready")
    skip, done, seconds = set(job.get("skip", [])), set(job.get("done", [])), job.get("step_seconds", 60)

    def observe(path, value):
        from cs231n.checks import codec
        try:
            codec.save(path, value)
        except Exception as err:  # not plain data: say so instead
            codec.save(path, {"kind": "error", "exception": "TypeError", "where": "",
                              "message": f"the probe returned data that cannot be graded: {err}"[:500]})

    checks, error, _ = run_step("import", seconds, lambda: _load(job), events, root)
    if error:
        from cs231n.checks import codec
        codec.save(os.path.join(out_dir, "import-error.npz"), error)
        events("finished")
        return

    def run_checks(selected, ns):
        for c in selected:
            step = f"check:{c.name}"
            if step in skip or c.name in done:
                continue
            if job["mode"] == "reference" and (c.expect is not None or c.notebook):
                fn = c.expect or (lambda: None)
            else:
                fn = (lambda c=c: c.probe(ns)) if c.notebook else (lambda c=c: c.probe(None))
            value, error, _ = run_step(step, seconds, fn, events, root)
            observe(os.path.join(out_dir, f"check-{c.name}.npz"),
                    error or {"kind": "value", "value": value})

    run_checks([c for c in checks if not c.notebook], None)
    notebook_checks = [c for c in checks if c.notebook]
    if job["mode"] == "reference":
        run_checks(notebook_checks, None)
    elif job.get("notebook_file"):
        ns = {"__name__": "__main__"}
        ns["get_ipython"] = lambda: Shell(ns)
        for index, source in notebook_cells(job["notebook_file"], set(job.get("test_cells", []))):
            step = f"cell:{index}"
            if step in skip:
                continue
            def run_cell(source=source, index=index):
                exec(compile(python_source(source), f"<cell {index}>", "exec"), ns)
            _, error, text = run_step(step, seconds, run_cell, events, root)
            try:
                pngs = figures()
            except Exception:  # the student's matplotlib state is theirs; losing a figure costs nothing
                pngs = []
            observe(os.path.join(out_dir, f"cell-{index:04d}.npz"), {
                "index": index, "sha": hashlib.sha256(source.encode()).hexdigest(),
                "stdout": text, "error": error, "figures": pngs})
        run_checks(notebook_checks, ns)
    events("finished")


def _load(job):
    from cs231n import checks
    return checks.load(job["assignment"], job["notebook"])


if __name__ == "__main__":
    main(sys.argv[1])
