"""`iguazu grade local|check`: grading on this machine exactly as production does (the
seed's "Running Tasks Locally", Coursera's `grade local`), no server needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.text import Text

from ..errors import NotFound, SandboxUnavailable
from ..grid import exports
from ..grid.assignment import Assignment, AssignmentError, load
from ..grid.grader import EPSILON, PartResult, Source, SubmissionResult, grade
from ..grid.verdicts import Verdict
from ..sandbox import Sandbox
from . import app
from .render import console, table

grade_app = typer.Typer(no_args_is_help=True, help="Grade programming assignments locally.")
app.add_typer(grade_app, name="grade")

FORMATS = ("text", "json", "coursera", "gradescope")
Unsafe = Annotated[
    bool, typer.Option("--unsafe", help="Not root: run anyway, without the sandbox's limits.")
]


@grade_app.command("local")
def local(
    folder: Annotated[Path, typer.Argument(help="The assignment's folder (assignment.toml).")],
    submissions: Annotated[
        list[str], typer.Argument(help="PART=FILE for each part to grade: painter=main.cpp")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="The result as JSON.")] = False,
    form: Annotated[
        str,
        typer.Option(
            "--format",
            help="text, json, coursera (feedback per part) or gradescope (results.json).",
        ),
    ] = "text",
    unsafe: Unsafe = False,
) -> None:
    """Grade FILEs against the assignment's tests, as a submission would be."""
    if as_json and form not in ("text", "json"):
        _fail(f"--json and --format {form} ask for two things: give one")
    form = "json" if as_json else form
    if form not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}, not {form!r}")
    assignment = _load(folder)
    sources = {}
    for given in submissions:
        part, sep, path = given.partition("=")
        if not sep or not part or not path:
            _fail(f"{given!r}: give PART=FILE")
        try:
            assignment.part(part)
            sources[part] = Source.of_file(Path(path))
        except NotFound as exc:
            _fail(exc.message)
        except (ValueError, OSError) as exc:
            _fail(str(exc))
    with _sandbox(unsafe) as sandbox:
        result = grade(sandbox, assignment, sources)
    if form == "text":
        show_result(result)
        return
    shaped: object = result.to_json()
    if form == "coursera":
        shaped = {p.part: exports.coursera(p) for p in result.parts}
    elif form == "gradescope":
        shaped = exports.gradescope(result)
    typer.echo(json.dumps(shaped, indent=2, ensure_ascii=False))


@grade_app.command("check")
def check(
    folder: Annotated[Path, typer.Argument(help="The assignment's folder (assignment.toml).")],
    unsafe: Unsafe = False,
) -> None:
    """Validate the manifest, then grade each part's reference solutions: each must pass."""
    assignment = _load(folder)
    out = console()
    out.print(f"{assignment.title}: {len(assignment.parts)} parts, {assignment.total:g} points")
    failed = False
    with _sandbox(unsafe) as sandbox:
        for part in assignment.parts:
            if not part.references:
                out.print(f"  {part.id}: no reference solution to check")
            for lang, path in part.references.items():
                result = grade(sandbox, assignment, {part.id: Source(lang, path.read_bytes())})
                got = result.parts[0]
                # A reference in a language the part does not take gets CE: it fails too.
                ok = got.verdict is Verdict.AC and got.score >= part.points - EPSILON
                failed |= not ok
                mark = "passes" if ok else f"FAILS ({got.verdict}, {got.score:g}/{got.points:g})"
                out.print(Text(f"  {part.id}: reference {path.name} ({lang}) {mark}"))
    if failed:
        raise typer.Exit(1)


def _load(folder: Path) -> Assignment:
    try:
        return load(folder)
    except AssignmentError as exc:
        _fail(exc.message)


def _sandbox(unsafe: bool) -> Sandbox:
    try:
        return Sandbox(unsafe=unsafe)
    except SandboxUnavailable as exc:
        _fail(f"{exc.message}\n(`iguazu grade ... --unsafe` runs without those limits)")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def show_result(result: SubmissionResult) -> None:
    out = console()
    for part in result.parts:
        _show_part(part)
    met = "met" if result.passed else "not met"
    out.print(
        Text(f"Total {result.score:g}/{result.total:g}; pass mark {result.pass_mark:g}: {met}")
    )


def _show_part(part: PartResult) -> None:
    out = console()
    head = f"{part.part} ({part.language}): {part.score:g}/{part.points:g} {part.verdict}"
    out.print(Text(head, style="bold"))
    if part.compile_output and not part.tests:
        out.print(Text(part.compile_output))
        return
    rows = table("test", "verdict", "CPU ms", "memory MiB", "message")
    for t in part.tests:
        rows.add_row(
            Text(t.name + ("" if t.visible else " (hidden)")), str(t.verdict),
            f"{t.cpu_time * 1000:.0f}", f"{t.memory / 2**20:.1f}", Text(t.message),
        )  # fmt: skip
    out.print(rows)
    for s in part.subtasks:
        out.print(Text(f"  subtask {s.name}: {s.score:g}/{s.points:g} {s.verdict}"))
    for t in part.tests:  # what a learner may see of a visible test that failed
        if t.visible and not t.verdict.passed:
            shown = [("input", t.input), ("expected", t.expected), ("got", t.output)]
            for title, text in [*shown, ("difference", t.diff)]:
                if text:
                    out.print(Text(f"  {t.name}, {title}:", style="bold"))
                    out.print(Text(_indent(text)))
    if part.feedback:
        out.print(Text(part.feedback))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
