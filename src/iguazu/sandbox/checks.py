"""The caller's arguments, checked before anything is made: a ValueError names the problem."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .report import File

# What our init takes (boxinit.c: MAX_ITEMS, MAX_SPEC), with room for the rest of the spec.
MAX_ITEMS = 4000
MAX_BYTES = 3 << 20


def argv(args: Sequence[str]) -> list[str]:
    if not args or not all(isinstance(a, str) and "\0" not in a for a in args) or not args[0]:
        raise ValueError("argv must be strings without NUL, starting with a program name")
    if len(args) > MAX_ITEMS or sum(len(a.encode()) + 1 for a in args) > MAX_BYTES:
        raise ValueError(f"argv is too long: at most {MAX_ITEMS} items and {MAX_BYTES} bytes")
    return list(args)


def env(values: Mapping[str, str]) -> dict[str, str]:
    for name, value in values.items():
        if not (isinstance(name, str) and isinstance(value, str)):
            raise ValueError(f"environment names and values must be strings: {name!r}")
        if not name or "=" in name or "\0" in name or "\0" in value:
            raise ValueError(f"environment variable {name!r}: no '=' in names, no NUL anywhere")
    size = sum(len(k.encode()) + len(v.encode()) + 2 for k, v in values.items())
    if len(values) > MAX_ITEMS or size > MAX_BYTES:
        raise ValueError(
            f"the environment is too large: at most {MAX_ITEMS} variables and {MAX_BYTES} bytes"
        )
    return dict(values)


def name(path: str) -> tuple[str, ...]:
    """The parts of a file name relative to the work dir; ValueError for anything that
    could leave it or is not a plain name."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\0" in path:
        raise ValueError(f"file name {path!r} must be a relative path of plain names")
    parts = tuple(path.split("/"))
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"file name {path!r} must be a relative path of plain names")
    return parts


def files(given: Mapping[str, File | bytes]) -> dict[str, File]:
    placed = {}
    for path, file in given.items():
        name(path)
        placed[path] = file if isinstance(file, File) else File(bytes(file))
    for path in placed:
        parent = path.rpartition("/")[0]
        while parent:
            if parent in placed:
                raise ValueError(f"{parent!r} cannot be both a file and the directory of {path!r}")
            parent = parent.rpartition("/")[0]
    return placed


def ro_paths(paths: Iterable[str], base_dir: Path) -> tuple[str, ...]:
    """Absolute host paths that exist, none of which shows the boxes' own directory (where
    the work dirs of other boxes are mounted)."""
    checked = []
    base = os.path.realpath(base_dir)
    for path in paths:
        if not isinstance(path, str) or not os.path.isabs(path) or not os.path.exists(path):
            raise ValueError(f"read-only path {path!r} must be an absolute path that exists")
        real = os.path.realpath(path)
        if os.path.commonpath([real, base]) in (real, base):
            raise ValueError(f"read-only path {path!r} would show the boxes' directory {base}")
        checked.append(os.path.normpath(path))
    return tuple(checked)
