"""Text -> Cron. One parser, two dialects told apart by the number of fields:

* Unix, 5 fields: `min hour dom month dow`; 0 and 7 are Sunday; `@yearly @annually @monthly
  @weekly @daily @midnight @hourly`. Ranges do not wrap around (`5-1` is refused, as Vixie cron
  does).
* Quartz, 6 or 7 fields: `sec min hour dom month dow [year]`; 1 is Sunday; years 1970-2099.
  Ranges wrap around as in Quartz (`FRI-MON`, `22-2`, `NOV-FEB`).

Both accept `* , - /`, month and day names (any case), `?` in a day field, and the Quartz day
forms `L`, `L-3`, `LW`, `L-3W`, `15W` (day of month) and `6L`, `6#3`, `L` (= Saturday) (day of
week; Unix numbers them 0-7). Where Quartz silently ignores what it cannot read (`5X`, a step
after a name, `MONDAY`, a trailing comma, an eighth field), this parser refuses it: a schedule
saved must mean what it says.

When both day fields are restricted a day matches if either does (Vixie cron; Quartz refuses
such expressions): see fields.unrestricted.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from iguazu.errors import CronError

from .fields import (
    ALL_DAYS,
    ALL_WEEKDAYS,
    DAY_OF_MONTH,
    DAY_OF_WEEK_QUARTZ,
    DAY_OF_WEEK_UNIX,
    HOUR,
    MINUTE,
    MONTH,
    SECOND,
    YEAR,
    DayOfMonth,
    DayOfWeek,
    Dialect,
    Field,
    Kind,
)
from .model import Cron
from .nextfire import next_fire

MAX_LENGTH = 512  # the longest sensible expression lists every value of a few fields
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SEPARATOR = re.compile(r"[ \t]+")
_ALLOWED = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*,-/?#")
_LAST = re.compile(r"L(?:-([0-9]*))?(W?)")  # L, L-3, LW, L-3W


def parse(expression: str, *, now: datetime | None = None, tz: str | tzinfo = "UTC") -> Cron:
    """Parse a Unix (5 fields) or Quartz (6-7 fields) expression; raise CronError naming the
    field, the token and why. With `now` (what an API saving a schedule passes), also refuse an
    expression that never fires after it in zone `tz` (`... 2015`): loading a stored schedule
    omits it, and an expired schedule then simply has no next fire."""
    if not isinstance(expression, str):
        raise CronError(repr(expression), f"expected a string, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise CronError(
            expression, f"the expression is {len(expression)} characters long; at most {MAX_LENGTH}"
        )
    text = expression.strip(" \t\r\n")
    if not text:
        raise CronError(expression, "the expression is empty")
    if text.startswith("@"):
        return _finish(_macro(expression, text), now, tz)
    parts = _SEPARATOR.split(text)
    if len(parts) == 5:
        cron = _unix(expression, parts)
    elif len(parts) in (6, 7):
        cron = _quartz(expression, parts)
    else:
        raise CronError(expression, f"expected 5 (Unix) or 6-7 (Quartz) fields, got {len(parts)}")
    return _finish(cron, now, tz)


def _finish(cron: Cron, now: datetime | None, tz: str | tzinfo) -> Cron:
    if now is not None and next_fire(cron, now, tz) is None:
        raise CronError(cron.expression, f"it never fires after {now:%Y-%m-%d %H:%M:%S %Z}")
    return cron


def _macro(expression: str, text: str) -> Cron:
    spec = MACROS.get(text.lower())
    if spec is None:
        known = " ".join(MACROS)
        raise CronError(expression, f"{text!r} is not a schedule; known shortcuts: {known}")
    return _unix(expression, spec.split())


def _unix(expression: str, parts: list[str]) -> Cron:
    p = _Parser(expression, Dialect.UNIX)
    minute, hour, dom, month, dow = parts
    return Cron(
        expression=expression,
        dialect=Dialect.UNIX,
        second=Field(text="0", values=frozenset({0})),
        minute=p.field(MINUTE, minute),
        hour=p.field(HOUR, hour),
        day_of_month=p.day_of_month(dom),
        month=p.field(MONTH, month),
        day_of_week=p.day_of_week(DAY_OF_WEEK_UNIX, dow),
    )


def _quartz(expression: str, parts: list[str]) -> Cron:
    p = _Parser(expression, Dialect.QUARTZ)
    second, minute, hour, dom, month, dow = parts[:6]
    year = p.field(YEAR, parts[6]) if len(parts) == 7 and parts[6] != "*" else None
    return Cron(
        expression=expression,
        dialect=Dialect.QUARTZ,
        second=p.field(SECOND, second),
        minute=p.field(MINUTE, minute),
        hour=p.field(HOUR, hour),
        day_of_month=p.day_of_month(dom),
        month=p.field(MONTH, month),
        day_of_week=p.day_of_week(DAY_OF_WEEK_QUARTZ, dow),
        year=year,
    )


class _Parser:
    def __init__(self, expression: str, dialect: Dialect) -> None:
        self.expression = expression
        self.dialect = dialect

    def fail(self, problem: str) -> CronError:
        return CronError(self.expression, problem)

    def field(self, kind: Kind, text: str) -> Field:
        values: set[int] = set()
        for item in self._items(kind, text):
            values |= self._item(kind, item)
        return Field(text=text, values=frozenset(values))

    def day_of_month(self, text: str) -> DayOfMonth:
        kind = DAY_OF_MONTH
        if text == "?":
            return DayOfMonth(text=text, days=ALL_DAYS)
        days: set[int] = set()
        last: set[int] = set()
        nearest: set[int] = set()
        last_weekday: set[int] = set()
        for item in self._items(kind, text):
            up = item.upper()
            if m := _LAST.fullmatch(up):
                offset = self._offset(m.group(1), item) if m.group(1) is not None else 0
                (last_weekday if m.group(2) else last).add(offset)
            elif up.endswith("W"):
                day = up[:-1]
                if not (day.isascii() and day.isdigit()):
                    raise self.fail(f"day-of-month: 'W' follows a single day (15W), not {item!r}")
                nearest.add(self._value(kind, day))
            else:
                days |= self._item(kind, item)
        return DayOfMonth(
            text=text,
            days=frozenset(days),
            last=frozenset(last),
            nearest_weekday=frozenset(nearest),
            last_weekday=frozenset(last_weekday),
        )

    def day_of_week(self, kind: Kind, text: str) -> DayOfWeek:
        if text == "?":
            return DayOfWeek(text=text, days=ALL_WEEKDAYS)
        days: set[int] = set()
        nth: set[tuple[int, int]] = set()
        last: set[int] = set()
        for item in self._items(kind, text):
            up = item.upper()
            if up == "L":
                if text != item:  # Quartz refuses it too: "L,MON" reads as nothing sensible
                    raise self.fail(
                        f"day-of-week: 'L' (Saturday) stands alone, not in {text!r}; write 6L"
                        " for the last Friday, SAT for Saturdays"
                        if self.dialect is Dialect.QUARTZ
                        else f"day-of-week: 'L' (Saturday) stands alone, not in {text!r}"
                    )
                days.add(6)  # Quartz: L alone in day-of-week is the last day of the week
            elif "#" in up:
                day, _, n = up.partition("#")
                if not (n.isascii() and n.isdigit() and 1 <= int(n) <= 5):
                    raise self.fail(f"day-of-week: '#' needs a number 1-5 after it, in {item!r}")
                nth.add((self._weekday(kind, day, item), int(n)))
            elif len(up) > 1 and up.endswith("L"):
                last.add(self._weekday(kind, up[:-1], item))
            else:
                days |= {self._normal_weekday(kind, v) for v in self._item(kind, item)}
        return DayOfWeek(text=text, days=frozenset(days), nth=frozenset(nth), last=frozenset(last))

    def _items(self, kind: Kind, text: str) -> list[str]:
        for ch in text:
            if ch not in _ALLOWED:
                raise self.fail(f"{kind.name}: unexpected character {ch!r} in {text!r}")
        if "?" in text:
            if kind not in (DAY_OF_MONTH, DAY_OF_WEEK_UNIX, DAY_OF_WEEK_QUARTZ):
                raise self.fail("'?' is allowed only in day-of-month or day-of-week (Quartz)")
            raise self.fail(f"{kind.name}: '?' stands alone, not in {text!r}")
        items = text.split(",")
        if "" in items:
            raise self.fail(f"{kind.name}: empty item in {text!r} (a stray comma)")
        return items

    def _item(self, kind: Kind, item: str) -> set[int]:
        """One comma-separated item: `*`, `5`, `JAN`, `1-5`, with an optional `/step`."""
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text:
                raise self.fail(f"{kind.name}: '/' must be followed by a step, in {item!r}")
            if not (step_text.isascii() and step_text.isdigit()):
                raise self.fail(f"{kind.name}: step {step_text!r} in {item!r} is not a number")
            step = int(step_text)
            if step == 0:
                raise self.fail(f"step 0 in {kind.name} {item!r}")
            if step > kind.max_step:
                raise self.fail(
                    f"step {step} in {kind.name} {item!r} is out of range 1-{kind.max_step}"
                )
        if slash and any(c.isalpha() for c in base):
            # Quartz silently drops such a step (MON-FRI/2 fires Monday to Friday): refuse
            # rather than fire on other days than a schedule moved from Quartz did.
            raise self.fail(f"{kind.name}: a step after names ({item!r}) is ambiguous; use numbers")
        if base == "*":
            low, high = kind.low, kind.high
        elif not base:
            raise self.fail(f"{kind.name}: {item!r} needs a start: write '*/{step_text}'")
        elif "-" in base:
            start, _, end = base.partition("-")
            if not start:
                raise self.fail(f"{kind.name}: {item!r} is not a value or a range")
            if not end:
                raise self.fail(f"{kind.name}: range {item!r} needs an end")
            low, high = self._value(kind, start), self._value(kind, end)
            if low > high:
                return self._wrapped(kind, item, low, high, step)
        else:
            low = self._value(kind, base)
            high = kind.high if slash else low
        return set(range(low, high + 1, step))

    def _wrapped(self, kind: Kind, item: str, low: int, high: int, step: int) -> set[int]:
        if self.dialect is Dialect.UNIX or kind is YEAR:
            also = " (Unix cron ranges do not wrap around)" if kind is not YEAR else ""
            raise self.fail(f"{kind.name} range {item!r} goes backwards{also}")
        # Quartz: 22-2 in hours is 22, 23, 0, 1, 2; a step keeps counting across the wrap.
        size = kind.high - kind.low + 1
        return {(v - kind.low) % size + kind.low for v in range(low, high + size + 1, step)}

    def _value(self, kind: Kind, text: str) -> int:
        if text.isascii() and text.isdigit():
            v = int(text)
            if not kind.low <= v <= kind.high:
                shown = text if len(text) <= 12 else text[:12] + "..."
                hint = " (Quartz counts 1 = Sunday)" if kind is DAY_OF_WEEK_QUARTZ else ""
                raise self.fail(f"{kind.name} {shown} is out of range {kind.low}-{kind.high}{hint}")
            return v
        v = kind.names.get(text.upper(), -1)
        if v < 0:
            raise self.fail(f"{kind.name}: {text!r} is not a {kind.noun}")
        return v

    def _weekday(self, kind: Kind, text: str, item: str) -> int:
        if not text:
            raise self.fail(f"day-of-week: {item!r} needs a day before 'L' or '#'")
        return self._normal_weekday(kind, self._value(kind, text))

    def _normal_weekday(self, kind: Kind, v: int) -> int:
        return v % 7 if kind is DAY_OF_WEEK_UNIX else v - 1

    def _offset(self, text: str, item: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) > 30:
            raise self.fail(f"day-of-month: the offset in {item!r} must be 0-30")
        return int(text)
