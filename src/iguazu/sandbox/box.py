"""Sandbox: runs one untrusted program per call in a new box and returns its RunReport.

    box = Sandbox()                      # refuses (SandboxUnavailable) where it cannot enforce
    report = box.run(["./main"], files={"main": File.copy_of("build/main")},
                     stdin=b"3 4\\n", limits=Limits(cpu_time=1, memory=64 * MIB))
    report.status, report.cpu_time, report.stdout

One run: a fresh tmpfs work dir with the files (workdir.py), a fresh cgroup (boxcgroup.py),
bwrap started as uid 65534 with an empty environment (launch.py); our init (boxinit.c, pid 1
of the box) waits until we have moved it into the cgroup, so that neither bwrap's setup nor
the init's start is counted, then sets the rlimits and starts the program under the seccomp
filter (seccomp.py) that bwrap installed; watched (watch.py)
until it ends or is stopped; the status decided (verdict.py). Afterwards every process of
the box is dead, its cgroup and its work dir are gone.
"""

from __future__ import annotations

import json
import logging
import math
import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from ..cluster import cgroups
from ..errors import SandboxUnavailable
from ..procs import pid_alive
from . import boxcgroup, boxinit, launch, seccomp
from .report import File, Limits, RunReport, Status
from .verdict import Seen, decide
from .watch import watch
from .workdir import WorkDir, check_name

logger = logging.getLogger(__name__)

SETUP_TIMEOUT = 10.0  # seconds bwrap may take to make the namespaces


class Sandbox:
    """`ro_paths`: host paths every box of this sandbox sees read-only (a compiler's, say),
    beside /usr. `unsafe`: run even where limits cannot be enforced (not root: development
    only); `unenforced` then lists what is missing. `base_dir`: where work dirs and the init
    live (default /run/iguazu/sandbox as root)."""

    def __init__(
        self,
        *,
        ro_paths: Iterable[str] = (),
        unsafe: bool = False,
        base_dir: str | Path | None = None,
    ) -> None:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
        self._bwrap = bwrap
        self._root = os.geteuid() == 0
        self._cgroups = boxcgroup.usable()
        missing = []
        if not self._root:
            missing.append(
                "not root: boxes would run as your own user, with no memory, process or total "
                "CPU limit and no size limit on the work dir"
            )
        elif self._cgroups is None:
            missing.append("no writable memory, pids, cpuacct and freezer cgroups")
        if missing and not unsafe:
            raise SandboxUnavailable(
                "cannot run untrusted programs safely here: "
                + "; ".join(missing)
                + ". Sandbox(unsafe=True) runs them anyway, for development only"
            )
        self.unenforced = tuple(missing)
        if missing:
            logger.warning("sandbox: UNSAFE, for development only: %s", "; ".join(missing))
        self.ro_paths = tuple(_check_ro_path(p) for p in ro_paths)
        if base_dir is None:
            base_dir = (
                "/run/iguazu/sandbox"
                if self._root
                else Path(tempfile.gettempdir()) / f"iguazu-sandbox-{os.geteuid()}"
            )
        self.base_dir = Path(base_dir)
        self.base_dir.mkdir(mode=0o711, parents=True, exist_ok=True)
        self._sweep()
        self._init = boxinit.build(self.base_dir)
        self._seccomp = seccomp.program()

    def _sweep(self) -> None:
        """Remove what a process killed in the middle of a run (kill -9) left behind: its
        boxes' processes died with it (--die-with-parent), their work dirs and cgroups not."""
        try:
            left = WorkDir.sweep(self.base_dir, pid_alive)
            if self._cgroups is not None:
                left += boxcgroup.sweep(self._cgroups, pid_alive)
        except (OSError, TimeoutError):
            logger.exception("sandbox: cannot remove what dead boxes left")
            return
        if left:
            logger.warning("sandbox: removed what dead boxes left: %s", ", ".join(left))

    def run(
        self,
        argv: Sequence[str],
        *,
        files: Mapping[str, File | bytes] | None = None,
        stdin: bytes = b"",
        limits: Limits | None = None,
        env: Mapping[str, str] | None = None,
        ro_paths: Iterable[str] = (),
        collect: Iterable[str] = (),
    ) -> RunReport:
        """Run `argv` (looked up on the box's PATH, or relative to the work dir /box) with
        `files` placed in /box first. `env` replaces the default environment (PATH, HOME,
        TMPDIR, LANG); `collect` names files of /box to read back. Raises ValueError for
        arguments that could never run; everything else, the box's failures included, is
        in the report."""
        limits = limits or Limits()
        if not argv or not argv[0] or not all(isinstance(a, str) and "\0" not in a for a in argv):
            raise ValueError("argv must be strings without NUL, starting with a program name")
        placed = {n: f if isinstance(f, File) else File(bytes(f)) for n, f in (files or {}).items()}
        for name in (*placed, *collect):
            check_name(name)
        extra = tuple(_check_ro_path(p) for p in ro_paths)
        work: WorkDir | None = None
        cgroup: cgroups.Cgroup | None = None
        try:
            work = WorkDir.create(
                self.base_dir,
                size=limits.work_dir_size,
                inodes=limits.work_dir_files,
                uid=launch.BOX_UID if self._root else os.geteuid(),
                gid=launch.BOX_UID if self._root else os.getegid(),
                mount=self._root,
            )
            work.place(placed)
            if self._cgroups is not None:
                cgroup = boxcgroup.create(
                    self._cgroups, memory=limits.memory, processes=limits.processes + 1
                )  # +1: our init
            return self._run(argv, work, cgroup, stdin, limits, env, extra, tuple(collect))
        except OSError as exc:
            logger.exception("sandbox: cannot set up a box")
            return RunReport(status=Status.INTERNAL_ERROR, message=f"cannot set up the box: {exc}")
        finally:
            self._clean(cgroup, work)

    def _run(
        self,
        argv: Sequence[str],
        work: WorkDir,
        cgroup: cgroups.Cgroup | None,
        stdin: bytes,
        limits: Limits,
        env: Mapping[str, str] | None,
        extra: tuple[str, ...],
        collect: tuple[str, ...],
    ) -> RunReport:
        opened: list[int] = []

        def pipe() -> tuple[int, int]:
            r, w = os.pipe()
            opened.extend((r, w))
            return r, w

        in_r, in_w = pipe()
        out_r, out_w = pipe()
        err_r, err_w = pipe()
        info_r, info_w = pipe()
        start_r, start_w = pipe()
        seccomp_r, seccomp_w = pipe()
        status_r, status_w = pipe()
        os.write(seccomp_w, self._seccomp)  # far below a pipe's 64 KiB: never blocks
        fds = launch.Fds(info=info_w, seccomp=seccomp_r, status=status_w, start=start_r)
        cmd = launch.command(
            bwrap=self._bwrap,
            init=self._init,
            work=work.work,
            tmp=work.tmp,
            argv=argv,
            env=launch.DEFAULT_ENV if env is None else env,
            rlimits=self._rlimits(limits),
            ro_paths=(*self.ro_paths, *extra),
            fds=fds,
        )
        box_user = launch.BOX_UID if self._root else None
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=in_r,
                stdout=out_w,
                stderr=err_w,
                pass_fds=(info_w, seccomp_r, status_w, start_r),
                env={},  # nothing of ours is readable in the box, not even through /proc
                cwd="/",
                user=box_user,
                group=box_user,
                extra_groups=[] if self._root else None,
            )
        except OSError:
            _close_all(opened)
            raise
        for fd in (in_r, out_w, err_w, info_w, seccomp_r, seccomp_w, status_w, start_r):
            os.close(fd)
            opened.remove(fd)
        pidfd = os.pidfd_open(proc.pid)
        try:
            # bwrap names the box's first process, which becomes our init; the init says
            # "ready" and waits, we move it into the cgroup and say "go". So neither bwrap's
            # setup nor the init's start is counted, and nothing runs outside the cgroup.
            info = _read_until(info_r, lambda data: data.endswith(b"}\n"))
            ready = _read_until(status_r, lambda data: data.endswith(b"\n"))
            try:
                if info is None or ready != b"ready\n":
                    raise ProcessLookupError
                if cgroup is not None:
                    cgroup.join(int(json.loads(info)["child-pid"]))
            except ProcessLookupError:  # bwrap failed to make the box (its stderr says why)
                proc.kill()
                proc.wait()
                return _launch_failed(err_r)
            os.write(start_w, b"go")
            os.close(start_w)
            opened.remove(start_w)
            seen = watch(
                pidfd=pidfd,
                stdin=stdin,
                stdin_fd=in_w,
                stdout_fd=out_r,
                stderr_fd=err_r,
                status_fd=status_r,
                output_cap=limits.output,
                wall_limit=limits.wall_time,
                cpu_limit=limits.cpu_time,
                cpu_time=(lambda: cgroup.cpu_seconds()) if cgroup else (lambda: None),
                kill=lambda: self._kill(proc, cgroup),
            )
            for fd in (in_w, out_r, err_r, status_r):
                opened.remove(fd)  # watch closed them
            proc.wait()
        finally:
            os.close(pidfd)
            _close_all(opened)
        return self._report(seen, proc, cgroup, work, limits, collect)

    def _report(self, seen, proc, cgroup, work, limits, collect) -> RunReport:  # type: ignore[no-untyped-def]
        ending = None
        if seen.status_line:
            try:
                ending = boxinit.Ending.parse(seen.status_line)
            except ValueError:
                logger.error("sandbox: bad status line %r", seen.status_line)
        cpu = cgroup.cpu_seconds() if cgroup else None
        if cpu is None:
            cpu = ending.cpu_time if ending else 0.0
        elif ending is not None:
            cpu = max(ending.cpu_time, cpu - ending.init_cpu_time)
        status, message = decide(
            Seen(
                ending=ending,
                killed=seen.killed,
                oom_killed=bool(cgroup and cgroup.oom_killed()),
                cpu_time=cpu,
                work_dir_full=work.full(),
                launcher_error="" if ending else _launcher_message(proc.returncode, seen.stderr),
            ),
            limits,
        )
        found, refused = work.collect(collect, limits.file_size)
        if refused:
            message += "; not read back: " + ", ".join(refused)
        return RunReport(
            status=status,
            exit_code=ending.code if ending and not ending.signaled else None,
            signal=ending.code if ending and ending.signaled else None,
            cpu_time=round(cpu, 6),
            wall_time=round(seen.wall_time, 6),
            memory=(cgroup.peak_memory() or 0) if cgroup else (ending.max_rss if ending else 0),
            max_rss=ending.max_rss if ending else 0,
            stdout=seen.stdout,
            stderr=seen.stderr,
            message=message,
            files=found,
        )

    def _rlimits(self, limits: Limits) -> dict[str, tuple[int, int]]:
        """The second line, per process, behind the cgroup's limits."""
        cpu = math.ceil(limits.cpu_time)
        found = {
            "cpu": (cpu + 1, cpu + 2),  # SIGXCPU, then SIGKILL; our poll usually comes first
            "fsize": (limits.file_size, limits.file_size),
            "nofile": (limits.open_files, limits.open_files),
            "stack": (limits.stack or limits.memory,) * 2,
            "core": (0, 0),
            "memlock": (0, 0),
            "msgqueue": (0, 0),
        }
        address_space = limits.address_space
        if address_space is None and self._cgroups is None:
            address_space = limits.memory  # no cgroup here: the only memory limit there is
        if address_space is not None:
            found["as"] = (address_space, address_space)
        return found

    def _kill(self, proc: subprocess.Popen[bytes], cgroup: cgroups.Cgroup | None) -> None:
        proc.kill()  # bwrap: its init dies with it (--die-with-parent), and the namespace
        if cgroup is not None:
            try:
                cgroup.kill_all()
            except (OSError, TimeoutError):
                logger.exception("sandbox: cannot kill the box's processes")

    @staticmethod
    def _clean(cgroup: cgroups.Cgroup | None, work: WorkDir | None) -> None:
        if cgroup is not None:
            try:
                cgroup.kill_all()
                cgroup.remove()
            except (OSError, TimeoutError):
                logger.exception("sandbox: cannot remove cgroup %s", cgroup.name)
        if work is not None:
            try:
                work.remove()
            except OSError:
                logger.exception("sandbox: cannot remove work dir %s", work.root)


def _check_ro_path(path: str) -> str:
    if not os.path.isabs(path) or not os.path.exists(path):
        raise ValueError(f"read-only path {path!r} must be an absolute path that exists")
    return os.path.normpath(path)


def _read_until(fd: int, done: Callable[[bytes], bool]) -> bytes | None:
    """What `fd` brings until `done` says it is whole; None at its end, or when nothing
    comes for SETUP_TIMEOUT (bwrap failed or hangs before the box runs)."""
    data = b""
    while select.select([fd], [], [], SETUP_TIMEOUT)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        data += chunk
        if done(data):
            return data
    return None


def _launch_failed(err_fd: int) -> RunReport:
    os.set_blocking(err_fd, False)
    try:
        said = os.read(err_fd, 4096).decode(errors="replace").strip()
    except BlockingIOError:
        said = ""
    return RunReport(
        status=Status.INTERNAL_ERROR,
        message=f"bwrap could not make the box: {said or 'no reason given'}",
    )


def _launcher_message(returncode: int | None, stderr: bytes) -> str:
    said = stderr.decode(errors="replace").strip().splitlines()
    last = said[-1] if said else ""
    if last.startswith("bwrap:"):
        return f"bwrap failed (exit {returncode}): {last}"
    return ""


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    fds.clear()
