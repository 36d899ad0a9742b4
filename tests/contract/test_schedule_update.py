"""Editing a saved schedule, on SQLite and on a real PostgreSQL: a change is checked as a new
schedule is, a refused one changes nothing, and an accepted one moves its next fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iguazu.batch import Batch
from iguazu.errors import CronError, InvalidParameters, NotFound, UnknownJob, UnknownQueue
from iguazu.jobs import JobRegistry
from iguazu.models import Misfire, Overlap, ScheduleRequest
from iguazu.schedules import Schedules
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store, tables

REGISTRY = JobRegistry.load(("iguazu.examples",))
START = datetime(2030, 3, 4, 10, 20, 30, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def parts(any_store: Store, tmp_path: Path) -> tuple[Schedules, Clock]:
    batch = Batch(store=any_store, registry=REGISTRY, queues=DEFAULT_QUEUES, log_dir=tmp_path)
    clock = Clock(START)
    return Schedules(store=any_store, batch=batch, clock=clock), clock


def request(cron: str = "0 3 * * *", **kw: object) -> ScheduleRequest:
    values: dict[str, object] = {"family": "demo", "job_name": "sleep", "cron": cron}
    return ScheduleRequest(**(values | kw))  # type: ignore[arg-type]


def test_an_update_saves_every_setting_and_moves_the_next_fire(
    parts: tuple[Schedules, Clock],
) -> None:
    schedules, clock = parts
    saved = schedules.create(request(description="nightly"))
    assert saved.next_fire_at == datetime(2030, 3, 5, 3, 0, tzinfo=UTC)
    with schedules.store.engine.begin() as conn:  # it fired once, an hour ago
        conn.execute(tables.schedules.update().values(last_fire_at=START - timedelta(hours=1)))
    clock.now = START + timedelta(minutes=5)
    changed = schedules.update(
        saved.id,
        request(
            "*/15 * * * *",
            job_name="noop",
            timezone="Europe/Paris",
            parameters={},
            queue="low",
            overlap=Overlap.ALLOW,
            misfire=Misfire.SKIP,
            misfire_grace=30.0,
            start_deadline=120.0,
            description="every quarter hour",
        ),
    )
    assert schedules.get(saved.id) == changed
    assert (changed.id, changed.created_at) == (saved.id, saved.created_at)
    assert changed.last_fire_at == START - timedelta(hours=1)  # kept
    assert changed.updated_at == clock.now
    assert (changed.job_name, changed.cron, changed.timezone) == ("noop", "*/15 * * * *",
                                                                   "Europe/Paris")  # fmt: skip
    assert (changed.queue, changed.overlap, changed.misfire) == ("low", Overlap.ALLOW,
                                                                 Misfire.SKIP)  # fmt: skip
    assert (changed.misfire_grace, changed.start_deadline) == (30.0, 120.0)
    assert changed.description == "every quarter hour"
    assert changed.next_fire_at == datetime(2030, 3, 4, 10, 30, tzinfo=UTC)  # from now
    assert [s.id for s in schedules.list()] == [saved.id]


def test_a_paused_schedule_stays_paused_unless_the_request_says_otherwise(
    parts: tuple[Schedules, Clock],
) -> None:
    schedules, clock = parts
    saved = schedules.create(request())
    schedules.pause(saved.id)
    clock.now = START + timedelta(days=2)
    still = schedules.update(saved.id, request("0 4 * * *", paused=True))
    assert still.paused and schedules.get(saved.id).paused
    assert still.next_fire_at == datetime(2030, 3, 7, 4, 0, tzinfo=UTC)
    again = schedules.update(saved.id, request("0 4 * * *", paused=False))
    assert not again.paused and not schedules.get(saved.id).paused


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"cron": "61 * * * *"}, CronError, "minute 61"),
        ({"cron": "0 0 0 1 1 ? 2020"}, CronError, "never fires"),
        ({"timezone": "Mars/Olympus"}, CronError, "Mars/Olympus"),
        ({"job_name": "nope"}, UnknownJob, "demo/nope"),
        ({"queue": "nowhere"}, UnknownQueue, "nowhere"),
        ({"parameters": {"seconds": -1}}, InvalidParameters, "seconds"),
    ],
)
def test_a_refused_update_changes_nothing(
    parts: tuple[Schedules, Clock], change: dict[str, object], error: type[Exception], says: str
) -> None:
    schedules, clock = parts
    saved = schedules.create(request(description="as it was"))
    clock.now = START + timedelta(hours=20)
    values: dict[str, object] = {"cron": "*/5 * * * *", "description": "changed"} | change
    with pytest.raises(error, match=says):
        schedules.update(saved.id, request(**values))  # type: ignore[arg-type]
    assert schedules.get(saved.id) == saved


def test_updating_an_unknown_schedule_is_not_found(parts: tuple[Schedules, Clock]) -> None:
    schedules, _ = parts
    with pytest.raises(NotFound):
        schedules.update("nosuchschedule00", request())
    assert schedules.list() == []
