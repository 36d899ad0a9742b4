"""Commands that start Iguazú: `up` (everything, embedded), `api`, `worker`, `migrate`."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console

from ..accounts import FIRST_ADMIN_EMAIL
from ..errors import IguazuError
from ..settings import Settings
from . import app
from .config import load_settings

console = Console(stderr=True, soft_wrap=True)

ConfigOpt = typer.Option(
    None, "--config", "-c", help="iguazu.toml (default: $IGUAZU_CONFIG or ./iguazu.toml)"
)


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except IguazuError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from None


def _system(settings: Settings):  # type: ignore[no-untyped-def]
    from ..system import System

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return System(settings)
    except IguazuError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from None


def _describe_api(settings: Settings, system) -> None:  # type: ignore[no-untyped-def]
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold]Iguazú[/bold] API listening on [cyan]{url}[/cyan]  (docs: {url}/docs)")
    console.print(f"  database: {system.store.engine.url.render_as_string(hide_password=True)}")
    console.print(f"  logs:     {settings.log_dir.resolve()}")
    console.print(f"  jobs:     {', '.join(s.key for s in system.registry)}")
    console.print(f"  web UI:   [cyan]{url}/[/cyan]")
    if not settings.api_token:
        console.print(
            f"  [yellow]the REST API takes no token[/yellow]: whoever reaches {settings.host}:"
            f"{settings.port} may use it, whatever their role in the web UI (set api_token)"
        )
    password = system.accounts.ensure_first_admin()
    if password is not None:
        saved = settings.data_dir / "first-admin-password"
        fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        console.print(
            f"  first sign-in: [bold]{FIRST_ADMIN_EMAIL}[/bold], password [bold]{password}[/bold] "
            f"(also in {saved}); add people with `iguazu user add`"
        )


def _describe_worker(system) -> None:  # type: ignore[no-untyped-def]
    d = system.dispatcher
    db = system.store.engine.url.render_as_string(hide_password=True)
    console.print(
        f"worker (pid {os.getpid()}): agent {d.agent_id}, {d.cluster.cpu} CPU units, "
        f"{d.cluster.memory} MiB, {len(system.registry)} jobs, database {db}"
    )


def _serve(settings: Settings, system) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(
            system.app(),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
        )
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again to the
    # handler it found: let that be a no-op, so our callers' clean-up runs and we exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    server.run()


@app.command()
def up(
    config: Path | None = ConfigOpt,
    host: str | None = typer.Option(None, help="address to listen on"),
    port: int | None = typer.Option(None, help="port to listen on"),
) -> None:
    """Start the whole system: the API here, and a worker process (dispatcher, local agent
    and scheduler) that is restarted if it dies."""
    from ..supervisor import Supervisor

    settings = _settings(config, host=host, port=port)
    system = _system(settings)
    argv = [sys.executable, "-m", "iguazu", "worker"]
    worker = Supervisor(argv + (["--config", str(config)] if config else []))
    worker.start()
    _describe_api(settings, system)
    try:
        _serve(settings, system)
    finally:
        console.print("stopping the worker: running jobs get up to 10 s to finish...")
        worker.stop()
        system.stop()
        console.print("stopped")


@app.command()
def api(
    config: Path | None = ConfigOpt,
    host: str | None = typer.Option(None),
    port: int | None = typer.Option(None),
) -> None:
    """Serve the REST API only (dispatchers run elsewhere: `iguazu worker`)."""
    settings = _settings(config, host=host, port=port)
    system = _system(settings)
    _describe_api(settings, system)
    try:
        _serve(settings, system)
    finally:
        system.stop()


@app.command()
def worker(config: Path | None = ConfigOpt) -> None:
    """Run a dispatcher with this machine's local agent, and a scheduler, until SIGTERM or
    Ctrl-C."""
    settings = _settings(config)
    system = _system(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    system.start_dispatcher()
    system.start_scheduler()
    system.start_sweeper()
    _describe_worker(system)
    stop.wait()
    console.print("worker stopping: running jobs get up to 10 s to finish...")
    system.stop()


@app.command()
def migrate(config: Path | None = ConfigOpt) -> None:
    """Create or upgrade the database schema, then exit."""
    settings = _settings(config)
    from ..store import Store

    store = Store(settings.url)
    store.migrate()
    console.print(f"schema is current: {store.engine.url.render_as_string(hide_password=True)}")
    store.close()
