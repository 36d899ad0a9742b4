"""Where invocation logs live: one file per invocation, read by offset while it grows."""

from __future__ import annotations

import os
from pathlib import Path


def log_path(log_dir: Path, inv_id: str) -> Path:
    """Where an invocation's stdout, stderr and logging go (ids are URL-safe, no slashes)."""
    return log_dir / inv_id[:2] / f"{inv_id}.log"


def append_line(path: Path, line: str) -> None:
    """Append one line (the agent's last word on a job); raises OSError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_log(path: Path, offset: int, limit: int) -> tuple[bytes, int]:
    """Up to `limit` bytes from `offset`, and the offset to read from next."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read(limit)
    except FileNotFoundError:
        return b"", offset
    return data, offset + len(data)
