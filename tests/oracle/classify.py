"""Explain each disagreement between next_fire and Quartz by a documented daylight-saving rule,
or report it as unexplained (a bug on one side).

The documented divergences (iguazu.cron.nextfire's docstring):

* SPRING_GAP: a fixed wall time that spring-forward skips; we fire once at the end of the gap,
  Quartz drops it.
* FOLD_FIRST: a fixed wall time that fall-back repeats; we fire the first occurrence, Quartz
  the second.
* FOLD_BOTH: a wildcard hour in a repeated hour; we fire every matching instant of both passes;
  Quartz's wall clock never goes back, so it fires the second pass only, or, started inside
  the first pass, skips the rest of the repeated hour altogether.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from iguazu.cron import Cron
from iguazu.cron.nextfire import next_wall
from iguazu.cron.zones import _changes

SPRING_GAP = "SPRING_GAP"  # fixed time fires once at the end of the gap; Quartz drops it
FOLD_FIRST = "FOLD_FIRST"  # fixed time fires at its first occurrence; Quartz at the second
FOLD_BOTH = "FOLD_BOTH"  # wildcard hour fires in both passes; Quartz at most once


@dataclass(frozen=True)
class Transition:
    at: int  # epoch seconds
    before: int  # UTC offsets, seconds
    after: int


@functools.cache
def transitions(zone: str, first_year: int = 2010, last_year: int = 2050) -> tuple[Transition, ...]:
    z = ZoneInfo(zone)
    return tuple(
        Transition(at, before, after)
        for y in range(first_year, last_year + 1)
        for at, before, after in _changes(z, y)
    )


def near(zone: str, t: int) -> list[Transition]:
    return [tr for tr in transitions(zone) if abs(tr.at - t) <= 2 * 86400]


def classify(
    cron: Cron, zone: str, start: int, n: int, ours: list[int], theirs: list[int]
) -> tuple[list[str], list[str]]:
    """(explained, unexplained) disagreements between two lists of at most n epoch seconds."""
    inf = float("inf")
    horizon = min(ours[-1] if len(ours) == n else inf, theirs[-1] if len(theirs) == n else inf)
    mine = {t for t in ours if t <= horizon}
    q = {t for t in theirs if t <= horizon}
    explained, unexplained = [], []
    for t, side in [(t, "ours") for t in mine - q] + [(t, "quartz") for t in q - mine]:
        rule = _rule(cron, zone, start, horizon, t, side, set(ours), set(theirs))
        line = f"{side} only: {_show(t, zone)}"
        (explained if rule else unexplained).append(f"{rule}: {line}" if rule else line)
    return explained, unexplained


def _rule(
    cron: Cron, zone: str, start: int, horizon: float, t: int, side: str,
    ours: set[int], theirs: set[int],
) -> str | None:  # fmt: skip
    for tr in near(zone, t):
        d = tr.before - tr.after  # > 0: clocks went back d seconds; < 0: they jumped ahead
        if d < 0:
            if side == "ours" and cron.fixed_time and t == tr.at:
                skipped = next_wall(cron.tables, tr.at + tr.before)
                if skipped is not None and skipped < tr.at + tr.after:
                    return SPRING_GAP
        elif d > 0 and tr.at - d <= t < tr.at + d:  # in the first or the second pass
            if not cron.fixed_time:
                # We fire every real instant whose wall time matches; Quartz's wall clock
                # never runs backwards, so it fires a repeated hour at most once.
                if side == "ours":
                    return FOLD_BOTH
            elif side == "ours" and t < tr.at:
                if t + d in theirs or t + d > horizon:
                    return FOLD_FIRST
            elif side == "quartz" and t >= tr.at:
                if t - d in ours or t - d <= start:
                    return FOLD_FIRST
    return None


def _show(t: int, zone: str) -> str:
    at = datetime.fromtimestamp(t, UTC)
    return f"{at:%Y-%m-%d %H:%M:%S}Z = {at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S %Z}"
