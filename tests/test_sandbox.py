"""The sandbox: what student code can and cannot do, measured by running it."""
import os
import sys
import textwrap

import pytest

from autograder import sandbox

needs_isolation = pytest.mark.skipif(sandbox.bwrap() is None and not os.environ.get("CI"),
                                     reason="bubblewrap is not installed (make test installs it as root)")


def _run(tmp_path, code, limits=sandbox.Limits(wall_seconds=60), watch=None):
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    (work / "prog.py").write_text(textwrap.dedent(code))
    argv, inside_work, inside_out = sandbox.command([sys.executable, "prog.py", "OUT"], work, out, limits)
    argv[-1] = str(inside_out)
    outcome = sandbox.run(argv, work, out, limits, watch=watch)
    result = out / "result.txt"
    return outcome, (result.read_text() if result.exists() else None)


def test_everything_is_enforced_in_ci():
    if os.environ.get("CI"):
        assert sandbox.warnings() == []


@needs_isolation
def test_the_host_filesystem_is_invisible_and_the_own_folder_is_writable(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    outcome, result = _run(tmp_path, f"""
        import os, sys
        seen = os.path.exists({str(secret)!r}) or os.path.exists({str(sandbox.__file__)!r})
        open("mine.txt", "w").write("ok")
        open(os.path.join(sys.argv[1], "result.txt"), "w").write(f"{{seen}} {{os.getcwd()}}")
    """)
    assert outcome.returncode == 0, outcome
    assert result == f"False {sandbox.INSIDE_ROOT}"
    assert (tmp_path / "work" / "mine.txt").read_text() == "ok"


@needs_isolation
def test_there_is_no_network(tmp_path):
    outcome, result = _run(tmp_path, """
        import os, socket, sys
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=3)
            what = "connected"
        except OSError as err:
            what = type(err).__name__
        open(os.path.join(sys.argv[1], "result.txt"), "w").write(what)
    """)
    assert result is not None and result != "connected"


def test_memory_is_limited(tmp_path):
    outcome, result = _run(tmp_path, """
        import os, sys
        try:
            block = bytearray(8 * 2**30)
            what = "allocated"
        except MemoryError:
            what = "MemoryError"
        open(os.path.join(sys.argv[1], "result.txt"), "w").write(what)
    """, limits=sandbox.Limits(wall_seconds=60, memory_bytes=2 * 2**30, address_space_bytes=2 * 2**30))
    assert result == "MemoryError"


def test_wall_clock_and_watch_stop_the_whole_tree(tmp_path):
    outcome, _ = _run(tmp_path, """
        import subprocess, time
        subprocess.Popen(["sleep", "300"])
        time.sleep(300)
    """, limits=sandbox.Limits(wall_seconds=2))
    assert "wall-clock" in outcome.stopped and outcome.seconds < 30
    outcome, _ = _run(tmp_path, "import time; time.sleep(300)", watch=lambda: "told to stop")
    assert outcome.stopped == "told to stop"


def test_processes_are_limited(tmp_path):
    if "pids" not in sandbox._cgroup_roots() and os.geteuid() == 0:
        pytest.skip("no pids cgroup and running as root: the process count cannot be limited here")
    outcome, result = _run(tmp_path, """
        import os, subprocess, sys
        started = 0
        try:
            for _ in range(200):
                subprocess.Popen(["sleep", "30"])
                started += 1
        except OSError:
            pass
        open(os.path.join(sys.argv[1], "result.txt"), "w").write(str(started))
    """, limits=sandbox.Limits(wall_seconds=60, processes=32))
    assert result is not None and int(result) < 32


def test_file_size_is_limited(tmp_path):
    outcome, result = _run(tmp_path, """
        import os, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            with open("big.bin", "wb") as f:
                f.write(b"x" * (8 * 2**20))
            what = "written"
        except OSError as err:
            what = "refused"
        open(os.path.join(sys.argv[1], "result.txt"), "w").write(what)
    """, limits=sandbox.Limits(wall_seconds=60, file_bytes=2**20))
    assert result == "refused"
