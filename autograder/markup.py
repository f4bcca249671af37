"""Solution markup in package files.

The instructor's ``cs231n/*.py`` hold each reference solution between::

    ### BEGIN SOLUTION assignment1
    ...
    ### END SOLUTION

nbgrader clears such regions in notebooks only; this module does the same for
package files. A region is tagged with the assignment that asks students to
write it: releasing assignment N replaces the regions of assignment N and of
every later assignment by a stub, and ships earlier regions solved.

Hidden checks (``cs231n/checks/``) sit between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``, as in nbgrader's test cells; no release ships them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+ ?BEGIN SOLUTION\b(?P<tag>.*)$")
END = re.compile(r"^[ \t]*#+ ?END SOLUTION\b")
TAG = re.compile(r"^\s*assignment(?P<number>\d+)\s*$")
HIDDEN_BEGIN = re.compile(r"^[ \t]*#+ ?BEGIN HIDDEN TESTS\b")
HIDDEN_END = re.compile(r"^[ \t]*#+ ?END HIDDEN TESTS\b")
DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")


class MarkupError(ValueError):
    """A package file whose solution markup cannot be processed safely."""


@dataclass(frozen=True)
class Region:
    """One solution region: lines ``start`` to ``end`` (0-based, inclusive of markers)."""

    start: int
    end: int
    indent: str
    assignment: int
    owner: str  # the function or class the region sits in ('' at module level)

    def body(self, lines: list[str]) -> list[str]:
        return lines[self.start + 1 : self.end]


def assignment_number(assignment: str) -> int:
    """``'assignment2'`` -> 2; raises ValueError for anything else."""
    match = TAG.match(assignment)
    if not match:
        raise ValueError(f"assignment names look like 'assignment1', got {assignment!r}")
    return int(match["number"])


def find_regions(text: str, filename: str = "<text>") -> list[Region]:
    """All solution regions of a Python source, validated.

    Raises
    ------
    MarkupError
        For an untagged, nested, unclosed or unopened region, naming the line.
    """
    lines = text.splitlines()
    regions: list[Region] = []
    open_at = None
    for i, line in enumerate(lines):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at is not None:
                raise MarkupError(f"{filename}:{i + 1}: BEGIN SOLUTION inside the region opened at line {open_at[0] + 1}")
            tag = TAG.match(begin["tag"])
            if not tag:
                raise MarkupError(
                    f"{filename}:{i + 1}: a package solution region needs the assignment that asks for it, "
                    f"e.g. '### BEGIN SOLUTION assignment1'"
                )
            open_at = (i, begin["indent"], int(tag["number"]))
        elif end:
            if open_at is None:
                raise MarkupError(f"{filename}:{i + 1}: END SOLUTION without a BEGIN SOLUTION")
            start, indent, number = open_at
            regions.append(Region(start, i, indent, number, _owner(lines, start, indent)))
            open_at = None
    if open_at is not None:
        raise MarkupError(f"{filename}:{open_at[0] + 1}: BEGIN SOLUTION is never closed")
    return regions


def _owner(lines: list[str], start: int, indent: str) -> str:
    """Name of the innermost def/class enclosing line ``start``."""
    for line in reversed(lines[:start]):
        match = DEF.match(line)
        if match and len(match["indent"]) < len(indent):
            return match["name"]
    return ""


def strip_solutions(text: str, assignment: int, filename: str = "<text>") -> str:
    """Student version of a package source for releasing ``assignment``.

    Regions of ``assignment`` and later become a stub that raises
    ``NotImplementedError``; regions of earlier assignments keep their code and
    lose only their marker lines.
    """
    lines = text.splitlines()
    out: list[str] = []
    cursor = 0
    for region in find_regions(text, filename):
        out.extend(lines[cursor : region.start])
        if region.assignment < assignment:
            out.extend(region.body(lines))
        else:
            out.extend(_stub(region, filename))
        cursor = region.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _stub(region: Region, filename: str) -> list[str]:
    where = f"`{region.owner}` in {filename}" if region.owner else filename
    message = f"Assignment {region.assignment}: write {where} (see the TODO above)."
    return [
        f"{region.indent}# YOUR CODE HERE",
        f"{region.indent}raise NotImplementedError({message!r})",
    ]


def solution_lines(text: str, assignment: int | None = None, filename: str = "<text>") -> list[str]:
    """Lines inside the regions of ``assignment`` and later (all regions if None)."""
    lines = text.splitlines()
    return [
        line
        for region in find_regions(text, filename)
        if assignment is None or region.assignment >= assignment
        for line in region.body(lines)
    ]


def public_lines(text: str, filename: str = "<text>") -> list[str]:
    """Lines outside every solution and hidden-test region (what students always see)."""
    lines = text.splitlines()
    inside = {i for region in find_regions(text, filename) for i in range(region.start, region.end + 1)}
    inside |= {i for start, end in find_hidden(text, filename) for i in range(start, end + 1)}
    return [line for i, line in enumerate(lines) if i not in inside]


def find_hidden(text: str, filename: str = "<text>") -> list[tuple[int, int]]:
    """(start, end) line indices (0-based, markers included) of the hidden-test regions."""
    regions, open_at = [], None
    for i, line in enumerate(text.splitlines()):
        if HIDDEN_BEGIN.match(line):
            if open_at is not None:
                raise MarkupError(f"{filename}:{i + 1}: BEGIN HIDDEN TESTS inside the region opened at line {open_at + 1}")
            open_at = i
        elif HIDDEN_END.match(line):
            if open_at is None:
                raise MarkupError(f"{filename}:{i + 1}: END HIDDEN TESTS without a BEGIN HIDDEN TESTS")
            regions.append((open_at, i))
            open_at = None
    if open_at is not None:
        raise MarkupError(f"{filename}:{open_at + 1}: BEGIN HIDDEN TESTS is never closed")
    return regions


def hidden_lines(text: str, filename: str = "<text>") -> list[str]:
    """Lines inside the hidden-test regions."""
    lines = text.splitlines()
    return [line for start, end in find_hidden(text, filename) for line in lines[start + 1 : end]]


def strip_hidden(text: str, filename: str = "<text>") -> str:
    """``text`` without its hidden-test regions (markers included)."""
    lines = text.splitlines()
    drop = {i for start, end in find_hidden(text, filename) for i in range(start, end + 1)}
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return "\n".join(kept) + ("\n" if text.endswith("\n") and kept else "")


def strip_package(src: Path, dst: Path, assignment: int) -> list[Path]:
    """Copy the package at ``src`` to ``dst`` with solutions stripped for ``assignment``
    and hidden tests removed.

    Caches and data are not copied. Returns the files written.
    """
    written = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or skipped(rel):
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            name = f"{src.name}/{rel.as_posix()}"
            target.write_text(strip_hidden(strip_solutions(path.read_text(), assignment, name), name))
        else:
            target.write_bytes(path.read_bytes())
        written.append(target)
    return written


def skipped(rel: Path) -> bool:
    """Files of the package that are not sources: caches and downloaded data."""
    parts = rel.parts
    return (
        "__pycache__" in parts
        or rel.suffix in {".pyc", ".pyo"}
        or (len(parts) > 1 and parts[0] == "datasets" and not rel.name.lower().startswith("readme"))
    )
