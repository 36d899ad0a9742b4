"""Where invocations run, behind one small interface.

`local` (the embedded default) runs each invocation as a process on this machine, in its own
cgroup when root. Another engine (Slurm) implements the same Protocol: start, observe
(`poll`), cancel, and the outcome-unknown case, which an engine reports as a LOST exit.
"""

from __future__ import annotations

from typing import Protocol

from ..jobs import JobSpec
from ..models import Exit, Invocation, Launch

__all__ = ["Cluster", "Exit", "Launch", "OutcomeUnknown", "StartError"]


class StartError(Exception):
    """The process could not be started; the invocation ends FAILED with this message."""


class OutcomeUnknown(StartError):
    """Starting went wrong after the process may have been started (no answer came): the
    invocation ends LOST with this message, never FAILED, never run again."""


class Cluster(Protocol):
    cpu: int  # CPU units this cluster offers in all
    memory: int  # MiB

    def start(self, inv: Invocation, spec: JobSpec) -> Launch:
        """Start the invocation's process now, held to its reservation. Raises StartError."""

    def poll(self) -> list[Exit]:
        """Exits since the last call, without blocking. Timeouts are enforced by the cluster
        and show here as TIMED_OUT, cancels as CANCELLED."""

    def cancel(self, invocation_id: str) -> None:
        """Kill the invocation's whole process tree; its Exit then says CANCELLED.
        Does nothing for an invocation that is not running here."""

    def close(self) -> None:
        """Kill whatever still runs and release resources (cgroups, helper processes)."""
