"""Fire times as people read them in the UI, in the viewer's zone: "Today at 4:15 PM PDT",
"Tomorrow at 1:00 PM PDT", "Yesterday at 9:00 AM PDT", else "July 9th 2015 at 4:15 PM PDT"
(the seed's admin UI)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from .describe import ordinal
from .fields import MONTH_FULL_NAMES
from .zones import resolve

RELATIVE_DAYS = {0: "Today", 1: "Tomorrow", -1: "Yesterday"}


def calendar_time(when: datetime, *, now: datetime, tz: str | tzinfo = "UTC") -> str:
    """`when` on the viewer's calendar (zone `tz`), relative to `now` (both aware)."""
    zone = resolve(tz) if isinstance(tz, str) else tz
    local, today = when.astimezone(zone), now.astimezone(zone).date()
    day = RELATIVE_DAYS.get((local.date() - today).days)
    if day is None:
        day = f"{MONTH_FULL_NAMES[local.month - 1]} {ordinal(local.day)} {local.year}"
    return f"{day} at {clock(local)} {abbreviation(local)}"


def clock(local: datetime) -> str:
    """4:15 PM; 4:15:30 PM when the seconds matter."""
    hour = local.hour % 12 or 12
    seconds = f":{local.second:02d}" if local.second else ""
    return f"{hour}:{local.minute:02d}{seconds} {'AM' if local.hour < 12 else 'PM'}"


def abbreviation(local: datetime) -> str:
    """PDT, CEST, IST; zones without letters have tz names like "-03": say "UTC-03"."""
    name = local.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" and name else name
