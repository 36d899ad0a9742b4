"""The scheduler: due schedules -> invocations.

Each pass it ends QUEUED invocations past their start deadline as SKIPPED, then fires what is
due, a batch of schedules per transaction (store.fire_due): for each schedule the catch-up
rules (firing.plan) say which fires run and which are SKIPPED, and the overlap policy decides
about the invocation still live from before:

* `forbid`  the fire is SKIPPED, naming the live invocation; several fires caught up in one
            pass run one after another (each waits for the one before);
* `allow`   it runs beside it;
* `replace` the live one is cancelled and the new one waits until it has ended.

Every fire becomes one invocation row with the unique key (schedule_id, fire_time), whether it
runs or not, so replicas never fire twice and a skip is never silent. Between passes it sleeps
until the earliest next fire (the first entry of an index) or start deadline, or until a
change wakes it; it never scans all schedules.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from .batch import Batch, new_invocation
from .cron import Cron, next_fire, parse
from .errors import InvalidRequest
from .firing import Fire, Plan, Policy, plan
from .models import Invocation, Overlap, Schedule, State, new_id, utcnow
from .store import Store, wakeup
from .store.schedules import Firing, ScheduleMoved
from .store.wakeup import SCHEDULES

log = logging.getLogger(__name__)

REPLICA_BACKOFF = 0.05  # seconds; see run()


class Scheduler:
    def __init__(
        self,
        *,
        store: Store,
        batch: Batch,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 200,
        max_sleep: float = 60.0,
        poke: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.batch = batch  # resolves jobs, queues and parameters as the API does
        self.clock = clock
        self.batch_size = batch_size
        self.max_sleep = max_sleep  # seconds; a safety net, the index says when to wake
        self.poke = poke or threading.Event()
        self.passes = 0  # passes completed: a wake-up costs one

    # -- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        listener = threading.Thread(target=self._listen, args=(stop,), daemon=True)
        listener.start()
        while not stop.is_set():
            self.poke.clear()
            try:
                fired = self.step()
                self.passes += 1
                wait = self.sleep_for()
                if not fired and wait == 0:  # due, but a replica holds it (SKIP LOCKED)
                    wait = REPLICA_BACKOFF
                self.poke.wait(wait)
            except Exception:  # a database restart, say: log it, keep serving
                log.exception("scheduler pass failed; trying again in 1 s")
                stop.wait(1.0)

    def _listen(self, stop: threading.Event) -> None:
        wakeup.relay(lambda: self.store.listen(SCHEDULES), self.poke, stop)

    def sleep_for(self) -> float:
        """Seconds until the earliest next fire or start deadline (at most max_sleep)."""
        now = self.clock()
        wait = self.max_sleep
        for due in (self.store.next_fire_due(), self.store.next_deadline()):
            if due is not None:
                wait = min(wait, (due - now).total_seconds())
        return max(0.0, wait)

    def step(self) -> int:
        """One pass; returns how many schedules fired."""
        now = self.clock()
        self.store.expire_deadlines(now)
        fired = 0
        while True:
            try:
                n = self.store.fire_due(now, self._decide, self._failed, limit=self.batch_size)
            except ScheduleMoved as exc:  # a replica fired it first; read again
                log.info("schedule %s was fired by another scheduler; reading again", exc)
                continue
            fired += n
            if n < self.batch_size:
                return fired

    # -- one schedule -----------------------------------------------------------------------

    def _decide(self, s: Schedule, live: list[Invocation]) -> Firing:
        assert s.next_fire_at is not None
        now = self.clock()
        try:
            cron = _parse(s.cron)
        except InvalidRequest as exc:  # saved by another version that read it differently
            log.error("schedule %s: %s; it will not fire", s.id, exc)
            return Firing(next_fire_at=None, last_fire_at=s.last_fire_at)
        policy = Policy(
            misfire=s.misfire, grace=s.misfire_grace, window=s.catchup_window, limit=s.catchup_limit
        )
        p = plan(cron, s.timezone, s.next_fire_at, now, policy)
        firing = Firing(next_fire_at=p.next_fire_at, last_fire_at=p.fires[-1].at)
        try:
            spec, queue, parameters = self.batch.resolve(
                s.family, s.job_name, s.queue, s.parameters, placeable=False
            )
        except InvalidRequest as exc:  # the job was removed or changed since it was saved
            for fire in p.fires:
                state = State.FAILED if fire.run else State.SKIPPED
                reason = f"could not start: {exc.message}" if fire.run else fire.reason
                firing.new.append(_record(s, fire.at, state, reason, now))
            return firing
        runs = [f for f in p.fires if f.run]
        if s.overlap is Overlap.REPLACE and runs:
            runs = self._replace(s, p, runs, live, firing, now)
        before = live[-1] if live and s.overlap is not Overlap.ALLOW else None
        for fire in p.fires:
            deadline = fire.at + timedelta(seconds=s.start_deadline) if s.start_deadline else None
            inv = new_invocation(
                spec,
                queue,
                parameters,
                now,
                schedule_id=s.id,
                fire_time=fire.at,
                deadline_at=deadline,
            )
            if fire not in runs:
                firing.new.append(_ended(inv, State.SKIPPED, fire.reason, now))
            elif s.overlap is Overlap.FORBID and before is not None and before in live:
                why = (
                    f"the previous invocation {before.id} is still {before.state.value} "
                    "(overlap forbid)"
                )
                firing.new.append(_ended(inv, State.SKIPPED, why, now))
            else:
                if before is not None:
                    inv = inv.replace(waits_for=before.id)
                firing.new.append((inv, _fired(s, fire, inv.waits_for)))
                if s.overlap is not Overlap.ALLOW:
                    before = inv
        return firing

    def _failed(self, s: Schedule, exc: Exception) -> Firing:
        """Deciding raised (a bug, or a zone this host lacks): record it as one FAILED
        invocation of the schedule, and go on from its next fire after now."""
        now = self.clock()
        try:
            following = next_fire(_parse(s.cron), now, s.timezone)
        except Exception:
            following = None  # it cannot be computed here either: the schedule stops
        due = s.next_fire_at.isoformat() if s.next_fire_at else "?"
        reason = f"the scheduler could not fire it from {due} to {now.isoformat()}: {exc!r}"
        if following is None:
            reason += "; it will not fire again until it is saved again"
        inv, message = _record(s, None, State.FAILED, reason, now)
        return Firing(next_fire_at=following, last_fire_at=s.last_fire_at, new=[(inv, message)])

    def _replace(
        self,
        s: Schedule,
        p: Plan,
        runs: list[Fire],
        live: list[Invocation],
        firing: Firing,
        now: datetime,
    ) -> list[Fire]:
        """Overlap `replace`: only the newest fire of this pass runs; the others and every
        live invocation give way to it."""
        newest = runs[-1]
        at = newest.at.isoformat().replace("+00:00", "Z")
        for inv in live:
            firing.cancel.append((inv, f"replaced by the fire at {at} (overlap replace)"))
        superseded = runs[:-1]
        for i, fire in enumerate(p.fires):
            if fire in superseded:
                p.fires[i] = Fire(
                    at=fire.at,
                    run=False,
                    reason=f"superseded by the fire at {at} (overlap replace)",
                )
        started = [i for i in live if i.state.live]
        del live[:]
        live.extend(started[-1:])  # the new one waits for it to be killed
        return [newest]


@functools.lru_cache(maxsize=4096)
def _parse(expression: str) -> Cron:
    return parse(expression)


def _fired(s: Schedule, fire: Fire, waits_for: str | None) -> str:
    at = fire.at.isoformat().replace("+00:00", "Z")
    parts = [f"fired by schedule {s.id} ({s.cron!r}, {s.timezone}) for {at}"]
    if fire.reason:
        parts.append(fire.reason)
    if waits_for:
        parts.append(f"waits for {waits_for} to end")
    return "; ".join(parts)


def _ended(inv: Invocation, state: State, reason: str, now: datetime) -> tuple[Invocation, str]:
    return inv.replace(state=state, ended_at=now, reason=reason), reason


def _record(
    s: Schedule, at: datetime | None, state: State, reason: str, now: datetime
) -> tuple[Invocation, str]:
    """A fire of a schedule whose job cannot be resolved: recorded, never run."""
    inv = Invocation(
        id=new_id(),
        family=s.family,
        job_name=s.job_name,
        queue=s.queue,
        priority=0,
        parameters=s.parameters,
        state=state,
        reserved_cpu=0,
        reserved_memory=0,
        timeout=None,
        command="",
        created_at=now,
        ended_at=now,
        reason=reason,
        schedule_id=s.id,
        fire_time=at,
    )
    return inv, reason
