"""The store: the only state shared between processes.

Every state change is one conditional UPDATE that names the state it leaves, plus the event
that records it, in one transaction. Losing such an update (0 rows) means somebody else moved
the invocation first; callers treat it as "not mine" and never act on it.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import Conflict, NotFound
from ..models import Event, Exit, Invocation, Launch, State
from . import tables as t
from .accounts import AccountQueries
from .agents import AgentQueries
from .claims import ClaimQueries
from .rows import INVOCATION_FIELDS as _INVOCATION_FIELDS
from .rows import insert_invocations
from .rows import invocation as _invocation
from .schedules import ScheduleQueries
from .submissions import SubmissionQueries


class Store(ClaimQueries, ScheduleQueries, AgentQueries, SubmissionQueries, AccountQueries):
    """Invocations and their timelines; claims, schedules, agents, submissions and accounts
    through mixins."""

    def create(self, inv: Invocation, message: str) -> tuple[Invocation, bool]:
        """Insert a QUEUED invocation and its first event. With an idempotency key already
        used, insert nothing and return the first invocation. Returns (invocation, created)."""
        try:
            with self._write(notify=True) as conn:
                self._insert(conn, inv, message)
        except sa.exc.IntegrityError:
            if inv.idempotency_key is None:
                raise
            existing = self.by_key(inv.idempotency_key)  # a concurrent create won the key
            assert existing is not None
            return existing, False
        return inv, True

    def _insert(self, conn: Connection, inv: Invocation, message: str) -> None:
        insert_invocations(conn, [(inv, message)])

    def by_key(self, key: str) -> Invocation | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(*_INVOCATION_FIELDS).where(t.invocations.c.idempotency_key == key)
            ).first()
        return _invocation(row) if row else None

    def get(self, inv_id: str) -> Invocation:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(*_INVOCATION_FIELDS).where(t.invocations.c.id == inv_id)
            ).first()
        if row is None:
            raise NotFound(inv_id)
        return _invocation(row)

    def events(self, inv_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.events)
                .where(t.events.c.invocation_id == inv_id)
                .order_by(t.events.c.id)
            ).all()
        return [
            Event(invocation_id=r.invocation_id, at=r.at, state=State(r.state), message=r.message)
            for r in rows
        ]

    def list(
        self,
        *,
        family: str | None = None,
        job_name: str | None = None,
        states: Sequence[State] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        queue: str | None = None,
        retry_of: str | None = None,
    ) -> builtins.list[Invocation]:
        """Newest first."""
        c = t.invocations.c
        query = sa.select(*_INVOCATION_FIELDS)
        for column, value in (
            (c.family, family), (c.job_name, job_name), (c.queue, queue), (c.retry_of, retry_of)
        ):  # fmt: skip
            if value is not None:
                query = query.where(column == value)
        if states:
            query = query.where(c.state.in_([s.value for s in states]))
        if since is not None:
            query = query.where(c.created_at >= since)
        if until is not None:
            query = query.where(c.created_at < until)
        query = query.order_by(c.created_at.desc(), c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_invocation(r) for r in conn.execute(query)]

    def count_by_state(self) -> dict[State, int]:
        c = t.invocations.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(c.state, sa.func.count()).group_by(c.state)).all()
        return {State(s): n for s, n in rows}

    def queued_by_queue(self) -> dict[str, int]:
        """How many invocations wait QUEUED on each queue (deferred ones included)."""
        c = t.invocations.c
        query = (
            sa.select(c.queue, sa.func.count())
            .where(c.state == State.QUEUED.value)
            .group_by(c.queue)
        )
        with self.engine.connect() as conn:
            return {str(q): int(n) for q, n in conn.execute(query).all()}

    def mark_running(self, launches: Iterable[Launch], now: datetime) -> set[str]:
        """STARTING -> RUNNING for each started process, in one transaction. Returns the ids
        that were no longer STARTING (ended meanwhile): their processes are not ours to run."""
        c = t.invocations.c
        stale, events = set(), []
        with self._write() as conn:
            for launch in launches:
                done = conn.execute(
                    t.invocations.update()
                    .where(c.id == launch.invocation_id, c.state == State.STARTING.value)
                    .values(
                        state=State.RUNNING.value,
                        started_at=now,
                        cluster_ref=launch.cluster_ref,
                        isolation=launch.isolation.value,
                    )
                ).rowcount
                if not done:
                    stale.add(launch.invocation_id)
                    continue
                events.append(
                    (
                        launch.invocation_id,
                        State.RUNNING,
                        f"started as pid {launch.pid} ({launch.cluster_ref}), "
                        f"held by {launch.isolation.value}",
                    )
                )
            self._events(conn, events, now)
        return stale

    def finish(
        self,
        inv_id: str,
        state: State,
        *,
        reason: str,
        now: datetime,
        exit_code: int | None = None,
        from_states: Iterable[State] = (State.STARTING, State.RUNNING),
    ) -> Invocation | None:
        """Move a live (or QUEUED, if named in from_states) invocation to a terminal state.
        Returns the new record, or None when it was no longer in one of from_states."""
        exit_ = Exit(invocation_id=inv_id, state=state, exit_code=exit_code, reason=reason)
        ended = self.finish_many([exit_], now, from_states=from_states)
        return ended[0] if ended else None

    def finish_many(
        self,
        exits: Iterable[Exit],
        now: datetime,
        *,
        from_states: Iterable[State] = (State.STARTING, State.RUNNING),
        retry: Callable[[Invocation], tuple[Invocation, str] | None] = lambda _: None,
    ) -> builtins.list[Invocation]:
        """Record many ends in one transaction; each is conditional on from_states. For each
        that ended, `retry` may return a new attempt (and its first event's message), which
        is queued in the same transaction: a retry is never lost between the two. Returns
        the records that did end (others had already ended some other way)."""
        c = t.invocations.c
        leaving = [s.value for s in from_states]
        ended = []
        with self._write(notify=True) as conn:
            for exit_ in sorted(exits, key=lambda e: e.invocation_id):  # lock order
                assert exit_.state.terminal
                row = conn.execute(
                    t.invocations.update()
                    .where(c.id == exit_.invocation_id, c.state.in_(leaving))
                    .values(
                        state=exit_.state.value,
                        ended_at=now,
                        reason=exit_.reason,
                        exit_code=exit_.exit_code,
                    )
                    .returning(*_INVOCATION_FIELDS)
                ).first()
                if row is not None:
                    ended.append(_invocation(row))
            self._events(conn, [(i.id, i.state, i.reason or "") for i in ended], now)
            for inv in ended:
                if (again := retry(inv)) is not None:
                    self._insert(conn, *again)
            self._release(conn, [i for i in ended if i.schedule_id is not None], now)
        return ended

    def _release(self, conn: Connection, ended: builtins.list[Invocation], now: datetime) -> None:
        """Invocations held until one of `ended` ended may start now."""
        if not ended:
            return
        c = t.invocations.c
        states = {i.id: i.state for i in ended}
        held = conn.execute(
            t.invocations.update()
            .where(c.waits_for.in_(list(states)), c.state == State.QUEUED.value)
            .values(next_try_at=now, reason=None)
            .returning(c.id, c.waits_for)
        ).all()
        self._events(
            conn,
            [
                (r.id, State.QUEUED, f"{r.waits_for} ended {states[r.waits_for].value}: may start")
                for r in held
            ],
            now,
        )

    def request_cancel(self, inv_id: str, now: datetime) -> Invocation:
        """Cancel a QUEUED invocation at once; flag a live one for its agent to kill."""
        if self.finish(
            inv_id,
            State.CANCELLED,
            reason="cancelled before it started",
            now=now,
            from_states=(State.QUEUED,),
        ):
            return self.get(inv_id)
        c = t.invocations.c
        with self._write(notify=True) as conn:
            done = conn.execute(
                t.invocations.update()
                .where(
                    c.id == inv_id,
                    c.state.in_([State.STARTING.value, State.RUNNING.value]),
                    c.cancel_requested == sa.false(),
                )
                .values(cancel_requested=True)
            ).rowcount
            if done:
                state = State(conn.execute(sa.select(c.state).where(c.id == inv_id)).scalar_one())
                self._event(conn, inv_id, now, state, "cancel requested")
        inv = self.get(inv_id)
        if inv.state.terminal and not done:
            raise Conflict(f"invocation {inv_id} already ended {inv.state.value}")
        return inv

    def live_on(self, agent_id: str) -> builtins.list[Invocation]:
        c = t.invocations.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*_INVOCATION_FIELDS).where(
                    c.agent_id == agent_id,
                    c.state.in_([State.STARTING.value, State.RUNNING.value]),
                )
            )
            return [_invocation(r) for r in rows]

    def expire_deadlines(self, now: datetime, limit: int = 1000) -> builtins.list[Invocation]:
        """QUEUED invocations past their start deadline end SKIPPED, with the reason."""
        c = t.invocations.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.id, c.deadline_at, c.reason)
                .where(c.state == State.QUEUED.value, c.deadline_at <= now)
                .limit(limit)
            ).all()
        exits = [
            Exit(
                invocation_id=r.id,
                state=State.SKIPPED,
                exit_code=None,
                reason=(
                    f"start deadline {r.deadline_at.isoformat(timespec='seconds')} passed "
                    f"before it could start" + (f" ({r.reason})" if r.reason else "")
                ),
            )
            for r in rows
        ]
        return self.finish_many(exits, now, from_states=(State.QUEUED,)) if exits else []

    def next_deadline(self) -> datetime | None:
        """The earliest start deadline of a QUEUED invocation, for a scheduler's sleep."""
        c = t.invocations.c
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.min(c.deadline_at)).where(c.state == State.QUEUED.value)
            ).scalar_one()

    def expire_agent(self, agent_id: str, reason: str, now: datetime) -> builtins.list[Invocation]:
        """The agent is gone: end its live invocations LOST (never to run again)."""
        lost = []
        for inv in self.live_on(agent_id):
            done = self.finish(inv.id, State.LOST, reason=reason, now=now)
            if done is not None:
                lost.append(done)
        self.stop_agent(agent_id, now)
        return lost
