"""The local cluster with real processes, a real zygote and (as root) real cgroups."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iguazu.batch import log_path
from iguazu.cluster import Exit, Launch, StartError, cgroups
from iguazu.cluster.local import LocalCluster
from iguazu.errors import ConfigError
from iguazu.jobs import JobRegistry, JobSpec
from iguazu.models import Invocation, Isolation, State, new_id, utcnow

MIB = 1024 * 1024
REGISTRY = JobRegistry.load(
    ["tests.jobs.clusterjobs"],
    [
        {
            "family": "shell",
            "name": "env",
            "argv": ["sh", "-c", 'echo "params=$IGUAZU_PARAMETERS id=$IGUAZU_INVOCATION_ID"'],
            "reserved_cpu": 64,
            "reserved_memory": 32,
        }
    ],
)

needs_root = pytest.mark.skipif(
    not cgroups.available(), reason="cgroup isolation needs root and writable cgroup controllers"
)


class Harness:
    """A LocalCluster and a way to wait for one invocation's Exit."""

    def __init__(self, tmp: Path, isolation: str, spares: int = 1) -> None:
        self.log_dir = tmp / "logs"
        self.woken = threading.Event()
        self.exits: dict[str, Exit] = {}
        self.cluster = LocalCluster(
            agent_id=f"test-{new_id()[:6]}",
            cpu=2048,
            memory=1024,
            log_dir=self.log_dir,
            registry=REGISTRY,
            isolation=isolation,
            on_exit=self.woken.set,
            spares=spares,
        )

    def start(self, name: str, family: str = "clusterjobs", **kw: Any) -> tuple[Invocation, Launch]:
        spec = REGISTRY.get(family, name)
        inv = invocation(spec, **kw)
        return inv, self.cluster.start(inv, spec)

    def wait(self, inv: Invocation, timeout: float = 30.0) -> Exit:
        deadline = time.monotonic() + timeout
        while inv.id not in self.exits:
            assert time.monotonic() < deadline, f"no exit for {inv.id} after {timeout} s"
            self.woken.wait(0.5)
            self.woken.clear()
            for ended in self.cluster.poll():
                self.exits[ended.invocation_id] = ended
        return self.exits[inv.id]

    def log(self, inv: Invocation) -> str:
        return log_path(self.log_dir, inv.id).read_text()


def invocation(spec: JobSpec, parameters: dict[str, Any] | None = None, **kw: Any) -> Invocation:
    values: dict[str, Any] = {
        "id": new_id(),
        "family": spec.family,
        "job_name": spec.name,
        "queue": "default",
        "priority": 0,
        "parameters": parameters or {},
        "state": State.STARTING,
        "reserved_cpu": spec.reserved_cpu,
        "reserved_memory": spec.reserved_memory,
        "timeout": spec.timeout,
        "command": spec.command,
        "created_at": utcnow(),
    }
    return Invocation(**{**values, **kw})


@pytest.fixture(scope="module")
def auto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """cgroup isolation as root, else rlimit: what an agent gets by default."""
    harness = Harness(tmp_path_factory.mktemp("auto"), "auto")
    yield harness
    harness.cluster.close()


@pytest.fixture(scope="module")
def rlimit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    harness = Harness(tmp_path_factory.mktemp("rlimit"), "rlimit")
    yield harness
    harness.cluster.close()


def wait_for(what: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := what()):
        assert time.monotonic() < deadline, f"{what} not true after {timeout} s"
        time.sleep(0.01)
    return value


def alive(pid: int) -> bool:
    """A zombie is dead: it only waits to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def pid_in(path: Path) -> int:
    return int(wait_for(lambda: path.exists() and path.read_text()))


def test_a_python_job_succeeds_and_its_log_starts_with_who_it_is(auto: Harness) -> None:
    inv, launch = auto.start("ok", parameters={"greeting": "Ana"})
    ended = auto.wait(inv)
    assert (ended.state, ended.exit_code, ended.reason) == (State.SUCCEEDED, 0, "exit 0")
    assert launch.cluster_ref == f"local:{auto.cluster.agent_id}/{launch.pid}"
    assert launch.isolation is (Isolation.CGROUP if cgroups.available() else Isolation.RLIMIT)
    lines = auto.log(inv).splitlines()
    assert lines[0] == (
        f"iguazu: family=clusterjobs job=ok invocation={inv.id} pid={launch.pid}"
        f" isolation={launch.isolation.value}"
    )
    logged = "INFO tests.jobs.clusterjobs: ok job logging, greeting Ana"
    assert any(line.endswith(logged) for line in lines)
    assert "ok job printing" in lines
    assert lines[-1].startswith("iguazu: SUCCEEDED: exit 0")


def test_an_exception_fails_with_its_traceback_in_the_log(auto: Harness) -> None:
    inv, _ = auto.start("boom")
    ended = auto.wait(inv)
    assert (ended.state, ended.exit_code, ended.reason) == (State.FAILED, 1, "exit 1")
    log = auto.log(inv)
    assert "Traceback (most recent call last)" in log
    assert "ValueError: boom from clusterjobs" in log


def test_a_command_job_receives_its_parameters_and_id(auto: Harness) -> None:
    inv, _ = auto.start("env", family="shell", parameters={"greeting": "hi"})
    assert auto.wait(inv).state is State.SUCCEEDED
    assert f'params={{"greeting": "hi"}} id={inv.id}' in auto.log(inv).splitlines()


@needs_root
def test_the_cgroup_holds_the_reservation_while_it_runs_and_is_emptied_after(
    auto: Harness, tmp_path: Path
) -> None:
    ready, go = tmp_path / "ready", tmp_path / "go"
    inv, launch = auto.start("wait", parameters={"ready": str(ready), "go": str(go)})
    assert pid_in(ready) == launch.pid
    cgroup = auto.cluster.running()[inv.id]
    assert cgroup is not None
    assert launch.pid in cgroup.pids()
    if cgroup.layout.version == 1:
        assert (cgroup.path("cpu") / "cpu.shares").read_text().strip() == "512"
        # The agent's cgroup weighs what the agent offers (2048) against the rest of the
        # machine; left at 1024, all its jobs together would weigh one core.
        assert (cgroup.path("cpu").parent / "cpu.shares").read_text().strip() == "2048"
        memory = cgroup.path("memory")
        assert int((memory / "memory.limit_in_bytes").read_text()) == 96 * MIB
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():
            assert int(swap.read_text()) == 96 * MIB
    else:
        assert (cgroup.path("cpu") / "cpu.weight").read_text().strip() == "50"
        assert int((cgroup.path("memory") / "memory.max").read_text()) == 96 * MIB
    go.touch()
    assert auto.wait(inv).state is State.SUCCEEDED
    assert inv.id not in auto.cluster.running()
    wait_for(lambda: not cgroup.pids())  # kept for another job (close() removes it)


@needs_root
def test_past_its_memory_a_job_is_killed_and_reported_out_of_memory(auto: Harness) -> None:
    inv, _ = auto.start("hog", parameters={"mib": 256})
    ended = auto.wait(inv)
    assert ended.state is State.FAILED
    assert ended.reason == "killed: out of memory (reserved_memory 48 MiB)"
    assert ended.exit_code == -signal.SIGKILL


def test_with_rlimits_a_job_past_its_memory_fails_saying_memory(rlimit: Harness) -> None:
    inv, launch = rlimit.start("hog", parameters={"mib": 256})
    ended = rlimit.wait(inv)
    assert launch.isolation is Isolation.RLIMIT
    assert ended.state is State.FAILED
    assert ended.reason == "out of memory: MemoryError (reserved_memory 48 MiB)"
    log = rlimit.log(inv)
    assert "CPU is not reserved" in log.splitlines()[1]
    assert "MemoryError" in log


def test_with_rlimits_a_job_within_its_memory_succeeds(rlimit: Harness) -> None:
    inv, _ = rlimit.start("hog", parameters={"mib": 16})
    assert rlimit.wait(inv).state is State.SUCCEEDED
    assert "allocated 16 MiB" in rlimit.log(inv)


@needs_root
def test_a_timeout_kills_the_whole_tree_even_a_grandchild_in_its_own_session(
    auto: Harness, tmp_path: Path
) -> None:
    ready = tmp_path / "ready"
    inv, launch = auto.start("spawn", parameters={"ready": str(ready), "detach": True}, timeout=1)
    grandchild = pid_in(ready)
    assert os.getsid(grandchild) != os.getsid(launch.pid)
    ended = auto.wait(inv)
    assert (ended.state, ended.exit_code) == (State.TIMED_OUT, -signal.SIGKILL)
    assert ended.reason == "timed out after 1 s"
    assert not alive(launch.pid)
    wait_for(lambda: not alive(grandchild))  # killed at once; reaped by the zygote soon after


def test_with_rlimits_a_timeout_kills_the_job_and_its_process_group(
    rlimit: Harness, tmp_path: Path
) -> None:
    ready = tmp_path / "ready"
    inv, _ = rlimit.start("spawn", parameters={"ready": str(ready), "detach": False}, timeout=1)
    grandchild = pid_in(ready)
    ended = rlimit.wait(inv)
    assert ended.state is State.TIMED_OUT
    wait_for(lambda: not alive(grandchild))


@needs_root
def test_a_daemon_left_behind_by_a_finished_job_is_killed(auto: Harness, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    inv, _ = auto.start("spawn", parameters={"ready": str(ready), "detach": True, "leave": True})
    grandchild = pid_in(ready)
    assert auto.wait(inv).state is State.SUCCEEDED
    wait_for(lambda: not alive(grandchild))


def test_cancel_kills_the_job_and_reports_cancelled(auto: Harness, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    inv, launch = auto.start("wait", parameters={"ready": str(ready)})
    pid_in(ready)
    auto.cluster.cancel(inv.id)
    ended = auto.wait(inv)
    assert (ended.state, ended.exit_code) == (State.CANCELLED, -signal.SIGKILL)
    assert ended.reason == "cancelled while running"
    assert not alive(launch.pid)
    auto.cluster.cancel(inv.id)  # no longer running: nothing happens


def test_if_the_zygote_dies_its_jobs_are_lost_and_the_next_start_works(tmp_path: Path) -> None:
    harness = Harness(tmp_path, "auto")
    try:
        ready = tmp_path / "ready"
        inv, launch = harness.start("wait", parameters={"ready": str(ready)})
        pid_in(ready)
        zygote = harness.cluster.zygote_pid
        assert zygote is not None
        os.kill(zygote, signal.SIGKILL)
        ended = harness.wait(inv)
        assert ended.state is State.LOST
        assert "zygote" in ended.reason
        wait_for(lambda: not alive(launch.pid))
        after, _ = harness.start("ok")
        assert harness.wait(after).state is State.SUCCEEDED
        assert harness.cluster.zygote_pid != zygote
    finally:
        harness.cluster.close()


def test_close_kills_what_runs_and_leaves_no_cgroup(tmp_path: Path) -> None:
    harness = Harness(tmp_path, "auto")
    ready = tmp_path / "ready"
    inv, launch = harness.start("wait", parameters={"ready": str(ready)})
    pid_in(ready)
    cgroup = harness.cluster.running()[inv.id]
    harness.cluster.close()
    assert not alive(launch.pid)
    [ended] = harness.cluster.poll()
    assert (ended.invocation_id, ended.state) == (inv.id, State.FAILED)
    assert "shut down" in ended.reason
    if cgroup is not None:
        assert not any(d.exists() for d in cgroup.dirs)
        assert not any(d.parent.exists() for d in cgroup.dirs)
    with pytest.raises(StartError, match="closed"):
        harness.start("ok")


def test_a_job_module_that_does_not_import_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no_such_module_here"):
        LocalCluster(
            agent_id="bad",
            cpu=1024,
            memory=1024,
            log_dir=tmp_path,
            job_modules=["tests.jobs.no_such_module_here"],
            isolation="none",
        )


FORKER = "read go; i=0; while [ $i -lt 300 ]; do sleep 1000 & i=$((i+1)); done; wait"
UNIFIED = Path("/sys/fs/cgroup/unified")


def v2_on_the_unified_mount(name: str) -> cgroups.Cgroup:
    """A v2 cgroup without limits (this machine's v2 mount offers no memory or cpu): enough
    for joining, killing everything and removing."""
    found = cgroups.Layout(version=2, mounts=dict.fromkeys(cgroups.V2_CONTROLLERS, UNIFIED))
    cgroup = cgroups.at(name, found)
    cgroup.dirs[0].mkdir(parents=True)
    return cgroup


@needs_root
@pytest.mark.parametrize("version", [1, 2])
def test_kill_all_empties_a_cgroup_whose_tree_forks_while_it_is_killed(version: int) -> None:
    name = f"test-kill-{new_id()[:8]}"
    if version == 1:
        if cgroups.layout().version != 1:  # type: ignore[union-attr]
            pytest.skip("this machine's cgroups are v2")
        cgroup = cgroups.Cgroup.create(name, cpu_shares=64, memory_mib=256)
    else:
        if not (UNIFIED / "cgroup.procs").exists():
            pytest.skip("no cgroup v2 hierarchy mounted at /sys/fs/cgroup/unified")
        cgroup = v2_on_the_unified_mount(name)
    shell = subprocess.Popen(["sh", "-c", FORKER], stdin=subprocess.PIPE, start_new_session=True)
    try:
        cgroup.join(shell.pid)
        assert shell.stdin is not None
        shell.stdin.write(b"go\n")
        shell.stdin.close()
        wait_for(lambda: len(cgroup.pids()) > 20)  # forking now
        cgroup.kill_all()
        assert cgroup.pids() == set()
        assert shell.wait(timeout=30) == -signal.SIGKILL
    finally:
        cgroup.kill_all()
        cgroup.remove()
        if version == 2:
            (UNIFIED / cgroups.PARENT).rmdir()
    assert not any(d.exists() for d in cgroup.dirs)


@needs_root
def test_a_new_agent_cleans_up_after_a_dead_one(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid names an agent that is no longer alive
    leftover = cgroups.Cgroup.create(f"agent-{gone.pid}-old/inv", cpu_shares=64, memory_mib=64)
    daemon = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    leftover.join(daemon.pid)
    harness = Harness(tmp_path, "cgroup")
    try:
        assert daemon.wait(timeout=30) == -signal.SIGKILL
        assert not any(d.exists() for d in leftover.dirs)
        assert not any(d.parent.exists() for d in leftover.dirs)
    finally:
        harness.cluster.close()
