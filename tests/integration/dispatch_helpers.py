"""Helpers for tests that run a real dispatcher over the real local cluster."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from iguazu.models import Invocation, InvocationRequest, State
from iguazu.settings import Settings
from iguazu.store import Store
from iguazu.system import System

T = TypeVar("T")

TEST_JOBS = ("iguazu.examples", "tests.jobs.corejobs")


def settings(tmp_path: Path, **over: object) -> Settings:
    defaults = Settings(
        data_dir=tmp_path,
        job_modules=TEST_JOBS,
        agent_cpu=2048,
        agent_memory=1024,
        heartbeat_seconds=0.5,
        lease_seconds=3.0,
    )
    return dataclasses.replace(defaults, **over)


def wait_until(store: Store, inv_id: str, *states: State, timeout: float = 30.0) -> Invocation:
    """Poll the store until the invocation is in one of `states` (default: any terminal)."""
    deadline = time.monotonic() + timeout
    while True:
        inv = store.get(inv_id)
        if (inv.state in states) if states else inv.state.terminal:
            return inv
        if time.monotonic() > deadline:
            raise AssertionError(f"{inv_id} still {inv.state.value} after {timeout} s: {inv}")
        time.sleep(0.02)


def submit(system: System, family: str, name: str, **kw: object) -> Invocation:
    inv, _ = system.batch.submit(InvocationRequest(family=family, job_name=name, **kw))  # type: ignore[arg-type]
    return inv


def eventually(get: Callable[[], T], ok: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call `get` until `ok` accepts its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached after {timeout} s: {value!r}")
        time.sleep(0.02)
