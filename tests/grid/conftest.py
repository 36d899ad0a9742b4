"""A grading platform for the submission tests: the real System (SQLite store, the grading
job registered, the API served by uvicorn on loopback) over a folder of assignments that
holds the test assignments (sum, split, scripted) and the shipped example (wall-and-clock).

`grid_api` runs no dispatcher: submissions stay QUEUED (input checks, history, errors).
`grid_platform` adds this machine's agent, which declares `sandbox` as root: submissions are
graded by real invocations of the grading job in real boxes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from iguazu.client import Client
from iguazu.settings import Settings
from iguazu.system import System

from ..conftest import TEST_TOKEN, _run_uvicorn

HERE = Path(__file__).parent
EXAMPLE = HERE.parents[1] / "examples" / "assignments" / "wall-and-clock"
SECRET = "webhook-secret-for-tests"


@dataclass(frozen=True)
class Platform:
    url: str
    system: System
    assignments: Path

    def client(self) -> Client:
        return Client(self.url, TEST_TOKEN)

    def http(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {TEST_TOKEN}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _assignments(tmp_path: Path) -> Path:
    root = tmp_path / "assignments"
    shutil.copytree(HERE / "assignments", root)
    shutil.copytree(EXAMPLE, root / "wall-and-clock")
    return root


def _platform(tmp_path: Path, *, dispatch: bool, **settings: object) -> Iterator[Platform]:
    root = _assignments(tmp_path)
    options: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "job_modules": ("iguazu.examples",),
        "assignments_dir": root,
        "webhook_secret": SECRET,
        "webhook_private_hosts": True,  # the receivers of these tests are on loopback
        "api_token": TEST_TOKEN,
        "heartbeat_seconds": 0.5,
        **settings,
    }
    system = System(Settings(**options))  # type: ignore[arg-type]
    if dispatch:
        system.start_dispatcher()
    url, stop = _run_uvicorn(system.app())
    try:
        yield Platform(url=url, system=system, assignments=root)
    finally:
        stop()
        system.stop()


@pytest.fixture
def grid_api(tmp_path: Path) -> Iterator[Platform]:
    yield from _platform(tmp_path, dispatch=False)


@pytest.fixture
def grid_platform(tmp_path: Path) -> Iterator[Platform]:
    if os.geteuid() != 0:
        pytest.skip("grading needs the sandbox, which needs root; CI runs as root")
    yield from _platform(tmp_path, dispatch=True)
