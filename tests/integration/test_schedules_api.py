"""The schedules API and cron previews over real HTTP (uvicorn on loopback), real SQLite.

No scheduler or dispatcher runs: schedules are saved and read, triggers queue invocations,
and nothing fires on its own. Expected fire times are computed here with zoneinfo, apart
from iguazu.cron.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from iguazu.api.schedule_schemas import ScheduleOut
from iguazu.api.schemas import InvocationOut
from iguazu.models import Invocation, Misfire, Overlap, Schedule, State, utcnow
from iguazu.store import Store

from ..conftest import Server

LA = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")
DAILY = {
    "family": "demo",
    "job_name": "noop",
    "cron": "0 3 * * *",
    "timezone": "America/Los_Angeles",
}


def next_3am_la(after: datetime) -> datetime:
    """The first 03:00 on Los Angeles' wall clock after `after` (03:00 exists every day)."""
    day = after.astimezone(LA).date()
    for d in (day, day + timedelta(days=1)):
        candidate = datetime.combine(d, time(3), tzinfo=LA)
        if candidate > after:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable")


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        yield client


def create(http: httpx.Client, **body: Any) -> dict[str, Any]:
    resp = http.post("/api/v1/schedules", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def listed(http: httpx.Client, **params: Any) -> list[str]:
    resp = http.get("/api/v1/schedules", params=params)
    assert resp.status_code == 200, resp.text
    return [s["id"] for s in resp.json()["schedules"]]


def error_of(resp: httpx.Response) -> dict[str, str]:
    assert resp.headers["content-type"].startswith("application/json"), resp.text
    return dict(resp.json()["error"])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- create, get, list ------------------------------------------------------------------------


def test_create_answers_201_with_the_schedule_and_its_next_fire(http: httpx.Client) -> None:
    before = utcnow()
    resp = http.post("/api/v1/schedules", json={**DAILY, "description": "nightly"})
    after = utcnow()
    assert resp.status_code == 201, resp.text
    s = resp.json()
    assert resp.headers["location"] == f"/api/v1/schedules/{s['id']}"
    assert len(s["id"]) == 16
    assert (s["family"], s["job_name"], s["queue"]) == ("demo", "noop", "default")
    assert (s["cron"], s["timezone"], s["dialect"]) == ("0 3 * * *", "America/Los_Angeles", "unix")
    assert s["cron_description"] == "At 03:00"
    assert (s["overlap"], s["misfire"], s["misfire_grace"]) == ("forbid", "latest", 60.0)
    assert (s["catchup_window"], s["catchup_limit"], s["start_deadline"]) == (86400.0, 10, None)
    assert (s["paused"], s["description"], s["parameters"]) == (False, "nightly", {})
    assert s["next_fire_at"].endswith("+00:00") and s["last_fire_at"] is None
    assert at(s["next_fire_at"]) in {next_3am_la(before), next_3am_la(after)}
    assert before <= at(s["created_at"]) <= after

    got = http.get(f"/api/v1/schedules/{s['id']}").json()
    assert got == {**s, "recent": []}


def test_a_quartz_schedule_keeps_every_option_and_validated_parameters(
    http: httpx.Client,
) -> None:
    s = create(
        http,
        family="sample",
        job_name="sample",
        cron="0 0 12 ? * 6#3",
        timezone="Europe/Paris",
        parameters={"work": 5},
        queue="high",
        overlap="replace",
        misfire="all",
        misfire_grace=1,
        catchup_window=3600,
        catchup_limit=1000,
        start_deadline=600,
        paused=True,
    )
    assert (s["dialect"], s["cron_description"]) == (
        "quartz",
        "At 12:00, on the third Friday of the month",
    )
    assert s["parameters"] == {"work": 5, "message": "I am running my job!"}  # defaults filled
    assert (s["queue"], s["overlap"], s["misfire"], s["paused"]) == ("high", "replace", "all", True)
    assert (s["misfire_grace"], s["catchup_window"], s["catchup_limit"]) == (1, 3600, 1000)
    assert s["start_deadline"] == 600
    fire = at(s["next_fire_at"])
    assert fire.astimezone(PARIS).time() == time(12)
    local = fire.astimezone(PARIS).date()
    assert local == third_friday(local.year, local.month)


def test_list_is_soonest_first_and_filters(http: httpx.Client, store: Store) -> None:
    daily = create(http, **DAILY)["id"]
    sleep = create(http, family="demo", job_name="sleep", cron="*/5 * * * *")["id"]
    sample = create(http, family="sample", job_name="sample", cron="0 0 29 2 *")["id"]
    paused = create(http, family="demo", job_name="noop", cron="* * * * *", paused=True)["id"]
    over = create(http, **DAILY)["id"]
    now = utcnow()
    for sid, hours in ((daily, 3), (sleep, 1), (sample, 4), (paused, 2)):
        store.update_schedule(sid, next_fire_at=now + timedelta(hours=hours))
    store.update_schedule(over, next_fire_at=None)  # its years are over: it never fires again

    assert listed(http) == [sleep, paused, daily, sample, over]
    assert listed(http, family="demo") == [sleep, paused, daily, over]
    assert listed(http, family="demo", job_name="noop") == [paused, daily, over]
    assert listed(http, paused="true") == [paused]
    assert listed(http, paused="false", job_name="noop") == [daily, over]
    assert listed(http, limit=2, offset=1) == [paused, daily]
    assert listed(http, family="nope") == []
    bad = http.get("/api/v1/schedules", params={"limit": 0, "paused": "maybe"})
    assert bad.status_code == 422
    assert "limit: Input should be greater than or equal to 1" in error_of(bad)["message"]
    assert "paused: Input should be a valid boolean" in error_of(bad)["message"]


# -- pause, resume, trigger, delete -----------------------------------------------------------


def test_pause_then_resume_recomputes_the_next_fire_from_now(
    http: httpx.Client, store: Store
) -> None:
    sid = create(http, **DAILY)["id"]
    paused = http.post(f"/api/v1/schedules/{sid}/pause")
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True
    assert listed(http, paused="true") == [sid]
    long_ago = datetime(2020, 1, 1, 11, tzinfo=UTC)
    store.update_schedule(sid, next_fire_at=long_ago)  # as if it had been paused for years

    before = utcnow()
    resumed = http.post(f"/api/v1/schedules/{sid}/resume").json()
    after = utcnow()
    assert resumed["paused"] is False
    assert at(resumed["next_fire_at"]) in {next_3am_la(before), next_3am_la(after)}
    assert before <= at(resumed["updated_at"]) <= after
    assert http.get(f"/api/v1/schedules/{sid}").json()["next_fire_at"] == resumed["next_fire_at"]


def test_trigger_queues_an_invocation_of_the_schedule_now(http: httpx.Client, store: Store) -> None:
    mail = {"learners": ["ada"], "course": "ml"}
    sid = create(
        http,
        family="mailer",
        job_name="recommendationsEmail",
        cron="0 9 * * 1",
        parameters=mail,
        queue="low",
    )["id"]
    before = utcnow()
    resp = http.post(f"/api/v1/schedules/{sid}/trigger")
    assert resp.status_code == 201, resp.text
    inv = resp.json()
    assert resp.headers["location"] == f"/api/v1/invocations/{inv['id']}"
    assert (inv["state"], inv["schedule_id"], inv["queue"]) == ("QUEUED", sid, "low")
    assert inv["parameters"] == mail
    assert before <= at(inv["fire_time"]) <= utcnow()
    assert inv["deadline_at"] is None and inv["waits_for"] is None

    got = http.get(f"/api/v1/invocations/{inv['id']}").json()
    assert got["schedule_id"] == sid
    assert got["events"][0]["message"] == f"triggered by hand from schedule {sid}"
    second = http.post(f"/api/v1/schedules/{sid}/trigger").json()
    recent = http.get(f"/api/v1/schedules/{sid}").json()["recent"]
    assert [i["id"] for i in recent] == [second["id"], inv["id"]]  # newest first
    assert store.get(inv["id"]).schedule_id == sid


def test_delete_answers_204_then_the_schedule_is_gone_but_its_invocations_stay(
    http: httpx.Client, store: Store
) -> None:
    sid = create(http, **DAILY)["id"]
    inv_id = http.post(f"/api/v1/schedules/{sid}/trigger").json()["id"]
    resp = http.delete(f"/api/v1/schedules/{sid}")
    assert (resp.status_code, resp.content) == (204, b"")
    assert listed(http) == []
    missing = http.get(f"/api/v1/schedules/{sid}")
    assert missing.status_code == 404
    assert error_of(missing) == {"type": "NotFound", "message": f"no schedule {sid}"}
    assert store.get(inv_id).schedule_id == sid


def test_unknown_schedules_are_a_404_naming_them(http: httpx.Client, store: Store) -> None:
    for resp in (
        http.get("/api/v1/schedules/nope123"),
        http.post("/api/v1/schedules/nope123/pause"),
        http.post("/api/v1/schedules/nope123/resume"),
        http.post("/api/v1/schedules/nope123/trigger"),
        http.delete("/api/v1/schedules/nope123"),
    ):
        assert resp.status_code == 404, resp.request
        assert error_of(resp) == {"type": "NotFound", "message": "no schedule nope123"}
    assert store.list() == []


# -- cron preview -----------------------------------------------------------------------------


def test_preview_of_a_unix_expression_across_a_daylight_saving_change(http: httpx.Client) -> None:
    resp = http.get(
        "/api/v1/cron/preview",
        params={
            "expression": "0 3 * * *",
            "timezone": "America/Los_Angeles",
            "count": 3,
            "after": "2026-03-06T13:00:00+01:00",
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    expected = [datetime(2026, 3, d, 3, tzinfo=LA).astimezone(UTC) for d in (7, 8, 9)]
    assert [at(f) for f in body["fires"]] == expected  # 11:00Z in PST, then 10:00Z in PDT
    assert all(f.endswith("+00:00") for f in body["fires"])
    assert {k: body[k] for k in ("expression", "dialect", "description", "timezone")} == {
        "expression": "0 3 * * *",
        "dialect": "unix",
        "description": "At 03:00",
        "timezone": "America/Los_Angeles",
    }


def test_preview_of_a_quartz_expression_defaults_to_ten_fires_after_now(
    http: httpx.Client,
) -> None:
    params = {"expression": "0 0 12 ? * 6#3", "timezone": "Europe/Paris"}
    resp = http.get("/api/v1/cron/preview", params={**params, "after": "2026-01-01T00:00:00Z"})
    body = resp.json()
    months = [(2026, m) for m in range(1, 11)]
    expected = [
        datetime.combine(third_friday(y, m), time(12), tzinfo=PARIS).astimezone(UTC)
        for y, m in months
    ]
    assert [at(f) for f in body["fires"]] == expected
    assert body["dialect"] == "quartz"

    now = utcnow()
    hourly = http.get("/api/v1/cron/preview", params={"expression": "0 * * * *", "count": 2})
    first, second = (at(f) for f in hourly.json()["fires"])
    assert now < first <= now + timedelta(hours=1) and second - first == timedelta(hours=1)


def test_preview_hand_typed_plus_offset_is_read_as_an_offset(server: Server) -> None:
    # "+" in a query string decodes as a space; the offset is restored, not refused.
    url = f"{server.url}/api/v1/cron/preview?expression=0+3+*+*+*&after=2026-03-06T13:00:00+01:00"
    body = httpx.get(url, headers={"Authorization": f"Bearer {server.token}"}).json()
    assert at(body["fires"][0]) == datetime(2026, 3, 7, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"expression": "0 0 32 * *"}, "day-of-month 32 is out of range 1-31"),
        ({"expression": "0 0 0 30 2 ?"}, "it can never fire: no date in February"),
        ({"expression": "0 3 * *"}, "expected 5 (Unix) or 6-7 (Quartz) fields, got 4"),
        ({"expression": "0 3 * * *", "timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({}, "expression: Field required"),
        ({"expression": "* * * * *", "count": 0}, "count: Input should be greater than or equal"),
        ({"expression": "* * * * *", "count": 101}, "count: Input should be less than or equal"),
        ({"expression": "* * * * *", "after": "2026-01-01T00:00"}, "after: 2026-01-01T00:00 has"),
    ],
)
def test_preview_refuses_bad_input_with_a_422_saying_why(
    http: httpx.Client, params: dict[str, Any], says: str
) -> None:
    resp = http.get("/api/v1/cron/preview", params=params)
    assert resp.status_code == 422, resp.text
    assert says in error_of(resp)["message"]


# -- hostile input ----------------------------------------------------------------------------

BAD_SCHEDULES = [
    pytest.param(
        {**DAILY, "cron": "0 0 32 * *"},
        422,
        "CronError",
        "cron expression '0 0 32 * *': day-of-month 32 is out of range 1-31",
        id="day out of range",
    ),
    pytest.param(
        {**DAILY, "cron": "0 0 0 30 2 ?"},
        422,
        "CronError",
        "it can never fire: no date in February matches day-of-month '30'",
        id="never fires",
    ),
    pytest.param(
        {**DAILY, "cron": "0 0 0 1 1 ? 2015"}, 422, "CronError", "it never fires after", id="past"
    ),
    pytest.param(
        {**DAILY, "cron": "0 3 * * * * * *"}, 422, "CronError", "got 8", id="too many fields"
    ),
    pytest.param({**DAILY, "cron": "1" * 600}, 422, "CronError", "at most 512", id="cron long"),
    pytest.param({**DAILY, "cron": ""}, 422, "CronError", "the expression is empty", id="empty"),
    pytest.param({**DAILY, "cron": 5}, 422, "InvalidRequest", "cron: Input should be", id="number"),
    pytest.param(
        {**DAILY, "timezone": "Mars/Base"},
        422,
        "CronError",
        "unknown time zone 'Mars/Base'",
        id="unknown zone",
    ),
    pytest.param(
        {**DAILY, "timezone": "../../etc/passwd"}, 422, "CronError", "unknown time zone", id="path"
    ),
    pytest.param(
        {**DAILY, "family": "nope", "job_name": "x"},
        404,
        "UnknownJob",
        "unknown job nope/x",
        id="unknown job",
    ),
    pytest.param(
        {**DAILY, "job_name": "sleep", "parameters": {"seconds": -1}},
        422,
        "InvalidParameters",
        "seconds: Input should be greater than or equal to 0",
        id="bad parameters",
    ),
    pytest.param(
        {**DAILY, "parameters": [1]}, 422, "InvalidRequest", "parameters:", id="parameters array"
    ),
    pytest.param(
        {**DAILY, "queue": "nope"}, 422, "UnknownQueue", "unknown queue 'nope'", id="unknown queue"
    ),
    pytest.param(
        {**DAILY, "crom": "x"},
        422,
        "InvalidRequest",
        "crom: Extra inputs are not permitted",
        id="unknown field",
    ),
    pytest.param(
        {"family": "demo", "job_name": "noop"},
        422,
        "InvalidRequest",
        "cron: Field required",
        id="missing cron",
    ),
    pytest.param(
        {**DAILY, "misfire_grace": 0},
        422,
        "InvalidRequest",
        "misfire_grace: Input should be greater than or equal to 1",
        id="grace 0",
    ),
    pytest.param(
        {**DAILY, "misfire_grace": 86401},
        422,
        "InvalidRequest",
        "misfire_grace: Input should be less than or equal to 86400",
        id="grace over a day",
    ),
    pytest.param(
        {**DAILY, "catchup_limit": 0},
        422,
        "InvalidRequest",
        "catchup_limit: Input should be greater than or equal to 1",
        id="catchup_limit 0",
    ),
    pytest.param(
        {**DAILY, "catchup_limit": 1001},
        422,
        "InvalidRequest",
        "catchup_limit: Input should be less than or equal to 1000",
        id="catchup_limit 1001",
    ),
    pytest.param(
        {**DAILY, "catchup_window": 0},
        422,
        "InvalidRequest",
        "catchup_window: Input should be greater than or equal to 1",
        id="catchup_window 0",
    ),
    pytest.param(
        {**DAILY, "catchup_window": 1e12},
        422,
        "InvalidRequest",
        "catchup_window: Input should be less than or equal to",
        id="catchup_window huge",
    ),
    pytest.param(
        {**DAILY, "start_deadline": 0},
        422,
        "InvalidRequest",
        "start_deadline: Input should be greater than or equal to 1",
        id="start_deadline 0",
    ),
    pytest.param(
        b'{"family": "demo", "job_name": "noop", "cron": "* * * * *", "misfire_grace": 1e400}',
        422,
        "InvalidRequest",
        "misfire_grace: Input should be a finite number",
        id="infinite grace",
    ),
    pytest.param(
        {**DAILY, "overlap": "sometimes"},
        422,
        "InvalidRequest",
        "overlap: Input should be 'forbid', 'allow' or 'replace'",
        id="bad overlap",
    ),
    pytest.param(
        {**DAILY, "misfire": "never"},
        422,
        "InvalidRequest",
        "misfire: Input should be 'skip', 'latest' or 'all'",
        id="bad misfire",
    ),
    pytest.param(
        {**DAILY, "description": "d" * 1001},
        422,
        "InvalidRequest",
        "description: String should have at most 1000 characters",
        id="description long",
    ),
    pytest.param(
        b'{"family": "demo", "cron": ', 400, "MalformedJSON", "not valid JSON", id="malformed JSON"
    ),
    pytest.param(b"", 400, "MalformedJSON", "body is empty", id="empty body"),
    pytest.param(
        [DAILY], 422, "InvalidRequest", "must be a JSON object, not an array", id="body not object"
    ),
    pytest.param(
        b'"0 3 * * *"', 422, "InvalidRequest", "must be a JSON object, not a string", id="string"
    ),
    pytest.param(
        b'{"a": "' + b"x" * (2 << 20) + b'"}',
        413,
        "PayloadTooLarge",
        "larger than the limit",
        id="oversize",
    ),
]


@pytest.mark.parametrize(("body", "status", "type_", "says"), BAD_SCHEDULES)
def test_bad_schedules_are_refused_with_a_clear_message_and_save_nothing(
    http: httpx.Client, store: Store, body: Any, status: int, type_: str, says: str
) -> None:
    if isinstance(body, bytes):
        resp = http.post(
            "/api/v1/schedules", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        resp = http.post("/api/v1/schedules", json=body)
    assert resp.status_code == status, resp.text
    error = error_of(resp)
    assert error["type"] == type_
    assert says in error["message"], error["message"]
    assert listed(http) == []
    assert store.list_schedules() == [] and store.list() == []


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}], ids=["missing", "wrong"]
)
def test_schedule_routes_need_the_token(
    server: Server, store: Store, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=server.url, headers=headers) as anon:
        for resp in (
            anon.post("/api/v1/schedules", json=DAILY),
            anon.get("/api/v1/schedules"),
            anon.get("/api/v1/schedules/x"),
            anon.post("/api/v1/schedules/x/pause"),
            anon.post("/api/v1/schedules/x/resume"),
            anon.post("/api/v1/schedules/x/trigger"),
            anon.delete("/api/v1/schedules/x"),
            anon.get("/api/v1/cron/preview", params={"expression": "* * * * *"}),
        ):
            assert resp.status_code == 401, resp.request
            assert resp.headers["www-authenticate"] == "Bearer"
            assert error_of(resp)["type"] == "Unauthorized"
    assert store.list_schedules() == []


# -- the wire format --------------------------------------------------------------------------


def test_the_wire_format_carries_every_schedule_and_invocation_field() -> None:
    names = {f.name for f in dataclasses.fields(Schedule)}
    assert set(ScheduleOut.model_fields) == names | {"dialect", "cron_description"}
    now = utcnow()
    schedule = Schedule(
        id="s1", family="demo", job_name="noop", cron="0 3 * * *", timezone="Asia/Kolkata",
        parameters={"a": [1]}, queue="low", overlap=Overlap.ALLOW, misfire=Misfire.SKIP,
        misfire_grace=1.5, catchup_window=60, catchup_limit=3, start_deadline=30, paused=True,
        description="d", created_at=now, updated_at=now, next_fire_at=None, last_fire_at=now,
    )  # fmt: skip
    wire = ScheduleOut.from_model(schedule).model_dump_json()
    assert ScheduleOut.model_validate_json(wire).to_model() == schedule

    inv = Invocation(
        id="i1", family="demo", job_name="noop", queue="low", priority=-10, parameters={},
        state=State.SKIPPED, reserved_cpu=16, reserved_memory=32, timeout=None, command="c",
        created_at=now, schedule_id="s1", fire_time=now, deadline_at=now + timedelta(seconds=9),
        waits_for="i0",
    )  # fmt: skip
    wire = InvocationOut.from_model(inv).model_dump_json()
    assert InvocationOut.model_validate_json(wire).to_model() == inv


def test_openapi_documents_the_schedule_routes_and_their_body(http: httpx.Client) -> None:
    doc = http.get("/openapi.json").json()
    for path in (
        "/api/v1/schedules",
        "/api/v1/schedules/{schedule_id}",
        "/api/v1/schedules/{schedule_id}/pause",
        "/api/v1/schedules/{schedule_id}/resume",
        "/api/v1/schedules/{schedule_id}/trigger",
        "/api/v1/cron/preview",
    ):
        assert path in doc["paths"], path
    body = doc["paths"]["/api/v1/schedules"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    assert "cron" in schema["required"]
    refs = [v["$ref"] for v in schema["properties"].values() if "$ref" in v]
    assert refs, schema
    for ref in refs:  # every reference resolves inside the document
        assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"]
