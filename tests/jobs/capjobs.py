"""Jobs for the capability tests: some require agent capabilities, some are the platform's
own (they receive its settings). Paths they write come in parameters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pydantic

import iguazu


def iguazu_environment() -> dict[str, str]:
    """The IGUAZU_* variables this process sees."""
    return {k: v for k, v in os.environ.items() if k.startswith("IGUAZU_")}


class Sandboxed(iguazu.Job):
    """Needs an agent that declares `sandbox`; on the grading queue, ahead of everything."""

    family = "capjobs"
    name = "sandboxed"
    queue = "grading"
    requires = ("sandbox",)
    reserved_cpu = 16
    reserved_memory = 32

    def run(self, parameters: dict) -> None:
        print("ran where a sandbox is declared")


class FlakySandboxed(iguazu.Job):
    """Needs `sandbox`, fails every time, and opts in to one retry."""

    family = "capjobs"
    name = "flaky-sandboxed"
    requires = ("sandbox",)
    max_attempts = 2
    reserved_cpu = 16
    reserved_memory = 32

    def run(self, parameters: dict) -> None:
        raise RuntimeError("flaky on purpose")


class Gpu(iguazu.Job):
    """Needs an agent that declares `gpu` (none of the test agents do, unless told)."""

    family = "capjobs"
    name = "gpu"
    requires = ("gpu",)
    reserved_cpu = 16
    reserved_memory = 32

    def run(self, parameters: dict) -> None:
        print("ran where a gpu is declared")


class Plain(iguazu.Job):
    """Needs nothing: any agent runs it."""

    family = "capjobs"
    name = "plain"
    reserved_cpu = 16
    reserved_memory = 32

    def run(self, parameters: dict) -> None:
        print("ran anywhere")


class SeeEnv(iguazu.Job):
    """A plain job that writes the IGUAZU_* variables it sees, as JSON, to `path`."""

    family = "capjobs"
    name = "see-env"
    reserved_cpu = 16
    reserved_memory = 32

    class Parameters(pydantic.BaseModel):
        path: str

    def run(self, parameters: Parameters) -> None:
        Path(parameters.path).write_text(json.dumps(iguazu_environment()))


class PlatformSeeEnv(SeeEnv):
    """A platform job (as grading is) that writes the IGUAZU_* variables it sees to `path`."""

    name = "platform-see-env"
    platform = True
