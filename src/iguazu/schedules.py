"""Schedules' front door: what the API, the CLI and the web UI call.

Like Batch.submit, `create` and `update` check everything (expression, time zone, that it ever
fires, job, queue, parameters, reservation) before they write, so a refused schedule saves
nothing and a refused change changes nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .batch import Batch, new_invocation
from .cron import Cron, describe, fires, next_fire, parse
from .errors import InvalidRequest
from .models import Invocation, Schedule, ScheduleRequest, new_schedule_id, utcnow
from .store import Store

MAX_PREVIEW = 100


@dataclass(frozen=True, kw_only=True)
class Preview:
    """An expression checked and explained, with its next fire times."""

    cron: Cron
    timezone: str
    description: str
    fires: list[datetime]


class Schedules:
    def __init__(
        self, *, store: Store, batch: Batch, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.batch = batch
        self.clock = clock

    def create(self, request: ScheduleRequest) -> Schedule:
        now = self.clock()
        schedule = self._check(request, now, id=new_schedule_id(), created_at=now)
        self.store.create_schedule(schedule)
        return schedule

    def update(self, schedule_id: str, request: ScheduleRequest) -> Schedule:
        """Change a saved schedule to what `request` says, checked as `create` checks it (a
        refused change leaves the schedule as it was). It keeps its id, creation time and last
        fire; its next fire is recomputed from now; `request.paused` says whether it is paused
        (a paused one stays paused when the request says so). Its invocations stay as they are.
        NotFound for an unknown schedule."""
        saved = self.store.get_schedule(schedule_id)
        now = self.clock()
        schedule = self._check(request, now, id=saved.id, created_at=saved.created_at)
        return self.store.replace_schedule(schedule.replace(last_fire_at=saved.last_fire_at))

    def _check(
        self, request: ScheduleRequest, now: datetime, *, id: str, created_at: datetime
    ) -> Schedule:
        """The schedule `request` asks for, or the error that says why not (nothing written)."""
        cron = parse(request.cron, now=now, tz=request.timezone)
        spec, queue, parameters = self.batch.resolve(
            request.family, request.job_name, request.queue, request.parameters
        )
        return Schedule(
            id=id,
            family=spec.family,
            job_name=spec.name,
            cron=cron.expression.strip(),
            timezone=request.timezone,
            parameters=parameters,
            queue=queue.name,
            overlap=request.overlap,
            misfire=request.misfire,
            misfire_grace=request.misfire_grace,
            catchup_window=request.catchup_window,
            catchup_limit=request.catchup_limit,
            start_deadline=request.start_deadline,
            paused=request.paused,
            description=request.description,
            created_at=created_at,
            updated_at=now,
            next_fire_at=next_fire(cron, now, request.timezone),
        )

    def get(self, schedule_id: str) -> Schedule:
        return self.store.get_schedule(schedule_id)

    def list(self, **filters) -> builtins.list[Schedule]:  # type: ignore[no-untyped-def]
        return self.store.list_schedules(**filters)

    def invocations(self, schedule_id: str, limit: int = 20) -> builtins.list[Invocation]:
        """Its latest fires, newest first (NotFound for an unknown schedule)."""
        self.store.get_schedule(schedule_id)
        return self.store.schedule_invocations(schedule_id, limit)

    def pause(self, schedule_id: str) -> Schedule:
        """It stops firing; fires while paused are not run, nor made up on resume."""
        return self.store.update_schedule(schedule_id, paused=True, updated_at=self.clock())

    def resume(self, schedule_id: str) -> Schedule:
        """It fires again from its next fire time after now. An active schedule is left as it
        is: its missed fires, if any, are the misfire policy's to decide."""
        schedule = self.store.get_schedule(schedule_id)
        if not schedule.paused:
            return schedule
        now = self.clock()
        following = next_fire(parse(schedule.cron), now, schedule.timezone)
        return self.store.update_schedule(
            schedule_id, paused=False, next_fire_at=following, updated_at=now
        )

    def delete(self, schedule_id: str) -> None:
        """It fires no more; its invocations stay, and live ones run on."""
        self.store.delete_schedule(schedule_id)

    def trigger(self, schedule_id: str) -> Invocation:
        """Run it once now, beside its regular fires (no overlap or misfire policy applies:
        a person asked for it)."""
        schedule = self.store.get_schedule(schedule_id)
        spec, queue, parameters = self.batch.resolve(
            schedule.family, schedule.job_name, schedule.queue, schedule.parameters
        )
        now = self.clock()
        if now.microsecond == 0:  # whole seconds are the fires' keys
            now += timedelta(microseconds=1)
        inv = new_invocation(spec, queue, parameters, now, schedule_id=schedule.id, fire_time=now)
        self.store.add_fired(inv, f"triggered by hand from schedule {schedule.id}")
        return inv

    @staticmethod
    def preview(
        expression: str, timezone: str = "UTC", count: int = 10, after: datetime | None = None
    ) -> Preview:
        """Check an expression and list its next `count` fires after `after` (default now),
        before anything is saved."""
        if not 1 <= count <= MAX_PREVIEW:
            raise InvalidRequest(f"count must be 1 to {MAX_PREVIEW}, not {count}")
        after = after or utcnow()
        cron = parse(expression, now=after, tz=timezone)
        return Preview(
            cron=cron,
            timezone=timezone,
            description=describe(cron),
            fires=fires(cron, after, timezone, count),
        )
