"""Jobs the batch-core tests run (dispatch, capacity, at-most-once)."""

from __future__ import annotations

import os
import time

import pydantic

import iguazu


class AppendId(iguazu.Job):
    """Appends its invocation id to a file: a second run of one invocation would show."""

    family = "core"
    reserved_cpu = 16
    reserved_memory = 32

    class Parameters(pydantic.BaseModel):
        path: str
        sleep: float = 0.0

    def run(self, parameters: Parameters) -> None:
        fd = os.open(parameters.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, (os.environ["IGUAZU_INVOCATION_ID"] + "\n").encode())
        os.close(fd)
        time.sleep(parameters.sleep)


class Big(iguazu.Job):
    """Reserves most of a small test agent, and sleeps."""

    family = "core"
    reserved_cpu = 64
    reserved_memory = 200

    class Parameters(pydantic.BaseModel):
        seconds: float = 0.5

    def run(self, parameters: Parameters) -> None:
        time.sleep(parameters.seconds)


class Flaky(iguazu.Job):
    """Fails every time; opts in to one retry."""

    family = "core"
    reserved_cpu = 16
    reserved_memory = 32
    max_attempts = 2

    def run(self, parameters: dict) -> None:
        raise ValueError("flaky on purpose")


class Slow(iguazu.Job):
    family = "core"
    reserved_cpu = 16
    reserved_memory = 32
    timeout = 0.5

    def run(self, parameters: dict) -> None:
        time.sleep(30)
