"""A test's verdict, as online judges name them, and how a sandbox status becomes one."""

from __future__ import annotations

import enum

from ..sandbox import Status


class Verdict(enum.StrEnum):
    AC = "AC"  # accepted
    WA = "WA"  # wrong answer
    PE = "PE"  # presentation error: only whitespace differs (exact checker)
    TLE = "TLE"  # time limit exceeded (CPU, or the wall clock)
    MLE = "MLE"  # memory limit exceeded
    OLE = "OLE"  # output limit exceeded
    RE = "RE"  # runtime error: a signal, a non-zero exit, a forbidden call, a file too big
    CE = "CE"  # compile error
    IE = "IE"  # internal error: ours, never the learner's fault

    @property
    def passed(self) -> bool:
        return self is Verdict.AC


FROM_STATUS = {
    Status.TIME_LIMIT: Verdict.TLE,
    Status.WALL_TIME_LIMIT: Verdict.TLE,
    Status.MEMORY_LIMIT: Verdict.MLE,
    Status.OUTPUT_LIMIT: Verdict.OLE,
    Status.RUNTIME_ERROR: Verdict.RE,
    Status.SECURITY_VIOLATION: Verdict.RE,
    Status.FILE_SIZE_LIMIT: Verdict.RE,
    Status.INTERNAL_ERROR: Verdict.IE,
}


def of_run(status: Status) -> Verdict | None:
    """The verdict a run's status gives by itself; None for OK (the checker decides)."""
    return None if status is Status.OK else FROM_STATUS[status]
