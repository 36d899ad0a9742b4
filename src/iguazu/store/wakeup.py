"""Wake-ups: new work reaches a waiting dispatcher in milliseconds instead of at its next poll.

On SQLite every process that writes work sends a datagram to each listener's Unix socket in
a directory named after the database file (API and dispatcher may be separate processes on
one machine). On PostgreSQL every write that makes work sends `NOTIFY iguazu` inside its
transaction, and each listener holds its own connection with `LISTEN iguazu`. Changes to
schedules go to their own channel (directory), so that a busy batch does not wake schedulers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

WORK = "iguazu"  # invocations to run, exits, cancels: dispatchers listen
SCHEDULES = "iguazu_schedules"  # schedules created, paused, resumed, deleted: schedulers listen


log = logging.getLogger(__name__)


class Listener(Protocol):
    def wait(self, timeout: float) -> bool:
        """Block until something changed since the last call, or `timeout` seconds pass.
        Returns True when woken by a change."""

    def close(self) -> None: ...


def relay(
    open_listener: Callable[[], Listener], poke: threading.Event, stop: threading.Event
) -> None:
    """Set `poke` at every wake-up until `stop` is set (a dispatcher's or a scheduler's
    listening thread). A listener that fails (a dropped LISTEN connection) is reopened; one
    that cannot be opened is tried again a second later."""
    while not stop.is_set():
        try:
            listener = open_listener()
        except Exception:
            log.exception("cannot listen for wake-ups; trying again in 1 s")
            stop.wait(1.0)
            continue
        try:
            while not stop.is_set():
                if listener.wait(1.0):
                    poke.set()
        except Exception:
            log.exception("wake-up listener failed; reopening it")
        finally:
            listener.close()


class SocketWakeup:
    """Wake-ups for SQLite, across processes on one machine: each listener binds a Unix
    datagram socket in a directory named after the database file, and `notify` sends one byte to
    every socket there (dropping those whose listener is gone)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)

    def notify(self) -> None:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return
        for name in names:
            path = str(self.directory / name)
            try:
                self._sender.sendto(b"!", path)
            except BlockingIOError:
                pass  # its queue is full: it has wake-ups pending already
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # its listener died without closing
            except OSError:
                pass  # the path is too long or not a socket: nothing to wake there

    def listen(self) -> Listener:
        return _SocketListener(self.directory)

    def close(self) -> None:
        self._sender.close()


class _SocketListener:
    def __init__(self, directory: Path) -> None:
        self._path = str(directory / f"{os.getpid()}-{secrets.token_hex(4)}")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self._path)

    def wait(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        if not ready:
            return False
        self._sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while self._sock.recv(64):  # drain: one pass serves them all
                pass
        self._sock.setblocking(True)
        return True

    def close(self) -> None:
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)


class PostgresListener:
    """A dedicated autocommit connection that LISTENs on one channel (WORK or SCHEDULES)."""

    def __init__(self, conninfo: str, channel: str = WORK) -> None:
        import psycopg

        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(f"LISTEN {channel}")

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
