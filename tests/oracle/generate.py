"""A seeded generator of Quartz-valid cron expressions that use every feature: lists, ranges
(also wrapping ones: 22-2, FRI-MON), steps, names, L, L-n, LW, L-nW, nW, nL, n#k, years.

It leaves out what Quartz accepts but reads differently from what it says (a step after a
name: Quartz drops `/2` from `MON-FRI/2`), and day-of-month and day-of-week both restricted
(Quartz refuses them): one of the two is always `?`. Two Quartz bugs are kept out of its way:
L-nW past the start of a month, on which it never returns; and nW in a month without day n,
which its lenient Calendar reads as a day of the next month (31W in April fires on Friday 30
April when 1 May is a Saturday). We never fire nW in a month that lacks day n: 29W-31W get
months that have the day.
"""

from __future__ import annotations

import random

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
LONG_MONTHS = ("1,3,5,7,8,10,12", "JAN,MAR,MAY,JUL,AUG,OCT,DEC", "7-8", "DEC,JAN", "5")


def expression(r: random.Random) -> str:
    second = _time(r, 59, sparse=True)
    minute = _time(r, 59, sparse=False)
    hour = _time(r, 23, sparse=False)
    if r.random() < 0.5:
        dom, dow = _day_of_month(r), "?"
    else:
        dom, dow = "?", _day_of_week(r)
    month = _month(r)
    if dom.endswith("W") and not dom.startswith("L") and int(dom[:-1]) > 28:
        month = r.choice(LONG_MONTHS)
    fields = [second, minute, hour, dom, month, dow]
    year = _year(r)
    if year is not None:
        fields.append(year)
    return " ".join(fields)


def _time(r: random.Random, high: int, *, sparse: bool) -> str:
    """Seconds lean towards few values so that a handful of fires spans days, not seconds."""
    kinds = ["one", "one", "list", "range", "wrap", "step", "start-step", "range-step", "star"]
    if sparse:
        kinds += ["one"] * 6
    return _items(r, high, 0, r.choice(kinds))


def _items(r: random.Random, high: int, low: int, kind: str, names: tuple[str, ...] = ()) -> str:
    def value() -> str:
        v = r.randint(low, high)
        return names[v - low] if names and r.random() < 0.5 else str(v)

    def ordered_pair(wrap: bool) -> tuple[int, int]:
        a, b = sorted(r.sample(range(low, high + 1), 2))
        return (b, a) if wrap else (a, b)

    def show(a: int, b: int) -> str:  # Quartz reads a range of two names or two numbers only
        if names and r.random() < 0.5:
            return f"{names[a - low]}-{names[b - low]}"
        return f"{a}-{b}"

    if kind == "one":
        return value()
    if kind == "list":
        return ",".join(value() for _ in range(r.randint(2, 4)))
    if kind in ("range", "wrap"):
        a, b = ordered_pair(kind == "wrap")
        return show(a, b)
    if kind == "step":
        return f"*/{r.randint(2, min(high, 20))}"
    if kind == "start-step":
        return f"{r.randint(low, high)}/{r.randint(2, min(high, 20))}"
    if kind == "range-step":
        a, b = ordered_pair(r.random() < 0.3)
        return f"{a}-{b}/{r.randint(1, min(high - low, 12))}"
    if kind == "mixed":
        return f"{value()},{r.randint(low, high)}-{high}"
    return "*"


def _day_of_month(r: random.Random) -> str:
    kind = r.choice(
        ["one", "list", "range", "wrap", "step", "start-step", "range-step", "star",
         "L", "L-n", "LW", "L-nW", "nW", "nW", "mixed"]
    )  # fmt: skip
    if kind == "L":
        return "L"
    if kind == "L-n":
        return f"L-{r.randint(0, 30)}"
    if kind == "LW":
        return "LW"
    if kind == "L-nW":
        # Quartz loops forever on L-nW in a month of n days or fewer (L-28W in February).
        return f"L-{r.randint(0, 27)}W"
    if kind == "nW":
        return f"{r.randint(1, 31)}W"
    return _items(r, 31, 1, kind)


def _day_of_week(r: random.Random) -> str:
    kind = r.choice(
        ["one", "list", "range", "wrap", "step", "start-step", "star", "nL", "n#k", "n#k", "L"]
    )
    if kind == "L":
        return "L"
    day = r.randint(1, 7)
    shown = DAYS[day - 1] if r.random() < 0.5 else str(day)
    if kind == "nL":
        return f"{shown}L"
    if kind == "n#k":
        return f"{shown}#{r.randint(1, 5)}"
    if kind in ("step", "start-step"):
        return _items(r, 7, 1, kind)
    return _items(r, 7, 1, kind, DAYS)


def _month(r: random.Random) -> str:
    kind = r.choice(["star", "star", "star", "one", "list", "range", "wrap", "step", "start-step"])
    if kind in ("step", "start-step"):
        return _items(r, 12, 1, kind)
    return _items(r, 12, 1, kind, MONTHS)


def _year(r: random.Random) -> str | None:
    kind = r.choice(["none", "none", "none", "star", "one", "range", "list", "step"])
    if kind == "none":
        return None
    if kind == "star":
        return "*"
    if kind == "one":
        return str(r.randint(2014, 2045))
    if kind == "range":
        a = r.randint(2010, 2040)
        return f"{a}-{a + r.randint(0, 15)}"
    if kind == "list":
        return ",".join(str(y) for y in sorted(r.sample(range(2015, 2045), 3)))
    return f"{r.randint(2010, 2030)}/{r.randint(1, 5)}"
