"""Run student code in a sandbox built from the operating system's own mechanisms.

- **bubblewrap** (``bwrap``), when installed: new user, PID, network, IPC and
  UTS namespaces. The process sees the system's programs and the Python
  installation read-only, its own private folder read-write at
  ``/submission``, an output folder at ``/out``, an empty ``/tmp``, and
  nothing else: no other submission, no instructor source, no gradebook, and
  no network (only a loopback interface that is down).
- **Resource limits** (``prlimit``): address space, CPU seconds, file size,
  open files, no core dumps.
- **cgroups**, when the grader may create them (cgroup v1 or v2): a cap on the
  number of processes (fork bombs) and on the memory of the whole sandbox.
  Without cgroups, a non-root grader falls back to ``RLIMIT_NPROC``.
- A **wall-clock** limit enforced from outside: the whole process tree is
  killed (it lives in its own session, PID namespace and cgroup).

What is missing is reported by :func:`warnings` and printed by the grader;
grading still runs, with whatever isolation remains.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

INSIDE_ROOT = "/submission"
INSIDE_OUT = "/out"
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/sbin", "/etc")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    wall_seconds: float = 900.0
    cpu_seconds: int = 900
    memory_bytes: int = 4 * 2**30       # memory of the whole sandbox (memory cgroup)
    # Address space per process: a hard cap that needs no cgroup. Larger than
    # the memory, because PyTorch reserves several GB of address space it never
    # touches; an allocation larger than this fails with a MemoryError.
    address_space_bytes: int = 16 * 2**30
    processes: int = 64
    file_bytes: int = 64 * 2**20        # largest file the sandbox may write
    open_files: int = 256


@dataclass
class Outcome:
    """How a sandboxed run ended."""

    returncode: int | None
    seconds: float
    stopped: str = ""  # why the grader killed it ('' if it ended by itself)

    @property
    def signal(self) -> str:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return ""


def bwrap() -> str | None:
    return shutil.which("bwrap")


def _cgroup_roots() -> dict[str, Path]:
    """Writable cgroup folders for the 'pids' and 'memory' controllers, by controller."""
    roots = {}
    unified = Path("/sys/fs/cgroup")
    if (unified / "cgroup.controllers").exists():  # cgroup v2
        mine = _own_cgroup("")
        base = unified / mine.lstrip("/")
        enabled = (base / "cgroup.subtree_control").read_text().split() if (base / "cgroup.subtree_control").exists() else []
        for controller in ("pids", "memory"):
            if controller in enabled and os.access(base, os.W_OK):
                roots[controller] = base
        return roots
    for controller in ("pids", "memory"):
        base = unified / controller / _own_cgroup(controller).lstrip("/")
        if base.is_dir() and os.access(base, os.W_OK):
            roots[controller] = base
    return roots


def _own_cgroup(controller: str) -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if (controller and controller in names.split(",")) or (not controller and names == ""):
            return path
    return "/"


def warnings() -> list[str]:
    """What this machine cannot enforce, one sentence each (empty when everything is in place)."""
    found = []
    if bwrap() is None:
        found.append("bubblewrap (bwrap) is not installed: student code can read every file the grader can "
                     "and open network connections. Install it: apt-get install bubblewrap")
    if not shutil.which("prlimit"):
        found.append("prlimit (util-linux) is missing: no memory, CPU or file-size limits")
    roots = _cgroup_roots()
    if "memory" not in roots:
        found.append("no writable memory cgroup: each process of a submission is limited to "
                     f"{Limits().address_space_bytes // 2**30} GB of address space, not the sandbox to "
                     f"{Limits().memory_bytes // 2**30} GB of memory")
    if "pids" not in roots and os.geteuid() == 0:
        found.append("no writable pids cgroup and the grader runs as root: the number of processes is not "
                     "limited (a fork bomb is stopped only by the wall-clock limit)")
    return found


class _Cgroups:
    """A fresh cgroup per run with pids and memory caps; removed afterwards."""

    def __init__(self, limits: Limits):
        self.dirs: list[Path] = []
        name = f"cs231n-grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for controller, root in _cgroup_roots().items():
            d = root / name
            try:
                d.mkdir()
                if controller == "pids":
                    (d / "pids.max").write_text(str(limits.processes))
                elif (d / "memory.max").exists():
                    (d / "memory.max").write_text(str(limits.memory_bytes))
                    (d / "memory.swap.max").write_text("0") if (d / "memory.swap.max").exists() else None
                else:
                    (d / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
                self.dirs.append(d)
            except OSError:
                shutil.rmtree(d, ignore_errors=True) if d.exists() and not any(d.iterdir()) else None
        self.dirs = list(dict.fromkeys(self.dirs))

    def join_command(self) -> str:
        return " ".join(f"echo $$ > {d / 'cgroup.procs'};" for d in self.dirs)

    def kill_all(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


def command(argv: list[str], work: Path, out: Path, limits: Limits) -> tuple[list[str], Path, Path]:
    """The full command line for ``argv`` in the sandbox, and the folders as the program sees them."""
    wrapped: list[str] = []
    if shutil.which("prlimit"):
        wrapped += ["prlimit", f"--as={limits.address_space_bytes}", f"--cpu={limits.cpu_seconds}",
                    f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}", "--core=0"]
        if os.geteuid() != 0:
            wrapped.append(f"--nproc={limits.processes}")
        wrapped.append("--")
    if bwrap() is None:
        return wrapped + argv, work, out
    box = [bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in SYSTEM_DIRS:
        p = Path(d)
        if p.is_symlink():
            box += ["--symlink", os.readlink(p), d]
        elif p.is_dir():
            box += ["--ro-bind", d, d]
    for prefix in sorted({sys.prefix, os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}):
        if not any(prefix.startswith(d + "/") for d in SYSTEM_DIRS):
            box += ["--ro-bind", prefix, prefix]
    box += ["--bind", str(work), INSIDE_ROOT, "--bind", str(out), INSIDE_OUT, "--chdir", INSIDE_ROOT]
    return wrapped + box + ["--"] + argv, Path(INSIDE_ROOT), Path(INSIDE_OUT)


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of sandboxed code: nothing inherited from the grader."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "TQDM_DISABLE": "1",  # progress bars print timings: feedback would differ from run to run
    }
    env.update(extra or {})
    return env


def run(argv: list[str], work: Path, out: Path, limits: Limits = Limits(),
        watch: Callable[[], str] | None = None, env: dict[str, str] | None = None) -> Outcome:
    """Run ``argv`` (built with the paths :func:`command` returns) in the sandbox.

    ``watch()`` is called about five times a second while the program runs; a
    non-empty answer is a reason to stop it, and the whole process tree is
    killed. Output to the terminal is discarded: programs report through files
    in ``out``.
    """
    cgroups = _Cgroups(limits)
    full = argv
    if cgroups.dirs:  # join the cgroups before anything of the student's can fork
        full = ["/bin/sh", "-c", cgroups.join_command() + ' exec "$@"', "sh", *argv]
    t0 = time.monotonic()
    stopped = ""
    proc = subprocess.Popen(full, cwd=work if bwrap() is None else "/", env=env or environment(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - t0
            if elapsed > limits.wall_seconds:
                stopped = f"it ran longer than the wall-clock limit of {limits.wall_seconds:g} s"
            elif watch is not None:
                stopped = watch()
            if stopped:
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        cgroups.kill_all()
        proc.wait()
        cgroups.remove()
    code = proc.returncode  # bwrap exits with 128 + N when the program in it was killed by signal N
    return Outcome(128 - code if bwrap() is not None and code > 128 else code, time.monotonic() - t0, stopped)
