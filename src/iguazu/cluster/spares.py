"""Spare job processes, and the agent's background thread that keeps them.

A spare is a child the zygote forked before any job asked for it, already in a cgroup of its
own and waiting on a pipe for one plan (child.become_spare). Joining a cgroup v1 is what
makes a cold start slow (an RCU grace period, ~8 ms here); a spare has paid for it between
starts. A start takes the oldest spare, sets the job's limits on its cgroup and writes the
plan into its pipe: no fork, no round trip to the zygote. Right after, the thread asks for
the next spare. When none is ready (a burst), the caller starts the job the ordinary way.

At most one job per spare: `take()` hands a spare out once, the plan pipe is closed after one
plan, and the spare itself reads one plan and never comes back to reading.

The same thread empties and resets the cgroups that exits give back (cgroup_pool.py), first:
killing what a finished job left running is more urgent than a spare.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import cgroups
from .cgroup_pool import CgroupPool
from .child import EXIT_SETUP_FAILED
from .zygote_client import Zygote, ZygoteError

logger = logging.getLogger(__name__)

RETRY_AFTER = 1.0  # seconds without a new spare after one could not be made
PIPE_CAPACITY = 1 << 16  # a plan up to this size fits an empty pipe whole


@dataclass(eq=False, kw_only=True)
class Spare:
    id: str
    cgroup: cgroups.Cgroup | None  # None without cgroup isolation
    plan_pipe: int = -1  # the write end; ours alone
    pid: int | None = None  # once the zygote said it forked
    generation: int = 0  # of the zygote that forks it: a spare of a dead zygote is dead too


class Spares:
    def __init__(
        self, *, count: int, zygote: Callable[[], Zygote], pool: CgroupPool | None
    ) -> None:
        """`zygote()` returns the live zygote (starting a new one if it died); raises
        ZygoteError. hand_over() raises ZygoteError for a spare whose zygote died."""
        self._count = count
        self._zygote = zygote
        self._pool = pool
        self._cond = threading.Condition()
        self._asked: dict[str, Spare] = {}  # requested, not yet forked
        self._ready: dict[str, Spare] = {}  # in the order they were forked
        self._handed: dict[str, str] = {}  # spare id -> the invocation it runs
        self._ids = itertools.count(1)
        self._generation = 0  # bumped each time the zygote dies
        self._retry_at = 0.0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="iguazu-spares", daemon=True)

    def start(self) -> None:
        """Start the thread. Not in the constructor: the zygote's answers about the first
        spare come through whoever holds this object, and they must find it held."""
        self._thread.start()

    def take(self) -> Spare | None:
        """The oldest ready spare (the most likely to be done joining its cgroup), never
        handed out again; None when there is none. The taker owns its cgroup and must
        hand_over() or drop() it, then poke() (asking for the next spare before the job is
        on its way would put that fork ahead of it)."""
        with self._cond:
            if not self._ready:
                return None
            return self._ready.pop(next(iter(self._ready)))

    def hand_over(self, spare: Spare, invocation_id: str, plan: bytes) -> bool:
        """Write `plan` (one JSON line) into the spare's pipe. True once it is all there:
        the spare runs it, and its exit is the job's. False when the spare is gone (EPIPE)
        or the plan does not fit the pipe: then nothing runs in it."""
        # Under the lock: the spare's exit (ended(), reader thread) must find the outcome of
        # the write, not the attempt, to tell a job's end from a dead spare's.
        with self._cond:
            if spare.generation != self._generation:
                # Its zygote died after we took it: nobody would report what it ran.
                os.close(spare.plan_pipe)
                raise ZygoteError("the zygote died while the job was handed to its spare")
            written = 0
            try:
                if len(plan) <= PIPE_CAPACITY:  # else a partial write: a plan cut short
                    written = os.write(spare.plan_pipe, plan)
            except OSError:
                pass
            os.close(spare.plan_pipe)  # EOF after one plan, or before a whole one: it exits
            if written != len(plan):
                return False
            self._handed[spare.id] = invocation_id
            return True

    def drop(self, spare: Spare) -> None:
        """Let a taken spare go: it exits having run nothing."""
        os.close(spare.plan_pipe)

    def pids(self) -> list[int]:
        """Pids of the spares ready now (tests and diagnostics)."""
        with self._cond:
            return [s.pid for s in self._ready.values() if s.pid is not None]

    def poke(self) -> None:
        """Something to do: a spare was taken, a cgroup was given back."""
        with self._cond:
            self._cond.notify()

    def forked(self, spare_id: str, pid: int | None) -> None:
        """Zygote reader thread: the spare exists (pid), or could not be forked (None)."""
        with self._cond:
            spare = self._asked.pop(spare_id, None)
            if spare is None:
                return
            if pid is None:
                self._discard(spare, retry_later=True)
                return
            spare.pid = pid
            self._ready[spare_id] = spare

    def ended(self, spare_id: str, status: int) -> str | None:
        """Zygote reader thread: a spare was reaped. The invocation it ran, if it ran one;
        None for a spare that ran nothing (its cgroup is the taker's if it was taken)."""
        with self._cond:
            invocation_id = self._handed.pop(spare_id, None)
            if invocation_id is not None:
                return invocation_id
            spare = self._asked.pop(spare_id, None) or self._ready.pop(spare_id, None)
            if spare is not None:  # killed while it waited, or it could not set itself up
                failed = os.waitstatus_to_exitcode(status) == EXIT_SETUP_FAILED
                self._discard(spare, retry_later=failed)
            return None

    def forget(self) -> None:
        """The zygote died, and its spares and their jobs with it. Call it before anything
        else learns of the death, so no spare taken before it is handed a job after it."""
        with self._cond:
            self._generation += 1
            for spare in [*self._asked.values(), *self._ready.values()]:
                self._discard(spare, retry_later=False)
            self._asked.clear()
            self._ready.clear()
            self._handed.clear()

    def close(self) -> None:
        """Stop the thread. The spares themselves end with the zygote."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _discard(self, spare: Spare, *, retry_later: bool) -> None:
        """Under the lock: an untaken spare is gone; so is its pipe; its cgroup goes back."""
        os.close(spare.plan_pipe)
        if self._pool is not None and spare.cgroup is not None:
            self._pool.give_back(spare.cgroup)
        if retry_later:
            logger.warning("a spare job process could not be made; next try in %g s", RETRY_AFTER)
            self._retry_at = time.monotonic() + RETRY_AFTER
        self._cond.notify()

    def _short(self) -> bool:
        return len(self._asked) + len(self._ready) < self._count

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if self._pool is not None and self._pool.returned:
                        break
                    wait = self._retry_at - time.monotonic()
                    if self._short() and wait <= 0:
                        break
                    self._cond.wait(wait if self._short() else None)
                if self._closed:
                    return
                make = self._short() and time.monotonic() >= self._retry_at
            if self._pool is not None:
                self._pool.clean()
            if make:
                self._make_one()

    def _make_one(self) -> None:
        with self._cond:
            generation = self._generation
        spare = Spare(id=f"s{next(self._ids)}", cgroup=None, generation=generation)
        try:
            if self._pool is not None:
                spare.cgroup = self._pool.take()
            procs = spare.cgroup.procs_files if spare.cgroup is not None else ()
            zygote = self._zygote()
            with self._cond:  # the answer may come before make_spare returns
                self._asked[spare.id] = spare
                spare.plan_pipe = zygote.make_spare(spare.id, procs)
        except (OSError, ZygoteError) as exc:
            logger.warning("cannot make a spare job process: %s", exc)
            with self._cond:
                self._asked.pop(spare.id, None)
                self._retry_at = time.monotonic() + RETRY_AFTER
            if self._pool is not None and spare.cgroup is not None:
                self._pool.give_back(spare.cgroup)
