"""The fields of a cron expression: what each allows, and the parsed value of each.

Values are stored normalised, whatever the dialect: days of the week count 0 = Sunday ..
6 = Saturday (Unix writes 0 or 7 for Sunday, Quartz 1), months 1-12, days of the month 1-31.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Dialect(enum.StrEnum):
    UNIX = "unix"  # min hour dom month dow; 0 and 7 are Sunday; @daily and friends
    QUARTZ = "quartz"  # sec min hour dom month dow [year]; 1 is Sunday; ? L W #


MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MONTH_FULL_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAY_FULL_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@dataclass(frozen=True, kw_only=True)
class Kind:
    """What one position of an expression accepts, as written in that dialect."""

    name: str  # as error messages say it: "day-of-month"
    low: int
    high: int
    max_step: int  # Quartz refuses larger increments ("Increment > 60"); so do we
    names: Mapping[str, int] = field(default_factory=dict)
    noun: str = "number"  # what a name in this field is: "'FOO' is not a day name"


SECOND = Kind(name="second", low=0, high=59, max_step=59)
MINUTE = Kind(name="minute", low=0, high=59, max_step=59)
HOUR = Kind(name="hour", low=0, high=23, max_step=23)
DAY_OF_MONTH = Kind(name="day-of-month", low=1, high=31, max_step=31)
MONTH = Kind(
    name="month",
    low=1,
    high=12,
    max_step=12,
    names={n: i + 1 for i, n in enumerate(MONTH_NAMES)},
    noun="month name",
)
DAY_OF_WEEK_UNIX = Kind(
    name="day-of-week",
    low=0,
    high=7,
    max_step=7,
    names={n: i for i, n in enumerate(DAY_NAMES)},
    noun="day name",
)
DAY_OF_WEEK_QUARTZ = Kind(
    name="day-of-week",
    low=1,
    high=7,
    max_step=7,
    names={n: i + 1 for i, n in enumerate(DAY_NAMES)},
    noun="day name",
)
# Quartz itself accepts up to this year + 100; a fixed bound keeps parsing independent of the clock.
YEAR = Kind(name="year", low=1970, high=2099, max_step=129)

ALL_DAYS = frozenset(range(1, 32))
ALL_WEEKDAYS = frozenset(range(7))


def unrestricted(text: str) -> bool:
    """Vixie cron's rule: a day field that starts with `*` (or Quartz's `?`) restricts nothing,
    so the other day field alone decides; otherwise a day matches if either field matches."""
    return text.startswith(("*", "?"))


@dataclass(frozen=True, kw_only=True)
class Field:
    """Second, minute, hour, month or year: the set of values it allows."""

    text: str
    values: frozenset[int]

    @property
    def star(self) -> bool:
        return self.text.startswith("*")


@dataclass(frozen=True, kw_only=True)
class DayOfMonth:
    text: str
    days: frozenset[int] = frozenset()  # plain days 1-31
    last: frozenset[int] = frozenset()  # offsets back from the last day: L = 0, L-3 = 3
    nearest_weekday: frozenset[int] = frozenset()  # 15W: the weekday nearest the 15th
    last_weekday: frozenset[int] = frozenset()  # LW = 0; L-3W: weekday nearest L-3

    @property
    def star(self) -> bool:
        return unrestricted(self.text)


@dataclass(frozen=True, kw_only=True)
class DayOfWeek:
    text: str
    days: frozenset[int] = frozenset()  # 0 = Sunday .. 6 = Saturday
    nth: frozenset[tuple[int, int]] = frozenset()  # (weekday, n): Quartz 6#3 = (5, 3)
    last: frozenset[int] = frozenset()  # weekdays whose last one in the month: Quartz 6L = 5

    @property
    def star(self) -> bool:
        return unrestricted(self.text)
