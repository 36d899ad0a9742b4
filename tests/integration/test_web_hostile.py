"""Hostile requests to the web UI and the API it sits beside, over real HTTP (uvicorn on
loopback): each is a clear refusal or a page with the error, never a 500, and nothing is
changed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from iguazu.models import Role
from iguazu.settings import Settings
from iguazu.system import System

from ..conftest import _run_uvicorn

PASSWORD = "correct-horse-battery"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, System]]:
    system = System(Settings(data_dir=tmp_path / "var", job_modules=("iguazu.examples",)))
    system.accounts.add("ada@example.org", "Ada", Role.DEVELOPER, PASSWORD)
    system.accounts.add("grace@example.org", "Grace", Role.VIEWER, PASSWORD)
    url, stop = _run_uvicorn(system.app())
    try:
        yield url, system
    finally:
        stop()
        system.stop()


def signed_in(url: str, email: str = "ada@example.org") -> tuple[httpx.Client, str]:
    """A client with a session cookie, and the session's CSRF token (from a page)."""
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    done = client.post("/signin", data={"csrf": csrf.group(1), "email": email,
                                        "password": PASSWORD, "next": "/"})  # fmt: skip
    assert done.status_code == 303, done.text
    home = client.get("/")
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert token is not None
    return client, token.group(1)


def test_a_cross_site_post_to_the_api_is_refused_and_saves_nothing(
    site: tuple[str, System],
) -> None:
    url, system = site
    body = '{"family": "demo", "job_name": "noop", "cron": "* * * * *", "description": "=x"}'
    cross_site = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    evil = httpx.post(f"{url}/api/v1/schedules", content=body, headers=cross_site)
    assert evil.status_code == 403 and "cross-site" in evil.json()["error"]["message"]
    assert system.schedules.list() == []
    same = httpx.post(f"{url}/api/v1/schedules", content=body,
                      headers={"Origin": url, "Content-Type": "application/json"})  # fmt: skip
    assert same.status_code == 201  # the site itself, and clients that send no Origin
    assert httpx.post(f"{url}/api/v1/invocations", json={"family": "demo",
                      "job_name": "noop"}).status_code == 201  # fmt: skip


def test_odd_time_zone_cookies_fall_back_to_utc(site: tuple[str, System]) -> None:
    url, _ = site
    client, _ = signed_in(url)
    for zone in ("Europe", "America/Argentina", "../../etc/passwd", "x" * 5000, "Mars/Base"):
        client.cookies.set("tz", zone)
        page = client.get("/")
        assert page.status_code == 200 and "Times in UTC." in page.text
        preview = client.get("/schedules/preview", params={"cron": "0 * * * *", "timezone": zone})
        assert preview.status_code == 200


def test_non_ascii_csrf_tokens_and_sign_in_tokens_are_refused_not_crashed(
    site: tuple[str, System],
) -> None:
    url, system = site
    anonymous = httpx.Client(base_url=url, timeout=30)
    anonymous.get("/signin")
    assert anonymous.post("/signin", data={"csrf": "é", "email": "a@b.c"}).status_code == 403
    signin_csrf = anonymous.cookies.get("iguazu_signin") or ""
    assert anonymous.post("/signin", data={"csrf": signin_csrf, "token": "é"}).status_code == 401
    client, _ = signed_in(url)
    refused = client.post("/signout", data={"csrf": "é"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.get("/").status_code == 200  # still signed in


def test_htmx_requests_after_the_session_ended_send_the_whole_page_to_sign_in(
    site: tuple[str, System],
) -> None:
    url, system = site
    client, _ = signed_in(url)
    system.accounts.issue_token("ada@example.org")  # a new token ends every session
    poll = client.get(
        "/schedules/preview",
        params={"cron": "* * * * *"},
        headers={"HX-Request": "true", "HX-Current-URL": f"{url}/schedules/new?x=1"},
    )
    assert poll.status_code == 401
    assert poll.headers["HX-Redirect"] == "/signin?next=%2Fschedules%2Fnew%3Fx%3D1&expired=true"
    after_post = client.post("/signout", data={"csrf": "x"}, follow_redirects=False)
    assert after_post.headers["location"] == "/signin?next=%2F&expired=true"  # not /signout


def test_hostile_values_in_filters_and_forms_are_errors_on_the_page(
    site: tuple[str, System],
) -> None:
    url, system = site
    client, csrf = signed_in(url)
    for query in ({"offset": "9999999999999999999"}, {"until": "9999-12-31T23:59:59-14:00"},
                  {"since": "0001-01-01T00:00:00+14:00"}):  # fmt: skip
        page = client.get("/invocations", params=query)
        assert page.status_code == 200, query
    assert (
        "out of range"
        in client.get("/invocations", params={"until": "9999-12-31T23:59:59-14:00"}).text
    )
    bad_runs = [
        {"p.seconds": "inf"},
        {"p.seconds": "nan"},
        {"p.seconds": "1", "run_at": "9999-12-31T23:59:59-14:00"},
    ]
    for form in bad_runs:
        answer = client.post("/jobs/demo/sleep/run", data={"csrf": csrf, **form})
        assert answer.status_code == 422, (form, answer.status_code)
    deep = client.post("/jobs/demo/fail/run", data={"csrf": csrf, "p.": "[" * 100_000})
    assert deep.status_code == 422 and "nested too deeply" in deep.text
    nan = client.post("/jobs/demo/fail/run", data={"csrf": csrf, "p.": '{"a": NaN}'})
    assert nan.status_code == 422 and "NaN is not a JSON value" in nan.text
    assert system.batch.list() == []


def test_the_grading_job_is_not_offered_to_run_by_hand(tmp_path: Path) -> None:
    assignments = tmp_path / "assignments"
    assignments.mkdir()
    system = System(Settings(data_dir=tmp_path / "var", job_modules=("iguazu.examples",),
                             assignments_dir=assignments))  # fmt: skip
    system.accounts.add("ada@example.org", "Ada", Role.ADMIN, PASSWORD)
    url, stop = _run_uvicorn(system.app())
    try:
        client, csrf = signed_in(url)
        page = client.get("/jobs/grid/grade")
        assert page.status_code == 200 and "Run now</button>" not in page.text
        refused = client.post("/jobs/grid/grade/run", data={"csrf": csrf, "p.submission_id": "x"})
        assert refused.status_code == 403 and system.batch.list() == []
    finally:
        stop()
        system.stop()


def test_a_failure_of_ours_on_a_page_is_an_html_page_and_the_api_stays_json(
    site: tuple[str, System],
) -> None:
    url, system = site
    client, _ = signed_in(url)
    with system.store.engine.begin() as conn:  # the store breaks under the server
        conn.exec_driver_sql("DROP TABLE schedules")
    page = client.get("/schedules")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "internal error; see the server log" in page.text and "DROP" not in page.text
    api = httpx.get(f"{url}/api/v1/schedules")
    assert api.status_code == 500
    assert api.json() == {"error": {"type": "InternalError",
                                    "message": "internal error; see the server log"}}  # fmt: skip


def test_the_sign_in_page_says_when_guessing_was_stopped(site: tuple[str, System]) -> None:
    url, _ = site
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/signin")
    csrf = client.cookies.get("iguazu_signin") or ""
    for guess in range(10):
        wrong = client.post("/signin", data={"csrf": csrf, "email": "ada@example.org",
                                             "password": f"guess-{guess}"})  # fmt: skip
        assert wrong.status_code == 401 and "Wrong email or password." in wrong.text
    stopped = client.post("/signin", data={"csrf": csrf, "email": "ada@example.org",
                                           "password": PASSWORD})  # fmt: skip
    assert stopped.status_code == 429 and "Too many failed sign-ins" in stopped.text
    assert "iguazu_session" not in client.cookies


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        # Behind a proxy that rewrites Host: the browser says it is the same origin.
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://iguazu.example.org"}, True),
        ({"Origin": "https://iguazu.example.org", "X-Forwarded-Host": "iguazu.example.org"}, True),
        ({"Origin": "http://["}, False),  # does not parse: refused, not a 500
        ({"Origin": "null"}, False),
        ({}, True),  # API clients send neither
    ],
)
def test_the_same_origin_rule_reads_what_browsers_and_proxies_send(
    site: tuple[str, System], headers: dict[str, str], allowed: bool
) -> None:
    url, system = site
    answer = httpx.post(f"{url}/api/v1/invocations", json={"family": "demo", "job_name": "noop"},
                        headers=headers)  # fmt: skip
    assert answer.status_code == (201 if allowed else 403), answer.text
    assert len(system.batch.list()) == (1 if allowed else 0)
    same_host = httpx.post(f"{url}/api/v1/invocations", json={"family": "demo", "job_name": "noop"},
                           headers={"Origin": url.upper().replace("HTTP", "http")})  # fmt: skip
    assert same_host.status_code == 201  # host names compare in any case


def test_json_nested_deeper_than_can_be_stored_is_refused_at_every_door(
    site: tuple[str, System],
) -> None:
    """Nesting a few hundred deep parses, but could not be read back (the listing of every
    invocation would then fail): 64 levels is the limit, for the API and the forms."""
    url, system = site
    deep = "[" * 300 + "]" * 300
    api = httpx.post(f"{url}/api/v1/invocations", content=f'{{"family": "demo", '
                     f'"job_name": "fail", "parameters": {{"a": {deep}}}}}',
                     headers={"Content-Type": "application/json"})  # fmt: skip
    assert api.status_code == 400 and "nested more than 64 deep" in api.json()["error"]["message"]
    client, csrf = signed_in(url)
    form = client.post("/jobs/demo/fail/run", data={"csrf": csrf, "p.": f'{{"a": {deep}}}'})
    assert form.status_code == 422 and "nested too deeply" in form.text
    fine = "[" * 60 + "]" * 60
    ok = httpx.post(f"{url}/api/v1/invocations", json={"family": "demo", "job_name": "fail",
                    "parameters": {"a": json.loads(fine)}})  # fmt: skip
    assert ok.status_code == 201
    assert httpx.get(f"{url}/api/v1/invocations").status_code == 200
    assert len(system.batch.list()) == 1
