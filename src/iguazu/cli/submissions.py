"""`iguazu grade submit|status|history|assignments`: grading through a running API, as a
course's platform would use it (the local commands are in grade.py).

    iguazu grade submit wall-and-clock painter=main.cpp --learner ada --wait
    iguazu grade history wall-and-clock ada
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..client import Client
from ..grid.grader import SubmissionResult
from ..grid.view import submission_json
from ..models import Submission, SubmissionState
from .client import DEFAULT_URL, Token, Url, command, fail
from .grade import grade_app, show_result
from .render import console, table, when

AsJson = Annotated[bool, typer.Option("--json", help="The submission as the API gives it.")]


@command("submit", grade_app)
def submit(
    assignment: Annotated[str, typer.Argument(help="The assignment's id on the server.")],
    files: Annotated[list[str], typer.Argument(help="PART=FILE for each part: painter=main.cpp")],
    learner: Annotated[str, typer.Option("--learner", help="Whose submission this is.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the result and show it.")] = False,
    callback_url: Annotated[
        str | None, typer.Option("--callback-url", help="POSTed the result, signed, once graded.")
    ] = None,
    as_json: AsJson = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Submit FILEs for grading; prints the submission's id (and with --wait, its result)."""
    uploads: dict[str, str | Path | tuple[str, bytes]] = {}
    for given in files:
        part, sep, path = given.partition("=")
        if not sep or not part or not path:
            fail(f"{given!r}: give PART=FILE")
        if part in uploads:
            fail(f"part {part!r} is given twice")
        try:
            uploads[part] = (Path(path).name, Path(path).read_bytes())
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror or exc}")
    with Client(url, token) as client:
        sub = client.submit(assignment, learner, uploads, callback_url=callback_url)
        if wait:
            sub = client.wait_submission(sub.id)
    _print(sub, as_json)


@command("status", grade_app)
def status(
    submission_id: Annotated[str, typer.Argument(help="The submission's id.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it is graded.")] = False,
    as_json: AsJson = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """A submission's state and, once graded, its result."""
    with Client(url, token) as client:
        sub = client.wait_submission(submission_id) if wait else client.submission(submission_id)
    _print(sub, as_json)


@command("history", grade_app)
def history(
    assignment: Annotated[str, typer.Argument(help="The assignment's id on the server.")],
    learner: Annotated[str, typer.Argument(help="The learner.")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """A learner's submissions to an assignment: best and latest score, pass or not."""
    with Client(url, token) as client:
        h = client.history(assignment, learner)
    out = console()
    rows = table("submitted", "id", "state", "score", "parts")
    for s in h.submissions:
        score = f"{s.score:g}/{s.total:g}" if s.score is not None and s.total else "-"
        parts = ", ".join(f"{p.part} ({p.language})" for p in s.parts)
        rows.add_row(when(s.created_at), s.id, s.state.value, score, Text(parts))
    out.print(rows)
    best = "-" if h.best is None else f"{h.best:g}"
    latest = "-" if h.latest is None else f"{h.latest:g}"
    met = "met" if h.passed else "not met"
    out.print(
        Text(f"best {best}, latest {latest} of {h.total:g}; pass mark {h.pass_mark:g}: {met}")
    )


@command("assignments", grade_app)
def assignments(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """The assignments the server grades."""
    with Client(url, token) as client:
        found = client.assignments()
    rows = table("id", "title", "parts", "pass mark")
    for a in found:
        parts = ", ".join(f"{p['id']} ({p['points']:g})" for p in a["parts"])
        rows.add_row(a["id"], Text(a["title"]), Text(parts), f"{a['pass_mark']:g}/{a['total']:g}")
    console().print(rows)


def _print(sub: Submission, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(submission_json(sub), indent=2, ensure_ascii=False))
        return
    out = console()
    out.print(Text(f"submission {sub.id}: {sub.state.value}", style="bold"))
    if sub.state is SubmissionState.GRADED and sub.result is not None:
        show_result(SubmissionResult.from_json(sub.result))
    elif sub.state is SubmissionState.ERROR:
        out.print(Text(f"not graded: {sub.error}"))
    if sub.state is SubmissionState.ERROR:
        raise typer.Exit(1)
