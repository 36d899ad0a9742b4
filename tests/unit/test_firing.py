"""Catch-up rules (iguazu.firing.plan): which fires of a due schedule run and which are
recorded SKIPPED, and that every fire is accounted for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iguazu.cron import parse
from iguazu.firing import MAX_LISTED, Policy, between, plan
from iguazu.models import Misfire

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVERY_MINUTE = parse("* * * * *")


def policy(misfire: Misfire = Misfire.LATEST, **kw: float) -> Policy:
    values = {"grace": 60.0, "window": 86400.0, "limit": 10} | kw
    return Policy(
        misfire=misfire, grace=values["grace"], window=values["window"], limit=int(values["limit"])
    )


@pytest.mark.parametrize("misfire", list(Misfire))
def test_an_on_time_fire_runs_whatever_the_misfire_policy(misfire: Misfire) -> None:
    p = plan(EVERY_MINUTE, "UTC", T0, T0 + timedelta(seconds=0.2), policy(misfire))
    assert [(f.at, f.run, f.reason) for f in p.fires] == [(T0, True, "")]
    assert p.next_fire_at == T0 + timedelta(minutes=1)


def test_a_fire_later_than_the_grace_is_a_misfire_and_one_within_it_is_not() -> None:
    within = plan(EVERY_MINUTE, "UTC", T0, T0 + timedelta(seconds=59), policy(Misfire.SKIP))
    assert [f.run for f in within.fires] == [True]
    past = plan(EVERY_MINUTE, "UTC", T0, T0 + timedelta(seconds=61), policy(Misfire.SKIP))
    assert [(f.at, f.run) for f in past.fires] == [(T0, False), (T0 + timedelta(minutes=1), True)]
    assert "missed by 61 s, past the 60 s grace" in past.fires[0].reason
    assert "misfire skip" in past.fires[0].reason


def test_skip_records_every_missed_fire_and_runs_the_on_time_one() -> None:
    now = T0 + timedelta(minutes=10, seconds=5)  # fires 12:00..12:10; 12:10 is on time
    p = plan(EVERY_MINUTE, "UTC", T0, now, policy(Misfire.SKIP))
    assert [f.at for f in p.fires] == [T0 + timedelta(minutes=m) for m in range(11)]
    assert [f.run for f in p.fires] == [False] * 10 + [True]
    assert p.next_fire_at == T0 + timedelta(minutes=11)


def test_latest_runs_only_the_latest_missed_fire() -> None:
    now = T0 + timedelta(minutes=10, seconds=30) + timedelta(hours=1)  # nothing on time
    daily = parse("0 12 * * *")
    p = plan(daily, "UTC", T0 - timedelta(days=3), now, policy(Misfire.LATEST))
    assert [(f.at, f.run) for f in p.fires] == [
        (T0 - timedelta(days=3), False),
        (T0 - timedelta(days=2), False),
        (T0 - timedelta(days=1), False),
        (T0, True),
    ]
    assert "caught up" in p.fires[-1].reason
    assert "only the latest missed fire runs" in p.fires[0].reason


def test_latest_gives_way_to_an_on_time_fire() -> None:
    now = T0 + timedelta(minutes=3, seconds=1)
    p = plan(EVERY_MINUTE, "UTC", T0, now, policy(Misfire.LATEST))
    assert [f.run for f in p.fires] == [False, False, False, True]
    assert "on-time fire at 2026-03-01T12:03:00Z runs instead" in p.fires[0].reason


def test_all_runs_the_missed_fires_within_the_window_up_to_the_limit() -> None:
    now = T0 + timedelta(minutes=30, seconds=30)  # 30 missed fires (12:00..12:29), 12:30 on time
    p = plan(EVERY_MINUTE, "UTC", T0, now, policy(Misfire.ALL, window=600, limit=5))
    runs = [f.at for f in p.fires if f.run]
    assert runs == [T0 + timedelta(minutes=m) for m in (25, 26, 27, 28, 29, 30)]
    by_time = {f.at: f for f in p.fires}
    assert "older than the catch-up window of 10 min" in by_time[T0].reason
    assert "only the latest 5 missed fires run" in by_time[T0 + timedelta(minutes=24)].reason
    assert len(p.fires) == 31


def test_past_the_listing_cap_older_misses_share_one_summary_row() -> None:
    every_second = parse("* * * * * ?")
    now = T0 + timedelta(hours=1, seconds=0.5)
    p = plan(every_second, "UTC", T0, now, policy(Misfire.SKIP, grace=10))
    skipped = [f for f in p.fires if not f.run]
    ran = [f for f in p.fires if f.run]
    assert len(ran) == 10  # 12:59:51 to 13:00:00 are within the 10 s grace
    assert len(skipped) == MAX_LISTED + 1
    summary = skipped[0]
    assert summary.at == T0
    listed = MAX_LISTED
    expected_missed = 3600 - 9  # 12:00:00 to 12:59:50
    assert f"{expected_missed - listed:,} fires from 2026-03-01T12:00:00Z" in summary.reason
    # every fire is either run, listed, or inside the summary's range; none twice
    times = [f.at for f in p.fires]
    assert len(times) == len(set(times))
    first_listed = skipped[1].at
    assert first_listed - timedelta(seconds=1) == T0 + timedelta(
        seconds=expected_missed - listed - 1
    )


def test_a_dense_schedule_after_a_long_outage_is_planned_quickly_and_completely() -> None:
    every_second = parse("* * * * * ?")
    now = T0 + timedelta(days=3, seconds=0.5)  # 259,200 fires: past the counting cap
    p = plan(every_second, "UTC", T0, now, policy(Misfire.ALL, grace=5, window=30, limit=3))
    ran = [f.at for f in p.fires if f.run]
    # 3 missed (11:59:53-55) caught up, then 5 on time within the 5 s grace (11:59:56-12:00)
    noon = now.replace(microsecond=0)
    assert ran == [noon - timedelta(seconds=s) for s in range(7, -1, -1)]
    assert "more than" in p.fires[0].reason
    assert p.next_fire_at == now.replace(microsecond=0) + timedelta(seconds=1)


def test_the_plan_covers_exactly_the_fires_of_the_expression_across_dst() -> None:
    """Spring forward in Los Angeles, catching up a day of a 30-minute schedule."""
    cron = parse("0,30 * * * *")
    start = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 2026-03-07 23:00 PST
    now = start + timedelta(hours=8, seconds=1)
    p = plan(cron, "America/Los_Angeles", start, now, policy(Misfire.ALL, limit=1000))
    expected = list(between(cron, "America/Los_Angeles", start, now))
    assert [f.at for f in p.fires] == expected
    assert all(f.run for f in p.fires)
