"""Cron: one parsed expression, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass, field

from iguazu.errors import CronError

from .fields import (
    DAY_OF_MONTH,
    HOUR,
    MINUTE,
    MONTH,
    MONTH_FULL_NAMES,
    SECOND,
    YEAR,
    DayOfMonth,
    DayOfWeek,
    Dialect,
    Field,
    Kind,
)
from .tables import Tables, build

# The Gregorian calendar repeats every 400 years (146,097 days, exactly 20,871 weeks), so the
# days that an expression without years matches in any 400 consecutive years are the days it
# will ever match: if none of them does, it never fires. 29 February needs a leap year, the
# fifth Thursday of February a leap year starting on a Thursday (up to 40 years apart); 400
# covers them all. With a year field, its (at most 130) years are searched instead.
CALENDAR_CYCLE_YEARS = 400


@dataclass(frozen=True, kw_only=True)
class Cron:
    """A cron expression: the text as written, its dialect, and what each field allows.

    Build it with `parse()`. Constructing it directly validates it just the same: values out of
    range, an empty field, or days that never occur (`0 0 0 30 2 ?`) raise CronError.
    """

    expression: str
    dialect: Dialect
    second: Field  # Unix expressions fire at second 0
    minute: Field
    hour: Field
    day_of_month: DayOfMonth
    month: Field
    day_of_week: DayOfWeek
    year: Field | None = None  # None: every year
    tables: Tables = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        checks: list[tuple[Kind, Field | None]] = [
            (SECOND, self.second),
            (MINUTE, self.minute),
            (HOUR, self.hour),
            (MONTH, self.month),
            (YEAR, self.year),
        ]
        for kind, fld in checks:
            if fld is not None:
                self._check(kind, fld.values)
        dom, dow = self.day_of_month, self.day_of_week
        if dom.days:
            self._check(DAY_OF_MONTH, dom.days)
        if not dom.days | dom.last | dom.nearest_weekday | dom.last_weekday:
            raise CronError(self.expression, "day-of-month allows no value")
        if not all(0 <= off <= 30 for off in dom.last | dom.last_weekday):
            raise CronError(self.expression, "day-of-month: offsets from L are 0-30")
        if not all(1 <= d <= 31 for d in dom.nearest_weekday):
            raise CronError(self.expression, "day-of-month: W follows a day 1-31")
        weekdays = dow.days | dow.last | {d for d, _ in dow.nth}
        if not weekdays or not weekdays <= set(range(7)):
            raise CronError(self.expression, "day-of-week values are 0 (Sunday) to 6")
        if not all(1 <= n <= 5 for _, n in dow.nth):
            raise CronError(self.expression, "day-of-week: '#' counts 1-5")
        tables = build(
            seconds=self.second.values,
            minutes=self.minute.values,
            hours=self.hour.values,
            dom=self.day_of_month,
            months=self.month.values,
            dow=self.day_of_week,
            years=None if self.year is None else self.year.values,
        )
        object.__setattr__(self, "tables", tables)
        if not self._has_a_day():
            raise CronError(self.expression, self._never_fires())

    @property
    def fixed_time(self) -> bool:
        """True when the hour field is not a wildcard: then a daylight-saving change moves a
        fire rather than adding or dropping one (see nextfire)."""
        return not self.hour.star

    def _check(self, kind: Kind, values: frozenset[int]) -> None:
        if not values:
            raise CronError(self.expression, f"{kind.name} allows no value")
        for v in (min(values), max(values)):
            if not kind.low <= v <= kind.high:
                raise CronError(
                    self.expression, f"{kind.name} {v} is out of range {kind.low}-{kind.high}"
                )

    def _has_a_day(self) -> bool:
        t = self.tables
        years = t.years if t.years is not None else range(2000, 2000 + CALENDAR_CYCLE_YEARS)
        months = sorted(self.month.values)
        return any(t.day_mask(y, m) for y in years for m in months)

    def _never_fires(self) -> str:
        dom, dow = self.day_of_month, self.day_of_week
        shown = [
            f"{name} '{f.text}'"
            for name, f in (("day-of-month", dom), ("day-of-week", dow))
            if f.text not in ("*", "?")
        ]
        days = (" and " if dom.star or dow.star else " or ").join(shown)
        months = ", ".join(MONTH_FULL_NAMES[m - 1] for m in sorted(self.month.values))
        where = f"in {months}" if len(self.month.values) < 12 else "in any month"
        if self.year is not None:
            where += f" of year '{self.year.text}'"
        return f"it can never fire: no date {where} matches {days}"
