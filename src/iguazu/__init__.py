"""Iguazú: a batch platform. Jobs reserve CPU and RAM and run now, later or on a schedule,
at most once."""

from .jobs import Job, JobRegistry, JobSpec
from .models import Invocation, InvocationRequest, Isolation, State

__all__ = ["Job", "JobRegistry", "JobSpec", "Invocation", "InvocationRequest", "Isolation", "State"]
