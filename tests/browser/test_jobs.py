"""Jobs and invocations in Chromium: the job list, a Run form generated from the job's schema,
an invocation watched live until it ends, cancel, the invocations table and its filters, what
a viewer may not do, and the phone layout."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
import pydantic
from playwright.sync_api import expect

from iguazu.models import InvocationRequest, Role, utcnow
from iguazu.web.jobs import fields_of, read_form

from .conftest import UI, ZONE, shot, sign_in

WAIT = 20_000  # ms: a job starts, runs and ends (expect() waits 5 s unless told)
INVOCATION_URL = re.compile(r".*/invocations/[A-Za-z0-9_-]{22}$")


def submit(ui: UI, family: str, job: str, **parameters: Any) -> str:
    inv, _ = ui.system.batch.submit(
        InvocationRequest(family=family, job_name=job, parameters=parameters)
    )
    return inv.id


def count(ui: UI, family: str, job: str) -> int:
    return len(ui.system.batch.list(family=family, job_name=job, limit=1000))


def test_the_run_form_refuses_a_bad_value_then_runs_the_job_and_shows_its_log(
    page: Any, ui: UI
) -> None:
    sign_in(page, ui, Role.DEVELOPER, "/jobs")
    jobs = page.locator("[data-test=jobs]")
    expect(jobs).to_contain_text("recommendationsEmail")
    row = jobs.locator("tr", has_text="sample/sample")
    expect(row).to_contain_text("256 CPU units")
    expect(row).to_contain_text("128 MiB")
    expect(row).to_contain_text("message")
    expect(row).to_contain_text("The seed's sample job")
    shot(page, "jobs")

    row.get_by_role("link").click()
    page.wait_for_url(f"{ui.url}/jobs/sample/sample")
    expect(page.locator("[data-test=schema]")).to_contain_text('"maximum": 10000000')
    form = page.locator("[data-test=run-form]")
    # The defaults of the schema fill the generated inputs.
    expect(form.get_by_label("Message")).to_have_value("I am running my job!")
    expect(form.get_by_label("Work")).to_have_value("1000")

    form.get_by_label("Message").fill("hello from the browser")
    form.get_by_label("Work").fill("99999999999")  # above the schema's maximum
    form.get_by_role("button", name="Run now").click()
    error = page.locator("[data-test=run-error]")
    expect(error).to_contain_text("work")
    expect(error).to_contain_text("less than or equal to 10000000")
    field_error = form.locator(".field-error")
    expect(field_error).to_have_count(1)
    expect(field_error).to_contain_text("less than or equal to 10000000")
    # Nothing ran, and what was typed is still there to correct.
    assert count(ui, "sample", "sample") == 0
    expect(page.locator("[data-test=recent]")).to_contain_text("has not run yet")
    expect(form.get_by_label("Message")).to_have_value("hello from the browser")
    expect(form.get_by_label("Work")).to_have_value("99999999999")
    shot(page, "job-run-form")

    form.get_by_label("Work").fill("10")
    form.get_by_role("button", name="Run now").click()
    page.wait_for_url(INVOCATION_URL)
    expect(page.locator("[data-test=state]")).to_have_text("SUCCEEDED", timeout=WAIT)
    log = page.locator("[data-test=log-text]")
    expect(log).to_contain_text(">>> hello from the browser")
    expect(log).to_contain_text("sum of squares below 10: 285")
    expect(page.locator("[data-test=parameters]")).to_contain_text('"work": 10')
    fields = page.locator("[data-test=fields]")
    expect(fields).to_contain_text("Requested Invocation TimeN/A")
    expect(fields).to_contain_text("Exit code0")
    expect(fields.locator("[data-test=cluster-ref]")).to_contain_text("local:")
    expect(page.locator("[data-test=timeline]")).to_contain_text("SUCCEEDED")
    assert count(ui, "sample", "sample") == 1


def test_a_running_invocation_is_watched_live_until_it_succeeds(page: Any, ui: UI) -> None:
    sign_in(page, ui, Role.DEVELOPER, "/jobs/demo/sleep")
    form = page.locator("[data-test=run-form]")
    form.get_by_label("Seconds").fill("3")
    form.get_by_role("button", name="Run now").click()
    page.wait_for_url(INVOCATION_URL)
    state = page.locator("[data-test=state]")
    # The page opens before the job ends, and follows it without a reload.
    expect(page.locator(".live")).to_be_visible()
    expect(page.locator("[data-test=log-text]")).to_contain_text("sleeping 3.0 s")
    expect(state).to_have_text("RUNNING", timeout=WAIT)
    expect(page.locator("[data-test=fields]")).to_contain_text("local:")
    expect(state).to_have_text("SUCCEEDED", timeout=WAIT)
    expect(page.locator(".live")).to_have_count(0)
    expect(page.locator("[data-test=log-end]")).to_have_count(1)  # the page stopped asking
    expect(page.locator("[data-test=log-text]")).to_contain_text("sleeping 3.0 s")
    expect(page.locator("[data-test=fields]")).to_contain_text("Exit code0")


def test_a_json_parameter_with_bad_json_is_refused_beside_its_field(page: Any, ui: UI) -> None:
    sign_in(page, ui, Role.ADMIN, "/jobs/mailer/recommendationsEmail")
    form = page.locator("[data-test=run-form]")
    form.get_by_label("Learners").fill("['ada', 'grace'")
    form.get_by_label("Course").fill("ml")
    form.get_by_role("button", name="Run now").click()
    expect(form.locator(".field-error")).to_contain_text("not valid JSON")
    expect(page.locator("[data-test=run-error]")).to_contain_text("learners")
    assert count(ui, "mailer", "recommendationsEmail") == 0
    expect(form.get_by_label("Course")).to_have_value("ml")

    form.get_by_label("Learners").fill('["ada@example.org", "grace@example.org"]')
    form.get_by_role("button", name="Run now").click()
    page.wait_for_url(INVOCATION_URL)
    expect(page.locator("[data-test=state]")).to_have_text("SUCCEEDED", timeout=WAIT)
    expect(page.locator("[data-test=log-text]")).to_contain_text(
        "would email grace@example.org recommendations for ml"
    )


def test_a_job_without_a_schema_takes_a_json_object_and_a_run_can_be_deferred(
    page: Any, ui: UI
) -> None:
    sign_in(page, ui, Role.DEVELOPER, "/jobs/demo/fail")
    form = page.locator("[data-test=run-form]")
    parameters = form.get_by_label("Parameters (JSON object)")
    expect(parameters).to_have_value("{}")
    parameters.fill("[1, 2]")
    form.get_by_role("button", name="Run now").click()
    expect(form.locator(".field-error")).to_contain_text("must be a JSON object")
    assert count(ui, "demo", "fail") == 0
    form.get_by_label("Parameters (JSON object)").fill('{"message": "kaboom"}')
    form.get_by_role("button", name="Run now").click()
    page.wait_for_url(INVOCATION_URL)
    expect(page.locator("[data-test=state]")).to_have_text("FAILED", timeout=WAIT)
    expect(page.locator("[data-test=log-text]")).to_contain_text("RuntimeError: kaboom")

    # Run at tomorrow, 9:30 on the viewer's clock (Los Angeles): it waits, saying until when.
    page.goto(ui.url + "/jobs/demo/noop")
    tomorrow = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=1)).date()
    page.locator("[data-test=run-form]").get_by_label("Run at").fill(f"{tomorrow}T09:30")
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(INVOCATION_URL)
    expect(page.locator("[data-test=state]")).to_have_text("QUEUED")
    expect(page.locator("[data-test=fields]")).to_contain_text(
        re.compile(r"Requested Invocation TimeTomorrow at 9:30 AM P[DS]T")
    )
    inv = ui.system.batch.list(family="demo", job_name="noop")[0]
    assert inv.not_before == datetime.combine(tomorrow, dtime(9, 30), ZoneInfo(ZONE))


def test_the_form_has_an_input_of_the_right_kind_for_each_type() -> None:
    """Enums, booleans, optional values and lists, which the example jobs do not declare."""

    class Parameters(pydantic.BaseModel):
        colour: Literal["red", "green"] = "green"
        dry_run: bool = True
        limit: int | None = None
        ratio: float = 0.5
        tags: list[str] = []

    fields = {f.name: f for f in fields_of(Parameters.model_json_schema())}
    assert {n: f.kind for n, f in fields.items()} == {
        "colour": "select", "dry_run": "boolean", "limit": "integer", "ratio": "number",
        "tags": "json",
    }  # fmt: skip
    assert fields["colour"].value == '"green"' and fields["dry_run"].checked
    form = {"p.colour": '"red"', "p.limit": "", "p.ratio": "2", "p.tags": '["a"]'}
    assert read_form(list(fields.values()), form) == {
        "colour": "red", "dry_run": False, "ratio": 2, "tags": ["a"],  # limit: its default
    }  # fmt: skip
    assert read_form(list(fields.values()), {"p.limit": "1.5"}) is None
    assert fields["limit"].error == "'1.5' is not a whole number"


def test_cancelling_a_long_run_ends_it_cancelled_and_a_second_cancel_is_refused(
    page: Any, ui: UI
) -> None:
    sign_in(page, ui, Role.DEVELOPER, "/jobs/demo/sleep")
    form = page.locator("[data-test=run-form]")
    form.get_by_label("Seconds").fill("600")
    form.get_by_role("button", name="Run now").click()
    page.wait_for_url(INVOCATION_URL)
    expect(page.locator("[data-test=state]")).to_have_text("RUNNING", timeout=WAIT)
    expect(page.locator("[data-test=log-text]")).to_contain_text("sleeping 600.0 s")
    page.once("dialog", lambda dialog: dialog.accept())  # "Cancel this invocation?"
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("[data-test=state]")).to_have_text("CANCELLED", timeout=WAIT)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.locator("[data-test=timeline]")).to_contain_text("cancel requested")
    shot(page, "invocation-detail")

    # A cancel of what has ended (a stale page, a second tab) says why nothing happened.
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(page.url + "/cancel", form={"csrf": csrf}, max_redirects=0)
    assert answer.status == 409
    assert "already ended CANCELLED" in answer.text()


def test_the_invocations_table_filters_by_state_family_queue_and_time(page: Any, ui: UI) -> None:
    batch = ui.system.batch
    failed = submit(ui, "demo", "fail", message="boom")
    for _ in range(3):
        submit(ui, "demo", "noop")
    later = utcnow() + timedelta(hours=2)
    deferred, _ = batch.submit(InvocationRequest(family="sample", job_name="sample", run_at=later))
    _wait_ended(ui, failed)

    sign_in(page, ui, Role.VIEWER, "/invocations")
    table = page.locator("[data-test=invocations]")
    expect(table.locator("tbody tr")).to_have_count(5)
    row = table.locator(f"tr[data-id='{deferred.id}']")
    expect(row).to_contain_text("QUEUED")
    expect(row).not_to_contain_text("N/A")  # its requested time is shown
    expect(table.locator(f"tr[data-id='{failed}']")).to_contain_text("FAILED")
    shot(page, "invocations")

    filters = page.locator("[data-test=filters]")
    filters.locator("label.chip", has_text="FAILED").click()
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/invocations?*state=FAILED*")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("demo/fail")
    expect(filters.locator("input[value=FAILED]")).to_be_checked()

    page.goto(ui.url + "/invocations")
    filters.get_by_label("Family").fill("sample")
    filters.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("sample/sample")

    # Home's queue links: what waits on one queue.
    page.goto(ui.url + "/invocations?state=QUEUED&queue=default")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator(f"tr[data-id='{deferred.id}']")).to_be_visible()
    page.goto(ui.url + "/invocations?state=QUEUED&queue=grading")
    expect(table).to_contain_text("No invocation matches these filters.")

    # Since tomorrow, in the viewer's zone: nothing yet.
    page.goto(ui.url + "/invocations")
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    filters.locator("input[name=since]").fill(tomorrow)
    filters.get_by_role("button", name="Filter").click()
    expect(table).to_contain_text("No invocation matches these filters.")
    filters.locator("input[name=since]").fill("")
    filters.locator("input[name=until]").fill(tomorrow)
    filters.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(5)

    # Pages: two at a time, newest first.
    page.goto(ui.url + "/invocations?limit=2")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_have_attribute("data-id", deferred.id)
    page.get_by_role("link", name="Older →").click()
    page.get_by_role("link", name="Older →").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first).to_have_attribute("data-id", failed)
    expect(page.get_by_role("link", name="Older →")).to_have_count(0)
    page.get_by_role("link", name="← Newer").click()
    expect(table.locator("tbody tr")).to_have_count(2)

    table.locator("tbody tr").first.get_by_role("link", name=re.compile("View")).click()
    page.wait_for_url(INVOCATION_URL)
    expect(page.locator("[data-test=fields]")).to_contain_text("Familydemo")


def test_a_viewer_reads_but_may_not_run_or_cancel(page: Any, ui: UI) -> None:
    running = submit(ui, "demo", "sleep", seconds=600)
    sign_in(page, ui, Role.VIEWER, "/jobs/demo/sleep")
    expect(page.locator("[data-test=schema]")).to_contain_text('"seconds"')
    expect(page.locator("[data-test=run-form]")).to_have_count(0)
    expect(page.get_by_role("button", name="Run now")).to_have_count(0)

    page.goto(f"{ui.url}/invocations/{running}")
    expect(page.locator("[data-test=state]")).to_have_text(re.compile("QUEUED|STARTING|RUNNING"))
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    before = count(ui, "demo", "sleep")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = httpx.post(f"{ui.url}/jobs/demo/sleep/run", cookies=cookies,
                        data={"csrf": csrf, "p.seconds": "1"})  # fmt: skip
    assert answer.status_code == 403
    assert count(ui, "demo", "sleep") == before
    answer = httpx.post(f"{ui.url}/invocations/{running}/cancel", cookies=cookies,
                        data={"csrf": csrf})  # fmt: skip
    assert answer.status_code == 403
    assert ui.system.batch.get(running).cancel_requested is False

    missing = page.goto(f"{ui.url}/invocations/no-such-invocation")
    assert missing is not None and missing.status == 404
    expect(page.locator("[role=alert]")).to_have_text("no invocation no-such-invocation")


def test_the_pages_fit_a_phone_and_the_tables_scroll(page: Any, ui: UI) -> None:
    inv_id = submit(ui, "sample", "sample", message="on a phone")
    _wait_ended(ui, inv_id)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, ui, Role.DEVELOPER, "/invocations")
    for path in ("/invocations", "/jobs", "/jobs/sample/sample", f"/invocations/{inv_id}"):
        page.goto(ui.url + path)
        width = page.evaluate("document.body.scrollWidth")
        assert width <= 394, f"{path} is {width} px wide on a 390 px phone"
    page.goto(ui.url + "/invocations")
    scroller = page.locator(".scroll").first
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # the table scrolls
    expect(page.locator("[data-test=invocations]")).to_contain_text("sample/sample")


def _wait_ended(ui: UI, inv_id: str) -> None:
    """Until the invocation has ended (the dispatcher runs it)."""
    for _ in range(400):
        if ui.system.batch.get(inv_id).state.terminal:
            return
        time.sleep(0.05)
    raise AssertionError(f"{inv_id} is still {ui.system.batch.get(inv_id).state}")
