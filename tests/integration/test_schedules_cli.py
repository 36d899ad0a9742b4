"""Schedules through the Python client and the `iguazu` command line, against a real API.

No scheduler runs: nothing fires on its own; `trigger` queues an invocation by hand.
Expected fire times are computed here with zoneinfo, apart from iguazu.cron. Ids are passed
after `--` because a URL-safe id may begin with "-".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from iguazu.client import Client
from iguazu.errors import RemoteError
from iguazu.models import Misfire, Overlap, ScheduleRequest, State, utcnow
from iguazu.store import Store

from ..conftest import Server

IGUAZU = str(Path(sys.executable).with_name("iguazu"))
LA = ZoneInfo("America/Los_Angeles")
MAIL_PARAMS = {"learners": ["ada", "alan"], "course": "ml"}


def next_3am(zone: ZoneInfo, after: datetime, n: int = 1) -> list[datetime]:
    """The first n 03:00s on `zone`'s wall clock after `after` (03:00 exists every day
    in the zones used here)."""
    day = after.astimezone(zone).date()
    found = []
    while len(found) < n:
        candidate = datetime.combine(day, time(3), tzinfo=zone)
        if candidate > after:
            found.append(candidate)
        day += timedelta(days=1)
    return found


def calendar(fire: datetime, zone: ZoneInfo, now: datetime) -> str:
    """How the CLI should say a 03:00 fire: "Tomorrow at 3:00 AM PST"."""
    local = fire.astimezone(zone)
    day = {0: "Today", 1: "Tomorrow"}[(local.date() - now.astimezone(zone).date()).days]
    return f"{day} at {local.hour % 12 or 12}:00 AM {local.tzname()}"


def daily(**kw: object) -> ScheduleRequest:
    return ScheduleRequest(
        family="demo", job_name="noop", cron="0 3 * * *", timezone="America/Los_Angeles", **kw
    )  # type: ignore[arg-type]


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.token) as c:
        yield c


# -- the Python client ----------------------------------------------------------------------


def test_client_creates_lists_pauses_resumes_triggers_and_deletes(
    client: Client, store: Store
) -> None:
    before = utcnow()
    created = client.create_schedule(daily(description="nightly"))
    after = utcnow()
    assert created.next_fire_at in {next_3am(LA, before)[0], next_3am(LA, after)[0]}
    assert (created.job, created.queue, created.overlap) == ("demo/noop", "default", Overlap.FORBID)
    assert created == store.get_schedule(created.id) == client.schedule(created.id)
    other = client.create_schedule(
        ScheduleRequest(
            family="mailer",
            job_name="recommendationsEmail",
            cron="0 0 12 ? * 6#3",
            parameters=MAIL_PARAMS,
            misfire=Misfire.ALL,
            catchup_limit=3,
        )
    )
    assert (other.misfire, other.catchup_limit, other.parameters) == (Misfire.ALL, 3, MAIL_PARAMS)

    assert {s.id for s in client.schedules()} == {created.id, other.id}
    assert [s.id for s in client.schedules(family="mailer")] == [other.id]
    assert [s.id for s in client.schedules(job_name="noop", limit=1)] == [created.id]
    assert client.schedules(family="demo", offset=1) == []

    assert client.pause_schedule(created.id).paused is True
    assert [s.id for s in client.schedules(paused=True)] == [created.id]
    assert [s.id for s in client.schedules(paused=False)] == [other.id]
    before = utcnow()
    resumed = client.resume_schedule(created.id)
    assert resumed.paused is False
    assert resumed.next_fire_at in {next_3am(LA, before)[0], next_3am(LA, utcnow())[0]}

    inv_id = client.trigger_schedule(created.id)
    inv = client.get(inv_id)
    assert (inv.state, inv.schedule_id, inv.job) == (State.QUEUED, created.id, "demo/noop")
    assert inv.fire_time is not None and before <= inv.fire_time <= utcnow()
    assert [i.id for i in client.schedule_invocations(created.id)] == [inv_id]
    schedule, recent = client.schedule_detail(created.id)
    assert schedule.id == created.id and recent == [inv]

    client.delete_schedule(created.id)
    with pytest.raises(RemoteError) as gone:
        client.schedule(created.id)
    assert (gone.value.status, gone.value.detail) == (404, f"no schedule {created.id}")
    assert gone.value.error_type == "NotFound"
    assert client.get(inv_id).schedule_id == created.id  # its invocations stay


def test_client_refusals_carry_the_servers_message_and_save_nothing(
    client: Client, store: Store
) -> None:
    with pytest.raises(RemoteError) as bad_cron:
        client.create_schedule(ScheduleRequest(family="demo", job_name="noop", cron="0 0 32 * *"))
    assert bad_cron.value.status == 422 and bad_cron.value.error_type == "CronError"
    assert "day-of-month 32 is out of range 1-31" in bad_cron.value.detail
    with pytest.raises(RemoteError) as unknown:
        client.create_schedule(ScheduleRequest(family="nope", job_name="x", cron="* * * * *"))
    assert (unknown.value.status, unknown.value.detail) == (404, "unknown job nope/x")
    with pytest.raises(RemoteError) as params:
        client.create_schedule(
            ScheduleRequest(
                family="demo", job_name="sleep", cron="* * * * *", parameters={"seconds": -1}
            )
        )
    assert params.value.status == 422 and "seconds" in params.value.detail
    with pytest.raises(ValueError, match="catchup_limit must be 1 to 1000"):
        daily(catchup_limit=0)  # refused before any request
    assert store.list_schedules() == [] and store.list() == []


def test_client_previews_unix_and_quartz_expressions(client: Client) -> None:
    after = datetime(2026, 3, 6, 12, tzinfo=UTC)
    fires = client.preview_cron("0 3 * * *", "America/Los_Angeles", count=3, after=after)
    assert fires == [d.astimezone(UTC) for d in next_3am(LA, after, 3)]
    quartz = client.describe_cron("0 30 9 ? * MON-FRI", count=5, after=after)  # a Friday
    assert (quartz.dialect, quartz.description) == ("quartz", "At 09:30, on weekdays")
    assert [f.day for f in quartz.fires] == [9, 10, 11, 12, 13]
    assert len(client.preview_cron("*/5 * * * *")) == 10
    with pytest.raises(RemoteError) as bad:
        client.preview_cron("0 0 0 30 2 ?")
    assert bad.value.status == 422 and "it can never fire" in bad.value.detail


# -- the command line -----------------------------------------------------------------------


def iguazu_cli(
    server: Server | None,
    *args: str,
    stdin: str | None = None,
    token: str | None = "server",
    tz: str = "UTC",
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "TZ": tz}
    for name in ("IGUAZU_URL", "IGUAZU_TOKEN"):
        env.pop(name, None)
    if server is not None:
        env["IGUAZU_URL"] = server.url
        if token is not None:
            env["IGUAZU_TOKEN"] = str(server.token) if token == "server" else token
    return subprocess.run(
        [IGUAZU, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_one_line_error(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr


def row_of(output: str, ident: str) -> str:
    [row] = [line for line in output.splitlines() if ident in line]
    return row


def test_cli_add_takes_family_and_job_as_two_words_with_every_option(
    server: Server, store: Store, tmp_path: Path
) -> None:
    params = tmp_path / "mail.json"
    params.write_text(json.dumps(MAIL_PARAMS))
    result = iguazu_cli(
        server,
        "schedule",
        "add",
        "mailer",
        "recommendationsEmail",
        "0 30 9 ? * MON-FRI",
        str(params),
        "--tz",
        "Europe/Paris",
        "--queue",
        "high",
        "--overlap",
        "allow",
        "--misfire",
        "all",
        "--grace",
        "30",
        "--catchup-window",
        "7200",
        "--catchup-limit",
        "5",
        "--deadline",
        "600",
        "--paused",
        "--description",
        "weekday digest",
    )
    s = store.get_schedule(ok(result).strip())
    assert (s.job, s.cron, s.timezone, s.parameters) == (
        "mailer/recommendationsEmail",
        "0 30 9 ? * MON-FRI",
        "Europe/Paris",
        MAIL_PARAMS,
    )
    assert (s.queue, s.overlap, s.misfire, s.misfire_grace) == ("high", "allow", "all", 30)
    assert (s.catchup_window, s.catchup_limit, s.start_deadline) == (7200, 5, 600)
    assert (s.paused, s.description) == (True, "weekday digest")
    assert result.stderr == "At 09:30, on weekdays (Europe/Paris); next invocation: paused\n"


def test_cli_add_ls_and_show_a_daily_schedule_in_the_viewers_zone(
    server: Server, store: Store
) -> None:
    before = utcnow()
    added = iguazu_cli(
        server, "schedule", "add", "demo/noop", "0 3 * * *", "--tz", "America/Los_Angeles"
    )
    sid = ok(added).strip()
    fire = store.get_schedule(sid).next_fire_at
    assert fire in {next_3am(LA, before)[0], next_3am(LA, utcnow())[0]}
    assert fire is not None
    now = utcnow()
    assert added.stderr.startswith("At 03:00 (America/Los_Angeles); next invocation: ")
    sample = ok(
        iguazu_cli(server, "schedule", "add", "sample", "sample", "@daily", "-", stdin="{}")
    )

    listed = ok(iguazu_cli(server, "schedule", "ls", "--tz", "America/Los_Angeles"))
    header = listed.splitlines()[0]
    for title in ("ID", "Cron Expression", "Time zone", "Next Invocation", "Family", "Job Name"):
        assert title in header
    row = row_of(listed, sid)
    for cell in ("0 3 * * *", "America/Los_Angeles", calendar(fire, LA, now), "demo", "noop"):
        assert cell in row, (cell, row)
    assert row.rstrip().endswith("active")
    assert "sample" in row_of(listed, sample.strip())

    new_york = ZoneInfo("America/New_York")  # the viewer's own zone, from $TZ
    local = ok(iguazu_cli(server, "schedule", "ls", "--family", "demo", tz="America/New_York"))
    assert calendar(fire, new_york, now) in row_of(local, sid)  # 6:00 AM EST or EDT
    assert sample.strip() not in local
    assert sid in ok(iguazu_cli(server, "schedule", "ls", "--active", "--job", "noop"))
    nothing = iguazu_cli(server, "schedule", "ls", "--paused")
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (0, "", "no schedules\n")

    shown = ok(iguazu_cli(server, "schedule", "show", "--tz", "America/Los_Angeles", "--", sid))
    for text in (
        f"Schedule {sid}",
        "0 3 * * * (unix): At 03:00",
        "America/Los_Angeles",
        calendar(fire, LA, now),
        "forbid",
        "latest (grace 60 s)",
        "No invocations yet.",
    ):
        assert text in shown, text


def test_cli_pause_resume_trigger_show_and_rm(server: Server, store: Store) -> None:
    sid = ok(iguazu_cli(server, "schedule", "add", "demo/noop", "*/10 * * * *")).strip()
    assert ok(iguazu_cli(server, "schedule", "pause", "--", sid)) == f"{sid} paused\n"
    assert store.get_schedule(sid).paused
    assert row_of(ok(iguazu_cli(server, "schedule", "ls")), sid).rstrip().endswith("paused")

    resumed = ok(iguazu_cli(server, "schedule", "resume", "--", sid))
    assert resumed.startswith(f"{sid} active; next invocation: Today at ") or resumed.startswith(
        f"{sid} active; next invocation: Tomorrow at 12:00 AM UTC"
    )
    assert not store.get_schedule(sid).paused

    inv_id = ok(iguazu_cli(server, "schedule", "trigger", "--", sid)).strip()
    inv = store.get(inv_id)
    assert (inv.state, inv.schedule_id) == (State.QUEUED, sid)
    shown = ok(iguazu_cli(server, "schedule", "show", "--", sid))
    recent = shown[shown.index("Recent invocations") :]
    assert "QUEUED" in row_of(recent, inv_id)

    assert ok(iguazu_cli(server, "schedule", "rm", "--", sid)) == f"{sid} deleted\n"
    assert store.list_schedules() == []
    for action in ("show", "pause", "rm", "trigger"):
        gone = iguazu_cli(server, "schedule", action, "--", sid)
        assert_one_line_error(gone, f"no schedule {sid} (HTTP 404)")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["demo/noop", "0 0 32 * *"], "day-of-month 32 is out of range 1-31 (HTTP 422)"),
        (["demo/noop", "0 0 0 30 2 ?"], "it can never fire: no date in February"),
        (["demo/noop", "0 3 * * *", "--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["nope/x", "0 3 * * *"], "unknown job nope/x (HTTP 404)"),
        (["demo", "sleep", "0 3 * * *", "-"], "seconds: Input should be greater than or equal"),
        (["demo/noop", "0", "3", "*", "*", "*"], "quote the cron expression as one word"),
        (["demo/noop"], "expected FAMILY/JOB CRON [PARAMS.json]"),
        (["demo/noop", "* * * * *", "--grace", "-1"], "must be 1 to 86400 seconds, not -1"),
        (["demo/noop", "* * * * *", "--grace", "1e9"], "must be 1 to 86400 seconds, not 1e+09"),
        (["demo/noop", "* * * * *", "missing.json"], "cannot read parameters from missing.json"),
    ],
)
def test_cli_add_errors_are_one_clear_line_and_save_nothing(
    server: Server, store: Store, args: list[str], says: str
) -> None:
    result = iguazu_cli(server, "schedule", "add", *args, stdin='{"seconds": -1}')
    assert_one_line_error(result, says)
    assert store.list_schedules() == []


def test_cli_schedule_commands_need_the_token(server: Server) -> None:
    wrong = iguazu_cli(server, "schedule", "ls", token="wrong")
    assert_one_line_error(wrong, "token is wrong (HTTP 401)")
    assert_one_line_error(iguazu_cli(server, "schedule", "ls", "--tz", "Nowhere"), "Nowhere")


def test_cli_cron_explains_an_expression_without_a_server() -> None:
    now = utcnow()
    result = iguazu_cli(None, "cron", "0 3 * * *", "--tz", "America/Los_Angeles", "--count", "3")
    lines = ok(result).splitlines()
    assert lines[0] == "At 03:00 (unix cron, America/Los_Angeles)"
    expected = [f.strftime("%a %Y-%m-%d %H:%M:%S %Z") for f in next_3am(LA, now, 3)]
    assert lines[1:] == expected

    quartz = ok(iguazu_cli(None, "cron", "0 0 12 ? * 6#3", "--count", "2")).splitlines()
    assert quartz[0] == "At 12:00, on the third Friday of the month (quartz cron, UTC)"
    assert len(quartz) == 3 and all(line.startswith("Fri ") for line in quartz[1:])

    assert_one_line_error(
        iguazu_cli(None, "cron", "0 0 32 * *"),
        "cron expression '0 0 32 * *': day-of-month 32 is out of range 1-31",
    )
    assert_one_line_error(
        iguazu_cli(None, "cron", "* * * * *", "--tz", "Mars/Base"), "unknown time zone"
    )
    assert_one_line_error(
        iguazu_cli(None, "cron", "* * * * *", "--count", "0"), "count must be 1 to 100, not 0"
    )
