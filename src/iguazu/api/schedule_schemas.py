"""HTTP <-> models for schedules and cron previews (the API and the Python client)."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..cron import Dialect, describe, parse
from ..models import (
    MAX_CATCHUP_LIMIT,
    MAX_GRACE,
    MAX_SPAN,
    Invocation,
    Misfire,
    Overlap,
    Schedule,
    ScheduleRequest,
)
from .schemas import InvocationOut, Time


class ScheduleIn(BaseModel):
    """POST /api/v1/schedules. Unknown fields are refused so a typo is not silently lost."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    family: str = Field(min_length=1, max_length=200)
    job_name: str = Field(min_length=1, max_length=200)
    cron: str = Field(description="Unix (5 fields) or Quartz (6-7 fields) expression")
    timezone: str = Field(
        default="UTC", min_length=1, max_length=100, description="IANA name: the cron's clock"
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    queue: str | None = Field(default=None, min_length=1, max_length=100)
    overlap: Overlap = Overlap.FORBID
    misfire: Misfire = Misfire.LATEST
    misfire_grace: float = Field(
        default=60.0, ge=1, le=MAX_GRACE, description="seconds a fire may be late"
    )
    catchup_window: float = Field(
        default=86400.0, ge=1, le=MAX_SPAN, description="misfire all: seconds back"
    )
    catchup_limit: int = Field(default=10, ge=1, le=MAX_CATCHUP_LIMIT)
    start_deadline: float | None = Field(
        default=None, ge=1, le=MAX_SPAN, description="seconds after its fire it may start"
    )
    paused: bool = False
    description: str = Field(default="", max_length=1000)

    def to_model(self) -> ScheduleRequest:
        return ScheduleRequest(**self.model_dump())


def schedule_request_json(request: ScheduleRequest) -> dict[str, Any]:
    """The body the client sends for a schedule; the server validates it."""
    body = dataclasses.asdict(request)
    body["overlap"], body["misfire"] = request.overlap.value, request.misfire.value
    return {k: v for k, v in body.items() if v is not None}


class ScheduleOut(BaseModel):
    id: str
    family: str
    job_name: str
    cron: str
    dialect: Dialect = Field(description="unix or quartz")
    cron_description: str = Field(description="the cron expression in English")
    timezone: str
    parameters: dict[str, Any]
    queue: str
    overlap: Overlap
    misfire: Misfire
    misfire_grace: float = Field(description="seconds")
    catchup_window: float = Field(description="seconds")
    catchup_limit: int
    start_deadline: float | None = Field(description="seconds")
    paused: bool
    description: str
    created_at: Time
    updated_at: Time
    next_fire_at: Time | None = Field(description="null: it never fires again")
    last_fire_at: Time | None = None

    @classmethod
    def from_model(cls, schedule: Schedule) -> ScheduleOut:
        dialect, words = _explain(schedule.cron)
        values = {f.name: getattr(schedule, f.name) for f in dataclasses.fields(schedule)}
        return cls(**values, dialect=dialect, cron_description=words)

    def to_model(self) -> Schedule:
        names = {f.name for f in dataclasses.fields(Schedule)}
        return Schedule(**{k: v for k, v in self.model_dump().items() if k in names})


@functools.lru_cache(maxsize=1024)
def _explain(expression: str) -> tuple[Dialect, str]:
    """A saved expression's dialect and English (parsing takes ~0.1 ms; lists repeat)."""
    cron = parse(expression)
    return cron.dialect, describe(cron)


class ScheduleDetail(ScheduleOut):
    """A schedule with its latest invocations, newest first."""

    recent: list[InvocationOut]

    @classmethod
    def build(cls, schedule: Schedule, recent: list[Invocation]) -> ScheduleDetail:
        base = ScheduleOut.from_model(schedule).model_dump()
        return cls(**base, recent=[InvocationOut.from_model(i) for i in recent])


class ScheduleList(BaseModel):
    schedules: list[ScheduleOut]


class CronPreview(BaseModel):
    expression: str
    dialect: Dialect
    description: str = Field(description="the expression in English")
    timezone: str
    fires: list[Time] = Field(description="the next fire times, soonest first")
