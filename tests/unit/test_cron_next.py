"""next_fire and fires: what each field form means, read in UTC (DST is test_cron_dst.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iguazu.cron import CronError, fires, matches, next_fire, parse


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def days(expr: str, after: datetime, n: int = 6) -> list[str]:
    return [f"{t:%Y-%m-%d %a}" for t in fires(parse(expr), after, "UTC", n)]


def test_strictly_after_in_whole_seconds_as_aware_utc() -> None:
    c = parse("* * * * * ?")
    assert next_fire(c, at(2024, 1, 1)) == at(2024, 1, 1, 0, 0, 1)
    assert next_fire(c, at(2024, 1, 1) + timedelta(microseconds=1)) == at(2024, 1, 1, 0, 0, 1)
    nf = next_fire(parse("0 0 * * *"), at(2024, 1, 1))
    assert nf == at(2024, 1, 2) and nf.tzinfo is UTC  # type: ignore[union-attr]


def test_after_in_another_zone_is_the_same_instant() -> None:
    after = datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))  # 23:00 UTC
    assert next_fire(parse("0 * * * *"), after) == at(2024, 1, 1, 0, 0)


def test_the_minute_by_minute_carry_across_hour_day_month_year() -> None:
    c = parse("59 23 31 12 *")
    assert next_fire(c, at(2024, 6, 1)) == at(2024, 12, 31, 23, 59)
    assert next_fire(c, at(2024, 12, 31, 23, 59)) == at(2025, 12, 31, 23, 59)
    assert fires(parse("*/20 * * * * ?"), at(2024, 12, 31, 23, 59, 30), n=3) == [
        at(2024, 12, 31, 23, 59, 40),
        at(2025, 1, 1, 0, 0, 0),
        at(2025, 1, 1, 0, 0, 20),
    ]


def test_both_day_fields_restricted_means_either_vixie() -> None:
    # Not "Friday the 13th": the 13th, and every Friday.
    assert days("0 0 13 * FRI", at(2024, 9, 1)) == [
        "2024-09-06 Fri", "2024-09-13 Fri", "2024-09-20 Fri", "2024-09-27 Fri",
        "2024-10-04 Fri", "2024-10-11 Fri",
    ]  # fmt: skip
    assert days("0 0 0 13 * FRI", at(2024, 10, 11))[:2] == ["2024-10-13 Sun", "2024-10-18 Fri"]


def test_a_day_field_starting_with_a_star_makes_both_required_vixie() -> None:
    # */2 starts with '*': odd days that are also Mondays.
    assert days("0 0 */2 * MON", at(2024, 1, 1), 3) == [
        "2024-01-15 Mon", "2024-01-29 Mon", "2024-02-05 Mon"]  # fmt: skip
    # 1/1 does not start with '*': every day of the month, or Saturdays = every day.
    assert days("0 0 0 1/1 * 7 *", at(2024, 1, 1), 3) == [
        "2024-01-02 Tue", "2024-01-03 Wed", "2024-01-04 Thu"]  # fmt: skip


def test_last_day_and_offsets() -> None:
    assert days("0 0 0 L * ?", at(2024, 1, 1), 3) == [
        "2024-01-31 Wed", "2024-02-29 Thu", "2024-03-31 Sun"]  # fmt: skip
    assert days("0 0 0 L-3 * ?", at(2023, 1, 31), 2) == ["2023-02-25 Sat", "2023-03-28 Tue"]
    assert days("0 0 0 L-30 * ?", at(2024, 1, 2), 2) == ["2024-03-01 Fri", "2024-05-01 Wed"]


def test_nearest_weekday_never_leaves_the_month() -> None:
    # 2022-10-01 is a Saturday: 1W is Monday the 3rd, not Friday 30 September.
    assert days("0 0 0 1W * ?", at(2022, 9, 15), 1) == ["2022-10-03 Mon"]
    # 2022-07-31 is a Sunday: 31W is Friday the 29th.
    assert days("0 0 0 31W * ?", at(2022, 7, 1), 1) == ["2022-07-29 Fri"]
    # 15th on a Saturday -> Friday 14th; on a Sunday -> Monday 16th.
    assert days("0 0 0 15W * ?", at(2023, 7, 1), 2) == ["2023-07-14 Fri", "2023-08-15 Tue"]
    assert days("0 0 0 15W * ?", at(2022, 5, 1), 1) == ["2022-05-16 Mon"]
    # A month without the day has no fire: 31W skips April (Quartz fires on 30 April when
    # 1 May is a Saturday, reading "31 April" as 1 May).
    assert days("0 0 0 31W 4,5 ?", at(2027, 1, 1), 1) == ["2027-05-31 Mon"]
    assert days("0 0 0 LW * ?", at(2024, 3, 1), 2) == ["2024-03-29 Fri", "2024-04-30 Tue"]


def test_nth_and_last_weekday_of_the_month() -> None:
    assert days("0 0 0 ? * 6#3", at(2024, 1, 1), 2) == ["2024-01-19 Fri", "2024-02-16 Fri"]
    # A fifth Monday exists in some months only.
    assert days("0 0 0 ? * MON#5", at(2024, 1, 1), 3) == [
        "2024-01-29 Mon", "2024-04-29 Mon", "2024-07-29 Mon"]  # fmt: skip
    assert days("0 0 0 ? * 6L", at(2024, 1, 1), 2) == ["2024-01-26 Fri", "2024-02-23 Fri"]
    assert days("0 0 * * 5L", at(2024, 1, 1), 1) == ["2024-01-26 Fri"]  # Unix: 5 = Friday
    assert days("0 0 0 ? 2 5#5", at(2024, 3, 1), 1) == ["2052-02-29 Thu"]


def test_leap_days_skip_2100() -> None:
    assert days("0 0 29 2 *", at(2096, 3, 1), 1) == ["2104-02-29 Fri"]


def test_wrapping_ranges() -> None:
    assert [f"{t:%H}" for t in fires(parse("0 0 22-2 * * ?"), at(2024, 1, 1, 3), n=5)] == [
        "22", "23", "00", "01", "02"]  # fmt: skip
    assert days("0 0 0 ? * FRI-MON", at(2024, 1, 1), 4) == [
        "2024-01-05 Fri", "2024-01-06 Sat", "2024-01-07 Sun", "2024-01-08 Mon"]  # fmt: skip


def test_years_end_the_schedule() -> None:
    c = parse("0 0 0 1 1 ? 2025,2027")
    assert fires(c, at(2024, 6, 1), n=5) == [at(2025, 1, 1), at(2027, 1, 1)]
    assert next_fire(c, at(2027, 1, 1)) is None
    assert next_fire(parse("0 0 0 * * ? 2099"), at(2099, 12, 31, 0, 0)) is None


def test_fires_is_a_preview_of_n() -> None:
    assert len(fires(parse("* * * * *"), at(2024, 1, 1), "UTC", 1000)) == 1000
    assert fires(parse("* * * * *"), at(2024, 1, 1), n=0) == []


def test_a_naive_after_and_an_unknown_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(parse("* * * * *"), datetime(2024, 1, 1))
    for zone in ("Mars/Olympus", "", "../../etc/passwd", "UTC\x00"):
        with pytest.raises(CronError, match="unknown time zone"):
            next_fire(parse("* * * * *"), at(2024, 1, 1), zone)


def test_matches_reads_a_wall_time() -> None:
    c = parse("30 9 * * MON-FRI")
    assert matches(c, datetime(2024, 1, 1, 9, 30))
    assert not matches(c, datetime(2024, 1, 6, 9, 30))  # Saturday
    assert not matches(c, datetime(2024, 1, 1, 9, 31))


# A brute-force reference for Unix expressions of plain values: the fields as sets, Vixie's
# day rule, and a scan minute by minute. Independent of the tables and jumps under test.

field_values = st.one_of(
    st.just("*"),
    st.integers(0, 59).map(str),
    st.tuples(st.integers(0, 59), st.integers(0, 59)).map(lambda p: f"{min(p)}-{max(p)}"),
    st.integers(2, 30).map(lambda s: f"*/{s}"),
    st.lists(st.integers(0, 59), min_size=1, max_size=4).map(lambda v: ",".join(map(str, v))),
)


def _clip(text: str, low: int, high: int) -> str:
    """Map a 0-59 field onto low..high, keeping its form."""

    def one(v: str) -> str:
        return str(low + int(v) % (high - low + 1))

    if text == "*" or text.startswith("*/"):
        step = int(text[2:]) if text.startswith("*/") else 1
        return "*" if step == 1 else f"*/{min(step, high)}"
    if "-" in text:
        a, b = sorted(int(one(v)) for v in text.split("-"))
        return f"{a}-{b}"
    return ",".join(one(v) for v in text.split(","))


def _set(text: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for item in text.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            a, b = low, high
        elif "-" in base:
            a, b = map(int, base.split("-"))
        else:
            a = b = int(base)
        out |= set(range(a, b + 1, int(step or 1)))
    return out


def _brute(expr: str, after: datetime, n: int) -> list[datetime]:
    m, h, dom, mon, dow = expr.split()
    ms, hs, doms, mons = _set(m, 0, 59), _set(h, 0, 23), _set(dom, 1, 31), _set(mon, 1, 12)
    dows = {d % 7 for d in _set(dow, 0, 7)}
    star = dom.startswith("*") or dow.startswith("*")
    out: list[datetime] = []
    day = datetime.combine(after.date(), datetime.min.time(), UTC)
    for _ in range(366 * 30):  # days; only matching days are scanned minute by minute
        by_month, by_week = day.day in doms, (day.weekday() + 1) % 7 in dows
        if day.month in mons and ((by_month and by_week) if star else (by_month or by_week)):
            for minute in range(24 * 60):
                t = day + timedelta(minutes=minute)
                if t > after and t.minute in ms and t.hour in hs:
                    out.append(t)
                    if len(out) == n:
                        return out
        day += timedelta(days=1)
    return out


@settings(max_examples=150, deadline=None)
@given(
    minute=field_values,
    hour=field_values,
    dom=field_values,
    month=field_values,
    dow=field_values,
    start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)),
)
def test_next_fire_equals_a_minute_by_minute_scan(
    minute: str, hour: str, dom: str, month: str, dow: str, start: datetime
) -> None:
    expr = " ".join(
        [_clip(minute, 0, 59), _clip(hour, 0, 23), _clip(dom, 1, 31), _clip(month, 1, 12),
         _clip(dow, 0, 6)]
    )  # fmt: skip
    try:
        cron = parse(expr)
    except CronError as e:
        assert "never fire" in e.problem
        return
    after = start.replace(tzinfo=UTC)
    want = _brute(expr, after, 3)
    assert fires(cron, after, "UTC", len(want)) == want, expr


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_the_ends_of_time_give_none_not_an_overflow(zone: str) -> None:
    last = datetime.max.replace(tzinfo=UTC)
    assert next_fire(parse("* * * * * ?"), last, zone) is None
    assert next_fire(parse("0 0 29 2 *"), at(9999, 3, 1), zone) is None
    end = last.replace(microsecond=0)
    # Kiritimati's wall clock (UTC+14) is already in the year 10000 then: nothing to match.
    want = [] if zone == "Pacific/Kiritimati" else [end - timedelta(seconds=1), end]
    assert fires(parse("* * * * * ?"), end - timedelta(seconds=2), zone) == want
    first = next_fire(parse("0 0 * * *"), datetime.min.replace(tzinfo=UTC), zone)
    assert first is not None and first.year == 1
