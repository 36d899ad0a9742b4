"""One invocation's cgroup set: CPU shares and a memory limit, kill-everything, OOM and usage.

Cgroups live under the project's own parent, `<controller>/iguazu/<name>`, never inside the
cgroup of whoever started us, so that removing ours can never disturb theirs.

    cg = Cgroup.create("agent-1/E5fpbocaQOWI", cpu_shares=1024, memory_mib=64)
    cg.join(pid)           # the child writes its own pid before it runs anything
    ...
    cg.oom_killed(); cg.kill_all(); cg.remove()

An emptied cgroup can serve again (cgroup_pool.py): `reset()` zeroes what it counts, and
`limit()` sets the next job's reservation, writing only what changed.

cgroup v1 (separate or combined mounts of memory, cpu, cpuacct, pids, freezer) and v2 (a
unified hierarchy whose root offers memory and cpu) both work; `layout()` finds which.
"""

from __future__ import annotations

import errno
import functools
import time
from pathlib import Path

from .cgroup_files import counter, has_memsw, kill, read, read_strictly, wait_until, write
from .cgroup_layout import PARENT, V2_CONTROLLERS, Layout, available, isolation, layout

__all__ = [
    "PARENT",
    "V2_CONTROLLERS",
    "Cgroup",
    "Layout",
    "at",
    "available",
    "children",
    "cpu_weight",
    "isolation",
    "layout",
    "make",
    "remove_tree",
]

MIB = 1024 * 1024
# Still charged to an emptied cgroup, at most, for it to serve again: the kernel's per-CPU
# charge batches alone are up to 256 KiB, a trivial job's log and kernel objects far less.
REUSE_BELOW = 1 * MIB


def cpu_weight(shares: int) -> int:
    """cgroup v2 cpu.weight for v1-style shares: 1024 shares (one core) is the default weight
    100, and ratios between jobs are kept."""
    return max(1, min(10_000, round(shares * 100 / 1024)))


def children(name: str = "", found: Layout | None = None) -> list[str]:
    """Names of the cgroups right under `iguazu/<name>` (or `iguazu/`) in any hierarchy."""
    found = found or layout()
    if found is None:
        return []
    names: set[str] = set()
    for d in found.dirs(name):
        if d.is_dir():
            subs = (sub.name for sub in d.iterdir() if sub.is_dir())
            names.update(f"{name}/{sub}" if name else sub for sub in subs)
    return sorted(names)


def at(name: str, found: Layout | None = None) -> Cgroup:
    """The cgroup `name` as it is (possibly absent): to kill what it holds and remove it."""
    found = found or layout()
    if found is None:
        raise OSError(errno.ENOTSUP, "no usable cgroup controllers on this machine")
    if found.version == 2:
        from .cgroup_v2 import V2Cgroup  # it builds on Cgroup, defined below

        return V2Cgroup(name, found)
    return V1Cgroup(name, found)


def make(name: str, found: Layout | None = None) -> Cgroup:
    """The cgroup `name`, made now without limits; raises OSError (and removes what it made)."""
    cgroup = at(name, found)
    try:
        cgroup.make()
    except OSError:
        cgroup.remove()
        raise
    return cgroup


def remove_tree(name: str, found: Layout | None = None) -> None:
    """Kill whatever runs in cgroup `name` and in those right under it (an agent's), and
    remove them all. Raises OSError naming those it could not empty or remove."""
    failures = []
    for cgroup in [*(at(n, found) for n in children(name, found)), at(name, found)]:
        try:
            cgroup.kill_all()
            cgroup.remove()
        except (OSError, TimeoutError) as exc:
            failures.append(f"{cgroup.name}: {exc}")
    if failures:
        raise OSError(errno.EBUSY, "cannot remove cgroups: " + "; ".join(failures))


class Cgroup:
    """One cgroup set. Every method tolerates a cgroup that is already gone."""

    def __init__(self, name: str, found: Layout) -> None:
        self.name = name
        self.layout = found
        self.dirs = found.dirs(name)
        # (cpu_shares, memory_mib, pids_max) as last written; None: unknown
        self._limits: tuple[int, int, int | None] | None = None
        self._oom_kills_before = 0  # the OOM counter cannot be reset: what it said when reset

    @classmethod
    def create(
        cls,
        name: str,
        *,
        cpu_shares: int,
        memory_mib: int,
        pids_max: int | None = None,
        found: Layout | None = None,
    ) -> Cgroup:
        """Make the cgroup and set its limits; raises OSError (and removes what it made)."""
        cg = at(name, found)
        try:
            cg.make()
            cg.limit(cpu_shares=cpu_shares, memory_mib=memory_mib, pids_max=pids_max)
        except OSError:
            cg.remove()
            raise
        return cg

    def limit(self, *, cpu_shares: int, memory_mib: int, pids_max: int | None = None) -> None:
        """Hold what runs here to these limits. Each value is written only when it differs
        from the one we wrote last (nothing else writes them), so a cgroup reused for a job
        like the last one costs no write. Raises OSError (then nothing is taken as known),
        for example EBUSY when the memory in use is above the new limit and cannot be
        reclaimed."""
        wanted = (cpu_shares, memory_mib, pids_max)
        if wanted == self._limits:
            return
        known, self._limits = self._limits, None
        self._set_limits(cpu_shares, memory_mib, pids_max, known)
        self._limits = wanted

    def path(self, controller: str) -> Path:
        return self.layout.mounts[controller] / PARENT / self.name

    @functools.cached_property
    def procs_files(self) -> tuple[str, ...]:
        """What a process writes its pid into to join (see child.py)."""
        return tuple(str(d / "cgroup.procs") for d in self.dirs)

    def join(self, pid: int) -> None:
        for procs in self.procs_files:
            write(procs, str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            found.update(int(p) for p in read_strictly(procs).split())  # "": it is gone
        return found

    def kill_all(self, give_up_after: float = 5.0) -> None:
        """SIGKILL every process in the cgroup, also one that forks while we kill; returns
        when the cgroup is empty. Raises TimeoutError if it cannot be emptied."""
        deadline = time.monotonic() + give_up_after
        while self.pids():
            if time.monotonic() > deadline:
                raise TimeoutError(f"cgroup {self.name} still has processes {sorted(self.pids())}")
            self._kill_once()
            wait_until(lambda: not self.pids(), 0.5)

    def remove(self) -> None:
        """rmdir every directory, retrying briefly while the kernel lets go of the last
        process. Raises OSError if a directory is still busy after that."""
        for d in self.dirs:
            for delay in (0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, None):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or delay is None:
                        raise
                time.sleep(delay)

    def reset(self) -> bool:
        """Make an emptied cgroup as good as new for another job: its usage counters at
        zero, nothing left charged to it. False when that cannot be had (then remove it):
        memory that stays charged after its processes are gone (a file left in a tmpfs,
        without swap) would count against the next job's reservation."""
        return False

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process here for going past the memory limit."""
        raise NotImplementedError

    def peak_memory(self) -> int | None:
        """Bytes at most in use, or None where the kernel does not say."""
        raise NotImplementedError

    def cpu_seconds(self) -> float | None:
        """CPU time used by every process that ran here, or None where unknown."""
        raise NotImplementedError

    def make(self) -> None:
        """Make its directories (no limits yet); raises OSError."""
        for d in self.dirs:
            d.mkdir(parents=True, exist_ok=True)

    def _set_limits(
        self,
        cpu_shares: int,
        memory_mib: int,
        pids_max: int | None,
        known: tuple[int, int, int | None] | None,
    ) -> None:
        raise NotImplementedError

    def _kill_once(self) -> None:
        raise NotImplementedError


class V1Cgroup(Cgroup):
    def _set_limits(
        self,
        cpu_shares: int,
        memory_mib: int,
        pids_max: int | None,
        known: tuple[int, int, int | None] | None,
    ) -> None:
        was_cpu, was_memory, was_pids = known or (None, None, None)
        if memory_mib != was_memory:
            memory = self.path("memory")
            files = [memory / "memory.limit_in_bytes"]
            if has_memsw(self.layout.mounts["memory"]):  # absent without swap accounting
                files.append(memory / "memory.memsw.limit_in_bytes")
            elif was_memory is None:
                write(memory / "memory.swappiness", "0")
            # memsw may never be below the memory limit: raise it first, lower it last.
            if was_memory is not None and memory_mib > was_memory:
                files.reverse()
            for path in files:
                write(path, str(memory_mib * MIB))
        if cpu_shares != was_cpu:
            write(self.path("cpu") / "cpu.shares", str(max(2, cpu_shares)))  # v1's minimum is 2
        if pids_max != was_pids and pids_max is not None and "pids" in self.layout.mounts:
            write(self.path("pids") / "pids.max", str(pids_max))

    def reset(self) -> bool:
        memory = self.path("memory")
        try:
            # What stays charged after the processes are gone is mostly the page cache of
            # the files they wrote (the log), which the kernel reclaims when a job needs the
            # room. Past REUSE_BELOW it may be more (a tmpfs file): a new cgroup then. Not
            # memory.force_empty: it sleeps 3-100 ms on kernel objects it cannot reclaim.
            if int(read(memory / "memory.usage_in_bytes") or 0) > REUSE_BELOW:
                return False
            write(memory / "memory.max_usage_in_bytes", "0")  # from here: the next job's peak
            if "cpuacct" in self.layout.mounts:
                write(self.path("cpuacct") / "cpuacct.usage", "0")
        except OSError:
            return False
        self._oom_kills_before = counter(memory / "memory.oom_control", "oom_kill")
        if not self._limits_unchanged():
            self._limits = None  # a job (root) changed them: limit() writes them all again
        return True

    def _limits_unchanged(self) -> bool:
        """Whether the files still hold what we wrote last."""
        if self._limits is None:
            return True
        cpu_shares, memory_mib, pids_max = self._limits
        files = {
            self.path("cpu") / "cpu.shares": max(2, cpu_shares),
            self.path("memory") / "memory.limit_in_bytes": memory_mib * MIB,
        }
        if pids_max is not None and "pids" in self.layout.mounts:
            files[self.path("pids") / "pids.max"] = pids_max
        return all(read(path) == str(value) for path, value in files.items())

    def _kill_once(self) -> None:
        # Frozen, nothing can fork between our reading the list and the kills landing; a
        # frozen process dies of SIGKILL as soon as it is thawed.
        frozen = "freezer" in self.layout.mounts and self._freeze()
        try:
            for pid in self.pids():
                kill(pid)
        finally:
            if frozen:
                write(self.path("freezer") / "freezer.state", "THAWED", missing_ok=True)

    def _freeze(self) -> bool:
        state = self.path("freezer") / "freezer.state"
        try:
            write(state, "FROZEN")
        except FileNotFoundError:
            return False
        # FREEZING can last while a process sits in an uninterruptible sleep: kill anyway
        # after a while and let kill_all's loop catch what got away.
        wait_until(lambda: read(state) in ("FROZEN", ""), 0.2)
        return True

    def oom_killed(self) -> bool:
        oom_kills = counter(self.path("memory") / "memory.oom_control", "oom_kill")
        return oom_kills > self._oom_kills_before

    def peak_memory(self) -> int | None:
        value = read(self.path("memory") / "memory.max_usage_in_bytes")
        return int(value) if value else None

    def cpu_seconds(self) -> float | None:
        if "cpuacct" not in self.layout.mounts:
            return None
        value = read(self.path("cpuacct") / "cpuacct.usage")
        return int(value) / 1e9 if value else None
