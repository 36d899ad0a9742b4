"""The Sandbox API as a caller sees it: what goes in, what the report says, what is left
after a run (nothing), and the refusal where limits cannot be enforced."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import iguazu
from iguazu.cluster import cgroups
from iguazu.errors import SandboxUnavailable
from iguazu.sandbox import MIB, File, Limits, Sandbox, Status
from tests.waiting import eventually

from .conftest import assert_cleaned, box_traces

PY = "python3"  # Debian's, inside the box


def test_stdout_stderr_and_exit_code_come_back_apart(sandbox: Sandbox) -> None:
    report = sandbox.run(
        [PY, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"]
    )
    assert report.status is Status.RUNTIME_ERROR
    assert (report.exit_code, report.signal) == (3, None)
    assert (report.stdout, report.stderr) == (b"out\n", b"err\n")
    assert report.message == "exited with code 3"


def test_stdin_larger_than_a_pipe_reaches_the_program_whole(sandbox: Sandbox) -> None:
    data = os.urandom(3 * MIB)
    code = "import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"
    report = sandbox.run([PY, "-c", code], stdin=data, limits=Limits(wall_time=20))
    assert report.status is Status.OK, report.message
    assert report.stdout.decode().strip() == hashlib.sha256(data).hexdigest()


def test_a_program_that_ignores_its_stdin_still_ends(sandbox: Sandbox) -> None:
    report = sandbox.run(["true"], stdin=b"x" * (4 * MIB))
    assert report.status is Status.OK


def test_files_are_placed_with_their_mode_and_read_back(sandbox: Sandbox) -> None:
    script = b"#!/bin/sh\ncat data/in.txt | tr a-z A-Z > out.txt\n"
    report = sandbox.run(
        ["./run.sh"],
        files={"run.sh": File.executable(script), "data/in.txt": b"hello"},
        collect=["out.txt", "missing.txt"],
    )
    assert report.status is Status.OK, report.message
    assert report.files == {"out.txt": b"HELLO"}
    assert "missing.txt" in report.message


def test_cpu_time_counts_every_thread_and_wall_time_the_run(sandbox: Sandbox) -> None:
    code = (
        "import threading, time\n"
        "def spin():\n"
        "    end = time.thread_time() + 0.3\n"
        "    while time.thread_time() < end: pass\n"
        "ts = [threading.Thread(target=spin) for _ in range(2)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
    )
    report = sandbox.run([PY, "-c", code])
    assert report.status is Status.OK, report.message
    assert 0.6 <= report.cpu_time < 1.2
    assert report.wall_time >= 0.3


def test_memory_reports_the_programs_peak(sandbox: Sandbox) -> None:
    code = "b = bytearray(40 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    report = sandbox.run([PY, "-c", code], limits=Limits(memory=128 * MIB))
    assert report.status is Status.OK, report.message
    assert 40 * MIB <= report.max_rss < 80 * MIB
    assert 40 * MIB <= report.memory < 100 * MIB


def test_a_run_that_ends_well_leaves_nothing_behind(sandbox: Sandbox) -> None:
    before = box_traces(sandbox)
    sandbox.run(["sh", "-c", "echo x > /box/f; sleep 0.1 &"])
    assert_cleaned(before, box_traces(sandbox))


def test_a_missing_program_is_an_internal_error_not_the_programs_fault(sandbox: Sandbox) -> None:
    report = sandbox.run(["no-such-program"])
    assert report.status is Status.INTERNAL_ERROR
    assert "No such file or directory" in report.message


def test_the_environment_is_the_boxs_own(sandbox: Sandbox) -> None:
    report = sandbox.run(["env"], env={"ONLY": "this"})
    assert report.stdout.decode().split() == ["ONLY=this"]


def test_extra_read_only_paths_are_visible_and_read_only(sandbox: Sandbox) -> None:
    tool = Path(tempfile.mkdtemp(prefix="iguazu-tool-"))  # /tmp: the box's uid can reach it
    tool.chmod(0o755)
    (tool / "data.txt").write_text("from the host\n")
    (tool / "data.txt").chmod(0o644)
    report = sandbox.run(
        ["sh", "-c", f"cat {tool}/data.txt; echo x > {tool}/new || echo refused"],
        ro_paths=[str(tool)],
    )
    assert report.stdout.decode().splitlines() == ["from the host", "refused"]
    assert not (tool / "new").exists()
    shutil.rmtree(tool)


def test_a_read_only_path_the_box_cannot_reach_is_an_internal_error(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    private = tmp_path / "private"  # under pytest's 0700 directory
    private.mkdir()
    report = sandbox.run(["true"], ro_paths=[str(private)])
    assert report.status is Status.INTERNAL_ERROR
    assert "Can't find source path" in report.message and "Permission denied" in report.message
    assert len(box_traces(sandbox)) <= 3  # the spare, which that run did not take


@pytest.mark.parametrize(
    "argv, files, error",
    [
        ([], {}, "argv"),
        (["a\0b"], {}, "argv"),
        (["true"], {"../escape": b""}, "relative path"),
        (["true"], {"/etc/x": b""}, "relative path"),
        (["true"], {"a/./b": b""}, "relative path"),
        (["true"], {"a": b"", "a/b": b""}, "both a file and the directory"),
    ],
)
def test_arguments_that_could_never_run_are_refused(
    sandbox: Sandbox, argv: list[str], files: dict[str, bytes], error: str
) -> None:
    before = box_traces(sandbox)
    with pytest.raises(ValueError, match=error):
        sandbox.run(argv, files=files)
    assert box_traces(sandbox) == before  # refused before taking a box


@pytest.mark.parametrize(
    "bad",
    [
        {"cpu_time": 0},
        {"wall_time": float("nan")},
        {"memory": 1024},
        {"processes": -1},
        {"output": True},
        {"stack": 0},
    ],  # fmt: skip
)
def test_limits_that_make_no_sense_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="limit"):
        Limits(**bad)  # type: ignore[arg-type]


def test_boxes_run_side_by_side_without_seeing_each_other(sandbox: Sandbox) -> None:
    reports = {}

    def run(name: str) -> None:
        reports[name] = sandbox.run(
            ["sh", "-c", f"echo {name} > /tmp/who; sleep 0.3; cat /tmp/who; ls /box"],
            files={f"{name}.txt": b""},
        )

    threads = [threading.Thread(target=run, args=(n,)) for n in ("left", "right")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for name, report in reports.items():
        assert report.stdout.decode().split() == [name, f"{name}.txt"]


def test_not_root_it_refuses_and_says_what_it_cannot_enforce() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    base = Path(tempfile.mkdtemp(prefix="iguazu-user-box-"))  # in /tmp: that user reaches it
    base.chmod(0o755)
    os.chown(base, 65534, 65534)  # a base dir others can write to is refused
    code = (
        "from iguazu.sandbox import Sandbox\n"
        "from iguazu.errors import SandboxUnavailable\n"
        "try:\n"
        f"    Sandbox(base_dir={str(base)!r})\n"
        "except SandboxUnavailable as exc:\n"
        "    print('REFUSED', exc)\n"
        f"box = Sandbox(unsafe=True, base_dir={str(base)!r})\n"
        "print('UNSAFE', box.unenforced)\n"
        "r = box.run(['sh', '-c', 'echo hi; id -u'])\n"
        "print('RAN', r.status, r.stdout.split())\n"
    )
    # Our interpreter may live where that user cannot go (pyenv under /root): Debian's, with
    # the same packages on its path.
    paths = [str(Path(iguazu.__file__).parents[1]), *site.getsitepackages()]
    done = subprocess.run(
        ["/usr/bin/python3", "-c", code],
        user=65534,
        group=65534,
        extra_groups=[],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": ":".join(paths)},
        timeout=60,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("REFUSED cannot run untrusted programs safely here: not root")
    assert "unsafe=True" in lines[0]
    assert lines[1].startswith("UNSAFE ('not root")
    assert lines[2] == "RAN OK [b'hi', b'65534']", done.stderr
    shutil.rmtree(base)


def test_what_a_killed_caller_left_is_removed_by_the_next_sandbox(sandbox: Sandbox) -> None:
    """kill -9 of the process that runs a box: the box dies with it (--die-with-parent);
    its cgroup and work dir stay until the next Sandbox on the machine sweeps them."""
    marker = "iguazu-killed-caller"
    code = (
        "from iguazu.sandbox import Limits, Sandbox\n"
        f"box = Sandbox(base_dir={str(sandbox.base_dir)!r})\n"
        f"box.run(['sh', '-c', 'sleep 60 # {marker}'], limits=Limits(wall_time=60))\n"
    )
    caller = subprocess.Popen([sys.executable, "-c", code])
    eventually(lambda: _running(f"sh -c sleep 60 # {marker}"))
    assert [p for p in sandbox.base_dir.iterdir() if p.name.startswith(f"box-{caller.pid}-")]
    assert [n for n in cgroups.children("sandbox") if n.startswith(f"sandbox/{caller.pid}-")]
    caller.kill()
    caller.wait()
    eventually(lambda: not _running(marker))

    Sandbox(base_dir=sandbox.base_dir, spares=0).close()

    assert [n for n in cgroups.children("sandbox") if f"/{caller.pid}-" in n] == []
    assert not list(sandbox.base_dir.glob(f"box-{caller.pid}-*"))


def _running(text: str) -> bool:
    found = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return any(line.startswith(text) for line in found.splitlines())


def our_fds(sandbox: Sandbox) -> int:
    """Our open descriptors once the spare box is made (it holds some while it waits)."""
    eventually(lambda: sandbox.spares_ready == 1)
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize(
    "env",
    [{"A": "x\0y"}, {"A=B": "x"}, {"": "x"}, {"A": 1}],  # type: ignore[dict-item]
)
def test_a_bad_environment_is_refused_and_nothing_leaks(sandbox: Sandbox, env: dict) -> None:
    before = our_fds(sandbox)
    with pytest.raises(ValueError, match="environment"):
        sandbox.run(["true"], env=env)
    assert our_fds(sandbox) == before


def test_a_read_only_path_that_shows_the_boxes_is_refused(sandbox: Sandbox) -> None:
    for path in ("/", str(sandbox.base_dir.parent), str(sandbox.base_dir)):
        with pytest.raises(ValueError, match="boxes' directory"):
            sandbox.run(["true"], ro_paths=[path])


def test_descriptors_past_1024_in_the_caller_do_not_matter(sandbox: Sandbox) -> None:
    held = [os.open("/dev/null", os.O_RDONLY) for _ in range(1100)]
    try:
        before = our_fds(sandbox)
        report = sandbox.run(["echo", "fine"])
        assert (report.status, report.stdout) == (Status.OK, b"fine\n")
        assert our_fds(sandbox) == before
    finally:
        for fd in held:
            os.close(fd)


def test_a_host_process_of_uid_65534_cannot_reach_a_running_box(sandbox: Sandbox) -> None:
    """Inside, the box is uid 65534; outside it is a uid of its own, so `nobody` on the host
    can neither read its work dir nor signal its processes."""
    done: list = []
    thread = threading.Thread(
        target=lambda: done.append(
            sandbox.run(["sh", "-c", "echo secret > /box/result; sleep 1; cat /box/result"])
        )
    )
    thread.start()
    eventually(lambda: bool(list(sandbox.base_dir.glob(f"box-{os.getpid()}-*/work/result"))))
    work = next(sandbox.base_dir.glob(f"box-{os.getpid()}-*/work/result")).parent
    eventually(lambda: _running("sh -c echo secret"))
    box_pid = next(
        line.split()[0]
        for line in subprocess.run(
            ["ps", "-eo", "pid,args"], capture_output=True, text=True
        ).stdout.splitlines()
        if "sh -c echo secret" in line and "bwrap" not in line
    )
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    attempt = (
        f"cat {work}/result || echo unreadable; echo forged > {work}/result || echo unwritable; "
        f"kill -STOP {box_pid} || echo unsignalled"
    )
    out = subprocess.run([*as_nobody, "sh", "-c", attempt], capture_output=True, text=True)
    thread.join()
    assert out.stdout.split() == ["unreadable", "unwritable", "unsignalled"]
    assert done[0].stdout == b"secret\n"


def test_boxes_made_ahead_are_discarded_on_close_and_none_are_made_without_spares(
    sandbox: Sandbox,
) -> None:
    base = sandbox.base_dir.parent / f"{sandbox.base_dir.name}-spares"
    eventually(lambda: sandbox.spares_ready == 1)  # the session's own spare: made
    cgroups_before = set(cgroups.children("sandbox"))
    with Sandbox(base_dir=base, spares=2) as two:
        eventually(lambda: two.spares_ready == 2)
        assert len(list(base.glob("box-*"))) == 2
        assert two.run(["echo", "ok"]).stdout == b"ok\n"
    assert not list(base.glob("box-*"))
    assert str(base) not in Path("/proc/self/mounts").read_text()
    assert set(cgroups.children("sandbox")) <= cgroups_before
    with Sandbox(base_dir=base, spares=0) as none:
        assert none.run(["echo", "cold"]).stdout == b"cold\n"
        assert none.spares_ready == 0 and not list(base.glob("box-*"))
    shutil.rmtree(base)


def test_a_spare_box_that_died_while_it_waited_is_replaced(sandbox: Sandbox) -> None:
    eventually(lambda: sandbox.spares_ready == 1)
    listing = subprocess.run(["ps", "-ewwo", "pid,args"], capture_output=True, text=True).stdout
    mine = f"{sandbox.base_dir}/box-{os.getpid()}-"
    waiting = [int(ln.split()[0]) for ln in listing.splitlines() if "bwrap" in ln and mine in ln]
    assert len(waiting) == 1
    os.kill(waiting[0], signal.SIGKILL)
    eventually(lambda: _state(waiting[0]) in ("Z", ""))
    report = sandbox.run(["echo", "fine"])
    assert (report.status, report.stdout) == (Status.OK, b"fine\n")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def test_a_fork_of_the_caller_does_not_hold_up_the_boxes(sandbox: Sandbox) -> None:
    """A forked child inherits our ends of the waiting box's pipes; it forgets them, so
    the parent's next run sees its stdin and its start end as they should."""
    eventually(lambda: sandbox.spares_ready == 1)
    pid = os.fork()
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    try:
        report = sandbox.run(["cat"], stdin=b"through\n", limits=Limits(wall_time=1.5))
        assert (report.status, report.stdout) == (Status.OK, b"through\n")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_close_waits_for_the_runs_still_going_then_refuses_more(tmp_path: Path) -> None:
    base = Path(f"/run/iguazu/sandbox-test-{os.getpid()}-close")
    box = Sandbox(base_dir=base)
    eventually(lambda: box.spares_ready == 1)
    done: list = []
    thread = threading.Thread(
        target=lambda: done.append(box.run(["sh", "-c", "sleep 0.5; echo done"]))
    )
    thread.start()
    eventually(lambda: box.spares_ready == 1 and _running("sh -c sleep 0.5"))
    box.close()
    thread.join()
    assert (done[0].status, done[0].stdout) == (Status.OK, b"done\n")
    with pytest.raises(SandboxUnavailable, match="closed"):
        box.run(["true"])
    assert not list(base.glob("box-*"))
    shutil.rmtree(base)


def test_refused_sockets_fail_without_killing_and_reach_nothing(sandbox: Sandbox) -> None:
    code = (
        "import socket\n"
        "for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK):\n"
        "    try:\n"
        "        socket.socket(family)\n"
        "        print('opened')\n"
        "    except PermissionError:\n"
        "        print('refused')\n"
        "a, b = socket.socketpair()\n"
        "a.send(b'unix ok'); print(b.recv(10).decode())\n"
    )
    report = sandbox.run([PY, "-c", code], refuse_sockets=True)
    assert report.status is Status.OK, report.message
    assert report.stdout.decode().split("\n") == ["refused"] * 3 + ["unix ok", ""]
    assert sandbox.run([PY, "-c", code]).status is Status.SECURITY_VIOLATION


def test_files_can_be_read_back_by_pattern(sandbox: Sandbox) -> None:
    report = sandbox.run(
        [
            "sh",
            "-c",
            "echo a > A.class; echo b > B.class; echo c > c.txt; ln -s /etc/passwd L.class",
        ],
        collect=["*.class"],
    )
    assert report.files == {"A.class": b"a\n", "B.class": b"b\n"}
    assert "L.class: is a symbolic link" in report.message
