"""The local cluster: one agent's invocations as processes on this machine.

Each invocation runs in a child forked by the agent's zygote (zygote.py), in its own cgroup
`iguazu/<agent>/<invocation>` when root (CPU shares = reserved_cpu, memory limit =
reserved_memory MiB, no swap), else under an address-space rlimit. Threads:

* the caller's (the dispatcher): start, poll, cancel, close;
* the zygote reader: turns each reaped child into an Exit, then calls `on_exit`;
* the watchdog: kills what runs past its timeout.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..jobs import JobRegistry, JobSpec
from ..logfiles import log_path
from ..models import Invocation, Isolation, State
from . import Exit, Launch, StartError, cgroups
from .child import Plan
from .outcome import Ending, classify, summary
from .watchdog import Watchdog
from .zygote_client import ChildExit, Zygote, ZygoteError

logger = logging.getLogger(__name__)

PIDS_MAX = 4096  # per invocation: a fork bomb stops here; a batch job needs far fewer
SHUTDOWN_GRACE = 5.0  # seconds close() waits for killed jobs to be reaped


@dataclass(kw_only=True, eq=False)
class _Running:
    invocation_id: str
    reserved_memory: int
    python_job: bool
    log: Path
    cgroup: cgroups.Cgroup | None
    pid: int | None = None
    ended_by: Ending | None = None  # set once, under the cluster's lock
    released: bool = False  # cgroup emptied and removed
    kill_lock: threading.Lock = field(default_factory=threading.Lock)


class LocalCluster:
    def __init__(
        self,
        *,
        agent_id: str,
        cpu: int,
        memory: int,
        log_dir: Path,
        registry: JobRegistry | None = None,
        job_modules: Iterable[str] = (),
        isolation: str = "auto",
        on_exit: Callable[[], None] | None = None,
        pids_max: int | None = PIDS_MAX,
    ) -> None:
        """Raises ConfigError when the isolation cannot be had or a job module fails to
        import (in the zygote)."""
        self.agent_id = agent_id.replace("/", "_")
        self.cpu, self.memory = cpu, memory
        self.log_dir = Path(log_dir)
        self.isolation = cgroups.isolation(isolation)
        self._on_exit = on_exit
        self._pids_max = pids_max
        modules = set(job_modules)
        for spec in registry or ():
            if spec.target:
                modules.add(spec.target.partition(":")[0])
        self._modules = sorted(modules)
        self._lock = threading.Condition()
        self._running: dict[str, _Running] = {}
        self._exits: list[Exit] = []
        self._closed = False
        # Named after our pid, so that a later agent can tell we died and clean up after us.
        self._cgroup_parent = f"agent-{os.getpid()}-{self.agent_id}"
        if self.isolation is Isolation.CGROUP:
            self._remove_dead_agents_cgroups()
        try:
            self._zygote = self._new_zygote()
        except ZygoteError as exc:
            raise ConfigError(str(exc)) from None
        self._watchdog = Watchdog(self._timed_out)

    # ---- the Cluster protocol ----------------------------------------------------------

    def start(self, inv: Invocation, spec: JobSpec) -> Launch:
        with self._lock:
            if self._closed:
                raise StartError("the local cluster is closed")
            if inv.id in self._running:
                raise StartError(f"invocation {inv.id} already runs here")
        run = _Running(
            invocation_id=inv.id,
            reserved_memory=inv.reserved_memory,
            python_job=spec.target is not None,
            log=log_path(self.log_dir, inv.id),
            cgroup=self._make_cgroup(inv),
        )
        plan = Plan(
            invocation_id=inv.id,
            family=inv.family,
            job_name=inv.job_name,
            target=spec.target,
            argv=spec.argv,
            parameters=inv.parameters,
            isolation=self.isolation,
            reserved_memory=inv.reserved_memory,
            cgroup_procs=run.cgroup.procs_files if run.cgroup else (),
            log_path=str(run.log),
        )
        with self._lock:
            self._running[inv.id] = run  # before the request: its exit may come before the answer
        try:
            run.log.parent.mkdir(parents=True, exist_ok=True)
            run.pid = self._live_zygote().start(plan)
        except (OSError, ZygoteError) as exc:
            with self._lock:
                self._running.pop(inv.id, None)
            self._zygote.kill(inv.id)  # in case it forked and then failed to answer in time
            self._release(run)
            raise StartError(f"could not start the job process: {exc}") from exc
        if inv.timeout:
            self._watchdog.add(inv.id, inv.timeout)
        return Launch(
            invocation_id=inv.id,
            pid=run.pid,
            cluster_ref=f"local:{self.agent_id}/{run.pid}",
            isolation=self.isolation,
        )

    def poll(self) -> list[Exit]:
        with self._lock:
            exits, self._exits = self._exits, []
        return exits

    def cancel(self, invocation_id: str) -> None:
        self._end(invocation_id, Ending(state=State.CANCELLED, reason="cancelled while running"))

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            ids = list(self._running)
        shutdown = Ending(state=State.FAILED, reason="killed: the agent shut down while it ran")
        for invocation_id in ids:
            self._end(invocation_id, shutdown)
        with self._lock:
            self._lock.wait_for(lambda: not self._running, SHUTDOWN_GRACE)
        self._watchdog.close()
        self._zygote.close()
        self._zygote_died("the agent shut down")  # whatever was never reaped
        if self.isolation is Isolation.CGROUP:
            self._remove_cgroups(self._cgroup_parent)

    # ---- inside ------------------------------------------------------------------------

    def running(self) -> dict[str, cgroups.Cgroup | None]:
        """Invocation id -> its cgroup, for what runs now (tests and diagnostics)."""
        with self._lock:
            return {i: r.cgroup for i, r in self._running.items()}

    @property
    def zygote_pid(self) -> int | None:
        return self._zygote.pid

    def _new_zygote(self) -> Zygote:
        return Zygote(modules=self._modules, on_exit=self._child_exited, on_death=self._zygote_died)

    def _live_zygote(self) -> Zygote:
        if self._zygote.dead:  # it was killed; its children died with it (see _zygote_died)
            logger.warning("the zygote died; starting a new one")
            self._zygote = self._new_zygote()
        return self._zygote

    def _make_cgroup(self, inv: Invocation) -> cgroups.Cgroup | None:
        if self.isolation is not Isolation.CGROUP:
            return None
        try:
            return cgroups.Cgroup.create(
                f"{self._cgroup_parent}/{inv.id}",
                cpu_shares=inv.reserved_cpu,
                memory_mib=inv.reserved_memory,
                pids_max=self._pids_max,
            )
        except OSError as exc:
            raise StartError(f"could not make the invocation's cgroup: {exc}") from exc

    def _timed_out(self, invocation_id: str, seconds: float) -> None:
        reason = f"timed out after {seconds:g} s"
        self._end(invocation_id, Ending(state=State.TIMED_OUT, reason=reason))

    def _end(self, invocation_id: str, ending: Ending) -> None:
        """Kill the invocation's tree for a reason of ours; its Exit then says it."""
        with self._lock:
            run = self._running.get(invocation_id)
            if run is None or run.ended_by is not None:
                return
            run.ended_by = ending
        self._zygote.kill(invocation_id)  # the child and its process group, at once
        if run.cgroup is not None:
            with run.kill_lock:
                if not run.released:
                    self._kill_cgroup(run.cgroup)

    def _child_exited(self, ended: ChildExit) -> None:
        """Reader thread: one child reaped."""
        with self._lock:
            run = self._running.get(ended.invocation_id)
        if run is None:
            return
        oom = run.cgroup is not None and run.cgroup.oom_killed()
        cpu, peak = ended.cpu_seconds, ended.maxrss_kib * 1024
        if run.cgroup is not None:
            cpu, peak = run.cgroup.cpu_seconds() or cpu, run.cgroup.peak_memory() or peak
        self._release(run)  # a daemon it left must not outlive the invocation
        self._watchdog.discard(run.invocation_id)
        with self._lock:
            self._running.pop(ended.invocation_id, None)  # only now: cancel no longer applies
            ending = run.ended_by
        state, code, reason = classify(
            status=ended.status,
            ended_by=ending,
            oom_killed=oom,
            reserved_memory=run.reserved_memory,
            python_job=run.python_job,
        )
        _append(run.log, summary(state, reason, cpu, peak))
        self._deliver(
            Exit(invocation_id=run.invocation_id, state=state, exit_code=code, reason=reason)
        )

    def _zygote_died(self, why: str) -> None:
        """The zygote is gone, and with it (PR_SET_PDEATHSIG) every job it had started."""
        with self._lock:
            lost = list(self._running.values())
            self._running.clear()
        for run in lost:
            self._release(run)
            reason = f"the agent's zygote ended ({why}); the job was killed with it"
            lost_exit = Exit(
                invocation_id=run.invocation_id, state=State.LOST, exit_code=None, reason=reason
            )
            self._deliver(lost_exit)

    def _release(self, run: _Running) -> None:
        if run.cgroup is None:
            return
        with run.kill_lock:
            if run.released:
                return
            run.released = True
            self._kill_cgroup(run.cgroup)
            try:
                run.cgroup.remove()
            except OSError as exc:
                logger.warning("cannot remove cgroup %s: %s", run.cgroup.name, exc)

    def _kill_cgroup(self, cgroup: cgroups.Cgroup) -> None:
        try:
            cgroup.kill_all()
        except (OSError, TimeoutError) as exc:
            logger.error("cannot empty cgroup %s: %s", cgroup.name, exc)

    def _deliver(self, exit: Exit) -> None:
        with self._lock:
            self._exits.append(exit)
            self._lock.notify_all()
        if self._on_exit is not None:
            try:
                self._on_exit()
            except Exception:  # the reader thread must survive its callers
                logger.exception("on_exit callback failed")

    def _remove_dead_agents_cgroups(self) -> None:
        """An agent killed with -9 leaves its cgroups, and in them whatever its jobs had
        started (its jobs themselves die with it): kill those and remove the cgroups."""
        for name in cgroups.children():
            match = re.fullmatch(r"agent-(\d+)-.*", name)
            if match and not _alive(int(match.group(1))):
                logger.warning("removing the cgroups of dead agent %s", name)
                self._remove_cgroups(name)

    def _remove_cgroups(self, parent: str) -> None:
        try:
            cgroups.remove_tree(parent)
        except OSError as exc:
            logger.warning("%s", exc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _append(path: Path, line: str) -> None:
    try:
        with path.open("a") as f:
            f.write(line)
    except OSError as exc:
        logger.warning("cannot append to %s: %s", path, exc)
