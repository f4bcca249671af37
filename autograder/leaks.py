"""Find solution text where students or readers can see it.

The secrets are the instructor's: lines inside package solution regions
(``cs231n/**/*.py``), the solution and hidden-test parts of the source
notebooks (``assignments/source/*/*.ipynb``). A line counts as a secret only if
it is long enough to say something and does not also appear in public
material (outside every region, in any file), so ``return loss, dW`` never
trips it.

Targets are searched after HTML tags are dropped and whitespace is collapsed,
so code shown in a rendered page or a notebook's JSON is found as well.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import markup

MIN_SECRET_CHARS = 16
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Every other file is searched, whatever its name (a backup like x.py.orig).
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svgz", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".eot",
                   ".pdf", ".pyc", ".gz", ".zip", ".npz", ".npy", ".h5", ".pkl", ".db"}
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Secret:
    text: str  # normalized
    origin: str  # where it comes from, e.g. 'cs231n/layers.py' or 'assignment1/knn.ipynb'
    kind: str  # 'solution' or 'hidden test'


@dataclass(frozen=True)
class Leak:
    path: Path
    secret: Secret

    def __str__(self) -> str:
        return f"{self.path}: {self.secret.kind} text from {self.secret.origin}: {self.secret.text[:80]!r}"


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def collect_secrets(course_root: Path, assignment: int | None = None) -> list[Secret]:
    """Secrets of ``assignment`` and later ones (of every assignment if None).

    ``course_root`` is the repository root (holding ``cs231n/`` and
    ``assignments/source/``).
    """
    course_root = Path(course_root)
    secret: dict[str, Secret] = {}
    public: list[str] = []

    for path in sorted((course_root / "cs231n").rglob("*.py")):
        origin = path.relative_to(course_root).as_posix()
        text = path.read_text()
        public.extend(markup.public_lines(text, origin))
        if assignment is not None:  # earlier assignments' solutions ship solved
            lines = text.splitlines()
            public.extend(line for region in markup.find_regions(text, origin)
                          if region.assignment < assignment for line in region.body(lines))
        for line in markup.solution_lines(text, assignment, origin):
            _add(secret, line, origin, "solution")
        for line in markup.hidden_lines(text, origin):  # hidden checks never ship
            _add(secret, line, origin, "hidden test")

    for path in sorted((course_root / "assignments" / "source").glob("*/*.ipynb")):
        number = markup.assignment_number(path.parent.name)
        origin = path.relative_to(course_root / "assignments" / "source").as_posix()
        hidden, shown = _notebook_parts(nbformat.read(path, as_version=4))
        public.extend(shown)
        if assignment is None or number >= assignment:
            for kind, line in hidden:
                _add(secret, line, origin, kind)

    # A line shown anywhere in public material (say, quoted in a comment of
    # another notebook's instructions) is not a secret.
    public_text = normalize("\n".join(public))
    return [s for key, s in secret.items() if key not in public_text]


def _add(secret: dict[str, Secret], line: str, origin: str, kind: str) -> None:
    text = normalize(line)
    if len(text) >= MIN_SECRET_CHARS and not text.startswith("#"):
        secret.setdefault(text, Secret(text, origin, kind))


def _notebook_parts(nb) -> tuple[list[tuple[str, str]], list[str]]:
    """Split a source notebook into (hidden (kind, line) pairs, public lines)."""
    hidden: list[tuple[str, str]] = []
    shown: list[str] = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        lines = cell.source.splitlines()
        if meta.get("solution") and not any("BEGIN SOLUTION" in line for line in lines):
            hidden.extend(("solution", line) for line in lines)  # nbgrader clears the whole cell
            continue
        state = None
        for line in lines:
            if "BEGIN SOLUTION" in line:
                state = "solution"
            elif "BEGIN HIDDEN TESTS" in line:
                state = "hidden test"
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                state = None
            elif state:
                hidden.append((state, line))
            else:
                shown.append(line)
    return hidden, shown


def read_target(path: Path) -> str:
    """Visible text of a file: notebook cell sources, HTML without tags."""
    raw = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(raw)
            raw = "\n".join(
                "".join(cell.get("source", "")) + "\n" + json.dumps(cell.get("outputs", []))
                for cell in nb.get("cells", [])
            )
        except (ValueError, AttributeError):
            pass  # not valid JSON: search the raw text
    elif path.suffix in {".html", ".htm"}:
        raw = html.unescape(_TAG.sub("", raw))
    return normalize(raw)


def iter_files(targets: list[Path]):
    for target in targets:
        target = Path(target)
        if target.is_file():
            yield target
        elif target.is_dir():
            for path in sorted(target.rglob("*")):
                if path.is_file() and path.suffix.lower() not in BINARY_SUFFIXES and "__pycache__" not in path.parts:
                    yield path


def find_leaks(course_root: Path, targets: list[Path], assignment: int | None = None,
               allowed: str = "", secrets: list[Secret] | None = None) -> list[Leak]:
    """Every secret (or solution marker) found in the files under ``targets``.

    ``allowed`` is text the reader wrote themselves (a student's own
    submission): secrets that occur in it are not leaks in that student's
    feedback. Hidden tests are never allowed. ``secrets`` saves collecting
    them again when many targets are searched one by one.
    """
    if secrets is None:
        secrets = collect_secrets(course_root, assignment)
    allowed = normalize(allowed)
    leaks = []
    for path in iter_files(targets):
        text = read_target(path)
        for marker in MARKERS:
            if marker in text and marker not in allowed:
                leaks.append(Leak(path, Secret(marker, "nbgrader/solution markup", "marker")))
        for s in secrets:
            if s.text in text and not (s.kind == "solution" and s.text in allowed):
                leaks.append(Leak(path, s))
    return leaks
