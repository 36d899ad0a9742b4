"""Which status a run gets, from what was seen: pure, so each rule is tested on its own."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from .boxinit import Ending
from .report import Limits, Status
from .watch import Kill


@dataclass(frozen=True, kw_only=True)
class Seen:
    ending: Ending | None  # None: the init never reported (we killed the box, or it broke)
    killed: Kill | None
    oom_killed: bool
    cpu_time: float
    work_dir_full: bool
    launcher_error: str = ""  # what bwrap said on stderr when it failed before the program


def decide(seen: Seen, limits: Limits) -> tuple[Status, str]:
    """The status and a sentence saying why. The order is Status's: the first that applies."""
    end = seen.ending
    if end is None and seen.killed is None:
        why = seen.launcher_error or "the box ended without a report from its init"
        return Status.INTERNAL_ERROR, why
    if end is not None and end.exec_errno:
        return Status.INTERNAL_ERROR, f"cannot start the program: {os.strerror(end.exec_errno)}"
    sig = end.code if end is not None and end.signaled else None
    if end is not None and (end.seccomp_kill or sig == signal.SIGSYS):
        return Status.SECURITY_VIOLATION, "killed for a forbidden system call (seccomp)"
    if seen.oom_killed:
        return Status.MEMORY_LIMIT, f"killed for memory: more than {limits.memory} bytes"
    if seen.killed is Kill.CPU or sig == signal.SIGXCPU or seen.cpu_time > limits.cpu_time:
        return Status.TIME_LIMIT, f"used more than {limits.cpu_time:g} s of CPU time"
    if seen.killed is Kill.WALL:
        return Status.WALL_TIME_LIMIT, f"still running after {limits.wall_time:g} s"
    if seen.killed is Kill.OUTPUT:
        return Status.OUTPUT_LIMIT, f"wrote more than {limits.output} bytes to stdout or stderr"
    assert end is not None  # every kill is handled above
    if sig == signal.SIGXFSZ:
        return Status.FILE_SIZE_LIMIT, f"wrote a file past {limits.file_size} bytes"
    failed = end.signaled or end.code != 0
    if failed and seen.work_dir_full:
        return Status.FILE_SIZE_LIMIT, "filled the work directory (its size or number of files)"
    if sig is not None:
        return Status.RUNTIME_ERROR, f"killed by {_signal_name(sig)}"
    if end.code != 0:
        return Status.RUNTIME_ERROR, f"exited with code {end.code}"
    return Status.OK, "exited with code 0"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
