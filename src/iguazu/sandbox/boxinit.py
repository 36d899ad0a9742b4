"""boxinit, the box's pid 1 (boxinit.c): built once per machine, and what it reports.

The C source ships in the package; the first Sandbox on a machine compiles it (static when
the C library allows, about 0.2 s) into its base directory, named by the source's hash, so
that an upgraded source is built again and boxes never run a stale one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import SandboxUnavailable


def build(directory: Path) -> Path:
    """The path of the compiled helper in `directory`, compiling it if needed. Raises
    SandboxUnavailable when no C compiler can build it."""
    source = resources.files(__package__).joinpath("boxinit.c").read_bytes()
    target = directory / f"boxinit-{hashlib.sha256(source).hexdigest()[:16]}"
    if target.exists():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SandboxUnavailable("the sandbox needs a C compiler (gcc) once, to build its init")
    with tempfile.TemporaryDirectory(dir=directory) as work:
        src = Path(work) / "boxinit.c"
        src.write_bytes(source)
        out = Path(work) / "boxinit"
        errors = ""
        for static in (["-static"], []):  # static: nothing to load at each start
            done = subprocess.run(
                [compiler, "-O2", *static, "-o", str(out), str(src)],
                capture_output=True,
                text=True,
            )
            if done.returncode == 0:
                break
            errors = done.stderr
        else:
            raise SandboxUnavailable(f"cannot compile the sandbox's init: {errors.strip()}")
        out.chmod(0o755)
        os.replace(out, target)  # atomic: two processes building at once both succeed
    return target


@dataclass(frozen=True)
class Ending:
    """boxinit's status line: how the program ended and what it used."""

    signaled: bool
    code: int
    cpu_time: float  # the program's, with the descendants it waited for
    max_rss: int  # bytes
    exec_errno: int  # the program could not be started: why
    seccomp_kill: bool  # a process our init reaped died of SIGSYS

    @classmethod
    def parse(cls, line: str) -> Ending:
        """Raises ValueError for anything but one well-formed line."""
        how, code, utime, stime, rss, exec_errno, sigsys = line.split()
        if how not in ("exited", "signaled"):
            raise ValueError(f"unexpected status {line!r}")
        return cls(
            signaled=how == "signaled",
            code=int(code),
            cpu_time=(int(utime) + int(stime)) / 1e6,
            max_rss=int(rss) * 1024,
            exec_errno=int(exec_errno),
            seccomp_kill=sigsys == "1",
        )
