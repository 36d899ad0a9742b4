"""The daylight-saving contract (iguazu.cron.nextfire), zone by zone, and against a brute-force
reading of the same three rules.

* a fixed wall time that spring-forward skips fires once, at the first valid instant after
  the gap;
* a fixed wall time that fall-back repeats fires once, at its first occurrence;
* a wildcard hour (`*`, `*/n`) fires at every real instant: nothing in the gap, both passes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iguazu.cron import fires, matches, next_fire, parse
from iguazu.cron.zones import _changes


def local(expr: str, zone: str, start: str, n: int) -> list[str]:
    """The next n fires after a local wall time `start`, shown on the zone's wall clock."""
    z = ZoneInfo(zone)
    after = datetime.fromisoformat(start).replace(tzinfo=z)
    return [f"{t.astimezone(z):%m-%d %H:%M %Z}" for t in fires(parse(expr), after, zone, n)]


LA = "America/Los_Angeles"  # 2024: 03-10 02:00 PST -> 03:00 PDT; 11-03 02:00 PDT -> 01:00 PST


def test_la_a_skipped_fixed_time_fires_once_at_the_end_of_the_gap() -> None:
    assert local("30 2 * * *", LA, "2024-03-09 00:00", 3) == [
        "03-09 02:30 PST", "03-10 03:00 PDT", "03-11 02:30 PDT"]  # fmt: skip


def test_la_several_skipped_times_still_fire_once() -> None:
    assert local("*/15 2 * * *", LA, "2024-03-10 00:00", 2) == [
        "03-10 03:00 PDT",
        "03-11 02:00 PDT",
    ]
    # 02:00 (skipped) and 03:00 (real) land on the same instant: one fire.
    assert local("0 2,3 * * *", LA, "2024-03-10 00:00", 3) == [
        "03-10 03:00 PDT", "03-11 02:00 PDT", "03-11 03:00 PDT"]  # fmt: skip


def test_la_the_gap_fire_is_not_repeated_by_asking_again_from_it() -> None:
    c = parse("30 2 * * *")
    gap = next_fire(c, datetime(2024, 3, 10, 8, tzinfo=UTC), LA)
    assert gap == datetime(2024, 3, 10, 10, tzinfo=UTC)
    assert next_fire(c, gap, LA) == datetime(2024, 3, 11, 9, 30, tzinfo=UTC)
    # Asked from just before the change, the gap fire is still due.
    assert next_fire(c, gap - timedelta(microseconds=1), LA) == gap


def test_la_a_wildcard_hour_fires_real_instants_only_in_spring() -> None:
    assert local("0 * * * *", LA, "2024-03-10 00:30", 3) == [
        "03-10 01:00 PST", "03-10 03:00 PDT", "03-10 04:00 PDT"]  # fmt: skip


def test_la_a_repeated_fixed_time_fires_once_at_its_first_occurrence() -> None:
    assert local("30 1 * * *", LA, "2024-11-02 12:00", 2) == ["11-03 01:30 PDT", "11-04 01:30 PST"]
    assert local("*/20 1 * * *", LA, "2024-11-03 00:00", 4) == [
        "11-03 01:00 PDT", "11-03 01:20 PDT", "11-03 01:40 PDT", "11-04 01:00 PST"]  # fmt: skip


def test_la_started_in_the_second_pass_a_fixed_time_waits_for_tomorrow() -> None:
    after = datetime(2024, 11, 3, 9, 10, tzinfo=UTC)  # 01:10 PST, the second pass
    assert next_fire(parse("30 1 * * *"), after, LA) == datetime(2024, 11, 4, 9, 30, tzinfo=UTC)


def test_la_a_wildcard_hour_fires_in_both_passes() -> None:
    assert local("*/30 * * * *", LA, "2024-11-03 00:45", 5) == [
        "11-03 01:00 PDT", "11-03 01:30 PDT", "11-03 01:00 PST", "11-03 01:30 PST",
        "11-03 02:00 PST"]  # fmt: skip
    # Started in the first pass after :30, the second pass still fires 01:00 and 01:30.
    after = datetime(2024, 11, 3, 8, 40, tzinfo=UTC)  # 01:40 PDT
    got = fires(parse("*/30 * * * *"), after, LA, 2)
    assert [f"{t.astimezone(ZoneInfo(LA)):%H:%M %Z}" for t in got] == ["01:00 PST", "01:30 PST"]


def test_a_last_fire_in_the_second_pass_is_not_lost() -> None:
    z = "America/Santiago"  # 2024-04-06 24:00 -03 -> 23:00 -04: 23:00-24:00 is lived twice
    assert local("0 30 * 6 4 ? 2024", z, "2024-04-06 23:45", 3) == ["04-06 23:30 -04"]
    assert local("0 30 23 6 4 ? 2024", z, "2024-04-06 23:45", 3) == []


def test_quartz_syntax_follows_the_same_contract() -> None:
    assert local("0 30 2 ? * SUN", LA, "2024-03-09 00:00", 1) == ["03-10 03:00 PDT"]
    assert local("15 30 1 ? * SUN", LA, "2024-11-02 00:00", 1) == ["11-03 01:30 PDT"]


def test_london() -> None:  # 03-31 01:00 GMT -> 02:00 BST; 10-27 02:00 BST -> 01:00 GMT
    z = "Europe/London"
    assert local("30 1 * * *", z, "2024-03-30 12:00", 2) == ["03-31 02:00 BST", "04-01 01:30 BST"]
    assert local("30 1 * * *", z, "2024-10-26 12:00", 2) == ["10-27 01:30 BST", "10-28 01:30 GMT"]
    assert local("15 * * * *", z, "2024-10-27 00:30", 3) == [
        "10-27 01:15 BST", "10-27 01:15 GMT", "10-27 02:15 GMT"]  # fmt: skip


def test_berlin() -> None:  # 03-31 02:00 CET -> 03:00 CEST; 10-27 03:00 CEST -> 02:00 CET
    z = "Europe/Berlin"
    assert local("30 2 * * *", z, "2024-03-30 12:00", 2) == ["03-31 03:00 CEST", "04-01 02:30 CEST"]
    assert local("30 2 * * *", z, "2024-10-26 12:00", 2) == ["10-27 02:30 CEST", "10-28 02:30 CET"]
    assert local("0,30 * * * *", z, "2024-10-27 01:45", 5) == [
        "10-27 02:00 CEST", "10-27 02:30 CEST", "10-27 02:00 CET", "10-27 02:30 CET",
        "10-27 03:00 CET"]  # fmt: skip


def test_sydney_southern_hemisphere() -> None:  # 04-07 03:00 -> 02:00; 10-06 02:00 -> 03:00
    z = "Australia/Sydney"
    assert local("30 2 * * *", z, "2024-04-06 12:00", 2) == ["04-07 02:30 AEDT", "04-08 02:30 AEST"]
    assert local("30 2 * * *", z, "2024-10-05 12:00", 2) == ["10-06 03:00 AEDT", "10-07 02:30 AEDT"]
    assert local("0 */2 * * *", z, "2024-04-07 01:30", 3) == [
        "04-07 02:00 AEDT", "04-07 02:00 AEST", "04-07 04:00 AEST"]  # fmt: skip


def test_kolkata_has_no_dst_every_fire_is_24_hours_apart() -> None:
    times = fires(parse("30 2 * * *"), datetime(2024, 1, 1, tzinfo=UTC), "Asia/Kolkata", 366)
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {timedelta(days=1)}
    assert times[0] == datetime(2024, 1, 1, 21, 0, tzinfo=UTC)  # 02:30 IST = 21:00 UTC


def test_lord_howe_half_hour_changes() -> None:  # 04-07 02:00 -> 01:30; 10-06 02:00 -> 02:30
    z = "Australia/Lord_Howe"
    assert local("15 2 * * *", z, "2024-10-05 12:00", 2) == ["10-06 02:30 +11", "10-07 02:15 +11"]
    assert local("45 1 * * *", z, "2024-04-06 12:00", 2) == ["04-07 01:45 +11", "04-08 01:45 +1030"]
    assert local("*/15 * * * *", z, "2024-04-07 01:20", 5) == [
        "04-07 01:30 +11", "04-07 01:45 +11", "04-07 01:30 +1030", "04-07 01:45 +1030",
        "04-07 02:00 +1030"]  # fmt: skip


def test_santiago_changes_at_midnight() -> None:  # 04-07 00:00 -> 04-06 23:00; 09-08 00:00 -> 01:00
    z = "America/Santiago"
    assert local("30 0 * * *", z, "2024-09-07 12:00", 2) == ["09-08 01:00 -03", "09-09 00:30 -03"]
    assert local("0 0 * * *", z, "2024-09-07 12:00", 2) == ["09-08 01:00 -03", "09-09 00:00 -03"]
    assert local("30 23 * * *", z, "2024-04-06 12:00", 2) == ["04-06 23:30 -03", "04-07 23:30 -04"]
    # A daily job on the day the midnight is skipped still fires once that day.
    assert local("0 0 8 9 *", z, "2024-01-01 00:00", 1) == ["09-08 01:00 -03"]


# The rules read literally, minute by minute: an independent check of the segment walk.

ZONES = ["America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe",
         "America/Santiago", "Asia/Kolkata", "Europe/London"]  # fmt: skip


def _reference(expr: str, zone: str, lo: datetime, hi: datetime) -> list[datetime]:
    cron, z = parse(expr), ZoneInfo(zone)
    out: set[datetime] = set()
    if not cron.fixed_time:
        t = lo.replace(second=0, microsecond=0)
        while t <= hi:
            if t > lo and matches(cron, t.astimezone(z)):
                out.add(t)
            t += timedelta(minutes=1)
        return sorted(out)
    wall = (lo.astimezone(z) - timedelta(hours=6)).replace(tzinfo=None, second=0, microsecond=0)
    end = hi.astimezone(z).replace(tzinfo=None) + timedelta(hours=6)
    while wall <= end:
        if matches(cron, wall):
            first = wall.replace(tzinfo=z, fold=0)
            if first.astimezone(UTC).astimezone(z).replace(tzinfo=None) != wall:  # skipped
                real = wall
                while (
                    real.replace(tzinfo=z).astimezone(UTC).astimezone(z).replace(tzinfo=None)
                    != real
                ):
                    real += timedelta(minutes=1)
                first = real.replace(tzinfo=z)
            t = first.astimezone(UTC)
            if lo < t <= hi:
                out.add(t)
        wall += timedelta(minutes=1)
    return sorted(out)


minute = st.sampled_from(["0", "30", "15,45", "*/20", "*", "5-10", "59"])
hour = st.sampled_from(["*", "*/2", "*/3", "0", "1", "2", "3", "23", "1,2", "0-3", "22-23", "1-2"])


@settings(max_examples=80, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    year=st.integers(2016, 2030),
    which=st.integers(0, 1),
    minute=minute,
    hour=hour,
    only_that_day=st.booleans(),
    start=st.integers(-5 * 3600, 0),
)
def test_fires_around_every_kind_of_change_follow_the_rules_read_literally(
    zone: str, year: int, which: int, minute: str, hour: str, only_that_day: bool, start: int
) -> None:
    changes = _changes(ZoneInfo(zone), year)
    at = datetime(year, 3, 1, tzinfo=UTC)
    if changes:
        at = datetime.fromtimestamp(changes[which % len(changes)][0], UTC)
    lo, hi = at + timedelta(seconds=start), at + timedelta(hours=5)
    expr = f"{minute} {hour} * * *"
    if only_that_day:  # the schedule's last fires fall around the change
        day = (at - timedelta(hours=1)).astimezone(ZoneInfo(zone))
        expr = f"0 {minute} {hour} {day.day} {day.month} ? {day.year}"
    got = [t for t in fires(parse(expr), lo, zone, 2000) if t <= hi]
    assert got == _reference(expr, zone, lo, hi), expr


@pytest.mark.parametrize("zone", ZONES)
def test_a_fixed_daily_time_fires_exactly_once_every_local_day_of_a_year(zone: str) -> None:
    z = ZoneInfo(zone)
    for expr in ("0 0 * * *", "30 1 * * *", "30 2 * * *", "0 3 * * *", "45 23 * * *"):
        after = datetime(2024, 1, 1, tzinfo=z) - timedelta(seconds=1)
        got = fires(parse(expr), after, zone, 366)
        dates = [t.astimezone(z).date() for t in got]
        assert len(set(dates)) == 366 and dates[0].isoformat() == "2024-01-01", (zone, expr)


@pytest.mark.parametrize("expr", ["0 */20 * {d} {m} ? {y}", "0 30 23 {d} {m} ? {y}", "0 0 * * * ?"])
def test_santiagos_midnight_fall_back_from_every_start_follows_the_rules(expr: str) -> None:
    """Santiago lives 23:00-24:00 twice: a schedule that ends that day has its last fires in
    the second pass, which a start inside the first pass must still find."""
    zone = ZoneInfo("America/Santiago")
    for year in (2022, 2023, 2024):
        at = next(datetime.fromtimestamp(t, UTC) for t, b, a in _changes(zone, year) if a < b)
        day = (at - timedelta(hours=1)).astimezone(zone)
        e = expr.format(d=day.day, m=day.month, y=day.year)
        hi = at + timedelta(hours=3)
        for minutes in range(-150, 1, 10):
            lo = at + timedelta(minutes=minutes)
            got = [t for t in fires(parse(e), lo, zone, 50) if t <= hi]
            assert got == _reference(e, "America/Santiago", lo, hi), (e, lo)
