"""Which fires of a due schedule run, and which are recorded SKIPPED: pure, so the catch-up
rules can be tested without a database or a clock.

A fire is *on time* when the scheduler reaches it within the schedule's grace (its time is at
or after now - grace); older fires were missed (the scheduler was down, or behind), and the
misfire policy decides:

* `skip`   none of them runs;
* `latest` the latest missed fire runs once, unless an on-time fire supersedes it;
* `all`    the missed fires within the catch-up window run, at most `catchup_limit` (the
           most recent ones).

Every fire that does not run is accounted for: the most recent `MAX_LISTED` one by one, the
older ones together in one summary (a day of a per-second schedule is 86,400 fires; nobody
wants them as rows). Nothing is silently dropped.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cron import Cron, iter_fires, next_fire
from .models import Misfire

MAX_LISTED = 100  # missed fires recorded one by one; older ones share one summary row
COUNT_CAP = 100_000  # missed fires counted one by one; past it the count is "more than"
TICK = timedelta(microseconds=1)


@dataclass(frozen=True, kw_only=True)
class Fire:
    at: datetime  # the fire time (whole seconds, UTC)
    run: bool
    reason: str  # why it was skipped, or a note on a late run; "" for an on-time run


@dataclass(frozen=True, kw_only=True)
class Plan:
    fires: list[Fire]  # oldest first
    next_fire_at: datetime | None  # the first fire after `now`; None: it never fires again


@dataclass(frozen=True, kw_only=True)
class Policy:
    misfire: Misfire
    grace: float  # seconds
    window: float  # seconds (Misfire.ALL)
    limit: int  # (Misfire.ALL)


def between(cron: Cron, tz: str, lo: datetime, hi: datetime) -> Iterator[datetime]:
    """Fire times t with lo <= t <= hi."""
    return itertools.takewhile(lambda t: t <= hi, iter_fires(cron, lo - TICK, tz))


def tail(cron: Cron, tz: str, lo: datetime, hi: datetime, k: int) -> list[datetime]:
    """The last `k` fire times in (lo, hi], looking back from hi over growing spans so that
    a dense schedule is not walked from lo."""
    span = timedelta(minutes=1)
    while True:
        start = max(lo + timedelta(seconds=1), hi - span)
        found = list(between(cron, tz, start, hi))
        if len(found) >= k or start <= lo + timedelta(seconds=1):
            return found[-k:]
        span *= 8


def plan(cron: Cron, tz: str, first: datetime, now: datetime, policy: Policy) -> Plan:
    """Decide every fire from `first` (the schedule's first unhandled fire) up to `now`."""
    cutoff = now - timedelta(seconds=policy.grace)
    # Enough of the latest missed fires to list, to run, and one more: the newest of those
    # summarised, which the summary names.
    keep = MAX_LISTED + (policy.limit if policy.misfire is Misfire.ALL else 1) + 1
    recent: collections.deque[datetime] = collections.deque(maxlen=keep)
    count = 0
    for t in between(cron, tz, first, cutoff - TICK):
        recent.append(t)
        count += 1
        if count >= COUNT_CAP:
            break
    counted_all = count < COUNT_CAP
    if not counted_all:  # a dense schedule after a long outage: take the end from the cutoff
        end = tail(cron, tz, recent[-1], cutoff - TICK, keep)
        count += len(end)
        recent.extend(end)
    on_time = list(between(cron, tz, max(first, cutoff), now))
    runs = _runs(list(recent), on_time, now, policy)
    fires = []
    missed = [t for t in recent if t not in runs]
    unlisted = count - len(runs) - min(len(missed), MAX_LISTED)
    if unlisted > 0:
        # The oldest missed fire stands for itself and every other one not listed.
        how_many = f"{unlisted:,}" if counted_all else f"more than {unlisted:,}"
        fires.append(
            Fire(
                at=first,
                run=False,
                reason=(
                    f"{how_many} fires from {_at(first)} to {_at(missed[-MAX_LISTED - 1])} "
                    "were missed "
                    f"(recorded as this one row): {_why_not(policy)}"
                ),
            )
        )
    for t in missed[-MAX_LISTED:]:
        fires.append(Fire(at=t, run=False, reason=_skip_reason(t, now, policy, runs, on_time)))
    for t in sorted(runs):
        late = _ago(now - t)
        fires.append(Fire(at=t, run=True, reason=f"missed by {late}; caught up ({policy.misfire})"))
    fires += [Fire(at=t, run=True, reason="") for t in on_time]
    fires.sort(key=lambda f: f.at)
    if unlisted > 0 and fires[0].at != first:  # `first` was listed too: it cannot be both
        raise AssertionError("summary row collides with a listed fire")
    return Plan(fires=fires, next_fire_at=next_fire(cron, now, tz))


def _runs(
    missed: list[datetime], on_time: list[datetime], now: datetime, policy: Policy
) -> set[datetime]:
    if not missed or policy.misfire is Misfire.SKIP:
        return set()
    if policy.misfire is Misfire.LATEST:
        return set() if on_time else {missed[-1]}
    window_start = now - timedelta(seconds=policy.window)
    return set([t for t in missed if t >= window_start][-policy.limit :])


def _skip_reason(
    t: datetime, now: datetime, policy: Policy, runs: set[datetime], on_time: list[datetime]
) -> str:
    missed = f"missed by {_ago(now - t)}, past the {_ago(timedelta(seconds=policy.grace))} grace"
    if policy.misfire is Misfire.LATEST and on_time:
        return f"{missed}: the on-time fire at {_at(on_time[0])} runs instead (misfire latest)"
    if policy.misfire is Misfire.ALL:
        if t < now - timedelta(seconds=policy.window):
            window = _ago(timedelta(seconds=policy.window))
            return f"{missed}, and older than the catch-up window of {window} (misfire all)"
        return f"{missed}: only the latest {policy.limit} missed fires run (catchup_limit)"
    return f"{missed}: {_why_not(policy)}"


def _why_not(policy: Policy) -> str:
    if policy.misfire is Misfire.SKIP:
        return "not run (misfire skip)"
    if policy.misfire is Misfire.LATEST:
        return "only the latest missed fire runs (misfire latest)"
    return f"only missed fires in the catch-up window, at most {policy.limit}, run (misfire all)"


def _at(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _ago(d: timedelta) -> str:
    seconds = d.total_seconds()
    if seconds < 120:
        return f"{seconds:.3g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
