"""Example jobs bundled with Iguazú, as the seed writes them. `iguazu up` registers them."""

from __future__ import annotations

import logging
import time

import pydantic

import iguazu

logger = logging.getLogger(__name__)


class Job(iguazu.Job):
    """The seed's sample job: logs a line and does a little work."""

    family = "sample"
    name = "sample"
    reserved_cpu = 256
    reserved_memory = 128

    class Parameters(pydantic.BaseModel):
        message: str = "I am running my job!"
        work: int = pydantic.Field(default=1000, ge=0, le=10_000_000)

    def run(self, parameters: Parameters) -> None:
        logger.info(">>> %s", parameters.message)
        total = sum(i * i for i in range(parameters.work))
        print(f"sum of squares below {parameters.work}: {total}")


class RecommendationsEmail(iguazu.Job):
    """Sends (here: prints) recommendation emails to a list of learners."""

    family = "mailer"
    name = "recommendationsEmail"
    reserved_cpu = 128
    reserved_memory = 128
    timeout = 300

    class Parameters(pydantic.BaseModel):
        learners: list[str] = pydantic.Field(min_length=1)
        course: str

    def run(self, parameters: Parameters) -> None:
        for learner in parameters.learners:
            logger.info("would email %s recommendations for %s", learner, parameters.course)


class Sleep(iguazu.Job):
    """Sleeps for `seconds`: handy for watching capacity, timeouts and cancel."""

    family = "demo"
    reserved_cpu = 64
    reserved_memory = 64
    timeout = 3600

    class Parameters(pydantic.BaseModel):
        seconds: float = pydantic.Field(default=1.0, ge=0)

    def run(self, parameters: Parameters) -> None:
        logger.info("sleeping %.1f s", parameters.seconds)
        time.sleep(parameters.seconds)


class Fail(iguazu.Job):
    """Raises: the invocation ends FAILED with the traceback in its log."""

    family = "demo"
    reserved_cpu = 64
    reserved_memory = 64

    def run(self, parameters: dict) -> None:
        raise RuntimeError(parameters.get("message", "this job always fails"))


class Hog(iguazu.Job):
    """Allocates `mib` MiB: past its reserved_memory it is killed and reported as such."""

    family = "demo"
    reserved_cpu = 64
    reserved_memory = 64

    class Parameters(pydantic.BaseModel):
        mib: int = pydantic.Field(default=256, ge=1, le=65536)

    def run(self, parameters: Parameters) -> None:
        chunks = [b"x" * (1 << 20) for _ in range(parameters.mib)]
        logger.info("allocated %d MiB", len(chunks))


class Noop(iguazu.Job):
    """Does nothing, as fast as it can: the benchmark's trivial job."""

    family = "demo"
    reserved_cpu = 16
    reserved_memory = 32

    def run(self, parameters: dict) -> None:
        pass
