"""The composition root: builds the store, registry, batch front door, dispatcher and local
cluster from one Settings. `iguazu up` runs all of it in one process; `iguazu api` and
`iguazu worker` run halves of it against a shared database."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from .accounts import Accounts
from .batch import Batch
from .dispatcher import Dispatcher, DispatcherConfig
from .jobs import JobRegistry
from .models import new_id
from .scheduler import Scheduler
from .schedules import Schedules
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

GRID_JOBS = "iguazu.grid.job"  # the grading job, registered when assignments are configured


class System:
    def __init__(self, settings: Settings, *, migrate: bool = True) -> None:
        self.settings = settings
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.url)
        if migrate:
            self.store.migrate()
        modules = settings.job_modules
        if settings.assignments_dir is not None and GRID_JOBS not in modules:
            modules = (*modules, GRID_JOBS)
        self.registry = JobRegistry.load(modules, settings.command_jobs)
        self.batch = Batch(
            store=self.store,
            registry=self.registry,
            queues=settings.queues,
            log_dir=settings.log_dir,
        )
        self.schedules = Schedules(store=self.store, batch=self.batch)
        self.accounts = Accounts(
            store=self.store,
            session_lifetime=timedelta(hours=settings.session_hours),
            operator_token=settings.api_token,
        )
        self.submissions = None
        if settings.assignments_dir is not None:
            from .grid.catalog import Assignments
            from .grid.submissions import Submissions

            self.submissions = Submissions(
                store=self.store,
                batch=self.batch,
                assignments=Assignments(settings.assignments_dir),
                webhook_secret=settings.webhook_secret,
                webhook_private_hosts=settings.webhook_private_hosts,
            )
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def app(self) -> FastAPI:
        from .api import create_app

        return create_app(
            self.batch,
            self.schedules,
            self.submissions,
            token=self.settings.api_token,
            accounts=self.accounts,
            secure_cookies=self.settings.secure_cookies,
        )

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
            platform_env=self.settings.platform_env,
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
                capabilities=self.capabilities(),
            ),
        )
        self._start("dispatcher", self.dispatcher.run)
        return self.dispatcher

    def capabilities(self) -> tuple[str, ...]:
        """What this machine's agent declares: the settings', or found out. It declares
        `sandbox` only when it can grade: assignments are configured, the grading job is
        registered, and a sandbox really starts here (root, bubblewrap, cgroups, a C
        compiler for the box's init)."""
        if self.settings.agent_capabilities is not None:
            return self.settings.agent_capabilities
        if self.submissions is None:
            return ()
        from .errors import SandboxUnavailable
        from .sandbox import Sandbox

        try:
            Sandbox(spares=0).close()
        except SandboxUnavailable as exc:
            log.warning("this agent does not declare 'sandbox' (it will not grade): %s", exc)
            return ()
        return ("sandbox",)

    def start_scheduler(self) -> Scheduler:
        """Run a scheduler in a background thread. Any number of them may run against one
        database (one per worker): each fire is written once."""
        self.scheduler = Scheduler(store=self.store, batch=self.batch)
        self._start("scheduler", self.scheduler.run)
        return self.scheduler

    def start_sweeper(self) -> None:
        """With grading configured: end submissions whose grading ended without a result
        (grid/sweeper.py), in a background thread."""
        if self.submissions is None:
            return
        from .grid import sweeper

        secret, private = self.settings.webhook_secret, self.settings.webhook_private_hosts
        self._start("grading-sweeper", lambda stop: sweeper.run(self.store, secret, private, stop))

    def _start(self, name: str, run: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=run, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for part in (self.dispatcher, self.scheduler):
            if part is not None:
                part.poke.set()
        for thread in self._threads:
            thread.join(timeout)
        self.store.close()
