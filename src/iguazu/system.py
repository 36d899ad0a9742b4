"""The composition root: builds the store, registry, batch front door, dispatcher and local
cluster from one Settings. `iguazu up` runs all of it in one process; `iguazu api` and
`iguazu worker` run halves of it against a shared database."""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING

from .batch import Batch
from .dispatcher import Dispatcher, DispatcherConfig
from .jobs import JobRegistry
from .models import new_id
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)


class System:
    def __init__(self, settings: Settings, *, migrate: bool = True) -> None:
        self.settings = settings
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.url)
        if migrate:
            self.store.migrate()
        self.registry = JobRegistry.load(settings.job_modules, settings.command_jobs)
        self.batch = Batch(
            store=self.store,
            registry=self.registry,
            queues=settings.queues,
            log_dir=settings.log_dir,
        )
        self.dispatcher: Dispatcher | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def app(self) -> FastAPI:
        from .api import create_app

        return create_app(self.batch, token=self.settings.api_token)

    def start_dispatcher(self) -> Dispatcher:
        """Run a dispatcher over this machine's local agent in a background thread."""
        from .cluster.local import LocalCluster

        agent_id = f"{socket.gethostname()}-{new_id()[:8]}"
        poke = threading.Event()
        cluster = LocalCluster(
            agent_id=agent_id,
            cpu=self.settings.agent_cpu,
            memory=self.settings.agent_memory,
            registry=self.registry,
            log_dir=self.settings.log_dir,
            isolation=self.settings.isolation,
            on_exit=poke.set,
        )
        self.dispatcher = Dispatcher(
            store=self.store,
            registry=self.registry,
            cluster=cluster,
            agent_id=agent_id,
            poke=poke,
            config=DispatcherConfig(
                lease=self.settings.lease,
                heartbeat=self.settings.heartbeat_seconds,
            ),
        )
        self._thread = threading.Thread(
            target=self.dispatcher.run, args=(self._stop,), name="dispatcher", daemon=True
        )
        self._thread.start()
        return self.dispatcher

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self.dispatcher is not None:
            self.dispatcher.poke.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.store.close()
