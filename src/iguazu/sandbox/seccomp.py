"""The box's seccomp filter, built once with libseccomp (pyseccomp) and handed to bwrap as
compiled BPF, which bwrap installs right before it runs our init (boxinit.c), so the init
and the program both live under it.

Everything is allowed but what lets a program leave or widen its box, or attack the kernel
from it: those kill the whole process (SIGSYS, reported as SECURITY_VIOLATION). The native
ABI only: a syscall through another one (int 0x80, x32) kills too.
"""

from __future__ import annotations

import errno
import functools
import os
import socket
import termios

import pyseccomp as sc

# Leave or change the sandbox: namespaces, mounts, another process's memory.
ESCAPE = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
    "open_by_handle_at", "name_to_handle_at",
)  # fmt: skip
# Big kernel attack surfaces a program to grade never needs.
KERNEL = (
    "bpf", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "lookup_dcookie",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "iopl", "ioperm", "uselib", "vhangup", "fanotify_init",
)  # fmt: skip
NAMESPACE_FLAGS = (
    0x10000000,  # CLONE_NEWUSER
    0x00020000,  # CLONE_NEWNS
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x08000000,  # CLONE_NEWIPC
    0x04000000,  # CLONE_NEWUTS
    0x02000000,  # CLONE_NEWCGROUP
)
FORBIDDEN = ESCAPE + KERNEL


@functools.lru_cache(maxsize=2)
def program(refuse_sockets: bool = False) -> bytes:
    """The filter as BPF (cached: building it costs about 0.3 ms). `refuse_sockets`: a
    socket other than AF_UNIX fails with EACCES instead of killing, for runtimes that probe
    the network as they start (the JVM opens an inet socket to learn whether IPv6 exists);
    the box has no network either way."""
    f = sc.SyscallFilter(sc.ALLOW)
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    for name in FORBIDDEN:
        _kill(f, name)
    for flag in NAMESPACE_FLAGS:
        _kill(f, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, where a filter cannot look: say it does not exist,
    # and the C library falls back to clone, whose flags the rules above check.
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for call in ("socket", "socketpair"):
        if refuse_sockets:
            f.add_rule(sc.ERRNO(errno.EACCES), call, sc.Arg(0, sc.NE, socket.AF_UNIX))
        else:
            _kill(f, call, sc.Arg(0, sc.NE, socket.AF_UNIX))
    _kill(f, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, termios.TIOCSTI))
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb") as out:
            f.export_bpf(out)
        chunks = []
        while chunk := os.read(read_fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    return b"".join(chunks)


def _kill(f: sc.SyscallFilter, name: str, *args: sc.Arg) -> None:
    try:
        f.add_rule(sc.KILL_PROCESS, name, *args)
    except (OSError, ValueError, RuntimeError):
        pass  # a syscall this kernel's headers or this libseccomp do not know: nothing to stop
