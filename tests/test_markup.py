import textwrap

import pytest

from autograder import markup

SOURCE = textwrap.dedent('''\
    import numpy as np


    def affine_forward(x, w, b):
        """x: (N, D), w: (D, M), b: (M,)"""
        out = None
        # TODO: compute out = x w + b, shape (N, M)
        ### BEGIN SOLUTION assignment1
        out = x.reshape(x.shape[0], -1).dot(w) + b
        ### END SOLUTION
        return out, (x, w, b)


    class Net:
        def loss(self, X):
            ### BEGIN SOLUTION assignment2
            scores = X * 2
            ### END SOLUTION
            return scores
    ''')


def test_find_regions_reports_tag_owner_and_indent():
    regions = markup.find_regions(SOURCE)
    assert [(r.assignment, r.owner, r.indent) for r in regions] == [(1, "affine_forward", "    "), (2, "loss", "        ")]


def test_release_of_assignment1_stubs_both_regions():
    out = markup.strip_solutions(SOURCE, 1, "cs231n/layers.py")
    assert "reshape" not in out and "X * 2" not in out
    assert "BEGIN SOLUTION" not in out and "END SOLUTION" not in out
    assert out.count("raise NotImplementedError") == 2
    assert "write `affine_forward` in cs231n/layers.py" in out
    assert "# TODO: compute out" in out  # the instructions ship
    compile(out, "layers.py", "exec")


def test_release_of_assignment2_ships_assignment1_solved():
    out = markup.strip_solutions(SOURCE, 2)
    assert "out = x.reshape(x.shape[0], -1).dot(w) + b" in out
    assert "X * 2" not in out
    assert "BEGIN SOLUTION" not in out
    namespace = {}
    exec(compile(out, "layers.py", "exec"), namespace)
    import numpy as np
    out_arr, _ = namespace["affine_forward"](np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert out_arr.shape == (2, 4) and np.all(out_arr == 3)
    with pytest.raises(NotImplementedError, match="Assignment 2"):
        namespace["Net"]().loss(1)


def test_stub_keeps_indentation_and_compiles():
    out = markup.strip_solutions(SOURCE, 1)
    stub_lines = [line for line in out.splitlines() if "NotImplementedError" in line]
    assert stub_lines[0].startswith("    raise") and stub_lines[1].startswith("        raise")


@pytest.mark.parametrize("bad, message", [
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "needs the assignment"),
    ("### BEGIN SOLUTION assignment1\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a BEGIN"),
    ("### BEGIN SOLUTION assignment1\n### BEGIN SOLUTION assignment1\n### END SOLUTION\n", "inside the region"),
])
def test_bad_markup_fails_with_the_line(bad, message):
    with pytest.raises(markup.MarkupError, match=message):
        markup.strip_solutions(bad, 1, "f.py")


def test_solution_and_public_lines_partition_the_file():
    lines = SOURCE.splitlines()
    sol = markup.solution_lines(SOURCE)
    pub = markup.public_lines(SOURCE)
    assert "    out = x.reshape(x.shape[0], -1).dot(w) + b" in sol
    assert "        scores = X * 2" in sol
    assert markup.solution_lines(SOURCE, 2) == ["        scores = X * 2"]
    assert len(sol) + len(pub) + 4 == len(lines)  # 4 marker lines


def test_strip_package_copies_tree_without_caches(tmp_path):
    src = tmp_path / "pkg"
    (src / "sub").mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "sub" / "m.py").write_text(SOURCE)
    (src / "sub" / "data.txt").write_text("kept")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"x")
    written = markup.strip_package(src, tmp_path / "out", 1)
    rel = sorted(p.relative_to(tmp_path / "out").as_posix() for p in written)
    assert rel == ["__init__.py", "sub/data.txt", "sub/m.py"]
    assert "reshape" not in (tmp_path / "out" / "sub" / "m.py").read_text()


def test_assignment_number():
    assert markup.assignment_number("assignment3") == 3
    with pytest.raises(ValueError):
        markup.assignment_number("hw1")


HIDDEN_SRC = '''import numpy as np

@register("test_x", "public check", close(1e-7))
def public_check(ns):
    return 1.0

### BEGIN HIDDEN TESTS
@register("test_x", "hidden check", close(1e-7), hidden=True)
def hidden_check(ns):
    return np.arange(3) * 17
### END HIDDEN TESTS
'''


def test_hidden_regions_are_found_stripped_and_kept_out_of_public_lines():
    assert markup.find_hidden(HIDDEN_SRC) == [(6, 10)]
    stripped = markup.strip_hidden(HIDDEN_SRC)
    assert "hidden_check" not in stripped and "HIDDEN" not in stripped and "public_check" in stripped
    compile(stripped, "<checks>", "exec")
    assert "    return np.arange(3) * 17" in markup.hidden_lines(HIDDEN_SRC)
    assert not any("arange" in line for line in markup.public_lines(HIDDEN_SRC))


@pytest.mark.parametrize("bad", ["### BEGIN HIDDEN TESTS\nx = 1\n", "x = 1\n### END HIDDEN TESTS\n",
                                 "### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n"])
def test_bad_hidden_markup_fails(bad):
    with pytest.raises(markup.MarkupError):
        markup.find_hidden(bad, "checks.py")


def test_strip_package_removes_hidden_checks(tmp_path):
    src = tmp_path / "cs231n"
    (src / "checks").mkdir(parents=True)
    (src / "checks" / "knn.py").write_text(HIDDEN_SRC)
    markup.strip_package(src, tmp_path / "out", 1)
    assert "hidden_check" not in (tmp_path / "out" / "checks" / "knn.py").read_text()
