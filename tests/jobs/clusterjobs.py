"""Jobs for the local cluster and `iguazu run` tests. Paths they write come in parameters."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import iguazu

logger = logging.getLogger(__name__)


class Ok(iguazu.Job):
    reserved_cpu = 128
    reserved_memory = 64

    def run(self, parameters: dict) -> None:
        logger.info("ok job logging, greeting %s", parameters.get("greeting", "nobody"))
        print("ok job printing")


class Boom(iguazu.Job):
    reserved_cpu = 128
    reserved_memory = 64

    def run(self, parameters: dict) -> None:
        raise ValueError("boom from clusterjobs")


class Hog(iguazu.Job):
    """Allocates (and touches) `mib` MiB, then says so."""

    reserved_cpu = 128
    reserved_memory = 48

    def run(self, parameters: dict) -> None:
        chunks = [b"x" * (1 << 20) for _ in range(parameters["mib"])]
        logger.info("allocated %d MiB", len(chunks))


class Wait(iguazu.Job):
    """Writes its pid to `ready`, then waits until the file `go` exists (or a long time)."""

    reserved_cpu = 512
    reserved_memory = 96

    def run(self, parameters: dict) -> None:
        Path(parameters["ready"]).write_text(str(os.getpid()))
        go = Path(parameters.get("go", "/nonexistent"))
        deadline = time.monotonic() + parameters.get("seconds", 600)
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.01)


class Spawn(iguazu.Job):
    """Starts a grandchild `sleep 1000`, in a session of its own when `detach`, writes its
    pid to `ready`, then sleeps (or returns at once when `leave`)."""

    reserved_cpu = 128
    reserved_memory = 64

    def run(self, parameters: dict) -> None:
        sleeper = subprocess.Popen(["sleep", "1000"], start_new_session=parameters["detach"])
        Path(parameters["ready"]).write_text(str(sleeper.pid))
        if not parameters.get("leave"):
            time.sleep(1000)
