"""The bwrap command line of one box.

Namespaces: user (the box's uid and gid are 65534, nested user namespaces disabled), pid
(our init is pid 1: when it ends, the kernel kills every process left), net (only a
loopback), ipc, uts, cgroup. A read-only view of the system paths a language needs, a fresh
/proc and a minimal /dev; the root and /dev made read-only, so /box and /tmp (one size-limited
tmpfs of ours) are the only writable places. A new session (no terminal to push input into),
no capabilities, and bwrap dies with its parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BOX_UID = 65534
WORK = "/box"
INIT = "/.init"

# /bin, /lib, /lib64 and /sbin are links into /usr on Debian 12 and most current systems.
SYSTEM_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"),
                ("usr/lib64", "/lib64"))  # fmt: skip
SYSTEM_PATHS = ("/usr", "/etc/ld.so.cache", "/etc/alternatives")
DEFAULT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": WORK,
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
}


@dataclass(frozen=True, kw_only=True)
class Fds:
    """The descriptors bwrap and our init are handed (numbers as the child sees them)."""

    info: int  # bwrap writes {"child-pid": N} here once the namespaces exist
    seccomp: int  # the BPF program
    status: int  # our init says "ready", later how the program ended
    start: int  # our init waits for "go" here (meanwhile we move it into the cgroup)


def command(
    *,
    bwrap: str,
    init: Path,
    work: Path,
    tmp: Path,
    argv: Sequence[str],
    env: Mapping[str, str],
    rlimits: Mapping[str, tuple[int, int]],
    ro_paths: Sequence[str],
    fds: Fds,
) -> list[str]:
    cmd = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--disable-userns", "--as-pid-1",
        "--uid", str(BOX_UID), "--gid", str(BOX_UID), "--hostname", "box",
        "--die-with-parent", "--new-session",
    ]  # fmt: skip
    for path in SYSTEM_PATHS:
        cmd += ["--ro-bind-try", path, path]
    for target, link in SYSTEM_LINKS:
        cmd += ["--symlink", target, link]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    cmd += ["--bind", str(work), WORK, "--bind", str(tmp), "/tmp"]
    for path in ro_paths:  # after /tmp's bind, which would hide one under /tmp
        cmd += ["--ro-bind", path, path]
    cmd += ["--ro-bind", str(init), INIT, "--remount-ro", "/"]
    cmd += ["--chdir", WORK, "--clearenv"]
    for name, value in env.items():
        cmd += ["--setenv", name, value]
    cmd += ["--info-fd", str(fds.info), "--seccomp", str(fds.seccomp)]
    cmd += ["--", INIT, str(fds.status), str(fds.start)]
    cmd += [f"{name}={soft}:{hard}" for name, (soft, hard) in rlimits.items()]
    return [*cmd, "--", *argv]
