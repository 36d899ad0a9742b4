"""One invocation's cgroup set: CPU shares and a memory limit, kill-everything, OOM and usage.

Cgroups live under the project's own parent, `<controller>/iguazu/<name>`, never inside the
cgroup of whoever started us, so that removing ours can never disturb theirs.

    cg = Cgroup.create("agent-1/E5fpbocaQOWI", cpu_shares=1024, memory_mib=64)
    cg.join(pid)           # the child writes its own pid before it runs anything
    ...
    cg.oom_killed(); cg.kill_all(); cg.remove()

cgroup v1 (separate or combined mounts of memory, cpu, cpuacct, pids, freezer) and v2 (a
unified hierarchy whose root offers memory and cpu) both work; `layout()` finds which.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

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
    "remove_tree",
]

MIB = 1024 * 1024

MIB = 1024 * 1024


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
    return (V2Cgroup if found.version == 2 else V1Cgroup)(name, found)


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
            cg._make()
            cg._limit(cpu_shares, memory_mib, pids_max)
        except OSError:
            cg.remove()
            raise
        return cg

    def path(self, controller: str) -> Path:
        return self.layout.mounts[controller] / PARENT / self.name

    @property
    def procs_files(self) -> tuple[str, ...]:
        """What a process writes its pid into to join (see child.py)."""
        return tuple(str(d / "cgroup.procs") for d in self.dirs)

    def join(self, pid: int) -> None:
        for procs in self.procs_files:
            _write(procs, str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            try:
                found.update(int(p) for p in (d / "cgroup.procs").read_text().split())
            except FileNotFoundError:
                pass
        return found

    def kill_all(self, give_up_after: float = 5.0) -> None:
        """SIGKILL every process in the cgroup, also one that forks while we kill; returns
        when the cgroup is empty. Raises TimeoutError if it cannot be emptied."""
        deadline = time.monotonic() + give_up_after
        while self.pids():
            if time.monotonic() > deadline:
                raise TimeoutError(f"cgroup {self.name} still has processes {sorted(self.pids())}")
            self._kill_once()
            _wait_until(lambda: not self.pids(), 0.5)

    def remove(self) -> None:
        """rmdir every directory, retrying briefly while the kernel lets go of the last
        process. Raises OSError if a directory is still busy after that."""
        for d in self.dirs:
            for delay in (0, 0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5):
                time.sleep(delay)
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or delay == 0.5:
                        raise

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process here for going past the memory limit."""
        raise NotImplementedError

    def peak_memory(self) -> int | None:
        """Bytes at most in use, or None where the kernel does not say."""
        raise NotImplementedError

    def cpu_seconds(self) -> float | None:
        """CPU time used by every process that ran here, or None where unknown."""
        raise NotImplementedError

    def _make(self) -> None:
        for d in self.dirs:
            d.mkdir(parents=True, exist_ok=True)

    def _limit(self, cpu_shares: int, memory_mib: int, pids_max: int | None) -> None:
        raise NotImplementedError

    def _kill_once(self) -> None:
        raise NotImplementedError


class V1Cgroup(Cgroup):
    def _limit(self, cpu_shares: int, memory_mib: int, pids_max: int | None) -> None:
        memory = self.path("memory")
        _write(memory / "memory.limit_in_bytes", str(memory_mib * MIB))
        if (memory / "memory.memsw.limit_in_bytes").exists():  # absent without swap accounting
            _write(memory / "memory.memsw.limit_in_bytes", str(memory_mib * MIB))
        else:
            _write(memory / "memory.swappiness", "0")
        _write(self.path("cpu") / "cpu.shares", str(max(2, cpu_shares)))  # v1's minimum is 2
        if pids_max is not None and "pids" in self.layout.mounts:
            _write(self.path("pids") / "pids.max", str(pids_max))

    def _kill_once(self) -> None:
        # Frozen, nothing can fork between our reading the list and the kills landing; a
        # frozen process dies of SIGKILL as soon as it is thawed.
        frozen = "freezer" in self.layout.mounts and self._freeze()
        try:
            for pid in self.pids():
                _kill(pid)
        finally:
            if frozen:
                _write(self.path("freezer") / "freezer.state", "THAWED", missing_ok=True)

    def _freeze(self) -> bool:
        state = self.path("freezer") / "freezer.state"
        try:
            _write(state, "FROZEN")
        except FileNotFoundError:
            return False
        # FREEZING can last while a process sits in an uninterruptible sleep: kill anyway
        # after a while and let kill_all's loop catch what got away.
        _wait_until(lambda: _read(state) in ("FROZEN", ""), 0.2)
        return True

    def oom_killed(self) -> bool:
        return _counter(self.path("memory") / "memory.oom_control", "oom_kill") > 0

    def peak_memory(self) -> int | None:
        value = _read(self.path("memory") / "memory.max_usage_in_bytes")
        return int(value) if value else None

    def cpu_seconds(self) -> float | None:
        if "cpuacct" not in self.layout.mounts:
            return None
        value = _read(self.path("cpuacct") / "cpuacct.usage")
        return int(value) / 1e9 if value else None


class V2Cgroup(Cgroup):
    def _make(self) -> None:
        # Each ancestor must hand the controllers down to its children (subtree_control).
        parent = self.layout.mounts["memory"]
        for part in (PARENT, *self.name.split("/")):
            offered = _read(parent / "cgroup.controllers").split()
            wanted = " ".join(f"+{c}" for c in V2_CONTROLLERS if c in offered)
            if wanted:
                _write(parent / "cgroup.subtree_control", wanted)
            parent = parent / part
            parent.mkdir(exist_ok=True)

    def _limit(self, cpu_shares: int, memory_mib: int, pids_max: int | None) -> None:
        d = self.dirs[0]
        _write(d / "memory.max", str(memory_mib * MIB))
        if (d / "memory.swap.max").exists():
            _write(d / "memory.swap.max", "0")
        _write(d / "cpu.weight", str(cpu_weight(cpu_shares)))
        if pids_max is not None:
            _write(d / "pids.max", str(pids_max))

    def _kill_once(self) -> None:
        d = self.dirs[0]
        if (d / "cgroup.kill").exists():  # Linux 5.14+: the kernel kills the whole subtree
            _write(d / "cgroup.kill", "1", missing_ok=True)
            return
        _write(d / "cgroup.freeze", "1", missing_ok=True)
        try:
            for pid in self.pids():
                _kill(pid)
        finally:
            _write(d / "cgroup.freeze", "0", missing_ok=True)

    def oom_killed(self) -> bool:
        return _counter(self.dirs[0] / "memory.events", "oom_kill") > 0

    def peak_memory(self) -> int | None:
        value = _read(self.dirs[0] / "memory.peak")  # Linux 5.19+
        return int(value) if value else None

    def cpu_seconds(self) -> float | None:
        usec = _counter(self.dirs[0] / "cpu.stat", "usage_usec")
        return usec / 1e6 if usec else None


def _write(path: str | Path, value: str, missing_ok: bool = False) -> None:
    try:
        with open(path, "w") as f:
            f.write(value)
    except FileNotFoundError:
        if not missing_ok:
            raise


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _counter(path: Path, key: str) -> int:
    """A `key value` line of a flat-keyed cgroup file; 0 when absent."""
    for line in _read(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _wait_until(done, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    delay = 0.0002
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.01)
    return True
