"""Where this machine's cgroup controllers are, and which isolation that allows."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..models import Isolation

PARENT = "iguazu"
V2_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "freezer")
V1_REQUIRED = ("memory", "cpu")
V2_CONTROLLERS = ("memory", "cpu", "pids")


@dataclass(frozen=True, kw_only=True)
class Layout:
    """Where the controllers are. v1: one mount per controller (two controllers mounted
    together share a directory); v2: the unified root under every controller name."""

    version: int
    mounts: dict[str, Path]

    def dirs(self, name: str) -> tuple[Path, ...]:
        """The distinct directories of cgroup `name`, one per hierarchy."""
        seen: dict[Path, None] = {}
        for mount in self.mounts.values():
            seen[(mount / PARENT / name) if name else (mount / PARENT)] = None
        return tuple(seen)


def parse_v1_mounts(mounts_text: str) -> dict[str, Path]:
    """Controller -> mount point, from /proc/self/mounts."""
    found: dict[str, Path] = {}
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[2] != "cgroup":
            continue
        for option in parts[3].split(","):
            if option in V1_CONTROLLERS:
                found.setdefault(option, Path(parts[1]))
    return found


@functools.lru_cache(maxsize=1)
def layout() -> Layout | None:
    """The cgroup layout of this machine, or None when neither version offers limits."""
    try:
        controllers = (V2_ROOT / "cgroup.controllers").read_text().split()
    except OSError:
        controllers = []
    if "memory" in controllers and "cpu" in controllers:
        return Layout(version=2, mounts=dict.fromkeys(V2_CONTROLLERS, V2_ROOT))
    try:
        mounts = parse_v1_mounts(Path("/proc/self/mounts").read_text())
    except OSError:
        return None
    if not all(c in mounts for c in V1_REQUIRED):
        return None
    return Layout(version=1, mounts=mounts)


def available() -> bool:
    """Whether this process can make cgroups: root, and the controllers are writable."""
    found = layout()
    if os.geteuid() != 0 or found is None:
        return False
    return all(os.access(mount, os.W_OK) for mount in found.mounts.values())


def isolation(setting: str) -> Isolation:
    """The isolation a setting asks for, here: "auto" is cgroup when available, else rlimit.
    Raises ConfigError for "cgroup" where cgroups cannot be used."""
    if setting == "auto":
        return Isolation.CGROUP if available() else Isolation.RLIMIT
    if setting == "cgroup" and not available():
        raise ConfigError("isolation 'cgroup' needs root and writable memory and cpu cgroups")
    try:
        return Isolation(setting)
    except ValueError:
        known = "auto, cgroup, rlimit or none"
        raise ConfigError(f"isolation must be {known}, not {setting!r}") from None
