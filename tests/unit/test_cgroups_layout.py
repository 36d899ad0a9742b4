"""Finding the cgroup controllers and turning reservations into their settings."""

from __future__ import annotations

from pathlib import Path

from iguazu.cluster.cgroup_layout import Layout, parse_v1_mounts
from iguazu.cluster.cgroups import cpu_weight

# /proc/self/mounts of this project's build machine (separate mounts) plus a distribution's
# usual combined cpu,cpuacct mount under another name.
MOUNTS = """\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/freezer cgroup rw,relatime,freezer 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
"""
COMBINED = "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n"


def test_v1_mounts_are_found_per_controller_and_others_ignored() -> None:
    found = parse_v1_mounts(MOUNTS)
    assert found == {
        "cpu": Path("/sys/fs/cgroup/cpu"),
        "memory": Path("/sys/fs/cgroup/memory"),
        "freezer": Path("/sys/fs/cgroup/freezer"),
        "pids": Path("/sys/fs/cgroup/pids"),
    }


def test_controllers_mounted_together_share_one_directory() -> None:
    separate_cpu = "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
    found = parse_v1_mounts(COMBINED + MOUNTS.replace(separate_cpu, ""))
    layout = Layout(version=1, mounts=found)
    assert found["cpu"] == found["cpuacct"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    dirs = layout.dirs("agent/inv")
    assert len(dirs) == len(set(found.values()))
    assert Path("/sys/fs/cgroup/cpu,cpuacct/iguazu/agent/inv") in dirs


def test_cgroups_live_under_the_projects_own_parent() -> None:
    layout = Layout(version=2, mounts={c: Path("/sys/fs/cgroup") for c in ("memory", "cpu")})
    assert layout.dirs("a/b") == (Path("/sys/fs/cgroup/iguazu/a/b"),)
    assert layout.dirs("") == (Path("/sys/fs/cgroup/iguazu"),)


def test_one_core_is_the_default_weight_and_ratios_are_kept() -> None:
    assert cpu_weight(1024) == 100
    assert cpu_weight(512) == 50
    assert cpu_weight(4096) == 400


def test_weights_stay_in_the_kernels_range() -> None:
    assert cpu_weight(1) == 1
    assert cpu_weight(1024 * 1024) == 10_000
