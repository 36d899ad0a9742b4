"""describe(cron): a short English sentence for a UI tooltip.

0,30 * * * MON-FRI        -> "At 0 and 30 minutes past every hour, on weekdays"
0 0 12 ? * 6#3            -> "At 12:00, on the third Friday of the month"
"""

from __future__ import annotations

from collections.abc import Sequence

from .fields import DAY_FULL_NAMES, MONTH_FULL_NAMES, DayOfMonth, DayOfWeek
from .model import Cron

ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth")
FEW_TIMES = 6  # up to this many times a day are listed as clock times


def describe(cron: Cron) -> str:
    parts = [_time(cron), _days(cron), _months(cron), _years(cron)]
    return ", ".join(p for p in parts if p)


def join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _step(values: list[int], high: int) -> int | None:
    """The step s when values are start, start + s, ... up to the field's end, else None."""
    if len(values) < 3:
        return None
    s = values[1] - values[0]
    if values == list(range(values[0], high + 1, s)) and s > 1:
        return s
    return None


def _range(values: list[int]) -> bool:
    return len(values) >= 3 and values == list(range(values[0], values[-1] + 1))


def _time(cron: Cron) -> str:
    secs, mins, hours = (sorted(f.values) for f in (cron.second, cron.minute, cron.hour))
    if len(secs) == 1 and len(mins) * len(hours) <= FEW_TIMES:
        clock = "{:02d}:{:02d}" + (":{:02d}" if secs[0] else "")
        return "At " + join([clock.format(h, m, secs[0]) for h in hours for m in mins])
    phrase = _minutes(mins)
    if secs != [0]:
        rest = "" if len(mins) == 60 else ", " + phrase[0].lower() + phrase[1:]
        phrase = _seconds(secs) + rest
    return phrase + _hours(hours, after_list=phrase.endswith("past"))


def _seconds(secs: list[int]) -> str:
    if len(secs) == 60:
        return "Every second"
    if (s := _step(secs, 59)) is not None:
        return f"Every {s} seconds" + (f" from second {secs[0]}" if secs[0] else "")
    if _range(secs):
        return f"Every second from {secs[0]} through {secs[-1]}"
    return f"At second {join([str(s) for s in secs])}"


def _minutes(mins: list[int]) -> str:
    if len(mins) == 60:
        return "Every minute"
    if (s := _step(mins, 59)) is not None:
        return f"Every {s} minutes" + (f" from minute {mins[0]}" if mins[0] else "")
    if _range(mins):
        return f"Every minute from {mins[0]} through {mins[-1]} past"
    unit = "minute" if mins == [1] else "minutes"
    return f"At {join([str(m) for m in mins])} {unit} past"


def _hours(hours: list[int], *, after_list: bool) -> str:
    """The hours, after "At 0 and 30 minutes past" (after_list) or after "Every 5 minutes"."""
    if len(hours) == 24:
        return " every hour" if after_list else ""
    if (s := _step(hours, 23)) is not None:
        start = f" from {hours[0]:02d}:00" if hours[0] else ""
        return f"{' ' if after_list else ', '}every {s} hours{start}"
    if _range(hours) or len(hours) == 1:
        between = f"between {hours[0]:02d}:00 and {hours[-1]:02d}:59"
        return f" the hour, {between}" if after_list else f", {between}"
    times = join([f"{h:02d}:00" for h in hours])
    return f" {times}" if after_list else f", in the {times} hours"


def _days(cron: Cron) -> str:
    t = cron.tables
    if all(t.day_masks[n - 28][f] == ((1 << n) - 1) << 1 for n in range(28, 32) for f in range(7)):
        return ""  # every day, however written (the seed's `1/1 ... 7` is every day)
    dom, dow = cron.day_of_month, cron.day_of_week
    by_month = "" if dom.text in ("*", "?") else _day_of_month(dom)
    by_week = "" if dow.text in ("*", "?") else _day_of_week(dow)
    if by_month and by_week:
        if dom.star or dow.star:  # Vixie: a field starting with * makes both fields required
            return f"{by_month}, but only {by_week}"
        return f"{by_month} or {by_week}"
    return by_month or by_week


def _day_of_month(dom: DayOfMonth) -> str:
    phrases = []
    days = sorted(dom.days)
    if days:
        if (s := _step(days, 31)) is not None:
            start = f" from the {ordinal(days[0])}" if days[0] != 1 else ""
            phrases.append(f"every {ordinal(s)} day of the month{start}")
        elif _range(days):
            phrases.append(f"the {ordinal(days[0])} through the {ordinal(days[-1])} of the month")
        else:
            phrases.append("the " + join([ordinal(d) for d in days]) + " of the month")
    for off in sorted(dom.last):
        phrases.append(f"the last day of the month{_minus(off)}")
    for d in sorted(dom.nearest_weekday):
        phrases.append(f"the weekday nearest the {ordinal(d)} of the month")
    for off in sorted(dom.last_weekday):
        if off == 0:
            phrases.append("the last weekday of the month")
        else:
            phrases.append(f"the weekday nearest the last day of the month{_minus(off)}")
    return "on " + join(phrases)


def _minus(days: int) -> str:
    return "" if days == 0 else f" minus {days} day{'s' if days > 1 else ''}"


def _day_of_week(dow: DayOfWeek) -> str:
    phrases = []
    days = sorted(dow.days)
    if days == [1, 2, 3, 4, 5]:
        phrases.append("weekdays")
    elif days == [0, 6]:
        phrases.append("weekends")
    elif _range(days):
        phrases.append(f"{DAY_FULL_NAMES[days[0]]} through {DAY_FULL_NAMES[days[-1]]}")
    elif days:
        phrases.append(join([DAY_FULL_NAMES[d] + "s" for d in days]))
    for d, n in sorted(dow.nth):
        phrases.append(f"the {ORDINAL_WORDS[n - 1]} {DAY_FULL_NAMES[d]} of the month")
    for d in sorted(dow.last):
        phrases.append(f"the last {DAY_FULL_NAMES[d]} of the month")
    return "on " + join(phrases)


def _months(cron: Cron) -> str:
    months = sorted(cron.month.values)
    if len(months) == 12:
        return ""
    if _range(months):
        return f"{MONTH_FULL_NAMES[months[0] - 1]} through {MONTH_FULL_NAMES[months[-1] - 1]}"
    return "in " + join([MONTH_FULL_NAMES[m - 1] for m in months])


def _years(cron: Cron) -> str:
    if cron.year is None:
        return ""
    years = sorted(cron.year.values)
    if _range(years):
        return f"in {years[0]} through {years[-1]}"
    if (s := _step(years, 2099)) is not None and len(years) > 5:
        return f"every {s} years from {years[0]}"
    return "in " + join([str(y) for y in years])
