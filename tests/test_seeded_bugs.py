"""How well the checks of Assignment 1 catch realistic bugs, and whether they accept correct variants.

``tests/seeded_bugs/*.toml`` list seeded bugs and correct alternative
implementations, each as edits to the reference solution (like the example
submissions of ``assignments/examples/``); each file names the assignment of
its entries. A module fixture builds every entry as its own student of one
scratch course and grades the notebook it belongs to through the real grader
(sandbox, worker, trusted judges):

- a bug is *caught* when at least one check of its notebook fails; at least
  95 % of the bugs of each assignment must be caught, and every escape is listed;
- an alternative must pass every check of its notebook.

Entries that only edit the package are graded without running the notebook's
cells (``execute=False``), so only the package checks count for them; entries
that edit a notebook are graded with its cells run, and every check counts.
The alternatives double as controls: a check that failed for every
submission would make every bug look caught, so each notebook with seeded bugs
must have an alternative, graded the same way, that passes.

No release is made: a submission built from the solution and its grading need
none (``release_assignment`` would add 20-40 s of nbgrader and references).
"""
from __future__ import annotations

import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.course import Course, CourseError, copy_course
from autograder.examples import Example, build_example
from autograder.verdicts import grade_notebook, notebook_spec, reference
from cs231n import checks as checklib

pytestmark = pytest.mark.e2e

SPEC_DIR = Path(__file__).with_name("seeded_bugs")
WORKERS = 2
MIN_CATCH_RATE = 0.95


@dataclass(frozen=True)
class Entry:
    """A seeded bug or a correct alternative, as read from a file of seeded_bugs/."""

    assignment: str
    kind: str          # "bug" or "alternative"
    name: str
    notebook: str
    about: str
    edits: tuple
    execute: bool      # run the notebook's cells (needed when a notebook is edited)
    xfail: dict = field(default_factory=dict)  # {"check": ..., "why": ...}: a check known to reject it

    def example(self) -> Example:
        return Example(self.name, "solution", "partial" if self.kind == "bug" else "full", self.about,
                       [dict(e) for e in self.edits])


def load_entries(folder: Path = SPEC_DIR) -> list[Entry]:
    entries = []
    for path in sorted(folder.glob("*.toml")):
        spec = tomllib.loads(path.read_text())
        for kind in ("bug", "alternative"):
            for raw in spec.get(kind, []):
                edits = tuple(raw.get("edit", []))
                touches_notebook = any(e.get("file", "").endswith(".ipynb") for e in edits)
                entries.append(Entry(spec.get("assignment", f"<no assignment in {path.name}>"), kind,
                                     raw.get("name", ""), raw.get("notebook", ""), raw.get("about", ""), edits,
                                     bool(raw.get("execute", touches_notebook)), dict(raw.get("xfail", {}))))
    return entries


ENTRIES = load_entries()
ASSIGNMENTS = sorted({e.assignment for e in ENTRIES})
BUGS = [e for e in ENTRIES if e.kind == "bug"]
ALTERNATIVES = [e for e in ENTRIES if e.kind == "alternative"]


def counted_checks(verdict: dict, entry: Entry, notebook_checks: set[str]) -> list[dict]:
    """The checks that count for an entry: all of them when the notebook ran, else the package checks."""
    found = [c for cell in verdict["cells"].values() for c in cell["checks"]]
    return found if entry.execute else [c for c in found if c["name"] not in notebook_checks]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build every entry as a student of one scratch course and grade it: {name: (entry, counted checks, verdict)}."""
    t0 = time.monotonic()
    course = copy_course(tmp_path_factory.mktemp("seeded"))
    notebooks = sorted({(e.assignment, e.notebook) for e in ENTRIES})
    specs = {(a, nb): notebook_spec(course, a, nb) for a, nb in notebooks}
    notebook_checks = {(a, nb): {c.name for c in checklib.load(a, nb) if c.notebook} for a, nb in notebooks}

    build_errors = {}
    for entry in ENTRIES:
        try:
            build_example(course, entry.assignment, entry.example(),
                          course.intake / entry.name / entry.assignment)
        except CourseError as err:
            build_errors[entry.name] = str(err)

    jobs = [e for e in ENTRIES if e.name not in build_errors]
    # The slowest first (executed notebooks), so that the two workers finish together.
    jobs.sort(key=lambda e: (not e.execute, e.notebook != "features"))

    def grade(entry):
        start = time.monotonic()
        key = (entry.assignment, entry.notebook)
        verdict = grade_notebook(course, entry.assignment, entry.name, specs[key], expected[key],
                                 execute=entry.execute)
        return entry, verdict, time.monotonic() - start

    results, seconds = {}, {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        expected = dict(zip(notebooks, pool.map(lambda key: reference(course, *key), notebooks)))
        t_reference = time.monotonic()
        for entry, verdict, took in pool.map(grade, jobs):
            key = (entry.assignment, entry.notebook)
            results[entry.name] = (entry, counted_checks(verdict, entry, notebook_checks[key]), verdict)
            seconds[entry.name] = took
    t_end = time.monotonic()
    print(f"\nseeded bugs: building and references {t_reference - t0:.0f} s, grading {len(jobs)} entries on {WORKERS} "
          f"workers {t_end - t_reference:.0f} s (sum of the jobs {sum(seconds.values()):.0f} s), "
          f"total {t_end - t0:.0f} s; slowest: "
          + ", ".join(f"{n} {s:.0f} s" for n, s in sorted(seconds.items(), key=lambda kv: -kv[1])[:4]))
    return {"results": results, "build_errors": build_errors}


def _failing(counted: list[dict]) -> list[dict]:
    return [c for c in counted if not c["passed"]]


def test_seeded_bugs_are_caught(graded):
    results, build_errors = graded["results"], graded["build_errors"]
    # Controls: a correct alternative of the notebook, graded the same way, passes every counted check.
    for notebook in sorted({b.notebook for b in BUGS if not b.execute}):
        controls = [a for a in ALTERNATIVES if a.notebook == notebook and not a.execute and not a.xfail
                    and a.name in results and results[a.name][1] and not _failing(results[a.name][1])]
        assert controls, f"no correct alternative of {notebook} passes its package checks: the catches mean nothing"
    escapes, caught_by = [], {}
    for bug in BUGS:
        if bug.name in build_errors:
            escapes.append((bug.name, f"not built: {build_errors[bug.name]}"))
            continue
        _, counted, verdict = results[bug.name]
        assert verdict["status"] == "graded", (bug.name, verdict["status"], verdict["problems"])
        failing = _failing(counted)
        if failing:
            caught_by[bug.name] = [c["name"] for c in failing]
        else:
            escapes.append((bug.name, bug.about))
    print(f"\ncatch rate {len(caught_by)}/{len(BUGS)} = {len(caught_by) / len(BUGS):.3f}")
    for name, checks in caught_by.items():
        print(f"  caught  {name}: {', '.join(checks)}")
    for name, about in escapes:
        print(f"  ESCAPED {name}: {about}")
    for assignment in ASSIGNMENTS:  # each assignment on its own: one cannot make up for another
        bugs = [b for b in BUGS if b.assignment == assignment]
        caught = sum(b.name in caught_by for b in bugs)
        rate = caught / len(bugs)
        listing = "\n".join(f"  {name}: {about}" for name, about in escapes
                            if any(b.name == name for b in bugs))
        assert rate >= MIN_CATCH_RATE, (f"the checks of {assignment} catch {caught} of {len(bugs)} seeded bugs "
                                        f"({rate:.1%} < {MIN_CATCH_RATE:.0%}); escapes:\n{listing}")


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[a.name for a in ALTERNATIVES])
def test_correct_alternative_passes_every_check(graded, alternative):
    assert alternative.name not in graded["build_errors"], graded["build_errors"].get(alternative.name)
    _, counted, verdict = graded["results"][alternative.name]
    assert verdict["status"] == "graded", (verdict["status"], verdict["problems"])
    assert counted, "no check of the notebook counted"
    failing = _failing(counted)
    messages = [f"{c['name']}: {c['message']}" for c in failing]
    for line in messages:
        print(f"  FAILED {alternative.name} {line}")
    if alternative.xfail:
        # A check known to reject this correct code: expect exactly that failure, and say so once it is fixed.
        assert {c["name"] for c in failing} == {alternative.xfail["check"]}, (
            f"expected only {alternative.xfail['check']!r} to fail (known problem of the check), got {messages}; "
            "if the check was fixed, remove the xfail of this alternative")
        pytest.xfail(f"{alternative.xfail['check']}: {alternative.xfail['why']} -- {messages[0]}")
    assert not failing, f"{alternative.about}\nfailing checks:\n" + "\n".join(messages)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_bug_list_is_broad_and_every_edit_applies(tmp_path, assignment):
    course = Course()
    notebooks = set(course.notebooks(assignment))
    entries = [e for e in ENTRIES if e.assignment == assignment]
    bugs = [e for e in entries if e.kind == "bug"]
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names)), "entry names must be unique (each is a student)"
    assert len(bugs) >= 40, f"only {len(bugs)} seeded bugs"
    assert {b.notebook for b in bugs} == notebooks, "the bugs should span every notebook"
    alternatives = [e for e in entries if e.kind == "alternative"]
    assert len(alternatives) >= len(notebooks), f"only {len(alternatives)} correct alternatives"
    executed = [e.name for e in entries if e.execute]
    assert len(executed) <= 8, f"too many entries run their notebook (slow): {executed}"
    for entry in entries:
        assert entry.name and entry.about, entry
        assert entry.notebook in notebooks, f"{entry.name}: unknown notebook {entry.notebook!r}"
        assert entry.edits, f"{entry.name}: no edits"
        for edit in entry.edits:
            assert set(edit) == {"file", "old", "new"}, f"{entry.name}: an edit has the keys {sorted(edit)}"
            assert edit["old"] and edit["old"] != edit["new"], f"{entry.name}: an edit changes nothing"
        if entry.xfail:
            assert entry.kind == "alternative" and set(entry.xfail) == {"check", "why"}, entry.name
        # build_example raises CourseError unless every `old` occurs exactly once
        dest = build_example(course, assignment, entry.example(), tmp_path / entry.name)
        for edit in entry.edits:
            target = dest / edit["file"]
            assert target.exists(), f"{entry.name}: {edit['file']} is not part of a submission"
            if edit["new"] and not target.suffix == ".ipynb":
                assert edit["new"] in target.read_text(), f"{entry.name}: the edit of {edit['file']} did not land"
