"""Next-fire computations per second: iguazu.cron beside croniter (and cronsim) in one run.

Each row chains next-fire computations from a fixed start, feeding each result back as the
next start, the way a scheduler walks a schedule, and starts over every CHAIN computations (a
scheduler asks about the coming days, not the coming centuries; a monthly schedule chained
20,000 times would reach the year 3700). Ours calls the pure next_fire(cron, after, tz) every
time (nothing carried over but the parsed Cron); croniter and cronsim keep their own iterator,
their cheapest way, made anew at each start over. Rows in Quartz syntax (seconds, ?, L, W, #,
years) are ours alone: croniter reads 5/6-field Unix syntax only. The ratio and the total
compare only the rows that both accept.

    .venv/bin/python bench/cron_next.py [--n 20000]      (pip install -e '.[bench]')
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from iguazu.cron import next_fire, parse

START = datetime(2024, 1, 1, tzinfo=UTC)
CHAIN = 50
ROWS = [  # expression, zone
    ("*/5 * * * *", "UTC"),
    ("0 9 * * 1-5", "America/Los_Angeles"),
    ("30 2 * * *", "Europe/Berlin"),
    ("0 0 1 * *", "Australia/Sydney"),
    ("15 10 * * 0", "UTC"),
    ("0 */2 * * *", "America/Los_Angeles"),
    ("0 0 13 * 5", "UTC"),
    ("@hourly", "Europe/London"),
    ("0 15,45 * 1/1 * 7 *", "UTC"),
    ("0 0 12 ? * 6#3", "America/Los_Angeles"),
    ("0 0 0 LW * ?", "Europe/Berlin"),
    ("0 15 10 L-3 * ?", "Australia/Sydney"),
    ("0 30 9 ? * MON-FRI 2025-2090", "UTC"),
    ("0 30 1 15W * ?", "Australia/Lord_Howe"),
    ("*/10 * * * * ?", "America/Santiago"),
]


def rate(start: Callable[[], Callable[[], object]], n: int) -> float:
    """Calls per second of the step functions that start() makes, CHAIN steps each."""
    t0 = time.perf_counter()
    done = 0
    while done < n:
        step = start()
        for _ in range(min(CHAIN, n - done)):
            step()
        done += CHAIN
    return n / (time.perf_counter() - t0)


def ours(expr: str, zone: str, n: int) -> float:
    cron = parse(expr)

    def start() -> Callable[[], object]:
        after = START

        def step() -> None:
            nonlocal after
            after = next_fire(cron, after, zone)  # type: ignore[assignment]

        return step

    return rate(start, n)


def croniter_rate(expr: str, zone: str, n: int) -> float | None:
    try:
        from croniter import croniter
    except ImportError:
        return None
    if len(expr.split()) != 5 and not expr.startswith("@"):
        return None
    begin = START.astimezone(ZoneInfo(zone))

    def start() -> Callable[[], object]:
        it = croniter(expr, begin)
        return lambda: it.get_next(datetime)

    return rate(start, n)


def cronsim_rate(expr: str, zone: str, n: int) -> float | None:
    try:
        from cronsim import CronSim
    except ImportError:
        return None
    if len(expr.split()) != 5:
        return None
    begin = START.astimezone(ZoneInfo(zone))

    def start() -> Callable[[], object]:
        it = CronSim(expr, begin)
        return lambda: next(it)

    return rate(start, n)


def cell(v: float | None) -> str:
    return f"{v:>10,.0f}" if v else f"{'-':>10}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="computations per row")
    n = parser.parse_args().n
    for expr, zone in ROWS:  # warm caches (zone changes, parsed tables) on every side
        ours(expr, zone, 50)
        croniter_rate(expr, zone, 50)
    print(f"next-fire computations per second, {n} per row, chained {CHAIN} at a time")
    print(
        f"{'expression':<32}{'zone':<22}{'iguazu':>10}{'croniter':>10}{'cronsim':>10}{'ratio':>7}"
    )
    shared_ours = shared_theirs = 0.0
    for expr, zone in ROWS:
        mine = ours(expr, zone, n)
        theirs = croniter_rate(expr, zone, n)
        sim = cronsim_rate(expr, zone, n)
        ratio = f"{mine / theirs:6.1f}x" if theirs else f"{'-':>7}"
        if theirs:
            shared_ours += n / mine
            shared_theirs += n / theirs
        print(f"{expr:<32}{zone:<22}{cell(mine)}{cell(theirs)}{cell(sim)}{ratio}")
    if shared_theirs:
        print(
            f"\nrows both accept: iguazu {shared_theirs / shared_ours:.1f}x croniter "
            f"(total time {shared_ours:.2f} s vs {shared_theirs:.2f} s)"
        )
    else:
        print("\ncroniter is not installed: pip install -e '.[bench]'")


if __name__ == "__main__":
    main()
