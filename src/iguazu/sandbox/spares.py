"""Boxes made ahead of the runs that take them.

Making a box (its tmpfs, its cgroup, bwrap's namespaces and mounts, our init moved into the
cgroup) is most of a run's cost for a short program. A background thread keeps `count`
made and waiting, each a new box used once: a run takes one and only places its files,
sets its limits and says go. Runs that need a box of another shape (extra read-only paths)
make their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_AFTER = 1.0  # seconds, after a box could not be made


class Spares(Generic[T]):
    def __init__(self, make: Callable[[], T], discard: Callable[[T], None], count: int) -> None:
        self._make, self._discard, self._count = make, discard, count
        self._ready: list[T] = []
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._fill, name="sandbox-spares", daemon=True)
        if count > 0:
            self._wanted.set()
            self._thread.start()

    @property
    def ready(self) -> int:
        with self._lock:
            return len(self._ready)

    def take(self) -> T | None:
        """A made box, or None when none is ready (make one then)."""
        with self._lock:
            spare = self._ready.pop() if self._ready else None
        self._wanted.set()
        return spare

    def close(self) -> None:
        """Stop making boxes and discard those waiting."""
        with self._lock:
            self._closed = True
            waiting, self._ready = self._ready, []
        self._wanted.set()
        if self._thread.is_alive():
            self._thread.join()
        for spare in waiting:
            self._discard(spare)

    def _fill(self) -> None:
        # This thread starts every spare bwrap: their --die-with-parent is bound to it, so
        # it lives as long as the pool.
        while True:
            self._wanted.wait()
            self._wanted.clear()
            while True:
                with self._lock:
                    if self._closed or len(self._ready) >= self._count:
                        break
                try:
                    spare = self._make()
                except Exception:
                    logger.exception("sandbox: cannot make a spare box")
                    self._wanted.wait(RETRY_AFTER)
                    continue
                with self._lock:
                    kept = not self._closed
                    if kept:
                        self._ready.append(spare)
                if not kept:
                    self._discard(spare)
            with self._lock:
                if self._closed:
                    return
