"""Iguazú: a batch platform. Jobs reserve CPU and RAM and run now, later or on a schedule,
at most once."""

from typing import TYPE_CHECKING, Any

from .jobs import Job, JobRegistry, JobSpec
from .models import (
    Invocation,
    InvocationRequest,
    Isolation,
    Misfire,
    Overlap,
    Schedule,
    ScheduleRequest,
    State,
)

if TYPE_CHECKING:
    from .client import Client

__all__ = [
    "Client",
    "Invocation",
    "InvocationRequest",
    "Isolation",
    "Job",
    "JobRegistry",
    "JobSpec",
    "Misfire",
    "Overlap",
    "Schedule",
    "ScheduleRequest",
    "State",
]


def __getattr__(name: str) -> Any:
    # The client pulls in httpx: job processes that only `import iguazu` need not pay for it.
    if name == "Client":
        from .client import Client

        return Client
    raise AttributeError(f"module 'iguazu' has no attribute {name!r}")
