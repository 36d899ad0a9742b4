"""Facts about processes on this machine."""

from __future__ import annotations

import os
import signal


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_naming(text: bytes) -> None:
    """SIGKILL every process whose command line holds `text`."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                if text in f.read():
                    os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue
