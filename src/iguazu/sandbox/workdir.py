"""A box's only writable place: a fresh tmpfs, limited in bytes and inodes, made per run.

Layout on the host (the box sees `work/` as /box and `tmp/` as /tmp; both share the limits):

    <base>/box-<pid>-<token>/    tmpfs, size=..., nr_inodes=..., root-owned, mode 0711
        work/  tmp/              owned by the box's host uid, mode 0700

Files go in before the program starts, written by us; after the run, `collect` reads back
only regular files, never following a link the program may have planted. Without root
(unsafe development mode) it is a plain directory with no size limit.
"""

from __future__ import annotations

import ctypes
import errno
import fnmatch
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from . import checks
from .report import File

MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MNT_DETACH = 0x2
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK

_libc = ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(target: Path, options: str, again: bool = False) -> None:
    flags = MS_NOSUID | MS_NODEV | (MS_REMOUNT if again else 0)
    if _libc.mount(b"tmpfs", os.fsencode(target), b"tmpfs", flags, options.encode()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"cannot mount a tmpfs on {target}: {os.strerror(code)}")


def _unmount(target: Path) -> None:
    if _libc.umount2(os.fsencode(target), MNT_DETACH) != 0:
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOENT):  # not mounted (any more)
            raise OSError(code, f"cannot unmount {target}: {os.strerror(code)}")


class WorkDir:
    def __init__(self, root: Path, uid: int, gid: int, mounted: bool) -> None:
        self.root = root
        self.work = root / "work"
        self.tmp = root / "tmp"
        self._owner = (uid, gid) if (uid, gid) != (os.geteuid(), os.getegid()) else None
        self._mounted = mounted

    @classmethod
    def create(
        cls, base: Path, *, size: int, inodes: int, uid: int, gid: int, mount: bool
    ) -> WorkDir:
        """A new, empty work dir under `base`; raises OSError (and leaves nothing)."""
        root = base / f"box-{os.getpid()}-{secrets.token_hex(6)}"
        root.mkdir(mode=0o711)
        box = cls(root, uid, gid, mounted=False)
        try:
            if mount:
                _mount_tmpfs(root, f"size={size},nr_inodes={inodes},mode=0711")
                box._mounted = True
            for d in (box.work, box.tmp):
                d.mkdir(mode=0o700)
                box._own(d)
        except OSError:
            box.remove()
            raise
        return box

    def resize(self, *, size: int, inodes: int) -> None:
        """New limits for a work dir made ahead of its run; raises OSError."""
        if self._mounted:
            _mount_tmpfs(self.root, f"size={size},nr_inodes={inodes},mode=0711", again=True)

    @classmethod
    def leftovers(cls, base: Path, alive: Callable[[int], bool]) -> list[WorkDir]:
        """The work dirs under `base` of processes now dead (killed before they cleaned up)."""
        found = []
        for entry in base.glob("box-*-*"):
            pid = entry.name.split("-")[1]
            if pid.isdigit() and not alive(int(pid)):
                found.append(cls(entry, 0, 0, mounted=os.path.ismount(entry)))
        return found

    def _own(self, path: Path | int) -> None:
        if self._owner is not None:
            os.chown(path, *self._owner)

    def place(self, files: Mapping[str, File]) -> None:
        """Write the files into work/ (sub-directories made as needed), owned by the box."""
        for name, file in files.items():
            *dirs, leaf = checks.name(name)
            parent = self.work
            for part in dirs:
                parent = parent / part
                if not parent.is_dir():
                    parent.mkdir(mode=0o755)
                    self._own(parent)
            fd = os.open(parent / leaf, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                view = memoryview(file.data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fchmod(fd, file.mode & 0o777)
                self._own(fd)
            finally:
                os.close(fd)

    def collect(self, names: Iterable[str], max_bytes: int) -> tuple[dict[str, bytes], list[str]]:
        """The files asked back that are regular files of at most `max_bytes`, read without
        following any link; and a line for each one refused. A name with * or ? is a
        pattern over the work dir's top level ("*.class"): what matches is read back."""
        found: dict[str, bytes] = {}
        refused: list[str] = []
        for name in self._expand(names):
            try:
                found[name] = self._read(checks.name(name), max_bytes)
            except (OSError, ValueError) as exc:
                refused.append(f"{name}: {exc.strerror if isinstance(exc, OSError) else exc}")
        return found, refused

    def _expand(self, names: Iterable[str]) -> list[str]:
        wanted: list[str] = []
        for name in names:
            if "*" not in name and "?" not in name:
                wanted.append(name)
                continue
            with os.scandir(self.work) as entries:
                wanted += sorted(e.name for e in entries if fnmatch.fnmatchcase(e.name, name))
        return wanted

    def _read(self, parts: tuple[str, ...], max_bytes: int) -> bytes:
        fd = os.open(self.work, OPEN_FLAGS | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                inner = os.open(part, OPEN_FLAGS | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = inner
            leaf = os.open(parts[-1], OPEN_FLAGS, dir_fd=fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OSError(exc.errno, "is a symbolic link") from None
            raise
        finally:
            os.close(fd)
        try:
            info = os.fstat(leaf)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            if info.st_size > max_bytes:
                raise OSError(errno.EFBIG, f"larger than {max_bytes} bytes")
            return os.read(leaf, max_bytes + 1)[:max_bytes]
        finally:
            os.close(leaf)

    def full(self) -> bool:
        """Whether the program used up the bytes or the inodes of the work dir."""
        if not self._mounted:
            return False
        try:
            fs = os.statvfs(self.root)
        except OSError:
            return False
        return fs.f_bavail == 0 or fs.f_favail == 0

    def has_file_of(self, size: int) -> bool:
        """Whether a regular file of at least `size` bytes is in the work dir or /tmp."""
        for top in (self.work, self.tmp):
            for folder, _, names in os.walk(top):
                for name in names:
                    try:
                        info = os.lstat(os.path.join(folder, name))
                    except OSError:
                        continue
                    if stat.S_ISREG(info.st_mode) and info.st_size >= size:
                        return True
        return False

    def remove(self) -> None:
        """Unmount and delete. Raises OSError when the tmpfs cannot be unmounted; a plain
        directory is removed as far as it can be."""
        if self._mounted:
            _unmount(self.root)
            self._mounted = False
        else:
            shutil.rmtree(self.work, ignore_errors=True)
            shutil.rmtree(self.tmp, ignore_errors=True)
        try:
            self.root.rmdir()
        except FileNotFoundError:
            pass
