"""The seed's "Iguazú Scheduled Jobs" table, loaded through the schedules front door as the
API would save it (at a moment consistent with the screenshot), listed soonest first: each row
shows the seed's "Next Invocation" in America/Los_Angeles."""

from __future__ import annotations

from pathlib import Path

from iguazu.batch import Batch
from iguazu.cron import calendar_time
from iguazu.jobs import JobRegistry
from iguazu.models import ScheduleRequest
from iguazu.schedules import Schedules
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store

from ..unit.test_cron_seed import NOW, SCHEDULED_JOBS, VIEWER

FAMILIES = [  # the seed's Family (= Job Name) column, row by row
    "peerreviewgradereadyemail",
    "translationpipelineupdatesubtitlelanguages",
    "translationpipelinedownload",
    "translationpipelineupload",
    "mega",
    "phoenixsessionemail",
    "ondemandvideoreport",
    "searchindexupdater",
    "fullcoursetranslationupload",
]


def test_the_seeds_scheduled_jobs_table_lists_the_next_invocations_it_shows(
    store: Store, tmp_path: Path
) -> None:
    commands = [{"family": f, "name": f, "argv": ["true"]} for f in FAMILIES]
    batch = Batch(
        store=store,
        registry=JobRegistry.load((), commands),
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path,
    )
    schedules = Schedules(store=store, batch=batch, clock=lambda: NOW)
    for family, (_, expr, _) in zip(FAMILIES, SCHEDULED_JOBS, strict=True):
        schedules.create(ScheduleRequest(family=family, job_name=family, cron=expr))
    listed = schedules.list()
    shown = {
        s.family: calendar_time(s.next_fire_at, now=NOW, tz=VIEWER)  # type: ignore[arg-type]
        for s in listed
    }
    assert shown == {f: row[2] for f, row in zip(FAMILIES, SCHEDULED_JOBS, strict=True)}
    times = [s.next_fire_at for s in listed]
    assert times == sorted(times)  # type: ignore[type-var]
    assert listed[0].family == "peerreviewgradereadyemail"  # Today at 4:15 PM PDT
    assert all(len(s.id) == 16 and "-" not in s.id[:1] for s in listed)
