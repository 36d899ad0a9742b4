"""Signing in and out, roles, CSRF and session expiry, and the Home page, in Chromium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from iguazu.models import InvocationRequest, Role, State, utcnow
from iguazu.store import tables

from ..waiting import eventually
from .conftest import ACCOUNTS, PASSWORD, UI, shot, sign_in


def test_signing_in_shows_who_is_signed_in_and_the_home_page(page: Any, ui: UI) -> None:
    page.goto(ui.url + "/?from=test")
    assert "/signin" in page.url  # not signed in: sent to sign in, then back
    page.fill("input[name=email]", ACCOUNTS[Role.ADMIN][0])
    page.fill("input[name=password]", "wrong password")
    page.click("button:has-text('Sign in')")
    assert page.locator("[role=alert]").inner_text() == "Wrong email or password."
    page.fill("input[name=email]", ACCOUNTS[Role.ADMIN][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(ui.url + "/?from=test")
    assert page.locator("[data-test=user-name]").inner_text() == "FRANK CHEN"
    assert page.locator("[data-test=user-email]").inner_text() == "FRANKCHEN@COURSERA.ORG"

    inv, _ = ui.system.batch.submit(InvocationRequest(family="demo", job_name="sleep",
                                                      parameters={"seconds": 30}))  # fmt: skip
    # Ask once the job runs (a cold first start may take a while; Home refreshes every 5 s).
    eventually(lambda: ui.system.batch.get(inv.id).state is State.RUNNING, timeout=60,
               what="demo/sleep running")  # fmt: skip
    page.goto(ui.url + "/")
    page.wait_for_selector("[data-test=running] a:has-text('demo/sleep')")
    assert "grading" in page.locator("[data-test=queues]").inner_text()
    agents = page.locator("[data-test=agents]").inner_text()
    assert "sandbox" in agents or "CPU" in agents
    shot(page, "home")
    ui.system.batch.cancel(inv.id)  # Home refreshes itself: the job leaves "Running now"
    page.wait_for_selector("[data-test=running] :text('Nothing is running.')", timeout=30_000)

    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{ui.url}/signin")
    page.goto(ui.url + "/")
    assert "/signin" in page.url


def test_a_token_signs_in_and_a_wrong_one_does_not(page: Any, ui: UI) -> None:
    token = ui.system.accounts.issue_token(ACCOUNTS[Role.VIEWER][0])
    page.goto(ui.url + "/signin")
    page.fill("input[name=token]", "igz_wrong")
    page.click("button:has-text('Sign in with the token')")
    assert page.locator("[role=alert]").inner_text() == "That token is not valid."
    page.fill("input[name=token]", token)
    page.click("button:has-text('Sign in with the token')")
    page.wait_for_url(ui.url + "/")
    assert page.locator("[data-test=user-name]").inner_text() == "GRACE HOPPER"
    assert page.locator("nav a:has-text('Grading')").count() == 0  # admins only
    shot(page, "signin-viewer-home")


def test_an_expired_session_sends_the_browser_to_sign_in_again(page: Any, ui: UI) -> None:
    sign_in(page, ui)
    store = ui.system.store
    with store.engine.begin() as conn:  # the clock moves past the session's end
        conn.execute(
            tables.web_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1))
        )
    page.goto(ui.url + "/")
    page.wait_for_url("**/signin?**")
    assert "expired" in page.locator("[role=alert]").inner_text()
    sign_in(page, ui)  # and back in
    assert page.locator("[data-test=user-name]").inner_text() == "FRANK CHEN"


def test_a_post_without_the_csrf_token_is_refused(page: Any, ui: UI) -> None:
    sign_in(page, ui)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    resp = httpx.post(ui.url + "/signout", cookies=cookies, follow_redirects=False)
    assert resp.status_code == 403 and "CSRF" in resp.text
    page.goto(ui.url + "/")  # still signed in: nothing happened
    assert page.locator("[data-test=user-name]").inner_text() == "FRANK CHEN"
