"""Boxes made ahead of the runs that take them.

Making a box (its tmpfs, its cgroup, bwrap's namespaces and mounts, our init moved into the
cgroup) is most of a run's cost for a short program. A background thread keeps `count`
made and waiting, each a new box used once: a run takes one and only places its files,
sets its limits and says go. Runs that need a box of another shape (extra read-only paths)
make their own.

A spare waits at most MAX_AGE: its binds show the read-only paths as they were when it was
made (a directory replaced by rename since, /etc/ld.so.cache after ldconfig). A forked
child of ours forgets the spares: they are its parent's.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_AFTER = 1.0  # seconds, after a box could not be made
MAX_AGE = 30.0  # seconds a spare may wait

_POOLS: weakref.WeakSet[Spares[object]] = weakref.WeakSet()


class Spares(Generic[T]):
    """`count` boxes made by `make` in a thread of the pool's own, handed out by `take`;
    `discard` ends one unused (too old, or at `close`)."""

    def __init__(self, make: Callable[[], T], discard: Callable[[T], None], count: int) -> None:
        self._make, self._discard, self._count = make, discard, count
        self._ready: list[tuple[float, T]] = []  # (made at, box), oldest first
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._owner = os.getpid()
        self._thread = threading.Thread(target=self._fill, name="sandbox-spares", daemon=True)
        _POOLS.add(self)  # type: ignore[arg-type]
        if count > 0:
            self._wanted.set()
            self._thread.start()

    @property
    def ready(self) -> int:
        with self._lock:
            return len(self._ready)

    def take(self) -> T | None:
        """The oldest box made within MAX_AGE, or None (make one then)."""
        expired = []
        spare = None
        with self._lock:
            while self._ready and spare is None:
                made, box = self._ready.pop(0)
                if time.monotonic() - made <= MAX_AGE:
                    spare = box
                else:
                    expired.append(box)
        self._wanted.set()
        for box in expired:
            self._discard(box)
        return spare

    def close(self) -> None:
        """Stop making boxes and discard those waiting. The boxes it made die with its
        thread (--die-with-parent): the caller waits for the runs on them first."""
        with self._lock:
            waiting, self._ready = self._ready, []
        self._stop.set()
        self._wanted.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        if os.getpid() == self._owner:
            for _, box in waiting:
                self._discard(box)

    def _forget(self) -> None:
        """In a forked child: the boxes are the parent's, and no thread makes more."""
        self._ready = []
        self._lock = threading.Lock()
        self._stop.set()

    def _fill(self) -> None:
        # This thread starts every spare bwrap: their --die-with-parent is bound to it, so
        # it lives as long as the pool.
        while not self._stop.is_set():
            self._wanted.wait()
            self._wanted.clear()
            while not self._stop.is_set():
                with self._lock:
                    if len(self._ready) >= self._count:
                        break
                try:
                    box = self._make()
                except Exception:
                    logger.exception("sandbox: cannot make a spare box")
                    self._stop.wait(RETRY_AFTER)
                    continue
                with self._lock:
                    kept = not self._stop.is_set()
                    if kept:
                        self._ready.append((time.monotonic(), box))
                if not kept:
                    self._discard(box)


def _forget_all_in_child() -> None:
    for pool in list(_POOLS):
        pool._forget()


os.register_at_fork(after_in_child=_forget_all_in_child)
