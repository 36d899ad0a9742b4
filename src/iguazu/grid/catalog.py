"""The assignments a server grades: one folder per assignment under one root, named by the
assignment's id (`<root>/wall-and-clock/assignment.toml`).

A manifest is read again when it changes (course staff fix a test while the server runs); a
broken one is reported where it is asked for and does not hide the others.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from ..errors import NotFound
from .assignment import MANIFEST, Assignment, AssignmentError, load

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class Assignments:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[tuple[int, int], Assignment]] = {}

    def ids(self) -> list[str]:
        """Every folder under the root that holds a manifest, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            d.name for d in self.root.iterdir() if ID.fullmatch(d.name) and (d / MANIFEST).is_file()
        )

    def get(self, ident: str) -> Assignment:
        """The assignment `ident`; NotFound when there is none, AssignmentError (naming each
        problem) when its manifest is broken."""
        if not ID.fullmatch(ident) or ".." in ident:
            raise NotFound(repr(ident), "assignment")
        manifest = self.root / ident / MANIFEST
        try:
            info = manifest.stat()
        except OSError:
            raise NotFound(repr(ident), "assignment") from None
        stamp = (info.st_mtime_ns, info.st_size)
        with self._lock:
            cached = self._loaded.get(ident)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        assignment = load(manifest.parent)
        with self._lock:
            self._loaded[ident] = (stamp, assignment)
        return assignment

    def all(self) -> list[tuple[str, Assignment | AssignmentError]]:
        """Each assignment, or what is wrong with it."""
        found: list[tuple[str, Assignment | AssignmentError]] = []
        for ident in self.ids():
            try:
                found.append((ident, self.get(ident)))
            except AssignmentError as exc:
                found.append((ident, exc))
            except NotFound:  # removed meanwhile
                continue
        return found
