"""The Python client and the `iguazu` command line against a real API server.

No dispatcher runs: the tests move invocations to an end themselves (cancel) where they need
one, and write log files where the agent would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path

import pytest

import iguazu
from iguazu.client import Client
from iguazu.errors import RemoteError, Unreachable, WaitTimeout
from iguazu.models import InvocationRequest, State, utcnow
from iguazu.store import Store

from ..conftest import Server

IGUAZU = str(Path(sys.executable).with_name("iguazu"))
MAIL_PARAMS = {"learners": ["ada", "alan"], "course": "ml"}


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.token) as c:
        yield c


def mail(**kw: object) -> InvocationRequest:
    return InvocationRequest(
        family="mailer", job_name="recommendationsEmail", parameters=MAIL_PARAMS, **kw
    )  # type: ignore[arg-type]


def write_log(server: Server, inv_id: str, data: bytes) -> None:
    path = server.batch.log_path(inv_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as f:
        f.write(data)


# -- the Python client ----------------------------------------------------------------------


def test_the_seed_usage_creates_an_invocation_that_get_and_events_return(
    server: Server,
) -> None:
    inv_id = iguazu.Client(server.url, server.token).create(mail())  # as the seed writes it
    with Client(server.url, server.token) as client:
        inv = client.get(inv_id)
        assert (inv.id, inv.job, inv.state) == (inv_id, "mailer/recommendationsEmail", State.QUEUED)
        assert inv.parameters == MAIL_PARAMS
        assert inv.created_at.tzinfo is not None
        [event] = client.events(inv_id)
        assert (event.invocation_id, event.state) == (inv_id, State.QUEUED)


def test_client_run_at_idempotency_and_list_filters(client: Client, store: Store) -> None:
    run_at = (utcnow() + timedelta(days=1)).astimezone(timezone(timedelta(hours=-7)))
    later = client.create(mail(run_at=run_at, idempotency_key="once"))
    assert client.create(mail(run_at=run_at, idempotency_key="once")) == later
    assert client.get(later).not_before == run_at
    sample = client.create(InvocationRequest(family="sample", job_name="sample"))
    client.cancel(sample)

    assert [i.id for i in client.list()] == [sample, later]
    assert [i.id for i in client.list(family="mailer")] == [later]
    assert [i.id for i in client.list(states=[State.CANCELLED])] == [sample]
    assert [i.id for i in client.list(states=["QUEUED", "CANCELLED"], limit=1)] == [sample]
    assert [i.id for i in client.list(since=utcnow() - timedelta(minutes=5), offset=1)] == [later]
    assert client.list(until=utcnow() - timedelta(minutes=5)) == []
    assert len(store.list()) == 2


def test_client_errors_carry_the_servers_status_and_message(client: Client, server: Server) -> None:
    with pytest.raises(RemoteError) as unknown:
        client.create(InvocationRequest(family="nope", job_name="x"))
    assert (unknown.value.status, unknown.value.detail) == (404, "unknown job nope/x")
    with pytest.raises(RemoteError) as bad:
        client.create(
            InvocationRequest(family="demo", job_name="sleep", parameters={"seconds": -1})
        )
    assert bad.value.status == 422 and "seconds" in bad.value.detail
    with pytest.raises(RemoteError) as denied:
        Client(server.url, "wrong").jobs()
    assert denied.value.status == 401
    with pytest.raises(Unreachable):
        Client("http://127.0.0.1:9", timeout=2).jobs()


def test_cancel_ends_a_queued_invocation_and_a_second_cancel_is_a_conflict(
    client: Client,
) -> None:
    inv_id = client.create(mail())
    assert client.cancel(inv_id).state is State.CANCELLED
    assert [e.state for e in client.events(inv_id)] == [State.QUEUED, State.CANCELLED]
    with pytest.raises(RemoteError) as again:
        client.cancel(inv_id)
    assert again.value.status == 409 and "already ended" in again.value.detail


def test_wait_times_out_while_queued_and_returns_once_it_ends(
    client: Client, server: Server
) -> None:
    inv_id = client.create(mail())
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="still QUEUED"):
        client.wait(inv_id, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2

    threading.Timer(0.3, server.batch.cancel, [inv_id]).start()
    assert client.wait(inv_id, timeout=10).state is State.CANCELLED


def test_logs_read_from_offsets_without_cutting_a_character(client: Client, server: Server) -> None:
    inv_id = client.create(mail())
    assert client.logs(inv_id) == ("", 0)
    write_log(server, inv_id, b"caf" + "é".encode()[:1])  # é cut in half
    assert client.logs(inv_id) == ("caf", 3)
    write_log(server, inv_id, "é".encode()[1:] + b" ok\n")
    assert client.logs(inv_id, 3) == ("é ok\n", 9)
    assert client.logs(inv_id, 9) == ("", 9)


def test_follow_yields_the_log_as_it_grows_and_stops_when_it_has_ended(
    client: Client, server: Server
) -> None:
    inv_id = client.create(mail())

    def agent() -> None:  # what a running job and its agent would do
        for i in range(3):
            time.sleep(0.1)
            write_log(server, inv_id, f"line {i}\n".encode())
        server.batch.cancel(inv_id)

    threading.Thread(target=agent).start()
    followed = "".join(client.follow(inv_id))
    assert followed == "line 0\nline 1\nline 2\n"


def test_jobs_lists_what_the_server_knows(client: Client) -> None:
    jobs = {(j["family"], j["name"]): j for j in client.jobs()}
    assert jobs[("mailer", "recommendationsEmail")]["timeout"] == 300
    assert [q["name"] for q in client.queues()] == ["grading", "high", "default", "low"]
    assert client.agents() == []


# -- the command line -----------------------------------------------------------------------


def iguazu_cli(
    server: Server, *args: str, stdin: str | None = None, token: str | None = "server"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IGUAZU_URL": server.url, "COLUMNS": "250"}
    env.pop("IGUAZU_TOKEN", None)
    if token is not None:
        env["IGUAZU_TOKEN"] = server.token if token == "server" else token  # type: ignore[assignment]
    return subprocess.run(
        [IGUAZU, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr


def test_cli_submit_with_a_json_file_then_ls_show_and_cancel(
    server: Server, store: Store, tmp_path: Path
) -> None:
    params = tmp_path / "mail.json"
    params.write_text(json.dumps(MAIL_PARAMS))
    submitted = iguazu_cli(
        server,
        "submit",
        "mailer",
        "recommendationsEmail",
        str(params),
        "--queue",
        "high",
        "--idempotency-key",
        "cli-1",
    )
    assert submitted.returncode == 0, submitted.stderr
    inv_id = submitted.stdout.strip()
    inv = store.get(inv_id)
    assert (inv.parameters, inv.queue, inv.idempotency_key) == (MAIL_PARAMS, "high", "cli-1")

    listed = iguazu_cli(server, "ls")
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if inv_id in line]
    for column in ("mailer", "recommendationsEmail", "QUEUED", "N/A", "high"):
        assert column in row
    assert inv_id in iguazu_cli(server, "ls", "--family", "mailer", "--state", "queued").stdout
    filtered = iguazu_cli(server, "ls", "--state", "CANCELLED", "--since", "1h")
    assert filtered.returncode == 0 and inv_id not in filtered.stdout
    assert "no invocations" in filtered.stderr

    cancelled = iguazu_cli(server, "cancel", inv_id)
    assert (cancelled.returncode, cancelled.stdout) == (0, f"{inv_id} CANCELLED\n")
    assert_one_line_error(
        iguazu_cli(server, "cancel", inv_id), "already ended CANCELLED (HTTP 409)"
    )

    shown = iguazu_cli(server, "show", inv_id)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    for field in (
        "mailer",
        "recommendationsEmail",
        "high (priority 10)",
        "128 CPU units",
        "128 MiB",
        "timeout 300 s",
        "python job iguazu.examples:RecommendationsEmail",
        '"course": "ml"',
        "Timeline",
        "requested on queue high",
        "cancelled before it started",
    ):
        assert field in out, field
    timeline = out[out.index("Timeline") :]
    assert timeline.index("QUEUED") < timeline.index("CANCELLED")


def test_cli_submit_reads_parameters_from_stdin_and_can_defer(server: Server, store: Store) -> None:
    result = iguazu_cli(
        server,
        "submit",
        "sample",
        "sample",
        "-",
        "--run-at",
        "2099-01-01T09:00:00+01:00",
        stdin='{"work": 5}',
    )
    assert result.returncode == 0, result.stderr
    inv = store.get(result.stdout.strip())
    assert inv.parameters == {"work": 5, "message": "I am running my job!"}
    assert inv.not_before is not None and inv.not_before.isoformat() == "2099-01-01T08:00:00+00:00"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"learners": ["ada"], ', "mail.json is not valid JSON: Expecting"),
        ('["ada"]', "mail.json must hold a JSON object of parameters, not an array"),
    ],
)
def test_cli_refuses_a_malformed_parameters_file_before_any_request(
    server: Server, store: Store, tmp_path: Path, content: str, says: str
) -> None:
    params = tmp_path / "mail.json"
    params.write_text(content)
    result = iguazu_cli(server, "submit", "mailer", "recommendationsEmail", str(params))
    assert_one_line_error(result, says)
    assert store.list() == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["demo", "sleep", "-"], "seconds: Input should be greater than or equal to 0 (HTTP 422)"),
        (["nope", "x"], "unknown job nope/x (HTTP 404)"),
        (["demo", "sleep", "--run-at", "2099-01-01T09:00"], "has no UTC offset"),
        (["demo", "sleep", "--run-at", "soon"], "is not an ISO 8601 time"),
        (["demo", "sleep", "missing.json"], "cannot read parameters from missing.json"),
    ],
)
def test_cli_submit_errors_are_one_clear_line(
    server: Server, store: Store, args: list[str], says: str
) -> None:
    assert_one_line_error(iguazu_cli(server, "submit", *args, stdin='{"seconds": -1}'), says)
    assert store.list() == []


def test_cli_submit_wait_exits_non_zero_unless_it_succeeded(server: Server, store: Store) -> None:
    proc = subprocess.Popen(
        [IGUAZU, "submit", "demo", "noop", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "IGUAZU_URL": server.url, "IGUAZU_TOKEN": str(server.token)},
    )
    try:
        deadline = time.monotonic() + 30
        while not store.list() and time.monotonic() < deadline:
            time.sleep(0.05)
        [inv] = store.list()
        server.batch.cancel(inv.id)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert out.strip() == inv.id
    assert err.startswith("CANCELLED: cancelled before it started")


def test_cli_logs_prints_the_log_and_follow_stops_once_it_has_ended(
    server: Server, client: Client
) -> None:
    inv_id = client.create(mail())
    write_log(server, inv_id, b"[bold]not markup[/bold]\nsecond line\n")
    result = iguazu_cli(server, "logs", inv_id)
    assert (result.returncode, result.stdout) == (0, "[bold]not markup[/bold]\nsecond line\n")

    client.cancel(inv_id)
    followed = iguazu_cli(server, "logs", "-f", inv_id)
    assert (followed.returncode, followed.stdout) == (0, result.stdout)
    assert_one_line_error(iguazu_cli(server, "logs", "nope"), "no invocation nope (HTTP 404)")


def test_cli_jobs_and_connection_errors(server: Server) -> None:
    jobs = iguazu_cli(server, "jobs")
    assert jobs.returncode == 0, jobs.stderr
    [row] = [line for line in jobs.stdout.splitlines() if "recommendationsEmail" in line]
    assert "learners*, course*" in row and "300 s" in row
    assert_one_line_error(iguazu_cli(server, "jobs", token="wrong"), "token is wrong (HTTP 401)")
    assert_one_line_error(iguazu_cli(server, "jobs", token=None), "needs a token")
    dead = iguazu_cli(server, "ls", "--url", "http://127.0.0.1:9")
    assert_one_line_error(dead, "cannot reach the Iguazú API at http://127.0.0.1:9")
