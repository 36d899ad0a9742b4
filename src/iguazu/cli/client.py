"""Commands that talk to a running API: submit, ls, show, logs, cancel, jobs.

Each takes --url ($IGUAZU_URL) and --token ($IGUAZU_TOKEN). A refusal or an unreachable
server prints one line on stderr and exits 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from ..api.schemas import json_kind
from ..client import Client
from ..errors import IguazuError, RemoteError
from ..models import InvocationRequest, State
from . import app
from .render import console, fields, fitted, local_zone, parameter_names, state_text, table, when

DEFAULT_URL = "http://127.0.0.1:8000"

Url = Annotated[str, typer.Option("--url", envvar="IGUAZU_URL", help="Where the API listens.")]
Token = Annotated[
    str | None, typer.Option("--token", envvar="IGUAZU_TOKEN", help="The API's bearer token.")
]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def command(name: str, group: typer.Typer = app) -> Callable[[F], F]:
    """Register a command (on `group`, default the top level) whose IguazuErrors end as one
    line on stderr and exit status 1."""

    def register(func: F) -> F:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except RemoteError as exc:
                fail(f"{exc.detail} (HTTP {exc.status})")
            except IguazuError as exc:
                fail(exc.message)
            except KeyboardInterrupt:
                raise typer.Exit(130) from None

        group.command(name)(run)
        return func

    return register


# -- submit ---------------------------------------------------------------------------------


def read_parameters(source: str | None) -> dict[str, Any]:
    """The JSON object in a file (or stdin for "-"); checked before any request is made."""
    if source is None:
        return {}
    name = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        fail(f"cannot read parameters from {name}: {exc.strerror or exc}")
    try:
        value = json.loads(text)
    except ValueError as exc:
        fail(f"{name} is not valid JSON: {exc}")
    if not isinstance(value, dict):
        fail(f"{name} must hold a JSON object of parameters, not {json_kind(value)}")
    return value


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601 with an offset, or a duration ago (for --since): 30s, 15m, 2h, 7d."""
    ago = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if ago and option == "--since":
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[ago.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(ago.group(1))})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not an ISO 8601 time such as 2026-11-25T15:00:00+01:00")
    if value.tzinfo is None:
        fail(f"{option} {text} has no UTC offset; write e.g. {text}+01:00 or {text}Z")
    return value


@command("submit")
def submit(
    family: Annotated[str, typer.Argument(help="The job's family, e.g. mailer.")],
    job_name: Annotated[str, typer.Argument(help="The job's name, e.g. recommendationsEmail.")],
    params: Annotated[
        str | None, typer.Argument(help="A JSON file of parameters, or - for stdin.")
    ] = None,
    run_at: Annotated[
        str | None, typer.Option("--run-at", help="Not before this time (ISO 8601 with offset).")
    ] = None,
    queue: Annotated[str | None, typer.Option(help="A queue other than the job's own.")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Repeating a key returns the first invocation's id.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the end; exit 1 unless it SUCCEEDED.")
    ] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Queue an invocation and print its id."""
    request = InvocationRequest(
        family=family,
        job_name=job_name,
        parameters=read_parameters(params),
        run_at=parse_time(run_at, "--run-at") if run_at else None,
        queue=queue,
        idempotency_key=idempotency_key,
    )
    with Client(url, token) as client:
        inv_id = client.create(request)
        typer.echo(inv_id)
        if wait:
            inv = client.wait(inv_id)
            ended = f"{inv.state.value}" + (f": {inv.reason}" if inv.reason else "")
            typer.echo(ended, err=True)
            if inv.state is not State.SUCCEEDED:
                raise typer.Exit(1)


# -- ls, show -------------------------------------------------------------------------------


@command("ls")
def ls(
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    job: Annotated[str | None, typer.Option(help="Only this job name.")] = None,
    state: Annotated[
        list[State] | None,
        typer.Option(case_sensitive=False, help="Only these states (repeatable)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Created since: an ISO 8601 time, or 30m, 2h, 7d ago.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many rows.")] = 50,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """List invocations, newest first."""
    after = parse_time(since, "--since") if since else None
    with Client(url, token) as client:
        found = client.list(
            family=family, job_name=job, states=state or (), since=after, limit=limit
        )
    if not found:
        typer.echo("no invocations", err=True)
        return
    zone = local_zone()
    headers = [
        "ID",
        "Family",
        "Job",
        f"Invocation time ({zone})",
        f"Requested time ({zone})",
        "Status",
        "Queue",
        "Reason",
    ]
    rows: list[list[str | Text]] = [
        [
            Text(inv.id),
            Text(inv.family),
            Text(inv.job_name),
            when(inv.created_at, zone=False),
            when(inv.not_before, "N/A", zone=False),
            state_text(inv.state),
            Text(inv.queue),
            Text(inv.reason or ""),
        ]
        for inv in found
    ]
    out = console()
    out.print(
        fitted(
            out,
            headers,
            rows,
            wrap={"Reason"},
            optional=["Queue", headers[4], "Family", "Reason", headers[3]],
        )
    )


@command("show")
def show(
    invocation_id: Annotated[str, typer.Argument(help="The invocation's id.")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Show an invocation and its timeline."""
    with Client(url, token) as client:
        inv, events = client.detail(invocation_id)
    out = console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in fields(inv):
        grid.add_row(label, value if isinstance(value, Text) else Text(value))
    out.print(Text(f"Invocation {inv.id}", style="bold"))
    out.print(grid)
    timeline = table("At", "State", "Message", title="Timeline", title_justify="left")
    for event in events:
        timeline.add_row(when(event.at), state_text(event.state), Text(event.message))
    out.print(timeline)


# -- logs, cancel, jobs ---------------------------------------------------------------------


@command("logs")
def logs(
    invocation_id: Annotated[str, typer.Argument(help="The invocation's id.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until it has ended.")
    ] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Print an invocation's log (stdout, stderr and logging)."""
    # Written as is, never through Rich: a log line is not markup.
    with Client(url, token) as client:
        if follow:
            for text in client.follow(invocation_id):
                sys.stdout.write(text)
                sys.stdout.flush()
            return
        offset = 0
        while True:
            text, next_offset = client.logs(invocation_id, offset)
            if next_offset == offset:
                break
            sys.stdout.write(text)
            offset = next_offset
        sys.stdout.flush()


@command("cancel")
def cancel(
    invocation_id: Annotated[str, typer.Argument(help="The invocation's id.")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Cancel an invocation: at once if queued; a running one is killed by its agent."""
    with Client(url, token) as client:
        inv = client.cancel(invocation_id)
    if inv.state.terminal:
        typer.echo(f"{inv.id} {inv.state.value}")
    else:
        typer.echo(f"{inv.id} cancel requested; it is {inv.state.value} until its agent kills it")


@command("jobs")
def jobs(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """List the jobs the server knows."""
    with Client(url, token) as client:
        found = client.jobs()
    headers = [
        "Family",
        "Name",
        "CPU",
        "Memory",
        "Timeout",
        "Queue",
        "Attempts",
        "Parameters",
        "Command",
    ]
    rows: list[list[str | Text]] = []
    for job in found:
        timeout = f"{job['timeout']:g} s" if job["timeout"] else "-"
        rows.append(
            [
                Text(job["family"]),
                Text(job["name"]),
                str(job["reserved_cpu"]),
                f"{job['reserved_memory']} MiB",
                timeout,
                Text(job["queue"]),
                str(job["max_attempts"]),
                Text(parameter_names(job["parameters_schema"])),
                Text(job["command"]),
            ]
        )
    out = console()
    out.print(
        fitted(
            out,
            headers,
            rows,
            wrap={"Parameters", "Command"},
            optional=["Attempts", "Queue", "Command"],
        )
    )
