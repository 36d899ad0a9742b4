"""cgroup v2: one unified hierarchy whose root offers memory, cpu and pids."""

from __future__ import annotations

from .cgroup_files import counter, kill, read, write
from .cgroup_layout import PARENT, V2_CONTROLLERS
from .cgroups import MIB, Cgroup, cpu_weight


class V2Cgroup(Cgroup):
    def make(self) -> None:
        # Each ancestor must hand the controllers down to its children (subtree_control).
        parent = self.layout.mounts["memory"]
        for part in (PARENT, *self.name.split("/")):
            offered = read(parent / "cgroup.controllers").split()
            wanted = " ".join(f"+{c}" for c in V2_CONTROLLERS if c in offered)
            if wanted:
                write(parent / "cgroup.subtree_control", wanted)
            parent = parent / part
            parent.mkdir(exist_ok=True)

    def _set_limits(
        self,
        cpu_shares: int,
        memory_mib: int,
        pids_max: int | None,
        known: tuple[int, int, int | None] | None,
    ) -> None:
        # v2 cgroups are not reused (see reset): every write is a first one.
        d = self.dirs[0]
        write(d / "memory.max", str(memory_mib * MIB))
        if (d / "memory.swap.max").exists():
            write(d / "memory.swap.max", "0")
        write(d / "cpu.weight", str(cpu_weight(cpu_shares)))
        if pids_max is not None:
            write(d / "pids.max", str(pids_max))

    def _kill_once(self) -> None:
        d = self.dirs[0]
        if (d / "cgroup.kill").exists():  # Linux 5.14+: the kernel kills the whole subtree
            write(d / "cgroup.kill", "1", missing_ok=True)
            return
        write(d / "cgroup.freeze", "1", missing_ok=True)
        try:
            for pid in self.pids():
                kill(pid)
        finally:
            write(d / "cgroup.freeze", "0", missing_ok=True)

    def oom_killed(self) -> bool:
        return counter(self.dirs[0] / "memory.events", "oom_kill") > 0

    def peak_memory(self) -> int | None:
        value = read(self.dirs[0] / "memory.peak")  # Linux 5.19+
        return int(value) if value else None

    def cpu_seconds(self) -> float | None:
        usec = counter(self.dirs[0] / "cpu.stat", "usage_usec")
        return usec / 1e6 if usec else None
