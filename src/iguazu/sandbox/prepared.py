"""Making a box ready for its program: work dir, cgroup, bwrap, our init moved into the
cgroup and waiting. The program comes later (launch.Box.go); limits are set then."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..cluster import cgroups
from . import boxcgroup, launch, seccomp
from .report import Limits
from .workdir import WorkDir

logger = logging.getLogger(__name__)


@dataclass
class Prepared:
    """A box made and waiting, with its work dir and cgroup."""

    work: WorkDir
    cgroup: cgroups.Cgroup | None
    box: launch.Box

    def discard(self) -> None:
        """Kill whatever runs in it and remove it all (after its run, or unused)."""
        self.box.discard()
        self.clean(self.cgroup, self.work)

    @staticmethod
    def clean(cgroup: cgroups.Cgroup | None, work: WorkDir | None) -> None:
        if cgroup is not None:
            try:
                cgroup.kill_all()
                cgroup.remove()
            except (OSError, TimeoutError):
                logger.exception("sandbox: cannot remove cgroup %s", cgroup.name)
        if work is not None:
            try:
                work.remove()
            except OSError:
                logger.exception("sandbox: cannot remove work dir %s", work.root)


@dataclass(frozen=True, kw_only=True)
class Maker:
    """What every box of one Sandbox shares. `root`: the tmpfs and the boxes' own host uid
    (else a plain directory and our uid); `layout`: the cgroups (None: none)."""

    base_dir: Path
    bwrap: str
    init: Path
    setpriv: str | None
    layout: cgroups.Layout | None
    root: bool
    ro_paths: Sequence[str]

    def make(
        self, extra_ro_paths: Sequence[str], limits: Limits | None, refuse_sockets: bool = False
    ) -> Prepared:
        """A new box, its work dir sized for `limits` (default ones for a spare: resized
        when taken), its seccomp filter refusing sockets rather than killing for them when
        asked (seccomp.program). Raises OSError or LaunchFailed, and then leaves nothing."""
        host_uid = launch.HOST_UID if self.root else os.geteuid()
        sizes = limits or Limits()
        work = WorkDir.create(
            self.base_dir,
            size=sizes.work_dir_size,
            inodes=sizes.work_dir_files,
            uid=host_uid,
            gid=host_uid if self.root else os.getegid(),
            mount=self.root,
        )
        cgroup = None
        try:
            if self.layout is not None:
                cgroup = boxcgroup.create(self.layout)
            box = launch.start(
                lambda fds: launch.command(
                    bwrap=self.bwrap,
                    init=self.init,
                    work=work.work,
                    tmp=work.tmp,
                    ro_paths=(*self.ro_paths, *extra_ro_paths),
                    fds=fds,
                ),
                seccomp=seccomp.program(refuse_sockets),
                as_host_uid=self.setpriv,
                join=cgroup.join if cgroup is not None else lambda pid: None,
            )
        except BaseException:
            Prepared.clean(cgroup, work)
            raise
        return Prepared(work=work, cgroup=cgroup, box=box)
