"""`iguazu schedule ...`: recurring schedules on a running API (add, ls, show, pause, resume,
rm, trigger); and `iguazu cron`, which explains an expression here, without a server.

Next fire times are shown as the web UI shows them ("Tomorrow at 3:00 AM PST"), in the
viewer's own zone unless --tz names another.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..client import Client
from ..cron import calendar_time, describe, parse
from ..cron.zones import resolve
from ..models import Misfire, Overlap, Schedule, ScheduleRequest
from . import app
from .client import DEFAULT_URL, Token, Url, command, fail, read_parameters
from .render import console, fitted, state_text, table, when

schedule_app = typer.Typer(
    no_args_is_help=True, help="Recurring schedules of jobs (cron): add, ls, show, pause, ..."
)
app.add_typer(schedule_app, name="schedule")

ViewerZone = Annotated[
    str | None,
    typer.Option("--tz", help="Show times in this IANA zone (default: your own)."),
]
ScheduleId = Annotated[str, typer.Argument(help="The schedule's id.")]


def split_words(words: list[str]) -> tuple[str, str, str, str | None]:
    """`FAMILY/JOB CRON [PARAMS]` or `FAMILY JOB CRON [PARAMS]`: family, job, cron, params."""
    if words and "/" in words[0]:
        family, _, job = words[0].partition("/")
        rest = words[1:]
    else:
        family, job = (words + ["", ""])[:2]
        rest = words[2:]
    if not family or not job or len(rest) not in (1, 2):
        fail(
            f"expected FAMILY/JOB CRON [PARAMS.json] (or FAMILY JOB CRON ...), got "
            f"{len(words)} words; quote the cron expression as one word: '0 3 * * *'"
        )
    return family, job, rest[0], rest[1] if len(rest) == 2 else None


def viewer_zone(tz: str | None) -> tzinfo | None:
    """The zone named by --tz; None for the viewer's own (each time in the offset the local
    clock has then)."""
    if tz is None:
        return None
    try:
        return resolve(tz)
    except (LookupError, ValueError):
        fail(f"unknown time zone {tz!r}; use an IANA name such as Europe/Paris")


def next_fire(schedule: Schedule, zone: tzinfo | None, now: datetime) -> str:
    if schedule.paused:
        return "-"
    if schedule.next_fire_at is None:
        return "never"
    at = schedule.next_fire_at
    return calendar_time(at, now=now, tz=zone or at.astimezone().tzinfo or UTC)


def state_of(schedule: Schedule) -> Text:
    return Text("paused", style="yellow") if schedule.paused else Text("active", style="green")


# -- add, ls, show --------------------------------------------------------------------------


@command("add", schedule_app)
def add(
    words: Annotated[
        list[str],
        typer.Argument(
            help="FAMILY/JOB (or FAMILY JOB), a quoted cron expression (Unix or Quartz), and "
            "optionally a JSON file of parameters (- for stdin).",
            metavar="FAMILY/JOB CRON [PARAMS.json]",
            show_default=False,
        ),
    ],
    tz: Annotated[str, typer.Option("--tz", help="IANA zone whose clock the cron reads.")] = "UTC",
    queue: Annotated[str | None, typer.Option(help="A queue other than the job's own.")] = None,
    overlap: Annotated[
        Overlap, typer.Option(case_sensitive=False, help="When the previous run is still live.")
    ] = Overlap.FORBID,
    misfire: Annotated[
        Misfire, typer.Option(case_sensitive=False, help="Fires missed while down.")
    ] = Misfire.LATEST,
    grace: Annotated[
        float, typer.Option("--grace", help="Seconds a fire may be late and still count.")
    ] = 60.0,
    catchup_window: Annotated[
        float, typer.Option(help="--misfire all: seconds back that missed fires still run.")
    ] = 86400.0,
    catchup_limit: Annotated[
        int, typer.Option(help="--misfire all: at most this many missed fires run.")
    ] = 10,
    deadline: Annotated[
        float | None,
        typer.Option("--deadline", help="Seconds after its fire it may start; then SKIPPED."),
    ] = None,
    paused: Annotated[bool, typer.Option("--paused", help="Save it paused.")] = False,
    description: Annotated[str, typer.Option(help="What it is for, for people.")] = "",
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Save a recurring schedule and print its id."""
    family, job, cron, params = split_words(words)
    try:
        request = ScheduleRequest(
            family=family,
            job_name=job,
            cron=cron,
            timezone=tz,
            parameters=read_parameters(params),
            queue=queue,
            overlap=overlap,
            misfire=misfire,
            misfire_grace=grace,
            catchup_window=catchup_window,
            catchup_limit=catchup_limit,
            start_deadline=deadline,
            paused=paused,
            description=description,
        )
    except ValueError as exc:
        fail(str(exc))
    with Client(url, token) as client:
        schedule = client.create_schedule(request)
    typer.echo(schedule.id)
    typer.echo(
        f"{describe(parse(schedule.cron))} ({schedule.timezone}); next invocation: "
        f"{'paused' if schedule.paused else next_fire(schedule, None, datetime.now(UTC))}",
        err=True,
    )


@command("ls", schedule_app)
def ls(
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    job: Annotated[str | None, typer.Option(help="Only this job name.")] = None,
    paused: Annotated[
        bool | None, typer.Option("--paused/--active", help="Only paused (or active) ones.")
    ] = None,
    tz: ViewerZone = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many rows.")] = 100,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """List schedules, soonest next invocation first."""
    zone = viewer_zone(tz)
    with Client(url, token) as client:
        found = client.schedules(family=family, job_name=job, paused=paused, limit=limit)
    if not found:
        typer.echo("no schedules", err=True)
        return
    now = datetime.now(UTC)
    headers = [
        "ID",
        "Cron Expression",
        "Time zone",
        "Next Invocation",
        "Family",
        "Job Name",
        "State",
    ]
    rows: list[list[str | Text]] = [
        [
            Text(s.id),
            Text(s.cron),
            Text(s.timezone),
            next_fire(s, zone, now),
            Text(s.family),
            Text(s.job_name),
            state_of(s),
        ]
        for s in found
    ]
    out = console()
    out.print(
        fitted(out, headers, rows, wrap={"Next Invocation"}, optional=["Time zone", "Family"])
    )


@command("show", schedule_app)
def show(
    schedule_id: ScheduleId, tz: ViewerZone = None, url: Url = DEFAULT_URL, token: Token = None
) -> None:
    """Show a schedule and its latest invocations."""
    zone = viewer_zone(tz)
    with Client(url, token) as client:
        schedule, recent = client.schedule_detail(schedule_id)
    out = console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in fields(schedule, zone):
        grid.add_row(label, value if isinstance(value, Text) else Text(value))
    out.print(Text(f"Schedule {schedule.id}", style="bold"))
    out.print(grid)
    invocations = table(
        "ID", "Fire time", "State", "Reason", title="Recent invocations", title_justify="left"
    )
    for inv in recent:
        invocations.add_row(
            Text(inv.id), when(inv.fire_time), state_text(inv.state), Text(inv.reason or "")
        )
    out.print(invocations if recent else Text("No invocations yet."))


def fields(s: Schedule, zone: tzinfo | None) -> list[tuple[str, str | Text]]:
    cron = parse(s.cron)
    catchup = (
        f"; catch up at most {s.catchup_limit} fires of the last {s.catchup_window:g} s"
        if s.misfire is Misfire.ALL
        else ""
    )
    deadline = f"{s.start_deadline:g} s after its fire" if s.start_deadline else "none"
    return [
        ("Family", s.family),
        ("Job", s.job_name),
        ("Cron", f"{s.cron} ({cron.dialect.value}): {describe(cron)}"),
        ("Time zone", s.timezone),
        ("State", state_of(s)),
        ("Next invocation", next_fire(s, zone, datetime.now(UTC))),
        ("Last fire", when(s.last_fire_at)),
        ("Queue", s.queue),
        ("Overlap", s.overlap.value),
        ("Misfire", f"{s.misfire.value} (grace {s.misfire_grace:g} s{catchup})"),
        ("Start deadline", deadline),
        ("Created", when(s.created_at)),
        ("Updated", when(s.updated_at)),
        ("Description", s.description or "-"),
        ("Parameters", json.dumps(s.parameters, indent=2, sort_keys=True)),
    ]


# -- pause, resume, rm, trigger ---------------------------------------------------------------


@command("pause", schedule_app)
def pause(schedule_id: ScheduleId, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Stop it firing (fires while paused are not made up on resume)."""
    with Client(url, token) as client:
        schedule = client.pause_schedule(schedule_id)
    typer.echo(f"{schedule.id} paused")


@command("resume", schedule_app)
def resume(
    schedule_id: ScheduleId, tz: ViewerZone = None, url: Url = DEFAULT_URL, token: Token = None
) -> None:
    """Let it fire again, from its next fire time after now."""
    zone = viewer_zone(tz)
    with Client(url, token) as client:
        schedule = client.resume_schedule(schedule_id)
    typer.echo(
        f"{schedule.id} active; next invocation: {next_fire(schedule, zone, datetime.now(UTC))}"
    )


@command("rm", schedule_app)
def rm(schedule_id: ScheduleId, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Delete it: it fires no more; its invocations stay, and live ones run on."""
    with Client(url, token) as client:
        client.delete_schedule(schedule_id)
    typer.echo(f"{schedule_id} deleted")


@command("trigger", schedule_app)
def trigger(schedule_id: ScheduleId, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Queue one invocation of it now and print the invocation's id."""
    with Client(url, token) as client:
        typer.echo(client.trigger_schedule(schedule_id))


# -- cron -----------------------------------------------------------------------------------


@command("cron")
def cron(
    expression: Annotated[str, typer.Argument(help="A quoted Unix or Quartz cron expression.")],
    tz: Annotated[str, typer.Option("--tz", help="IANA zone whose clock it reads.")] = "UTC",
    count: Annotated[int, typer.Option(help="How many fire times to list (1-100).")] = 10,
) -> None:
    """Explain a cron expression and list its next fire times, here (no server needed)."""
    from ..schedules import Schedules  # imports the store: only for this command

    preview = Schedules.preview(expression, tz, count)
    typer.echo(f"{preview.description} ({preview.cron.dialect.value} cron, {tz})")
    zone = resolve(tz)
    for fire in preview.fires:
        typer.echo(fire.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z"))
