"""Which status a run gets when several things happened at once, and how boxinit's status
line is read: the rules of verdict.py one by one, without a box."""

from __future__ import annotations

import errno
import signal

import pytest

from iguazu.sandbox import Limits, Status
from iguazu.sandbox.boxinit import Ending
from iguazu.sandbox.verdict import Seen, decide
from iguazu.sandbox.watch import Kill

LIMITS = Limits(cpu_time=1.0, wall_time=3.0)


def ending(code: int = 0, *, signaled: bool = False, **kw: object) -> Ending:
    fields = {"cpu_time": 0.1, "max_rss": 0, "exec_errno": 0, "seccomp_kill": False, **kw}
    return Ending(signaled=signaled, code=code, **fields)  # type: ignore[arg-type]


def seen(end: Ending | None = None, **kw: object) -> Seen:
    fields = {"killed": None, "oom_killed": False, "cpu_time": 0.1, "work_dir_full": False, **kw}
    return Seen(ending=end, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "what, expected",
    [
        (seen(ending(0)), Status.OK),
        (seen(ending(1)), Status.RUNTIME_ERROR),
        (seen(ending(137)), Status.RUNTIME_ERROR),
        (seen(ending(signal.SIGSEGV, signaled=True)), Status.RUNTIME_ERROR),
        (seen(ending(signal.SIGSYS, signaled=True)), Status.SECURITY_VIOLATION),
        # a child killed by the filter, the program itself exited 0
        (seen(ending(0, seccomp_kill=True)), Status.SECURITY_VIOLATION),
        (seen(ending(signal.SIGKILL, signaled=True), oom_killed=True), Status.MEMORY_LIMIT),
        # killed for memory while also past the CPU limit: memory comes first
        (seen(None, killed=Kill.CPU, oom_killed=True, cpu_time=2.0), Status.MEMORY_LIMIT),
        (seen(None, killed=Kill.CPU, cpu_time=1.01), Status.TIME_LIMIT),
        # the rlimit's SIGXCPU comes past the limit, which the cgroup's figure shows
        (seen(ending(signal.SIGXCPU, signaled=True), cpu_time=2.0), Status.TIME_LIMIT),
        # a program raising SIGXCPU or SIGXFSZ itself picks no limit's status
        (seen(ending(signal.SIGXCPU, signaled=True), cpu_time=0.01), Status.RUNTIME_ERROR),
        (seen(ending(signal.SIGXFSZ, signaled=True)), Status.RUNTIME_ERROR),
        # ended by itself, but used more CPU than allowed before we looked
        (seen(ending(0), cpu_time=1.2), Status.TIME_LIMIT),
        # the wall limit came, and it had spun past the CPU limit meanwhile
        (seen(None, killed=Kill.WALL, cpu_time=1.5), Status.TIME_LIMIT),
        (seen(None, killed=Kill.WALL, cpu_time=0.0), Status.WALL_TIME_LIMIT),
        (seen(None, killed=Kill.OUTPUT), Status.OUTPUT_LIMIT),
        (seen(ending(signal.SIGXFSZ, signaled=True), file_at_limit=True), Status.FILE_SIZE_LIMIT),
        (seen(ending(1), work_dir_full=True), Status.FILE_SIZE_LIMIT),
        # a full work dir is no failure when the program succeeded anyway
        (seen(ending(0), work_dir_full=True), Status.OK),
        (seen(ending(0, exec_errno=errno.ENOENT)), Status.INTERNAL_ERROR),
        (seen(None), Status.INTERNAL_ERROR),
        # the OOM killer took the init itself (kernel memory of many pipes, say)
        (seen(None, oom_killed=True), Status.MEMORY_LIMIT),
    ],
)
def test_status(what: Seen, expected: Status) -> None:
    assert decide(what, LIMITS)[0] is expected


def test_messages_name_the_signal_and_the_limit() -> None:
    assert decide(seen(ending(signal.SIGSEGV, signaled=True)), LIMITS)[1] == "killed by SIGSEGV"
    assert "1 s of CPU" in decide(seen(None, killed=Kill.CPU, cpu_time=2), LIMITS)[1]
    assert decide(seen(None), LIMITS)[1] == "the box's init ended without a report"


def test_status_line_is_read_field_by_field() -> None:
    end = Ending.parse("signaled 11 250000 50000 2048 0 1")
    assert (end.signaled, end.code, end.max_rss, end.seccomp_kill) == (True, 11, 2048 * 1024, True)
    assert end.cpu_time == pytest.approx(0.3)


@pytest.mark.parametrize(
    "line", ["", "exited 0", "stopped 1 0 0 0 0 0", "exited x 0 0 0 0 0", "exited 0 0 0 0 0 0 0"]
)
def test_a_status_line_from_anything_else_is_refused(line: str) -> None:
    with pytest.raises(ValueError):
        Ending.parse(line)
