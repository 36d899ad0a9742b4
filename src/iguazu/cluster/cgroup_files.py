"""Reading and writing cgroup control files, tolerant of a cgroup that is already gone."""

from __future__ import annotations

import functools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

# Plain os calls, not open(): a cgroup file is a few bytes, and the agent reads and writes
# a dozen of them per job on threads that share the GIL with the dispatcher.


def write(path: str | Path, value: str, missing_ok: bool = False) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def read(path: str | Path) -> str:
    """The file's text, stripped; "" when it cannot be read."""
    try:
        return read_strictly(path)
    except OSError:
        return ""


def read_strictly(path: str | Path) -> str:
    """The file's text, stripped; "" when it is gone. Raises OSError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode().strip()


def counter(path: Path, key: str) -> int:
    """A `key value` line of a flat-keyed cgroup file; 0 when absent."""
    for line in read(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


@functools.lru_cache(maxsize=8)
def has_memsw(memory_mount: Path) -> bool:
    """Whether the kernel accounts swap in cgroup v1 (a boot option): then every memory
    cgroup has memsw files, the root included."""
    return (memory_mount / "memory.memsw.limit_in_bytes").exists()


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_until(done: Callable[[], bool], seconds: float) -> bool:
    """Whether `done()` became true within `seconds` (polled, backing off to 10 ms)."""
    deadline = time.monotonic() + seconds
    delay = 0.0002
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.01)
    return True
