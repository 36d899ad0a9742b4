"""Schedules, and the one transaction in which a scheduler turns due fires into invocations.

Firing is safe with any number of scheduler replicas: due schedules are read and locked in
the transaction that writes their invocations (`FOR UPDATE SKIP LOCKED` on PostgreSQL; one
writer at a time on SQLite), each schedule's `next_fire_at` moves only from the value read
(0 rows: a replica got there first, and the whole batch is rolled back), and the unique index
on `(schedule_id, fire_time)` refuses a second invocation of the same fire.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import NotFound
from ..models import Invocation, Schedule, State
from . import tables as t
from .database import QUIET, Database
from .rows import INVOCATION_FIELDS, SCHEDULE_FIELDS, insert_invocations, invocation, schedule
from .wakeup import SCHEDULES

log = logging.getLogger(__name__)


class ScheduleMoved(Exception):
    """A schedule's next_fire_at was not what this transaction read: another scheduler fired
    it. The transaction is rolled back; the next pass reads it again."""


@dataclass(kw_only=True)
class Firing:
    """What a scheduler decided for one due schedule, written in the same transaction."""

    next_fire_at: datetime | None
    last_fire_at: datetime | None
    new: list[tuple[Invocation, str]] = field(default_factory=list)  # with the first event
    cancel: list[tuple[Invocation, str]] = field(default_factory=list)  # live ones, replaced


Decide = Callable[[Schedule, list[Invocation]], Firing]
Failed = Callable[[Schedule, Exception], Firing]  # what to record when deciding raised

# Moves a schedule on from the next_fire_at read, or from nothing (0 rows: another scheduler
# fired it). Built once, so each execution reuses the compiled statement.
_MOVE = (
    t.schedules.update()
    .where(
        t.schedules.c.id == sa.bindparam("sid"), t.schedules.c.next_fire_at == sa.bindparam("read")
    )
    .values(
        next_fire_at=sa.bindparam("next_fire_at", type_=t.UTCDateTime),
        last_fire_at=sa.bindparam("last_fire_at", type_=t.UTCDateTime),
    )
)


class ScheduleQueries(Database):
    def create_schedule(self, s: Schedule) -> None:
        with self._write(notify=True, channel=SCHEDULES) as conn:
            conn.execute(t.schedules.insert().values(**_values(s)))

    def get_schedule(self, schedule_id: str) -> Schedule:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(*SCHEDULE_FIELDS).where(t.schedules.c.id == schedule_id)
            ).first()
        if row is None:
            raise NotFound(schedule_id, "schedule")
        return schedule(row)

    def list_schedules(
        self,
        *,
        family: str | None = None,
        job_name: str | None = None,
        paused: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Schedule]:
        """Soonest next fire first; those that never fire again last."""
        c = t.schedules.c
        query = sa.select(*SCHEDULE_FIELDS)
        if family is not None:
            query = query.where(c.family == family)
        if job_name is not None:
            query = query.where(c.job_name == job_name)
        if paused is not None:
            query = query.where(c.paused == paused)
        query = query.order_by(c.next_fire_at.is_(None), c.next_fire_at, c.id)
        with self.engine.connect() as conn:
            return [schedule(r) for r in conn.execute(query.limit(limit).offset(offset))]

    def update_schedule(self, schedule_id: str, **values: object) -> Schedule:
        """Set columns of one schedule (a pause, a resume with its new next fire)."""
        c = t.schedules.c
        with self._write(notify=True, channel=SCHEDULES) as conn:
            row = conn.execute(
                t.schedules.update()
                .where(c.id == schedule_id)
                .values(**values)
                .returning(*SCHEDULE_FIELDS)
            ).first()
        if row is None:
            raise NotFound(schedule_id, "schedule")
        return schedule(row)

    def replace_schedule(self, s: Schedule) -> Schedule:
        """Save an edited schedule whole: every column but its id and creation time (NotFound
        if it was deleted meanwhile). A scheduler firing it at the same moment finds its
        next_fire_at moved and reads it again."""
        values = _values(s)
        del values["id"], values["created_at"]
        return self.update_schedule(s.id, **values)

    def delete_schedule(self, schedule_id: str) -> None:
        """Its invocations stay, with their schedule_id, as history."""
        with self._write(notify=True, channel=SCHEDULES) as conn:
            gone = conn.execute(
                t.schedules.delete().where(t.schedules.c.id == schedule_id)
            ).rowcount
        if not gone:
            raise NotFound(schedule_id, "schedule")

    def next_fire_due(self) -> datetime | None:
        """The earliest next fire of an active schedule: one read of the index's first entry."""
        c = t.schedules.c
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(c.next_fire_at)
                .where(c.paused == sa.false(), c.next_fire_at.is_not(None))
                .order_by(c.next_fire_at)
                .limit(1)
            ).scalar()

    def schedule_invocations(self, schedule_id: str, limit: int = 20) -> builtins.list[Invocation]:
        """The schedule's latest fires, newest first."""
        c = t.invocations.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*INVOCATION_FIELDS)
                .where(c.schedule_id == schedule_id)
                .order_by(c.fire_time.desc(), c.id.desc())
                .limit(limit)
            )
            return [invocation(r) for r in rows]

    def add_fired(self, inv: Invocation, message: str) -> None:
        """One invocation for a schedule, outside the due loop ("trigger now")."""
        with self._write(notify=True) as conn:
            insert_invocations(conn, [(inv, message)])

    def fire_due(self, now: datetime, decide: Decide, failed: Failed, *, limit: int = 200) -> int:
        """Lock up to `limit` due schedules, let `decide` plan each one's fires given its live
        invocations, and write all of it in one transaction, each schedule in a savepoint: a
        schedule whose firing raises gets what `failed` says instead (a FAILED record, and
        its next fire after now), so one bad schedule never stops the others. Returns how
        many schedules were fired (0: nothing was due)."""
        c = t.schedules.c
        due = (
            sa.select(*SCHEDULE_FIELDS)
            .where(c.paused == sa.false(), c.next_fire_at <= now)
            .order_by(c.next_fire_at, c.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        with self._write(notify=True) as conn:
            schedules = [schedule(r) for r in conn.execute(due)]
            if not schedules:
                conn.info[QUIET] = True
                return 0
            live = _live(conn, [s.id for s in schedules], self.dialect == "postgresql")
            for s in schedules:
                try:
                    with conn.begin_nested():
                        self._apply(conn, s, decide(s, live.get(s.id, [])), now)
                except ScheduleMoved:
                    raise
                except Exception as exc:
                    log.exception("firing schedule %s failed", s.id)
                    with conn.begin_nested():
                        self._apply(conn, s, failed(s, exc), now)
        return len(schedules)

    def _apply(self, conn: Connection, s: Schedule, firing: Firing, now: datetime) -> None:
        started = self._cancel_replaced(conn, firing.cancel, now)
        new = firing.new
        if started:  # a replaced one was claimed since it was read: the new one waits for it
            new = [
                (inv.replace(waits_for=started[-1]), message)
                if inv.state is State.QUEUED and inv.waits_for is None
                else (inv, message)
                for inv, message in new
            ]
        insert_invocations(conn, new)
        moved = conn.execute(
            _MOVE,
            {
                "sid": s.id,
                "read": s.next_fire_at,
                "next_fire_at": firing.next_fire_at,
                "last_fire_at": firing.last_fire_at,
            },
        ).rowcount
        if not moved:
            raise ScheduleMoved(s.id)

    def _cancel_replaced(
        self, conn: Connection, cancel: Sequence[tuple[Invocation, str]], now: datetime
    ) -> list[str]:
        """Overlap `replace`: a QUEUED one ends CANCELLED at once, a started one is flagged
        for its agent to kill. Returns the ids of those found started (the new invocation
        waits for them)."""
        c = t.invocations.c
        started = []
        for inv, why in cancel:
            ended = conn.execute(
                t.invocations.update()
                .where(c.id == inv.id, c.state == State.QUEUED.value)
                .values(state=State.CANCELLED.value, ended_at=now, reason=why)
            ).rowcount
            if ended:
                self._event(conn, inv.id, now, State.CANCELLED, why)
                continue
            row = conn.execute(
                t.invocations.update()
                .where(c.id == inv.id, c.state.in_([State.STARTING.value, State.RUNNING.value]))
                .values(cancel_requested=True)
                .returning(c.state, c.cancel_requested)
            ).first()
            if row is not None:
                started.append(inv.id)
                if not inv.cancel_requested:
                    self._event(conn, inv.id, now, State(row.state), f"cancel requested: {why}")
        return started


def _live(
    conn: Connection, schedule_ids: builtins.list[str], lock: bool
) -> dict[str, list[Invocation]]:
    """The invocations of these schedules that have not ended, oldest fire first.

    On PostgreSQL the started ones are locked until the firing commits: one that ends
    meanwhile ends after it, so the release of an invocation held for it (store.finish_many)
    sees the held one. QUEUED ones are not locked, so that a dispatcher ending a started one
    (which then releases QUEUED ones) never waits on us while we wait on it."""
    c = t.invocations.c
    started, queued = (State.STARTING.value, State.RUNNING.value), (State.QUEUED.value,)
    # QUEUED first: one claimed between the two reads shows up in the second, never in none.
    rows: list[sa.Row[Any]] = []
    for states in (queued, started) if lock else (started + queued,):
        query = sa.select(*INVOCATION_FIELDS).where(
            c.schedule_id.in_(schedule_ids), c.state.in_(states)
        )
        if lock and states == started:  # in id order, as finish_many locks: no deadlock
            query = query.order_by(c.id).with_for_update()
        rows += conn.execute(query).all()
    rows = list({r.id: r for r in rows}.values())  # the later read wins
    live: dict[str, list[Invocation]] = {}
    for inv in sorted(map(invocation, rows), key=lambda i: (i.fire_time or i.created_at, i.id)):
        live.setdefault(inv.schedule_id or "", []).append(inv)
    return live


def _values(s: Schedule) -> dict[str, object]:
    values = {col.name: getattr(s, col.name) for col in SCHEDULE_FIELDS}
    values["overlap"] = s.overlap.value
    values["misfire"] = s.misfire.value
    return values
