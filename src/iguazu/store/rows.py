"""Rows <-> records, and the one way an invocation is inserted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from ..models import Invocation, Isolation, Misfire, Overlap, Schedule, State
from . import tables as t

INVOCATION_FIELDS = [c for c in t.invocations.c if c.name != "next_try_at"]
SCHEDULE_FIELDS = list(t.schedules.c)
HELD = datetime(9999, 1, 1, tzinfo=UTC)  # next_try_at of an invocation that waits for another


def invocation(row: Any) -> Invocation:
    m = row._mapping
    values = {c.name: m[c.name] for c in INVOCATION_FIELDS}
    values["state"] = State(values["state"])
    if values["isolation"] is not None:
        values["isolation"] = Isolation(values["isolation"])
    values["cancel_requested"] = bool(values["cancel_requested"])
    values["requires"] = tuple(values["requires"].split(",")) if values["requires"] else ()
    return Invocation(**values)


def schedule(row: Any) -> Schedule:
    m = row._mapping
    values = {c.name: m[c.name] for c in SCHEDULE_FIELDS}
    values["overlap"] = Overlap(values["overlap"])
    values["misfire"] = Misfire(values["misfire"])
    values["paused"] = bool(values["paused"])
    return Schedule(**values)


def insert_invocations(conn: Connection, items: Iterable[tuple[Invocation, str]]) -> None:
    """Invocations and their first events, in two statements. One held by `waits_for` is not
    runnable until the invocation it waits for ends (store.finish_many releases it)."""
    rows, events = [], []
    for inv, message in items:
        values = {c.name: getattr(inv, c.name) for c in INVOCATION_FIELDS}
        values["state"] = inv.state.value
        values["isolation"] = None
        values["requires"] = ",".join(sorted(set(inv.requires)))
        values["next_try_at"] = HELD if inv.waits_for else inv.not_before or inv.created_at
        rows.append(values)
        events.append(
            {
                "invocation_id": inv.id,
                "at": inv.created_at,
                "state": inv.state.value,
                "message": message,
            }
        )
    if rows:  # a statement without .values() compiles once and is cached
        conn.execute(t.invocations.insert(), rows)
        conn.execute(t.events.insert(), events)
