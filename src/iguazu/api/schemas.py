"""HTTP <-> models, in one place. The API and the Python client both convert here.

Times go out as ISO 8601 in UTC with an explicit offset (`2026-11-25T14:00:00+00:00`) and
come in as ISO 8601 with an offset; a naive time is refused rather than guessed at.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ..jobs import JobSpec
from ..models import Agent, Event, Invocation, InvocationRequest, Isolation, Queue, State

# A query string decodes "+" as a space, so "...T10:00:00+01:00" typed into a URL by hand
# arrives as "...T10:00:00 01:00"; put the sign back rather than refuse it.
_SPACED_OFFSET = re.compile(r"(T[\d:.]+) (\d\d(:?\d\d)?)$")


def parse_time(value: Any) -> datetime:
    """An aware datetime from ISO 8601 text with an offset (or a datetime, from Python)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 time such as 2026-11-25T15:00:00+01:00"
            ) from None
    else:
        # ValueError, not TypeError: pydantic reports only ValueError as a field error.
        raise ValueError(  # noqa: TRY004
            "must be an ISO 8601 time string such as 2026-11-25T15:00:00+01:00"
        )
    if parsed.tzinfo is None:
        raise ValueError(
            f"{value!s} has no UTC offset; add one, as in 2026-11-25T15:00:00+01:00 or ...Z"
        )
    return parsed


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words, for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    kinds = {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


Time = Annotated[
    datetime,
    BeforeValidator(parse_time),
    PlainSerializer(format_time, return_type=str, when_used="json"),
]


# -- requests -------------------------------------------------------------------------------


class InvocationIn(BaseModel):
    """POST /api/v1/invocations. Unknown fields are refused so a typo is not silently lost."""

    model_config = ConfigDict(extra="forbid")

    family: str = Field(min_length=1, max_length=200)
    job_name: str = Field(min_length=1, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    run_at: Time | None = Field(default=None, description="not before this instant")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    queue: str | None = Field(default=None, min_length=1, max_length=100)

    def to_model(self) -> InvocationRequest:
        return InvocationRequest(
            family=self.family,
            job_name=self.job_name,
            parameters=self.parameters,
            run_at=self.run_at,
            idempotency_key=self.idempotency_key,
            queue=self.queue,
        )


def request_json(request: InvocationRequest) -> dict[str, Any]:
    """The body the client sends for a request; the server validates it."""
    body: dict[str, Any] = {
        "family": request.family,
        "job_name": request.job_name,
        "parameters": request.parameters,
        "run_at": request.run_at.isoformat() if request.run_at else None,
        "idempotency_key": request.idempotency_key,
        "queue": request.queue,
    }
    return {k: v for k, v in body.items() if v is not None}


# -- invocations and their timeline -----------------------------------------------------------


class InvocationOut(BaseModel):
    id: str
    family: str
    job_name: str
    queue: str
    priority: int
    parameters: dict[str, Any]
    state: State
    reserved_cpu: int = Field(description="CPU units, 1024 = one core")
    reserved_memory: int = Field(description="MiB")
    timeout: float | None = Field(description="seconds")
    command: str
    created_at: Time
    not_before: Time | None = None
    started_at: Time | None = None
    ended_at: Time | None = None
    agent_id: str | None = None
    cluster_ref: str | None = None
    isolation: Isolation | None = None
    exit_code: int | None = None
    reason: str | None = None
    idempotency_key: str | None = None
    attempt: int = 1
    max_attempts: int = 1
    retry_of: str | None = None
    cancel_requested: bool = False
    schedule_id: str | None = Field(default=None, description="the schedule that fired it")
    fire_time: Time | None = Field(default=None, description="the fire it stands for")
    deadline_at: Time | None = Field(default=None, description="still QUEUED then, it ends SKIPPED")
    waits_for: str | None = Field(default=None, description="held until that one has ended")
    requires: tuple[str, ...] = Field(default=(), description="capabilities its agent declares")

    @classmethod
    def from_model(cls, inv: Invocation) -> InvocationOut:
        return cls(**{f.name: getattr(inv, f.name) for f in dataclasses.fields(inv)})

    def to_model(self) -> Invocation:
        names = {f.name for f in dataclasses.fields(Invocation)}
        return Invocation(**{k: v for k, v in self.model_dump().items() if k in names})


class EventOut(BaseModel):
    at: Time
    state: State
    message: str

    @classmethod
    def from_model(cls, event: Event) -> EventOut:
        return cls(at=event.at, state=event.state, message=event.message)

    def to_model(self, invocation_id: str) -> Event:
        return Event(
            invocation_id=invocation_id, at=self.at, state=self.state, message=self.message
        )


class InvocationDetail(InvocationOut):
    """An invocation with its timeline, oldest event first."""

    events: list[EventOut]

    @classmethod
    def build(cls, inv: Invocation, events: list[Event]) -> InvocationDetail:
        base = InvocationOut.from_model(inv).model_dump()
        return cls(**base, events=[EventOut.from_model(e) for e in events])


class InvocationList(BaseModel):
    invocations: list[InvocationOut]


# -- jobs, queues, agents -------------------------------------------------------------------


class JobOut(BaseModel):
    family: str
    name: str
    reserved_cpu: int
    reserved_memory: int
    timeout: float | None
    queue: str
    max_attempts: int
    requires: list[str] = Field(default_factory=list, description="agent capabilities it needs")
    command: str
    parameters_schema: dict[str, Any] | None = Field(
        description="JSON schema of the parameters; null when the job takes any object"
    )
    doc: str

    @classmethod
    def from_model(cls, spec: JobSpec) -> JobOut:
        return cls(
            family=spec.family,
            name=spec.name,
            reserved_cpu=spec.reserved_cpu,
            reserved_memory=spec.reserved_memory,
            timeout=spec.timeout,
            queue=spec.queue,
            max_attempts=spec.max_attempts,
            requires=list(spec.requires),
            command=spec.command,
            parameters_schema=spec.schema,
            doc=spec.doc,
        )


class JobList(BaseModel):
    jobs: list[JobOut]


class QueueOut(BaseModel):
    name: str
    priority: int = Field(description="higher starts first when both wait")

    @classmethod
    def from_model(cls, queue: Queue) -> QueueOut:
        return cls(name=queue.name, priority=queue.priority)


class QueueList(BaseModel):
    queues: list[QueueOut]


class Resources(BaseModel):
    cpu: int = Field(description="CPU units, 1024 = one core")
    memory: int = Field(description="MiB")


class AgentOut(BaseModel):
    id: str
    host: str
    pid: int
    capabilities: list[str]
    capacity: Resources
    used: Resources
    free: Resources
    started_at: Time
    heartbeat_at: Time

    @classmethod
    def from_model(cls, agent: Agent) -> AgentOut:
        return cls(
            id=agent.id,
            host=agent.host,
            pid=agent.pid,
            capabilities=list(agent.capabilities),
            capacity=Resources(cpu=agent.cpu, memory=agent.memory),
            used=Resources(cpu=agent.used_cpu, memory=agent.used_memory),
            free=Resources(cpu=agent.free_cpu, memory=agent.free_memory),
            started_at=agent.started_at,
            heartbeat_at=agent.heartbeat_at,
        )


class AgentList(BaseModel):
    agents: list[AgentOut]


# -- errors ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    type: str = Field(description="the error's class, e.g. UnknownJob or InvalidParameters")
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody
