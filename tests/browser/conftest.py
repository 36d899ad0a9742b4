"""The web UI in a real browser: Debian's Chromium (/usr/bin/chromium, which `.ci/run`
installs) driven by Playwright, never a downloaded browser.

`ui` is the whole system on SQLite (the API and the web UI served by uvicorn on loopback, a
dispatcher over this machine's agent, a scheduler, the test assignments), with three
accounts, one per role. `page` is a fresh browser context at 1280 px in Los Angeles time;
`shot(page, name)` saves a screenshot under test-artifacts/screenshots/ (CI keeps it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iguazu.models import Role
from iguazu.settings import Settings
from iguazu.system import System

from ..conftest import _run_uvicorn

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"
ACCOUNTS = {
    Role.ADMIN: ("frankchen@coursera.org", "Frank Chen"),
    Role.DEVELOPER: ("ada@example.org", "Ada Lovelace"),
    Role.VIEWER: ("grace@example.org", "Grace Hopper"),
}
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ZONE = "America/Los_Angeles"


@dataclass(frozen=True)
class UI:
    url: str
    system: System
    assignments: Path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UI]:
    assignments = tmp_path / "assignments"
    shutil.copytree(ROOT / "tests" / "grid" / "assignments", assignments)
    shutil.copytree(
        ROOT / "examples" / "assignments" / "wall-and-clock", assignments / "wall-and-clock"
    )
    settings = Settings(
        data_dir=tmp_path / "var",
        job_modules=("iguazu.examples",),
        assignments_dir=assignments,
        webhook_secret="browser-tests",
        heartbeat_seconds=0.5,
    )
    system = System(settings)
    for role, (email, name) in ACCOUNTS.items():
        system.accounts.add(email, name, role, PASSWORD)
    system.start_dispatcher()
    system.start_scheduler()
    url, stop = _run_uvicorn(system.app())
    try:
        yield UI(url=url, system=system, assignments=assignments)
    finally:
        stop()
        system.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, ui: UI, role: Role = Role.ADMIN, path: str = "/") -> None:
    """Sign in through the form as the account of `role`, landing on `path`."""
    email, _ = ACCOUNTS[role]
    page.goto(f"{ui.url}/signin?next={path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{ui.url}{path}")


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot, test-artifacts/screenshots/<name>.png, and one at phone width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(size)
    return path
