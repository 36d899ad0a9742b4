"""How a job process's end becomes a state and a reason people can read. Pure."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from ..models import State
from .child import EXIT_CANNOT_EXEC, EXIT_OUT_OF_MEMORY, EXIT_SETUP_FAILED


@dataclass(frozen=True, kw_only=True)
class Ending:
    """Why we killed a process ourselves (timeout, cancel, shutdown): it wins over a death
    by signal, which then only says that we killed it."""

    state: State
    reason: str


def classify(
    *,
    status: int,
    ended_by: Ending | None = None,
    oom_killed: bool = False,
    reserved_memory: int,
    python_job: bool = True,
) -> tuple[State, int, str]:
    """(state, exit code, reason) for a wait status. The exit code is negative for a
    signal. `oom_killed`: the cgroup's OOM counter moved."""
    code = os.waitstatus_to_exitcode(status)
    # Our kill shows as a signal; a job that exited with a code of its own in the instant we
    # decided to kill it ended by itself, and says so.
    if ended_by is not None and code < 0:
        return ended_by.state, code, ended_by.reason
    if code == 0:
        return State.SUCCEEDED, 0, "exit 0"
    if oom_killed:
        return State.FAILED, code, f"killed: out of memory (reserved_memory {reserved_memory} MiB)"
    if python_job and code == EXIT_OUT_OF_MEMORY:
        reason = f"out of memory: MemoryError (reserved_memory {reserved_memory} MiB)"
        return State.FAILED, code, reason
    if code == EXIT_SETUP_FAILED:
        return State.FAILED, code, f"exit {code}: the job process could not be set up (see its log)"
    if not python_job and code == EXIT_CANNOT_EXEC:
        return State.FAILED, code, f"exit {code}: the command could not be run (see its log)"
    if code < 0:
        return State.FAILED, code, f"killed by {signal_name(-code)}"
    return State.FAILED, code, f"exit {code}"


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def summary(state: State, reason: str, cpu_seconds: float | None, peak_bytes: int | None) -> str:
    """The last line of an invocation's log."""
    usage = []
    if cpu_seconds is not None:
        usage.append(f"cpu {cpu_seconds:.2f} s")
    if peak_bytes:
        usage.append(f"peak memory {peak_bytes / (1024 * 1024):.0f} MiB")
    tail = f" ({', '.join(usage)})" if usage else ""
    return f"iguazu: {state.value}: {reason}{tail}\n"
