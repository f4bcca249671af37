"""Class report for one assignment, built from the grader's per-notebook verdicts.

The grader writes ``<verdicts_dir>/<student>/<assignment>/<notebook>.json``;
:func:`summarize` reads them into a :class:`Summary` and :func:`write_report`
turns that into ``report.html`` (one self-contained page: no JavaScript,
nothing fetched, histograms embedded as PNG ``data:`` URIs), ``checks.csv``
and ``scores.csv``. The same verdicts always give byte-identical files.

A notebook with status ``"missing"`` is the student's own problem and scores
0 out of the notebook's maximum. A notebook with status ``"infrastructure"``
is the grader's problem: it is listed, but the student is left out of the
score statistics and histograms that it would distort.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

TOP_FAILURES = 20
LOW_PASS_RATE = 0.5
# Numbers, but not digits inside identifiers such as ``float64`` or ``conv2d``.
_NUMBER = re.compile(r"(?<![A-Za-z_\d.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
CHECK_COLUMNS = ["notebook", "cell", "check", "what", "hidden", "points", "passed", "graded", "pass_rate"]
STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}
tr.low{background:#fdd}img{margin:.5em}"""


@dataclass
class Summary:
    """Everything the report shows, computed once from the verdict files.

    Attributes
    ----------
    assignment : str
        Assignment name.
    students, notebooks : list of str
        Sorted names of everyone with a verdict and of every notebook seen.
    maxima : dict
        Notebook -> maximum score (sum of its cells' ``points``).
    scores : dict
        Student -> notebook -> score (sum of cell scores; 0 without a verdict).
    status : dict
        Student -> notebook -> ``"graded"``, ``"missing"`` or ``"infrastructure"``.
    checks : list of dict
        One row per (notebook, cell, check) with the keys of ``CHECK_COLUMNS``;
        ``passed``/``graded`` count only notebooks with status ``"graded"`` and
        ``pass_rate`` is their ratio (0 to 1, None when nobody was graded).
    failures : list of dict
        Failing checks grouped by notebook, check and ``normalise(message)``,
        most common first: keys ``notebook``, ``check``, ``message``
        (normalised), ``count`` and ``example`` (one original message).
    incidents : list of dict
        Every notebook verdict that is not ``"graded"``: keys ``student``,
        ``notebook``, ``status`` and ``problems``.
    """

    assignment: str
    students: list[str]
    notebooks: list[str]
    maxima: dict[str, float]
    scores: dict[str, dict[str, float]]
    status: dict[str, dict[str, str]]
    checks: list[dict]
    failures: list[dict]
    incidents: list[dict]

    @property
    def maximum(self) -> float:
        """Maximum total score of the assignment."""
        return sum(self.maxima.values())

    def total(self, student: str) -> float:
        """Total score of one student over all notebooks."""
        return sum(self.scores[student].values())

    def overall_status(self, student: str) -> str:
        """Comma-joined statuses other than ``"graded"``, or ``"graded"``."""
        bad = sorted({s for s in self.status[student].values() if s != "graded"})
        return ",".join(bad) or "graded"

    def scored(self, notebook: str | None = None) -> list[str]:
        """Students without an infrastructure failure (in ``notebook``, or in any notebook)."""
        names = [notebook] if notebook else self.notebooks
        return [s for s in self.students if all(self.status[s][n] != "infrastructure" for n in names)]


def normalise(message: str) -> str:
    """Replace every number in a failure message by ``#``, so that similar failures group.

    Examples
    --------
    >>> normalise("Frobenius error 0.31 (want < 1e-06), dtype float64")
    'Frobenius error # (want < #), dtype float64'
    """
    return _NUMBER.sub("#", message)


def summarize(verdicts_dir: Path, assignment: str) -> Summary:
    """Read ``<verdicts_dir>/*/<assignment>/*.json`` into a :class:`Summary`.

    Parameters
    ----------
    verdicts_dir : Path
        Folder holding one sub-folder per student.
    assignment : str
        Assignment name (the second path level).

    Returns
    -------
    Summary

    Raises
    ------
    FileNotFoundError
        If there is no verdict for this assignment.
    """
    paths = sorted(Path(verdicts_dir).glob(f"*/{assignment}/*.json"))
    if not paths:
        raise FileNotFoundError(f"no verdicts in {verdicts_dir}/*/{assignment}/")
    verdicts = {}
    for p in paths:  # the folder also holds the grader's notes and cell outputs: keep verdicts only
        data = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("notebook") == p.stem:
            verdicts[(p.parent.parent.name, p.stem)] = data
    students = sorted({s for s, _ in verdicts})
    notebooks = sorted({n for _, n in verdicts})
    # Prefer a graded verdict's cells for the maxima and the check list.
    by_cells = sorted(verdicts.items(), key=lambda kv: (kv[1].get("status") != "graded", kv[0]))
    maxima, rows = {}, {}
    for (_, notebook), verdict in by_cells:
        cells = verdict.get("cells") or {}
        if cells and notebook not in maxima:
            maxima[notebook] = sum(cell["points"] for cell in cells.values())
        for cell_name, cell in cells.items():
            for check in cell.get("checks", []):
                rows.setdefault((notebook, cell_name, check["name"]), {
                    "notebook": notebook, "cell": cell_name, "check": check["name"],
                    "what": check.get("what", ""), "hidden": bool(check.get("hidden")),
                    "points": check.get("points", 0.0), "passed": 0, "graded": 0, "pass_rate": None})
    scores = {s: {n: 0.0 for n in notebooks} for s in students}
    status = {s: {n: "missing" for n in notebooks} for s in students}
    groups, incidents = {}, []
    for (student, notebook), verdict in sorted(verdicts.items()):
        status[student][notebook] = verdict.get("status", "graded")
        cells = verdict.get("cells") or {}
        scores[student][notebook] = sum(cell.get("score", 0.0) for cell in cells.values())
        if status[student][notebook] != "graded":
            continue
        for cell_name, cell in cells.items():
            for check in cell.get("checks", []):
                row = rows[notebook, cell_name, check["name"]]
                row["graded"] += 1
                row["passed"] += bool(check.get("passed"))
                if not check.get("passed"):
                    message = check.get("message", "")
                    key = (notebook, check["name"], normalise(message))
                    groups.setdefault(key, {"notebook": key[0], "check": key[1], "message": key[2],
                                            "count": 0, "example": message})["count"] += 1
    for student in students:
        for notebook in notebooks:
            verdict = verdicts.get((student, notebook), {"problems": ["no verdict for this notebook"]})
            if status[student][notebook] != "graded":
                incidents.append({"student": student, "notebook": notebook,
                                  "status": status[student][notebook], "problems": verdict.get("problems", [])})
    checks = [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1]))]  # stable: keeps check order
    for row in checks:
        row["pass_rate"] = row["passed"] / row["graded"] if row["graded"] else None
    failures = sorted(groups.values(), key=lambda g: (-g["count"], g["notebook"], g["check"], g["message"]))
    return Summary(assignment, students, notebooks, {n: maxima.get(n, 0.0) for n in notebooks},
                   scores, status, checks, failures, incidents)


def _num(x: float) -> str:
    """A score as short, stable text (``2``, ``1.5``)."""
    return f"{round(x, 4):g}"


def histogram_png(values: list[float], maximum: float, title: str) -> bytes:
    """Draw a histogram of scores from 0 to ``maximum`` (marked) as PNG bytes."""
    fig = Figure(figsize=(5, 3), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(values, bins=20, range=(0, maximum or 1), color="#4477aa", edgecolor="white")
    ax.axvline(maximum, color="#cc3311", linestyle="--", label=f"maximum {_num(maximum)}")
    ax.set(title=title, xlabel="score", ylabel="students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _table(header: list[str], rows: list[list], classes: list[str] | None = None) -> str:
    """An HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        (f'<tr class="{classes[i]}">' if classes and classes[i] else "<tr>")
        + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>\n"
        for i, row in enumerate(rows))
    return f"<table><tr>{head}</tr>\n{body}</table>\n"


def render_html(summary: Summary) -> str:
    """The report page for a :class:`Summary` (self-contained HTML)."""
    s, esc = summary, html.escape
    totals = [s.total(student) for student in s.scored()]
    stats = (f"mean {_num(statistics.mean(totals))}, median {_num(statistics.median(totals))} "
             f"out of {_num(s.maximum)}" if totals else "no fully graded submission")
    excluded = len(s.students) - len(totals)
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{esc(s.assignment)} report</title>",
             f"<style>{STYLE}</style></head><body>\n<h1>{esc(s.assignment)}</h1>",
             f"<p>{len(s.students)} submissions; total score {esc(stats)}"
             + (f" ({excluded} with infrastructure failures left out)" if excluded else "") + ".</p>",
             "<h2>Checks</h2>"]
    parts.append(_table(
        ["notebook", "cell", "check", "what", "visibility", "points", "passed / graded", "pass rate"],
        [[r["notebook"], r["cell"], r["check"], r["what"], "hidden" if r["hidden"] else "public",
          _num(r["points"]), f"{r['passed']} / {r['graded']}",
          "-" if r["pass_rate"] is None else f"{100 * r['pass_rate']:.0f}%"] for r in s.checks],
        ["low" if r["pass_rate"] is not None and r["pass_rate"] < LOW_PASS_RATE else "" for r in s.checks]))
    parts.append("<h2>Score distributions</h2>\n<p>")
    plots = [(n, [s.scores[st][n] for st in s.scored(n)], s.maxima[n]) for n in s.notebooks]
    plots.append((f"{s.assignment} total", totals, s.maximum))
    for title, values, maximum in plots:
        data = base64.b64encode(histogram_png(values, maximum, title)).decode("ascii")
        parts.append(f'<img alt="{esc(title)} score histogram" src="data:image/png;base64,{data}">')
    parts.append("</p>\n<h2>Most common failures</h2>\n<p>Numbers are replaced by #.</p>")
    parts.append(_table(["notebook", "check", "count", "message", "example"],
                        [[g["notebook"], g["check"], g["count"], g["message"], g["example"]]
                         for g in s.failures[:TOP_FAILURES]]))
    for kind, title in [("infrastructure", "Grader failures (infrastructure)"), ("missing", "Missing notebooks")]:
        rows = [[i["student"], i["notebook"], "; ".join(i["problems"])] for i in s.incidents if i["status"] == kind]
        parts.append(f"<h2>{title}</h2>\n" + (_table(["student", "notebook", "problems"], rows) if rows
                                               else "<p>None.</p>\n"))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(verdicts_dir: Path, assignment: str, out_dir: Path) -> Path:
    """Write ``report.html``, ``checks.csv`` and ``scores.csv`` for one assignment.

    Parameters
    ----------
    verdicts_dir : Path
        Folder with ``<student>/<assignment>/<notebook>.json`` verdicts.
    assignment : str
        Assignment name.
    out_dir : Path
        Output folder, created if needed; existing files are overwritten.

    Returns
    -------
    Path
        The path of ``report.html``.
    """
    summary = summarize(verdicts_dir, assignment)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "checks.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CHECK_COLUMNS)
        for r in summary.checks:
            rate = "" if r["pass_rate"] is None else f"{r['pass_rate']:.4f}"
            writer.writerow([r["notebook"], r["cell"], r["check"], r["what"], r["hidden"],
                             _num(r["points"]), r["passed"], r["graded"], rate])
    with open(out_dir / "scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["student", *summary.notebooks, "total", "max", "status"])
        for st in summary.students:
            writer.writerow([st, *(_num(summary.scores[st][n]) for n in summary.notebooks),
                             _num(summary.total(st)), _num(summary.maximum), summary.overall_status(st)])
    report = out_dir / "report.html"
    report.write_text(render_html(summary), encoding="utf-8")
    return report
