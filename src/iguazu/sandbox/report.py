"""What goes into a box and what comes out: limits, files, the run report and its status."""

from __future__ import annotations

import enum
import math
import signal
from dataclasses import dataclass, field
from pathlib import Path

KIB = 1024
MIB = 1024 * KIB


class Status(enum.StrEnum):
    """How a run ended. When several things happened, verdict.decide() takes the first of
    INTERNAL_ERROR (could not start), SECURITY_VIOLATION, MEMORY_LIMIT, TIME_LIMIT,
    WALL_TIME_LIMIT, OUTPUT_LIMIT, FILE_SIZE_LIMIT, RUNTIME_ERROR, then OK.

    SECURITY_VIOLATION needs the filter's kill (SIGSYS) to reach our init: the program's, or
    an orphan's. A child killed by the filter that the program waits for itself is the
    program's business (it sees the signal); the filter stopped the call all the same."""

    OK = "OK"  # exited 0 within every limit
    INTERNAL_ERROR = "INTERNAL_ERROR"  # the box could not be set up, or the program not started
    SECURITY_VIOLATION = "SECURITY_VIOLATION"  # the program (or an orphan) made a forbidden call
    MEMORY_LIMIT = "MEMORY_LIMIT"  # the kernel killed a process of the box for memory
    TIME_LIMIT = "TIME_LIMIT"  # CPU time of all its processes and threads went past the limit
    WALL_TIME_LIMIT = "WALL_TIME_LIMIT"  # still running when the wall-clock limit came
    OUTPUT_LIMIT = "OUTPUT_LIMIT"  # wrote more than the limit to stdout or stderr
    FILE_SIZE_LIMIT = "FILE_SIZE_LIMIT"  # a file past the size limit, or the work dir full
    RUNTIME_ERROR = "RUNTIME_ERROR"  # exited non-zero or died of a signal


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one run may use. Sizes in bytes, times in seconds.

    `memory` holds everything the box's processes have resident together, files written to
    the work dir included (they live in memory); `stack` is each process's stack (default:
    as much as `memory`, as online judges allow deep recursion). `processes` counts every
    process and thread. `output` caps stdout and stderr each: more is OUTPUT_LIMIT.
    `address_space` (RLIMIT_AS) is off by default: it breaks runtimes that reserve large
    virtual ranges (the JVM), and `memory` is the real limit.
    """

    cpu_time: float = 2.0
    wall_time: float = 10.0
    memory: int = 256 * MIB
    stack: int | None = None
    processes: int = 64
    output: int = 1 * MIB
    file_size: int = 16 * MIB
    open_files: int = 64
    work_dir_size: int = 32 * MIB
    work_dir_files: int = 1024
    address_space: int | None = None

    def __post_init__(self) -> None:
        for name in ("cpu_time", "wall_time"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"limit {name} must be a positive number of seconds: {value!r}")
        for name in (
            "memory", "processes", "output", "file_size", "open_files",
            "work_dir_size", "work_dir_files", "stack", "address_space",
        ):  # fmt: skip
            value = getattr(self, name)
            if value is None and name in ("stack", "address_space"):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limit {name} must be a positive integer, not {value!r}")
        if self.memory < 4 * MIB:
            raise ValueError("limit memory must be at least 4 MiB")
        if self.work_dir_files < 16 or self.work_dir_size < 64 * KIB:
            raise ValueError(
                "limits work_dir_files and work_dir_size must be at least 16 and 64 KiB"
            )


@dataclass(frozen=True)
class File:
    """A file to place in the work dir: its bytes and mode (0o755 for a program)."""

    data: bytes
    mode: int = 0o644

    @classmethod
    def executable(cls, data: bytes) -> File:
        return cls(data, 0o755)

    @classmethod
    def copy_of(cls, path: str | Path) -> File:
        """The bytes of a host file, executable when it is."""
        source = Path(path)
        return cls(source.read_bytes(), 0o755 if source.stat().st_mode & 0o111 else 0o644)


@dataclass(frozen=True, kw_only=True)
class RunReport:
    """What one run did, after isolate's meta file.

    `cpu_time` is every process and thread of the box together (cgroup accounting, not the
    launcher's); `memory` the box's peak as the memory limit counts it (files in the work dir
    included); `max_rss` the largest resident set of the program or a process it waited
    for. Exactly one of `exit_code` and `signal` is set when the program ran to an end.
    `stdout`/`stderr` hold at most `Limits.output` bytes each. `files` are those asked back
    that were regular files within the limit; `message` says in words what happened.
    """

    status: Status
    exit_code: int | None = None
    signal: int | None = None
    cpu_time: float = 0.0
    wall_time: float = 0.0
    memory: int = 0
    max_rss: int = 0
    stdout: bytes = b""
    stderr: bytes = b""
    message: str = ""
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def signal_name(self) -> str | None:
        return None if self.signal is None else signal_name(self.signal)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
