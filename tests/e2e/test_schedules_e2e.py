"""Recurring schedules end to end: real `iguazu up` and `iguazu worker` processes, real jobs
and the real clock. Nothing here times anything; every assert is about what happened: which
fires became invocations (each once, none missing), when they were written relative to their
fire time, which ran and which were skipped, and what the jobs themselves wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from iguazu.batch import Batch
from iguazu.client import Client
from iguazu.jobs import JobRegistry
from iguazu.models import Invocation, Overlap, Schedule, ScheduleRequest, State
from iguazu.schedules import Schedules
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store, tables

from ..contract import conftest as contract
from ..contract.test_at_most_once import JOBS, Workers
from ..waiting import eventually
from .test_up import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]

# The PostgreSQL fixtures of the contract suite (a fresh migrated database per test; skipped
# without $IGUAZU_TEST_POSTGRES_URL), made visible to this module.
pg_template = contract.pg_template
pg_url = contract.pg_url

# Every expression here fires on whole seconds, every N seconds, N dividing 60: its fires are
# exactly the instants t with t.second % N == 0, so they are checked without the product's
# own cron code.
STEP = {
    "*/2 * * * * ?": 2,
    "* * * * * ?": 1,
    "*/3 * * * * ?": 3,
    "*/4 * * * * ?": 4,
    "*/5 * * * * ?": 5,
}


def assert_consecutive(cron: str, times: Sequence[datetime], first: datetime | None = None) -> None:
    """`times` (sorted) are consecutive fires of `cron`: none missing, none twice, nothing
    off the expression; starting at `first` when given."""
    step = STEP[cron]
    assert times, f"no fires of {cron!r}"
    for t in times:
        assert t.microsecond == 0 and t.second % step == 0, f"{t} is not a fire of {cron!r}"
    expected = [times[0] + timedelta(seconds=step * k) for k in range(len(times))]
    assert list(times) == expected, f"fires of {cron!r} missing or doubled: {list(times)}"
    if first is not None:
        assert times[0] == first, f"the first fire {first} of {cron!r} is missing"


# -- `iguazu up` (embedded: SQLite, the API and a worker process) --------------------------


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Client]:
    port = free_port()
    config = tmp_path / "iguazu.toml"
    config.write_text(
        f'data_dir = "{tmp_path}"\nport = {port}\nheartbeat_seconds = 0.5\n'
        '[jobs]\nmodules = ["iguazu.examples", "tests.jobs.corejobs"]\n'
    )
    log = open(tmp_path / "up.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "iguazu", "up", "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Client(f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: client.agents(), what="the worker's agent")
        yield client
    finally:
        client.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # stops its worker too (and the worker's jobs)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def fired(client: Client, schedule_id: str) -> list[Invocation]:
    """Every invocation of the schedule, oldest fire first."""
    invs = client.list(family="core", job_name="appendid", limit=1000)
    mine = [i for i in invs if i.schedule_id == schedule_id]
    return sorted(mine, key=lambda i: i.fire_time or i.created_at)


def fire_times(invs: Sequence[Invocation]) -> list[datetime]:
    return [i.fire_time for i in invs if i.fire_time is not None]


def settled(client: Client, schedule_id: str) -> list[Invocation]:
    """Wait until none of the schedule's invocations is waiting or running."""
    return eventually(
        lambda: fired(client, schedule_id),
        lambda invs: all(i.state.terminal for i in invs),
        timeout=30,
        what="the schedule's invocations to end",
    )


def lines(path: Path) -> Counter[str]:
    return Counter(path.read_text().split()) if path.exists() else Counter()


def test_up_fires_every_fire_once_on_time_and_pause_and_resume_hold(
    up: Client, tmp_path: Path
) -> None:
    client = up
    out, beside = tmp_path / "ran.txt", tmp_path / "beside.txt"
    cron = "*/2 * * * * ?"
    s = client.create_schedule(
        ScheduleRequest(
            family="core",
            job_name="appendid",
            cron=cron,
            overlap=Overlap.ALLOW,
            parameters={"path": str(out)},
        )
    )
    assert s.next_fire_at is not None
    # A neighbour firing every second keeps the scheduler busy while `s` is paused.
    other = client.create_schedule(
        ScheduleRequest(
            family="core",
            job_name="appendid",
            cron="* * * * * ?",
            overlap=Overlap.ALLOW,
            parameters={"path": str(beside)},
        )
    )

    invs = eventually(
        lambda: fired(client, s.id),
        lambda invs: sum(i.state is State.SUCCEEDED for i in invs) >= 3,
        timeout=30,
        what="three fires to succeed",
    )
    assert_consecutive(cron, fire_times(invs), first=s.next_fire_at)
    for inv in invs:
        assert inv.state in (State.QUEUED, State.STARTING, State.RUNNING, State.SUCCEEDED), inv
        assert inv.fire_time is not None
        # Written at its fire time, not before it and not long after (a correctness bound,
        # not a speed figure: a scheduler that fires on time is milliseconds late).
        late = inv.created_at - inv.fire_time
        assert timedelta(0) <= late < timedelta(seconds=2), (inv.id, inv.fire_time, late)
        if inv.started_at is not None:
            assert inv.started_at >= inv.fire_time

    # Paused: nothing more fires while its neighbour goes on firing, and nothing fired
    # while paused is made up on resume.
    assert client.pause_schedule(s.id).paused
    paused_at = datetime.now(UTC)
    before = settled(client, s.id)
    written = lines(out)
    eventually(  # past at least one of its fire times, with the scheduler at work throughout
        lambda: fire_times(fired(client, other.id)),
        lambda times: max(times) >= paused_at + timedelta(seconds=3),
        timeout=30,
        what="the neighbour to fire 3 s past the pause",
    )
    assert fired(client, s.id) == before, "a paused schedule fired"
    assert lines(out) == written

    resumed_at = datetime.now(UTC)
    assert not client.resume_schedule(s.id).paused
    after = eventually(
        lambda: fired(client, s.id),
        lambda invs: sum(i.state is State.SUCCEEDED for i in invs[len(before) :]) >= 2,
        timeout=30,
        what="two fires after resume",
    )
    assert after[: len(before)] == before
    new = after[len(before) :]
    assert_consecutive(cron, fire_times(new))
    assert min(fire_times(new)) > resumed_at, "a fire from the pause was made up"
    for inv in new:
        assert inv.fire_time is not None
        assert timedelta(0) <= inv.created_at - inv.fire_time < timedelta(seconds=2)

    assert client.pause_schedule(s.id).paused
    assert client.pause_schedule(other.id).paused
    # The neighbour was never paused: every one of its fires, the pause of `s` or not.
    assert_consecutive(other.cron, fire_times(settled(client, other.id)), first=other.next_fire_at)
    for schedule, path in ((s, out), (other, beside)):
        final = settled(client, schedule.id)
        assert {i.state for i in final} == {State.SUCCEEDED}
        # Every invocation ran, exactly once, and nothing else ran.
        assert lines(path) == Counter(i.id for i in final)


def test_up_overlap_forbid_skips_fires_while_the_long_job_runs_naming_it(
    up: Client, tmp_path: Path
) -> None:
    client = up
    out = tmp_path / "ran.txt"
    cron = "* * * * * ?"
    s = client.create_schedule(
        ScheduleRequest(
            family="core",
            job_name="appendid",
            cron=cron,
            overlap=Overlap.FORBID,
            parameters={"path": str(out), "sleep": 3.0},
        )
    )

    def runs(invs: list[Invocation]) -> list[Invocation]:
        return [i for i in invs if i.state is not State.SKIPPED]

    # The first run ends, and a later fire runs after it.
    eventually(
        lambda: fired(client, s.id),
        lambda invs: len(runs(invs)) >= 2 and runs(invs)[0].state.terminal,
        timeout=30,
        what="a run after the first one ended",
    )
    assert client.pause_schedule(s.id).paused
    invs = settled(client, s.id)

    assert_consecutive(cron, fire_times(invs), first=s.next_fire_at)
    ran = runs(invs)
    skipped = [i for i in invs if i.state is State.SKIPPED]
    assert len(ran) >= 2 and {i.state for i in ran} == {State.SUCCEEDED}, ran
    assert len(skipped) >= 2, "a 3 s job on a 1 s schedule must make fires skip"
    for skip in skipped:
        assert skip.fire_time is not None
        # It names the run before it, which was still live then.
        previous = [r for r in ran if r.fire_time and r.fire_time < skip.fire_time][-1]
        reason = skip.reason or ""
        assert f"the previous invocation {previous.id} is still" in reason, reason
        assert "(overlap forbid)" in reason, reason
        assert skip.started_at is None and skip.agent_id is None
        assert previous.started_at is not None and previous.ended_at is not None
        assert previous.created_at <= skip.created_at
    # Fires between the runs were skipped: no run began before the one before it ended.
    for a, b in zip(ran, ran[1:], strict=False):
        assert a.started_at and a.ended_at and b.started_at and b.ended_at
        assert a.ended_at <= b.started_at, f"{a.id} and {b.id} ran at the same time"
        assert a.ended_at <= b.created_at, f"{b.id} fired while {a.id} was still live"
        assert a.ended_at - a.started_at >= timedelta(seconds=2.5)  # it really did sleep
    # Runs ran once each; skipped fires never ran.
    assert lines(out) == Counter(i.id for i in ran)


# -- three `iguazu worker` processes on one PostgreSQL ----------------------------------------


def test_three_workers_on_postgresql_fire_150_schedules_each_fire_once_through_a_kill(
    pg_url: str, tmp_path: Path
) -> None:
    store = Store(pg_url)
    store.migrate()
    batch = Batch(
        store=store,
        registry=JobRegistry.load(JOBS),
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path / "logs",
    )
    front = Schedules(store=store, batch=batch)
    workers = Workers(pg_url, tmp_path)
    out = tmp_path / "ran.txt"
    c = tables.invocations.c

    def fires_since(since: datetime) -> dict[str, int]:
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.schedule_id, sa.func.count())
                .where(c.schedule_id.is_not(None), c.fire_time > since)
                .group_by(c.schedule_id)
            ).all()
        return {str(sid): int(n) for sid, n in rows}

    try:
        procs = [workers.start() for _ in range(3)]
        wait_for(lambda: len(store.agents()) == 3, what="three agents")
        # ~39 jobs a second in all (150 schedules, every 3, 4 or 5 s): moderate for 2 cores.
        expressions = ["*/3 * * * * ?", "*/5 * * * * ?", "*/4 * * * * ?"]
        made: list[Schedule] = [
            front.create(
                ScheduleRequest(
                    family="core",
                    job_name="appendid",
                    cron=expressions[n % len(expressions)],
                    overlap=Overlap.ALLOW,
                    parameters={"path": str(out)},
                )
            )
            for n in range(150)
        ]
        started = datetime.now(UTC)
        wait_for(
            lambda: (
                (n := fires_since(started - timedelta(seconds=10)))
                and len(n) == 150
                and min(n.values()) >= 2
            ),
            timeout=30,
            what="every schedule to fire twice",
        )

        # kill -9 one worker (its dispatcher, agent and scheduler) while jobs are firing.
        victim = procs[0]
        [dead_agent] = [a for a in store.agents() if a.pid == victim.pid]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        killed_at = datetime.now(UTC)
        # The two others keep firing every schedule.
        wait_for(
            lambda: (n := fires_since(killed_at)) and len(n) == 150 and min(n.values()) >= 3,
            timeout=40,
            what="every schedule to fire three times after the kill",
        )

        for s in made:
            front.pause(s.id)
        wait_for(
            lambda: not store.list(states=[State.QUEUED, State.STARTING, State.RUNNING]),
            timeout=40,
            what="every invocation to end",
        )
    finally:
        workers.stop()

    try:
        with store.engine.connect() as conn:
            doubled = conn.execute(
                sa.select(c.schedule_id, c.fire_time, sa.func.count())
                .where(c.schedule_id.is_not(None))
                .group_by(c.schedule_id, c.fire_time)
                .having(sa.func.count() > 1)
            ).all()
            rows = conn.execute(
                sa.select(c.id, c.schedule_id, c.fire_time, c.state, c.agent_id).where(
                    c.schedule_id.is_not(None)
                )
            ).all()
    finally:
        store.close()
    assert doubled == [], "a fire has more than one invocation"

    by_schedule: dict[str, list[datetime]] = {}
    for r in rows:
        by_schedule.setdefault(r.schedule_id, []).append(r.fire_time)
    assert set(by_schedule) == {s.id for s in made}
    for s in made:
        times = sorted(by_schedule[s.id])
        # From its first fire after it was saved to its last before the pause: every fire.
        assert_consecutive(s.cron, times, first=s.next_fire_at)
        assert times[-1] >= killed_at + timedelta(seconds=2 * STEP[s.cron]), s.id

    states = Counter(r.state for r in rows)
    assert set(states) <= {"SUCCEEDED", "LOST"}, states  # on time, overlap allow: all ran
    lost = [r for r in rows if r.state == "LOST"]
    assert all(r.agent_id == dead_agent.id for r in lost), "LOST only on the killed worker"
    # Each invocation's job ran at most once; each that succeeded ran exactly once.
    ran = lines(out)
    assert max(ran.values()) == 1, "a job ran twice"
    assert set(ran) <= {r.id for r in rows}
    assert {r.id for r in rows if r.state == "SUCCEEDED"} <= set(ran)
