"""Which status a run gets, from what was seen: pure, so each rule is tested on its own.

Only what the program cannot fake decides a limit: the cgroup's CPU time and OOM counter,
our own kills, the size of the files it left. A program that raises SIGXCPU or SIGXFSZ at
itself without being near the limit gets RUNTIME_ERROR, not the limit's status.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from .boxinit import Ending
from .report import Limits, Status, signal_name
from .watch import Kill


@dataclass(frozen=True, kw_only=True)
class Seen:
    ending: Ending | None  # None: the init never reported (we killed the box, or it died)
    killed: Kill | None
    oom_killed: bool
    cpu_time: float
    work_dir_full: bool
    file_at_limit: bool = False  # a file in the work dir reached Limits.file_size


def decide(seen: Seen, limits: Limits) -> tuple[Status, str]:
    """The status and a sentence saying why: the first rule below that applies."""
    end = seen.ending
    if end is not None and end.exec_errno:
        return Status.INTERNAL_ERROR, f"cannot start the program: {os.strerror(end.exec_errno)}"
    sig = end.code if end is not None and end.signaled else None
    if end is not None and (end.seccomp_kill or sig == signal.SIGSYS):
        return Status.SECURITY_VIOLATION, "killed for a forbidden system call (seccomp)"
    if seen.oom_killed:
        return Status.MEMORY_LIMIT, f"killed for memory: more than {limits.memory} bytes"
    if seen.killed is Kill.CPU or seen.cpu_time > limits.cpu_time:
        return Status.TIME_LIMIT, f"used more than {limits.cpu_time:g} s of CPU time"
    if seen.killed is Kill.WALL:
        return Status.WALL_TIME_LIMIT, f"still running after {limits.wall_time:g} s"
    if seen.killed is Kill.OUTPUT:
        return Status.OUTPUT_LIMIT, f"wrote more than {limits.output} bytes to stdout or stderr"
    if end is None:
        return Status.INTERNAL_ERROR, "the box's init ended without a report"
    if sig == signal.SIGXFSZ and seen.file_at_limit:
        return Status.FILE_SIZE_LIMIT, f"wrote a file past {limits.file_size} bytes"
    failed = end.signaled or end.code != 0
    if failed and seen.work_dir_full:
        return Status.FILE_SIZE_LIMIT, "filled the work directory (its size or number of files)"
    if sig is not None:
        return Status.RUNTIME_ERROR, f"killed by {signal_name(sig)}"
    if end.code != 0:
        return Status.RUNTIME_ERROR, f"exited with code {end.code}"
    return Status.OK, "exited with code 0"
