"""Second opinions for Unix 5-field expressions: croniter (in UTC) and cronsim (in DST zones,
whose rules mirror Debian cron's). Seeded, so a failure reproduces.

Known, documented differences, kept out of the comparison:
* croniter reads only a plain `*` as an unrestricted day field; Vixie cron (and we, and
  cronsim) take any field starting with `*` (`*/2`), which makes both day fields required;
* cronsim, like Debian cron, treats a wildcard *minute* with a fixed hour (`*/15 2 * * *`) as
  real-instant; our contract lets only the hour field decide (DESIGN.md, "Cron").
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from iguazu.cron import CronError, fires, parse

# Not the two odd zones, where cronsim 2.8 has quirks of its own: after Lord Howe's 30-minute
# fall-back it loses real fires (`55,14,19 */13 */6 4,1,4 */2` skips 13:14 and 13:19 on
# 2029-04-01), and for a wildcard hour it fires Santiago's skipped midnight (`*/3 */7 15 * 0`
# at 01:00 -03 on 2019-09-08, a time that never happened). The brute-force rule test in
# test_cron_dst.py and the Quartz oracle cover both zones.
ZONES = ["America/Los_Angeles", "Europe/London", "Europe/Berlin", "Australia/Sydney",
         "Asia/Kolkata"]  # fmt: skip


def _field(r: random.Random, low: int, high: int, *, star_steps: bool = True) -> str:
    kinds = ["*", "one", "list", "range", "range-step"] + (["step"] if star_steps else [])
    kind = r.choice(kinds)
    a, b = sorted(r.sample(range(low, high + 1), 2))
    return {
        "*": "*",
        "one": str(a),
        "list": ",".join(str(r.randint(low, high)) for _ in range(r.randint(2, 3))),
        "range": f"{a}-{b}",
        "range-step": f"{a}-{b}/{r.randint(1, 5)}",
        "step": f"*/{r.randint(2, min(high, 15))}",
    }[kind]


def _expressions(seed: int, n: int, *, star_steps_in_days: bool) -> list[str]:
    r = random.Random(seed)
    out = []
    while len(out) < n:
        e = " ".join([
            _field(r, 0, 59), _field(r, 0, 23),
            _field(r, 1, 31, star_steps=star_steps_in_days), _field(r, 1, 12),
            _field(r, 0, 6, star_steps=star_steps_in_days),
        ])  # fmt: skip
        try:
            parse(e)
        except CronError:
            continue  # never fires (31 in February only...): refused, nothing to compare
        out.append(e)
    return out


def _start(r: random.Random) -> datetime:
    return datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=r.randrange(15 * 365 * 86400))


def test_croniter_agrees_in_utc() -> None:
    croniter = pytest.importorskip("croniter").croniter
    r = random.Random(7)
    for e in _expressions(7, 1000, star_steps_in_days=False):
        start = _start(r)
        it = croniter(e, start)
        assert fires(parse(e), start, "UTC", 5) == [it.get_next(datetime) for _ in range(5)], e


def test_cronsim_agrees_in_dst_zones_where_debian_and_our_rules_coincide() -> None:
    cronsim = pytest.importorskip("cronsim")
    r = random.Random(8)
    compared = 0
    for e in _expressions(8, 3000, star_steps_in_days=True):
        minute, hour = e.split()[:2]
        if minute.startswith("*") and not hour.startswith("*"):
            continue
        zone = r.choice(ZONES)
        start = _start(r)
        # Half the starts just before a change of offset, where the rules matter.
        if r.random() < 0.5:
            start = _near_a_change(r, zone, start)
        sim = cronsim.CronSim(e, start.astimezone(ZoneInfo(zone)))
        try:
            theirs = [next(sim).astimezone(UTC) for _ in range(5)]
        except StopIteration:
            continue  # cronsim gives up after 50 years without a match
        assert fires(parse(e), start, zone, 5) == theirs, (e, zone, start)
        compared += 1
    assert compared > 1500


def _near_a_change(r: random.Random, zone: str, start: datetime) -> datetime:
    from iguazu.cron.zones import _changes

    changes = _changes(ZoneInfo(zone), start.year)
    if not changes:
        return start
    at = datetime.fromtimestamp(r.choice(changes)[0], UTC)
    return at - timedelta(seconds=r.randrange(60, 36 * 3600))
