"""Each source notebook of an assignment executed end to end, as a student would.

Runs every notebook of ``assignments/source/<assignment>`` (the reference
solution, test cells included) top to bottom in a fresh kernel with nbclient,
on the CPU with one BLAS thread, and prints its wall time and slowest cell
against the course's goal of 3 minutes per notebook. The baseline row is an
empty notebook: the cost of starting a kernel, measured in the same run.
Never fails on time; a notebook that raises is reported as such.

    python benchmarks/bench_notebooks.py [ASSIGNMENT=assignment2] [NOTEBOOK ...]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import timing  # noqa: F401  (one BLAS thread, before numpy)
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 180


def run(nb: nbformat.NotebookNode, cwd: Path) -> tuple[float, float, str]:
    """Wall time of the whole notebook, of its slowest cell, and an error ('' if none)."""
    started: dict[int, float] = {}
    cells: list[float] = []

    def on_start(cell, cell_index, **_):
        started[cell_index] = time.perf_counter()

    def on_done(cell, cell_index, **_):
        cells.append(time.perf_counter() - started[cell_index])

    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                            on_cell_start=on_start, on_cell_executed=on_done)
    start, error = time.perf_counter(), ""
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1][:120]
    total = time.perf_counter() - start
    return total, max(cells, default=0.0), error


def main(assignment: str = "assignment2", *names: str) -> None:
    folder = REPO / "assignments" / "source" / assignment
    paths = [folder / f"{n}.ipynb" for n in names] or sorted(folder.glob("*.ipynb"))
    empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    base, _, _ = run(empty, folder)
    print(f"{assignment}: each notebook executed end to end (goal <= {GOAL_SECONDS} s each)")
    print(f"{'notebook':<28}{'seconds':>9}{'slowest cell':>14}  result")
    print(f"{'(empty notebook: kernel start)':<28}{base:>9.1f}{'':>14}")
    for path in paths:
        total, slowest, error = run(nbformat.read(path, as_version=4), folder)
        verdict = f"ERROR {error}" if error else ("goal met" if total <= GOAL_SECONDS else "over the goal")
        print(f"{path.stem:<28}{total:>9.1f}{slowest:>14.1f}  {verdict}")


if __name__ == "__main__":
    main(*sys.argv[1:])
