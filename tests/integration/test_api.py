"""The REST API over real HTTP (uvicorn on loopback) and a real SQLite store.

No dispatcher runs here, so invocations stay QUEUED unless a test moves them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from iguazu.api.schemas import InvocationOut
from iguazu.models import Agent, Invocation, State, utcnow
from iguazu.store import Store

from ..conftest import Server

MAILER = {
    "family": "mailer",
    "job_name": "recommendationsEmail",
    "parameters": {"learners": ["ada", "alan"], "course": "ml"},
}
INTERNAL = {"error": {"type": "InternalError", "message": "internal error; see the server log"}}


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        yield client


def create(http: httpx.Client, **body: Any) -> dict[str, Any]:
    resp = http.post("/api/v1/invocations", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def error_of(resp: httpx.Response) -> dict[str, str]:
    assert resp.headers["content-type"].startswith("application/json"), resp.text
    return dict(resp.json()["error"])


# -- create, get, list ------------------------------------------------------------------------


def test_create_answers_201_with_the_queued_invocation_and_get_shows_its_timeline(
    http: httpx.Client,
) -> None:
    resp = http.post("/api/v1/invocations", json=MAILER)
    assert resp.status_code == 201
    inv = resp.json()
    assert resp.headers["location"] == f"/api/v1/invocations/{inv['id']}"
    assert inv["family"] == "mailer" and inv["job_name"] == "recommendationsEmail"
    assert inv["state"] == "QUEUED" and inv["queue"] == "default"
    assert inv["parameters"] == MAILER["parameters"]
    assert (inv["reserved_cpu"], inv["reserved_memory"], inv["timeout"]) == (128, 128, 300)
    assert inv["not_before"] is None
    created = datetime.fromisoformat(inv["created_at"])
    assert inv["created_at"].endswith("+00:00")
    assert abs(created - utcnow()) < timedelta(seconds=10)

    got = http.get(f"/api/v1/invocations/{inv['id']}").json()
    assert {k: got[k] for k in inv} == inv
    [event] = got["events"]
    assert event["state"] == "QUEUED" and event["message"] == "requested on queue default"
    assert event["at"].endswith("+00:00")


def test_unknown_invocation_is_a_404_naming_it(http: httpx.Client) -> None:
    for resp in (
        http.get("/api/v1/invocations/nope123"),
        http.post("/api/v1/invocations/nope123/cancel"),
        http.get("/api/v1/invocations/nope123/logs"),
    ):
        assert resp.status_code == 404
        assert error_of(resp) == {"type": "NotFound", "message": "no invocation nope123"}


def test_list_filters_by_family_job_state_and_time_newest_first(
    http: httpx.Client, server: Server
) -> None:
    first = create(http, family="sample", job_name="sample")
    mail = create(http, **MAILER)
    nap = create(http, family="demo", job_name="sleep", parameters={"seconds": 5})
    server.batch.cancel(nap["id"])

    def ids(**params: Any) -> list[str]:
        resp = http.get("/api/v1/invocations", params=params)
        assert resp.status_code == 200, resp.text
        return [i["id"] for i in resp.json()["invocations"]]

    assert ids() == [nap["id"], mail["id"], first["id"]]
    assert ids(family="mailer") == [mail["id"]]
    assert ids(family="demo", job_name="sleep") == [nap["id"]]
    assert ids(job_name="sample") == [first["id"]]
    assert ids(state="CANCELLED") == [nap["id"]]
    assert ids(state=["CANCELLED", "QUEUED"]) == [nap["id"], mail["id"], first["id"]]
    assert ids(state="RUNNING") == []
    assert ids(limit=2) == [nap["id"], mail["id"]]
    assert ids(limit=2, offset=2) == [first["id"]]
    created = datetime.fromisoformat(mail["created_at"])
    assert ids(since=mail["created_at"]) == [nap["id"], mail["id"]]
    assert ids(until=mail["created_at"]) == [first["id"]]
    later = (created + timedelta(hours=1)).astimezone(timezone(timedelta(hours=1)))
    assert ids(since=later.isoformat()) == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2030-01-01T00:00:00"}, "until"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"state": "SLEEPING"}, "state"),
    ],
)
def test_list_refuses_bad_filters_naming_them(
    http: httpx.Client, params: dict[str, Any], named: str
) -> None:
    resp = http.get("/api/v1/invocations", params=params)
    assert resp.status_code == 422
    error = error_of(resp)
    assert error["type"] == "InvalidRequest" and error["message"].startswith(f"{named}: ")


def test_run_at_in_the_future_is_recorded_as_not_before_in_utc(http: httpx.Client) -> None:
    plus_two = timezone(timedelta(hours=2))
    run_at = (utcnow() + timedelta(hours=1)).replace(microsecond=0).astimezone(plus_two)
    inv = create(http, **MAILER, run_at=run_at.isoformat())
    assert inv["state"] == "QUEUED"
    assert inv["not_before"] == run_at.astimezone(UTC).isoformat()
    [event] = http.get(f"/api/v1/invocations/{inv['id']}").json()["events"]
    assert "deferred until" in event["message"]


def test_run_at_in_the_past_runs_now_and_the_timeline_says_so(http: httpx.Client) -> None:
    inv = create(http, **MAILER, run_at="2001-01-01T00:00:00Z")
    assert inv["not_before"] is None
    [event] = http.get(f"/api/v1/invocations/{inv['id']}").json()["events"]
    assert "run_at 2001-01-01T00:00:00+00:00 is past: runs now" in event["message"]


def test_a_repeated_idempotency_key_answers_200_with_the_first_invocation(
    http: httpx.Client, store: Store
) -> None:
    first = http.post("/api/v1/invocations", json={**MAILER, "idempotency_key": "mail-42"})
    again = http.post("/api/v1/invocations", json={**MAILER, "idempotency_key": "mail-42"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    [row] = store.list()
    assert row.id == first.json()["id"]
    assert len(store.events(row.id)) == 1


def test_an_idempotency_key_reused_for_another_job_is_a_409_and_writes_nothing(
    http: httpx.Client, store: Store
) -> None:
    first = create(http, **MAILER, idempotency_key="mail-43")
    other = http.post(
        "/api/v1/invocations",
        json={"family": "demo", "job_name": "sleep", "idempotency_key": "mail-43"},
    )
    assert other.status_code == 409
    assert other.json()["error"]["type"] == "Conflict"
    assert "mail-43" in other.json()["error"]["message"]
    assert first["id"] in other.json()["error"]["message"]
    assert [i.id for i in store.list()] == [first["id"]]


# -- cancel, logs ---------------------------------------------------------------------------


def test_cancelling_a_queued_invocation_ends_it_and_a_second_cancel_is_a_409(
    http: httpx.Client,
) -> None:
    inv = create(http, **MAILER)
    resp = http.post(f"/api/v1/invocations/{inv['id']}/cancel")
    assert resp.status_code == 200
    assert resp.json()["state"] == "CANCELLED" and resp.json()["ended_at"]
    got = http.get(f"/api/v1/invocations/{inv['id']}").json()
    assert [(e["state"], e["message"]) for e in got["events"]] == [
        ("QUEUED", "requested on queue default"),
        ("CANCELLED", "cancelled before it started"),
    ]
    again = http.post(f"/api/v1/invocations/{inv['id']}/cancel")
    assert again.status_code == 409
    assert error_of(again) == {
        "type": "Conflict",
        "message": f"invocation {inv['id']} already ended CANCELLED",
    }


def test_logs_are_read_from_an_offset_with_the_next_offset_and_state_in_headers(
    http: httpx.Client, server: Server
) -> None:
    inv = create(http, **MAILER)
    url = f"/api/v1/invocations/{inv['id']}/logs"
    empty = http.get(url)  # nothing written yet: empty, and the follower should keep going
    assert (empty.status_code, empty.content, empty.headers["x-next-offset"]) == (200, b"", "0")

    path = server.batch.log_path(inv["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("line one\nlíne two\n".encode())
    size = path.stat().st_size

    whole = http.get(url)
    assert whole.headers["content-type"].startswith("text/plain")
    assert whole.text == "line one\nlíne two\n"
    assert whole.headers["x-next-offset"] == str(size)
    assert whole.headers["x-invocation-state"] == "QUEUED"
    assert http.get(url, params={"offset": 9}).content == "líne two\n".encode()
    assert http.get(url, params={"offset": size}).content == b""

    server.batch.cancel(inv["id"])
    done = http.get(url, params={"offset": size})
    assert (done.content, done.headers["x-invocation-state"]) == (b"", "CANCELLED")
    assert http.get(url, params={"offset": -1}).status_code == 422


# -- bad input changes nothing --------------------------------------------------------------


BAD_INPUT = [
    pytest.param(
        {"family": "nope", "job_name": "x"},
        404,
        "UnknownJob",
        "unknown job nope/x",
        id="unknown job",
    ),
    pytest.param(
        b'{"family": "sample", "job_name": ',
        400,
        "MalformedJSON",
        "not valid JSON",
        id="malformed JSON",
    ),
    pytest.param(b"", 400, "MalformedJSON", "body is empty", id="empty body"),
    pytest.param(
        b'{"family": "sample", "job_name": "sample", "parameters": {"work": NaN}}',
        400,
        "MalformedJSON",
        "NaN",
        id="NaN",
    ),
    pytest.param(b"\xff\xfe{}", 400, "MalformedJSON", "not valid JSON", id="not UTF-8"),
    pytest.param(
        [MAILER], 422, "InvalidRequest", "must be a JSON object, not an array", id="body not object"
    ),
    pytest.param(
        {"family": "demo", "job_name": "sleep", "parameters": {"seconds": -1}},
        422,
        "InvalidParameters",
        "seconds: Input should be greater than or equal to 0",
        id="schema: seconds",
    ),
    pytest.param(
        {"family": "sample", "job_name": "sample", "parameters": {"work": "x"}},
        422,
        "InvalidParameters",
        "work: Input should be a valid integer",
        id="schema: work",
    ),
    pytest.param(
        {
            "family": "mailer",
            "job_name": "recommendationsEmail",
            "parameters": {"learners": ["ada"]},
        },
        422,
        "InvalidParameters",
        "course: Field required",
        id="schema: missing",
    ),
    pytest.param(
        {**MAILER, "parameters": [1, 2]},
        422,
        "InvalidRequest",
        "parameters:",
        id="parameters not object",
    ),
    pytest.param(
        {**MAILER, "queue": "nope"}, 422, "UnknownQueue", "unknown queue 'nope'", id="unknown queue"
    ),
    pytest.param(
        {**MAILER, "run_at": "next tuesday"},
        422,
        "InvalidRequest",
        "run_at: 'next tuesday' is not an ISO 8601 time",
        id="run_at not a time",
    ),
    pytest.param(
        {**MAILER, "run_at": 1_900_000_000},
        422,
        "InvalidRequest",
        "run_at: must be an ISO 8601 time",
        id="run_at a number",
    ),
    pytest.param(
        {**MAILER, "run_at": "2030-01-01T10:00:00"},
        422,
        "InvalidRequest",
        "run_at: 2030-01-01T10:00:00 has no UTC offset",
        id="run_at naive",
    ),
    pytest.param(
        {"family": "sample"}, 422, "InvalidRequest", "job_name: Field required", id="missing field"
    ),
    pytest.param(
        {**MAILER, "paramters": {}},
        422,
        "InvalidRequest",
        "paramters: Extra inputs are not permitted",
        id="misspelt field",
    ),
    pytest.param(
        {**MAILER, "idempotency_key": "k" * 201},
        422,
        "InvalidRequest",
        "idempotency_key:",
        id="key too long",
    ),
    pytest.param(
        b"{" + b'"a": "' + b"x" * (2 << 20) + b'"}',
        413,
        "PayloadTooLarge",
        "larger than the limit",
        id="oversize",
    ),
]


@pytest.mark.parametrize(("body", "status", "type_", "says"), BAD_INPUT)
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(
    http: httpx.Client, store: Store, body: Any, status: int, type_: str, says: str
) -> None:
    if isinstance(body, bytes):
        resp = http.post(
            "/api/v1/invocations", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        resp = http.post("/api/v1/invocations", json=body)
    assert resp.status_code == status, resp.text
    error = error_of(resp)
    assert error["type"] == type_
    assert says in error["message"]
    assert store.list() == []


def test_a_json_body_without_a_json_content_type_is_still_read(http: httpx.Client) -> None:
    # What `curl -d '{...}'` sends: application/x-www-form-urlencoded.
    resp = http.post(
        "/api/v1/invocations",
        content=httpx.Request("POST", "/", json=MAILER).content,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 201, resp.text


def test_a_reservation_no_agent_can_hold_is_refused_at_submit(
    http: httpx.Client, store: Store
) -> None:
    now = utcnow()
    store.register_agent(
        Agent(id="small", host="test", pid=1, cpu=512, memory=64, started_at=now, heartbeat_at=now)
    )
    resp = http.post("/api/v1/invocations", json={"family": "sample", "job_name": "sample"})
    assert resp.status_code == 422
    error = error_of(resp)
    assert error["type"] == "Unplaceable"
    assert error["message"] == (
        "sample/sample reserves 256 CPU units and 128 MiB, which no agent can hold "
        "(largest agent offers 512 CPU units and 64 MiB)"
    )
    assert store.list() == []
    # One that fits is accepted.
    assert create(http, family="demo", job_name="sleep")["state"] == "QUEUED"


# -- auth, errors, metrics, discovery -------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "needs a token"),
        ({"Authorization": "Bearer wrong"}, "token is wrong"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "needs a token"),
        ({"Authorization": "Bearer tést".encode()}, "token is wrong"),
    ],
)
def test_api_routes_need_the_token(
    server: Server, store: Store, headers: dict[str, Any], says: str
) -> None:
    with httpx.Client(base_url=server.url, headers=headers) as anon:
        for resp in (
            anon.get("/api/v1/invocations"),
            anon.get("/api/v1/jobs"),
            anon.post("/api/v1/invocations", json=MAILER),
        ):
            assert resp.status_code == 401
            assert resp.headers["www-authenticate"] == "Bearer"
            error = error_of(resp)
            assert error["type"] == "Unauthorized" and says in error["message"]
        assert store.list() == []
        assert anon.get("/healthz").json() == {"status": "ok"}
        assert anon.get("/metrics").status_code == 200
        assert "/api/v1/invocations" in anon.get("/openapi.json").json()["paths"]
        assert anon.get("/docs").status_code == 200


def test_without_a_token_configured_no_header_is_needed(serve: Any, batch: Any) -> None:
    open_server = serve(batch, token=None)
    resp = httpx.post(f"{open_server.url}/api/v1/invocations", json=MAILER)
    assert resp.status_code == 201


def test_an_unexpected_error_is_a_bare_500_and_is_logged_on_the_server(
    http: httpx.Client, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="iguazu.api")
    resp = http.post(
        "/api/v1/invocations",
        json={"family": "api", "job_name": "broken", "parameters": {"value": 1}},
    )
    assert resp.status_code == 500
    assert resp.json() == INTERNAL
    assert "secret" not in resp.text and "Traceback" not in resp.text
    assert store.list() == []
    [record] = [r for r in caplog.records if r.name == "iguazu.api"]
    assert "POST /api/v1/invocations" in record.getMessage()
    assert record.exc_info and "secret internal detail" in str(record.exc_info[1])


def test_a_broken_database_is_a_bare_500(http: httpx.Client, store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE invocations")
    resp = http.get("/api/v1/invocations")
    assert resp.status_code == 500
    assert resp.json() == INTERNAL
    assert "sqlite" not in resp.text.lower()


def test_unknown_routes_and_methods_answer_json_errors(http: httpx.Client) -> None:
    missing = http.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing) == {
        "type": "NotFound",
        "message": "no such endpoint: GET /api/v1/nothing-here",
    }
    wrong = http.delete("/api/v1/jobs")
    assert wrong.status_code == 405
    assert error_of(wrong)["type"] == "MethodNotAllowed"


def test_metrics_count_submissions_and_read_states_from_the_store(
    http: httpx.Client, server: Server
) -> None:
    inv = create(http, **MAILER, idempotency_key="k1")
    http.post("/api/v1/invocations", json={**MAILER, "idempotency_key": "k1"})
    http.post("/api/v1/invocations", json={"family": "nope", "job_name": "x"})
    http.post("/api/v1/invocations", json={**MAILER, "parameters": {}})
    create(http, family="demo", job_name="noop")
    server.batch.cancel(inv["id"])

    text = httpx.get(f"{server.url}/metrics").text
    lines = set(text.splitlines())
    job = 'job="mailer/recommendationsEmail"'
    assert f'iguazu_submissions_total{{{job},outcome="created"}} 1.0' in lines
    assert f'iguazu_submissions_total{{{job},outcome="duplicate"}} 1.0' in lines
    assert f'iguazu_submissions_total{{{job},outcome="InvalidParameters"}} 1.0' in lines
    assert 'iguazu_submissions_total{job="(unknown)",outcome="UnknownJob"} 1.0' in lines
    assert 'iguazu_invocations{state="QUEUED"} 1.0' in lines
    assert 'iguazu_invocations{state="CANCELLED"} 1.0' in lines
    assert 'iguazu_invocations{state="RUNNING"} 0.0' in lines


def test_jobs_queues_and_agents_describe_the_platform(http: httpx.Client, store: Store) -> None:
    jobs = {(j["family"], j["name"]): j for j in http.get("/api/v1/jobs").json()["jobs"]}
    sample = jobs[("sample", "sample")]
    assert (sample["reserved_cpu"], sample["reserved_memory"], sample["queue"]) == (
        256,
        128,
        "default",
    )
    assert sample["command"] == "python job iguazu.examples:Job"
    assert set(sample["parameters_schema"]["properties"]) == {"message", "work"}
    assert jobs[("demo", "fail")]["parameters_schema"] is None

    queues = http.get("/api/v1/queues").json()["queues"]
    assert queues == [
        {"name": "grading", "priority": 20},
        {"name": "high", "priority": 10},
        {"name": "default", "priority": 0},
        {"name": "low", "priority": -10},
    ]

    assert http.get("/api/v1/agents").json() == {"agents": []}
    now = utcnow()
    store.register_agent(
        Agent(id="a1", host="box", pid=7, cpu=2048, memory=1024, started_at=now, heartbeat_at=now)
    )
    [agent] = http.get("/api/v1/agents").json()["agents"]
    assert agent["capacity"] == agent["free"] == {"cpu": 2048, "memory": 1024}
    assert agent["used"] == {"cpu": 0, "memory": 0}
    assert datetime.fromisoformat(agent["heartbeat_at"]) == now


def test_the_wire_format_carries_every_invocation_field() -> None:
    # A field added to Invocation but not to the schema would be dropped on the wire.
    assert set(InvocationOut.model_fields) == {f.name for f in dataclasses.fields(Invocation)}
    assert State.QUEUED.value == "QUEUED"
