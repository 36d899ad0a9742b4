"""PUT /api/v1/schedules/{id} and Client.update_schedule over real HTTP, real SQLite: a change
is saved whole and moves the next fire; a refused one answers why and changes nothing."""

from __future__ import annotations

import pytest

from iguazu.client import Client
from iguazu.errors import RemoteError
from iguazu.models import Overlap, ScheduleRequest

from ..conftest import Server


def test_a_schedule_is_edited_over_the_api(server: Server) -> None:
    with Client(server.url, server.token) as client:
        saved = client.create_schedule(
            ScheduleRequest(family="demo", job_name="noop", cron="0 3 1 1 *", paused=True)
        )
        edited = client.update_schedule(
            saved.id,
            ScheduleRequest(family="demo", job_name="sleep", cron="*/10 * * * *",
                            timezone="Asia/Tokyo", parameters={"seconds": 2},
                            overlap=Overlap.ALLOW, paused=True, description="often"),
        )  # fmt: skip
        assert client.schedule(saved.id) == edited
        assert (edited.id, edited.created_at) == (saved.id, saved.created_at)
        assert (edited.job, edited.cron, edited.timezone) == ("demo/sleep", "*/10 * * * *",
                                                              "Asia/Tokyo")  # fmt: skip
        assert edited.parameters == {"seconds": 2.0} and edited.paused
        assert edited.next_fire_at is not None and saved.next_fire_at is not None
        assert edited.next_fire_at < saved.next_fire_at  # every 10 minutes, not once a year
        assert edited.next_fire_at.minute % 10 == 0

        with pytest.raises(RemoteError) as refused:
            client.update_schedule(
                saved.id, ScheduleRequest(family="demo", job_name="noop", cron="0 25 * * *")
            )
        assert refused.value.status == 422 and "hour 25" in str(refused.value)
        assert client.schedule(saved.id) == edited  # unchanged

        with pytest.raises(RemoteError) as missing:
            client.update_schedule(
                "nosuchschedule00", ScheduleRequest(family="demo", job_name="noop", cron="@daily")
            )
        assert missing.value.status == 404
