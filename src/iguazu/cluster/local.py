"""The local cluster: one agent's invocations as processes on this machine.

Each invocation runs in a child of the agent's zygote (zygote.py), in a cgroup of its own
under `iguazu/<agent>/` when root (CPU shares = reserved_cpu, memory limit = reserved_memory
MiB, no swap), else under an address-space rlimit. Most starts take a spare (spares.py): a
child forked ahead of time, already in its cgroup, which only needs its limits and its plan.
Cgroups are reused (cgroup_pool.py). Threads:

* the caller's (the dispatcher): start, poll, cancel, close;
* the zygote reader: turns each reaped child into an Exit, then calls `on_exit`;
* the watchdog: kills what runs past its timeout;
* the spares thread: keeps the spares, empties and resets the cgroups exits give back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..jobs import JobRegistry, JobSpec
from ..logfiles import append_line, log_path
from ..models import Invocation, Isolation, State
from ..settings import machine_cpu
from . import Exit, Launch, OutcomeUnknown, StartError, cgroups
from .cgroup_pool import CgroupPool, remove_dead_agents_cgroups
from .child import Plan
from .outcome import Ending, classify, summary
from .spares import Spare, Spares
from .watchdog import Watchdog
from .zygote_client import ChildExit, Zygote, ZygoteError, ZygoteNoAnswer

logger = logging.getLogger(__name__)

UNLIMITED_MIB = 1 << 30  # a PiB: no memory limit on the parents, only on each job
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
    spare_id: str | None = None  # the spare it runs in, if it does
    ended_by: Ending | None = None  # set once, under the cluster's lock
    released: bool = False  # cgroup given back: no longer ours to kill
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
        spares: int = 1,
        platform_env: dict[str, str] | None = None,
    ) -> None:
        """`spares`: children kept forked and in a cgroup ahead of starts (0: none).
        `platform_env`: Settings.platform_env, which only the platform's own jobs get. Raises
        ConfigError when the isolation cannot be had or a job module fails to import (in the
        zygote)."""
        self.agent_id = agent_id.replace("/", "_")
        self.cpu, self.memory = cpu, memory
        self.log_dir = Path(log_dir)
        self.isolation = cgroups.isolation(isolation)
        self._on_exit = on_exit
        self._platform_env = dict(platform_env or {})
        modules = set(job_modules)
        for spec in registry or ():
            if spec.target:
                modules.add(spec.target.partition(":")[0])
        self._modules = sorted(modules)
        self._lock = threading.Condition()
        self._running: dict[str, _Running] = {}
        self._exits: list[Exit] = []
        self._closed = False
        self._pool: CgroupPool | None = None
        if self.isolation is Isolation.CGROUP:
            remove_dead_agents_cgroups()
            self._pool = CgroupPool(self.agent_id, pids_max=pids_max)
            _weigh(self._pool.parent, cpu)
        self._zygote_lock = threading.Lock()
        try:
            self._zygote = self._new_zygote()
        except ZygoteError as exc:
            raise ConfigError(str(exc)) from None
        self._log_dirs: set[Path] = set()
        self._watchdog = Watchdog(self._timed_out)
        self._spares = Spares(count=spares, zygote=self._live_zygote, pool=self._pool)
        self._spares.start()

    # ---- the Cluster protocol ----------------------------------------------------------

    def start(self, inv: Invocation, spec: JobSpec) -> Launch:
        with self._lock:
            if self._closed:
                raise StartError("the local cluster is closed")
            if inv.id in self._running:
                raise StartError(f"invocation {inv.id} already runs here")
        log = log_path(self.log_dir, inv.id)
        try:
            self._make_log_dir(log)
        except OSError as exc:
            raise StartError(f"could not make the log directory: {exc}") from exc
        spare = self._spares.take()
        if spare is not None and not self._limit_spare(spare, inv):
            spare = None
        run = _Running(
            invocation_id=inv.id,
            reserved_memory=inv.reserved_memory,
            python_job=spec.target is not None,
            log=log,
            cgroup=spare.cgroup if spare is not None else self._new_cgroup(inv),
        )
        plan = Plan.of(
            spec,
            invocation_id=inv.id,
            parameters=inv.parameters,
            isolation=self.isolation,
            reserved_memory=inv.reserved_memory,
            cgroup_procs=run.cgroup.procs_files if run.cgroup else (),
            log_path=str(run.log),
            platform_env=self._platform_env,
        )
        with self._lock:
            self._running[inv.id] = run  # before the request: its exit may come before the answer
        try:
            if spare is not None and self._spares.hand_over(spare, inv.id, plan.to_line()):
                run.pid, run.spare_id = spare.pid, spare.id
            else:  # a new child joins the cgroup, the spare's if it had one (limits are set)
                run.pid = self._live_zygote().start(plan)
        except (OSError, ZygoteError) as exc:
            with self._lock:
                self._running.pop(inv.id, None)
            self._zygote.kill(inv.id)  # in case it forked and then failed to answer in time
            self._release(run)
            if isinstance(exc, ZygoteNoAnswer):  # it may have forked and run: not "not started"
                raise OutcomeUnknown(f"the job process may have started: {exc}") from exc
            raise StartError(f"could not start the job process: {exc}") from exc
        finally:
            if spare is not None:
                self._spares.poke()  # for the next one
        assert run.pid is not None
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
        self._spares.close()  # first: it would make spares, even a new zygote
        self._watchdog.close()
        self._zygote.close()  # its children die, spares included
        self._zygote_died("the agent shut down")  # whatever was never reaped
        if self._pool is not None:
            self._pool.remove_all()  # the spares' cgroups too

    # ---- inside ------------------------------------------------------------------------

    def running(self) -> dict[str, cgroups.Cgroup | None]:
        """Invocation id -> its cgroup, for what runs now (tests and diagnostics)."""
        with self._lock:
            return {i: r.cgroup for i, r in self._running.items()}

    def spare_pids(self) -> list[int]:
        """Pids of the spare children waiting for a job now (tests and diagnostics)."""
        return self._spares.pids()

    @property
    def zygote_pid(self) -> int | None:
        return self._zygote.pid

    def _new_zygote(self) -> Zygote:
        return Zygote(
            modules=self._modules,
            on_exit=self._child_exited,
            on_death=self._zygote_died,
            on_spare=lambda spare_id, pid: self._spares.forked(spare_id, pid),
        )

    def _make_log_dir(self, log: Path) -> None:
        if log.parent not in self._log_dirs:  # a few thousand at most (two id characters)
            log.parent.mkdir(parents=True, exist_ok=True)
            self._log_dirs.add(log.parent)

    def _live_zygote(self) -> Zygote:
        """Raises ZygoteError when a new one cannot be started. Called by start() and by
        the spares thread."""
        with self._zygote_lock:
            if self._zygote.dead:  # it was killed; its children died with it (_zygote_died)
                logger.warning("the zygote died; starting a new one")
                self._zygote = self._new_zygote()
            return self._zygote

    def _limit_spare(self, spare: Spare, inv: Invocation) -> bool:
        """Set the job's limits on the spare's cgroup; False (and the spare let go) if they
        cannot be set.

        Set before the plan is handed over, so the job runs under them from its first
        instruction. What the spare was charged since it joined (under a MiB: the pages its
        warm-up copied, see child.become_spare) is in the usage these limits cover, and the
        kernel refuses (EBUSY) a memory limit below a usage it cannot reclaim: spare and job
        together never get more than the reservation."""
        if self._pool is None or spare.cgroup is None:
            return True
        try:
            self._pool.limit(
                spare.cgroup, cpu_shares=inv.reserved_cpu, memory_mib=inv.reserved_memory
            )
            return True
        except OSError as exc:
            logger.warning("cannot limit spare cgroup %s: %s", spare.cgroup.name, exc)
        self._spares.drop(spare)
        self._give_back(spare.cgroup, reuse=False)
        return False

    def _new_cgroup(self, inv: Invocation) -> cgroups.Cgroup | None:
        """A cgroup with the job's limits, for a start without a spare."""
        if self._pool is None:
            return None
        try:
            return self._pool.take_limited(
                cpu_shares=inv.reserved_cpu, memory_mib=inv.reserved_memory
            )
        except OSError as exc:
            raise StartError(f"could not make the invocation's cgroup: {exc}") from exc

    def _give_back(self, cgroup: cgroups.Cgroup, *, reuse: bool = True) -> None:
        assert self._pool is not None
        self._pool.give_back(cgroup, reuse=reuse)
        self._spares.poke()

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
        # The child and its process group, at once.
        self._zygote.kill(invocation_id, spare_id=run.spare_id)
        if run.cgroup is not None:
            with run.kill_lock:
                if run.released:
                    return
                try:
                    run.cgroup.kill_all()  # what left the process group too
                except (OSError, TimeoutError) as exc:
                    logger.error("cannot empty cgroup %s: %s", run.cgroup.name, exc)

    def _child_exited(self, ended: ChildExit) -> None:
        """Reader thread: one child reaped (a spare's end is a job's if it ran one)."""
        invocation_id = ended.invocation_id
        if ended.spare_id is not None:
            invocation_id = self._spares.ended(ended.spare_id, ended.status)
        with self._lock:
            run = self._running.get(invocation_id) if invocation_id is not None else None
        if run is None:
            return
        oom = run.cgroup is not None and run.cgroup.oom_killed()
        cpu, peak = ended.cpu_seconds, ended.maxrss_kib * 1024
        if run.cgroup is not None:
            cpu, peak = run.cgroup.cpu_seconds() or cpu, run.cgroup.peak_memory() or peak
        self._release(run)  # the spares thread kills what it left, then resets the cgroup
        self._watchdog.discard(run.invocation_id)
        with self._lock:
            self._running.pop(run.invocation_id, None)  # only now: cancel no longer applies
            ending = run.ended_by
        state, code, reason = classify(
            status=ended.status,
            ended_by=ending,
            oom_killed=oom,
            reserved_memory=run.reserved_memory,
            python_job=run.python_job,
        )
        try:
            append_line(run.log, summary(state, reason, cpu, peak))
        except OSError as exc:
            logger.warning("cannot append to %s: %s", run.log, exc)
        self._deliver(
            Exit(invocation_id=run.invocation_id, state=state, exit_code=code, reason=reason)
        )

    def _zygote_died(self, why: str) -> None:
        """The zygote is gone, and with it (PR_SET_PDEATHSIG) every job it had started."""
        self._spares.forget()  # first: a spare taken from now on refuses its job
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
        """Give the run's cgroup back, once: from then on another job may use it."""
        if run.cgroup is None:
            return
        with run.kill_lock:
            if run.released:
                return
            run.released = True
        self._give_back(run.cgroup)

    def _deliver(self, exit: Exit) -> None:
        with self._lock:
            self._exits.append(exit)
            self._lock.notify_all()
        if self._on_exit is not None:
            try:
                self._on_exit()
            except Exception:  # the reader thread must survive its callers
                logger.exception("on_exit callback failed")


def _weigh(agent_cgroup: str, cpu: int) -> None:
    """Give the project's cgroup and the agent's the CPU weight of what they offer: left at
    the default 1024, all of an agent's jobs together would weigh one core against whatever
    else runs on the machine. Memory stays unlimited there: each job has its own limit."""
    for name, shares in (("", machine_cpu()), (agent_cgroup, cpu)):
        try:
            group = cgroups.at(name)  # "": the project's own parent cgroup
            group.make()
            group.limit(cpu_shares=shares, memory_mib=UNLIMITED_MIB)
        except OSError as exc:
            logger.warning("cannot set the CPU weight of cgroup %r: %s", name or "iguazu", exc)
