"""Starting one box: the bwrap command line, the descriptors, the handshake with our init.

Namespaces: user (uid and gid 65534 inside, nested user namespaces disabled), pid (our init
is pid 1: when it ends, the kernel kills every process left), net (only a loopback), ipc,
uts. A read-only view of the system paths a language needs, a fresh /proc and a minimal
/dev; the root and /dev made read-only, so /box and /tmp (one size-limited tmpfs of ours)
are the only writable places. A new session (no terminal to push input into), no
capabilities, and bwrap dies with its parent.

Outside, bwrap runs as HOST_UID, a uid of the boxes' own: not 65534, which other host
programs (nobody) run as and which could otherwise signal, trace or read into a box.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BOX_UID = 65534  # inside the box
HOST_UID = 1_065_534  # outside: above the 16-bit range, where no Debian account lives
WORK = "/box"
INIT = "/.init"
SETUP_TIMEOUT = 10.0  # seconds bwrap may take to make the namespaces

# /bin, /lib, /lib64 and /sbin are links into /usr on Debian 12 and most current systems.
SYSTEM_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"),
                ("usr/lib64", "/lib64"))  # fmt: skip
SYSTEM_PATHS = ("/usr", "/etc/ld.so.cache", "/etc/alternatives")
DEFAULT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": WORK,
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
}


@dataclass(frozen=True, kw_only=True)
class Fds:
    """The descriptors bwrap and our init are handed (numbers as the child sees them)."""

    info: int  # bwrap writes {"child-pid": N} here once the namespaces exist
    seccomp: int  # the BPF program
    status: int  # our init says "ready", later how the program ended
    start: int  # our init waits for "go" here (meanwhile we move it into the cgroup)


def command(
    *, bwrap: str, init: Path, work: Path, tmp: Path, ro_paths: Sequence[str], fds: Fds
) -> list[str]:
    """The box's bwrap command line; what runs in it comes later (Box.go)."""
    cmd = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--disable-userns", "--as-pid-1",
        "--uid", str(BOX_UID), "--gid", str(BOX_UID), "--hostname", "box",
        "--die-with-parent", "--new-session",
    ]  # fmt: skip
    for path in SYSTEM_PATHS:
        cmd += ["--ro-bind-try", path, path]
    for target, link in SYSTEM_LINKS:
        cmd += ["--symlink", target, link]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    cmd += ["--bind", str(work), WORK, "--bind", str(tmp), "/tmp"]
    for path in ro_paths:  # after /tmp's bind, which would hide one under /tmp
        cmd += ["--ro-bind", path, path]
    cmd += ["--ro-bind", str(init), INIT, "--remount-ro", "/"]
    cmd += ["--chdir", WORK, "--clearenv"]
    cmd += ["--info-fd", str(fds.info), "--seccomp", str(fds.seccomp)]
    return [*cmd, "--", INIT, str(fds.status), str(fds.start)]


def spec(
    argv: Sequence[str], env: Mapping[str, str], rlimits: Mapping[str, tuple[int, int]]
) -> bytes:
    """What our init is told to run (see boxinit.c): NUL-terminated strings."""
    items = [
        "go",
        str(len(rlimits)), *(f"{name}={soft}:{hard}" for name, (soft, hard) in rlimits.items()),
        str(len(env)), *(f"{name}={value}" for name, value in env.items()),
        str(len(argv)), *argv,
    ]  # fmt: skip
    return b"".join(os.fsencode(item) + b"\0" for item in items)


class Box:
    """A box made and waiting: bwrap (`proc`), our init's host pid, and our ends of its
    pipes. `go` starts the program; the caller then watches the pipes and `discard`s the
    box. Every descriptor is closed through `close`, once: a number closed twice may
    meanwhile belong to another thread's box."""

    def __init__(
        self, proc: subprocess.Popen[bytes], init_pid: int, *,
        stdin: int, stdout: int, stderr: int, status: int, start: int,
    ) -> None:  # fmt: skip
        self.proc, self.init_pid = proc, init_pid
        self.stdin, self.stdout, self.stderr, self.status = stdin, stdout, stderr, status
        self._start = start
        self._open = {stdin, stdout, stderr, status, start}
        self._owner = os.getpid()
        _BOXES.add(self)

    def _forget(self) -> None:
        """In a forked child: close the inherited ends (while a copy of the write end of
        stdin or of the start pipe is open, the box never sees their end) and leave the
        box, which is the parent's, alone."""
        for fd in self._open:
            try:
                os.close(fd)
            except OSError:
                pass
        self._open = set()

    def alive(self) -> bool:
        """Whether bwrap still runs (a box made ahead may have been killed while it waited)."""
        return os.getpid() == self._owner and self.proc.poll() is None

    def close(self, fd: int) -> None:
        if fd in self._open:
            self._open.remove(fd)
            os.close(fd)

    def go(self, argv: Sequence[str], env: Mapping[str, str],
           rlimits: Mapping[str, tuple[int, int]]) -> None:  # fmt: skip
        """Start the program. Raises LaunchFailed when the init is gone."""
        data = memoryview(spec(argv, env, rlimits))
        try:
            while data:  # the init reads until the pipe's end
                data = data[os.write(self._start, data) :]
        except BrokenPipeError:
            raise LaunchFailed("the box's init died before it started the program") from None
        finally:
            self.close(self._start)

    def kill(self) -> None:
        """The init first: the kernel then kills the whole pid namespace; then bwrap."""
        if os.getpid() != self._owner:
            return  # a forked child's copy: the box is the parent's
        for pid in (self.init_pid, self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def discard(self) -> None:
        """Kill what is left of the box, reap bwrap, close our ends."""
        self.kill()
        if os.getpid() == self._owner:
            self.proc.wait()
        for fd in list(self._open):
            self.close(fd)


_BOXES: weakref.WeakSet[Box] = weakref.WeakSet()


def _forget_all_in_child() -> None:
    for box in list(_BOXES):
        box._forget()


os.register_at_fork(after_in_child=_forget_all_in_child)


class LaunchFailed(Exception):
    """bwrap could not make the box; the message is what it said."""


def start(
    cmd: Callable[[Fds], list[str]],
    *,
    seccomp: bytes,
    as_host_uid: str | None,
    join: Callable[[int], None],
) -> Box:
    """Start bwrap with the command `cmd` builds for our descriptors (through `as_host_uid`,
    a setpriv command, when given), let our init tell us it is ready and `join` its host
    pid to the cgroup. Raises LaunchFailed (nothing left running) or OSError; on any
    failure every descriptor made here is closed."""
    ours: list[int] = []  # our ends, handed over in Box
    theirs: list[int] = []  # the child's ends, closed once it has them

    def pipe(child_reads: bool = False) -> tuple[int, int]:
        r, w = os.pipe()
        ours.append(w if child_reads else r)
        theirs.append(r if child_reads else w)
        return r, w

    proc = None
    try:
        stdin_r, stdin_w = pipe(child_reads=True)
        out_r, out_w = pipe()
        err_r, err_w = pipe()
        info_r, info_w = pipe()
        status_r, status_w = pipe()
        start_r, start_w = pipe(child_reads=True)
        seccomp_r, seccomp_w = os.pipe()
        theirs.append(seccomp_r)
        with os.fdopen(seccomp_w, "wb") as filter_out:  # far below 64 KiB: never blocks
            filter_out.write(seccomp)
        argv = cmd(Fds(info=info_w, seccomp=seccomp_r, status=status_w, start=start_r))
        if as_host_uid is not None:
            argv = [as_host_uid, f"--reuid={HOST_UID}", f"--regid={HOST_UID}", "--clear-groups",
                    *argv]  # fmt: skip
        # Through setpriv rather than Popen(user=...), which must fork this whole process
        # where setpriv lets it vfork: 1.5 ms a run.
        proc = subprocess.Popen(
            argv,
            stdin=stdin_r,
            stdout=out_w,
            stderr=err_w,
            pass_fds=(info_w, seccomp_r, status_w, start_r),
            env={},  # nothing of ours is readable in the box, not even through /proc
            cwd="/",
        )
        for fd in theirs:
            os.close(fd)
        theirs.clear()
        # bwrap names the box's first process, which becomes our init; the init says
        # "ready" and waits; we move it into the cgroup. So neither bwrap's setup nor the
        # init's start is counted, and nothing runs outside the cgroup: if we die before
        # Box.go, the init sees the pipe's end and exits.
        info = _read_until(info_r, b"}\n")
        ready = _read_until(status_r, b"\n")
        if info is None or ready != b"ready\n":
            raise LaunchFailed(_said(err_r) or "no reason given")
        init_pid = int(json.loads(info)["child-pid"])
        try:
            join(init_pid)
        except ProcessLookupError:
            raise LaunchFailed(_said(err_r) or "the box's init died before it started") from None
        _keep_init_from_oom_killer(init_pid)
        os.close(info_r)
        ours.remove(info_r)
        return Box(
            proc, init_pid, stdin=stdin_w, stdout=out_r, stderr=err_r, status=status_r,
            start=start_w,
        )  # fmt: skip
    except BaseException:
        if proc is not None:
            proc.kill()
            proc.wait()
        for fd in (*ours, *theirs):
            os.close(fd)
        raise


def _keep_init_from_oom_killer(pid: int) -> None:
    """The OOM killer should pick the program, whose memory it is, not our init: without
    the init there is no report (kernel memory, pipes say, counts to no process's RSS)."""
    try:
        with open(f"/proc/{pid}/oom_score_adj", "w") as f:
            f.write("-1000")
    except OSError:
        pass  # not root: there is no cgroup to run out of either


def _read_until(fd: int, end: bytes) -> bytes | None:
    """What `fd` brings until it ends with `end`; None at the pipe's end, or when nothing
    comes for SETUP_TIMEOUT (bwrap failed or hangs before the box runs)."""
    data = b""
    with selectors.DefaultSelector() as sel:  # not select(): our fds may be past 1024
        sel.register(fd, selectors.EVENT_READ)
        while sel.select(SETUP_TIMEOUT):
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            data += chunk
            if data.endswith(end):
                return data
    return None


def _said(err_fd: int) -> str:
    """The first line of what bwrap wrote on stderr (only read before the program ran)."""
    os.set_blocking(err_fd, False)
    try:
        return os.read(err_fd, 4096).decode(errors="replace").strip().splitlines()[0]
    except (BlockingIOError, IndexError):
        return ""
