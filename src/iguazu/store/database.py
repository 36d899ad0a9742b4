"""The connection side of the store: engines, transactions, wake-ups, migrations."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..models import State
from . import tables as t
from .wakeup import SCHEDULES, WORK, Listener, PostgresListener, SocketWakeup

QUIET = "iguazu_quiet"  # conn.info key: this write changed nothing, wake nobody


class Database:
    """One database (SQLite file or PostgreSQL), its wake-ups, and write transactions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.dialect = sa.engine.make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url, echo)
            self._wakeups: dict[str, SocketWakeup] | None = {
                WORK: SocketWakeup(_wake_dir(url)),
                SCHEDULES: SocketWakeup(_wake_dir(url, "-s")),
            }
            self._writers: contextlib.AbstractContextManager[object] = threading.Lock()
        elif self.dialect == "postgresql":
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            self.engine = sa.create_engine(url, echo=echo, pool_size=10, max_overflow=20)
            self._wakeups = None
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
        for wakeup in (self._wakeups or {}).values():
            wakeup.close()

    def listen(self, channel: str = WORK) -> Listener:
        """A listener woken by every change on `channel`: WORK (what a dispatcher may have
        to do) or SCHEDULES (schedules changed)."""
        if self._wakeups is not None:
            return self._wakeups[channel].listen()
        url = self.engine.url.set(drivername="postgresql")
        return PostgresListener(url.render_as_string(hide_password=False), channel)

    @contextlib.contextmanager
    def _write(self, notify: bool = False, channel: str = WORK) -> Iterator[Connection]:
        """A write transaction. With `notify`, the channel's listeners are woken after it
        commits, unless the block found nothing to change and said so: conn.info[QUIET]."""
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps
        # (1, 2, 5, 10 ms...) before it tries again: threads of one process queue on a lock
        # of ours instead, which hands over at once.
        with self._writers, self.engine.connect() as conn:
            conn.execution_options(iguazu_write=True)
            with conn.begin():
                yield conn
                notify = notify and not conn.info.pop(QUIET, False)
                if notify and self.dialect == "postgresql":
                    conn.exec_driver_sql(f"NOTIFY {channel}")
        if notify and self._wakeups is not None:
            self._wakeups[channel].notify()

    def notify(self, channel: str = WORK) -> None:
        with self._write(notify=True, channel=channel):
            pass

    @staticmethod
    def _event(conn: Connection, inv_id: str, at: datetime, state: State, message: str) -> None:
        Database._events(conn, [(inv_id, state, message)], at)

    @staticmethod
    def _events(conn: Connection, events: Iterable[tuple[str, State, str]], at: datetime) -> None:
        rows = [
            {"invocation_id": i, "at": at, "state": s.value, "message": m} for i, s, m in events
        ]
        if rows:
            conn.execute(t.events.insert(), rows)


def _wake_dir(url: str, suffix: str = "") -> Path:
    """Where the wake-up sockets of a SQLite database live: beside its file. Kept short, as
    a Unix socket path may not pass 107 bytes."""
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:":
        raise ValueError("in-memory SQLite is not shared between connections: use a file")
    digest = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"iguazu-wake-{digest}{suffix}"


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
