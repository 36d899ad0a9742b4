"""Claims: the at-most-once fence (QUEUED -> STARTING in one conditional UPDATE), and what
a dispatcher reads about work that waits."""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from ..models import Invocation, State
from ..models import capabilities as capability_names
from . import tables as t
from .database import Database
from .rows import INVOCATION_FIELDS as _INVOCATION_FIELDS
from .rows import invocation as _invocation

_CLAIM_ORDER = (
    t.invocations.c.priority.desc(),
    t.invocations.c.created_at,
    t.invocations.c.id,
)


class ClaimQueries(Database):
    def claim(
        self,
        agent_id: str,
        free_cpu: int,
        free_memory: int,
        now: datetime,
        *,
        limit: int = 64,
        capabilities: Sequence[str] = (),
    ) -> builtins.list[Invocation]:
        """The at-most-once fence: in ONE conditional UPDATE, move runnable QUEUED
        invocations to STARTING for this agent, in claim order (highest priority, then oldest),
        as many as fit the free capacity together, stopping at the first that does not fit.
        Exactly one caller can win a given invocation. Returns them in claim order; empty
        when the first in line does not fit (see `claim_one` for backfill). Only invocations
        whose required capabilities the agent declares are in its line."""
        c = t.invocations.c
        head = (
            sa.select(c.id, c.reserved_cpu, c.reserved_memory, c.priority, c.created_at)
            .where(
                c.state == State.QUEUED.value,
                c.next_try_at <= now,
                _startable(now),
                _runnable_with(capabilities),
            )
            .order_by(*_CLAIM_ORDER)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            head = head.with_for_update(skip_locked=True)
        line = head.subquery("line")
        order = (line.c.priority.desc(), line.c.created_at, line.c.id)
        totals = sa.select(
            line.c.id,
            sa.func.sum(line.c.reserved_cpu).over(order_by=order).label("cpu"),
            sa.func.sum(line.c.reserved_memory).over(order_by=order).label("memory"),
        ).subquery("totals")
        fits = sa.select(totals.c.id).where(
            totals.c.cpu <= free_cpu, totals.c.memory <= free_memory
        )
        return self._claim(agent_id, now, c.id.in_(fits))

    def claim_one(
        self,
        agent_id: str,
        free_cpu: int,
        free_memory: int,
        now: datetime,
        *,
        capabilities: Sequence[str] = (),
    ) -> Invocation | None:
        """Backfill: claim the first runnable invocation that fits on its own, passing over
        those ahead of it that do not. One conditional UPDATE, like `claim`."""
        c = t.invocations.c
        pick = (
            sa.select(c.id)
            .where(
                c.state == State.QUEUED.value,
                c.next_try_at <= now,
                _startable(now),
                _runnable_with(capabilities),
                c.reserved_cpu <= free_cpu,
                c.reserved_memory <= free_memory,
            )
            .order_by(*_CLAIM_ORDER)
            .limit(1)
        )
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claimed = self._claim(agent_id, now, c.id == pick.scalar_subquery())
        return claimed[0] if claimed else None

    def _claim(
        self, agent_id: str, now: datetime, which: sa.ColumnElement[bool]
    ) -> builtins.list[Invocation]:
        c = t.invocations.c
        stmt = (
            t.invocations.update()
            .where(which, c.state == State.QUEUED.value)
            .values(state=State.STARTING.value, agent_id=agent_id, reason=None)
            .returning(*_INVOCATION_FIELDS)
        )
        with self._write() as conn:
            rows = conn.execute(stmt).all()
            self._events(
                conn, [(r.id, State.STARTING, f"claimed for agent {agent_id}") for r in rows], now
            )
        claimed = [_invocation(r) for r in rows]
        claimed.sort(key=lambda i: (-i.priority, i.created_at, i.id))
        return claimed

    def waiting(
        self, now: datetime, limit: int, *, capabilities: Sequence[str] = ()
    ) -> builtins.list[Invocation]:
        """Runnable QUEUED invocations an agent with `capabilities` could run, in claim order
        (those no claim took: they did not fit)."""
        c = t.invocations.c
        query = (
            sa.select(*_INVOCATION_FIELDS)
            .where(
                c.state == State.QUEUED.value,
                c.next_try_at <= now,
                _runnable_with(capabilities),
            )
            .order_by(*_CLAIM_ORDER)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_invocation(r) for r in conn.execute(query)]

    def note_waiting(self, inv: Invocation, reason: str, now: datetime) -> None:
        """Record why a QUEUED invocation waits; an event only when the reason changes."""
        if reason == inv.reason:
            return
        c = t.invocations.c
        with self._write() as conn:
            done = conn.execute(
                t.invocations.update()
                .where(c.id == inv.id, c.state == State.QUEUED.value)
                .values(reason=reason)
            ).rowcount
            if done:
                self._event(conn, inv.id, now, State.QUEUED, f"waiting for capacity: {reason}")

    def next_due(self, now: datetime) -> datetime | None:
        """When the next deferred invocation becomes runnable, for a dispatcher's sleep.
        Those runnable already but waiting for capacity do not count: an exit wakes the
        dispatcher for them."""
        c = t.invocations.c
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.min(c.next_try_at)).where(
                    c.state == State.QUEUED.value, c.next_try_at > now
                )
            ).scalar_one()


def _startable(now: datetime) -> sa.ColumnElement[bool]:
    """Not past its start deadline: such an invocation is SKIPPED, never started late."""
    c = t.invocations.c
    return sa.or_(c.deadline_at.is_(None), c.deadline_at > now)


def _runnable_with(capabilities: Sequence[str]) -> sa.ColumnElement[bool]:
    """Requires nothing the agent lacks: `requires` is one of the (sorted, joined) subsets of
    the agent's capabilities, of which there are at most 2 ** MAX_CAPABILITIES."""
    names = capability_names(capabilities)
    subsets = [
        ",".join(combo) for n in range(len(names) + 1) for combo in itertools.combinations(names, n)
    ]
    return t.invocations.c.requires.in_(subsets)
