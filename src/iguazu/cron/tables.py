"""A parsed expression compiled into lookup tables, so that finding the next fire time jumps
field by field instead of scanning: for each time field, the next allowed value at or after
each value; for the days, one bitmask per shape of month (its length and the weekday of its
1st), since which days of a month match depends on nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .fields import DayOfMonth, DayOfWeek

DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return DAYS_IN_MONTH[month]


def weekday_of_first(year: int, month: int) -> int:
    """0 = Sunday: date ordinal 1 (1 January of year 1) was a Monday."""
    return date(year, month, 1).toordinal() % 7


@dataclass(frozen=True, slots=True)
class Tables:
    next_second: tuple[int, ...]  # [v] = smallest allowed second >= v, or -1; v in 0..60
    next_minute: tuple[int, ...]
    next_hour: tuple[int, ...]  # v in 0..24
    next_month: tuple[int, ...]  # v in 0..13
    first_time: int  # second of the day of the first allowed time
    day_masks: tuple[tuple[int, ...], ...]  # [month length - 28][weekday of the 1st]
    years: tuple[int, ...] | None  # sorted; None: every year
    year_set: frozenset[int]

    def day_mask(self, year: int, month: int) -> int:
        return self.day_masks[days_in_month(year, month) - 28][weekday_of_first(year, month)]


def next_allowed(values: Iterable[int], high: int) -> tuple[int, ...]:
    allowed = set(values)
    table = [-1] * (high + 2)
    nxt = -1
    for v in range(high, -1, -1):
        if v in allowed:
            nxt = v
        table[v] = nxt
    return tuple(table)


def build(
    *,
    seconds: frozenset[int],
    minutes: frozenset[int],
    hours: frozenset[int],
    dom: DayOfMonth,
    months: frozenset[int],
    dow: DayOfWeek,
    years: frozenset[int] | None,
) -> Tables:
    return Tables(
        next_second=next_allowed(seconds, 59),
        next_minute=next_allowed(minutes, 59),
        next_hour=next_allowed(hours, 23),
        next_month=next_allowed(months, 12),
        first_time=min(hours) * 3600 + min(minutes) * 60 + min(seconds),
        day_masks=tuple(
            tuple(month_mask(dom, dow, length, first) for first in range(7))
            for length in range(28, 32)
        ),
        years=None if years is None else tuple(sorted(years)),
        year_set=frozenset() if years is None else years,
    )


def month_mask(dom: DayOfMonth, dow: DayOfWeek, length: int, first: int) -> int:
    """Bit d is set when day d of a month of `length` days whose 1st is weekday `first`
    (0 = Sunday) matches both day fields, combined as Vixie cron does."""
    valid = ((1 << length) - 1) << 1
    by_month = _dom_mask(dom, length, first) & valid
    by_week = _dow_mask(dow, length, first) & valid
    if dom.star or dow.star:
        return by_month & by_week
    return by_month | by_week


def nearest_weekday(day: int, length: int, first: int) -> int:
    """Quartz's W: the weekday nearest `day` without leaving the month (1W on a Saturday is
    Monday the 3rd; 31W on a Sunday is Friday the 29th)."""
    weekday = (first + day - 1) % 7
    if weekday == 6:
        return day - 1 if day > 1 else day + 2
    if weekday == 0:
        return day + 1 if day < length else day - 2
    return day


def _dom_mask(dom: DayOfMonth, length: int, first: int) -> int:
    mask = 0
    for day in dom.days:
        mask |= 1 << day
    for offset in dom.last:
        if length - offset >= 1:
            mask |= 1 << (length - offset)
    # A day the month lacks (31W in April) has no nearest weekday: no fire that month.
    for day in dom.nearest_weekday:
        if day <= length:
            mask |= 1 << nearest_weekday(day, length, first)
    for offset in dom.last_weekday:
        if length - offset >= 1:
            mask |= 1 << nearest_weekday(length - offset, length, first)
    return mask


def _dow_mask(dow: DayOfWeek, length: int, first: int) -> int:
    mask = 0
    for weekday in dow.days:
        for day in range(1 + (weekday - first) % 7, length + 1, 7):
            mask |= 1 << day
    for weekday, n in dow.nth:
        day = 1 + (weekday - first) % 7 + 7 * (n - 1)
        if day <= length:
            mask |= 1 << day
    for weekday in dow.last:
        day = 1 + (weekday - first) % 7
        mask |= 1 << (day + 7 * ((length - day) // 7))
    return mask
