"""Wake-ups: new work reaches a waiting dispatcher in milliseconds instead of at its next poll.

On SQLite the API and dispatcher share one process (`iguazu up`), so a condition variable is
enough. On PostgreSQL every write that makes work sends `NOTIFY iguazu` inside its
transaction, and each listener holds its own connection with `LISTEN iguazu`.
"""

from __future__ import annotations

import threading
from typing import Protocol

CHANNEL = "iguazu"


class Listener(Protocol):
    def wait(self, timeout: float) -> bool:
        """Block until something changed since the last call, or `timeout` seconds pass.
        Returns True when woken by a change."""

    def close(self) -> None: ...


class LocalWakeup:
    """In-process wake-ups: every `notify` releases every listener once."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def listen(self) -> Listener:
        return _LocalListener(self)


class _LocalListener:
    def __init__(self, wakeup: LocalWakeup) -> None:
        self._wakeup = wakeup
        self._seen = wakeup._generation

    def wait(self, timeout: float) -> bool:
        cond = self._wakeup._cond
        with cond:
            woken = cond.wait_for(lambda: self._wakeup._generation != self._seen, timeout)
            self._seen = self._wakeup._generation
            return bool(woken)

    def close(self) -> None:
        pass


class PostgresListener:
    """A dedicated autocommit connection that LISTENs on the channel."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        woken = False
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            woken = True
        if woken:  # drain what else arrived, without waiting
            for _ in self._conn.notifies(timeout=0):
                pass
        return woken

    def close(self) -> None:
        self._conn.close()
