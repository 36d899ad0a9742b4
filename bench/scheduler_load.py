"""The scheduler with 100,000 active schedules spread over the day (embedded SQLite, or
PostgreSQL with --url).

* idle pass: one scheduler pass with nothing due, with 1,000 schedules and then with all of
  them: the baseline of the ratio (a pass reads the due index, not the schedules);
* driven clock: an hour of schedule time, the clock jumping to each next fire as the
  scheduler's own sleep would: fires, passes, CPU seconds per hour of schedule time;
* real time: the scheduler's own loop (`Scheduler.run`, sleeping until the next fire or a
  wake-up) for --seconds; fire lateness = the invocation's created_at - its fire time;
* burst: --burst schedules all due at the same second, in real time: lateness of the last;
* resident memory (RSS) of this process, which is the scheduler, after all of it.

Each schedule is a daily Quartz expression `S M H * * ?` at a seeded random second of the
day, in one of a few zones; overlap allow (a daily job does not overlap itself).

    .venv/bin/python bench/scheduler_load.py [--schedules 100000] [--seconds 120]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from iguazu.batch import Batch
from iguazu.cron import next_fire, parse
from iguazu.jobs import JobRegistry
from iguazu.models import Misfire, Overlap, Schedule, new_schedule_id, utcnow
from iguazu.scheduler import Scheduler
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store
from iguazu.store import tables as t
from iguazu.store.wakeup import SCHEDULES

ZONES = ("UTC", "America/Los_Angeles", "Europe/Paris", "Asia/Kolkata")


class Clock:
    def __init__(self) -> None:
        self.now: datetime | None = None  # None: real time

    def __call__(self) -> datetime:
        return self.now or utcnow()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make(now: datetime, rng: random.Random, *, at: datetime | None = None) -> Schedule:
    if at is None:
        second = rng.randrange(86400)
        expr = f"{second % 60} {second // 60 % 60} {second // 3600} * * ?"
        zone = rng.choice(ZONES)
    else:
        expr, zone = f"{at.second} {at.minute} {at.hour} * * ?", "UTC"
    return Schedule(
        id=new_schedule_id(),
        family="demo",
        job_name="noop",
        cron=expr,
        timezone=zone,
        parameters={},
        queue="default",
        overlap=Overlap.ALLOW,
        misfire=Misfire.LATEST,
        misfire_grace=60.0,
        catchup_window=86400.0,
        catchup_limit=10,
        start_deadline=None,
        paused=False,
        description="",
        created_at=now,
        updated_at=now,
        next_fire_at=next_fire(parse(expr), now, zone),
    )


def insert(store: Store, schedules: list[Schedule]) -> None:
    rows = []
    for s in schedules:
        row = {c.name: getattr(s, c.name) for c in t.schedules.c}
        row["overlap"], row["misfire"] = s.overlap.value, s.misfire.value
        rows.append(row)
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(t.schedules.insert(), rows[i : i + 5000])


def idle_pass_ms(scheduler: Scheduler, clock: Clock, n: int = 200) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        scheduler.step()
        scheduler.sleep_for()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def lateness_ms(store: Store, since: datetime) -> list[tuple[datetime, float]]:
    """(fire time, created_at - fire time in ms) of each invocation fired since `since`."""
    c = t.invocations.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.created_at, c.fire_time).where(c.fire_time >= since))
        return [(r.fire_time, (r.created_at - r.fire_time).total_seconds() * 1000) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--url", help="a PostgreSQL URL (a fresh, empty database)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="iguazu-bench-"))
    store = Store(args.url or f"sqlite:///{tmp / 'iguazu.db'}")
    store.migrate()
    batch = Batch(
        store=store,
        registry=JobRegistry.load(("iguazu.examples",)),
        queues=DEFAULT_QUEUES,
        log_dir=tmp / "logs",
    )
    clock = Clock()
    scheduler = Scheduler(store=store, batch=batch, clock=clock)
    rng = random.Random(7)
    now = utcnow()
    rss_start = rss_mib()

    insert(store, [make(now, rng) for _ in range(1000)])
    idle_small = idle_pass_ms(scheduler, clock)
    t0 = time.perf_counter()
    insert(store, [make(now, rng) for _ in range(args.schedules - 1000)])
    load_s = time.perf_counter() - t0
    idle_full = idle_pass_ms(scheduler, clock)

    # Driven clock: one hour of schedule time, jumping from fire to fire.
    start = utcnow()
    end = start + timedelta(hours=1)
    clock.now = start
    cpu0, wall0, passes, fired = time.process_time(), time.perf_counter(), 0, 0
    while True:
        due = store.next_fire_due()
        if due is None or due > end:
            break
        clock.now = due
        fired += scheduler.step()
        passes += 1
    cpu_hour = time.process_time() - cpu0
    wall_hour = time.perf_counter() - wall0
    driven_fires = fired

    # Real time: the schedules were moved on by the driven hour; put the clock back and
    # re-arm them at their next fire after now, then let the real loop run.
    clock.now = None
    with store.engine.begin() as conn:
        conn.execute(t.invocations.delete())
    rearm = utcnow()
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.schedules.c.id, t.schedules.c.cron, t.schedules.c.timezone)
        ).all()
    with store.engine.begin() as conn:
        conn.execute(
            t.schedules.update().where(t.schedules.c.id == sa.bindparam("sid")),
            [
                {"sid": r.id, "next_fire_at": next_fire(parse(r.cron), rearm, r.timezone)}
                for r in rows
            ],
        )
    stop = threading.Event()
    runner = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    real_start = utcnow()
    cpu0 = time.process_time()
    runner.start()
    time.sleep(args.seconds)
    # The burst: `--burst` more schedules due at one second, 3 s from now.
    at = (utcnow() + timedelta(seconds=3)).replace(microsecond=0)
    insert(store, [make(utcnow(), rng, at=at) for _ in range(args.burst)])
    store.notify(SCHEDULES)  # as a create does: the scheduler reads the new due time
    time.sleep(6)
    stop.set()
    scheduler.poke.set()
    runner.join(10)
    cpu_real = time.process_time() - cpu0
    late = lateness_ms(store, real_start)
    burst_late = [ms for fire, ms in late if fire == at]
    spread = [ms for fire, ms in late if fire != at]
    rss_end = rss_mib()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    db = "PostgreSQL" if args.url else "SQLite"
    print(f"scheduler_load.py --schedules {args.schedules} --seconds {args.seconds:g} ({db})")
    print(f"{'what':<58}{'value':>14}")
    rows_out = [
        ("schedules loaded (bulk insert, s)", f"{load_s:.1f}"),
        ("idle pass, 1,000 schedules (median ms)  [baseline]", f"{idle_small:.2f}"),
        (f"idle pass, {args.schedules:,} schedules (median ms)", f"{idle_full:.2f}"),
        ("  ratio to baseline", f"{idle_full / idle_small:.2f}"),
        ("driven hour: fires", f"{driven_fires:,}"),
        ("driven hour: scheduler passes", f"{passes:,}"),
        ("driven hour: CPU seconds per hour of schedule time", f"{cpu_hour:.2f}"),
        ("driven hour: wall seconds", f"{wall_hour:.2f}"),
        ("driven hour: CPU ms per fire", f"{cpu_hour / max(1, driven_fires) * 1000:.2f}"),
        (f"real time {args.seconds:g} s: fires (spread)", f"{len(spread):,}"),
        ("real time: lateness p50 ms", f"{pct(spread, 50):.1f}" if spread else "-"),
        ("real time: lateness p99 ms", f"{pct(spread, 99):.1f}" if spread else "-"),
        ("real time: lateness max ms", f"{max(spread):.1f}" if spread else "-"),
        ("real time: CPU % of one core", f"{cpu_real / (args.seconds + 6) * 100:.1f}"),
        (
            f"burst: {len(burst_late):,} schedules due at one second, p50 ms",
            f"{pct(burst_late, 50):.1f}" if burst_late else "-",
        ),
        ("burst: lateness of the last ms", f"{max(burst_late):.1f}" if burst_late else "-"),
        ("RSS at start MiB", f"{rss_start:.0f}"),
        ("RSS at end MiB (peak)", f"{rss_end:.0f} ({maxrss:.0f})"),
    ]
    for what, value in rows_out:
        print(f"{what:<58}{value:>14}")
    store.close()


if __name__ == "__main__":
    main()
