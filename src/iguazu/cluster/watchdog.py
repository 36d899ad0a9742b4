"""One thread that fires every timeout, instead of a timer thread per invocation."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable


class Watchdog:
    """Calls `fire(key, seconds)` from its own thread once `seconds` have passed since
    `add(key, seconds)`, unless `discard(key)` came first."""

    def __init__(self, fire: Callable[[str, float], None]) -> None:
        self._fire = fire
        self._cond = threading.Condition()
        self._deadlines: dict[str, float] = {}
        self._heap: list[tuple[float, str, float]] = []  # (deadline, key, seconds); may be stale
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="iguazu-timeouts", daemon=True)
        self._thread.start()

    def add(self, key: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._cond:
            self._deadlines[key] = deadline
            # Only a deadline before all the others needs the thread awake (it sleeps until
            # the first one): a wake-up per start is GIL time taken from the dispatcher.
            if not self._heap or deadline < self._heap[0][0]:
                self._cond.notify()
            heapq.heappush(self._heap, (deadline, key, seconds))

    def discard(self, key: str) -> None:
        with self._cond:
            if self._deadlines.pop(key, None) is None:
                return
            # Stale entries stay in the heap until due; rebuild before they pile up (a
            # steady stream of short jobs with hour-long timeouts).
            if len(self._heap) > 64 and len(self._heap) > 2 * len(self._deadlines):
                self._heap = [e for e in self._heap if self._deadlines.get(e[1]) == e[0]]
                heapq.heapify(self._heap)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                due = self._next_due()
                if due is None:
                    return
            self._fire(*due)

    def _next_due(self) -> tuple[str, float] | None:
        """Wait (holding the condition) for the next live deadline; None once closed."""
        while not self._closed:
            now = time.monotonic()
            if self._heap and self._heap[0][0] <= now:
                deadline, key, seconds = heapq.heappop(self._heap)
                if self._deadlines.get(key) == deadline:
                    del self._deadlines[key]
                    return key, seconds
                continue
            self._cond.wait(self._heap[0][0] - now if self._heap else None)
        return None
