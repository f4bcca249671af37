"""The checks of the assignments: what the grader runs, and what you run yourself.

Every graded test cell of a notebook calls :func:`check`, which runs the
public checks of that cell on your code and prints one verdict per check::

    check("knn", "test_two_loops")

and ``python -m cs231n.checks assignment1`` runs every public check of every
notebook of the assignment on your copy and prints the same verdicts the
grader gives for them.

A check has two halves. Its *probe* (the decorated function) calls your code
on inputs it builds itself and returns plain data: numbers, strings and NumPy
arrays. Its *judge* compares that data with the expected data: the output of
the same probe on the reference solution (shipped with the assignment for the
public checks), or, for checks of notebook variables, the values ``expect``
computes (test labels, for instance). When the course grades a submission,
probes run in a sandbox and judges in a separate process that never runs
student code, so patching NumPy or these modules changes no verdict.
"""
from __future__ import annotations

import importlib
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

from cs231n.checks.judges import Verdict, close, equal, fields  # noqa: F401  (re-exported for check modules)

_REGISTRY: dict[str, list["Check"]] = {}


@dataclass(frozen=True)
class Check:
    """One check: a probe of student code, and a judge of what it returns.

    Attributes
    ----------
    cell : str
        nbgrader grade id of the test cell whose points the check shares.
    name : str
        Identifier of the check, unique within its notebook (the probe's name).
    what : str
        One sentence, shown in feedback: what was tested.
    probe : callable
        ``probe(ns) -> data``. Builds its own inputs (seeded), calls student
        code and returns plain data. ``ns`` is the executed notebook's
        namespace for notebook checks, else ``None``.
    judge : callable
        ``judge(observed, expected) -> Verdict``.
    weight : float
        Share of the cell's points, relative to the other checks of the cell.
    notebook : bool
        True if the probe reads variables of the executed notebook.
    expect : callable or None
        ``expect() -> data``, the expected data when it is not the reference's
        probe output (notebook checks).
    hidden : bool
        Hidden checks are not released to students.
    """

    cell: str
    name: str
    what: str
    probe: Callable[[Any], Any]
    judge: Callable[[Any, Any], Verdict]
    weight: float = 1.0
    notebook: bool = False
    expect: Callable[[], Any] | None = None
    hidden: bool = False


def register(cell: str, what: str, judge: Callable[[Any, Any], Verdict], *, weight: float = 1.0,
             notebook: bool = False, expect: Callable[[], Any] | None = None, hidden: bool = False):
    """Decorator that turns a probe function into a :class:`Check` of its module's notebook."""
    def wrap(probe):
        checks = _REGISTRY.setdefault(probe.__module__, [])
        if any(c.name == probe.__name__ for c in checks):
            raise ValueError(f"{probe.__module__} defines the check {probe.__name__!r} twice")
        checks.append(Check(cell, probe.__name__, what, probe, judge, weight, notebook, expect, hidden))
        return probe
    return wrap


def load(assignment: str, notebook: str) -> list[Check]:
    """The checks of one notebook, in the order they are defined."""
    module = f"cs231n.checks.{assignment}.{notebook}"
    importlib.import_module(module)
    return list(_REGISTRY.get(module, []))


def step_seconds(assignment: str, notebook: str, default: int):
    """The time limit of one cell or probe of a notebook: ``STEP_SECONDS`` of its
    check module (set by notebooks that train models), else ``default``."""
    load(assignment, notebook)
    return getattr(sys.modules[f"{__name__}.{assignment}.{notebook}"], "STEP_SECONDS", default)


def points_of(checks: list[Check], cell: str, cell_points: float, total: float | None = None) -> dict[str, float]:
    """Split a cell's points over its checks in proportion to their weights.

    ``total`` is the weight of all the cell's checks when some are not in
    ``checks`` (a student's copy has no hidden checks, which hold the rest).
    """
    mine = [c for c in checks if c.cell == cell]
    total = total or sum(c.weight for c in mine)
    return {c.name: cell_points * c.weight / total for c in mine} if total else {}


def variable(ns: dict, name: str):
    """A variable of the executed notebook, or a NameError that says what to run."""
    if name not in ns:
        raise NameError(f"{name} is not defined: run the notebook cell that sets it")
    return ns[name]


@contextmanager
def global_seed(seed: int):
    """``np.random.seed(seed)`` for the duration of the block, then the old state back.

    For probes of code that draws from NumPy's global random state (model
    initialisation, dropout masks), so that the probe's result does not depend
    on what ran before it.
    """
    import numpy as np

    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def check(notebook: str, cell: str | None = None, assignment: str | None = None) -> None:
    """Run the public checks of one test cell (or of the whole notebook) on your code.

    Prints one line per check. Raises AssertionError if any check fails, so
    that the cell shows as failed.
    """
    from cs231n.checks.local import run_in_namespace

    ns = sys._getframe(1).f_globals  # the notebook's variables
    failed = run_in_namespace(notebook, cell, ns, assignment)
    if failed:
        raise AssertionError(f"{len(failed)} check(s) failed: " + ", ".join(failed))
