"""The dispatcher: claim -> start -> record, for one agent's capacity.

One dispatcher serves one cluster (the local agent, or an engine). Each pass it records the
exits the cluster reports, kills what users cancelled, renews its agent's lease and ends the
invocations of agents whose lease expired as LOST, then claims runnable invocations in
priority order while they fit and starts them. What does not fit stays QUEUED with the
reason and a backoff. It sleeps until woken (new work, an exit) or the next due time.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cluster import Cluster, OutcomeUnknown, StartError
from .errors import UnknownJob
from .jobs import JobRegistry
from .models import Agent, Invocation, Launch, State, new_id, utcnow
from .procs import pid_alive
from .store import Store, wakeup

log = logging.getLogger(__name__)

RETRYABLE = (State.FAILED, State.TIMED_OUT)  # LOST is not: its first run may have done the work


@dataclass(frozen=True, kw_only=True)
class DispatcherConfig:
    lease: timedelta = timedelta(seconds=15)  # an agent silent this long has lost its work
    heartbeat: float = 2.0  # seconds between lease renewals
    retry_delay: float = 1.0  # seconds before a retry attempt, times the attempt number
    drain: float = 10.0  # seconds a stopping dispatcher lets running jobs finish
    capabilities: tuple[str, ...] = ()


class Dispatcher:
    def __init__(
        self,
        *,
        store: Store,
        registry: JobRegistry,
        cluster: Cluster,
        agent_id: str | None = None,
        poke: threading.Event | None = None,
        config: DispatcherConfig = DispatcherConfig(),
    ) -> None:
        self.store = store
        self.registry = registry
        self.cluster = cluster
        self.config = config
        self.agent_id = agent_id or f"{socket.gethostname()}-{new_id()[:8]}"
        self.poke = poke or threading.Event()  # set by store wake-ups and cluster exits
        self._running: dict[str, Invocation] = {}
        self._cancelling: set[str] = set()
        self._next_heartbeat = 0.0
        self._next_waiting_note = 0.0  # monotonic; waiting reasons are refreshed 10 times/s
        self._stopping = False
        self.passes = 0  # dispatcher passes so far: a wake-up costs one, a busy loop many

    # -- capacity ---------------------------------------------------------------------------

    @property
    def free_cpu(self) -> int:
        return self.cluster.cpu - sum(i.reserved_cpu for i in self._running.values())

    @property
    def free_memory(self) -> int:
        return self.cluster.memory - sum(i.reserved_memory for i in self._running.values())

    # -- lifecycle --------------------------------------------------------------------------

    def register(self) -> None:
        now = utcnow()
        self.store.register_agent(
            Agent(
                id=self.agent_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                cpu=self.cluster.cpu,
                memory=self.cluster.memory,
                capabilities=self.config.capabilities,
                started_at=now,
                heartbeat_at=now,
            )
        )
        self.reap(now)

    def run(self, stop: threading.Event) -> None:
        """Serve until `stop` is set, then drain and deregister."""
        self.register()
        listener = threading.Thread(target=self._listen, args=(stop,), daemon=True)
        listener.start()
        try:
            while not stop.is_set():
                self.poke.clear()
                try:
                    self.step()
                    self.poke.wait(self._sleep_for())
                except Exception:  # a database restart, say: log it, keep serving
                    log.exception("dispatcher pass failed; trying again in 1 s")
                    stop.wait(1.0)
                self.passes += 1
        finally:
            self.shutdown()

    def _listen(self, stop: threading.Event) -> None:
        wakeup.relay(self.store.listen, self.poke, stop)

    def _sleep_for(self) -> float:
        now = utcnow()
        wait = max(0.0, self._next_heartbeat - now.timestamp())
        due = self.store.next_due(now)
        if due is not None:
            wait = min(wait, max(0.0, (due - now).total_seconds()))
        return min(wait, self.config.heartbeat)

    def shutdown(self) -> None:
        """Stop claiming; let running jobs finish for `drain` seconds, then cancel them."""
        self._stopping = True
        self._drain(self.config.drain)
        for inv_id in list(self._running):
            self.cluster.cancel(inv_id)
        self._drain(5.0)
        self.cluster.close()
        try:
            self.collect_exits()  # what close() killed, with its reason
        except Exception:
            log.exception("recording the last exits")
        now = utcnow()
        # What the cluster could not tell us the end of (and anything claimed but never
        # started, should a pass have failed between the two) is LOST, not left live.
        for inv in self.store.live_on(self.agent_id):
            self.store.finish(inv.id, State.LOST, reason="agent stopped; outcome unknown", now=now)
        self.store.stop_agent(self.agent_id, now)

    def _drain(self, seconds: float) -> None:
        """Record exits for up to `seconds` while jobs run, keeping the lease and honouring
        cancels, so no peer takes a draining agent for dead."""
        deadline = utcnow() + timedelta(seconds=seconds)
        while self._running and utcnow() < deadline:
            self.poke.wait(0.1)
            self.poke.clear()
            try:
                self.collect_exits()
                self.kill_cancelled()
                if utcnow().timestamp() >= self._next_heartbeat:
                    self._next_heartbeat = utcnow().timestamp() + self.config.heartbeat
                    self.store.heartbeat(self.agent_id, utcnow())
            except Exception:
                log.exception("while draining")

    # -- one pass ---------------------------------------------------------------------------

    def step(self) -> None:
        now = utcnow()
        self.collect_exits()
        self.kill_cancelled()
        if now.timestamp() >= self._next_heartbeat:
            self._next_heartbeat = now.timestamp() + self.config.heartbeat
            if not self.store.heartbeat(self.agent_id, now):
                self._declared_gone()
            self.reap(now)
        if not self._stopping:
            self.claim_and_start()

    def _declared_gone(self) -> None:
        """A peer saw our lease expire and ended our invocations LOST: they are no longer
        ours to run. Kill them and come back as a new agent."""
        log.error("agent %s was declared gone by a peer; killing its processes", self.agent_id)
        for inv_id in list(self._running):
            self._cancelling.add(inv_id)
            self.cluster.cancel(inv_id)
        self.agent_id = f"{socket.gethostname()}-{new_id()[:8]}"
        self.register()

    def collect_exits(self) -> None:
        """Record every exit the cluster reports, in one transaction; retry where opted in."""
        exits = []
        for exit_ in self.cluster.poll():
            inv = self._running.pop(exit_.invocation_id, None)
            self._cancelling.discard(exit_.invocation_id)
            if inv is None:
                continue
            if self._stopping and exit_.state is State.CANCELLED and not inv.cancel_requested:
                exit_ = dataclasses.replace(
                    exit_, reason="cancelled: the agent shut down while it ran"
                )
            exits.append(exit_)
        if not exits:
            return
        self.store.finish_many(exits, utcnow(), retry=self._retry)

    def _retry(self, inv: Invocation) -> tuple[Invocation, str] | None:
        """The next attempt of a job that opted in to retries, or None."""
        if inv.state not in RETRYABLE or inv.attempt >= inv.max_attempts:
            return None
        now = utcnow()
        retry = inv.replace(
            id=new_id(),
            state=State.QUEUED,
            created_at=now,
            not_before=now + timedelta(seconds=self.config.retry_delay * inv.attempt),
            started_at=None,
            ended_at=None,
            agent_id=None,
            cluster_ref=None,
            isolation=None,
            exit_code=None,
            reason=None,
            idempotency_key=None,
            attempt=inv.attempt + 1,
            retry_of=inv.id,
            cancel_requested=False,
            fire_time=None,  # the fire's key stays with its first attempt
            deadline_at=None,
            waits_for=None,
        )
        return retry, (
            f"retry of {inv.id} (attempt {retry.attempt} of {inv.max_attempts}) "
            f"after {inv.state.value}"
        )

    def kill_cancelled(self) -> None:
        if not self._running:
            return
        for inv in self.store.live_on(self.agent_id):
            if inv.cancel_requested and inv.id not in self._cancelling:
                self._cancelling.add(inv.id)
                self.cluster.cancel(inv.id)

    def reap(self, now: datetime) -> None:
        """End the live invocations of agents that are gone as LOST, with the reason."""
        host = socket.gethostname()
        for agent in self.store.agents():
            if agent.id == self.agent_id:
                continue
            if agent.heartbeat_at < now - self.config.lease:
                reason = (
                    f"agent {agent.id} on {agent.host} stopped renewing its lease at "
                    f"{agent.heartbeat_at.isoformat(timespec='seconds')}; outcome unknown"
                )
            elif agent.host == host and not pid_alive(agent.pid):
                reason = f"agent {agent.id} (pid {agent.pid}) on {host} died; outcome unknown"
            else:
                continue
            for inv in self.store.expire_agent(agent.id, reason, now):
                log.warning("invocation %s LOST: %s", inv.id, reason)

    def claim_and_start(self) -> None:
        """Claim in priority order while it fits (a batch, then one by one to backfill
        around what does not fit), start each, then record them RUNNING together."""
        launches = []
        while True:
            now = utcnow()
            caps = self.config.capabilities
            claimed = self.store.claim(
                self.agent_id, self.free_cpu, self.free_memory, now, capabilities=caps
            )
            if not claimed:
                one = self.store.claim_one(
                    self.agent_id, self.free_cpu, self.free_memory, now, capabilities=caps
                )
                claimed = [one] if one else []
            if not claimed:
                break
            launches += [launch for inv in claimed if (launch := self._start(inv))]
        if launches:
            for inv_id in self.store.mark_running(launches, utcnow()):
                # Ended meanwhile (declared LOST by a peer that thought us dead): not ours.
                self._cancelling.add(inv_id)
                self.cluster.cancel(inv_id)
        if time.monotonic() >= self._next_waiting_note:
            self._next_waiting_note = time.monotonic() + 0.1
            self._note_waiting(utcnow())

    def _start(self, inv: Invocation) -> Launch | None:
        try:
            spec = self.registry.get(inv.family, inv.job_name)
            launch = self.cluster.start(inv, spec)
        except OutcomeUnknown as exc:
            self.store.finish(inv.id, State.LOST, reason=f"outcome unknown: {exc}", now=utcnow())
            return None
        except (StartError, UnknownJob) as exc:
            self.store.finish(inv.id, State.FAILED, reason=f"could not start: {exc}", now=utcnow())
            return None
        except Exception as exc:  # a bug of ours: the claimed invocation must not stay STARTING
            log.exception("starting %s failed", inv.id)
            self.store.finish(
                inv.id, State.FAILED, reason=f"could not start: internal error: {exc}", now=utcnow()
            )
            return None
        self._running[inv.id] = inv
        return launch

    def _note_waiting(self, now: datetime) -> None:
        free_cpu, free_memory = self.free_cpu, self.free_memory
        # Only the head of the line: what would start next if capacity freed up. It is
        # retried on every pass, and a pass follows every exit, so nothing polls.
        for inv in self.store.waiting(now, limit=5, capabilities=self.config.capabilities):
            short = []
            if inv.reserved_memory > free_memory:
                short.append(f"needs {inv.reserved_memory} MiB; largest free {free_memory} MiB")
            if inv.reserved_cpu > free_cpu:
                short.append(f"needs {inv.reserved_cpu} CPU units; largest free {free_cpu}")
            if short:
                self.store.note_waiting(inv, "; ".join(short), now)
