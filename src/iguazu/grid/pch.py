"""A precompiled header for a language's compiles (bits/stdc++.h for C++), made once per
machine on the host from the system's own header, with the compile's flags.

The header is compiled from a one-line wrapper into `<dir>/bits/stdc++.h.gch`, alone in its
folder (no header of that name beside it): a compile with `-I <dir>` finds the .gch first.
Before it is first used, a compile with `-Werror=invalid-pch` proves it valid (and a stamp
beside it records which file was proven, so other processes skip the proof); a broken one
(truncated, other flags) is made again, so that no learner gets a compile error for it.
The folders must be ours and writable by no one else: a planted header there would
compile into every learner's program.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from .languages import Language

logger = logging.getLogger(__name__)


def folder(base: Path, language: Language) -> Path | None:
    """The folder holding the language's precompiled header beside the sandbox's `base`
    (`<base>-pch/`: never inside it, which boxes may not see), made if needed; None when the
    language has none or it cannot be made (compiles then go without)."""
    header = language.precompiled_header
    if header is None or not language.precompile:
        return None
    version = _version(language.precompile[0])
    if version is None:
        return None
    key = hashlib.sha256("\0".join([*language.precompile, header, version]).encode()).hexdigest()
    root = base.parent / f"{base.name}-pch"
    target = root / f"{language.id}-{key[:16]}"
    with _lock:
        if target in _checked:
            return target
        try:
            root.mkdir(exist_ok=True)
            root.chmod(0o755)  # whatever the umask: boxes read it
            if not _ours(root):
                logger.warning("not using %s for precompiled headers: not ours alone", root)
                return None
            gch = target / f"{header}.gch"
            if (
                gch.exists()
                and not _proven(target, header)
                and not _prove(language, target, header)
            ):
                logger.warning("precompiled %s in %s is broken: making it again", header, target)
                shutil.rmtree(target)
            if not gch.exists():
                _make(language, root, target)
            if not _proven(target, header) and not _prove(language, target, header):
                return None
        except (OSError, subprocess.SubprocessError) as exc:
            logger.warning("cannot precompile %s: %s", header, exc)
            return None
        _checked.add(target)
    return target


_lock = threading.Lock()
_checked: set[Path] = set()
TIMEOUT = 120  # seconds for the compiler on the host (a precompile takes about 5)


@functools.lru_cache(maxsize=8)
def _version(compiler: str) -> str | None:
    path = shutil.which(compiler)
    if path is None:
        return None
    return subprocess.run([path, "--version"], capture_output=True, text=True).stdout


def _ours(path: Path) -> bool:
    info = path.lstat()
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _make(language: Language, root: Path, target: Path) -> None:
    header = str(language.precompiled_header)
    with tempfile.TemporaryDirectory(dir=root) as work:
        wrapper = Path(work) / "wrapper.h"
        wrapper.write_text(f"#include <{header}>\n")
        made = Path(work) / "made"
        (made / header).parent.mkdir(parents=True)
        subprocess.run(
            [*language.precompile, str(wrapper), "-o", str(made / f"{header}.gch")],
            capture_output=True, check=True, timeout=TIMEOUT,
        )  # fmt: skip
        for path in (made, *made.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.replace(made, target)  # atomic: two graders making it at once both succeed
        except OSError:
            if not (target / f"{header}.gch").exists():
                raise


PROVEN = "proven"  # beside the header: its size, mtime and inode when a compile took it


def _fingerprint(target: Path, header: str) -> str:
    info = (target / f"{header}.gch").stat()
    return f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"


def _proven(target: Path, header: str) -> bool:
    """Whether a process proved this very file valid before (the proof costs a compile,
    ~0.4 s, which each grading job would otherwise pay)."""
    try:
        return (target / PROVEN).read_text() == _fingerprint(target, header)
    except OSError:
        return False


def _prove(language: Language, target: Path, header: str) -> bool:
    if not _valid(language, target):
        return False
    stamp = target / f"{PROVEN}.{os.getpid()}"
    stamp.write_text(_fingerprint(target, header))
    os.replace(stamp, target / PROVEN)
    return True


def _valid(language: Language, target: Path) -> bool:
    """Whether a compile with the language's flags takes the .gch (and refuses otherwise)."""
    with tempfile.TemporaryDirectory() as work:
        probe = Path(work) / "probe.cpp"
        probe.write_text(f"#include <{language.precompiled_header}>\nint main() {{}}\n")
        flags = [a for a in language.precompile if a not in ("-x", "c++-header")]
        done = subprocess.run(
            [*flags, "-I", str(target), "-Winvalid-pch", "-Werror=invalid-pch", "-fsyntax-only",
             str(probe)],
            capture_output=True, timeout=TIMEOUT,
        )  # fmt: skip
    return done.returncode == 0
