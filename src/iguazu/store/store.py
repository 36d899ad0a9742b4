"""The store: the only state shared between processes.

Every state change is one conditional UPDATE that names the state it leaves, plus the event
that records it, in one transaction. Losing such an update (0 rows) means somebody else moved
the invocation first; callers treat it as "not mine" and never act on it.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import Conflict, NotFound
from ..models import Agent, Event, Exit, Invocation, Isolation, Launch, State
from . import tables as t
from .wakeup import CHANNEL, Listener, PostgresListener, SocketWakeup

_INVOCATION_FIELDS = [c for c in t.invocations.c if c.name != "next_try_at"]
_CLAIM_ORDER = (
    t.invocations.c.priority.desc(),
    t.invocations.c.created_at,
    t.invocations.c.id,
)


def _invocation(row: Any) -> Invocation:
    m = row._mapping
    values = {c.name: m[c.name] for c in _INVOCATION_FIELDS}
    values["state"] = State(values["state"])
    if values["isolation"] is not None:
        values["isolation"] = Isolation(values["isolation"])
    values["cancel_requested"] = bool(values["cancel_requested"])
    return Invocation(**values)


class Store:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.dialect = sa.engine.make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url, echo)
            self._wakeup: SocketWakeup | None = SocketWakeup(_wake_dir(url))
            self._writers: contextlib.AbstractContextManager[object] = threading.Lock()
        elif self.dialect == "postgresql":
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            self.engine = sa.create_engine(url, echo=echo, pool_size=10, max_overflow=20)
            self._wakeup = None
            self._writers = contextlib.nullcontext()  # row locks: writers run side by side
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")

    # -- plumbing ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        self.engine.dispose()

    def listen(self) -> Listener:
        """A listener woken by every change that may make work for a dispatcher."""
        if self._wakeup is not None:
            return self._wakeup.listen()
        return PostgresListener(
            self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        )

    @contextlib.contextmanager
    def _write(self, notify: bool = False) -> Iterator[Connection]:
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps
        # (1, 2, 5, 10 ms...) before it tries again: threads of one process queue on a lock
        # of ours instead, which hands over at once.
        with self._writers, self.engine.connect() as conn:
            conn.execution_options(iguazu_write=True)
            with conn.begin():
                yield conn
                if notify and self.dialect == "postgresql":
                    conn.exec_driver_sql(f"NOTIFY {CHANNEL}")
        if notify and self._wakeup is not None:
            self._wakeup.notify()

    def notify(self) -> None:
        with self._write(notify=True):
            pass

    @staticmethod
    def _event(conn: Connection, inv_id: str, at: datetime, state: State, message: str) -> None:
        Store._events(conn, [(inv_id, state, message)], at)

    @staticmethod
    def _events(conn: Connection, events: Iterable[tuple[str, State, str]], at: datetime) -> None:
        rows = [
            {"invocation_id": i, "at": at, "state": s.value, "message": m} for i, s, m in events
        ]
        if rows:
            conn.execute(t.events.insert(), rows)

    # -- invocations ------------------------------------------------------------------------

    def create(self, inv: Invocation, message: str) -> tuple[Invocation, bool]:
        """Insert a QUEUED invocation and its first event. With an idempotency key already
        used, insert nothing and return the first invocation. Returns (invocation, created)."""
        values = {c.name: getattr(inv, c.name) for c in _INVOCATION_FIELDS}
        values["state"] = inv.state.value
        values["isolation"] = None
        values["next_try_at"] = inv.not_before or inv.created_at
        try:
            with self._write(notify=True) as conn:
                conn.execute(t.invocations.insert().values(**values))
                self._event(conn, inv.id, inv.created_at, inv.state, message)
        except sa.exc.IntegrityError:
            if inv.idempotency_key is None:
                raise
            existing = self.by_key(inv.idempotency_key)  # a concurrent create won the key
            assert existing is not None
            return existing, False
        return inv, True

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
    ) -> builtins.list[Invocation]:
        """Newest first."""
        c = t.invocations.c
        query = sa.select(*_INVOCATION_FIELDS)
        if family is not None:
            query = query.where(c.family == family)
        if job_name is not None:
            query = query.where(c.job_name == job_name)
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

    def claim(
        self, agent_id: str, free_cpu: int, free_memory: int, now: datetime, *, limit: int = 64
    ) -> builtins.list[Invocation]:
        """The at-most-once fence: in ONE conditional UPDATE, move runnable QUEUED
        invocations to STARTING for this agent, in claim order (highest priority, then oldest),
        as many as fit the free capacity together, stopping at the first that does not fit.
        Exactly one caller can win a given invocation. Returns them in claim order; empty
        when the first in line does not fit (see `claim_one` for backfill)."""
        c = t.invocations.c
        head = (
            sa.select(c.id, c.reserved_cpu, c.reserved_memory, c.priority, c.created_at)
            .where(c.state == State.QUEUED.value, c.next_try_at <= now)
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
        self, agent_id: str, free_cpu: int, free_memory: int, now: datetime
    ) -> Invocation | None:
        """Backfill: claim the first runnable invocation that fits on its own, passing over
        those ahead of it that do not. One conditional UPDATE, like `claim`."""
        c = t.invocations.c
        pick = (
            sa.select(c.id)
            .where(
                c.state == State.QUEUED.value,
                c.next_try_at <= now,
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

    def waiting(self, now: datetime, limit: int) -> builtins.list[Invocation]:
        """Runnable QUEUED invocations, in claim order (those no claim took: they did not fit)."""
        c = t.invocations.c
        query = (
            sa.select(*_INVOCATION_FIELDS)
            .where(c.state == State.QUEUED.value, c.next_try_at <= now)
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

    def next_due(self) -> datetime | None:
        """When the earliest QUEUED invocation becomes runnable, for a dispatcher's sleep."""
        c = t.invocations.c
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.min(c.next_try_at)).where(c.state == State.QUEUED.value)
            ).scalar_one()

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
    ) -> builtins.list[Invocation]:
        """Record many ends in one transaction; each is conditional on from_states. Returns
        the records that did end (others had already ended some other way)."""
        c = t.invocations.c
        leaving = [s.value for s in from_states]
        ended = []
        with self._write(notify=True) as conn:
            for exit_ in exits:
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
        return ended

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
        if inv.state.terminal:
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

    # -- agents -----------------------------------------------------------------------------

    def register_agent(self, agent: Agent) -> None:
        with self._write(notify=True) as conn:
            conn.execute(
                t.agents.insert().values(
                    id=agent.id,
                    host=agent.host,
                    pid=agent.pid,
                    cpu=agent.cpu,
                    memory=agent.memory,
                    capabilities=list(agent.capabilities),
                    started_at=agent.started_at,
                    heartbeat_at=agent.heartbeat_at,
                )
            )

    def heartbeat(self, agent_id: str, now: datetime) -> bool:
        """Renew the agent's lease. False when a peer already declared it gone."""
        a = t.agents.c
        with self._write() as conn:
            return bool(
                conn.execute(
                    t.agents.update()
                    .where(a.id == agent_id, a.stopped_at.is_(None))
                    .values(heartbeat_at=now)
                ).rowcount
            )

    def stop_agent(self, agent_id: str, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(t.agents.update().where(t.agents.c.id == agent_id).values(stopped_at=now))

    def agents(self, *, alive_since: datetime | None = None) -> builtins.list[Agent]:
        """Agents not stopped (and, if given, heard from since `alive_since`), with what
        their live invocations reserve."""
        a, c = t.agents.c, t.invocations.c
        used = (
            sa.select(
                c.agent_id,
                sa.func.sum(c.reserved_cpu).label("cpu"),
                sa.func.sum(c.reserved_memory).label("memory"),
            )
            .where(c.state.in_([State.STARTING.value, State.RUNNING.value]))
            .group_by(c.agent_id)
            .subquery()
        )
        query = (
            sa.select(t.agents, used.c.cpu.label("used_cpu"), used.c.memory.label("used_memory"))
            .outerjoin(used, used.c.agent_id == a.id)
            .where(a.stopped_at.is_(None))
        )
        if alive_since is not None:
            query = query.where(a.heartbeat_at >= alive_since)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(a.started_at)).all()
        return [
            Agent(
                id=r.id,
                host=r.host,
                pid=r.pid,
                cpu=r.cpu,
                memory=r.memory,
                capabilities=tuple(r.capabilities),
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                used_cpu=int(r.used_cpu or 0),
                used_memory=int(r.used_memory or 0),
            )
            for r in rows
        ]

    def expire_agent(self, agent_id: str, reason: str, now: datetime) -> builtins.list[Invocation]:
        """The agent is gone: end its live invocations LOST (never to run again)."""
        lost = []
        for inv in self.live_on(agent_id):
            done = self.finish(inv.id, State.LOST, reason=reason, now=now)
            if done is not None:
                lost.append(done)
        self.stop_agent(agent_id, now)
        return lost


def _wake_dir(url: str) -> Path:
    """Where the wake-up sockets of a SQLite database live: beside its file. Kept short, as
    a Unix socket path may not pass 107 bytes."""
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:":
        return Path(tempfile.mkdtemp(prefix="iguazu-wake-"))
    digest = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"iguazu-wake-{digest}"


def _sqlite_engine(url: str, echo: bool) -> Engine:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=20,
    )

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        # Writers take the lock up front, so two writers never deadlock upgrading a read lock.
        immediate = conn.get_execution_options().get("iguazu_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
