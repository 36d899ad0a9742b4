"""When does a schedule fire next? Pure functions of (cron, instant, zone), in the style of
arq's next_cron, that jump field by field over precomputed tables (tables.py).

Fields are read on the wall clock of the schedule's zone; results are aware UTC datetimes,
whole seconds, strictly after the instant given. Daylight saving, the contract:

* A fixed wall time (hour field not `*` or `*/n`) that spring-forward skips fires ONCE, at the
  first valid instant after the gap: `30 2 * * *` in Los Angeles fires at 03:00 PDT on the day
  clocks jump from 02:00 to 03:00. Several skipped times (`*/15 2 * * *`) still fire once.
* A fixed wall time that fall-back repeats fires ONCE, at its FIRST occurrence: `30 1 * * *`
  in Los Angeles fires at 01:30 PDT, not again at 01:30 PST.
* An expression whose hour field is a wildcard (`*` or `*/n`: every N minutes or seconds,
  @hourly) fires at every real instant whose wall time matches: nothing in the skipped hour,
  both passes of a repeated hour (Vixie cron's rule). `*/15 * * * *` fires 8 times between
  01:00 PDT and 02:00 PST.

The same holds for any change of offset (30-minute shifts on Lord Howe Island, changes at
midnight in Santiago, a zone moving its standard time). Quartz differs, and those cases are
documented divergences, not bugs: it drops a fire that spring-forward skips, and resolves a
repeated wall time to its second occurrence only (losing the first pass of a repeated hour of
sub-hourly fires). Debian's cron also treats a wildcard *minute* as real-instant; here only the
hour decides (a fixed hour with `*/15` minutes fires once after a gap, first pass in a fold).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo

from iguazu.errors import CronError

from .model import Cron
from .tables import Tables, days_in_month
from .zones import FAR, Segment, resolve, segment

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
MAX_ORDINAL = date.max.toordinal()
LAST = (datetime.max.replace(tzinfo=UTC) - EPOCH) // timedelta(seconds=1)  # epoch seconds
SECOND = timedelta(seconds=1)
DAY = 86400


def next_fire(cron: Cron, after: datetime, tz: str | tzinfo = "UTC") -> datetime | None:
    """The first fire time strictly after `after` (an aware datetime), as an aware UTC
    datetime; None when the schedule never fires again (its years are over). Raises CronError
    for an unknown zone and ValueError for a naive `after`."""
    t = _next_instant(cron, _zone(cron, tz), _epoch(after) + 1)
    return None if t is None or t > LAST else EPOCH + timedelta(seconds=t)


def fires(cron: Cron, after: datetime, tz: str | tzinfo = "UTC", n: int = 10) -> list[datetime]:
    """The next `n` fire times after `after` (fewer if the schedule ends): a preview."""
    out: list[datetime] = []
    for t in iter_fires(cron, after, tz):
        if len(out) >= n:
            break
        out.append(t)
    return out


def iter_fires(cron: Cron, after: datetime, tz: str | tzinfo = "UTC") -> Iterator[datetime]:
    zone = _zone(cron, tz)
    lo = _epoch(after) + 1
    while (t := _next_instant(cron, zone, lo)) is not None and t <= LAST:
        yield EPOCH + timedelta(seconds=t)
        lo = t + 1


def matches(cron: Cron, wall: datetime) -> bool:
    """Whether a wall-clock time (its fields as written; tzinfo ignored) matches the fields."""
    w = (wall.replace(tzinfo=None, microsecond=0) - EPOCH.replace(tzinfo=None)) // SECOND
    return next_wall(cron.tables, w) == w


def _zone(cron: Cron, tz: str | tzinfo) -> tzinfo:
    if not isinstance(tz, str):
        return tz
    try:
        return resolve(tz)
    except (LookupError, ValueError) as e:
        raise CronError(cron.expression, f"unknown time zone {tz!r}") from e


def _epoch(after: datetime) -> int:
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"`after` must be timezone-aware, got {after!r}")
    return (after - EPOCH) // SECOND


def _next_instant(cron: Cron, zone: tzinfo, lo: int) -> int | None:
    """The first fire instant >= lo (epoch seconds), walking runs of constant UTC offset."""
    tables, fixed = cron.tables, cron.fixed_time
    while True:
        seg = segment(zone, lo)
        t = _in_segment(tables, fixed, seg, lo)
        if t is not None and t < seg.end:
            return t
        if t is None and (seg.end >= FAR or segment(zone, seg.end).offset >= seg.offset):
            # No matching wall time ahead, ever; only a fall-back could bring back wall times
            # already passed (a schedule's last fires, in the second pass of a repeated hour).
            return None
        lo = seg.end  # nothing matched before the next change of offset: look past it


def _in_segment(tables: Tables, fixed: bool, seg: Segment, lo: int) -> int | None:
    """The first candidate >= lo computed with this segment's offset (the caller checks that
    it falls inside the segment)."""
    off, before = seg.offset, seg.before
    low_wall = lo + off
    if fixed and before != off:
        if off < before:
            # Fall-back: wall times up to start + before were already lived (and fired) in the
            # previous segment; a fixed time fires at its first occurrence only.
            low_wall = max(low_wall, seg.start + before)
        elif lo == seg.start:
            # Spring-forward: wall times [start + before, start + off) never happen; if one
            # of them was due, it fires once, now, at the first valid instant after the gap.
            skipped = next_wall(tables, seg.start + before)
            if skipped is None:
                return None
            if skipped < seg.start + off:
                return seg.start
    wall = next_wall(tables, low_wall)
    return None if wall is None else wall - off


def next_wall(t: Tables, w: int) -> int | None:
    """The first matching wall time >= w, both in seconds since 1970-01-01 00:00 (naive)."""
    days, sod = divmod(w, DAY)
    ordinal = days + EPOCH_ORDINAL
    day = _next_day(t, ordinal)
    if day is None:
        return None
    if day == ordinal:
        s = _next_time(t, sod)
        if s is not None:
            return w - sod + s
        day = _next_day(t, ordinal + 1)
        if day is None:
            return None
    return (day - EPOCH_ORDINAL) * DAY + t.first_time


def _next_time(t: Tables, sod: int) -> int | None:
    """The first allowed second of the day >= sod, or None."""
    h, rest = divmod(sod, 3600)
    m, s = divmod(rest, 60)
    if t.next_hour[h] == h:
        if t.next_minute[m] == m:
            s2 = t.next_second[s]
            if s2 >= 0:
                return sod - s + s2
        m2 = t.next_minute[m + 1]
        if m2 >= 0:
            return h * 3600 + m2 * 60 + t.next_second[0]
        h += 1
    h2 = t.next_hour[h]
    if h2 < 0:
        return None
    return h2 * 3600 + t.next_minute[0] * 60 + t.next_second[0]


def _next_day(t: Tables, ordinal: int) -> int | None:
    """The first matching day (a date ordinal) >= ordinal, or None."""
    if ordinal > MAX_ORDINAL:
        return None
    d = date.fromordinal(max(ordinal, 1))
    year, month, day = d.year, d.month, d.day
    while year <= 9999:
        if t.years is not None and year not in t.year_set:
            later = [y for y in t.years if y > year]
            if not later:
                return None
            year, month, day = later[0], 1, 1
        m = t.next_month[month]
        if m < 0:
            year, month, day = year + 1, 1, 1
            continue
        if m != month:
            month, day = m, 1
        first = date(year, month, 1).toordinal()
        mask = t.day_masks[days_in_month(year, month) - 28][first % 7] >> day
        if mask:
            return first + day - 1 + (mask & -mask).bit_length() - 1
        month, day = month + 1, 1
        if month > 12:
            year, month = year + 1, 1
    return None
