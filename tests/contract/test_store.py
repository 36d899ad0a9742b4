"""The store's contract, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from iguazu.errors import Conflict, NotFound
from iguazu.models import Agent, Exit, Invocation, Isolation, Launch, State, new_id, utcnow
from iguazu.store import Store


def make(**over) -> Invocation:  # type: ignore[no-untyped-def]
    defaults = Invocation(
        id=new_id(),
        family="f",
        job_name="j",
        queue="default",
        priority=0,
        parameters={"n": 1},
        state=State.QUEUED,
        reserved_cpu=256,
        reserved_memory=128,
        timeout=None,
        command="python job m:J",
        created_at=utcnow(),
    )
    return defaults.replace(**over)


def test_created_invocation_reads_back_with_its_first_event(any_store: Store) -> None:
    inv, created = any_store.create(make(parameters={"a": [1, "ü"]}), "requested")
    assert created
    got = any_store.get(inv.id)
    assert got == inv
    assert got.created_at.tzinfo is not None
    [event] = any_store.events(inv.id)
    assert (event.state, event.message) == (State.QUEUED, "requested")


def test_unknown_invocation_is_not_found(any_store: Store) -> None:
    with pytest.raises(NotFound, match="no invocation nope"):
        any_store.get("nope")


def test_idempotency_key_returns_the_first_invocation_even_under_a_race(any_store: Store) -> None:
    results: list[tuple[Invocation, bool]] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(any_store.create(make(idempotency_key="once"), "requested"))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({inv.id for inv, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(any_store.list()) == 1


def test_exactly_one_of_many_racing_claims_wins(any_store: Store) -> None:
    inv, _ = any_store.create(make(), "requested")
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def claim(agent: str) -> None:
        barrier.wait()
        if any_store.claim(agent, 10_000, 10_000, utcnow()):
            winners.append(agent)

    threads = [threading.Thread(target=claim, args=(f"a{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    got = any_store.get(inv.id)
    assert (got.state, got.agent_id) == (State.STARTING, winners[0])


def test_racing_batch_and_single_claims_take_each_invocation_once(any_store: Store) -> None:
    ids = {any_store.create(make(), "r")[0].id for _ in range(300)}
    taken: list[str] = []
    barrier = threading.Barrier(6)

    def drain(agent: str, batch: bool) -> None:
        barrier.wait()
        while True:
            if batch:
                got = any_store.claim(agent, 64 * 256, 64 * 128, utcnow(), limit=16)
            else:
                one = any_store.claim_one(agent, 10_000, 10_000, utcnow())
                got = [one] if one else []
            if not got:
                return
            taken.extend(i.id for i in got)

    threads = [threading.Thread(target=drain, args=(f"a{i}", i % 2 == 0)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)
    assert any_store.count_by_state() == {State.STARTING: 300}


def test_claim_takes_higher_priority_first_then_oldest(any_store: Store) -> None:
    t0 = utcnow() - timedelta(seconds=10)
    old_low, _ = any_store.create(make(priority=0, created_at=t0), "r")
    new_high, _ = any_store.create(make(priority=10, created_at=t0 + timedelta(seconds=5)), "r")
    old_high, _ = any_store.create(make(priority=10, created_at=t0 + timedelta(seconds=1)), "r")
    order = [i.id for i in any_store.claim("a", 10_000, 10_000, utcnow())]
    assert order == [old_high.id, new_high.id, old_low.id]


def test_a_batch_claim_takes_the_longest_prefix_of_the_line_that_fits(any_store: Store) -> None:
    t0 = utcnow() - timedelta(seconds=10)
    line = [
        any_store.create(make(reserved_memory=m, created_at=t0 + timedelta(seconds=k)), "r")[0]
        for k, m in enumerate([400, 400, 400, 10])
    ]
    claimed = any_store.claim("a", 10_000, 1000, utcnow())
    assert [i.id for i in claimed] == [line[0].id, line[1].id]
    assert any_store.claim("a", 10_000, 200, utcnow()) == []  # the head (400) does not fit
    backfilled = any_store.claim_one("a", 10_000, 200, utcnow())
    assert backfilled is not None and backfilled.id == line[3].id


def test_claim_takes_only_what_fits_and_what_is_due(any_store: Store) -> None:
    big, _ = any_store.create(make(reserved_memory=2048), "r")
    later, _ = any_store.create(make(not_before=utcnow() + timedelta(hours=1)), "r")
    small, _ = any_store.create(make(reserved_memory=64), "r")
    assert any_store.claim("a", 10_000, 1024, utcnow()) == []
    claimed = any_store.claim_one("a", 10_000, 1024, utcnow())
    assert claimed is not None and claimed.id == small.id
    assert any_store.claim_one("a", 10_000, 1024, utcnow()) is None
    assert any_store.get(big.id).state is State.QUEUED
    assert {i.id for i in any_store.claim("a", 10_000, 4096, utcnow() + timedelta(hours=2))} == {
        big.id,
        later.id,
    }


def test_finish_is_conditional_and_recorded_once(any_store: Store) -> None:
    inv, _ = any_store.create(make(), "r")
    any_store.claim("a", 10_000, 10_000, utcnow())
    launch = Launch(
        invocation_id=inv.id, pid=42, cluster_ref="local:a/42", isolation=Isolation.CGROUP
    )
    assert any_store.mark_running([launch], utcnow()) == set()
    ended = any_store.finish(inv.id, State.SUCCEEDED, reason="exit 0", exit_code=0, now=utcnow())
    assert ended is not None and ended.state is State.SUCCEEDED and ended.exit_code == 0
    assert any_store.finish(inv.id, State.LOST, reason="late", now=utcnow()) is None
    assert any_store.get(inv.id).state is State.SUCCEEDED
    states = [e.state for e in any_store.events(inv.id)]
    assert states == [State.QUEUED, State.STARTING, State.RUNNING, State.SUCCEEDED]


def test_cancel_queued_ends_it_and_it_is_never_claimed(any_store: Store) -> None:
    inv, _ = any_store.create(make(), "r")
    assert any_store.request_cancel(inv.id, utcnow()).state is State.CANCELLED
    assert any_store.claim("a", 10_000, 10_000, utcnow()) == []
    with pytest.raises(Conflict, match="already ended CANCELLED"):
        any_store.request_cancel(inv.id, utcnow())


def test_cancel_running_flags_it_for_its_agent(any_store: Store) -> None:
    inv, _ = any_store.create(make(), "r")
    any_store.claim("a", 10_000, 10_000, utcnow())
    flagged = any_store.request_cancel(inv.id, utcnow())
    assert flagged.state is State.STARTING and flagged.cancel_requested
    assert [i.id for i in any_store.live_on("a") if i.cancel_requested] == [inv.id]


def test_agent_capacity_counts_live_reservations(any_store: Store) -> None:
    now = utcnow()
    any_store.register_agent(
        Agent(id="a", host="h", pid=1, cpu=2048, memory=4096, started_at=now, heartbeat_at=now)
    )
    for _ in range(2):
        any_store.create(make(reserved_cpu=512, reserved_memory=1000), "r")
        any_store.claim("a", 10_000, 10_000, utcnow())
    [agent] = any_store.agents()
    assert (agent.free_cpu, agent.free_memory) == (1024, 2096)


def test_expired_agent_loses_its_live_invocations_for_good(any_store: Store) -> None:
    now = utcnow()
    any_store.register_agent(
        Agent(id="a", host="h", pid=1, cpu=2048, memory=4096, started_at=now, heartbeat_at=now)
    )
    inv, _ = any_store.create(make(), "r")
    any_store.claim("a", 10_000, 10_000, utcnow())
    lost = any_store.expire_agent("a", "agent a stopped renewing its lease", utcnow())
    assert [i.id for i in lost] == [inv.id]
    got = any_store.get(inv.id)
    assert got.state is State.LOST and "lease" in (got.reason or "")
    assert any_store.claim("b", 10_000, 10_000, utcnow()) == []
    assert any_store.agents() == []
    assert not any_store.heartbeat("a", utcnow())


def test_list_filters_and_orders_newest_first(any_store: Store) -> None:
    t0 = utcnow()
    a, _ = any_store.create(make(family="x", created_at=t0), "r")
    b, _ = any_store.create(
        make(family="x", job_name="k", created_at=t0 + timedelta(seconds=1)), "r"
    )
    c, _ = any_store.create(make(family="y", created_at=t0 + timedelta(seconds=2)), "r")
    any_store.request_cancel(c.id, utcnow())
    assert [i.id for i in any_store.list()] == [c.id, b.id, a.id]
    assert [i.id for i in any_store.list(family="x", job_name="k")] == [b.id]
    assert [i.id for i in any_store.list(states=[State.CANCELLED])] == [c.id]
    assert [i.id for i in any_store.list(since=t0 + timedelta(milliseconds=500))] == [c.id, b.id]
    assert [i.id for i in any_store.list(limit=1, offset=1)] == [b.id]


def test_waiting_reason_is_recorded_once_per_change(any_store: Store) -> None:
    inv, _ = any_store.create(make(), "r")
    any_store.note_waiting(inv, "needs 2048 MiB; largest free 1024 MiB", utcnow())
    inv = any_store.get(inv.id)
    any_store.note_waiting(inv, "needs 2048 MiB; largest free 1024 MiB", utcnow())
    assert inv.reason == "needs 2048 MiB; largest free 1024 MiB"
    waits = [e for e in any_store.events(inv.id) if "waiting for capacity" in e.message]
    assert len(waits) == 1


def test_a_listener_wakes_on_new_work(any_store: Store) -> None:
    listener = any_store.listen()
    try:
        assert not listener.wait(0.05)
        threading.Timer(0.1, lambda: any_store.create(make(), "r")).start()
        assert listener.wait(5.0)
    finally:
        listener.close()


def test_a_listener_wakes_on_work_written_by_another_process(any_store: Store) -> None:
    listener = any_store.listen()
    try:
        writer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from iguazu.store import Store; Store(sys.argv[1]).notify()",
                any_store.url,
            ]
        )
        assert listener.wait(30.0)
        assert writer.wait(30) == 0
    finally:
        listener.close()


def test_a_retry_is_queued_with_the_end_it_follows_and_only_then(any_store: Store) -> None:
    inv, _ = any_store.create(make(max_attempts=2), "r")
    any_store.claim("a", 10_000, 10_000, utcnow())
    failed = Exit(invocation_id=inv.id, state=State.FAILED, exit_code=1, reason="exit 1")

    def retry(ended: Invocation) -> tuple[Invocation, str]:
        again = ended.replace(id=new_id(), state=State.QUEUED, attempt=2, retry_of=ended.id)
        return again, "retry"

    [ended] = any_store.finish_many([failed], utcnow(), retry=retry)
    assert ended.state is State.FAILED
    [again] = [i for i in any_store.list() if i.retry_of == inv.id]
    assert again.state is State.QUEUED and again.attempt == 2
    assert any_store.finish_many([failed], utcnow(), retry=retry) == []  # already ended
    assert len(any_store.list()) == 2
