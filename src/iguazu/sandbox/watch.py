"""Watching one running box: feed stdin, capture stdout and stderr up to their cap, and stop
the box at the wall-clock limit, at the CPU limit (all its processes together, polled from
the cgroup) or when it writes too much. One thread, one selector; no helper threads.
"""

from __future__ import annotations

import enum
import errno
import os
import selectors
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CHUNK = 1 << 16
CPU_POLL_MAX = 0.1  # seconds between looks at the CPU time, at most
CPU_POLL_MIN = 0.005


class Kill(enum.Enum):
    WALL = "wall"
    CPU = "cpu"
    OUTPUT = "output"


@dataclass
class Stream:
    cap: int
    data: bytearray = field(default_factory=bytearray)
    seen: int = 0

    def take(self, chunk: bytes) -> bool:
        """Keep what fits; whether the stream is now over its cap."""
        self.seen += len(chunk)
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        return self.seen > self.cap


@dataclass
class Watched:
    stdout: bytes
    stderr: bytes
    status_line: str  # boxinit's report; "" when the box ended without one
    wall_time: float  # from our "go" to the init's report (or our kill)
    killed: Kill | None


def watch(
    *,
    pidfd: int,
    stdin: bytes,
    stdin_fd: int,
    stdout_fd: int,
    stderr_fd: int,
    status_fd: int,
    output_cap: int,
    wall_limit: float,
    cpu_limit: float,
    cpu_time: Callable[[], float | None],
    kill: Callable[[], None],
    close: Callable[[int], None],
) -> Watched:
    """Runs until the launcher (`pidfd`) has exited and every pipe is at its end. `kill`
    must end every process of the box; `cpu_time` tells the CPU used so far (None: unknown,
    then only the rlimit stops a spinning program). The pipes are closed with `close`, their
    owner's, which knows which are closed (a number closed twice may be another thread's)."""
    started = time.monotonic()
    ended: float | None = None
    streams = {stdout_fd: Stream(output_cap), stderr_fd: Stream(output_cap)}
    status = bytearray()
    killed: Kill | None = None
    pending = memoryview(stdin)
    cpus = os.cpu_count() or 1

    def stop(why: Kill) -> None:
        nonlocal killed, ended
        if killed is None:
            killed = why
            ended = time.monotonic()
            kill()

    sel = selectors.DefaultSelector()
    try:
        for fd in (stdout_fd, stderr_fd, status_fd):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(pidfd, selectors.EVENT_READ)
        if pending:
            os.set_blocking(stdin_fd, False)
            sel.register(stdin_fd, selectors.EVENT_WRITE)
        else:
            close(stdin_fd)
        launcher_done = False
        next_cpu_look = started
        while not launcher_done or sel.get_map():
            now = time.monotonic()
            if killed is None and ended is None and now - started >= wall_limit:
                stop(Kill.WALL)
            if killed is None and ended is None and now >= next_cpu_look:
                used = cpu_time()
                if used is not None and used > cpu_limit:
                    stop(Kill.CPU)
                wait = CPU_POLL_MAX if used is None else (cpu_limit - used) / cpus
                next_cpu_look = now + min(CPU_POLL_MAX, max(CPU_POLL_MIN, wait))
            # Once the launcher is gone, so is every writer in the box: what is left in the
            # pipes is there already (a second without news: a writer outside, give up).
            wake = min(started + wall_limit, next_cpu_look)
            timeout = 1.0 if launcher_done else max(0.0, wake - now)
            events = sel.select(timeout)
            if launcher_done and not events:
                break
            for key, mask in events:
                fd = key.fd
                if fd == pidfd:
                    sel.unregister(pidfd)
                    launcher_done = True
                    ended = ended or time.monotonic()
                    if pending:  # nobody left to read the rest of stdin
                        pending = pending[:0]
                        sel.unregister(stdin_fd)
                        close(stdin_fd)
                elif mask & selectors.EVENT_WRITE:
                    pending = _feed(sel, stdin_fd, pending, close)
                else:
                    chunk = _read(fd)
                    if chunk is None:
                        continue
                    if not chunk:
                        sel.unregister(fd)
                        close(fd)
                    elif fd == status_fd:
                        status += chunk
                        if ended is None and status.endswith(b"\n"):
                            ended = time.monotonic()
                    elif streams[fd].take(chunk):
                        stop(Kill.OUTPUT)
    finally:
        for key in list(sel.get_map().values()):
            if key.fd != pidfd:
                close(key.fd)
        sel.close()
    return Watched(
        stdout=bytes(streams[stdout_fd].data),
        stderr=bytes(streams[stderr_fd].data),
        status_line=status.decode(errors="replace").strip(),
        wall_time=(ended or time.monotonic()) - started,
        killed=killed,
    )


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, CHUNK)
    except BlockingIOError:
        return None


def _feed(
    sel: selectors.BaseSelector, fd: int, pending: memoryview, close: Callable[[int], None]
) -> memoryview:
    """Write what the pipe takes; close it at the end or when the reader is gone."""
    try:
        pending = pending[os.write(fd, pending[:CHUNK]) :]
    except BlockingIOError:
        return pending
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.EBADF):
            raise
        pending = pending[:0]
    if not pending:
        sel.unregister(fd)
        close(fd)
    return pending
