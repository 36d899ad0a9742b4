"""Spare job processes (forked and placed in a cgroup ahead of starts) and reused cgroups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iguazu.cluster import cgroups
from iguazu.cluster.cgroup_pool import CgroupPool
from iguazu.cluster.child import Plan
from iguazu.cluster.zygote_client import ChildExit, Zygote, ZygoteError
from iguazu.models import Isolation, State, new_id

from .test_local_cluster import MIB, Harness, alive, needs_root, pid_in, wait_for


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path, "auto")
    yield h
    h.cluster.close()


def spare_pid(harness: Harness, other_than: int | None = None) -> int:
    """The pid of a spare waiting now (a new one, if `other_than`)."""
    pids = wait_for(lambda: [p for p in harness.cluster.spare_pids() if p != other_than])
    return int(pids[0])


@pytest.mark.parametrize("isolation", ["auto", "rlimit"])
def test_a_start_hands_the_job_to_the_waiting_spare_and_a_new_spare_follows(
    tmp_path: Path, isolation: str
) -> None:
    harness = Harness(tmp_path, isolation)
    try:
        waiting = spare_pid(harness)
        inv, launch = harness.start("ok")
        assert launch.pid == waiting
        assert harness.wait(inv).state is State.SUCCEEDED
        assert f"invocation={inv.id} pid={waiting} " in harness.log(inv).splitlines()[0]
        assert spare_pid(harness, other_than=waiting) != waiting
    finally:
        harness.cluster.close()


@needs_root
def test_timeout_and_cancel_kill_a_job_in_a_spare_and_its_whole_tree(
    harness: Harness, tmp_path: Path
) -> None:
    for timeout in (1, None):
        ready = tmp_path / f"ready-{timeout}"
        waiting = spare_pid(harness)
        inv, launch = harness.start(
            "spawn", parameters={"ready": str(ready), "detach": True}, timeout=timeout
        )
        assert launch.pid == waiting
        grandchild = pid_in(ready)
        if timeout is None:
            harness.cluster.cancel(inv.id)
        ended = harness.wait(inv)
        assert (ended.state, ended.exit_code) == (
            State.TIMED_OUT if timeout else State.CANCELLED,
            -signal.SIGKILL,
        )
        wait_for(lambda g=grandchild: not alive(g))


def test_a_spare_runs_one_job_at_most(harness: Harness) -> None:
    pids = []
    for _ in range(5):
        waiting = spare_pid(harness, other_than=pids[-1] if pids else None)
        inv, launch = harness.start("ok")
        assert launch.pid == waiting
        assert harness.wait(inv).state is State.SUCCEEDED
        pids.append(launch.pid)
    assert len(set(pids)) == 5
    assert not set(pids) & set(harness.cluster.spare_pids())


class Seen:
    def __init__(self) -> None:
        self.exits: list[ChildExit] = []
        self.forked: dict[str, int | None] = {}

    def exit(self, ended: ChildExit) -> None:
        self.exits.append(ended)

    def spare(self, spare_id: str, pid: int | None) -> None:
        self.forked[spare_id] = pid


@pytest.fixture
def zygote() -> Iterator[tuple[Zygote, Seen]]:
    seen = Seen()
    z = Zygote(
        modules=["tests.jobs.clusterjobs"],
        on_exit=seen.exit,
        on_death=lambda why: None,
        on_spare=seen.spare,
    )
    yield z, seen
    z.close()


def ok_plan(tmp_path: Path) -> Plan:
    inv_id = new_id()
    return Plan(
        invocation_id=inv_id,
        family="clusterjobs",
        job_name="ok",
        target="tests.jobs.clusterjobs:Ok",
        log_path=str(tmp_path / f"{inv_id}.log"),
    )


def test_a_spare_reads_one_plan_and_never_another(
    zygote: tuple[Zygote, Seen], tmp_path: Path
) -> None:
    z, seen = zygote
    pipe = z.make_spare("s1", ())
    spare = wait_for(lambda: seen.forked.get("s1"))
    first, second = ok_plan(tmp_path), ok_plan(tmp_path)
    os.write(pipe, first.to_line())
    wait_for(lambda: seen.exits)
    with pytest.raises(BrokenPipeError):  # it stopped reading after the first
        os.write(pipe, second.to_line())
    os.close(pipe)
    assert [(e.spare_id, e.pid, e.status) for e in seen.exits] == [("s1", spare, 0)]
    assert Path(first.log_path or "").read_text().count("ok job printing") == 1
    assert not Path(second.log_path or "").exists()


def test_a_spare_whose_pipe_closes_ends_having_run_nothing(
    zygote: tuple[Zygote, Seen], tmp_path: Path
) -> None:
    z, seen = zygote
    pipe = z.make_spare("s1", ())
    spare = wait_for(lambda: seen.forked.get("s1"))
    os.write(pipe, ok_plan(tmp_path).to_line()[:40])  # a plan cut short, then EOF
    os.close(pipe)
    wait_for(lambda: seen.exits)
    assert [(e.spare_id, e.pid, e.status) for e in seen.exits] == [("s1", spare, 0)]
    assert list(tmp_path.iterdir()) == []  # no log: nothing ran


def test_a_spare_killed_before_use_is_not_reported_and_starts_still_work(
    harness: Harness,
) -> None:
    for pause in (False, True):  # killed just before the start, and some time before
        waiting = spare_pid(harness)
        os.kill(waiting, signal.SIGKILL)
        wait_for(lambda w=waiting: not alive(w))  # dead, maybe not yet reaped: pipe closed
        if pause:  # reaped, and the agent told
            wait_for(lambda w=waiting: w not in harness.cluster.spare_pids())
        inv, launch = harness.start("ok")
        assert launch.pid != waiting
        assert harness.wait(inv).state is State.SUCCEEDED
        assert list(harness.exits) == [inv.id]  # nothing for the spare
        harness.exits.clear()
        assert harness.cluster.poll() == []
    spare_pid(harness)  # and spares come back


@needs_root
def test_each_job_in_a_spare_is_held_to_its_own_reservation(
    harness: Harness, tmp_path: Path
) -> None:
    # Up, down, up again: the memory limit and memsw must be written in the right order.
    for memory, cpu in [(200, 300), (40, 100), (300, 2048), (96, 512)]:
        ready, go = tmp_path / f"ready-{memory}", tmp_path / f"go-{memory}"
        waiting = spare_pid(harness)
        inv, launch = harness.start(
            "wait",
            parameters={"ready": str(ready), "go": str(go)},
            reserved_memory=memory,
            reserved_cpu=cpu,
        )
        assert launch.pid == waiting
        assert pid_in(ready) == launch.pid
        cgroup = harness.cluster.running()[inv.id]
        assert cgroup is not None
        for d in cgroup.dirs:  # in every hierarchy
            assert launch.pid in {int(p) for p in (d / "cgroup.procs").read_text().split()}
        memory_dir = cgroup.path("memory")
        assert int((memory_dir / "memory.limit_in_bytes").read_text()) == memory * MIB
        swap = memory_dir / "memory.memsw.limit_in_bytes"
        if swap.exists():
            assert int(swap.read_text()) == memory * MIB
        assert int((cgroup.path("cpu") / "cpu.shares").read_text()) == cpu
        assert (cgroup.path("pids") / "pids.max").read_text().strip() == "4096"
        go.touch()
        assert harness.wait(inv).state is State.SUCCEEDED


@needs_root
def test_an_out_of_memory_kill_is_not_blamed_on_the_next_job(harness: Harness) -> None:
    hog, _ = harness.start("hog", parameters={"mib": 256})
    assert harness.wait(hog).reason == "killed: out of memory (reserved_memory 48 MiB)"
    for _ in range(4):  # with one spare and a pool, the hog's cgroup serves one of them
        inv, _ = harness.start("boom")
        assert (harness.wait(inv).state, harness.wait(inv).reason) == (State.FAILED, "exit 1")


ALLOCATE = "import sys; sys.stdin.read(); hog = b'x' * (256 << 20)"


def skip_unless_v1() -> None:
    if cgroups.layout().version != 1:  # type: ignore[union-attr]
        pytest.skip("only cgroup v1 cgroups are reused (v2 cannot reset memory.peak)")


@needs_root
def test_a_reused_cgroup_counts_from_zero(tmp_path: Path) -> None:
    skip_unless_v1()
    pool = CgroupPool(f"test-{new_id()[:8]}", pids_max=None)
    try:
        cgroup = pool.take()
        cgroup.limit(cpu_shares=64, memory_mib=32)
        hog = subprocess.Popen([sys.executable, "-c", ALLOCATE], stdin=subprocess.PIPE)
        cgroup.join(hog.pid)
        hog.communicate(b"", timeout=30)
        assert hog.returncode == -signal.SIGKILL
        assert cgroup.oom_killed()
        assert (cgroup.peak_memory() or 0) >= 30 * MIB
        pool.give_back(cgroup)
        pool.clean()
        again = pool.take()
        assert again is cgroup  # reused, not made anew
        assert not again.oom_killed()
        assert (again.peak_memory() or 0) < 2 * MIB
        assert (again.cpu_seconds() or 0.0) < 0.01
        hog = subprocess.Popen([sys.executable, "-c", ALLOCATE], stdin=subprocess.PIPE)
        again.join(hog.pid)
        hog.communicate(b"", timeout=30)
        assert hog.returncode == -signal.SIGKILL
        assert again.oom_killed()  # and a new OOM kill still shows
    finally:
        pool.remove_all()
    assert not any(d.exists() for d in cgroups.at(pool.parent).dirs)


def test_close_leaves_no_spare_and_no_cgroup(tmp_path: Path) -> None:
    harness = Harness(tmp_path, "auto", spares=2)
    inv, _ = harness.start("ok")
    assert harness.wait(inv).state is State.SUCCEEDED
    spares = wait_for(
        lambda: len(harness.cluster.spare_pids()) == 2 and harness.cluster.spare_pids()
    )
    harness.cluster.close()
    for pid in spares:
        wait_for(lambda pid=pid: not alive(pid))
    if harness.cluster.isolation is Isolation.CGROUP:
        name = f"agent-{os.getpid()}-{harness.cluster.agent_id}"
        assert not any(d.exists() for d in cgroups.at(name).dirs)


@needs_root
def test_limits_a_job_changed_are_set_again_for_the_next(tmp_path: Path) -> None:
    skip_unless_v1()
    pool = CgroupPool(f"test-{new_id()[:8]}", pids_max=None)
    try:
        cgroup = pool.take()
        pool.limit(cgroup, cpu_shares=64, memory_mib=32)
        memory = cgroup.path("memory")
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():  # raised first: it may not be below the memory limit
            swap.write_text(str(100 * MIB))
        (memory / "memory.limit_in_bytes").write_text(str(100 * MIB))  # a job, as root
        pool.give_back(cgroup)
        pool.clean()
        again = pool.take()
        assert again is cgroup
        pool.limit(again, cpu_shares=64, memory_mib=32)  # the same reservation as before
        assert int((memory / "memory.limit_in_bytes").read_text()) == 32 * MIB
    finally:
        pool.remove_all()


def test_a_spare_taken_before_its_zygote_died_refuses_the_job(harness: Harness) -> None:
    """The race where the zygote dies while a start holds a spare: the spare must not be
    handed the job (nobody would report what it ran), and the start says it failed."""
    spare_pid(harness)
    spares = harness.cluster._spares
    spare = wait_for(spares.take)
    spares.forget()  # what the reader thread does first when the zygote dies
    with pytest.raises(ZygoteError, match="zygote died"):
        spares.hand_over(spare, "inv-x", b'{"never": "run"}\n')
    assert not alive(spare.pid or 0) or wait_for(lambda: not alive(spare.pid or 0))
