"""Where invocations run, behind one small interface.

`local` (the embedded default) runs each invocation as a process on this machine, in its own
cgroup when root. Another engine (Slurm) implements the same Protocol: start, observe
(`poll`), cancel, and the outcome-unknown case, which an engine reports as a LOST exit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..jobs import JobSpec
from ..models import Invocation, Isolation, State


@dataclass(frozen=True, kw_only=True)
class Launch:
    """An invocation's process has started."""

    invocation_id: str
    pid: int
    cluster_ref: str  # where it runs, as the UI shows it ("local:<agent>/<pid>")
    isolation: Isolation


@dataclass(frozen=True, kw_only=True)
class Exit:
    """An invocation's process tree has ended (or its outcome is unknown: state LOST)."""

    invocation_id: str
    state: State  # SUCCEEDED, FAILED, TIMED_OUT, CANCELLED or LOST
    exit_code: int | None  # negative: the signal that killed it
    reason: str  # for people: "exit 0", "killed: out of memory (limit 64 MiB)", ...


class StartError(Exception):
    """The process could not be started; the invocation ends FAILED with this message."""


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
