"""The benchmark's trivial job: notes when its code began to run, then returns."""

from __future__ import annotations

import os
import time

import pydantic

import iguazu


class Stamp(iguazu.Job):
    family = "bench"
    reserved_cpu = 16
    reserved_memory = 32

    class Parameters(pydantic.BaseModel):
        path: str

    def run(self, parameters: Parameters) -> None:
        now = time.time()
        fd = os.open(parameters.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, f"{os.environ['IGUAZU_INVOCATION_ID']} {now:.6f}\n".encode())
        os.close(fd)
