"""The schedule form of the web UI, apart from its routes: the raw values a person typed (kept
as typed when the form comes back with an error), the ScheduleRequest they ask for, which
field an error belongs to, and the live preview of an expression in a time zone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from fastapi import Request

from ..cron import calendar_time, describe, fires, parse
from ..cron.zones import resolve
from ..errors import (
    CronError,
    InvalidParameters,
    InvalidRequest,
    UnknownJob,
    UnknownQueue,
    Unplaceable,
)
from ..models import Misfire, Overlap, Schedule, ScheduleRequest, utcnow
from .render import strict_json

PREVIEW_FIRES = 5
LABELS = {  # field: its label, in error messages that name it
    "job": "Job",
    "cron": "Cron expression",
    "timezone": "Time zone",
    "parameters": "Parameters",
    "queue": "Queue",
    "overlap": "Overlap",
    "misfire": "Misfire",
    "misfire_grace": "Misfire grace",
    "catchup_window": "Catch-up window",
    "catchup_limit": "Catch-up limit",
    "start_deadline": "Start deadline",
    "description": "Description",
}


@dataclass
class Form:
    """What the form shows: every field as text, and the errors by field ("" for the form)."""

    job: str = ""
    cron: str = ""
    timezone: str = "UTC"
    parameters: str = "{}"
    queue: str = ""
    overlap: str = Overlap.FORBID.value
    misfire: str = Misfire.LATEST.value
    misfire_grace: str = "60"
    catchup_window: str = "86400"
    catchup_limit: str = "10"
    start_deadline: str = ""
    description: str = ""
    paused: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def posted(cls, request: Request) -> Form:
        """The form as the browser sent it (fields it left out keep their defaults)."""
        sent = await request.form()
        texts = {f.name: str(sent[f.name]) for f in fields(cls) if f.name in sent}
        texts.pop("errors", None)
        return cls(**{**texts, "paused": bool(sent.get("paused"))})  # type: ignore[arg-type]

    @classmethod
    def of(cls, s: Schedule) -> Form:
        return cls(
            job=s.job,
            cron=s.cron,
            timezone=s.timezone,
            parameters=json.dumps(s.parameters, indent=2, ensure_ascii=False),
            queue=s.queue,
            overlap=s.overlap.value,
            misfire=s.misfire.value,
            misfire_grace=f"{s.misfire_grace:g}",
            catchup_window=f"{s.catchup_window:g}",
            catchup_limit=str(s.catchup_limit),
            start_deadline="" if s.start_deadline is None else f"{s.start_deadline:g}",
            description=s.description,
            paused=s.paused,
        )

    def request(self) -> ScheduleRequest | None:
        """The request this form asks for; None with `errors` filled when it cannot say."""
        family, _, job_name = self.job.partition("/")
        if not family or not job_name:
            self.errors["job"] = "choose a job"
        try:
            parameters = strict_json(self.parameters or "{}")
            if not isinstance(parameters, dict):
                self.errors["parameters"] = 'write a JSON object: {"name": value, ...}'
        except ValueError as exc:
            self.errors["parameters"] = str(exc)
        numbers: dict[str, float | None] = {}
        for name in ("misfire_grace", "catchup_window", "catchup_limit", "start_deadline"):
            text = getattr(self, name).strip()
            if not text and name == "start_deadline":
                numbers[name] = None
                continue
            try:
                numbers[name] = float(text)
            except ValueError:
                self.errors[name] = f"{text!r} is not a number"
        limit = numbers.get("catchup_limit")
        if limit is not None and not limit.is_integer():
            self.errors["catchup_limit"] = f"{limit:g} is not a whole number"
        for name, kind in (("overlap", Overlap), ("misfire", Misfire)):
            if getattr(self, name) not in {m.value for m in kind}:
                self.errors[name] = f"choose one of {', '.join(m.value for m in kind)}"
        if self.errors:
            return None
        try:
            return ScheduleRequest(
                family=family,
                job_name=job_name,
                cron=self.cron,
                timezone=self.timezone.strip() or "UTC",
                parameters=parameters,
                queue=self.queue or None,
                overlap=Overlap(self.overlap),
                misfire=Misfire(self.misfire),
                misfire_grace=numbers["misfire_grace"],  # type: ignore[arg-type]
                catchup_window=numbers["catchup_window"],  # type: ignore[arg-type]
                catchup_limit=int(numbers["catchup_limit"]),  # type: ignore[arg-type]
                start_deadline=numbers["start_deadline"],
                paused=self.paused,
                description=self.description.strip(),
            )
        except ValueError as exc:  # "misfire_grace must be 1 to 86400 seconds, not 0"
            message = str(exc)
            name = next((n for n in LABELS if message.startswith(n)), "")
            self.errors[name] = message.removeprefix(name).strip() if name else message
            return None

    def refused(self, exc: InvalidRequest) -> None:
        """Put the error Schedules raised beside the field it is about."""
        if isinstance(exc, CronError):
            if "unknown time zone" in exc.problem:
                self.errors["timezone"] = f"{exc.problem}; use an IANA name such as Europe/Paris"
            else:
                self.errors["cron"] = exc.problem
        elif isinstance(exc, UnknownJob | Unplaceable):
            self.errors["job"] = exc.message
        elif isinstance(exc, UnknownQueue):
            self.errors["queue"] = exc.message
        elif isinstance(exc, InvalidParameters):
            self.errors["parameters"] = exc.message
        else:
            self.errors[""] = exc.message


@dataclass(frozen=True)
class Preview:
    """The preview under the expression: its dialect, English and next fires, or the error
    naming the field (cron or timezone) that is wrong."""

    expression: str = ""
    dialect: str = ""
    description: str = ""
    fires: list[tuple[datetime, str]] = field(default_factory=list)  # (when, in its zone)
    error_field: str = ""
    error: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.error_field, "")


def preview(expression: str, timezone: str, now: datetime | None = None) -> Preview:
    """Explain `expression` on `timezone`'s clock: what the form shows as it is typed."""
    now = now or utcnow()
    timezone = timezone.strip() or "UTC"
    if not expression.strip():
        return Preview()
    try:
        cron = parse(expression)
    except CronError as exc:
        return Preview(expression=expression, error_field="cron", error=exc.problem)
    try:
        zone = resolve(timezone)
    except (LookupError, ValueError):
        problem = f"unknown time zone {timezone!r}; use an IANA name such as Europe/Paris"
        return Preview(expression=expression, error_field="timezone", error=problem)
    try:
        parse(expression, now=now, tz=zone)
    except CronError as exc:
        return Preview(expression=expression, error_field="cron", error=exc.problem)
    at = fires(cron, now, zone, PREVIEW_FIRES)
    return Preview(
        expression=expression,
        dialect=cron.dialect.value,
        description=describe(cron),
        fires=[(f, calendar_time(f, now=now, tz=zone)) for f in at],
    )


def explain(expression: str) -> str:
    """A saved expression in English (or what is wrong with it)."""
    try:
        return describe(parse(expression))
    except CronError as exc:
        return exc.problem


def job_choices(registry: Any) -> list[str]:
    """The jobs a schedule may run: every registered one but the platform's own."""
    return [f"{s.family}/{s.name}" for s in registry if not s.platform]
