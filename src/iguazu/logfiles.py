"""Where invocation logs live: one file per invocation, read by offset while it grows."""

from __future__ import annotations

from pathlib import Path


def log_path(log_dir: Path, inv_id: str) -> Path:
    """Where an invocation's stdout, stderr and logging go (ids are URL-safe, no slashes)."""
    return log_dir / inv_id[:2] / f"{inv_id}.log"


def read_log(path: Path, offset: int, limit: int) -> tuple[bytes, int]:
    """Up to `limit` bytes from `offset`, and the offset to read from next."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read(limit)
    except FileNotFoundError:
        return b"", offset
    return data, offset + len(data)
