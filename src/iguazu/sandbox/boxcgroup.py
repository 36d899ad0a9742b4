"""One box's cgroup: memory without swap, a process count, CPU accounting, kill-everything.

Made per run as `<controller>/iguazu/sandbox/<pid>-<token>` and removed after it; built on the
cluster's cgroup code (v1 as on this machine, v2 where the kernel offers its controllers).
Only the controllers a box needs: no `cpu` (a box runs one program at a time and its CPU is
limited in time, not shared).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import replace

from ..cluster import cgroups
from ..cluster.cgroup_files import has_memsw, write

# No freezer: killing the box's pid 1 kills its whole pid namespace at once, and a process
# being killed with it cannot fork any more (kill_all's loop is a second line).
V1_CONTROLLERS = ("memory", "pids", "cpuacct")
PARENT = "sandbox"  # under the project's own: <controller>/iguazu/sandbox/<pid>-<token>


def usable() -> cgroups.Layout | None:
    """The layout a box's cgroup uses here, or None when cgroups cannot be made."""
    if not cgroups.available():
        return None
    found = cgroups.layout()
    if found is None:
        return None
    if found.version == 1:
        if not all(c in found.mounts for c in V1_CONTROLLERS):
            return None
        return replace(found, mounts={c: found.mounts[c] for c in V1_CONTROLLERS})
    return found


def create(layout: cgroups.Layout) -> cgroups.Cgroup:
    """A new cgroup, no limits yet (see `limit`). Raises OSError (and removes what it made)."""
    return cgroups.make(f"{PARENT}/{os.getpid()}-{secrets.token_hex(6)}", layout)


def limit(cgroup: cgroups.Cgroup, *, memory: int, processes: int) -> None:
    """Hold the box to `memory` bytes (swap included) and `processes` processes and
    threads. On v1 the peak counts from here; v2 cannot reset it (it includes our init's
    few pages). Raises OSError."""
    if cgroup.layout.version == 1:
        mem = cgroup.path("memory")
        write(mem / "memory.limit_in_bytes", str(memory))
        if has_memsw(cgroup.layout.mounts["memory"]):
            write(mem / "memory.memsw.limit_in_bytes", str(memory))
        else:
            write(mem / "memory.swappiness", "0")
        write(mem / "memory.max_usage_in_bytes", "0")  # the peak from here: the program's
        write(cgroup.path("pids") / "pids.max", str(processes))
    else:
        d = cgroup.dirs[0]
        write(d / "memory.max", str(memory))
        if (d / "memory.swap.max").exists():
            write(d / "memory.swap.max", "0")
        write(d / "pids.max", str(processes))


def sweep(layout: cgroups.Layout, alive: Callable[[int], bool]) -> list[str]:
    """Kill what is in, and remove, the cgroups that processes now dead left behind; the
    names of those removed."""
    removed = []
    for name in cgroups.children(PARENT, layout):
        pid = name.split("/")[-1].split("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            cgroup = cgroups.at(name, layout)
            cgroup.kill_all()
            cgroup.remove()
            removed.append(name)
    return removed
