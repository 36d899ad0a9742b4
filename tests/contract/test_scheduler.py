"""The scheduler on SQLite and on a real PostgreSQL, with a driven clock: each fire is one
invocation (run or SKIPPED with its reason), misfire and overlap policies, start deadlines,
and replicas racing over the same schedules."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from iguazu.batch import Batch
from iguazu.cron import parse
from iguazu.firing import between
from iguazu.jobs import JobRegistry
from iguazu.models import (
    Invocation,
    Launch,
    Misfire,
    Overlap,
    Schedule,
    ScheduleRequest,
    State,
    utcnow,
)
from iguazu.models import Isolation as Iso
from iguazu.scheduler import Scheduler
from iguazu.schedules import Schedules
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store, tables

REGISTRY = JobRegistry.load(("iguazu.examples",))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_batch(store: Store, tmp_path: Path) -> Batch:
    return Batch(store=store, registry=REGISTRY, queues=DEFAULT_QUEUES, log_dir=tmp_path / "logs")


@pytest.fixture
def parts(any_store: Store, tmp_path: Path) -> tuple[Schedules, Scheduler, Clock]:
    batch = make_batch(any_store, tmp_path)
    clock = Clock(utcnow())
    return (
        Schedules(store=any_store, batch=batch, clock=clock),
        Scheduler(store=any_store, batch=batch, clock=clock),
        clock,
    )


def add(schedules: Schedules, cron: str, **kw: object) -> Schedule:
    return schedules.create(ScheduleRequest(family="demo", job_name="noop", cron=cron, **kw))  # type: ignore[arg-type]


def fired(store: Store, schedule_id: str) -> list[Invocation]:
    """The schedule's invocations, oldest fire first."""
    return sorted(store.schedule_invocations(schedule_id, limit=100_000), key=lambda i: i.fire_time)  # type: ignore[arg-type, return-value]


def run_until(scheduler: Scheduler, clock: Clock, end: datetime, step: float = 0.5) -> None:
    while clock.now < end:
        clock.advance(step)
        scheduler.step()


def start(store: Store, inv: Invocation, now: datetime) -> None:
    """Play a dispatcher: claim it and record it RUNNING."""
    claimed = store.claim("agent-t", 10_000, 100_000, now)
    assert inv.id in [c.id for c in claimed]
    store.mark_running(
        [Launch(invocation_id=inv.id, pid=1, cluster_ref="local:t/1", isolation=Iso.NONE)], now
    )


def test_each_fire_is_one_queued_invocation_on_time(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "*/2 * * * * ?", overlap=Overlap.ALLOW)
    begin = clock.now
    run_until(scheduler, clock, begin + timedelta(seconds=20))
    invs = fired(scheduler.store, s.id)
    assert [i.fire_time for i in invs] == list(between(parse(s.cron), "UTC", begin, clock.now))
    assert len(invs) == 10
    assert {i.state for i in invs} == {State.QUEUED}
    assert all(i.created_at - i.fire_time < timedelta(seconds=0.5) for i in invs)  # type: ignore[operator]
    assert all(i.schedule_id == s.id and i.job == "demo/noop" for i in invs)
    events = scheduler.store.events(invs[0].id)
    assert f"fired by schedule {s.id}" in events[0].message
    assert scheduler.store.get_schedule(s.id).next_fire_at == invs[-1].fire_time + timedelta(
        seconds=2
    )  # type: ignore[operator]


def test_nothing_due_means_nothing_written_and_a_sleep_until_the_next_fire(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "0 0 * * *")
    assert scheduler.step() == 0
    assert fired(scheduler.store, s.id) == []
    expected = (s.next_fire_at - clock.now).total_seconds()  # type: ignore[operator]
    assert scheduler.sleep_for() == pytest.approx(min(expected, scheduler.max_sleep), abs=0.01)
    clock.now = s.next_fire_at - timedelta(seconds=3)  # type: ignore[operator]
    assert scheduler.sleep_for() == pytest.approx(3.0, abs=0.01)


def test_forbid_skips_a_fire_while_the_previous_invocation_is_live(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * * ?")  # overlap forbid is the default
    clock.now = s.next_fire_at  # type: ignore[assignment]
    scheduler.step()
    first = fired(scheduler.store, s.id)[0]
    start(scheduler.store, first, clock.now)
    clock.advance(1)
    scheduler.step()
    second = fired(scheduler.store, s.id)[1]
    assert second.state is State.SKIPPED
    assert second.reason == f"the previous invocation {first.id} is still RUNNING (overlap forbid)"
    scheduler.store.finish(first.id, State.SUCCEEDED, reason="exit 0", now=clock.now)
    clock.advance(1)
    scheduler.step()
    third = fired(scheduler.store, s.id)[2]
    assert third.state is State.QUEUED and third.waits_for is None


def test_replace_cancels_the_live_one_and_the_new_one_waits_for_its_end(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    store = scheduler.store
    s = add(schedules, "* * * * * ?", overlap=Overlap.REPLACE)
    clock.now = s.next_fire_at  # type: ignore[assignment]
    scheduler.step()
    old = fired(store, s.id)[0]
    start(store, old, clock.now)
    clock.advance(1)
    scheduler.step()
    old, new = fired(store, s.id)
    assert old.state is State.RUNNING and old.cancel_requested
    assert "cancel requested: replaced by the fire at" in store.events(old.id)[-1].message
    assert new.state is State.QUEUED and new.waits_for == old.id
    assert store.claim("agent-t", 10_000, 100_000, clock.now) == []  # held until old ends
    store.finish(old.id, State.CANCELLED, reason="cancelled", now=clock.now)
    claimed = store.claim("agent-t", 10_000, 100_000, clock.now)
    assert [c.id for c in claimed] == [new.id]
    assert f"{old.id} ended CANCELLED: may start" in [e.message for e in store.events(new.id)]


def test_replace_cancels_a_queued_predecessor_at_once(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * * ?", overlap=Overlap.REPLACE)
    clock.now = s.next_fire_at  # type: ignore[assignment]
    scheduler.step()
    clock.advance(1)
    scheduler.step()
    old, new = fired(scheduler.store, s.id)
    assert old.state is State.CANCELLED and "replaced by the fire at" in (old.reason or "")
    assert new.state is State.QUEUED and new.waits_for is None


@pytest.mark.parametrize(
    ("misfire", "expected"),
    [
        (Misfire.SKIP, [False] * 10 + [True]),
        (Misfire.LATEST, [False] * 10 + [True]),  # the on-time fire supersedes the latest miss
        (Misfire.ALL, [False] * 7 + [True] * 4),  # catchup_limit 3, plus the on-time one
    ],
)
def test_after_downtime_missed_fires_follow_the_misfire_policy(
    parts: tuple[Schedules, Scheduler, Clock], misfire: Misfire, expected: list[bool]
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * *", misfire=misfire, catchup_limit=3, overlap=Overlap.ALLOW)
    clock.now = s.next_fire_at + timedelta(minutes=10, seconds=5)  # type: ignore[operator]
    scheduler.step()
    invs = fired(scheduler.store, s.id)
    assert [i.state is State.QUEUED for i in invs] == expected
    skipped = [i for i in invs if i.state is State.SKIPPED]
    assert all("past the 60 s grace" in (i.reason or "") for i in skipped)
    assert [i.fire_time for i in invs] == [s.next_fire_at + timedelta(minutes=m) for m in range(11)]  # type: ignore[operator]


def test_catch_up_under_forbid_runs_the_missed_fires_one_after_another(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    store = scheduler.store
    s = add(schedules, "* * * * *", misfire=Misfire.ALL, catchup_limit=3)
    clock.now = s.next_fire_at + timedelta(minutes=2, seconds=1)  # type: ignore[operator]
    scheduler.step()
    a, b, c = fired(store, s.id)
    assert (a.waits_for, b.waits_for, c.waits_for) == (None, a.id, b.id)
    assert [i.id for i in store.claim("agent-t", 10_000, 100_000, clock.now)] == [a.id]
    store.finish(a.id, State.SUCCEEDED, reason="exit 0", now=clock.now)
    assert [i.id for i in store.claim("agent-t", 10_000, 100_000, clock.now)] == [b.id]


def test_a_fire_still_waiting_past_its_start_deadline_is_skipped(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    store = scheduler.store
    s = add(schedules, "0 * * * * ?", start_deadline=30)
    clock.now = s.next_fire_at + timedelta(seconds=1)  # type: ignore[operator]
    scheduler.step()
    (inv,) = fired(store, s.id)
    assert inv.deadline_at == inv.fire_time + timedelta(seconds=30)  # type: ignore[operator]
    assert scheduler.sleep_for() == pytest.approx(29.0, abs=0.01)
    clock.advance(29.5)
    assert store.claim("agent-t", 10_000, 100_000, clock.now) == []  # past it: never started
    scheduler.step()
    inv = store.get(inv.id)
    assert inv.state is State.SKIPPED
    assert inv.reason is not None and inv.reason.startswith("start deadline ")


def test_a_paused_schedule_does_not_fire_and_resumes_from_now(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * * ?", paused=True)
    clock.advance(5)
    assert scheduler.step() == 0
    assert fired(scheduler.store, s.id) == []
    resumed = schedules.resume(s.id)
    assert not resumed.paused and resumed.next_fire_at > s.next_fire_at  # type: ignore[operator]


def test_a_fire_of_a_job_that_is_gone_is_recorded_failed(
    parts: tuple[Schedules, Scheduler, Clock], tmp_path: Path
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * * ?")
    gone = Batch(
        store=scheduler.store,
        registry=JobRegistry.load(()),
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path,
    )
    other = Scheduler(store=scheduler.store, batch=gone, clock=clock)
    clock.now = s.next_fire_at  # type: ignore[assignment]
    other.step()
    (inv,) = fired(scheduler.store, s.id)
    assert inv.state is State.FAILED
    assert inv.reason == "could not start: unknown job demo/noop"


def test_the_due_query_reads_an_index_not_every_schedule(any_store: Store) -> None:
    if any_store.dialect != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    with any_store.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM schedules WHERE paused = 0 "
            "AND next_fire_at <= '2026-01-01' ORDER BY next_fire_at LIMIT 200"
        ).all()
    assert any("USING INDEX ix_schedules_due" in row[-1] for row in plan), plan


@pytest.fixture
def replicas(any_url: str, tmp_path: Path) -> Iterator[list[Store]]:
    stores = [Store(any_url) for _ in range(3)]
    stores[0].migrate()
    yield stores
    for s in stores:
        s.close()


def test_three_replicas_fire_each_fire_exactly_once_and_miss_none(
    replicas: list[Store], tmp_path: Path
) -> None:
    """Three schedulers, each with its own connections, race over 300 schedules for three
    minutes of driven time: every fire of every schedule has exactly one invocation."""
    clock = Clock(utcnow())
    batches = [make_batch(store, tmp_path) for store in replicas]
    front = Schedules(store=replicas[0], batch=batches[0])
    expressions = ["*/5 * * * * ?", "*/7 * * * * ?", "*/10 * * * * ?", "0/15 * * * * ?"]
    expressions.append("* * * * *")
    made = [
        front.create(
            ScheduleRequest(
                family="demo",
                job_name="noop",
                cron=expressions[n % len(expressions)],
                overlap=[Overlap.ALLOW, Overlap.FORBID][n % 2],
            )
        )
        for n in range(300)
    ]
    begin = min(s.next_fire_at for s in made)  # type: ignore[type-var]
    clock.now = begin - timedelta(seconds=1)
    schedulers = [
        Scheduler(store=s, batch=b, clock=clock, batch_size=50)
        for s, b in zip(replicas, batches, strict=True)
    ]
    end = begin + timedelta(minutes=3)
    while clock.now < end:
        clock.advance(1)
        threads = [threading.Thread(target=s.step) for s in schedulers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    c = tables.invocations.c
    with replicas[0].engine.connect() as conn:
        rows = conn.execute(sa.select(c.schedule_id, c.fire_time, c.state)).all()
    per_fire = Counter((r[0], r[1]) for r in rows)
    assert max(per_fire.values()) == 1, "a fire has two invocations"
    for s in made:
        expected = list(between(parse(s.cron), "UTC", s.next_fire_at, clock.now))  # type: ignore[arg-type]
        got = sorted(t for (sid, t) in per_fire if sid == s.id)
        assert got == expected, f"schedule {s.id} {s.cron}: fires missing or extra"
    states = Counter(r[2] for r in rows)
    assert set(states) <= {"QUEUED", "SKIPPED"}
    assert states["QUEUED"] > 0 and states["SKIPPED"] > 0  # forbid skipped behind queued ones


def test_a_sleeping_scheduler_wakes_for_a_new_schedule_and_not_for_batch_work(
    any_store: Store, tmp_path: Path
) -> None:
    """The real loop, asleep with nothing scheduled (it would sleep max_sleep = 60 s): a new
    schedule wakes it at once; a stream of plain invocations does not."""
    from iguazu.models import InvocationRequest

    from ..waiting import eventually

    batch = make_batch(any_store, tmp_path)
    scheduler = Scheduler(store=any_store, batch=batch, max_sleep=60.0)
    stop = threading.Event()
    runner = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
    runner.start()
    try:
        eventually(lambda: scheduler.passes >= 1)
        passes = scheduler.passes
        for _ in range(30):
            batch.submit(InvocationRequest(family="demo", job_name="noop"))
        time.sleep(0.5)  # what a wake-up would have needed to cause a pass, many times over
        assert scheduler.passes == passes
        s = Schedules(store=any_store, batch=batch).create(
            ScheduleRequest(family="demo", job_name="noop", cron="* * * * * ?")
        )
        eventually(lambda: len(fired(any_store, s.id)) >= 2, timeout=10)
    finally:
        stop.set()
        scheduler.poke.set()
        runner.join(10)


def test_a_bad_schedule_is_recorded_failed_and_the_others_still_fire(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    """A schedule whose zone this host lacks (saved elsewhere) makes deciding raise: it gets
    one FAILED record with the reason, and the schedule behind it fires as usual."""
    schedules, scheduler, clock = parts
    store = scheduler.store
    good = add(schedules, "* * * * * ?", overlap=Overlap.ALLOW)
    bad = good.replace(id="bad-zone-0000000", timezone="Mars/Olympus_Mons")
    store.create_schedule(bad.replace(next_fire_at=good.next_fire_at - timedelta(seconds=1)))  # type: ignore[operator]
    clock.now = good.next_fire_at  # type: ignore[assignment]
    scheduler.step()
    (failed,) = store.schedule_invocations(bad.id)
    assert failed.state is State.FAILED and "Mars/Olympus_Mons" in (failed.reason or "")
    assert store.get_schedule(bad.id).next_fire_at is None  # cannot be computed here either
    assert [i.state for i in fired(store, good.id)] == [State.QUEUED]


def test_a_trigger_on_a_fire_second_does_not_take_the_fires_key(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * * ?", overlap=Overlap.ALLOW)
    clock.now = s.next_fire_at  # type: ignore[assignment]
    triggered = schedules.trigger(s.id)
    assert triggered.fire_time != s.next_fire_at
    scheduler.step()
    assert [i.fire_time for i in fired(scheduler.store, s.id)] == [
        s.next_fire_at,
        triggered.fire_time,
    ]


def test_resume_leaves_an_active_schedules_missed_fires_to_its_misfire_policy(
    parts: tuple[Schedules, Scheduler, Clock],
) -> None:
    schedules, scheduler, clock = parts
    s = add(schedules, "* * * * *", misfire=Misfire.SKIP)
    clock.advance(600)
    assert schedules.resume(s.id).next_fire_at == s.next_fire_at
    scheduler.step()
    assert len([i for i in fired(scheduler.store, s.id) if i.state is State.SKIPPED]) >= 9


def test_a_retry_of_a_fired_invocation_is_recorded_with_its_exit(
    any_store: Store, tmp_path: Path
) -> None:
    """A scheduled job that opts in to retries: its failure and the new attempt are written
    together; the attempt keeps the schedule but not the fire's key."""
    from iguazu.dispatcher import Dispatcher
    from iguazu.models import Exit

    registry = JobRegistry.load(("iguazu.examples", "tests.jobs.corejobs"))
    batch = Batch(store=any_store, registry=registry, queues=DEFAULT_QUEUES, log_dir=tmp_path)
    clock = Clock(utcnow())
    s = Schedules(store=any_store, batch=batch, clock=clock).create(
        ScheduleRequest(
            family="core",
            job_name="flaky",
            cron="* * * * * ?",
            parameters={"path": str(tmp_path / "f")},
        )
    )
    clock.now = s.next_fire_at  # type: ignore[assignment]
    Scheduler(store=any_store, batch=batch, clock=clock).step()
    (inv,) = fired(any_store, s.id)
    start(any_store, inv, clock.now)
    dispatcher = Dispatcher(store=any_store, registry=registry, cluster=None)  # type: ignore[arg-type]
    exit_ = Exit(invocation_id=inv.id, state=State.FAILED, exit_code=1, reason="exit 1")
    assert any_store.finish_many([exit_], clock.now, retry=dispatcher._retry)
    first, again = sorted(any_store.schedule_invocations(s.id), key=lambda i: i.attempt)
    assert first.state is State.FAILED
    assert again.state is State.QUEUED and again.retry_of == first.id
    assert again.schedule_id == s.id and again.fire_time is None and again.waits_for is None
