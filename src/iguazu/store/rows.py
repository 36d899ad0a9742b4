"""Rows <-> records, and the one way an invocation is inserted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from ..models import Invocation, Isolation, Misfire, Overlap, Schedule, State
from . import tables as t
from .database import Database

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
    return Invocation(**values)


def schedule(row: Any) -> Schedule:
    m = row._mapping
    values = {c.name: m[c.name] for c in SCHEDULE_FIELDS}
    values["overlap"] = Overlap(values["overlap"])
    values["misfire"] = Misfire(values["misfire"])
    values["paused"] = bool(values["paused"])
    return Schedule(**values)


def insert_invocation(conn: Connection, inv: Invocation, message: str) -> None:
    """The invocation and its first event. One held by `waits_for` is not runnable until
    the invocation it waits for ends (store.finish_many releases it)."""
    values = {c.name: getattr(inv, c.name) for c in INVOCATION_FIELDS}
    values["state"] = inv.state.value
    values["isolation"] = None
    values["next_try_at"] = HELD if inv.waits_for else inv.not_before or inv.created_at
    conn.execute(t.invocations.insert().values(**values))
    Database._event(conn, inv.id, inv.created_at, inv.state, message)
