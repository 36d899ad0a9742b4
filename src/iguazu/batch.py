"""The batch core's front door: what the API, the CLI and the web UI call.

It checks a request completely (job, queue, parameters, reservation, time) before it writes
anything, so a refused request changes nothing.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import Conflict, InvalidRequest, UnknownQueue, Unplaceable
from .jobs import JobRegistry, JobSpec
from .logfiles import log_path, read_log
from .models import Agent, Event, Invocation, InvocationRequest, Queue, State, new_id, utcnow
from .store import Store


def new_invocation(
    spec: JobSpec, queue: Queue, parameters: dict[str, Any], now: datetime, **extra: Any
) -> Invocation:
    """A QUEUED invocation of a job, as the API or a schedule asks for it."""
    return Invocation(
        id=new_id(),
        family=spec.family,
        job_name=spec.name,
        queue=queue.name,
        priority=queue.priority,
        parameters=parameters,
        state=State.QUEUED,
        reserved_cpu=spec.reserved_cpu,
        reserved_memory=spec.reserved_memory,
        timeout=spec.timeout,
        command=spec.command,
        created_at=now,
        max_attempts=spec.max_attempts,
        requires=spec.requires,
        **extra,
    )


class Batch:
    def __init__(
        self,
        *,
        store: Store,
        registry: JobRegistry,
        queues: Sequence[Queue],
        log_dir: Path,
        agents_seen: timedelta = timedelta(hours=1),
        agents_ttl: float = 1.0,
    ) -> None:
        self.store = store
        self.registry = registry
        self.queues = {q.name: q for q in queues}
        self.log_dir = log_dir
        self._agents_seen = agents_seen
        self._agents_ttl = agents_ttl  # seconds a read of the agents' capacities is reused
        self._agents: tuple[float, builtins.list[Agent]] = (float("-inf"), [])

    def submit(self, request: InvocationRequest) -> tuple[Invocation, bool]:
        """Validate and queue. Returns (invocation, created); created is False when the
        idempotency key was used before and the first invocation is returned."""
        if request.idempotency_key is not None:
            first = self.store.by_key(request.idempotency_key)
            if first is not None:
                return self._same_request(first, request), False
        spec, queue, parameters = self.resolve(
            request.family, request.job_name, request.queue, request.parameters
        )
        now = utcnow()
        not_before = request.run_at if request.run_at and request.run_at > now else None
        if request.run_at is not None and not_before is None:
            when = f", run_at {request.run_at.isoformat()} is past: runs now"
        elif not_before is not None:
            when = f", deferred until {not_before.isoformat()}"
        else:
            when = ""
        inv = new_invocation(
            spec,
            queue,
            parameters,
            now,
            not_before=not_before,
            idempotency_key=request.idempotency_key,
        )
        created, fresh = self.store.create(inv, f"requested on queue {queue.name}{when}")
        return (created if fresh else self._same_request(created, request)), fresh

    def resolve(
        self,
        family: str,
        job_name: str,
        queue_name: str | None,
        parameters: dict[str, Any],
        *,
        placeable: bool = True,
    ) -> tuple[JobSpec, Queue, dict[str, Any]]:
        """The job, its queue and its validated parameters, or the error that says why not
        (UnknownJob, UnknownQueue, InvalidParameters, and Unplaceable unless `placeable` is
        False: a scheduled fire waits for an agent to come back rather than fail)."""
        spec = self.registry.get(family, job_name)
        queue_name = queue_name or spec.queue
        queue = self.queues.get(queue_name)
        if queue is None:
            raise UnknownQueue(queue_name, sorted(self.queues))
        parameters = spec.validate(parameters)
        if placeable:
            self.check_placeable(spec)
        return spec, queue, parameters

    @staticmethod
    def _same_request(first: Invocation, request: InvocationRequest) -> Invocation:
        """A reused idempotency key must name the same job, or it is a caller's mistake."""
        if (first.family, first.job_name) != (request.family, request.job_name):
            raise Conflict(
                f"idempotency key {request.idempotency_key!r} was used for {first.job} "
                f"(invocation {first.id}), not {request.family}/{request.job_name}"
            )
        return first

    def check_placeable(self, spec: JobSpec) -> None:
        """Refuse a reservation that no agent seen lately could ever hold. With no agent
        seen at all the request is accepted and waits, saying so."""
        agents = self._recent_agents()
        if not agents:
            return
        if spec.requires:
            agents = [a for a in agents if set(spec.requires) <= set(a.capabilities)]
            if not agents:
                raise Unplaceable(
                    spec.key,
                    spec.reserved_cpu,
                    spec.reserved_memory,
                    f"no agent seen lately declares {', '.join(spec.requires)}",
                )
        if any(a.cpu >= spec.reserved_cpu and a.memory >= spec.reserved_memory for a in agents):
            return
        biggest = max(agents, key=lambda a: (a.memory, a.cpu))
        raise Unplaceable(
            spec.key,
            spec.reserved_cpu,
            spec.reserved_memory,
            f"largest agent offers {biggest.cpu} CPU units and {biggest.memory} MiB",
        )

    def _recent_agents(self) -> builtins.list[Agent]:
        read_at, agents = self._agents
        if time.monotonic() - read_at > self._agents_ttl:
            agents = self.store.agents(alive_since=utcnow() - self._agents_seen)
            self._agents = (time.monotonic(), agents)
        return agents

    def get(self, inv_id: str) -> Invocation:
        return self.store.get(inv_id)

    def events(self, inv_id: str) -> builtins.list[Event]:
        self.store.get(inv_id)  # NotFound for an unknown id
        return self.store.events(inv_id)

    def list(self, **filters) -> builtins.list[Invocation]:  # type: ignore[no-untyped-def]
        return self.store.list(**filters)

    def cancel(self, inv_id: str) -> Invocation:
        return self.store.request_cancel(inv_id, utcnow())

    def agents(self) -> builtins.list[Agent]:
        return self.store.agents()

    def log_path(self, inv_id: str) -> Path:
        return log_path(self.log_dir, inv_id)

    def read_log(self, inv_id: str, offset: int = 0, limit: int = 1 << 20) -> tuple[bytes, int]:
        """Bytes of the invocation's log from `offset`, and the offset to read from next."""
        if offset < 0:
            raise InvalidRequest(f"log offset must be 0 or more, not {offset}")
        self.store.get(inv_id)
        return read_log(self.log_path(inv_id), offset, limit)
