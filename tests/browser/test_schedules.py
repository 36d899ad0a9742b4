"""Scheduled Jobs in Chromium, on the whole system (its scheduler fires what is saved): the
seed's table, creating a schedule with a live preview of its expression, editing, pausing,
resuming, running now and deleting it, a fire SKIPPED with its reason, and what a viewer may
not do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import expect

from iguazu.cron import calendar_time, next_fire, parse
from iguazu.models import Misfire, Overlap, Role, Schedule, ScheduleRequest, utcnow

from .conftest import UI, ZONE, shot, sign_in

SEED = [  # the seed's Scheduled Jobs rows: ID, Cron Expression, Family (= Job Name)
    ("319au6PDnnDwIKyP", "0 15,45 * 1/1 * 7 *", "peerreviewgradereadyemail"),
    ("ZtZny5H4OzocOEuN", "0 59 23 1/1 * 7 *", "translationpipelineupdatesubtitlelanguages"),
    ("pKMknTpS8oVi8YW1", "0 0 20 1/1 * 7 *", "translationpipelinedownload"),
    ("9m9nRGN1JgjebbVw", "0 0 7 1/1 * 7 *", "translationpipelineupload"),
    ("yVCDUTGps3hu0iZF", "0 0 7 1/1 * 7 *", "mega"),
    ("VYtHEGNFHLQIAGL", "0 30 17 1/1 * 7 *", "phoenixsessionemail"),
    ("gd7xlyxcgelyjSp", "0 0 18 7 * MON-FRI *", "ondemandvideoreport"),
    ("neCafzkgCv1cCNTq", "0 0 19 1/1 * 7 *", "searchindexupdater"),
    ("EdMQbhGOTCT77GcQ", "0 0 12 1/1 * 7 *", "fullcoursetranslationupload"),
]


def shown(at: datetime | None) -> str:
    """A fire time as the page shows it to the test's browser (America/Los_Angeles)."""
    assert at is not None
    return calendar_time(at, now=datetime.now(UTC), tz=ZONE)


def add_seed_rows(ui: UI) -> None:
    """The seed's nine schedules, written as the store keeps them (their jobs are the seed's,
    not registered here, so the front door would refuse them)."""
    now = utcnow()
    for ident, cron, family in SEED:
        ui.system.store.create_schedule(
            Schedule(
                id=ident, family=family, job_name=family, cron=cron, timezone="UTC",
                parameters={}, queue="default", overlap=Overlap.FORBID,
                misfire=Misfire.LATEST, misfire_grace=60.0, catchup_window=86400.0,
                catchup_limit=10, start_deadline=None, paused=False, description="",
                created_at=now, updated_at=now, next_fire_at=next_fire(parse(cron), now),
            )
        )  # fmt: skip


def row(page: Any, schedule_id: str) -> Any:
    return page.locator(f"[data-test=schedule-row][data-id='{schedule_id}']")


def test_the_table_shows_the_seeds_scheduled_jobs_in_the_viewers_zone(page: Any, ui: UI) -> None:
    add_seed_rows(ui)
    sign_in(page, ui, Role.DEVELOPER, "/schedules")
    expect(page.locator("h2")).to_contain_text(["Filter Scheduled Jobs"])
    headers = page.locator("table[data-test=schedules] th").all_inner_texts()
    assert [h.upper() for h in headers] == [
        "ID", "CRON EXPRESSION", "NEXT INVOCATION", "FAMILY", "JOB NAME", "ACTIONS",
    ]  # fmt: skip
    rows = page.locator("[data-test=schedule-row]")
    expect(rows).to_have_count(9)
    for ident, cron, family in SEED:
        saved = ui.system.schedules.get(ident)
        line = row(page, ident)
        expect(line.locator("[data-test=next]")).to_have_text(shown(saved.next_fire_at))
        expect(line).to_contain_text(cron)
        expect(line.locator("td.name").first).to_have_text(family)
    first = row(page, "319au6PDnnDwIKyP")
    expect(first.locator("[data-test=cron-words]")).to_contain_text(
        "At 15 and 45 minutes past every hour"
    )
    expect(page.get_by_role("link", name="New schedule")).to_be_visible()
    shot(page, "schedules")

    page.fill("input[name=q]", "translationpipeline")
    page.click("button:has-text('Filter')")
    expect(rows).to_have_count(3)
    assert "q=translationpipeline" in page.url


def test_a_developer_creates_edits_pauses_runs_and_deletes_a_schedule(page: Any, ui: UI) -> None:
    sign_in(page, ui, Role.DEVELOPER, "/schedules")
    page.click("a:has-text('New schedule')")
    page.wait_for_url("**/schedules/new")
    expect(page.locator("#timezone")).to_have_value(ZONE)  # the viewer's own zone
    page.select_option("#job", "demo/noop")
    page.locator("#cron").press_sequentially("61 * * * *")
    error = page.locator("[data-test=preview-error]")
    expect(error).to_have_text("Cron expression: minute 61 is out of range 0-59")
    expect(error).to_have_attribute("role", "alert")
    page.fill("#description", "every hour, badly")
    page.click("button:has-text('Create schedule')")
    expect(page.locator("[data-test=form-error]")).to_contain_text("Nothing was saved")
    expect(error).to_contain_text("minute 61")
    expect(page.locator("#cron")).to_have_value("61 * * * *")  # what was typed is kept
    expect(page.locator("#description")).to_have_value("every hour, badly")
    expect(page.locator("#job")).to_have_value("demo/noop")
    assert ui.system.schedules.list() == []  # nothing was saved
    shot(page, "schedule-form-error")

    page.locator("#cron").fill("")
    page.locator("#cron").press_sequentially("30 4 * * MON-FRI")
    page.locator("#timezone").fill("Mars/Olympu")
    page.locator("#timezone").press("s")
    expect(error).to_have_text("Time zone: unknown time zone 'Mars/Olympus'; use an IANA name "
                               "such as Europe/Paris")  # fmt: skip
    page.locator("#timezone").fill("Europe/Pari")
    page.locator("#timezone").press("s")
    expect(page.locator("[data-test=preview-description]")).to_have_text("At 04:30, on weekdays")
    expect(page.locator("[data-test=dialect]")).to_have_text("UNIX")
    fires = page.locator("[data-test=preview-fires] li")
    expect(fires).to_have_count(5)
    first = next_fire(parse("30 4 * * MON-FRI"), utcnow(), "Europe/Paris")
    expect(fires.first).to_contain_text(shown(first))
    expect(page.locator("[data-test=preview-error]")).to_have_count(0)
    shot(page, "schedule-form-preview")
    page.fill("#description", "weekday mornings in Paris")
    page.click("button:has-text('Create schedule')")
    page.wait_for_url("**/schedules/*?done=created")
    (saved,) = ui.system.schedules.list()
    assert (saved.cron, saved.timezone, saved.job) == ("30 4 * * MON-FRI", "Europe/Paris",
                                                       "demo/noop")  # fmt: skip
    expect(page.locator("[data-test=description]")).to_have_text("weekday mornings in Paris")

    page.click("nav a:has-text('Scheduled Jobs')")
    line = row(page, saved.id)
    expect(line.locator("[data-test=next]")).to_have_text(shown(saved.next_fire_at))
    expect(line.locator("[data-test=cron-words]")).to_contain_text("At 04:30, on weekdays")

    line.locator("a:has-text('Edit')").click()
    expect(page.locator("#cron")).to_have_value("30 4 * * MON-FRI")
    page.locator("#cron").fill("0 0/20 * * * ?")
    page.locator("#cron").press("End")
    expect(page.locator("[data-test=preview-description]")).to_contain_text("20 minutes")
    page.click("button:has-text('Save changes')")
    page.wait_for_url(f"**/schedules/{saved.id}?done=updated")
    edited = ui.system.schedules.get(saved.id)
    assert edited.cron == "0 0/20 * * * ?" and edited.created_at == saved.created_at
    expect(page.locator("[data-test=next]")).to_have_text(shown(edited.next_fire_at))

    page.goto(ui.url + "/schedules")
    line = row(page, saved.id)
    expect(line.locator("[data-test=next]")).to_have_text(shown(edited.next_fire_at))
    line.locator("button:has-text('Pause')").click()
    expect(line.locator("[data-test=paused]")).to_have_text("PAUSED")
    assert ui.system.schedules.get(saved.id).paused
    line.locator("button:has-text('Resume')").click()
    expect(line.locator("[data-test=paused]")).to_have_count(0)
    resumed = ui.system.schedules.get(saved.id)
    expect(line.locator("[data-test=next]")).to_have_text(shown(resumed.next_fire_at))

    line.locator("a[href^='/schedules/']").first.click()
    page.click("button:has-text('Run now')")
    expect(page.locator("[role=status]")).to_have_text("Queued one invocation now.")
    fired = page.locator("[data-test=fire]")
    expect(fired).to_have_count(1)
    (inv,) = ui.system.schedules.invocations(saved.id)
    expect(fired.locator(f"a[href='/invocations/{inv.id}'] code")).to_have_text(inv.id)
    expect(fired.locator(".state")).to_have_text("SUCCEEDED")  # the history refreshes itself
    shot(page, "schedule-detail")

    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.click("button:has-text('Delete')")  # dismissed: nothing happens
    assert ui.system.schedules.get(saved.id).id == saved.id
    page.click("button:has-text('Delete')")
    page.wait_for_url("**/schedules?done=deleted")
    assert "Delete the schedule of demo/noop" in questions[0]
    expect(page.locator("[role=status]")).to_contain_text("Deleted")
    expect(row(page, saved.id)).to_have_count(0)
    assert ui.system.schedules.list() == []


def test_a_fire_skipped_while_the_last_one_runs_shows_with_its_reason(page: Any, ui: UI) -> None:
    schedule = ui.system.schedules.create(
        ScheduleRequest(
            family="demo", job_name="sleep", cron="* * * * * ?", parameters={"seconds": 20},
            overlap=Overlap.FORBID, description="every second, one at a time",
        )
    )  # fmt: skip
    try:
        sign_in(page, ui, Role.VIEWER, f"/schedules/{schedule.id}")
        skipped = page.locator("[data-test=fire][data-state=SKIPPED]").first
        expect(skipped).to_be_visible()  # the history refreshes itself as fires come
        expect(skipped.locator(".state")).to_have_text("SKIPPED")
        reason = skipped.locator("td.reason").inner_text()
        first = ui.system.schedules.invocations(schedule.id, 1000)[-1]
        assert "overlap" in reason and first.id in reason, reason
        shot(page, "schedule-skipped")
    finally:
        ui.system.schedules.pause(schedule.id)


def test_a_viewer_reads_but_has_no_actions_and_a_post_is_refused(page: Any, ui: UI) -> None:
    saved = ui.system.schedules.create(
        ScheduleRequest(family="demo", job_name="noop", cron="0 3 * * *")
    )
    sign_in(page, ui, Role.VIEWER, "/schedules")
    line = row(page, saved.id)
    expect(line.locator("[data-test=next]")).to_have_text(shown(saved.next_fire_at))
    expect(page.locator("th:has-text('Actions')")).to_have_count(0)
    expect(page.locator("[data-test=actions]")).to_have_count(0)
    expect(page.get_by_role("link", name="New schedule")).to_have_count(0)
    page.goto(f"{ui.url}/schedules/{saved.id}")
    expect(page.locator("[data-test=cron-words]")).to_have_text("At 03:00")
    expect(page.locator("[data-test=actions]")).to_have_count(0)
    page.goto(f"{ui.url}/schedules/new")
    expect(page.locator("h1")).to_have_text("403")

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    html = httpx.get(f"{ui.url}/schedules/{saved.id}", cookies=cookies).text
    csrf = html.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    for action in ("pause", "trigger", "delete"):
        resp = httpx.post(
            f"{ui.url}/schedules/{saved.id}/{action}", data={"csrf": csrf}, cookies=cookies
        )
        assert resp.status_code == 403, action
    assert ui.system.schedules.get(saved.id) == saved  # nothing changed
    assert ui.system.schedules.invocations(saved.id) == []
