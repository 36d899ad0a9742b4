"""The sandbox suite's fixtures: one Sandbox, programs compiled once, and the host-side
bait a hostile program would go for (a canary file, a directory of hidden tests beside the
boxes, a secret in our environment, a listening port, a process of the box's uid)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from iguazu.cluster import cgroups
from iguazu.sandbox import Sandbox
from tests.waiting import eventually


class Compiler:
    """Builds a case's program once per session: main.c, main.cpp or main.py."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def build(self, case: Path) -> tuple[list[str], dict[str, bytes], int]:
        """(argv, files, mode of the program file)."""
        if (case / "main.py").exists():
            return ["python3", "main.py"], {"main.py": (case / "main.py").read_bytes()}, 0o644
        for source, compiler, flags in (
            ("main.c", "gcc", ["-std=gnu11"]),
            ("main.cpp", "g++", ["-std=gnu++17"]),
        ):
            if (case / source).exists():
                binary = self.out / case.name
                if not binary.exists():
                    subprocess.run(
                        [compiler, "-O2", "-pthread", *flags, "-o", str(binary), case / source],
                        check=True,
                        capture_output=True,
                    )
                return ["./main"], {"main": binary.read_bytes()}, 0o755
        raise AssertionError(f"case {case.name} has no main.c, main.cpp or main.py")


@pytest.fixture(scope="session")
def compiler(tmp_path_factory: pytest.TempPathFactory) -> Compiler:
    return Compiler(tmp_path_factory.mktemp("programs"))


@dataclass
class Host:
    """What a box must neither read nor touch nor reach."""

    canary: Path  # a world-readable host file
    canary_text: str
    hidden: Path  # a directory of hidden tests beside the boxes' work dirs
    hidden_text: str
    env_secret: str  # in this process's environment
    port: int  # a TCP port listening on the host's loopback
    sentinel: subprocess.Popen[bytes]  # a host process running as the box's uid
    connections: list[str] = field(default_factory=list)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.canary_text, self.hidden_text, self.env_secret)


@pytest.fixture(scope="session")
def host(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    bait = tmp_path_factory.mktemp("bait")
    bait.chmod(0o755)
    canary_text = f"CANARY-{secrets.token_hex(8)}"
    canary = bait / "canary.txt"
    canary.write_text(canary_text)
    canary.chmod(0o666)  # even writable: only the box's walls protect it
    hidden = sandbox.base_dir / f"hidden-tests-{secrets.token_hex(4)}"
    hidden.mkdir(mode=0o755)
    hidden_text = f"HIDDEN-{secrets.token_hex(8)}"
    (hidden / "1.in").write_text(hidden_text)
    (hidden / "1.in").chmod(0o644)
    env_secret = f"ENVSECRET-{secrets.token_hex(8)}"
    os.environ["IGUAZU_HOST_SECRET"] = env_secret
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    sentinel = subprocess.Popen(
        ["sleep", "3600"], user=65534, group=65534, extra_groups=[], start_new_session=True
    )
    found = Host(
        canary=canary,
        canary_text=canary_text,
        hidden=hidden,
        hidden_text=hidden_text,
        env_secret=env_secret,
        port=listener.getsockname()[1],
        sentinel=sentinel,
    )
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            found.connections.append(str(peer))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join()
    listener.close()
    sentinel.kill()
    sentinel.wait()
    shutil.rmtree(hidden, ignore_errors=True)
    os.environ.pop("IGUAZU_HOST_SECRET", None)


def box_traces(sandbox: Sandbox) -> set[str]:
    """The box cgroups, work dirs and mounts of this process: the spare made ahead, or
    leaks. Waits for the spare first, so that the next run takes the box seen here."""
    eventually(lambda: sandbox.spares_ready, what="a spare box made")
    pid = os.getpid()
    found = {n for n in cgroups.children("sandbox") if n.startswith(f"sandbox/{pid}-")}
    found |= {p.name for p in sandbox.base_dir.glob(f"box-{pid}-*")}
    mounts = Path("/proc/self/mounts").read_text()
    found |= {f"mount {p}" for p in mounts.split() if p.startswith(f"{sandbox.base_dir}/box-")}
    return found


def assert_cleaned(before: set[str], after: set[str], where: str = "") -> None:
    """What a run used is gone (the spare it took was there before, and is not now), and no
    more is there than one spare made since: its cgroup, its work dir and its mount."""
    assert not before & after, f"{where}: left behind: {sorted(before & after)}"
    assert len(after) <= 3, f"{where}: more than one spare's traces: {sorted(after)}"
