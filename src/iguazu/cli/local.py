"""`iguazu run JOB [PARAMS_JSON_FILE]`: run a job in the foreground, its logs on the
terminal, under the same CPU and memory limits as on an agent (the seed's "simulate memory
and CPU limits in dev modes"). No server, no store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ..cluster import cgroups, foreground
from ..errors import ConfigError, InvalidRequest, UnknownJob
from ..jobs import JobRegistry, JobSpec
from ..models import Isolation, State
from . import app
from .config import load_settings


@app.command("run")
def run(
    words: Annotated[
        list[str],
        typer.Argument(
            help="JOB [PARAMS.json]: JOB is `family name` (as `submit` takes it), family/name, "
            "or a name or family that names one job.",
            show_default=False,
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings file (default: $IGUAZU_CONFIG or ./iguazu.toml)."),
    ] = None,
    no_limits: Annotated[
        bool, typer.Option("--no-limits", help="Run without CPU and memory limits.")
    ] = False,
) -> None:
    """Run JOB now, here, in the foreground, held to its reserved CPU and memory. A local run
    is not recorded on any server."""
    try:
        job, params_file = split_words(words)
        settings = load_settings(config)
        registry = JobRegistry.load(settings.job_modules, settings.command_jobs)
        spec = find_job(registry, job)
        parameters = spec.validate(read_parameters(params_file))
        isolation = Isolation.NONE if no_limits else cgroups.isolation(settings.isolation)
    except (ConfigError, InvalidRequest) as exc:
        _fail(exc.message)
    try:
        result = foreground.run(
            spec, parameters, isolation=isolation, platform_env=settings.platform_env
        )
    except OSError as exc:
        _fail(f"cannot hold {spec.key} to its limits: {exc} (--no-limits runs it without)")
    if result.state is State.SUCCEEDED:
        typer.secho(f"SUCCEEDED in {result.seconds:.2f} s", fg="green", err=True)
        raise typer.Exit(0)
    typer.secho(
        f"{result.state.value}: {result.reason} (after {result.seconds:.2f} s)", fg="red", err=True
    )
    raise typer.Exit(1)


def split_words(words: list[str]) -> tuple[str, Path | None]:
    """`JOB`, `JOB PARAMS.json`, `FAMILY NAME` or `FAMILY NAME PARAMS.json`: the last word is
    the parameters file when it names one (ends in .json, or exists)."""
    *job, last = words
    if job and (last.endswith(".json") or Path(last).is_file()):
        params: Path | None = Path(last)
    else:
        job, params = [*job, last], None
    if len(job) == 2:
        return "/".join(job), params
    if len(job) == 1:
        return job[0], params
    raise ConfigError(f"expected JOB [PARAMS.json], got {len(words)} words: {' '.join(words)}")


def find_job(registry: JobRegistry, text: str) -> JobSpec:
    """`family/name`, or a name or a family that matches exactly one job."""
    if "/" in text:
        family, _, name = text.partition("/")
        try:
            return registry.get(family, name)
        except UnknownJob:
            raise ConfigError(f"unknown job {text!r}; {_known(registry)}") from None
    matches = [s for s in registry if text in (s.name, s.family)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(f"unknown job {text!r}; {_known(registry)}")
    names = ", ".join(s.key for s in matches)
    raise ConfigError(f"{text!r} names several jobs: {names}; say which as family/name")


def read_parameters(path: Path | None) -> Any:
    if path is None:
        return {}
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read parameters from {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None


def _known(registry: JobRegistry) -> str:
    keys = [s.key for s in registry]
    return f"registered jobs: {', '.join(keys)}" if keys else "no job is registered"


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)
