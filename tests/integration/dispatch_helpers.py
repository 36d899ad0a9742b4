"""Helpers for tests that run a real dispatcher over the real local cluster."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from iguazu.models import Invocation, InvocationRequest, State
from iguazu.settings import Settings
from iguazu.store import Store
from iguazu.system import System

from ..waiting import eventually

__all__ = ["eventually", "settings", "submit", "wait_until"]

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
    return eventually(
        lambda: store.get(inv_id),
        lambda inv: (inv.state in states) if states else inv.state.terminal,
        timeout=timeout,
        what=f"{inv_id} to reach {', '.join(s.value for s in states) or 'an end'}",
    )


def submit(system: System, family: str, name: str, **kw: object) -> Invocation:
    inv, _ = system.batch.submit(InvocationRequest(family=family, job_name=name, **kw))  # type: ignore[arg-type]
    return inv
