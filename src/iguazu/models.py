"""Frozen records and the enums of their outcomes.

Times are timezone-aware UTC datetimes everywhere; the store keeps them as UTC.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A short URL-safe id, 22 characters, like the seed's `E5fpbocaQOWIom1qFAJHzg`."""
    return _token(16)


def new_schedule_id() -> str:
    """16 URL-safe characters, like the seed's scheduled job `319au6PDnnDwIKyP`."""
    return _token(12)


def _token(nbytes: int) -> str:
    # Never a leading "-": a command line would take the id for an option.
    while (token := secrets.token_urlsafe(nbytes)).startswith("-"):
        pass
    return token


MAX_CAPABILITIES = 8  # an agent's: claims match every subset of them


def capabilities(names: Iterable[str]) -> tuple[str, ...]:
    """Capability names, sorted and without repeats; ValueError for a malformed one."""
    if isinstance(names, str):  # "sandbox" is not ("a", "b", "d", ...)
        raise ValueError(f"capabilities must be a list of names, not the string {names!r}")
    found = tuple(sorted(set(names), key=str))
    for name in found:
        if not (isinstance(name, str) and re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", name)):
            raise ValueError(f"capability {name!r}: lower-case letters, digits, - or _")
    if len(found) > MAX_CAPABILITIES:
        raise ValueError(f"more than {MAX_CAPABILITIES} capabilities")
    return found


class State(enum.StrEnum):
    QUEUED = "QUEUED"  # waiting to be claimed; deferred ones carry not_before
    STARTING = "STARTING"  # claimed by one dispatcher (the at-most-once fence); not yet running
    RUNNING = "RUNNING"  # its process was started on an agent
    SUCCEEDED = "SUCCEEDED"  # the process exited 0
    FAILED = "FAILED"  # non-zero exit, an exception, killed for memory, or could not start
    TIMED_OUT = "TIMED_OUT"  # ran past the job's timeout; its whole process tree was killed
    CANCELLED = "CANCELLED"  # cancelled by a user, before or while running
    LOST = "LOST"  # the outcome is unknown (agent died, lease expired); never started again
    SKIPPED = "SKIPPED"  # the scheduler decided not to run it; the reason says why

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def live(self) -> bool:
        return self in (State.STARTING, State.RUNNING)


TERMINAL = frozenset(
    {State.SUCCEEDED, State.FAILED, State.TIMED_OUT, State.CANCELLED, State.LOST, State.SKIPPED}
)


class Isolation(enum.StrEnum):
    """How an invocation's reservation was held while it ran."""

    CGROUP = "cgroup"  # its own cgroup: CPU shares/weight and a memory limit
    RLIMIT = "rlimit"  # not root: address-space rlimit only; CPU is not reserved
    NONE = "none"  # nothing enforced (development without limits)


@dataclass(frozen=True, kw_only=True)
class Queue:
    name: str
    priority: int = 0  # higher starts first when both wait

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"queue name {self.name!r} must be letters, digits, - or _")


@dataclass(frozen=True, kw_only=True)
class InvocationRequest:
    """What a caller asks for; the API turns it into an Invocation."""

    family: str
    job_name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    run_at: datetime | None = None  # deferred: not before this instant
    idempotency_key: str | None = None  # a repeated key returns the first invocation
    queue: str | None = None  # default: the job's queue

    def __post_init__(self) -> None:
        if self.run_at is not None and self.run_at.tzinfo is None:
            raise ValueError("run_at must carry a time zone")


@dataclass(frozen=True, kw_only=True)
class Invocation:
    id: str
    family: str
    job_name: str
    queue: str
    priority: int
    parameters: dict[str, Any]
    state: State
    reserved_cpu: int
    reserved_memory: int
    timeout: float | None
    command: str
    created_at: datetime
    not_before: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    agent_id: str | None = None
    cluster_ref: str | None = None  # where it runs: "local:<agent>/<pid>", a Slurm job id, ...
    isolation: Isolation | None = None
    exit_code: int | None = None  # negative: killed by that signal
    reason: str | None = None  # why it ended as it did, or why it is waiting
    idempotency_key: str | None = None
    attempt: int = 1
    max_attempts: int = 1
    retry_of: str | None = None
    cancel_requested: bool = False
    schedule_id: str | None = None  # the schedule that fired it
    fire_time: datetime | None = None  # the fire it stands for; unique per schedule
    deadline_at: datetime | None = None  # still QUEUED then: SKIPPED (the start deadline)
    waits_for: str | None = None  # held until that invocation ends (overlap replace, catch-up)
    requires: tuple[str, ...] = ()  # capabilities the agent that runs it must declare

    @property
    def job(self) -> str:
        return f"{self.family}/{self.job_name}"

    def replace(self, **changes: Any) -> Invocation:
        return dataclasses.replace(self, **changes)


class Overlap(enum.StrEnum):
    """What a schedule does when it fires while its previous invocation has not ended."""

    FORBID = "forbid"  # do not run: record the fire SKIPPED, naming the live invocation
    ALLOW = "allow"  # run side by side
    REPLACE = "replace"  # cancel the live one; the new one starts once it has ended


class Misfire(enum.StrEnum):
    """Catch-up after downtime: what to do with fires older than the schedule's grace."""

    SKIP = "skip"  # run none of them (each is recorded SKIPPED with the reason)
    LATEST = "latest"  # run the latest missed fire once; the others are SKIPPED
    ALL = "all"  # run those within the catch-up window, at most catchup_limit, one by one


MAX_CATCHUP_LIMIT = 1000
MAX_GRACE = 86400.0  # seconds
MAX_SPAN = 366 * 86400.0  # seconds: catch-up window, start deadline


@dataclass(frozen=True, kw_only=True)
class ScheduleRequest:
    """What a caller asks for; the scheduler's front door validates and saves it."""

    family: str
    job_name: str
    cron: str  # Unix 5-field or Quartz 6/7-field
    timezone: str = "UTC"  # IANA name; the cron fields are read on this zone's wall clock
    parameters: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None  # default: the job's queue
    overlap: Overlap = Overlap.FORBID
    misfire: Misfire = Misfire.LATEST
    misfire_grace: float = 60.0  # seconds a fire may be late and still count as on time
    catchup_window: float = 86400.0  # Misfire.ALL: seconds back that missed fires still run
    catchup_limit: int = 10  # Misfire.ALL: at most this many missed fires run
    start_deadline: float | None = None  # seconds after its fire time it may still start
    paused: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        # Enum members from their names, for callers that pass "allow" or "all".
        object.__setattr__(self, "overlap", Overlap(self.overlap))
        object.__setattr__(self, "misfire", Misfire(self.misfire))
        durations = {  # name: (value, least, most)
            # A scheduler wakes a few ms after a fire time: less than 1 s of grace would
            # make every fire a misfire.
            "misfire_grace": (self.misfire_grace, 1.0, MAX_GRACE),
            "catchup_window": (self.catchup_window, 1.0, MAX_SPAN),
            "start_deadline": (self.start_deadline, 1.0, MAX_SPAN),
        }
        for name, (value, least, most) in durations.items():
            if value is not None and not (math.isfinite(value) and least <= value <= most):
                raise ValueError(f"{name} must be {least:g} to {most:g} seconds, not {value:g}")
        if not 1 <= self.catchup_limit <= MAX_CATCHUP_LIMIT:
            raise ValueError(f"catchup_limit must be 1 to {MAX_CATCHUP_LIMIT}")
        # What the API's schema allows, for every door (the web form has no schema).
        for name, most in (("family", 200), ("job_name", 200), ("cron", 1000),
                           ("timezone", 100), ("description", 1000)):  # fmt: skip
            if len(getattr(self, name)) > most:
                raise ValueError(f"{name} may be at most {most} characters")


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """A saved schedule. next_fire_at is None when it never fires again (its years are over);
    a paused schedule keeps it for display but does not fire."""

    id: str
    family: str
    job_name: str
    cron: str
    timezone: str
    parameters: dict[str, Any]
    queue: str
    overlap: Overlap
    misfire: Misfire
    misfire_grace: float
    catchup_window: float
    catchup_limit: int
    start_deadline: float | None
    paused: bool
    description: str
    created_at: datetime
    updated_at: datetime
    next_fire_at: datetime | None
    last_fire_at: datetime | None = None

    @property
    def job(self) -> str:
        return f"{self.family}/{self.job_name}"

    def replace(self, **changes: Any) -> Schedule:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class Event:
    """One entry of an invocation's timeline."""

    invocation_id: str
    at: datetime
    state: State  # the state after this event
    message: str


@dataclass(frozen=True, kw_only=True)
class Agent:
    """A node agent as the store knows it: declared capacity and a heartbeat lease."""

    id: str
    host: str
    pid: int
    cpu: int  # CPU units, 1024 = one core
    memory: int  # MiB
    capabilities: tuple[str, ...] = ()
    started_at: datetime
    heartbeat_at: datetime
    used_cpu: int = 0
    used_memory: int = 0

    @property
    def free_cpu(self) -> int:
        return self.cpu - self.used_cpu

    @property
    def free_memory(self) -> int:
        return self.memory - self.used_memory


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


class SubmissionState(enum.StrEnum):
    """Where a learner's submission is. GRADED holds a score whatever the learner's code did;
    ERROR means the platform failed it (never the learner's fault), and says why."""

    QUEUED = "QUEUED"  # waiting for its grading invocation to start
    GRADING = "GRADING"  # the grading job has it
    GRADED = "GRADED"
    ERROR = "ERROR"

    @property
    def final(self) -> bool:
        return self in (SubmissionState.GRADED, SubmissionState.ERROR)


@dataclass(frozen=True, kw_only=True)
class SubmittedPart:
    """One uploaded file of a submission (its bytes are stored apart)."""

    part: str
    filename: str
    language: str
    size: int


@dataclass(frozen=True, kw_only=True)
class Submission:
    id: str
    assignment: str
    learner: str
    parts: tuple[SubmittedPart, ...]
    state: SubmissionState
    created_at: datetime
    invocation_id: str | None = None  # the grading job's invocation
    graded_at: datetime | None = None
    score: float | None = None
    total: float | None = None
    pass_mark: float | None = None
    passed: bool | None = None
    result: dict[str, Any] | None = None  # the grader's full result (what the learner sees)
    error: str | None = None  # state ERROR: why
    callback_url: str | None = None  # POSTed the result, signed, once graded
    callback_status: str | None = None  # "delivered", or "failed: <why>"

    def replace(self, **changes: Any) -> Submission:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class History:
    """A learner's submissions to one assignment, newest first, with what counts."""

    assignment: str
    learner: str
    submissions: list[Submission]
    total: float
    pass_mark: float
    best: float | None  # the highest score graded so far
    latest: float | None  # the score of the newest graded submission
    passed: bool  # the best score meets the pass mark


class Role(enum.StrEnum):
    """What a signed-in person may do in the web UI."""

    ADMIN = "admin"  # everything, grading (learners' work) included
    DEVELOPER = "developer"  # jobs, invocations, schedules: run, cancel, create, edit
    VIEWER = "viewer"  # read jobs, invocations and schedules; change nothing

    def may(self, needed: Role) -> bool:
        order = (Role.VIEWER, Role.DEVELOPER, Role.ADMIN)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, kw_only=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    disabled: bool = False
