"""Keeps one child process running: `iguazu up` runs its worker (dispatcher and local agent)
this way, so the API lives on if the worker dies, and the worker comes back at once, ending
what it was running as LOST."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(
        self, argv: Sequence[str], *, min_delay: float = 0.5, max_delay: float = 30.0
    ) -> None:
        self.argv = list(argv)
        self.min_delay, self.max_delay = min_delay, max_delay
        self.proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def _run(self) -> None:
        delay = self.min_delay
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                # A session of its own, so a terminal's Ctrl-C reaches only us and we stop it
                # in order; and it gets SIGTERM (and drains) if we die.
                self.proc = subprocess.Popen(
                    self.argv, start_new_session=True, preexec_fn=_term_with_parent
                )
            code = self.proc.wait()
            if self._stop.is_set():
                return
            # Back off when it dies at once again and again (a bad setting, say).
            log.error("worker exited with %s; restarting in %.1f s", code, delay)
            self._stop.wait(delay)
            delay = min(self.max_delay, delay * 2)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the child (it drains its running jobs), then SIGKILL after `timeout`."""
        with self._lock:
            self._stop.set()
            proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _term_with_parent() -> None:
    from .cluster.child import PR_SET_PDEATHSIG, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
