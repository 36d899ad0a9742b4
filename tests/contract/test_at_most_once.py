"""At most once, across processes: real `iguazu worker` processes race for the same
invocations, and get killed with SIGKILL while their jobs run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from iguazu.batch import Batch
from iguazu.jobs import JobRegistry
from iguazu.models import InvocationRequest, State
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store

from ..waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
JOBS = ["iguazu.examples", "tests.jobs.corejobs"]


class Workers:
    """`python -m iguazu worker` processes sharing one database and data dir."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url, self.data_dir = url, data_dir
        self.config = data_dir / "iguazu.toml"
        self.config.write_text(
            f'database_url = "{url}"\ndata_dir = "{data_dir}"\nagent_cpu = 2048\n'
            f"agent_memory = 4096\nheartbeat_seconds = 0.5\nlease_seconds = 5.0\n"
            f"[jobs]\nmodules = {JOBS!r}\n".replace("'", '"')
        )
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = open(self.data_dir / f"worker-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "iguazu", "worker", "--config", str(self.config)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for(check, timeout: float = 60.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    return eventually(check, timeout=timeout, what=what)


@pytest.fixture
def batch(any_store: Store, tmp_path: Path) -> Batch:
    return Batch(
        store=any_store,
        registry=JobRegistry.load(JOBS),
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path / "logs",
    )


@pytest.fixture
def workers(any_url: str, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(any_url, tmp_path)
    yield w
    w.stop()


def test_racing_workers_run_every_invocation_exactly_once(pg_url: str, tmp_path: Path) -> None:
    """Three dispatchers on one PostgreSQL, 1,000 invocations submitted while they race."""
    store = Store(pg_url)
    batch = Batch(
        store=store,
        registry=JobRegistry.load(JOBS),
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path / "logs",
    )
    workers = Workers(pg_url, tmp_path)
    try:
        for _ in range(3):
            workers.start()
        wait_for(lambda: len(store.agents()) == 3, what="three agents")
        out = tmp_path / "ran.txt"
        ids = [
            batch.submit(
                InvocationRequest(family="core", job_name="appendid", parameters={"path": str(out)})
            )[0].id
            for _ in range(1000)
        ]
        wait_for(
            lambda: sum(n for s, n in store.count_by_state().items() if s.terminal) == 1000,
            timeout=240,
            what="1000 invocations to end",
        )
        lines = out.read_text().split()
        assert Counter(lines) == Counter(ids)  # every id exactly once, nothing else
        assert store.count_by_state() == {State.SUCCEEDED: 1000}
        used_agents = {inv.agent_id for inv in store.list(limit=1000)}
        assert len(used_agents) >= 2, "the race needs more than one dispatcher taking work"
    finally:
        workers.stop()
        store.close()


def test_killed_worker_leaves_lost_invocations_that_never_run_again(
    batch: Batch, workers: Workers, tmp_path: Path
) -> None:
    store = batch.store
    first = workers.start()
    wait_for(lambda: len(store.agents()) == 1, what="agent")
    out = tmp_path / "ran.txt"
    running = [
        batch.submit(
            InvocationRequest(
                family="core", job_name="appendid", parameters={"path": str(out), "sleep": 120}
            )
        )[0]
        for _ in range(3)
    ]
    wait_for(lambda: all(store.get(i.id).state is State.RUNNING for i in running), what="running")
    # RUNNING is recorded once the process is started, which may be before its first line ran:
    # kill the worker only once each job has written its id, so that a second run would show.
    wait_for(lambda: out.exists() and len(out.read_text().split()) == 3, what="ids written")
    pids = [int(store.get(i.id).cluster_ref.rsplit("/", 1)[1]) for i in running]  # type: ignore[union-attr]

    first.send_signal(signal.SIGKILL)
    first.wait(10)
    workers.start()

    lost = wait_for(
        lambda: (
            [store.get(i.id) for i in running]
            if all(store.get(i.id).state is State.LOST for i in running)
            else None
        ),
        timeout=30,
        what="LOST",
    )
    assert all("outcome unknown" in (i.reason or "") for i in lost)
    wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=10, what="job processes gone")

    after = batch.submit(
        InvocationRequest(family="core", job_name="appendid", parameters={"path": str(out)})
    )[0]
    assert wait_for(lambda: store.get(after.id).state.terminal, what="new job") is True
    assert store.get(after.id).state is State.SUCCEEDED
    time.sleep(1.0)  # a few more dispatcher passes: nothing LOST may come back
    assert Counter(out.read_text().split()) == Counter([i.id for i in running] + [after.id])
    assert not store.list(states=[State.RUNNING, State.STARTING, State.QUEUED])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
