"""Sandbox: runs one untrusted program per call in a new box and returns its RunReport.

    box = Sandbox()                      # refuses (SandboxUnavailable) where it cannot enforce
    report = box.run(["./main"], files={"main": File.copy_of("build/main")},
                     stdin=b"3 4\\n", limits=Limits(cpu_time=1, memory=64 * MIB))
    report.status, report.cpu_time, report.stdout

One run: a fresh tmpfs work dir with the files (workdir.py), a fresh cgroup (boxcgroup.py),
bwrap started with an empty environment as the boxes' own host uid (launch.py); our init
(boxinit.c, pid 1 of the box) waits until we have moved it into the cgroup, so that neither
bwrap's setup nor the init's start is counted, then sets the rlimits and starts the program
under the seccomp filter (seccomp.py) that bwrap installed; watched (watch.py) until it ends
or is stopped; the status decided (verdict.py). Afterwards every process of the box is dead,
its cgroup and its work dir are gone.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import shutil
import signal
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..cluster import cgroups
from ..errors import SandboxUnavailable
from ..procs import kill_naming, pid_alive
from . import boxcgroup, boxinit, checks, launch
from .prepared import Maker, Prepared
from .report import File, Limits, RunReport, Status
from .spares import Spares
from .verdict import Seen, decide
from .watch import Watched, watch
from .workdir import WorkDir

logger = logging.getLogger(__name__)
UNLIMITED = 2**64 - 1  # RLIM_INFINITY as the box's init reads it


def _missing(root: bool, layout: object) -> list[str]:
    if not root:
        return [
            "not root: boxes would run as your own user, with no memory, process or total "
            "CPU limit and no size limit on the work dir"
        ]
    if layout is None:
        return ["no writable memory, pids and cpuacct cgroups"]
    return []


class Sandbox:
    """`ro_paths`: host paths every box of this sandbox sees read-only (a compiler's, say),
    beside /usr. `unsafe`: run even where limits cannot be enforced (not root: development
    only); `unenforced` then lists what is missing. `base_dir`: where work dirs and the init
    live (default /run/iguazu/sandbox as root). `spares`: boxes made ahead by a background
    thread (spares.py), each used by one run; 0 makes every box in its run. Close the
    sandbox (or use it as a context manager) when done: that discards the spares."""

    def __init__(
        self,
        *,
        ro_paths: Iterable[str] = (),
        unsafe: bool = False,
        base_dir: str | Path | None = None,
        spares: int = 1,
    ) -> None:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
        self._root = os.geteuid() == 0
        self._cgroups = boxcgroup.usable()
        missing = _missing(self._root, self._cgroups)
        if missing and not unsafe:
            raise SandboxUnavailable(
                "cannot run untrusted programs safely here: "
                + "; ".join(missing)
                + ". Sandbox(unsafe=True) runs them anyway, for development only"
            )
        self.unenforced = tuple(missing)
        if missing:
            logger.warning("sandbox: UNSAFE, for development only: %s", "; ".join(missing))
        self.base_dir = Path(base_dir or self._default_base())
        self.base_dir.mkdir(mode=0o711, parents=True, exist_ok=True)
        owner = self.base_dir.stat()
        if owner.st_uid != os.geteuid() or owner.st_mode & 0o022:
            raise SandboxUnavailable(
                f"{self.base_dir} must be ours and writable by no one else: another user could "
                "plant a forged init or files there"
            )
        self.ro_paths = checks.ro_paths(ro_paths, self.base_dir)
        self._sweep()
        self._maker = Maker(
            base_dir=self.base_dir,
            bwrap=bwrap,
            init=boxinit.build(self.base_dir),
            setpriv=(shutil.which("setpriv") or "setpriv") if self._root else None,
            layout=self._cgroups,
            root=self._root,
            ro_paths=self.ro_paths,
        )
        me = weakref.ref(self)  # the spares' thread must not keep an unclosed sandbox alive

        def make() -> Prepared:
            sandbox = me()
            if sandbox is None:
                raise ReferenceError("the sandbox is gone")
            return sandbox._maker.make((), None)

        self._spares: Spares[Prepared] = Spares(make, Prepared.discard, spares)
        # Closed, collected or at exit: the spares go (their boxes would hold mounts).
        self._finalizer = weakref.finalize(self, self._spares.close)
        self._on_spares = 0  # runs going on boxes the spares' thread made
        self._idle = threading.Condition()
        self._closed = False

    @property
    def spares_ready(self) -> int:
        """Boxes made ahead and waiting now."""
        return self._spares.ready

    def close(self) -> None:
        """Wait for the runs on boxes made ahead (they die with the thread that made them),
        then discard the boxes waiting. Runs after this raise SandboxUnavailable."""
        with self._idle:
            self._closed = True
            while self._on_spares:
                self._idle.wait()
        self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _default_base(self) -> Path:
        if self._root:
            return Path("/run/iguazu/sandbox")
        return Path(tempfile.gettempdir()) / f"iguazu-sandbox-{os.geteuid()}"

    def _sweep(self) -> None:
        """Remove what a process killed in the middle of a run (kill -9) left behind: its
        boxes' processes died with it (--die-with-parent), their work dirs and cgroups not.
        A bwrap whose caller died while it was making the box may wait forever for a parent
        that will never answer: it is found by the work dir on its command line."""
        left = []
        try:
            for work in WorkDir.leftovers(self.base_dir, pid_alive):
                kill_naming(os.fsencode(work.root) + b"/")
                work.remove()
                left.append(work.root.name)
            if self._cgroups is not None:
                left += boxcgroup.sweep(self._cgroups, pid_alive)
        except (OSError, TimeoutError):
            logger.exception("sandbox: cannot remove what dead boxes left")
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
        refuse_sockets: bool = False,
    ) -> RunReport:
        """Run `argv` (looked up on the box's PATH, or relative to the work dir /box) with
        `files` placed in /box first. `env` replaces the default environment (PATH, HOME,
        TMPDIR, LANG); `collect` names files of /box to read back (or patterns: "*.class").
        `refuse_sockets`: sockets other than Unix ones fail instead of killing the program
        (for the JVM, which probes the network as it starts). Raises ValueError for
        arguments that could never run; everything else, the box's failures included, is
        in the report."""
        limits = limits or Limits()
        args = checks.argv(argv)
        placed = checks.files(files or {})
        wanted = tuple(collect)
        for name in wanted:
            checks.name(name)
        environment = checks.env(launch.DEFAULT_ENV if env is None else env)
        extra = checks.ro_paths(ro_paths, self.base_dir)
        if self._closed:
            raise SandboxUnavailable("this sandbox is closed")
        return self._run(
            args, placed, stdin, limits, environment, extra, wanted, refuse_sockets,
            spare=not extra and not refuse_sockets,
        )  # fmt: skip

    def _run(
        self,
        argv: list[str],
        files: dict[str, File],
        stdin: bytes,
        limits: Limits,
        env: dict[str, str],
        extra_ro_paths: tuple[str, ...],
        collect: tuple[str, ...],
        refuse_sockets: bool = False,
        *,
        spare: bool,
    ) -> RunReport:
        prepared = self._take_spare() if spare else None
        on_spare = prepared is not None
        try:
            if prepared is None:
                prepared = self._maker.make(extra_ro_paths, limits, refuse_sockets)
            else:
                prepared.work.resize(size=limits.work_dir_size, inodes=limits.work_dir_files)
            work, cgroup, box = prepared.work, prepared.cgroup, prepared.box
            if cgroup is not None:  # +1: our init
                boxcgroup.limit(cgroup, memory=limits.memory, processes=limits.processes + 1)
            cpu_before = (cgroup.cpu_seconds() or 0.0) if cgroup is not None else 0.0
            work.place(files)
            try:
                box.go(argv, env, self._rlimits(limits))
            except launch.LaunchFailed:
                if not on_spare or box.alive():
                    raise
                logger.warning("sandbox: a spare box died while it waited; making a new one")
                return self._run(
                    argv, files, stdin, limits, env, extra_ro_paths, collect, spare=False
                )  # a spare is never made with refuse_sockets
            seen = self._watch(box, stdin, limits, cgroup, cpu_before)
            return self._report(seen, cgroup, cpu_before, work, limits, collect)
        except launch.LaunchFailed as exc:
            return RunReport(status=Status.INTERNAL_ERROR, message=f"bwrap: {exc}")
        except OSError as exc:
            logger.exception("sandbox: cannot set up a box")
            return RunReport(status=Status.INTERNAL_ERROR, message=f"cannot set up the box: {exc}")
        finally:
            if prepared is not None:
                prepared.discard()
            if on_spare:
                with self._idle:
                    self._on_spares -= 1
                    self._idle.notify_all()

    def _take_spare(self) -> Prepared | None:
        """A box made ahead and still alive, counted as in use; None when there is none."""
        with self._idle:
            prepared = self._spares.take()
            while prepared is not None and not prepared.box.alive():
                logger.warning("sandbox: a spare box died while it waited; discarding it")
                prepared.discard()
                prepared = self._spares.take()
            if prepared is not None:
                self._on_spares += 1
            return prepared

    @staticmethod
    def _watch(
        box: launch.Box,
        stdin: bytes,
        limits: Limits,
        cgroup: cgroups.Cgroup | None,
        cpu_before: float,
    ) -> Watched:
        def kill() -> None:
            box.kill()
            if cgroup is not None:
                try:
                    cgroup.kill_all()
                except (OSError, TimeoutError):
                    logger.exception("sandbox: cannot kill the box's processes")

        pidfd = os.pidfd_open(box.proc.pid)
        try:
            return watch(
                pidfd=pidfd,
                stdin=stdin,
                stdin_fd=box.stdin,
                stdout_fd=box.stdout,
                stderr_fd=box.stderr,
                status_fd=box.status,
                output_cap=limits.output,
                wall_limit=limits.wall_time,
                cpu_limit=limits.cpu_time,
                cpu_time=(lambda: (cgroup.cpu_seconds() or 0.0) - cpu_before)
                if cgroup is not None
                else lambda: None,
                kill=kill,
                close=box.close,
            )
        except BaseException:
            kill()
            raise
        finally:
            os.close(pidfd)
            box.proc.wait()

    @staticmethod
    def _report(
        seen: Watched,
        cgroup: cgroups.Cgroup | None,
        cpu_before: float,
        work: WorkDir,
        limits: Limits,
        collect: tuple[str, ...],
    ) -> RunReport:
        ending = None
        if seen.status_line:
            try:
                ending = boxinit.Ending.parse(seen.status_line)
            except ValueError:
                logger.error("sandbox: bad status line %r", seen.status_line)
        cpu = cgroup.cpu_seconds() if cgroup else None
        if cpu is None:
            cpu = ending.cpu_time if ending else 0.0
        else:  # the program's, its children's and our init's since "go"
            cpu = max(ending.cpu_time if ending else 0.0, cpu - cpu_before)
        xfsz = ending is not None and ending.signaled and ending.code == signal.SIGXFSZ
        status, message = decide(
            Seen(
                ending=ending,
                killed=seen.killed,
                oom_killed=bool(cgroup and cgroup.oom_killed()),
                cpu_time=cpu,
                work_dir_full=work.full(),
                file_at_limit=xfsz and work.has_file_of(limits.file_size),
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
        if address_space is None:
            # As high as we may go: the caller may run under an address-space limit of its
            # own (a job held by rlimit), which a JVM's reservations would otherwise hit.
            hard = resource.getrlimit(resource.RLIMIT_AS)[1]
            address_space = hard if hard != resource.RLIM_INFINITY else UNLIMITED
        found["as"] = (address_space, address_space)
        return found
