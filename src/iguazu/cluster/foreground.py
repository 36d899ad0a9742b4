"""Run one job in the foreground, as `iguazu run` does: the same child set-up and the same
limits as the agent's, its output on our terminal, no zygote, no store."""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

from ..jobs import JobSpec
from ..models import Isolation, State, new_id
from . import cgroups
from .child import Plan, become_job
from .outcome import Ending, classify


@dataclass(frozen=True, kw_only=True)
class Result:
    state: State
    exit_code: int
    reason: str
    seconds: float


def run(
    spec: JobSpec,
    parameters: dict[str, Any],
    *,
    isolation: Isolation,
    platform_env: dict[str, str] | None = None,
) -> Result:
    """Fork the job, wait for it (killing its whole tree at its timeout, or when we are
    interrupted), and say how it ended. Raises OSError when its cgroup cannot be made."""
    invocation_id = "local-" + new_id()[:16]  # says at a glance: no server knows this one
    cgroup = None
    if isolation is Isolation.CGROUP:
        cgroup = cgroups.Cgroup.create(
            f"run/{invocation_id}", cpu_shares=spec.reserved_cpu, memory_mib=spec.reserved_memory
        )
    plan = Plan.of(
        spec,
        invocation_id=invocation_id,
        parameters=parameters,
        isolation=isolation,
        cgroup_procs=cgroup.procs_files if cgroup else (),
        platform_env=platform_env,
    )
    sys.stdout.flush()  # or the child would print our buffered output a second time
    sys.stderr.flush()
    parent = os.getpid()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        become_job(plan, parent_pid=parent)
    try:
        ending = _wait(pid, spec.timeout)
        if ending is not None:
            _kill_tree(pid, cgroup, leader=True)
        _, status = _reap(pid)
        seconds = time.monotonic() - started
        _kill_tree(pid, cgroup, leader=False)  # what the job left behind goes with it
        oom = cgroup is not None and cgroup.oom_killed()
    finally:
        if cgroup is not None:
            cgroup.kill_all()
            cgroup.remove()
            try:
                cgroups.at("run").remove()
            except OSError:
                pass  # another `iguazu run` is using it
    state, code, reason = classify(
        status=status,
        ended_by=ending,
        oom_killed=oom,
        reserved_memory=spec.reserved_memory,
        python_job=spec.target is not None,
    )
    return Result(state=state, exit_code=code, reason=reason, seconds=seconds)


def _wait(pid: int, timeout: float | None) -> Ending | None:
    """Until the child exits (None), its timeout passes, or Ctrl-C."""
    pidfd = os.pidfd_open(pid)
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            return Ending(state=State.TIMED_OUT, reason=f"timed out after {timeout:g} s")
    except KeyboardInterrupt:
        return Ending(state=State.CANCELLED, reason="interrupted")
    finally:
        os.close(pidfd)
    return None


def _reap(pid: int) -> tuple[int, int]:
    while True:
        try:
            return os.waitpid(pid, 0)
        except KeyboardInterrupt:
            os.kill(pid, signal.SIGKILL)  # a second Ctrl-C while it is being killed


def _kill_tree(pid: int, cgroup: cgroups.Cgroup | None, *, leader: bool) -> None:
    """The cgroup's processes and the child's process group; and the child itself while it
    is not reaped (after, its pid may belong to someone else; its group id cannot)."""
    if cgroup is not None:
        cgroup.kill_all()
    for kill in (os.killpg, os.kill) if leader else (os.killpg,):
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
