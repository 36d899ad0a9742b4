"""Time zones as runs of constant UTC offset.

next_fire needs, around an instant, the offset in force, the offset before the last change and
where the next change is. zoneinfo answers only "what is the offset at this instant", so the
changes of each (zone, year) are found once — sample each UTC midnight, then bisect the day in
which the offset moved to the second — and cached (about 0.5 ms per zone and year). A known
limit: two changes within one UTC day would be seen as one (or, if they cancel, as none).
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

DAY = 86400
FAR = 1 << 62  # further than any datetime
_MAX_T = 253402300799  # 9999-12-31 23:59:59 UTC
_MIN_T = -62135596800 + DAY  # 0001-01-02 00:00:00 UTC


@dataclass(frozen=True, slots=True)
class Segment:
    """[start, end) in epoch seconds, during which the wall clock is UTC + offset; before is
    the offset just before start (equal to offset when start is not a real change)."""

    start: int
    end: int
    before: int
    offset: int


@functools.lru_cache(maxsize=1024)
def resolve(tz: str) -> tzinfo:
    """The zone named `tz` (IANA). Raises LookupError or ValueError when there is none."""
    if tz in ("UTC", "Etc/UTC"):
        return UTC
    try:
        return ZoneInfo(tz)
    except OSError:  # a folder of tzdata ("America"), a name too long for a path
        raise ValueError(f"no time zone {tz[:80]!r}") from None


def segment(zone: tzinfo, t: int) -> Segment:
    """The run of constant offset that contains instant t (epoch seconds)."""
    if isinstance(zone, timezone):
        off = _seconds(zone.utcoffset(None))
        return Segment(start=-FAR, end=FAR, before=off, offset=off)
    year = datetime.fromtimestamp(min(max(t, _MIN_T), _MAX_T), UTC).year
    starts, befores, afters, base, window_end = _window(zone, year)
    i = bisect_right(starts, t)
    end = starts[i] if i < len(starts) else window_end
    if i == 0:
        off = befores[0] if starts else base
        return Segment(start=-FAR, end=end, before=off, offset=off)
    return Segment(start=starts[i - 1], end=end, before=befores[i - 1], offset=afters[i - 1])


def offset_at(zone: tzinfo, t: int) -> int:
    # Clamped a day inside datetime's range, where converting to any zone cannot overflow.
    t = min(max(t, _MIN_T), _MAX_T - DAY)
    return _seconds(datetime.fromtimestamp(t, UTC).astimezone(zone).utcoffset())


def _seconds(delta: timedelta | None) -> int:
    assert delta is not None, "an aware zone always has an offset"
    return delta.days * DAY + delta.seconds


@functools.lru_cache(maxsize=4096)
def _window(
    zone: tzinfo, year: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, int]:
    """Changes of offset from 1 January of year-1 to 1 January of year+2 (UTC): their
    instants, offsets before and after, the offset at the window's start, and its end."""
    changes = [c for y in (year - 1, year, year + 1) for c in _changes(zone, y)]
    return (
        tuple(c[0] for c in changes),
        tuple(c[1] for c in changes),
        tuple(c[2] for c in changes),
        offset_at(zone, _year_start(max(year - 1, 2))),
        _year_start(year + 2),
    )


@functools.lru_cache(maxsize=4096)
def _changes(zone: tzinfo, year: int) -> tuple[tuple[int, int, int], ...]:
    if not 2 <= year <= 9998:
        return ()
    found = []
    t, end = _year_start(year), _year_start(year + 1)
    off = offset_at(zone, t)
    while t < end:
        nxt = min(t + DAY, end)
        new = offset_at(zone, nxt)
        if new != off:
            lo, hi = t, nxt  # offset_at(lo) == off != offset_at(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_at(zone, mid) == off:
                    lo = mid
                else:
                    hi = mid
            found.append((hi, off, new))
            off = new
        t = nxt
    return tuple(found)


def _year_start(year: int) -> int:
    if year > 9999:
        return FAR
    if year < 1:
        return -FAR
    return int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
