"""The batch core's front door: what the API, the CLI and the web UI call.

It checks a request completely (job, queue, parameters, reservation, time) before it writes
anything, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from .errors import Unplaceable, UnknownQueue
from .jobs import JobRegistry, JobSpec
from .models import Agent, Event, Invocation, InvocationRequest, Queue, State, new_id, utcnow
from .store import Store


class Batch:
    def __init__(
        self,
        *,
        store: Store,
        registry: JobRegistry,
        queues: Sequence[Queue],
        log_dir: Path,
        agent_memory_seen: timedelta = timedelta(hours=1),
    ) -> None:
        self.store = store
        self.registry = registry
        self.queues = {q.name: q for q in queues}
        self.log_dir = log_dir
        self._agents_seen = agent_memory_seen

    def submit(self, request: InvocationRequest) -> tuple[Invocation, bool]:
        """Validate and queue. Returns (invocation, created); created is False when the
        idempotency key was used before and the first invocation is returned."""
        spec = self.registry.get(request.family, request.job_name)
        queue_name = request.queue or spec.queue
        queue = self.queues.get(queue_name)
        if queue is None:
            raise UnknownQueue(queue_name, sorted(self.queues))
        parameters = spec.validate(request.parameters)
        self.check_placeable(spec)
        now = utcnow()
        not_before = request.run_at if request.run_at and request.run_at > now else None
        inv = Invocation(
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
            not_before=not_before,
            idempotency_key=request.idempotency_key,
            max_attempts=spec.max_attempts,
        )
        when = f", deferred until {not_before.isoformat()}" if not_before else ""
        return self.store.create(inv, f"requested on queue {queue.name}{when}")

    def check_placeable(self, spec: JobSpec) -> None:
        """Refuse a reservation that no agent seen lately could ever hold. With no agent
        seen at all the request is accepted and waits, saying so."""
        agents = self.store.agents(alive_since=utcnow() - self._agents_seen)
        if not agents:
            return
        if any(a.cpu >= spec.reserved_cpu and a.memory >= spec.reserved_memory for a in agents):
            return
        biggest = max(agents, key=lambda a: (a.memory, a.cpu))
        raise Unplaceable(
            spec.key, spec.reserved_cpu, spec.reserved_memory,
            f"largest agent offers {biggest.cpu} CPU units and {biggest.memory} MiB",
        )

    def get(self, inv_id: str) -> Invocation:
        return self.store.get(inv_id)

    def events(self, inv_id: str) -> list[Event]:
        self.store.get(inv_id)  # NotFound for an unknown id
        return self.store.events(inv_id)

    def list(self, **filters) -> list[Invocation]:  # type: ignore[no-untyped-def]
        return self.store.list(**filters)

    def cancel(self, inv_id: str) -> Invocation:
        return self.store.request_cancel(inv_id, utcnow())

    def agents(self) -> list[Agent]:
        return self.store.agents()

    def log_path(self, inv_id: str) -> Path:
        return log_path(self.log_dir, inv_id)

    def read_log(self, inv_id: str, offset: int = 0, limit: int = 1 << 20) -> tuple[bytes, int]:
        """Bytes of the invocation's log from `offset`, and the offset to read from next."""
        self.store.get(inv_id)
        path = self.log_path(inv_id)
        try:
            with path.open("rb") as f:
                f.seek(offset)
                data = f.read(limit)
        except FileNotFoundError:
            return b"", offset
        return data, offset + len(data)


def log_path(log_dir: Path, inv_id: str) -> Path:
    """Where an invocation's stdout, stderr and logging go (ids are URL-safe, no slashes)."""
    return log_dir / inv_id[:2] / f"{inv_id}.log"
