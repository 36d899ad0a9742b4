"""Fixtures shared across suites: a migrated SQLite store, a Batch over it, and the API
served for real by uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from iguazu.api import create_app
from iguazu.batch import Batch
from iguazu.errors import SandboxUnavailable
from iguazu.jobs import JobRegistry
from iguazu.sandbox import Sandbox
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store

TEST_TOKEN = "test-token-0123456789"
JOB_MODULES = ("iguazu.examples", "tests.jobs.apijobs")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'iguazu.db'}")
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def batch(store: Store, tmp_path: Path) -> Batch:
    return Batch(
        store=store,
        registry=JobRegistry.load(JOB_MODULES),
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path / "logs",
    )


@dataclass(frozen=True)
class Server:
    url: str
    token: str | None
    batch: Batch


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start the API over a Batch; every server started is stopped after the test."""
    stops: list[Callable[[], None]] = []

    def start(batch: Batch, token: str | None = TEST_TOKEN) -> Server:
        url, stop = _run_uvicorn(create_app(batch, token=token))
        stops.append(stop)
        return Server(url=url, token=token, batch=batch)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def server(serve: Callable[..., Server], batch: Batch) -> Server:
    """The API over `batch`, requiring TEST_TOKEN."""
    return serve(batch)


def _run_uvicorn(app: object) -> tuple[str, Callable[[], None]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves this socket
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One Sandbox for the session (the sandbox and grid suites), as root."""
    if os.geteuid() != 0:
        pytest.skip("the sandbox needs root (cgroups, tmpfs mounts); CI runs as root")
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/test installs it)")
    # A base directory of this session's own: the suite checks that no work dir is left
    # there, which other boxes on the machine must not disturb.
    base = Path(f"/run/iguazu/sandbox-test-{os.getpid()}")
    try:
        box = Sandbox(base_dir=base)
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    with box:
        yield box
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(f"{base}-pch", ignore_errors=True)  # precompiled headers: 100 MB in /run
