"""Capability requirements in the store, on SQLite and PostgreSQL alike: a claim gives an
agent only the invocations whose requirements it declares, and never lets work it cannot
run stand in the way of work it can."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import iguazu.store
from iguazu.models import Invocation, State, new_id, utcnow
from iguazu.store import Store
from iguazu.store import tables as t

BIG = 1 << 20  # free CPU units and MiB: room for everything


def make(**over: object) -> Invocation:
    defaults = Invocation(
        id=new_id(),
        family="f",
        job_name="j",
        queue="default",
        priority=0,
        parameters={},
        state=State.QUEUED,
        reserved_cpu=256,
        reserved_memory=128,
        timeout=None,
        command="python job m:J",
        created_at=utcnow() - timedelta(seconds=10),
    )
    return defaults.replace(**over)


def queued(store: Store, **over: object) -> Invocation:
    inv, created = store.create(make(**over), "requested")
    assert created
    return inv


def claim_as(
    store: Store, mode: str, agent: str, capabilities: Sequence[str], free_memory: int = BIG
) -> list[Invocation]:
    """What one claim of `mode` (a batch "claim" or a backfill "claim_one") gives the agent."""
    if mode == "claim":
        return store.claim(agent, BIG, free_memory, utcnow(), capabilities=capabilities)
    one = store.claim_one(agent, BIG, free_memory, utcnow(), capabilities=capabilities)
    return [one] if one else []


def stored_requires(store: Store, inv_id: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(t.invocations.c.requires).where(t.invocations.c.id == inv_id)
        ).scalar_one()


MODES = pytest.mark.parametrize("mode", ["claim", "claim_one"])


@MODES
@pytest.mark.parametrize("declared", [(), ("gpu",), ("gpu", "net"), ("sandboxes",)])
def test_an_agent_that_does_not_declare_sandbox_never_gets_a_sandbox_invocation(
    any_store: Store, mode: str, declared: tuple[str, ...]
) -> None:
    inv = queued(any_store, requires=("sandbox",))
    assert claim_as(any_store, mode, "plain", declared) == []
    got = any_store.get(inv.id)
    assert (got.state, got.agent_id) == (State.QUEUED, None)


@MODES
@pytest.mark.parametrize("declared", [("sandbox",), ("gpu", "sandbox"), ("sandbox", "gpu")])
def test_an_agent_that_declares_sandbox_gets_a_sandbox_invocation(
    any_store: Store, mode: str, declared: tuple[str, ...]
) -> None:
    inv = queued(any_store, requires=("sandbox",))
    [claimed] = claim_as(any_store, mode, "grader", declared)
    assert claimed.id == inv.id and claimed.requires == ("sandbox",)
    got = any_store.get(inv.id)
    assert (got.state, got.agent_id) == (State.STARTING, "grader")


@MODES
def test_two_requirements_need_an_agent_that_declares_both(any_store: Store, mode: str) -> None:
    inv = queued(any_store, requires=("gpu", "sandbox"))
    for declared in [(), ("sandbox",), ("gpu",), ("gpu", "net")]:
        assert claim_as(any_store, mode, "partial", declared) == [], declared
    assert any_store.get(inv.id).state is State.QUEUED
    [claimed] = claim_as(any_store, mode, "both", ("sandbox", "net", "gpu"))
    assert claimed.id == inv.id
    assert any_store.get(inv.id).agent_id == "both"


@MODES
@pytest.mark.parametrize("declared", [(), ("sandbox",), ("gpu", "sandbox")])
def test_an_invocation_that_requires_nothing_goes_to_any_agent(
    any_store: Store, mode: str, declared: tuple[str, ...]
) -> None:
    inv = queued(any_store)
    [claimed] = claim_as(any_store, mode, "any", declared)
    assert claimed.id == inv.id
    assert any_store.get(inv.id).state is State.STARTING


@MODES
def test_sandbox_work_at_the_head_of_the_line_does_not_block_an_agent_without_it(
    any_store: Store, mode: str
) -> None:
    """The grading queue goes first, but an agent that cannot grade takes the work behind
    it, even when the grading invocation at the head would not fit the agent anyway."""
    t0 = utcnow() - timedelta(seconds=10)
    grading = queued(
        any_store,
        requires=("sandbox",),
        priority=20,
        queue="grading",
        created_at=t0,
        reserved_memory=4096,
    )
    behind = queued(any_store, created_at=t0 + timedelta(seconds=1))
    [claimed] = claim_as(any_store, mode, "plain", (), free_memory=1024)
    assert claimed.id == behind.id
    assert any_store.get(grading.id).state is State.QUEUED
    assert claim_as(any_store, mode, "plain", (), free_memory=1024) == []
    [graded] = claim_as(any_store, mode, "grader", ("sandbox",))
    assert graded.id == grading.id


def test_a_batch_claim_passes_over_sandbox_work_and_takes_the_line_behind_it_in_order(
    any_store: Store,
) -> None:
    t0 = utcnow() - timedelta(seconds=10)
    first = queued(any_store, priority=20, created_at=t0, requires=("sandbox",))
    second = queued(any_store, priority=10, created_at=t0 + timedelta(seconds=1))
    third = queued(any_store, priority=10, created_at=t0 + timedelta(seconds=2), requires=("gpu",))
    fourth = queued(any_store, priority=0, created_at=t0 + timedelta(seconds=3))
    claimed = any_store.claim("plain", BIG, BIG, utcnow())
    assert [i.id for i in claimed] == [second.id, fourth.id]
    claimed = any_store.claim("grader", BIG, BIG, utcnow(), capabilities=("sandbox", "gpu"))
    assert [i.id for i in claimed] == [first.id, third.id]


def test_waiting_lists_only_what_the_agent_could_run(any_store: Store) -> None:
    t0 = utcnow() - timedelta(seconds=10)
    plain = queued(any_store, created_at=t0)
    sandbox = queued(any_store, created_at=t0 + timedelta(seconds=1), requires=("sandbox",))
    gpu = queued(any_store, created_at=t0 + timedelta(seconds=2), requires=("gpu",))
    both = queued(any_store, created_at=t0 + timedelta(seconds=3), requires=("gpu", "sandbox"))

    def waiting(*declared: str) -> list[str]:
        return [i.id for i in any_store.waiting(utcnow(), limit=10, capabilities=declared)]

    assert waiting() == [plain.id]
    assert waiting("sandbox") == [plain.id, sandbox.id]
    assert waiting("gpu") == [plain.id, gpu.id]
    assert waiting("sandbox", "gpu") == [plain.id, sandbox.id, gpu.id, both.id]
    [shown] = [i for i in any_store.waiting(utcnow(), 10, capabilities=["gpu"]) if i.id == gpu.id]
    assert shown.requires == ("gpu",)


def test_requires_reads_back_from_get_and_list(any_store: Store) -> None:
    two = queued(any_store, requires=("gpu", "sandbox"))
    none = queued(any_store)
    assert any_store.get(two.id).requires == ("gpu", "sandbox")
    assert any_store.get(none.id).requires == ()
    listed = {i.id: i.requires for i in any_store.list()}
    assert listed == {two.id: ("gpu", "sandbox"), none.id: ()}
    assert any_store.get(two.id) == two


def test_requires_given_out_of_order_is_stored_sorted_and_still_claimable(
    any_store: Store,
) -> None:
    inv = queued(any_store, requires=("sandbox", "gpu"))
    assert any_store.get(inv.id).requires == ("gpu", "sandbox")
    [claimed] = any_store.claim("both", BIG, BIG, utcnow(), capabilities=("gpu", "sandbox"))
    assert claimed.id == inv.id


def test_the_row_of_an_invocation_that_requires_nothing_holds_an_empty_string(
    any_store: Store,
) -> None:
    none = queued(any_store)
    two = queued(any_store, requires=("gpu", "sandbox"))
    assert stored_requires(any_store, none.id) == ""
    assert stored_requires(any_store, two.id) == "gpu,sandbox"


EIGHT = ("a-1", "b_2", "cpu", "gpu", "net", "sandbox", "x" * 32, "zz")


@pytest.mark.parametrize(
    "subset",
    [(), ("sandbox",), ("a-1", "zz"), ("cpu", "gpu", "net", "x" * 32), EIGHT],
    ids=["none", "one", "ends", "four", "all"],
)
def test_an_agent_with_eight_capabilities_gets_work_requiring_any_subset_of_them(
    any_store: Store, subset: tuple[str, ...]
) -> None:
    inv = queued(any_store, requires=subset)
    if subset:  # an agent lacking one of them does not get it
        lacking = tuple(c for c in EIGHT if c != subset[-1])
        assert any_store.claim("seven", BIG, BIG, utcnow(), capabilities=lacking) == []
    [claimed] = any_store.claim("eight", BIG, BIG, utcnow(), capabilities=EIGHT)
    assert claimed.id == inv.id and claimed.requires == subset


def test_every_subset_of_eight_capabilities_is_claimed_by_the_agent_declaring_them(
    any_store: Store,
) -> None:
    subsets = [c for n in range(len(EIGHT) + 1) for c in itertools.combinations(EIGHT, n)]
    assert len(subsets) == 256
    ids = {queued(any_store, requires=s, reserved_cpu=1, reserved_memory=1).id for s in subsets}
    queued(any_store, requires=("other",), reserved_cpu=1, reserved_memory=1)
    claimed = any_store.claim("eight", BIG, BIG, utcnow(), limit=1000, capabilities=EIGHT)
    assert {i.id for i in claimed} == ids
    assert any_store.count_by_state() == {State.STARTING: 256, State.QUEUED: 1}


def test_an_agent_may_not_declare_more_than_eight_capabilities(any_store: Store) -> None:
    queued(any_store)
    with pytest.raises(ValueError, match="more than 8"):
        any_store.claim("nine", BIG, BIG, utcnow(), capabilities=(*EIGHT, "ninth"))


def _alembic(store: Store, action: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(iguazu.store.__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def _insert_before_0003(store: Store, inv_id: str, created_at: datetime) -> None:
    """A row as a store of migration 0002 wrote it: no `requires` column at all."""
    inv = make()
    skip = ("requires", "next_try_at")
    values = {c.name: getattr(inv, c.name) for c in t.invocations.c if c.name not in skip}
    values.update(
        id=inv_id,
        state=State.QUEUED.value,
        isolation=None,
        created_at=created_at,
        next_try_at=created_at,
    )
    with store.engine.begin() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("invocations")}
        assert "requires" not in columns
        conn.execute(t.invocations.insert().values(**values))


def test_invocations_written_before_migration_0003_require_nothing(any_store: Store) -> None:
    _alembic(any_store, "downgrade", "0002")
    t0 = utcnow() - timedelta(seconds=10)
    old_ids = [new_id(), new_id()]
    for k, inv_id in enumerate(old_ids):
        _insert_before_0003(any_store, inv_id, t0 + timedelta(seconds=k))
    any_store.migrate()
    for inv_id in old_ids:
        assert any_store.get(inv_id).requires == ()
        assert stored_requires(any_store, inv_id) == ""
    waiting = any_store.waiting(utcnow(), limit=10)
    assert [i.id for i in waiting] == old_ids
    [first] = any_store.claim("plain", BIG, 128, utcnow())  # room for one
    assert first.id == old_ids[0]
    [second] = any_store.claim("grader", BIG, BIG, utcnow(), capabilities=("sandbox",))
    assert second.id == old_ids[1]
