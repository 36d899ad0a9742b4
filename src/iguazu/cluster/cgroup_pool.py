"""Emptied cgroups kept for later jobs, so that a start makes no directory and an exit
removes none.

An exit gives its cgroup back; the agent's background thread (spares.py) then kills what
the job left running in it, resets it (Cgroup.reset: counters to zero, leftover charges
reclaimed) and keeps it for `take()`. One that cannot be reset is removed instead. Reuse
also spares the kernel: a removed memory cgroup lingers while pages are still charged to it,
and there can be only 65,535 of them.

The cgroups are named `iguazu/agent-<pid>-<agent id>/c<n>`; which invocation runs where is
LocalCluster.running(), and each log's first line names the job's pid. The agent's pid in
the name lets a later agent remove what one killed with -9 left behind.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading

from ..procs import pid_alive
from . import cgroups

logger = logging.getLogger(__name__)


class CgroupPool:
    """One agent's cgroups. `pids_max` holds every job's process count (None: no limit)."""

    def __init__(self, agent_id: str, *, pids_max: int | None) -> None:
        self.parent = f"agent-{os.getpid()}-{agent_id}"
        self._pids_max = pids_max
        self._lock = threading.Lock()
        self._free: list[cgroups.Cgroup] = []
        self._returned: list[tuple[cgroups.Cgroup, bool]] = []  # (cgroup, may be reused)
        self._numbers = itertools.count(1)

    def take(self, *, new: bool = False) -> cgroups.Cgroup:
        """An empty cgroup: a reset one (it keeps its last limits; Cgroup.limit writes only
        what differs) or, when none is left or `new`, a new one without limits. Raises
        OSError."""
        with self._lock:
            if self._free and not new:
                return self._free.pop()  # the most recently used: its files are warm
            name = f"{self.parent}/c{next(self._numbers)}"
        return cgroups.make(name)

    def take_limited(self, *, cpu_shares: int, memory_mib: int) -> cgroups.Cgroup:
        """An empty cgroup with these limits; raises OSError."""
        cgroup = self.take()
        try:
            self.limit(cgroup, cpu_shares=cpu_shares, memory_mib=memory_mib)
        except OSError:  # a charge the reset did not see; a new cgroup has none
            self.give_back(cgroup, reuse=False)
            cgroup = self.take(new=True)
            self.limit(cgroup, cpu_shares=cpu_shares, memory_mib=memory_mib)
        return cgroup

    def limit(self, cgroup: cgroups.Cgroup, *, cpu_shares: int, memory_mib: int) -> None:
        """Cgroup.limit, with the agent's pids_max; raises OSError."""
        cgroup.limit(cpu_shares=cpu_shares, memory_mib=memory_mib, pids_max=self._pids_max)

    def give_back(self, cgroup: cgroups.Cgroup, *, reuse: bool = True) -> None:
        """For the background thread to empty, then keep (or remove, if not `reuse`: its
        limits could not be set)."""
        with self._lock:
            self._returned.append((cgroup, reuse))

    @property
    def returned(self) -> bool:
        """Whether some given-back cgroup waits for `clean()`."""
        return bool(self._returned)

    def clean(self) -> None:
        """Empty every given-back cgroup (SIGKILL to what is left in it: a daemon must not
        outlive its invocation), then keep or remove it. Background thread only."""
        while True:
            with self._lock:
                if not self._returned:
                    return
                cgroup, reuse = self._returned.pop(0)
            try:
                cgroup.kill_all()
            except (OSError, TimeoutError) as exc:
                logger.error("cannot empty cgroup %s: %s", cgroup.name, exc)
                continue  # left alone; LocalCluster.close() tries again
            if reuse and cgroup.reset():
                with self._lock:
                    self._free.append(cgroup)
                continue
            try:
                cgroup.remove()
            except OSError as exc:
                logger.warning("cannot remove cgroup %s: %s", cgroup.name, exc)

    def remove_all(self) -> None:
        """Kill what is left in any of the agent's cgroups and remove them all."""
        _remove_tree(self.parent)


def remove_dead_agents_cgroups() -> None:
    """An agent killed with -9 leaves its cgroups, and in them whatever its jobs had started
    (its jobs themselves die with it): kill those and remove the cgroups."""
    for name in cgroups.children():
        match = re.fullmatch(r"agent-(\d+)-.*", name)
        if match and not pid_alive(int(match.group(1))):
            logger.warning("removing the cgroups of dead agent %s", name)
            _remove_tree(name)


def _remove_tree(name: str) -> None:
    try:
        cgroups.remove_tree(name)
    except OSError as exc:
        logger.warning("%s", exc)
